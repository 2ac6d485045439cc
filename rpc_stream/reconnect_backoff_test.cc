#include "rpc_stream/reconnect_backoff.h"

#include "absl/random/random.h"
#include "gtest/gtest.h"

namespace shopstream::rpc_stream {
namespace {

TEST(ReconnectBackoffTest, DoublesUpToTheCapWithinTheJitter) {
  absl::BitGen random;
  ReconnectBackoff backoff(absl::Milliseconds(50), absl::Milliseconds(1000),
                           0.2);
  const int64_t bases[] = {50, 100, 200, 400, 800, 1000, 1000, 1000};
  for (int64_t base : bases) {
    const absl::Duration wait = backoff.Next(random);
    EXPECT_GE(wait, absl::Milliseconds(base) * 0.8) << base;
    EXPECT_LE(wait, absl::Milliseconds(base) * 1.2) << base;
  }
}

TEST(ReconnectBackoffTest, ResetStartsOverAtTheInitialWait) {
  absl::BitGen random;
  ReconnectBackoff backoff(absl::Milliseconds(50), absl::Seconds(1), 0);
  for (int i = 0; i < 10; ++i) backoff.Next(random);
  EXPECT_EQ(backoff.Next(random), absl::Seconds(1));
  backoff.Reset();
  EXPECT_EQ(backoff.Next(random), absl::Milliseconds(50));
  EXPECT_EQ(backoff.Next(random), absl::Milliseconds(100));
}

TEST(ReconnectBackoffTest, WaitsAreSpreadNotAllTheSame) {
  absl::BitGen random;
  absl::Duration least = absl::InfiniteDuration();
  absl::Duration most = absl::ZeroDuration();
  for (int i = 0; i < 100; ++i) {
    ReconnectBackoff backoff(absl::Milliseconds(100), absl::Seconds(1), 0.5);
    const absl::Duration wait = backoff.Next(random);
    least = std::min(least, wait);
    most = std::max(most, wait);
  }
  // A hundred draws from +/- 50% all within 10 ms of each other would be
  // a broken generator, not chance.
  EXPECT_GT(most - least, absl::Milliseconds(10));
}

}  // namespace
}  // namespace shopstream::rpc_stream
