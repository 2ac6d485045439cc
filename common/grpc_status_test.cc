#include "common/grpc_status.h"

#include "gtest/gtest.h"

namespace shopstream {
namespace {

TEST(GrpcStatusTest, CodeAndMessageSurviveBothWays) {
  const absl::Status original = absl::InvalidArgumentError("event_type: bad");
  const grpc::Status g = ToGrpcStatus(original);
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(g.error_message(), "event_type: bad");
  EXPECT_TRUE(g.error_details().empty());
  EXPECT_EQ(FromGrpcStatus(g), original);
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_EQ(
      FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "x")).code(),
      absl::StatusCode::kUnavailable);
  EXPECT_EQ(ToGrpcStatus(absl::ResourceExhaustedError("full")).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST(GrpcStatusTest, RetryDelaySurvivesBothWays) {
  const absl::Status limited = WithRetryDelay(
      absl::ResourceExhaustedError("rate limit"), absl::Milliseconds(2500));
  EXPECT_EQ(RetryDelayOf(limited), absl::Milliseconds(2500));

  const grpc::Status g = ToGrpcStatus(limited);
  EXPECT_EQ(g.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(g.error_message(), "rate limit");
  EXPECT_FALSE(g.error_details().empty());
  EXPECT_EQ(RetryDelayOf(g), absl::Milliseconds(2500));

  const absl::Status back = FromGrpcStatus(g);
  EXPECT_EQ(back, limited);
  EXPECT_EQ(RetryDelayOf(back), absl::Milliseconds(2500));
}

TEST(GrpcStatusTest, NoOrUnreadableDetailsMeanNoDelay) {
  EXPECT_EQ(RetryDelayOf(absl::UnavailableError("down")), std::nullopt);
  EXPECT_EQ(RetryDelayOf(grpc::Status(grpc::StatusCode::UNAVAILABLE, "down")),
            std::nullopt);
  const grpc::Status garbage(grpc::StatusCode::UNAVAILABLE, "down",
                             std::string("\xff\xff\xff", 3));
  EXPECT_EQ(RetryDelayOf(garbage), std::nullopt);
  EXPECT_EQ(FromGrpcStatus(garbage), absl::UnavailableError("down"));
}

}  // namespace
}  // namespace shopstream
