#include "query/blocking_work_pool.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace shopstream {
namespace {

TEST(BlockingWorkPoolTest, RunsWhatItTakes) {
  std::atomic<int> ran{0};
  {
    BlockingWorkPool pool(3, 100);
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(pool.TrySubmit([&ran] { ++ran; }));
    }
    // Stop runs what was queued before it returns.
  }
  EXPECT_EQ(ran, 50);
}

TEST(BlockingWorkPoolTest, AFullQueueRefusesAtOnce) {
  BlockingWorkPool pool(1, 2);
  absl::Notification started;
  absl::Notification release;
  ASSERT_TRUE(pool.TrySubmit([&] {
    started.Notify();
    release.WaitForNotification();
  }));
  // The thread is busy; two wait; the next does not fit.
  started.WaitForNotification();
  std::atomic<int> ran{0};
  EXPECT_TRUE(pool.TrySubmit([&ran] { ++ran; }));
  EXPECT_TRUE(pool.TrySubmit([&ran] { ++ran; }));
  EXPECT_FALSE(pool.TrySubmit([&ran] { ++ran; }));
  release.Notify();
  pool.Stop();
  EXPECT_EQ(ran, 2);
}

TEST(BlockingWorkPoolTest, RefusesOnceStopped) {
  BlockingWorkPool pool(2, 10);
  pool.Stop();
  EXPECT_FALSE(pool.TrySubmit([] {}));
}

}  // namespace
}  // namespace shopstream
