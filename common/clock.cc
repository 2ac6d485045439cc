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
  while (!condition.Eval()) {
    if (Now() >= deadline) return false;
    mu.AwaitWithTimeout(condition, absl::Milliseconds(1));
  }
  return true;
}

}  // namespace shopstream
