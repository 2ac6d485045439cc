#ifndef SHOPSTREAM_COMMON_CLOCK_H_
#define SHOPSTREAM_COMMON_CLOCK_H_

#include <atomic>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace shopstream {

// Time as a class that depends on it sees it: the real clock in the
// services; in tests, a clock they move by hand instead of sleeping.
class Clock {
 public:
  virtual ~Clock() = default;

  virtual absl::Time Now() const = 0;

  // With `mu` held, waits until `condition` holds or this clock reaches
  // `deadline`; returns whether the condition holds. `mu` is held again on
  // return.
  virtual bool AwaitWithDeadline(absl::Mutex& mu,
                                 const absl::Condition& condition,
                                 absl::Time deadline) const = 0;

  // Returns once this clock has moved `duration` on.
  void SleepFor(absl::Duration duration) const;

  // The machine's clock.
  static const Clock& Real();
};

// A clock that stands still until a test moves it. Waits on it end once
// their condition holds or the test has moved it past their deadline.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::UnixEpoch() + absl::Hours(24))
      : now_(absl::ToUnixNanos(start)) {}

  absl::Time Now() const override {
    return absl::FromUnixNanos(now_.load(std::memory_order_acquire));
  }
  void Advance(absl::Duration d) {
    now_.fetch_add(absl::ToInt64Nanoseconds(d), std::memory_order_acq_rel);
  }

  bool AwaitWithDeadline(absl::Mutex& mu, const absl::Condition& condition,
                         absl::Time deadline) const override;

  // Waits, at most `timeout` of real time, until `n` waits on this clock are
  // in progress. A test moves the clock once the thread it means to wake
  // waits: moved earlier, the thread's deadline would count from the moved
  // time and never come.
  bool AwaitWaiters(int n, absl::Duration timeout = absl::Seconds(30)) const;

  // For a thread that waits on this clock between rounds of work (a poll
  // loop, a ticker): once it waits, moves the clock `d` and returns when it
  // waits again, its round done. False when a wait does not come within
  // `timeout` of real time.
  bool AdvanceRound(absl::Duration d,
                    absl::Duration timeout = absl::Seconds(30));

 private:
  std::atomic<int64_t> now_;
  mutable absl::Mutex waiters_mu_;
  mutable int waiters_ ABSL_GUARDED_BY(waiters_mu_) = 0;
  mutable int64_t waits_begun_ ABSL_GUARDED_BY(waiters_mu_) = 0;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_COMMON_CLOCK_H_
