#ifndef SHOPSTREAM_RPC_STREAM_ANSWERING_REACTOR_H_
#define SHOPSTREAM_RPC_STREAM_ANSWERING_REACTOR_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_callback.h>

#include <cstdint>
#include <deque>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"
#include "common/internal_rpc_auth.h"
#include "rpc_stream/deferred_writes.h"
#include "rpc_stream/stream_open.h"

namespace shopstream::rpc_stream {

// Something OpenStreams can tell to end.
class EndableStream {
 public:
  virtual ~EndableStream() = default;
  // Ends the stream once everything it took is answered.
  virtual void EndWhenAnswered() = 0;
};

// The streams a service serves. Callers hold such streams open for good,
// so a server that is shutting down would otherwise wait out its whole
// deadline for them.
class OpenStreams {
 public:
  // Ends every open stream once what it took is answered; streams that
  // open afterwards are refused UNAVAILABLE.
  void EndAll();

  // False (and the stream must be refused) once EndAll was called.
  bool Add(EndableStream* stream);
  void Remove(EndableStream* stream);

 private:
  absl::Mutex mu_;
  bool ending_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<EndableStream*> streams_ ABSL_GUARDED_BY(mu_);
};

// The server side of a stream whose messages are answered asynchronously,
// on whatever thread the work ends: reads without waiting for answers (up
// to a bound), and writes the answers one at a time from a queue, those
// that wait while one is written together when `coalesce` allows. Ends
// once the client has stopped sending (or EndAll) and everything taken is
// answered. Admission, by an InternalRpcGate, comes first; an admitted
// stream says so at once with kStreamOpenMetadataKey.
//
// A subclass answers with Answer(); it counts what it owes in units of its
// choosing (Units), and reading pauses while more than `max_unanswered`
// units wait. Deletes itself when gRPC is done with it.
template <typename Request, typename Response>
class AnsweringReactor : public grpc::ServerBidiReactor<Request, Response>,
                         private EndableStream,
                         private DeferredWriter {
 protected:
  AnsweringReactor(grpc::CallbackServerContext* context, OpenStreams* streams,
                   int64_t max_unanswered, bool coalesce)
      : context_(context),
        streams_(streams),
        max_unanswered_(max_unanswered),
        coalesce_(coalesce) {}
  ~AnsweringReactor() override = default;

  // Call once, last thing of the subclass's constructor.
  void Open(const InternalRpcGate& gate) {
    grpc::Status admitted = gate.Admit(*context_);
    if (admitted.ok() && !streams_->Add(this)) {
      admitted = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                              "the server is shutting down; retry");
    } else if (admitted.ok()) {
      registered_ = true;
    }
    absl::MutexLock lock(&mu_);
    if (finished_) return;  // ended by EndAll already
    if (!admitted.ok()) {
      finished_ = true;
      this->Finish(admitted);
      return;
    }
    context_->AddInitialMetadata(kStreamOpenMetadataKey, "1");
    this->StartSendInitialMetadata();
    this->StartRead(&request_);
  }

  // How many units `request` will be answered in.
  virtual int64_t Units(const Request& request) const = 0;
  // Takes `request` (its content may be moved out); Answer follows for
  // each of its units, from any thread, possibly before this returns.
  virtual void OnMessage(Request& request) = 0;

  // `fill` adds to the response that goes out next: the last one waiting
  // when coalescing, else a new one. Settles `units`. Within a
  // DeferredWrites scope the write waits for the scope's end.
  void Answer(int64_t units, absl::FunctionRef<void(Response&)> fill) {
    absl::MutexLock lock(&mu_);
    if (write_failed_ || finished_) {
      // Nobody reads it any more; filled all the same, so that what `fill`
      // hands over is released with it.
      Response unread;
      fill(unread);
    } else {
      if (!coalesce_ || outbox_.empty()) outbox_.emplace_back();
      fill(outbox_.back());
    }
    unanswered_ -= units;
    if (read_paused_ && unanswered_ <= max_unanswered_ / 2) {
      read_paused_ = false;
      if (!finished_) this->StartRead(&request_);
    }
    if (deferred_) return;
    if (!finished_ && DeferredWrites::Defer(this)) {
      deferred_ = true;
      return;
    }
    Proceed();
  }

  grpc::CallbackServerContext* context() const { return context_; }

 private:
  void OnReadDone(bool ok) override {
    if (!ok) {
      absl::MutexLock lock(&mu_);
      reading_done_ = true;
      Proceed();
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      // Ended meanwhile (EndAll): what came after is not taken, and the
      // client answers it UNAVAILABLE when it sees the end.
      if (finished_) return;
      unanswered_ += Units(request_);
    }
    OnMessage(request_);
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    if (unanswered_ > max_unanswered_) {
      read_paused_ = true;
    } else {
      this->StartRead(&request_);
    }
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      // The caller is gone: it learns nothing more, but what it sent is
      // still carried out.
      write_failed_ = true;
      outbox_.clear();
    }
    Proceed();
  }

  void OnDone() override {
    if (registered_) streams_->Remove(this);
    delete this;
  }

  void FlushDeferred() override {
    absl::MutexLock lock(&mu_);
    deferred_ = false;
    Proceed();
  }

  void EndWhenAnswered() override {
    absl::MutexLock lock(&mu_);
    ending_ = true;
    Proceed();
  }

  // Writes the next answer, or ends the stream when it is due.
  void Proceed() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || writing_) return;
    if (!outbox_.empty()) {
      in_write_.Clear();
      in_write_.Swap(&outbox_.front());
      outbox_.pop_front();
      writing_ = true;
      this->StartWrite(&in_write_);
      return;
    }
    // Not while a deferred flush is due: it would find the reactor gone.
    if ((reading_done_ || ending_) && unanswered_ == 0 && !deferred_) {
      finished_ = true;
      // Ended by the server, the client hears why before it reconnects.
      this->Finish(reading_done_ ? grpc::Status::OK
                                 : grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                                "the server is shutting down"));
    }
  }

  grpc::CallbackServerContext* const context_;
  OpenStreams* const streams_;
  const int64_t max_unanswered_;
  const bool coalesce_;
  bool registered_ = false;
  Request request_;  // read into; reactions only

  // Start* and Finish are called under mu_, so that none follows Finish;
  // gRPC runs no reaction inline in them.
  absl::Mutex mu_;
  std::deque<Response> outbox_ ABSL_GUARDED_BY(mu_);
  Response in_write_ ABSL_GUARDED_BY(mu_);
  int64_t unanswered_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool write_failed_ ABSL_GUARDED_BY(mu_) = false;
  bool reading_done_ ABSL_GUARDED_BY(mu_) = false;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool ending_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  // Registered with a DeferredWrites scope, whose end writes.
  bool deferred_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace shopstream::rpc_stream

#endif  // SHOPSTREAM_RPC_STREAM_ANSWERING_REACTOR_H_
