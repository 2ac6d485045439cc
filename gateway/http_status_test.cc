#include "gateway/http_status.h"

#include "gtest/gtest.h"

namespace shopstream::gateway {
namespace {

TEST(HttpStatusTest, MapsClientErrors) {
  EXPECT_EQ(HttpStatusForGrpcCode(grpc::StatusCode::INVALID_ARGUMENT), 400);
  EXPECT_EQ(HttpStatusForGrpcCode(grpc::StatusCode::UNAUTHENTICATED), 401);
  EXPECT_EQ(HttpStatusForGrpcCode(grpc::StatusCode::PERMISSION_DENIED), 403);
  EXPECT_EQ(HttpStatusForGrpcCode(grpc::StatusCode::NOT_FOUND), 404);
  EXPECT_EQ(HttpStatusForGrpcCode(grpc::StatusCode::FAILED_PRECONDITION), 409);
  EXPECT_EQ(HttpStatusForGrpcCode(grpc::StatusCode::RESOURCE_EXHAUSTED), 429);
}

TEST(HttpStatusTest, MapsServerErrors) {
  EXPECT_EQ(HttpStatusForGrpcCode(grpc::StatusCode::UNAVAILABLE), 503);
  EXPECT_EQ(HttpStatusForGrpcCode(grpc::StatusCode::DEADLINE_EXCEEDED), 504);
  EXPECT_EQ(HttpStatusForGrpcCode(grpc::StatusCode::UNIMPLEMENTED), 501);
}

TEST(HttpStatusTest, EverythingElseIsInternalServerError) {
  for (grpc::StatusCode code :
       {grpc::StatusCode::UNKNOWN, grpc::StatusCode::INTERNAL,
        grpc::StatusCode::ALREADY_EXISTS, grpc::StatusCode::ABORTED,
        grpc::StatusCode::OUT_OF_RANGE, grpc::StatusCode::DATA_LOSS,
        grpc::StatusCode::CANCELLED}) {
    EXPECT_EQ(HttpStatusForGrpcCode(code), 500) << code;
  }
}

TEST(HttpStatusTest, OkIsTheRouteSuccessCode) {
  EXPECT_EQ(HttpStatusForGrpcCode(grpc::StatusCode::OK), 200);
  EXPECT_EQ(HttpStatusForGrpcCode(grpc::StatusCode::OK, 202), 202);
}

TEST(HttpStatusTest, AbslCodesMapLikeGrpcCodes) {
  EXPECT_EQ(HttpStatusForStatusCode(absl::StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusForStatusCode(absl::StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusForStatusCode(absl::StatusCode::kOk, 201), 201);
  EXPECT_EQ(HttpStatusForStatusCode(absl::StatusCode::kInternal), 500);
}

}  // namespace
}  // namespace shopstream::gateway
