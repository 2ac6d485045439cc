#include "gateway/multiplexed_backend.h"

#include <algorithm>
#include <vector>

#include "absl/time/clock.h"
#include "common/call_multiplexer_service.h"
#include "common/log.h"

namespace shopstream::gateway {

using internal::v1::CallBatch;
using internal::v1::ResultBatch;

namespace {

// Calls per stream message; more wait for the next one.
constexpr int kMaxCallsPerMessage = 1000;
// How often calls in flight are checked against their deadlines.
constexpr absl::Duration kSweepInterval = absl::Milliseconds(100);
// When fewer calls wait and the last message left less than kLinger ago,
// the sender waits out the rest of kLinger: every message costs thread
// hand-offs on both ends, and under load a short wait buys far fewer
// messages, while under light load nothing waits.
constexpr size_t kLingerCalls = 64;
constexpr absl::Duration kLinger = absl::Microseconds(2000);

}  // namespace

MultiplexedBackend::MultiplexedBackend(std::shared_ptr<grpc::Channel> channel,
                                       size_t max_queued_calls)
    : channel_(std::move(channel)),
      stub_(internal::v1::CallMultiplexer::NewStub(channel_)),
      max_queued_calls_(max_queued_calls) {}

MultiplexedBackend::~MultiplexedBackend() { Stop(); }

void MultiplexedBackend::Start() {
  connection_thread_ = std::thread([this] { ConnectionLoop(); });
  sweep_thread_ = std::thread([this] { SweepLoop(); });
}

void MultiplexedBackend::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (open_context_ != nullptr) open_context_->TryCancel();
  }
  if (connection_thread_.joinable()) connection_thread_.join();
  if (sweep_thread_.joinable()) sweep_thread_.join();
  FailAll(grpc::Status(grpc::StatusCode::UNAVAILABLE, "gateway is stopping"));
}

bool MultiplexedBackend::Ready() const {
  absl::MutexLock lock(&mu_);
  return connected_ && !stream_broken_ && !stopping_;
}

void MultiplexedBackend::Call(std::string method, std::string request,
                              std::map<std::string, std::string> metadata,
                              absl::Time deadline, Done done) {
  {
    absl::MutexLock lock(&mu_);
    if (connected_ && !stream_broken_ && !stopping_ &&
        queue_.size() < max_queued_calls_) {
      queue_.push_back({next_id_++, std::move(method), std::move(request),
                        std::move(metadata), deadline, std::move(done)});
      return;
    }
  }
  // Also when the backend does not keep up: the caller retries later.
  done(grpc::Status(grpc::StatusCode::UNAVAILABLE, "backend unavailable"), "");
}

void MultiplexedBackend::ConnectionLoop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    if (!channel_->WaitForConnected(std::chrono::system_clock::now() +
                                    std::chrono::milliseconds(200))) {
      continue;
    }
    grpc::ClientContext context;
    context.set_wait_for_ready(false);
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      open_context_ = &context;
    }
    std::unique_ptr<Stream> stream = stub_->Calls(&context);
    // Only a stream the backend has opened takes calls: one without the
    // service ends at once with UNIMPLEMENTED.
    stream->WaitForInitialMetadata();
    if (context.GetServerInitialMetadata().count(kMultiplexerReadyKey) > 0) {
      {
        absl::MutexLock lock(&mu_);
        connected_ = true;
        stream_broken_ = false;
      }
      ServeStream(context, *stream);
    }
    const grpc::Status status = stream->Finish();
    {
      absl::MutexLock lock(&mu_);
      connected_ = false;
      open_context_ = nullptr;
      if (stopping_) return;
    }
    if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      // Not offered by this backend: plain unary calls it is, for good.
      LogInfo("backend has no call multiplexer; using unary calls");
      return;
    }
    LogWarning("multiplexed stream closed; reconnecting",
               {{"error", status.error_message()}});
    // A refused service token stays refused until the configuration is
    // mended; unary calls serve meanwhile, and the log stays readable.
    absl::SleepFor(status.error_code() == grpc::StatusCode::UNAUTHENTICATED
                       ? absl::Seconds(5)
                       : absl::Milliseconds(100));
  }
}

