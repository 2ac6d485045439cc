#include "rpc_stream/ticker.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace shopstream::rpc_stream {
namespace {

TEST(TickerTest, TicksUntilRemovedAndNeverAfter) {
  Ticker ticker(absl::Milliseconds(1));
  std::atomic<int> ticks{0};
  absl::Notification ticked_thrice;
  const uint64_t id = ticker.Add([&] {
    if (++ticks == 3) ticked_thrice.Notify();
  });
  ASSERT_TRUE(ticked_thrice.WaitForNotificationWithTimeout(absl::Seconds(30)));
  ticker.Remove(id);
  const int after_remove = ticks;
  // A tick would run within a millisecond; none does once Remove returned.
  for (int i = 0; i < 20; ++i) {
    absl::SleepFor(absl::Milliseconds(2));
    EXPECT_EQ(ticks, after_remove);
  }
}

TEST(TickerTest, RemoveWaitsForTheTickThatRuns) {
  Ticker ticker(absl::Milliseconds(1));
  absl::Notification running;
  absl::Notification release;
  std::atomic<bool> finished{false};
  const uint64_t id = ticker.Add([&] {
    if (running.HasBeenNotified()) return;
    running.Notify();
    release.WaitForNotification();
    finished = true;
  });
  ASSERT_TRUE(running.WaitForNotificationWithTimeout(absl::Seconds(30)));
  // Let go a little later: a Remove that did not wait would return first.
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
