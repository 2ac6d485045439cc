#include "bench/load_runner.h"

#include "gtest/gtest.h"

namespace shopstream::bench {
namespace {

TEST(ScenarioNameTest, KindRateAndConcurrency) {
  auto plain = ParseScenarioName("grpc_batch");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->transport, Transport::kGrpcBatch);
  EXPECT_FALSE(plain->open_loop());
  EXPECT_EQ(plain->concurrency_override, 0);

  auto rated = ParseScenarioName("rest@20000");
  ASSERT_TRUE(rated.ok());
  EXPECT_EQ(rated->transport, Transport::kRest);
  EXPECT_DOUBLE_EQ(rated->target_events_per_second, 20000);

  auto wide = ParseScenarioName("rest:512@30000");
  ASSERT_TRUE(wide.ok());
  EXPECT_EQ(wide->transport, Transport::kRest);
  EXPECT_EQ(wide->concurrency_override, 512);
  EXPECT_DOUBLE_EQ(wide->target_events_per_second, 30000);
}

TEST(ScenarioNameTest, RefusesWhatItCannotRead) {
  EXPECT_FALSE(ParseScenarioName("soap").ok());
  EXPECT_FALSE(ParseScenarioName("rest:lots").ok());
  EXPECT_FALSE(ParseScenarioName("rest:0").ok());
  EXPECT_FALSE(ParseScenarioName("rest@fast").ok());
}

}  // namespace
}  // namespace shopstream::bench
