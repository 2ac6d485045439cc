#include "common/dependency_health.h"

#include <atomic>

#include "absl/time/clock.h"
#include "common/grpc_status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shopstream {
namespace {

using ::testing::Pair;

// Waits (bounded) for `states` to be what `health` reports.
bool Reaches(const DependencyHealth& health, const DependencyStates& states) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    if (health.States() == states) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return false;
}

TEST(DependencyHealthTest, FollowsEachCheckDownAndUp) {
  std::atomic<bool> database_up{true};
  DependencyHealth health({{"postgres",
                            [&] {
                              return database_up
                                         ? absl::OkStatus()
                                         : absl::UnavailableError("refused");
                            }},
                           {"cache", [] { return absl::OkStatus(); }}},
                          absl::Milliseconds(1));
  EXPECT_TRUE(Reaches(health, {{"postgres", true}, {"cache", true}}));
  database_up = false;
  EXPECT_TRUE(Reaches(health, {{"postgres", false}, {"cache", true}}));
  database_up = true;
  EXPECT_TRUE(Reaches(health, {{"postgres", true}, {"cache", true}}));
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
