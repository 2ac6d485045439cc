#include "common/call_multiplexer_service.h"

#include <deque>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/request_id.h"
#include "common/rpc_observer.h"

namespace shopstream {

using internal::v1::CallBatch;
using internal::v1::Result;
using internal::v1::ResultBatch;

// Results of one stream, written back in batches by one writer thread while
// the stream's reader keeps dispatching calls.
class ResultOutbox {
 public:
  ResultOutbox(grpc::ServerContext* context,
               grpc::ServerReaderWriter<ResultBatch, CallBatch>* stream)
      : context_(context), stream_(stream) {}

  void CallStarted() {
    absl::MutexLock lock(&mu_);
    ++outstanding_;
  }

  void Add(Result result) {
    absl::MutexLock lock(&mu_);
    results_.push_back(std::move(result));
    --outstanding_;
  }

  void ReadingDone() {
    absl::MutexLock lock(&mu_);
    reading_done_ = true;
  }

  // The stream ends once every call started so far is answered.
  void EndWhenIdle() {
    absl::MutexLock lock(&mu_);
    ending_ = true;
  }

  // Until every started call is answered and reading has ended.
  void WriteLoop() {
    bool writable = true;
    while (true) {
      ResultBatch batch;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](ResultOutbox* o) ABSL_EXCLUSIVE_LOCKS_REQUIRED(o->mu_) {
              return !o->results_.empty() ||
                     o->outstanding_ == 0 &&
                         (o->reading_done_ || (o->ending_ && !o->cancelled_));
            },
            this));
        if (results_.empty() && !reading_done_) {
          // Everything answered has been written: cancelling ends the
          // reader's Read, and the caller sees the stream close.
          cancelled_ = true;
          context_->TryCancel();
          continue;
        }
        if (results_.empty()) return;
        for (auto& r : results_) *batch.add_results() = std::move(r);
        results_.clear();
      }
      // A caller that has gone learns nothing more; calls still finish.
      if (writable) writable = stream_->Write(batch);
    }
  }

 private:
  grpc::ServerContext* context_;
  grpc::ServerReaderWriter<ResultBatch, CallBatch>* stream_;
  absl::Mutex mu_;
  std::deque<Result> results_ ABSL_GUARDED_BY(mu_);
  int64_t outstanding_ ABSL_GUARDED_BY(mu_) = 0;
  bool reading_done_ ABSL_GUARDED_BY(mu_) = false;
  bool ending_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

void CallMultiplexerService::AddMethod(std::string path, RawMethod method) {
  RpcMethodMetrics* metrics = &RpcMetricsFor(path);
  methods_[std::move(path)] = {std::move(method), metrics};
}

grpc::Status CallMultiplexerService::Calls(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<ResultBatch, CallBatch>* stream) {
  // Counted by the server's interceptor like any failed call; not logged,
  // so a stranger cannot fill the log.
  if (grpc::Status admitted = gate_.Admit(*context); !admitted.ok()) {
    return admitted;
  }
  // Shared with the callbacks, which may outlive this frame only until the
  // writer has seen them all: WriteLoop returns after the last one.
  // Says at once that calls can flow; a caller waits for this before it
  // sends any (a server without this service answers UNIMPLEMENTED instead).
  context->AddInitialMetadata(kMultiplexerReadyKey, "1");
  stream->SendInitialMetadata();
  auto outbox = std::make_shared<ResultOutbox>(context, stream);
  {
    absl::MutexLock lock(&mu_);
    if (shutting_down_) outbox->EndWhenIdle();
    open_.insert(outbox);
  }
  std::thread writer([outbox] { outbox->WriteLoop(); });
  CallBatch batch;
  while (stream->Read(&batch)) {
    for (auto& call : *batch.mutable_calls()) {
      const uint64_t id = call.id();
      outbox->CallStarted();
      auto it = methods_.find(call.method());
      if (it == methods_.end()) {
        Result result;
        result.set_id(id);
        result.set_code(grpc::StatusCode::UNIMPLEMENTED);
        result.set_message(absl::StrCat("no method ", call.method()));
        outbox->Add(std::move(result));
        continue;
      }
      CallMetadata metadata(call.metadata().begin(), call.metadata().end());
      const absl::Time started = absl::Now();
      it->second.run(call.request(), metadata,
                     [outbox, id, metrics = it->second.metrics,
                      request_id = RequestIdOf(metadata), started](
                         const grpc::Status& status, std::string response) {
                       ObserveRpc(*metrics, status, absl::Now() - started,
                                  [&] { return request_id; });
                       Result result;
                       result.set_id(id);
                       result.set_code(status.error_code());
                       result.set_message(status.error_message());
                       result.set_details(status.error_details());
                       result.set_response(std::move(response));
                       outbox->Add(std::move(result));
                     });
    }
  }
  outbox->ReadingDone();
  writer.join();
  {
    absl::MutexLock lock(&mu_);
    open_.erase(outbox);
  }
  return grpc::Status::OK;
}

void CallMultiplexerService::Shutdown() {
  absl::MutexLock lock(&mu_);
  shutting_down_ = true;
  for (const auto& outbox : open_) outbox->EndWhenIdle();
}

}  // namespace shopstream
