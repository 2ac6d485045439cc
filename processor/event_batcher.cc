#include "processor/event_batcher.h"

#include <algorithm>

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
  submission.arrived = clock_.Now();
  pending_events_ += n;
  ProcessorPendingEvents().Set(static_cast<double>(pending_events_));
  std::deque<Submission>& queue = submission.request.bulk() ? bulk_ : single_;
  queue.push_back(std::move(submission));
  return absl::OkStatus();
}

bool EventBatcher::Empty() const { return single_.empty() && bulk_.empty(); }

absl::Time EventBatcher::OldestArrival() const {
  absl::Time oldest = absl::InfiniteFuture();
  if (!single_.empty()) oldest = single_.front().arrived;
  if (!bulk_.empty()) oldest = std::min(oldest, bulk_.front().arrived);
  return oldest;
}

int EventBatcher::SizeThreshold() const {
  return committing_ > 0
             ? std::min(policy_.overlap_min_events, policy_.max_batch_events)
             : policy_.max_batch_events;
}

absl::Duration EventBatcher::MaxWait() const {
  return committing_ > 0
             ? std::max(policy_.max_wait_behind_commit, policy_.max_wait)
             : policy_.max_wait;
}

BatchCut EventBatcher::CutReason() const {
  if (closed_) return BatchCut::kClosing;
  const bool full = pending_events_ >= SizeThreshold();
  if (committing_ > 0) {
    return full ? BatchCut::kOverlap : BatchCut::kWaitBehindCommit;
  }
  return full ? BatchCut::kSize : BatchCut::kWait;
}

bool EventBatcher::BatchDue() const {
  if (Empty()) return closed_;
  return closed_ || pending_events_ >= SizeThreshold() ||
         clock_.Now() - OldestArrival() >= MaxWait();
}

void EventBatcher::TakeFrom(std::deque<Submission>& queue, int limit,
                            std::vector<Submission>& batch, int& events) {
  while (!queue.empty()) {
    const int n = queue.front().request.events_size();
    if (!batch.empty() && events + n > limit) break;
    events += n;
    batch.push_back(std::move(queue.front()));
    queue.pop_front();
  }
}

std::vector<Submission> EventBatcher::NextBatch() {
  absl::MutexLock lock(&mu_);
  while (!BatchDue()) {
    if (Empty()) {
      mu_.Await(absl::Condition(
          +[](EventBatcher* b) ABSL_EXCLUSIVE_LOCKS_REQUIRED(b->mu_) {
            return !b->Empty() || b->closed_;
          },
          this));
      continue;
    }
    // Conditions are re-checked only when the lock changes hands, so the
    // oldest submission's deadline is a timeout; size, and a commit
    // finishing (which changes the deadline), are the condition.
    struct Watch {
      EventBatcher* batcher;
      int committing;
    } watch{this, committing_};
    clock_.AwaitWithDeadline(
        mu_,
        absl::Condition(
            +[](Watch* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->batcher->mu_) {
              const EventBatcher& b = *w->batcher;
              return b.closed_ || b.committing_ != w->committing ||
                     b.pending_events_ >= b.SizeThreshold();
            },
            &watch),
        OldestArrival() + MaxWait());
  }
  return CutBatch();
}

std::vector<Submission> EventBatcher::TryNextBatch() {
  absl::MutexLock lock(&mu_);
  if (!BatchDue()) return {};
  return CutBatch();
}

std::vector<Submission> EventBatcher::CutBatch() {
  const BatchCut cut = CutReason();
  std::vector<Submission> batch;
  int events = 0;
  const int max = policy_.max_batch_events;
  TakeFrom(single_, bulk_.empty() ? max : std::max(1, max / 2), batch, events);
  TakeFrom(bulk_, max, batch, events);
  pending_events_ -= events;
  ProcessorPendingEvents().Set(static_cast<double>(pending_events_));
  if (!batch.empty()) {
    ++committing_;
    ProcessorBatches(cut).Increment();
  }
  return batch;
}

void EventBatcher::BatchDone() {
  absl::MutexLock lock(&mu_);
  --committing_;
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
