#include "common/caller_status.h"

#include <string>

#include "common/grpc_status.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace shopstream {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kDriverError[] =
    "cannot commit to postgres: connection to server at \"10.1.2.3\", port "
    "55433 failed: Connection refused";

TEST(CallerStatusTest, FailuresFromBelowBecomeGenericWithTheRequestId) {
  for (grpc::StatusCode code :
       {grpc::StatusCode::INTERNAL, grpc::StatusCode::UNKNOWN,
        grpc::StatusCode::UNAVAILABLE, grpc::StatusCode::DATA_LOSS}) {
    ::testing::internal::CaptureStderr();
    const grpc::Status told =
        ForCaller(grpc::Status(code, kDriverError), "req-42");
    const std::string log = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(told.error_code(), code);
    EXPECT_THAT(told.error_message(), HasSubstr("request id req-42"));
    EXPECT_THAT(told.error_message(), Not(HasSubstr("10.1.2.3")));
    EXPECT_THAT(told.error_message(), Not(HasSubstr("55433")));
    EXPECT_THAT(told.error_message(), Not(HasSubstr("postgres")));
    // The whole story is in the log, under the same id.
    EXPECT_THAT(log, HasSubstr("req-42"));
    EXPECT_THAT(log, HasSubstr("10.1.2.3"));
  }
}

TEST(CallerStatusTest, TheServicesOwnWordsPass) {
  for (const grpc::Status& status :
       {grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                     "order_amount: required for purchase events"),
        grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "API key required"),
        grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "shop_id: not yours"),
        grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "rate limit"),
        grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded"),
        grpc::Status::OK}) {
    const grpc::Status told = ForCaller(status, "req-1");
    EXPECT_EQ(told.error_code(), status.error_code());
    EXPECT_EQ(told.error_message(), status.error_message());
  }
}

TEST(CallerStatusTest, DetailsStayAndNoLongerRepeatTheMessage) {
  const grpc::Status told =
      ForCaller(ToGrpcStatus(WithRetryDelay(
                    absl::UnavailableError(kDriverError), absl::Seconds(3))),
                "req-7");
  EXPECT_EQ(RetryDelayOf(told), absl::Seconds(3));
  EXPECT_THAT(told.error_details(), Not(HasSubstr("10.1.2.3")));
}

TEST(CallerStatusTest, WithoutARequestIdOneIsMade) {
  const absl::Status told = ForCaller(absl::InternalError(kDriverError), "");
  EXPECT_THAT(told.message(), HasSubstr("request id "));
  EXPECT_THAT(told.message(), Not(HasSubstr("request id )")));
  EXPECT_THAT(told.message(), Not(HasSubstr("10.1.2.3")));
}

TEST(CallerStatusTest, TellingTwiceChangesNothing) {
  const grpc::Status once =
      ForCaller(grpc::Status(grpc::StatusCode::INTERNAL, kDriverError), "r");
  ::testing::internal::CaptureStderr();
  const grpc::Status twice = ForCaller(once, "r");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(twice.error_message(), once.error_message());
}

TEST(CallerStatusTest, WordsMarkedForTheCallerPassAlsoThroughAHop) {
  const absl::Status marked = CallerFacing(
      absl::UnavailableError("report: PDF rendering is not available"),
      "PDF_RENDERING_UNAVAILABLE");
  EXPECT_EQ(ForCaller(marked, "r"), marked);
  // As the gateway sees it: over gRPC, the mark among the details.
  const grpc::Status hop = ForCaller(ToGrpcStatus(marked), "r");
  EXPECT_EQ(hop.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(hop.error_message(), "report: PDF rendering is not available");
  EXPECT_THAT(hop.error_details(), HasSubstr("PDF_RENDERING_UNAVAILABLE"));
  // An ErrorInfo of another domain is no mark.
  google::rpc::ErrorInfo foreign;
  foreign.set_domain("googleapis.com");
  absl::Status other = absl::UnavailableError(kDriverError);
  other.SetPayload("type.googleapis.com/google.rpc.ErrorInfo",
                   absl::Cord(foreign.SerializeAsString()));
  EXPECT_THAT(ForCaller(other, "r").message(), Not(HasSubstr("10.1.2.3")));
}

}  // namespace
}  // namespace shopstream
