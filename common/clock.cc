#include "common/clock.h"

#include "absl/time/clock.h"

namespace shopstream {
namespace {

class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  bool AwaitWithDeadline(absl::Mutex& mu, const absl::Condition& condition,
                         absl::Time deadline) const override {
    return mu.AwaitWithDeadline(condition, deadline);
  }
};

}  // namespace

void Clock::SleepFor(absl::Duration duration) const {
  static const bool kNever = false;
  absl::Mutex mu;
  absl::MutexLock lock(&mu);
  AwaitWithDeadline(mu, absl::Condition(&kNever), Now() + duration);
}

const Clock& Clock::Real() {
  static const RealClock* clock = new RealClock;
  return *clock;
}

bool FakeClock::AwaitWithDeadline(absl::Mutex& mu,
                                  const absl::Condition& condition,
                                  absl::Time deadline) const {
  // A moved fake clock cannot wake a waiter on another mutex, so the wait
  // looks again every millisecond of real time; what it waits for is still
  // only the condition or the fake deadline.
  if (condition.Eval()) return true;
  {
    absl::MutexLock lock(&waiters_mu_);
    ++waiters_;
    ++waits_begun_;
  }
  bool held = true;
  while (!condition.Eval()) {
    if (Now() >= deadline) {
      held = false;
      break;
    }
    mu.AwaitWithTimeout(condition, absl::Milliseconds(1));
  }
  absl::MutexLock lock(&waiters_mu_);
  --waiters_;
  return held;
}

bool FakeClock::AwaitWaiters(int n, absl::Duration timeout) const {
  absl::MutexLock lock(&waiters_mu_);
  auto waiting = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(waiters_mu_) {
    return waiters_ >= n;
  };
  return waiters_mu_.AwaitWithTimeout(absl::Condition(&waiting), timeout);
}

bool FakeClock::AdvanceRound(absl::Duration d, absl::Duration timeout) {
  if (!AwaitWaiters(1, timeout)) return false;
  absl::MutexLock lock(&waiters_mu_);
  const int64_t begun = waits_begun_;
  Advance(d);
  auto waits_again = [this, begun]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(
                         waiters_mu_) { return waits_begun_ > begun; };
  return waiters_mu_.AwaitWithTimeout(absl::Condition(&waits_again), timeout);
}

}  // namespace shopstream
