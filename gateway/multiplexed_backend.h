#ifndef SHOPSTREAM_GATEWAY_MULTIPLEXED_BACKEND_H_
#define SHOPSTREAM_GATEWAY_MULTIPLEXED_BACKEND_H_

#include <grpcpp/grpcpp.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "shopstream/internal/v1/multiplex.grpc.pb.h"

namespace shopstream::gateway {

// Carries unary calls to one backend over a CallMultiplexer stream: what
// waits while a message is being written goes out together in the next one,
// so a busy gateway pays per message, not per call. While no stream is open
// (backend down or starting, or not offering the multiplexer) Ready() is
// false and callers make plain unary calls instead.
class MultiplexedBackend {
 public:
  using Done =
      std::function<void(const grpc::Status& status, std::string response)>;

  // At most `max_queued_calls` wait to be sent; more are answered
  // UNAVAILABLE at once, so a backend that stops reading cannot grow the
  // gateway without bound.
  explicit MultiplexedBackend(std::shared_ptr<grpc::Channel> channel,
                              size_t max_queued_calls = 10000);
  ~MultiplexedBackend();  // Stop()s

  void Start();
  // Fails what is still waiting with UNAVAILABLE and closes the stream.
  void Stop();

  bool Ready() const;

  // `done` runs exactly once, on a thread of this class: with the backend's
  // answer, DEADLINE_EXCEEDED once `deadline` passes (also while the stream
  // is stalled), or UNAVAILABLE when the stream breaks first or too many
  // calls wait.
  void Call(std::string method, std::string request,
            std::map<std::string, std::string> metadata, absl::Time deadline,
            Done done);

 private:
  struct PendingCall {
    uint64_t id = 0;
    std::string method;
    std::string request;
    std::map<std::string, std::string> metadata;
    absl::Time deadline;
    Done done;
  };
  using Stream = grpc::ClientReaderWriter<internal::v1::CallBatch,
                                          internal::v1::ResultBatch>;

  void ConnectionLoop();
  void ServeStream(grpc::ClientContext& context, Stream& stream);
  void ReadResults(Stream* stream);
  // Deadlines are kept on a thread of their own: the writer may be blocked
  // in a write to a backend that has stopped reading.
  void SweepLoop();
  void ExpireOverdue(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FailAll(const grpc::Status& status);

  const std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<internal::v1::CallMultiplexer::Stub> stub_;
  const size_t max_queued_calls_;

  mutable absl::Mutex mu_;
  std::deque<PendingCall> queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, PendingCall> in_flight_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  bool stream_broken_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // The stream's context while one is open, so Stop can cancel a write or
  // wait that a stalled backend would never end.
  grpc::ClientContext* open_context_ ABSL_GUARDED_BY(mu_) = nullptr;
  absl::Time last_write_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();

  std::thread connection_thread_;
  std::thread sweep_thread_;
};

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_MULTIPLEXED_BACKEND_H_
