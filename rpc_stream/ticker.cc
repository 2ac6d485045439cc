#include "rpc_stream/ticker.h"

#include <vector>

namespace shopstream::rpc_stream {

Ticker::Ticker(absl::Duration interval, const Clock& clock)
    : interval_(interval), clock_(clock), thread_([this] { Run(); }) {}

Ticker::~Ticker() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

Ticker& Ticker::Shared() {
  // Never destroyed: stream clients may be stopped during static
  // destruction, and a thread that only sleeps costs nothing at exit.
  static Ticker* ticker = new Ticker(absl::Milliseconds(50));
  return *ticker;
}

uint64_t Ticker::Add(absl::AnyInvocable<void()> tick) {
  absl::MutexLock lock(&mu_);
  const uint64_t id = next_id_++;
  ticks_.emplace(id,
                 std::make_unique<absl::AnyInvocable<void()>>(std::move(tick)));
  return id;
}

void Ticker::Remove(uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto idle = [this, id]()
                  ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return running_ != id; };
  mu_.Await(absl::Condition(&idle));
  ticks_.erase(id);
}

void Ticker::Run() {
  absl::MutexLock lock(&mu_);
  while (!clock_.AwaitWithDeadline(mu_, absl::Condition(&stopping_),
                                   clock_.Now() + interval_)) {
    std::vector<uint64_t> ids;
    ids.reserve(ticks_.size());
    for (const auto& [id, tick] : ticks_) ids.push_back(id);
    for (uint64_t id : ids) {
      auto it = ticks_.find(id);
      if (it == ticks_.end()) continue;  // removed meanwhile
      running_ = id;
      // Called without the lock, so that a tick may take locks of its own
      // that Add and Remove callers hold; the entry stays until Remove,
      // which waits for it.
      absl::AnyInvocable<void()>* tick = it->second.get();
      mu_.Unlock();
      (*tick)();
      mu_.Lock();
      running_ = 0;
    }
  }
}

}  // namespace shopstream::rpc_stream
