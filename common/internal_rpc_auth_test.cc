#include "common/internal_rpc_auth.h"

#include <grpcpp/grpcpp.h>

#include <fstream>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "shopstream/internal/v1/pipeline.grpc.pb.h"
#include "shopstream/v1/ingest.grpc.pb.h"

ABSL_DECLARE_FLAG(std::string, tls_client_ca_file);

namespace shopstream {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "0123456789abcdef0123456789abcdef-token";

std::string WriteFile(const std::string& name, const std::string& content) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/", name);
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST(ServiceTokenTest, FileIsReadWithoutItsTrailingNewline) {
  auto token = ReadServiceToken(WriteFile("token", absl::StrCat(kToken, "\n")));
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(*token, kToken);
}

TEST(ServiceTokenTest, AMissingFileOrAShortTokenIsRefusedNamingTheFlag) {
  auto missing = ReadServiceToken("/nonexistent/shopstream-token");
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("--service_token_file"));
  auto short_token = ReadServiceToken(WriteFile("short", "secret\n"));
  EXPECT_THAT(std::string(short_token.status().message()),
              HasSubstr("--service_token_file"));
  auto spaced = ReadServiceToken(
      WriteFile("spaced", "0123456789abcdef 0123456789abcdef"));
  EXPECT_FALSE(spaced.ok());
}

TEST(ServiceTokenTest, TokensAreEqualOnlyWhenEveryByteIs) {
  EXPECT_TRUE(TokensEqual(kToken, kToken));
  std::string last = kToken;
  last.back() = 'X';
  EXPECT_FALSE(TokensEqual(kToken, last));
  EXPECT_FALSE(TokensEqual(kToken, std::string(kToken) + "x"));
  EXPECT_FALSE(TokensEqual(kToken, std::string(kToken).substr(1)));
  EXPECT_FALSE(TokensEqual(kToken, ""));
}

TEST(InternalRpcGateTest, WithoutTokenCertificatesOrOptOutNothingStarts) {
  absl::FlagSaver saver;
  absl::SetFlag(&FLAGS_service_token_file, "");
  absl::SetFlag(&FLAGS_tls_client_ca_file, "");
  absl::SetFlag(&FLAGS_allow_unauthenticated_internal_rpcs, false);
  auto gate = InternalRpcGate::FromFlags();
  EXPECT_FALSE(gate.ok());
  EXPECT_THAT(std::string(gate.status().message()),
              HasSubstr("--service_token_file"));
  auto token = ServiceTokenForClientFromFlags();
  EXPECT_FALSE(token.ok());
  EXPECT_THAT(std::string(token.status().message()),
              HasSubstr("--allow_unauthenticated_internal_rpcs"));

  absl::SetFlag(&FLAGS_allow_unauthenticated_internal_rpcs, true);
  EXPECT_TRUE(InternalRpcGate::FromFlags().ok());
  EXPECT_TRUE(ServiceTokenForClientFromFlags().ok());

  absl::SetFlag(&FLAGS_allow_unauthenticated_internal_rpcs, false);
  absl::SetFlag(&FLAGS_tls_client_ca_file, "/etc/shopstream/tls/ca.crt");
  EXPECT_TRUE(InternalRpcGate::FromFlags().ok());
}

// An internal stream that opens only for callers its gate admits, saying so
// with initial metadata, and ends when the caller stops sending.
class GatedPipeline final
    : public internal::v1::EventPipeline::CallbackService {
 public:
  static constexpr char kOpenKey[] = "gated-stream-open";

  explicit GatedPipeline(InternalRpcGate gate) : gate_(std::move(gate)) {}

  grpc::ServerBidiReactor<internal::v1::PublishRequest,
                          internal::v1::PublishAck>*
  Publish(grpc::CallbackServerContext* context) override {
    return new Stream(context, gate_.Admit(*context));
  }

 private:
  class Stream final
      : public grpc::ServerBidiReactor<internal::v1::PublishRequest,
                                       internal::v1::PublishAck> {
   public:
    Stream(grpc::CallbackServerContext* context, const grpc::Status& admitted) {
      if (!admitted.ok()) {
        Finish(admitted);
        return;
      }
      context->AddInitialMetadata(kOpenKey, "1");
      StartSendInitialMetadata();
      StartRead(&request_);
    }
    void OnReadDone(bool ok) override {
      if (ok) {
        StartRead(&request_);
      } else {
        Finish(grpc::Status::OK);
      }
    }
    void OnDone() override { delete this; }

   private:
    internal::v1::PublishRequest request_;
  };

  const InternalRpcGate gate_;
};

// Records whether a public call arrived with the service token.
class PublicService final : public v1::IngestService::Service {
 public:
  grpc::Status Health(grpc::ServerContext* context, const v1::HealthRequest*,
                      v1::HealthResponse*) override {
    saw_token_ = context->client_metadata().count(kServiceTokenMetadataKey) > 0;
    return grpc::Status::OK;
  }
  bool saw_token() const { return saw_token_; }

 private:
  bool saw_token_ = false;
};

class GateOverGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(&pipeline_);
    builder.RegisterService(&public_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override { server_->Shutdown(); }

  std::shared_ptr<grpc::Channel> Channel(const std::string& token) {
    return CreateInternalRpcChannel(absl::StrCat("127.0.0.1:", port_),
                                    grpc::InsecureChannelCredentials(),
                                    grpc::ChannelArguments(), token);
  }

  // The status an internal stream ends with, or OK once it opened.
  grpc::Status OpenStream(const std::shared_ptr<grpc::Channel>& channel) {
    auto stub = internal::v1::EventPipeline::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    auto stream = stub->Publish(&context);
    stream->WaitForInitialMetadata();
    const bool opened =
        context.GetServerInitialMetadata().count(GatedPipeline::kOpenKey) > 0;
    stream->WritesDone();
    grpc::Status status = stream->Finish();
    return opened && status.ok() ? grpc::Status::OK : status;
  }

  GatedPipeline pipeline_{InternalRpcGate::RequireToken(kToken)};
  PublicService public_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

TEST_F(GateOverGrpcTest, OnlyTheRightTokenOpensAnInternalStream) {
  const grpc::Status none = OpenStream(Channel(""));
  EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(none.error_message(), HasSubstr(kServiceTokenMetadataKey));

  const grpc::Status wrong =
      OpenStream(Channel("not-the-token-but-long-enough-to-pass-32"));
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(wrong.error_message(), Not(HasSubstr(kToken)));

  EXPECT_TRUE(OpenStream(Channel(kToken)).ok());
}

TEST_F(GateOverGrpcTest, PublicCallsOnTheSameChannelDoNotCarryTheToken) {
  auto stub = v1::IngestService::NewStub(Channel(kToken));
  grpc::ClientContext context;
  v1::HealthResponse response;
  ASSERT_TRUE(stub->Health(&context, v1::HealthRequest(), &response).ok());
  EXPECT_FALSE(public_.saw_token());
}

}  // namespace
}  // namespace shopstream
