#ifndef SHOPSTREAM_QUERY_BLOCKING_WORK_POOL_H_
#define SHOPSTREAM_QUERY_BLOCKING_WORK_POOL_H_

#include <cstddef>
#include <deque>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace shopstream {

// Threads of the query service's own for work that blocks (SQL, key
// lookups), so that gRPC's callback threads never wait on PostgreSQL. The
// queue is bounded: when it is full, new work is refused at once and the
// caller answers RESOURCE_EXHAUSTED instead of letting requests pile up.
class BlockingWorkPool {
 public:
  BlockingWorkPool(int threads, size_t max_queued);
  ~BlockingWorkPool();  // Stop()s
  BlockingWorkPool(const BlockingWorkPool&) = delete;
  BlockingWorkPool& operator=(const BlockingWorkPool&) = delete;

  // False, and `work` is dropped unrun, when the queue is full or the pool
  // has stopped.
  bool TrySubmit(absl::AnyInvocable<void()> work);

  // Runs what is queued, then joins the threads. Idempotent.
  void Stop();

  // Work waiting for a thread.
  size_t queued() const;

 private:
  void Run();

  const size_t max_queued_;
  mutable absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_BLOCKING_WORK_POOL_H_
