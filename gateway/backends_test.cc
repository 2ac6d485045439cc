// How the gateway's backend calls travel: single events on ingest's
// EventIngress stream while it is open, everything else (and single events
// while it is not) as unary calls; either way the same REST answer.
#include "gateway/backends.h"

#include <grpcpp/grpcpp.h>

#include <variant>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/grpc_status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rpc_stream/answering_reactor.h"
#include "shopstream/internal/v1/ingress.grpc.pb.h"
#include "shopstream/v1/analytics.grpc.pb.h"
#include "shopstream/v1/ingest.grpc.pb.h"

namespace shopstream::gateway {
namespace {

using internal::v1::ForwardRequest;
using internal::v1::ForwardResponse;

constexpr char kEvent[] =
    R"({"event_type":"page_view","timestamp":"2025-10-02T10:30:00Z"})";
constexpr char kLimited[] =
    R"({"event_type":"limited","timestamp":"2025-10-02T10:30:00Z"})";
constexpr char kBroken[] =
    R"({"event_type":"broken","timestamp":"2025-10-02T10:30:00Z"})";

// What reached the fake ingest, and how.
struct Seen {
  std::string how;  // "stream" or "unary"
  std::string event_type;
  std::string request_id;
  std::string authorization;
};

class Recorder {
 public:
  void Add(Seen seen) {
    absl::MutexLock lock(&mu_);
    seen_.push_back(std::move(seen));
  }
  std::vector<Seen> seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  absl::Mutex mu_;
  std::vector<Seen> seen_ ABSL_GUARDED_BY(mu_);
};

// "limited" events are refused with a retry delay, the rest accepted.
absl::Status Outcome(const v1::IngestRequest& request,
                     v1::IngestResponse* response) {
  if (request.event().event_type() == "limited") {
    return WithRetryDelay(absl::ResourceExhaustedError("rate limit exceeded"),
                          absl::Seconds(3));
  }
  if (request.event().event_type() == "broken") {
    return absl::InternalError("connection to server at 10.0.0.5 failed");
  }
  response->mutable_acceptance()->set_status("accepted");
  response->set_event_id("event-1");
  return absl::OkStatus();
}

class FakeIngest final : public v1::IngestService::Service {
 public:
  explicit FakeIngest(Recorder* recorder) : recorder_(recorder) {}
  grpc::Status Ingest(grpc::ServerContext* context,
                      const v1::IngestRequest* request,
                      v1::IngestResponse* response) override {
    auto value = [context](const char* key) {
      auto it = context->client_metadata().find(key);
      return it == context->client_metadata().end()
                 ? std::string()
                 : std::string(it->second.data(), it->second.size());
    };
    recorder_->Add({"unary", request->event().event_type(),
                    value("x-request-id"), value("authorization")});
    return ToGrpcStatus(Outcome(*request, response));
  }
  grpc::Status IngestBatch(grpc::ServerContext*,
                           const v1::IngestBatchRequest* request,
                           v1::IngestBatchResponse* response) override {
    recorder_->Add({"unary", "batch", "", ""});
    response->set_accepted(request->events_size());
    return grpc::Status::OK;
  }

 private:
  Recorder* recorder_;
};

class FakeIngressReactor final
    : public rpc_stream::AnsweringReactor<ForwardRequest, ForwardResponse> {
 public:
  FakeIngressReactor(Recorder* recorder, grpc::CallbackServerContext* context,
                     rpc_stream::OpenStreams* streams)
      : AnsweringReactor(context, streams, 1000, /*coalesce=*/true),
        recorder_(recorder) {
    Open(InternalRpcGate::AdmitAll());
  }

 private:
  int64_t Units(const ForwardRequest& request) const override {
    return request.items_size();
  }
  void OnMessage(ForwardRequest& request) override {
    for (const auto& item : request.items()) {
      recorder_->Add({"stream", item.request().event().event_type(),
                      item.request_id(), item.authorization()});
      internal::v1::ForwardResult result;
      result.set_id(item.id());
      const grpc::Status status =
          ToGrpcStatus(Outcome(item.request(), result.mutable_response()));
      if (!status.ok()) {
        result.clear_response();
        result.set_code(status.error_code());
        result.set_message(status.error_message());
        result.set_details(status.error_details());
      }
      Answer(1, [&](ForwardResponse& response) {
        *response.add_results() = std::move(result);
      });
    }
  }

  Recorder* recorder_;
};

class FakeIngress final : public internal::v1::EventIngress::CallbackService {
 public:
  explicit FakeIngress(Recorder* recorder) : recorder_(recorder) {}
  grpc::ServerBidiReactor<ForwardRequest, ForwardResponse>* Forward(
      grpc::CallbackServerContext* context) override {
    return new FakeIngressReactor(recorder_, context, &streams_);
  }

