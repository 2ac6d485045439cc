#include "processor/event_pipeline_service.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

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

internal::v1::EventFate ToProto(EventFate fate) {
  switch (fate) {
    case EventFate::kStored:
      return internal::v1::STORED;
    case EventFate::kDuplicate:
      return internal::v1::DUPLICATE;
    case EventFate::kDeadLettered:
      return internal::v1::DEAD_LETTERED;
    case EventFate::kRefused:
      return internal::v1::REFUSED;
  }
  return internal::v1::STORED;
}

// The events of `request` that `validator` refuses, as outcomes by index in
// the request (empty when none is); the refused ones leave `request`.
std::vector<EventOutcome> TakeRefused(const EventValidator& validator,
                                      PublishRequest* request) {
  const absl::Time now = absl::Now();
  std::vector<EventOutcome> outcomes;
  for (int i = 0; i < request->events_size(); ++i) {
    absl::Status valid = validator.Check(request->events(i), now);
    if (valid.ok()) continue;
    if (outcomes.empty()) outcomes.resize(request->events_size());
    outcomes[i] = {EventFate::kRefused, std::string(valid.message())};
  }
  if (outcomes.empty()) return outcomes;
  auto* events = request->mutable_events();
  int kept = 0;
  for (int i = 0; i < events->size(); ++i) {
    if (outcomes[i].fate == EventFate::kRefused) continue;
    if (kept != i) events->SwapElements(kept, i);
    ++kept;
  }
  events->DeleteSubrange(kept, events->size() - kept);
  return outcomes;
}

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
    // Outcomes of the whole request once the committed ones are known;
    // `refused` is empty when every event was valid.
    std::vector<EventOutcome> refused = TakeRefused(validator_, &request);
    const bool nothing_to_commit =
        !refused.empty() && request.events_size() == 0;
    auto answer = [state, sequence, refused = std::move(refused)](
                      const absl::Status& status,
                      const EventOutcomes& committed) {
      PublishAck ack;
      ack.set_sequence(sequence);
      ack.set_code(static_cast<int>(status.code()));
      ack.set_message(std::string(status.message()));
      if (status.ok()) {
        size_t next = 0;
        const size_t total =
            refused.empty() ? committed.size() : refused.size();
        for (size_t i = 0; i < total; ++i) {
          const EventOutcome& outcome =
              !refused.empty() && refused[i].fate == EventFate::kRefused
                  ? refused[i]
                  : committed[next++];
          ack.add_fate(ToProto(outcome.fate));
          if (outcome.fate == EventFate::kDeadLettered) {
            (*ack.mutable_dead_letter_reason())[i] = outcome.reason;
          } else if (outcome.fate == EventFate::kRefused) {
            (*ack.mutable_refusal_reason())[i] = outcome.reason;
          }
        }
      }
      absl::MutexLock lock(&state->mu);
      // A failed write means the sender is gone; it learns of the outcome
      // by retrying, which the (shop_id, event_id) key makes safe.
      state->stream->Write(ack);
      --state->outstanding;
    };
    if (nothing_to_commit) {
      answer(absl::OkStatus(), {});
      request = PublishRequest();
      continue;
    }
    Submission submission;
    submission.request = std::move(request);
    submission.done = std::move(answer);
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
