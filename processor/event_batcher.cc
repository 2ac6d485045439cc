#include "processor/event_batcher.h"

#include "absl/time/clock.h"
#include "common/metrics.h"

namespace shopstream {

absl::Status EventBatcher::Submit(Submission submission) {
  const int n = submission.request.events_size();
  absl::MutexLock lock(&mu_);
  if (closed_) return absl::UnavailableError("processor is shutting down");
  if (pending_events_ + n > policy_.max_pending_events && pending_events_ > 0) {
    return absl::ResourceExhaustedError(
        "processor queue is full; retry after a pause");
  }
  submission.arrived = absl::Now();
  pending_events_ += n;
  ProcessorPendingEvents().Set(static_cast<double>(pending_events_));
  queue_.push_back(std::move(submission));
  return absl::OkStatus();
}

bool EventBatcher::BatchDue() const {
  if (queue_.empty()) return closed_;
  return closed_ || pending_events_ >= policy_.max_batch_events ||
         absl::Now() - queue_.front().arrived >= policy_.max_wait;
}

std::vector<Submission> EventBatcher::NextBatch() {
  absl::MutexLock lock(&mu_);
  while (!BatchDue()) {
    if (queue_.empty()) {
      mu_.Await(absl::Condition(
          +[](EventBatcher* b) ABSL_EXCLUSIVE_LOCKS_REQUIRED(b->mu_) {
            return !b->queue_.empty() || b->closed_;
          },
          this));
      continue;
    }
    // Conditions are re-checked only when the lock changes hands, so the
    // oldest submission's deadline is a timeout, and size is the condition.
    const absl::Duration wait =
        queue_.front().arrived + policy_.max_wait - absl::Now();
    mu_.AwaitWithTimeout(
        absl::Condition(
            +[](EventBatcher* b) ABSL_EXCLUSIVE_LOCKS_REQUIRED(b->mu_) {
              return b->closed_ ||
                     b->pending_events_ >= b->policy_.max_batch_events;
            },
            this),
        std::max(wait, absl::ZeroDuration()));
  }
  std::vector<Submission> batch;
  int events = 0;
  while (!queue_.empty()) {
    const int n = queue_.front().request.events_size();
    if (!batch.empty() && events + n > policy_.max_batch_events) break;
    events += n;
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  pending_events_ -= events;
  ProcessorPendingEvents().Set(static_cast<double>(pending_events_));
  return batch;
}

void EventBatcher::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

int64_t EventBatcher::pending_events() const {
  absl::MutexLock lock(&mu_);
  return pending_events_;
}

}  // namespace shopstream
