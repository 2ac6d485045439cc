#ifndef SHOPSTREAM_BENCH_VISIBILITY_PROBE_H_
#define SHOPSTREAM_BENCH_VISIBILITY_PROBE_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "bench/fold_watch.h"
#include "bench/latency_histogram.h"
#include "shopstream/v1/analytics.grpc.pb.h"
#include "shopstream/v1/ingest.grpc.pb.h"

namespace shopstream::bench {

struct VisibilityResult {
  // From just before Ingest until GetSummary counts the event, microseconds.
  LatencyHistogram latency_us;
  int64_t probes = 0;
  int64_t send_failures = 0;
  // Acked but not counted within the poll timeout (recorded at the timeout).
  int64_t not_visible = 0;
  // From the acknowledgement until the rollup watermark passed the probe's
  // append, microseconds; only with Options::postgres.
  bool fold_lag_measured = false;
  LatencyHistogram fold_lag_us;
  // Not folded within fold_timeout after the window (recorded as the time
  // they had waited).
  int64_t not_folded = 0;
  // Why a probe's fold could not be followed (the first such error).
  std::string fold_error;
};

// Event-to-visible latency under load: every `interval` it sends one page
// view for its own shop and polls GetSummary until the count includes it.
// With a PostgreSQL connection string it also follows each probe until the
// rollup folder has added it (folder lag), without holding up the next
// probe. Runs on its own thread between Start and Finish.
class VisibilityProbe {
 public:
  struct Options {
    int probes = 50;
    absl::Duration interval = absl::Milliseconds(400);
    absl::Duration poll_interval = absl::Milliseconds(2);
    absl::Duration poll_timeout = absl::Seconds(5);
    absl::Duration rpc_timeout = absl::Seconds(5);
    // Empty: no folder lag.
    std::string postgres;
    absl::Duration fold_poll_interval = absl::Milliseconds(10);
    // How long Finish waits for the last probes to be folded.
    absl::Duration fold_timeout = absl::Seconds(10);
  };

  VisibilityProbe(std::shared_ptr<grpc::Channel> ingest,
                  std::shared_ptr<grpc::Channel> query, std::string shop_id,
                  std::string id_prefix, Options options);
  ~VisibilityProbe();

  void Start();
  // Stops after the probe in progress, waits (up to fold_timeout) for the
  // probes' folds, and returns what was measured.
  VisibilityResult Finish();

 private:
  void Loop();
  // Sleeps until `until` (or a stop), following the folds meanwhile.
  void WaitUntil(absl::Time until);
  // Reads the watermark if probes await their fold and the last read is a
  // poll interval old.
  void FollowFolds();
  // Starts following the fold of an acknowledged probe.
  void TrackFold(const std::string& event_id, absl::Time acked_at);
  void NoteFoldError(const absl::Status& status);
  // Total events GetSummary reports for the shop, or -1 on error.
  int64_t CountVisible();

  std::unique_ptr<v1::IngestService::Stub> ingest_;
  std::unique_ptr<v1::AnalyticsService::Stub> query_;
  std::string shop_id_;
  std::string id_prefix_;
  Options options_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  VisibilityResult result_;
  std::unique_ptr<FoldWatch> fold_watch_;
  FoldLagTracker fold_lag_;
  absl::Time last_fold_poll_ = absl::InfinitePast();
};

}  // namespace shopstream::bench

#endif  // SHOPSTREAM_BENCH_VISIBILITY_PROBE_H_
