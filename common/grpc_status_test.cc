#include "common/grpc_status.h"

#include "gtest/gtest.h"

namespace shopstream {
namespace {

TEST(GrpcStatusTest, CodeAndMessageSurviveBothWays) {
  const absl::Status original = absl::InvalidArgumentError("event_type: bad");
  const grpc::Status g = ToGrpcStatus(original);
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(g.error_message(), "event_type: bad");
  EXPECT_EQ(FromGrpcStatus(g), original);
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_EQ(FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "x")).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(ToGrpcStatus(absl::ResourceExhaustedError("full")).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

}  // namespace
}  // namespace shopstream