 private:
  Recorder* recorder_;
  rpc_stream::OpenStreams streams_;
};

class BackendsTest : public ::testing::Test {
 protected:
  // A fake ingest (and query target) that offers the stream or not.
  void StartIngest(bool with_stream) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(&ingest_);
    if (with_stream) builder.RegisterService(&ingress_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    // Named through their generated code, which links their descriptors in.
    absl::StatusOr<RouteTable> routes =
        RouteTable::Build({v1::IngestRequest::descriptor()
                               ->file()
                               ->FindServiceByName("IngestService")
                               ->full_name(),
                           v1::GetSummaryRequest::descriptor()
                               ->file()
                               ->FindServiceByName("AnalyticsService")
                               ->full_name()});
    ASSERT_TRUE(routes.ok()) << routes.status();
    transcoder_ = std::make_unique<RestTranscoder>(*std::move(routes));
    const std::string target = "127.0.0.1:" + std::to_string(port_);
    absl::StatusOr<std::unique_ptr<Backends>> backends = Backends::Connect(
        {.targets = {{"shopstream.v1.IngestService", target},
                     {"shopstream.v1.AnalyticsService", target}}},
        transcoder_.get());
    ASSERT_TRUE(backends.ok()) << backends.status();
    backends_ = *std::move(backends);
  }
  void TearDown() override {
    if (backends_ != nullptr) backends_->Stop();
    if (server_ != nullptr) server_->Shutdown();
  }

  bool AwaitStream() {
    for (int i = 0; i < 1500 && !backends_->IngestStreamReady(); ++i) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    return backends_->IngestStreamReady();
  }

  // The REST answer to one request through Backends::Call.
  RestResponse Post(const std::string& target, const std::string& body) {
    auto transcoded = transcoder_->TranscodeRequest(
        {"POST", target, body, "application/json"});
    EXPECT_TRUE(std::holds_alternative<BackendRequest>(transcoded));
    RestResponse answer;
    absl::Notification done;
    // As the gateway's event loop does at the end of its turn.
    if (backends_->Call(std::get<BackendRequest>(std::move(transcoded)),
                        {"req-1", "Bearer key-1"},
                        [&answer, &done](RestResponse response) {
                          answer = std::move(response);
                          done.Notify();
                        })) {
      backends_->FlushIngestStream();
    }
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
    return answer;
  }

  Recorder recorder_;
  FakeIngest ingest_{&recorder_};
  FakeIngress ingress_{&recorder_};
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<RestTranscoder> transcoder_;
  std::unique_ptr<Backends> backends_;
};

std::string Hows(const std::vector<Seen>& seen) {
  std::string hows;
  for (const Seen& s : seen) hows += s.how + " " + s.event_type + ";";
  return hows;
}

TEST_F(BackendsTest, SingleEventsGoOnTheStreamAndOtherCallsAreUnary) {
  StartIngest(/*with_stream=*/true);
  ASSERT_TRUE(AwaitStream());
  const RestResponse accepted = Post("/v1/events", kEvent);
  EXPECT_EQ(accepted.status, 202);
  EXPECT_EQ(accepted.body, R"({"status":"accepted"})");
  const RestResponse batch =
      Post("/v1/events:batch", std::string("{\"events\":[") + kEvent + "]}");
  EXPECT_EQ(batch.status, 200);
  const std::vector<Seen> seen = recorder_.seen();
  EXPECT_EQ(Hows(seen), "stream page_view;unary batch;");
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen[0].request_id, "req-1");
  EXPECT_EQ(seen[0].authorization, "Bearer key-1");
}

TEST_F(BackendsTest, WithoutTheStreamSingleEventsAreUnaryCalls) {
  StartIngest(/*with_stream=*/false);
  const RestResponse accepted = Post("/v1/events", kEvent);
  EXPECT_EQ(accepted.status, 202);
  EXPECT_EQ(accepted.body, R"({"status":"accepted"})");
  const std::vector<Seen> seen = recorder_.seen();
  EXPECT_EQ(Hows(seen), "unary page_view;");
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen[0].request_id, "req-1");
  EXPECT_EQ(seen[0].authorization, "Bearer key-1");
  EXPECT_FALSE(backends_->IngestStreamReady());
}

TEST_F(BackendsTest, ARefusalOnTheStreamKeepsItsRetryDelay) {
  StartIngest(/*with_stream=*/true);
  ASSERT_TRUE(AwaitStream());
  const RestResponse refused = Post("/v1/events", kLimited);
  EXPECT_EQ(refused.status, 429);
  EXPECT_THAT(refused.body, ::testing::HasSubstr("rate limit exceeded"));
  EXPECT_THAT(refused.headers,
              ::testing::Contains(::testing::Pair("Retry-After", "3")));
  EXPECT_EQ(Hows(recorder_.seen()), "stream limited;");
}

// A failure from below reaches the REST caller as a generic message with
// the request id, on the stream as on a unary call.
void ExpectToldByRequestId(const RestResponse& failed) {
  EXPECT_EQ(failed.status, 500);
  EXPECT_THAT(failed.body, ::testing::HasSubstr("request id req-1"));
  EXPECT_THAT(failed.body, ::testing::Not(::testing::HasSubstr("10.0.0.5")));
}

TEST_F(BackendsTest, AnInternalFailureOnTheStreamIsToldByRequestId) {
  StartIngest(/*with_stream=*/true);
  ASSERT_TRUE(AwaitStream());
  ExpectToldByRequestId(Post("/v1/events", kBroken));
  EXPECT_EQ(Hows(recorder_.seen()), "stream broken;");
}

TEST_F(BackendsTest, AnInternalFailureOfAUnaryCallIsToldByRequestId) {
  StartIngest(/*with_stream=*/false);
  ExpectToldByRequestId(Post("/v1/events", kBroken));
  EXPECT_EQ(Hows(recorder_.seen()), "unary broken;");
}

}  // namespace
}  // namespace shopstream::gateway
