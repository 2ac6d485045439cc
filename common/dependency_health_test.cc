#include "common/dependency_health.h"

#include <atomic>

#include "common/clock.h"
#include "common/grpc_status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shopstream {
namespace {

using ::testing::Pair;

TEST(DependencyHealthTest, FollowsEachCheckDownAndUpOncePerInterval) {
  FakeClock clock;
  std::atomic<bool> database_up{true};
  std::atomic<int> database_checks{0};
  constexpr absl::Duration kInterval = absl::Minutes(1);
  DependencyHealth health({{"postgres",
                            [&] {
                              ++database_checks;
                              return database_up
                                         ? absl::OkStatus()
                                         : absl::UnavailableError("refused");
                            }},
                           {"cache", [] { return absl::OkStatus(); }}},
                          kInterval, clock);
  // The first round runs at once, then waits for the clock.
  ASSERT_TRUE(clock.AwaitWaiters(1));
  EXPECT_EQ(health.States(),
            (DependencyStates{{"postgres", true}, {"cache", true}}));
  database_up = false;
  ASSERT_TRUE(clock.AdvanceRound(kInterval));
  EXPECT_EQ(health.States(),
            (DependencyStates{{"postgres", false}, {"cache", true}}));
  database_up = true;
  ASSERT_TRUE(clock.AdvanceRound(kInterval));
  EXPECT_EQ(health.States(),
            (DependencyStates{{"postgres", true}, {"cache", true}}));
  // A round per interval the clock moved, no more.
  EXPECT_EQ(database_checks, 3);
}

TEST(DependencyHealthTest, HealthyWhenEveryDependencyIsUp) {
  v1::HealthResponse response;
  const grpc::Status status =
      HealthAnswer({{"postgres", true}, {"processor", true}}, &response);
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(response.status(), "healthy");
  EXPECT_THAT(response.dependencies(),
              ::testing::UnorderedElementsAre(Pair("postgres", "up"),
                                              Pair("processor", "up")));
}

TEST(DependencyHealthTest, UnavailableNamingWhatIsDownWithTheStatesAttached) {
  v1::HealthResponse response;
  const grpc::Status status =
      HealthAnswer({{"postgres", false}, {"processor", true}}, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), "unhealthy: postgres is down");
  EXPECT_EQ(response.status(), "unhealthy");
  const std::optional<std::string> attached =
      MessageDetailOf(status, "shopstream.v1.HealthResponse");
  ASSERT_TRUE(attached.has_value());
  v1::HealthResponse carried;
  ASSERT_TRUE(carried.ParseFromString(*attached));
  EXPECT_EQ(carried.status(), "unhealthy");
  EXPECT_EQ(carried.dependencies().at("postgres"), "down");
  EXPECT_EQ(carried.dependencies().at("processor"), "up");
}

}  // namespace
}  // namespace shopstream
