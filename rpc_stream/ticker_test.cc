#include "rpc_stream/ticker.h"

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "gtest/gtest.h"

namespace shopstream::rpc_stream {
namespace {

TEST(TickerTest, TicksOncePerIntervalUntilRemovedAndNeverAfter) {
  FakeClock clock;
  constexpr absl::Duration kInterval = absl::Seconds(1);
  Ticker ticker(kInterval, clock);
  std::atomic<int> ticks{0};
  const uint64_t id = ticker.Add([&] { ++ticks; });
  ASSERT_TRUE(clock.AwaitWaiters(1));
  EXPECT_EQ(ticks, 0);  // the clock has not moved
  for (int round = 1; round <= 3; ++round) {
    ASSERT_TRUE(clock.AdvanceRound(kInterval));
    EXPECT_EQ(ticks, round);
  }
  ticker.Remove(id);
  ASSERT_TRUE(clock.AdvanceRound(kInterval));
  ASSERT_TRUE(clock.AdvanceRound(kInterval));
  EXPECT_EQ(ticks, 3);
}

TEST(TickerTest, RemoveWaitsForTheTickThatRuns) {
  absl::Notification running;
  absl::Notification release;
  std::atomic<bool> finished{false};
  FakeClock clock;
  Ticker ticker(absl::Seconds(1), clock);
  const uint64_t id = ticker.Add([&] {
    if (running.HasBeenNotified()) return;
    running.Notify();
    release.WaitForNotification();
    finished = true;
  });
  if (!clock.AwaitWaiters(1)) {
    release.Notify();  // lets the ticker stop
    FAIL() << "the ticker does not wait on its clock";
  }
  clock.Advance(absl::Seconds(1));
  ASSERT_TRUE(running.WaitForNotificationWithTimeout(absl::Seconds(30)));
  // Let go a little later (real time: it races Remove, not the ticker's
  // clock): a Remove that did not wait would return first.
  std::thread releaser([&] {
    absl::SleepFor(absl::Milliseconds(20));
    release.Notify();
  });
  ticker.Remove(id);
  const bool finished_at_return = finished;
  releaser.join();
  EXPECT_TRUE(finished_at_return);
}

}  // namespace
}  // namespace shopstream::rpc_stream
