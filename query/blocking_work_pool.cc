#include "query/blocking_work_pool.h"

#include <algorithm>

namespace shopstream {

BlockingWorkPool::BlockingWorkPool(int threads, size_t max_queued)
    : max_queued_(max_queued) {
  for (int i = 0; i < std::max(1, threads); ++i) {
    threads_.emplace_back([this] { Run(); });
  }
}

BlockingWorkPool::~BlockingWorkPool() { Stop(); }

bool BlockingWorkPool::TrySubmit(absl::AnyInvocable<void()> work) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || queue_.size() >= max_queued_) return false;
  queue_.push_back(std::move(work));
  return true;
}

void BlockingWorkPool::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

size_t BlockingWorkPool::queued() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

void BlockingWorkPool::Run() {
  while (true) {
    absl::AnyInvocable<void()> work;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](BlockingWorkPool* pool) ABSL_EXCLUSIVE_LOCKS_REQUIRED(pool->mu_) {
            return !pool->queue_.empty() || pool->stopping_;
          },
          this));
      if (queue_.empty()) return;  // stopping, and nothing left
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    work();
  }
}

}  // namespace shopstream
