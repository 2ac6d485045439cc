#ifndef SHOPSTREAM_PROCESSOR_BATCH_COMMITTER_H_
#define SHOPSTREAM_PROCESSOR_BATCH_COMMITTER_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "processor/event_batcher.h"

namespace shopstream {

class BatchWriter;

struct CommitterOptions {
  std::string conninfo;
  // Writer threads, each with its own connection: one commits while another
  // fills its next batch.
  int writers = 2;
  BatchPolicy batch;
  // How long a batch is retried through transient PostgreSQL failures
  // before its senders are told UNAVAILABLE.
  absl::Duration retry_budget = absl::Seconds(5);
};

// Commits submitted events to PostgreSQL in batches and answers each
// submission after its commit. Batching windows, retry pauses, the retry
// budget and Stop's grace are counted on `clock`.
class BatchCommitter {
 public:
  explicit BatchCommitter(CommitterOptions options,
                          const Clock& clock = Clock::Real());
  ~BatchCommitter();  // Stop()s

  void Start();
  // Submission::done is called exactly once, possibly before Submit returns
  // (when refused).
  void Submit(Submission submission);
  // Stops taking submissions, commits what was taken, then returns. What
  // is not committed within `grace` (PostgreSQL down, say) is answered
  // UNAVAILABLE instead of retried further, so a shutdown ends in time.
  void Stop(absl::Duration grace = absl::InfiniteDuration());

  int64_t pending_events() const { return batcher_.pending_events(); }

 private:
  void WriterLoop(int index);
  void Commit(BatchWriter& writer, std::vector<Submission>& batch);
  // Commits events[begin, end); where PostgreSQL refuses the content, halves
  // the range until the refused events stand alone and dead-letters them.
  // Parts commit in order, so what is stored is always a prefix: `committed`
  // is moved to its end.
  absl::Status CommitRange(
      BatchWriter& writer,
      const std::vector<const internal::v1::StoredEvent*>& events, size_t begin,
      size_t end, EventOutcomes& outcomes, size_t& committed);
  absl::StatusOr<std::vector<bool>> WriteWithRetry(
      BatchWriter& writer,
      const std::vector<const internal::v1::StoredEvent*>& events);

  // When Stop's grace ends; retries end there too.
  absl::Time StopBy() const;

  const CommitterOptions options_;
  const Clock& clock_;
  EventBatcher batcher_;
  mutable absl::Mutex stop_mu_;
  absl::Time stop_by_ ABSL_GUARDED_BY(stop_mu_) = absl::InfiniteFuture();
  std::vector<std::thread> threads_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_PROCESSOR_BATCH_COMMITTER_H_