void MultiplexedBackend::ServeStream(grpc::ClientContext& context,
                                     Stream& stream) {
  std::thread reader([this, &stream] { ReadResults(&stream); });
  while (true) {
    CallBatch batch;
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(
          absl::Condition(
              +[](MultiplexedBackend* b) ABSL_EXCLUSIVE_LOCKS_REQUIRED(b->mu_) {
                return !b->queue_.empty() || b->stream_broken_ || b->stopping_;
              },
              this),
          kSweepInterval);
      // Linger only when messages follow each other closely (see kLinger).
      const absl::Time send_at = last_write_ + kLinger;
      if (!queue_.empty() && queue_.size() < kLingerCalls &&
          absl::Now() < send_at) {
        mu_.AwaitWithTimeout(
            absl::Condition(
                +[](MultiplexedBackend* b)
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(b->mu_) {
                       return b->queue_.size() >= kLingerCalls ||
                              b->stream_broken_ || b->stopping_;
                     },
                this),
            send_at - absl::Now());
      }
      if (!queue_.empty()) last_write_ = absl::Now();
      if (stream_broken_ || stopping_) break;
      while (!queue_.empty() && batch.calls_size() < kMaxCallsPerMessage) {
        PendingCall& call = queue_.front();
        auto* out = batch.add_calls();
        out->set_id(call.id);
        out->set_method(std::move(call.method));
        out->set_request(std::move(call.request));
        out->mutable_metadata()->insert(call.metadata.begin(),
                                        call.metadata.end());
        const uint64_t id = call.id;
        in_flight_.emplace(id, std::move(call));
        queue_.pop_front();
      }
    }
    if (batch.calls_size() > 0 && !stream.Write(batch)) {
      absl::MutexLock lock(&mu_);
      stream_broken_ = true;
      break;
    }
  }
  context.TryCancel();
  reader.join();
  FailAll(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                       "lost the backend stream before an answer"));
}

void MultiplexedBackend::ReadResults(Stream* stream) {
  ResultBatch batch;
  while (stream->Read(&batch)) {
    std::vector<std::pair<PendingCall, internal::v1::Result*>> answered;
    {
      absl::MutexLock lock(&mu_);
      for (auto& result : *batch.mutable_results()) {
        auto it = in_flight_.find(result.id());
        if (it == in_flight_.end()) continue;  // expired already
        answered.emplace_back(std::move(it->second), &result);
        in_flight_.erase(it);
      }
    }
    for (auto& [call, result] : answered) {
      call.done(grpc::Status(static_cast<grpc::StatusCode>(result->code()),
                             result->message(), result->details()),
                std::move(*result->mutable_response()));
    }
  }
  absl::MutexLock lock(&mu_);
  stream_broken_ = true;
}

void MultiplexedBackend::SweepLoop() {
  absl::MutexLock lock(&mu_);
  while (!mu_.AwaitWithTimeout(absl::Condition(&stopping_), kSweepInterval)) {
    ExpireOverdue(absl::Now());
  }
}

void MultiplexedBackend::ExpireOverdue(absl::Time now) {
  std::vector<Done> expired;
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    if (it->second.deadline <= now) {
      expired.push_back(std::move(it->second.done));
      in_flight_.erase(it++);
    } else {
      ++it;
    }
  }
  // Calls not yet sent expire too: the writer may be stuck.
  if (std::any_of(queue_.begin(), queue_.end(), [now](const PendingCall& call) {
        return call.deadline <= now;
      })) {
    std::deque<PendingCall> waiting;
    for (PendingCall& call : queue_) {
      if (call.deadline <= now) {
        expired.push_back(std::move(call.done));
      } else {
        waiting.push_back(std::move(call));
      }
    }
    queue_.swap(waiting);
  }
  // Called under the lock; the callbacks only post to the HTTP threads.
  for (auto& done : expired) {
    done(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                      "backend did not answer in time"),
         "");
  }
}

void MultiplexedBackend::FailAll(const grpc::Status& status) {
  std::vector<Done> failed;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, call] : in_flight_) failed.push_back(std::move(call.done));
    in_flight_.clear();
    for (auto& call : queue_) failed.push_back(std::move(call.done));
    queue_.clear();
  }
  for (auto& done : failed) done(status, "");
}

}  // namespace shopstream::gateway
