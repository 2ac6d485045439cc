#include "common/clock.h"

#include <thread>

#include "gtest/gtest.h"

namespace shopstream {
namespace {

TEST(FakeClockTest, StandsStillUntilMoved) {
  FakeClock clock;
  const absl::Time start = clock.Now();
  EXPECT_EQ(clock.Now(), start);
  clock.Advance(absl::Minutes(3));
  EXPECT_EQ(clock.Now(), start + absl::Minutes(3));
}

TEST(FakeClockTest, AWaitEndsWhenTheClockPassesItsDeadline) {
  FakeClock clock;
  absl::Mutex mu;
  bool never = false;
  bool timed_out = false;
  const absl::Time deadline = clock.Now() + absl::Hours(1);
  std::thread waiter([&] {
    absl::MutexLock lock(&mu);
    timed_out = !clock.AwaitWithDeadline(mu, absl::Condition(&never), deadline);
  });
  clock.Advance(absl::Hours(2));
  waiter.join();
  EXPECT_TRUE(timed_out);
}

TEST(FakeClockTest, AWaitEndsWhenItsConditionHolds) {
  FakeClock clock;
  absl::Mutex mu;
  bool ready = false;
  bool held = false;
  std::thread waiter([&] {
    absl::MutexLock lock(&mu);
    held = clock.AwaitWithDeadline(mu, absl::Condition(&ready),
                                   clock.Now() + absl::Hours(1));
  });
  {
    absl::MutexLock lock(&mu);
    ready = true;
  }
  waiter.join();
  EXPECT_TRUE(held);
}

TEST(RealClockTest, FollowsTheMachine) {
  const absl::Time before = absl::Now();
  const absl::Time now = Clock::Real().Now();
  EXPECT_GE(now, before);
  absl::Mutex mu;
  bool never = false;
  absl::MutexLock lock(&mu);
  EXPECT_FALSE(Clock::Real().AwaitWithDeadline(mu, absl::Condition(&never),
                                               absl::InfinitePast()));
}

}  // namespace
}  // namespace shopstream
