#include "gateway/multiplexed_backend.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/call_multiplexer_service.h"
#include "gtest/gtest.h"

namespace shopstream::gateway {
namespace {

// Opens the stream as a multiplexer does, then never reads from it: the
// backend of a host that froze, or of a process stuck in a lookup.
class StalledMultiplexer final : public internal::v1::CallMultiplexer::Service {
 public:
  grpc::Status Calls(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<internal::v1::ResultBatch,
                               internal::v1::CallBatch>* stream) override {
    context->AddInitialMetadata(kMultiplexerReadyKey, "1");
    stream->SendInitialMetadata();
    while (!context->IsCancelled() && !released_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return grpc::Status::OK;
  }
  void Release() { released_ = true; }

 private:
  std::atomic<bool> released_{false};
};

// Answers collected from the backend's threads.
struct Answers {
  absl::Mutex mu;
  std::map<grpc::StatusCode, int> by_code ABSL_GUARDED_BY(mu);
  int total ABSL_GUARDED_BY(mu) = 0;

  MultiplexedBackend::Done Collector() {
    return [this](const grpc::Status& status, std::string) {
      absl::MutexLock lock(&mu);
      ++by_code[status.error_code()];
      ++total;
    };
  }
  bool AwaitTotal(int n, absl::Duration limit) {
    absl::MutexLock lock(&mu);
    auto reached = [this, n]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return total >= n; };
    return mu.AwaitWithTimeout(absl::Condition(&reached), limit);
  }
};

TEST(MultiplexedBackendTest, CallsToAStalledBackendExpireAndStopReturns) {
  StalledMultiplexer service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto backend = std::make_unique<MultiplexedBackend>(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                          grpc::InsecureChannelCredentials()),
      /*max_queued_calls=*/10);
  backend->Start();
  for (int i = 0; i < 500 && !backend->Ready(); ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_TRUE(backend->Ready());

  // 1 MB calls, one at a time, far more than HTTP/2 flow control lets
  // through to a reader that never reads: the writer blocks, and what
  // follows waits in the queue until the queue is full.
  Answers answers;
  constexpr int kCalls = 80;
  const std::string request(1 << 20, 'x');
  for (int i = 0; i < kCalls; ++i) {
    backend->Call("/test.Service/Method", request, {},
                  absl::Now() + absl::Milliseconds(500), answers.Collector());
    absl::SleepFor(absl::Milliseconds(2));
  }
  // Every call is answered, in time, though the writer never gets going.
  ASSERT_TRUE(answers.AwaitTotal(kCalls, absl::Seconds(30)));
  {
    absl::MutexLock lock(&answers.mu);
    EXPECT_EQ(answers.by_code[grpc::StatusCode::OK], 0);
    EXPECT_GT(answers.by_code[grpc::StatusCode::DEADLINE_EXCEEDED], 0);
    // Refused at once once ten waited behind the blocked write.
    EXPECT_GT(answers.by_code[grpc::StatusCode::UNAVAILABLE], 0);
    EXPECT_EQ(answers.by_code[grpc::StatusCode::DEADLINE_EXCEEDED] +
                  answers.by_code[grpc::StatusCode::UNAVAILABLE],
              kCalls);
  }

  // Stop cancels the stream the writer is stuck on instead of waiting for
  // the backend; a hang fails the test rather than holding it.
  auto stopped = std::async(std::launch::async, [&] { backend->Stop(); });
  const bool stopped_in_time =
      stopped.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  service.Release();
  EXPECT_TRUE(stopped_in_time) << "Stop() waited for a stalled backend";
  stopped.wait();
  server->Shutdown();
}

}  // namespace
}  // namespace shopstream::gateway
