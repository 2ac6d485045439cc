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

TEST(FakeClockTest, AWaiterIsCountedUntilItsWaitEnds) {
  FakeClock clock;
  absl::Mutex mu;
  bool never = false;
  std::thread waiter([&] {
    absl::MutexLock lock(&mu);
    clock.AwaitWithDeadline(mu, absl::Condition(&never),
                            clock.Now() + absl::Hours(1));
  });
  ASSERT_TRUE(clock.AwaitWaiters(1));
  EXPECT_FALSE(clock.AwaitWaiters(2, absl::ZeroDuration()));
  clock.Advance(absl::Hours(1));
  waiter.join();
  EXPECT_FALSE(clock.AwaitWaiters(1, absl::ZeroDuration()));
}

TEST(FakeClockTest, SleepForEndsOnceTheClockMovedThatFar) {
  FakeClock clock;
  const absl::Time start = clock.Now();
  absl::Time woke;
  std::thread sleeper([&] {
    clock.SleepFor(absl::Minutes(5));
    woke = clock.Now();
  });
  ASSERT_TRUE(clock.AwaitWaiters(1));
  clock.Advance(absl::Minutes(4));
  ASSERT_TRUE(clock.AwaitWaiters(1));
  clock.Advance(absl::Minutes(1));
  sleeper.join();
  EXPECT_EQ(woke, start + absl::Minutes(5));
}

// A loop that counts its rounds and waits a minute of the clock between
// them.
TEST(FakeClockTest, AdvanceRoundReturnsOnceTheWokenLoopWaitsAgain) {
  FakeClock clock;
  absl::Mutex mu;
  bool stopping = false;
  int rounds = 0;
  std::thread loop([&] {
    absl::MutexLock lock(&mu);
    do {
      ++rounds;
    } while (!clock.AwaitWithDeadline(mu, absl::Condition(&stopping),
                                      clock.Now() + absl::Minutes(1)));
  });
  ASSERT_TRUE(clock.AwaitWaiters(1));
  for (int round = 2; round <= 4; ++round) {
    ASSERT_TRUE(clock.AdvanceRound(absl::Minutes(1)));
    absl::MutexLock lock(&mu);
    EXPECT_EQ(rounds, round);
  }
  {
    absl::MutexLock lock(&mu);
    stopping = true;
  }
  loop.join();
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
