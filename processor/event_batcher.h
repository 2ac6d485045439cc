#ifndef SHOPSTREAM_PROCESSOR_EVENT_BATCHER_H_
#define SHOPSTREAM_PROCESSOR_EVENT_BATCHER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/event_outcome.h"
#include "shopstream/internal/v1/pipeline.pb.h"

namespace shopstream {

enum class BatchCut;  // common/metrics.h

// Events that arrived together and are answered together.
struct Submission {
  internal::v1::PublishRequest request;
  // Called once: with OK and each event's outcome once all are settled,
  // or with the error that kept them from being committed.
  std::function<void(const absl::Status&, const EventOutcomes& outcomes)> done;
  absl::Time arrived = absl::InfinitePast();
};

struct BatchPolicy {
  // A batch is cut when this many events wait...
  int max_batch_events = 2000;
  // ...or when the oldest waiting event has waited this long.
  absl::Duration max_wait = absl::Milliseconds(2);
  // While another batch is being committed, a smaller batch waits for that
  // commit instead (up to max_wait_behind_commit), so small events share
  // one commit rather than each writer paying a statement's fixed cost for
  // a few of them; at this many events it goes to a free writer at once,
  // so bulk loads keep every writer busy.
  int overlap_min_events = 500;
  absl::Duration max_wait_behind_commit = absl::Milliseconds(20);
  // Past this many waiting events, Submit refuses (memory stays bounded).
  int64_t max_pending_events = 200000;
};

// Collects submissions from every ingest stream and cuts them into batches
// for the writers. Submissions are never split, so each is committed (or
// not) as a whole.
//
// Single-event submissions and bulk ones (request.bulk) wait in separate
// queues, each in arrival order. A batch takes single events first, so a
// live event waits for at most one batch of a bulk backlog, not all of it;
// while bulk events wait, single events take at most half a batch, so a
// steady flood of them cannot starve a bulk load.
class EventBatcher {
 public:
  explicit EventBatcher(BatchPolicy policy, const Clock& clock = Clock::Real())
      : policy_(policy), clock_(clock) {}

  // RESOURCE_EXHAUSTED when too much waits already; UNAVAILABLE once closed.
  absl::Status Submit(Submission submission);

  // Blocks until a batch is due and returns it; empty once closed and
  // drained. Every non-empty batch must be followed by BatchDone once it is
  // committed or answered.
  std::vector<Submission> NextBatch();
  // The batch that is due now, without waiting; empty when none is.
  std::vector<Submission> TryNextBatch();
  void BatchDone();

  // Wakes every NextBatch: what waits is handed out without further delay.
  void Close();

  int64_t pending_events() const;

 private:
  bool BatchDue() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The size and the wait that cut a batch now (see BatchPolicy: they
  // change while another batch commits).
  int SizeThreshold() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Duration MaxWait() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Why a due batch is due, for the batches metric.
  BatchCut CutReason() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Empty() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // When the longest-waiting submission arrived.
  absl::Time OldestArrival() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves submissions from the front of `queue` into `batch` while `events`
  // stays within `limit` (a first submission goes alone if larger).
  static void TakeFrom(std::deque<Submission>& queue, int limit,
                       std::vector<Submission>& batch, int& events);
  // Hands out the waiting submissions as a batch (BatchDue holds).
  std::vector<Submission> CutBatch() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const BatchPolicy policy_;
  const Clock& clock_;
  mutable absl::Mutex mu_;
  std::deque<Submission> single_ ABSL_GUARDED_BY(mu_);
  std::deque<Submission> bulk_ ABSL_GUARDED_BY(mu_);
  int64_t pending_events_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  // Batches handed out and not yet done.
  int committing_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_PROCESSOR_EVENT_BATCHER_H_
