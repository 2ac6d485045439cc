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
  using Done = std::function<void(const grpc::Status& status,
                                  std::string response)>;

  explicit MultiplexedBackend(std::shared_ptr<grpc::Channel> channel);
  ~MultiplexedBackend();  // Stop()s

  void Start();
  // Fails what is still waiting with UNAVAILABLE and closes the stream.
  void Stop();

  bool Ready() const;

  // `done` runs exactly once, on a thread of this class: with the backend's
  // answer, DEADLINE_EXCEEDED once `deadline` passes, or UNAVAILABLE when
  // the stream breaks first.
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
  void ExpireOverdue(absl::Time now);
  void FailAll(const grpc::Status& status);

  const std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<internal::v1::CallMultiplexer::Stub> stub_;

  mutable absl::Mutex mu_;
  std::deque<PendingCall> queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, PendingCall> in_flight_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  bool stream_broken_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_sweep_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time last_write_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();

  std::thread connection_thread_;
};

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_MULTIPLEXED_BACKEND_H_
