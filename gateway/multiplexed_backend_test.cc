#include "gateway/multiplexed_backend.h"

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/call_multiplexer_service.h"
#include "common/keepalive.h"
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

// A TCP relay to a backend that can go silent: its connections stay open
// but carry nothing either way, as when the backend's host vanishes
// without a reset.
class SilenceableRelay {
 public:
  explicit SilenceableRelay(int backend_port) : backend_port_(backend_port) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address = Loopback(0);
    bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    listen(listener_, 16);
    socklen_t length = sizeof(address);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    threads_.emplace_back([this] { AcceptLoop(); });
  }
  ~SilenceableRelay() {
    stopping_ = true;
    shutdown(listener_, SHUT_RDWR);
    for (std::thread& t : threads_) t.join();
    close(listener_);
  }
  int port() const { return port_; }
  void Silence() { silent_ = true; }

 private:
  static sockaddr_in Loopback(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
  }
  void AcceptLoop() {
    while (!stopping_) {
      pollfd ready{listener_, POLLIN, 0};
      if (poll(&ready, 1, 50) <= 0) continue;
      const int client = accept(listener_, nullptr, nullptr);
      if (client < 0) continue;
      const int backend = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address = Loopback(backend_port_);
      if (connect(backend, reinterpret_cast<sockaddr*>(&address),
                  sizeof(address)) != 0) {
        close(client);
        close(backend);
        continue;
      }
      threads_.emplace_back(
          [this, client, backend] { Relay(client, backend); });
    }
  }
  void Relay(int a, int b) {
    char buffer[16384];
    while (!stopping_) {
      if (silent_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
      if (poll(fds, 2, 50) <= 0) continue;
      bool closed = false;
      for (int i = 0; i < 2 && !closed; ++i) {
        if (fds[i].revents == 0) continue;
        const ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
        closed = n <= 0 || write(fds[1 - i].fd, buffer, n) != n;
      }
      if (closed) break;
    }
    close(a);
    close(b);
  }

  const int backend_port_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> silent_{false};
  std::vector<std::thread> threads_;  // joined only from the destructor
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

// `service` on a free loopback port; `configure` adds to the builder.
std::unique_ptr<grpc::Server> StartServer(
    StalledMultiplexer& service, int& port,
    const std::function<void(grpc::ServerBuilder&)>& configure = nullptr) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&service);
  if (configure) configure(builder);
  return builder.BuildAndStart();
}

bool AwaitReady(const MultiplexedBackend& backend) {
  for (int i = 0; i < 500 && !backend.Ready(); ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  return backend.Ready();
}

// Stop must not wait for the backend; a hang fails the test rather than
// holding it.
bool StopsInTime(MultiplexedBackend& backend, StalledMultiplexer& service) {
  auto stopped = std::async(std::launch::async, [&] { backend.Stop(); });
  const bool in_time =
      stopped.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  service.Release();
  stopped.wait();
  return in_time;
}

TEST(MultiplexedBackendTest, CallsToAStalledBackendExpireAndStopReturns) {
  StalledMultiplexer service;
  int port = 0;
  std::unique_ptr<grpc::Server> server = StartServer(service, port);
  ASSERT_NE(server, nullptr);
  auto backend = std::make_unique<MultiplexedBackend>(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                          grpc::InsecureChannelCredentials()),
      /*max_queued_calls=*/10);
  backend->Start();
  ASSERT_TRUE(AwaitReady(*backend));

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

  // Stop cancels the stream the writer is stuck on.
  EXPECT_TRUE(StopsInTime(*backend, service))
      << "Stop() waited for a stalled backend";
  server->Shutdown();
}

TEST(MultiplexedBackendTest, KeepaliveNoticesABackendThatWentSilent) {
  StalledMultiplexer service;
  int port = 0;
  std::unique_ptr<grpc::Server> server =
      StartServer(service, port, [](grpc::ServerBuilder& builder) {
        AllowClientKeepalive(builder, absl::Milliseconds(100));
      });
  ASSERT_NE(server, nullptr);
  auto relay = std::make_unique<SilenceableRelay>(port);

  // The gateway's channel settings, with times short enough for a test.
  grpc::ChannelArguments args;
  SetClientKeepalive(args, {.time = absl::Milliseconds(300),
                            .timeout = absl::Milliseconds(300)});
  auto backend = std::make_unique<MultiplexedBackend>(
      grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(relay->port()),
                                grpc::InsecureChannelCredentials(), args));
  backend->Start();
  ASSERT_TRUE(AwaitReady(*backend));

  // While the backend answers, pings keep the idle stream open: the server
  // accepts them, no GOAWAY.
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(backend->Ready()) << "stream dropped at " << i * 20 << " ms";
    absl::SleepFor(absl::Milliseconds(20));
  }

  // Silent: unanswered pings end the stream within about 600 ms, where TCP
  // alone would take minutes. Calls then go by the unary path instead.
  relay->Silence();
  bool noticed = false;
  for (int i = 0; i < 500 && !noticed; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
    noticed = !backend->Ready();
  }
  EXPECT_TRUE(noticed) << "the stream to a silent backend stayed open";

  EXPECT_TRUE(StopsInTime(*backend, service));
  // The server's side of the silent connection waits on it until closed.
  relay.reset();
  server->Shutdown();
}

}  // namespace
}  // namespace shopstream::gateway
