#ifndef SHOPSTREAM_QUERY_SUMMARY_WATCHERS_H_
#define SHOPSTREAM_QUERY_SUMMARY_WATCHERS_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "grpcpp/support/server_callback.h"
#include "query/watch_slots.h"
#include "shopstream/v1/analytics.pb.h"

namespace shopstream {

struct WatchOptions {
  // More watchers than this are refused with RESOURCE_EXHAUSTED.
  int max_watchers = 1000;
  // And more than this of one shop (all of a shop's keys together; watchers
  // of every shop count as one more shop), so that one shop cannot hold
  // every slot.
  int max_watchers_per_shop = 100;
  // And more than this of one API key, so that one key cannot hold every
  // slot of its shop. Without authentication there are no keys, and only
  // the limits above apply.
  int max_watchers_per_key = 10;
  // Pushes to one watcher are at least this far apart; commits in between
  // are coalesced into the next push.
  absl::Duration min_interval = absl::Milliseconds(250);
  // After a failed recomputation the watcher is tried again this much later.
  absl::Duration retry_after_error = absl::Seconds(1);
};

// The WatchSummary streams of the query service. Each stream gets its
// summary at once, then again whenever a commit touches its shop (or any
// shop, for a watcher of every shop), no more often than min_interval.
// Summaries are computed on one thread of its own, once per distinct
// request per round, so gRPC's callback threads never wait on PostgreSQL.
class SummaryWatchers {
 public:
  using ComputeSummary =
      std::function<absl::StatusOr<v1::Summary>(const v1::GetSummaryRequest&)>;

  // `clock` spaces the pushes and stamps summaries that lack an as_of.
  SummaryWatchers(ComputeSummary compute, WatchOptions options,
                  const Clock& clock = Clock::Real());
  ~SummaryWatchers();  // Stop()s
  SummaryWatchers(const SummaryWatchers&) = delete;
  SummaryWatchers& operator=(const SummaryWatchers&) = delete;

  // Checked before each push; a stream whose check fails ends with its
  // status (a revoked key, say).
  using StillAllowed = std::function<absl::Status()>;

  // The reactor for a new WatchSummary call; gRPC owns it until OnDone.
  // `request` must be valid (the caller checked it). `key_id` is the API
  // key the call came with; empty when authentication is off.
  grpc::ServerWriteReactor<v1::Summary>* Watch(
      const v1::GetSummaryRequest& request, const std::string& key_id = "",
      StillAllowed still_allowed = nullptr);

  // A reactor that ends its call at once with `status`.
  static grpc::ServerWriteReactor<v1::Summary>* Refuse(grpc::Status status);

  // New events committed for these shops.
  void OnCommit(const std::vector<std::string>& shops);
  // Commits may have gone unheard: every watcher is refreshed.
  void OnGap();

  // Ends every stream with UNAVAILABLE, refuses new ones, and waits up to
  // `grace` for gRPC to be done with them.
  void Stop(absl::Duration grace = absl::Seconds(2));

  int size() const;

  class WatchStream;

 private:
  void Run();
  void Remove(WatchStream* watch);
  void MarkDirty(const std::function<bool(const WatchStream&)>& matches);

  const ComputeSummary compute_;
  const WatchOptions options_;
  const Clock& clock_;

  mutable absl::Mutex mu_;
  // Set when the worker has something new to look at; a flag rather than a
  // condition variable, since the clock's waits take a condition.
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<WatchStream*, std::shared_ptr<WatchStream>> watches_
      ABSL_GUARDED_BY(mu_);
  WatchSlots slots_ ABSL_GUARDED_BY(mu_);
  std::thread worker_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_SUMMARY_WATCHERS_H_
