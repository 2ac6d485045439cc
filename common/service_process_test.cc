// A server as every shopstream binary starts it: the interceptor counts
// each call, reflection lists the services, and the health service follows
// what HealthReporter is told.
#include "common/service_process.h"

#include <grpcpp/generic/generic_stub.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "common/health_reporter.h"
#include "common/metrics.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "shopstream/v1/ingest.grpc.pb.h"

namespace shopstream {
namespace {

using ::testing::HasSubstr;

// The value of a counter series as the registry exposes it; -1 if absent.
double CounterValue(const std::string& name,
                    const std::map<std::string, std::string>& labels) {
  for (const auto& family : MetricsRegistry().Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      std::map<std::string, std::string> got;
      for (const auto& label : metric.label) got[label.name] = label.value;
      bool match = true;
      for (const auto& [k, v] : labels) match = match && got[k] == v;
      if (match) return metric.counter.value;
    }
  }
  return -1;
}

class ServiceProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = StartGrpcServer("127.0.0.1:0", {&service_});
    ASSERT_NE(server_, nullptr);
    channel_ = server_->InProcessChannel(grpc::ChannelArguments());
  }
  void TearDown() override { server_->Shutdown(); }

  grpc::health::v1::HealthCheckResponse::ServingStatus Health(
      const std::string& service) {
    auto stub = grpc::health::v1::Health::NewStub(channel_);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    if (!stub->Check(&context, request, &response).ok()) {
      return grpc::health::v1::HealthCheckResponse::UNKNOWN;
    }
    return response.status();
  }

  // Any service will do; its methods answer UNIMPLEMENTED.
  v1::IngestService::CallbackService service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(ServiceProcessTest, EveryCallIsCountedByTheInterceptor) {
  const std::map<std::string, std::string> ok = {
      {"service", "grpc.health.v1.Health"},
      {"method", "Check"},
      {"code", "OK"}};
  const double before =
      std::max(0.0, CounterValue("shopstream_grpc_server_requests_total", ok));
  EXPECT_EQ(Health(""), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(Health(""), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(CounterValue("shopstream_grpc_server_requests_total", ok),
            before + 2);
  // An unknown service is answered NOT_FOUND, and counted as such.
  Health("no.such.Service");
  EXPECT_GE(CounterValue("shopstream_grpc_server_requests_total",
                         {{"service", "grpc.health.v1.Health"},
                          {"method", "Check"},
                          {"code", "NOT_FOUND"}}),
            1);
}

// Asks the reflection service to list the services, with the request and
// response as raw bytes: the reflection protocol's generated code lives in
// gRPC's reflection library, which this binary links for the server side.
class ListServices final
    : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  explicit ListServices(grpc::GenericStub* stub) {
    context_.set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(10));
    // ServerReflectionRequest{list_services: ""}: field 7, length 0.
    const std::string request("\x3a\x00", 2);
    grpc::Slice slice(request);
    request_ = grpc::ByteBuffer(&slice, 1);
    stub->PrepareBidiStreamingCall(
        &context_,
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        grpc::StubOptions(), this);
    StartWrite(&request_);
    StartRead(&response_);
    StartCall();
  }
  void OnWriteDone(bool) override { StartWritesDone(); }
  void OnReadDone(bool ok) override {
    if (ok) {
      std::vector<grpc::Slice> slices;
      if (response_.Dump(&slices).ok()) {
        for (const auto& s : slices)
          text_.append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
    }
  }
  void OnDone(const grpc::Status& status) override {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = status;
    done_ = true;
    cv_.notify_all();
  }
  std::string Await() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return done_; });
    return status_.ok() ? text_ : "error: " + status_.error_message();
  }

 private:
  grpc::ClientContext context_;
  grpc::ByteBuffer request_, response_;
  std::string text_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  grpc::Status status_;
};

TEST_F(ServiceProcessTest, ReflectionListsTheServices) {
  grpc::GenericStub stub(channel_);
  ListServices call(&stub);
  const std::string answer = call.Await();
  EXPECT_THAT(answer, HasSubstr("shopstream.v1.IngestService"));
  EXPECT_THAT(answer, HasSubstr("grpc.health.v1.Health"));
}

TEST_F(ServiceProcessTest, HealthFollowsTheDependencyCheck) {
  FakeClock clock;
  std::atomic<bool> reachable{false};
  constexpr absl::Duration kInterval = absl::Minutes(1);
  HealthReporter reporter(
      server_.get(), {"shopstream.test.Echo"},
      [&] {
        return reachable ? absl::OkStatus()
                         : absl::UnavailableError("dependency down");
      },
      kInterval, clock);
  using Status = grpc::health::v1::HealthCheckResponse;
  // The first round reports at once, then waits for the clock.
  ASSERT_TRUE(clock.AwaitWaiters(1));
  EXPECT_EQ(Health(""), Status::NOT_SERVING);
  EXPECT_EQ(Health("shopstream.test.Echo"), Status::NOT_SERVING);
  EXPECT_EQ(ServingGauge().Value(), 0);
  reachable = true;
  ASSERT_TRUE(clock.AdvanceRound(kInterval));
  EXPECT_EQ(Health(""), Status::SERVING);
  EXPECT_EQ(Health("shopstream.test.Echo"), Status::SERVING);
  EXPECT_EQ(ServingGauge().Value(), 1);
  reachable = false;
  ASSERT_TRUE(clock.AdvanceRound(kInterval));
  EXPECT_EQ(Health("shopstream.test.Echo"), Status::NOT_SERVING);
}

}  // namespace
}  // namespace shopstream
