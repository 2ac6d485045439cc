#include "processor/event_pipeline_service.h"

#include <memory>

#include "absl/synchronization/mutex.h"

namespace shopstream {
namespace {

using internal::v1::PublishAck;
using internal::v1::PublishRequest;

// Shared by the read loop and the commit callbacks that answer on the
// stream; the stream must outlive every callback.
struct StreamState {
  explicit StreamState(grpc::ServerReaderWriter<PublishAck, PublishRequest>* s)
      : stream(s) {}
  grpc::ServerReaderWriter<PublishAck, PublishRequest>* stream;
  absl::Mutex mu;
  int outstanding ABSL_GUARDED_BY(mu) = 0;
};

}  // namespace

grpc::Status EventPipelineService::Publish(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<PublishAck, PublishRequest>* stream) {
  if (grpc::Status admitted = gate_.Admit(*context); !admitted.ok()) {
    return admitted;
  }
  auto state = std::make_shared<StreamState>(stream);
  PublishRequest request;
  while (stream->Read(&request)) {
    const uint64_t sequence = request.sequence();
    {
      absl::MutexLock lock(&state->mu);
      ++state->outstanding;
    }
    Submission submission;
    submission.request = std::move(request);
    submission.done = [state, sequence](const absl::Status& status,
                                        const EventOutcomes& outcomes) {
      PublishAck ack;
      ack.set_sequence(sequence);
      ack.set_code(static_cast<int>(status.code()));
      ack.set_message(std::string(status.message()));
      for (size_t i = 0; i < outcomes.size(); ++i) {
        switch (outcomes[i].fate) {
          case EventFate::kStored:
            ack.add_fate(internal::v1::STORED);
            break;
          case EventFate::kDuplicate:
            ack.add_fate(internal::v1::DUPLICATE);
            break;
          case EventFate::kDeadLettered:
            ack.add_fate(internal::v1::DEAD_LETTERED);
            (*ack.mutable_dead_letter_reason())[i] = outcomes[i].reason;
            break;
        }
      }
      absl::MutexLock lock(&state->mu);
      // A failed write means the sender is gone; it learns of the outcome
      // by retrying, which the (shop_id, event_id) key makes safe.
      state->stream->Write(ack);
      --state->outstanding;
    };
    committer_->Submit(std::move(submission));
    request = PublishRequest();
  }
  absl::MutexLock lock(&state->mu);
  state->mu.Await(absl::Condition(
      +[](int* outstanding) { return *outstanding == 0; },
      &state->outstanding));
  return grpc::Status::OK;
}

}  // namespace shopstream
