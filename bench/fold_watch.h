#ifndef SHOPSTREAM_BENCH_FOLD_WATCH_H_
#define SHOPSTREAM_BENCH_FOLD_WATCH_H_

#include <cstdint>
#include <memory>
#include <pqxx/connection>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bench/latency_histogram.h"

namespace shopstream::bench {

// The rollup folder's progress as PostgreSQL records it: every event whose
// append_xid is below rollup_watermark.watermark is in the rollups
// (migrations/0013). Reading it there, rather than the processor's
// shopstream_rollup_lag_seconds gauge, ties a lag to one event: the gauge
// only says how long the oldest event of the last fold waited.
class FoldWatch {
 public:
  explicit FoldWatch(std::string conninfo);
  ~FoldWatch();

  absl::StatusOr<int64_t> Watermark();
  // Above every transaction id assigned so far, so above every append
  // already acknowledged: once the watermark reaches it, all of those are
  // folded.
  absl::StatusOr<int64_t> NextTransactionId();
  // The transaction that stored the event; NOT_FOUND when it is not stored.
  absl::StatusOr<int64_t> AppendXid(const std::string& shop_id,
                                    const std::string& event_id);
  // Polls until the watermark reaches `xid` and returns how long that took;
  // DEADLINE_EXCEEDED after `limit`.
  absl::StatusOr<absl::Duration> WaitForWatermark(
      int64_t xid, absl::Duration limit,
      absl::Duration poll_interval = absl::Milliseconds(10));
  // NextTransactionId, then WaitForWatermark: everything acknowledged so far
  // gets folded.
  absl::StatusOr<absl::Duration> WaitForFoldOfEverything(absl::Duration limit);

 private:
  absl::Status Connect();

  std::string conninfo_;
  std::unique_ptr<pqxx::connection> conn_;
};

// The folder lag of single events: from each one's acknowledgement until the
// watermark passes the transaction that stored it.
class FoldLagTracker {
 public:
  void Add(int64_t append_xid, absl::Time acked_at);
  // Records the lag of every pending event below `watermark`, as seen at
  // `now`.
  void Observe(int64_t watermark, absl::Time now);
  // The events still pending count as not folded, with the time they have
  // waited so far as their lag (a lower bound, so a stuck folder shows in
  // the percentiles rather than vanishing from them).
  void GiveUp(absl::Time now);

  bool pending() const { return !pending_.empty(); }
  const LatencyHistogram& lag_us() const { return lag_us_; }
  int64_t not_folded() const { return not_folded_; }

 private:
  struct Pending {
    int64_t append_xid;
    absl::Time acked_at;
  };
  std::vector<Pending> pending_;
  LatencyHistogram lag_us_;
  int64_t not_folded_ = 0;
};

}  // namespace shopstream::bench

#endif  // SHOPSTREAM_BENCH_FOLD_WATCH_H_
