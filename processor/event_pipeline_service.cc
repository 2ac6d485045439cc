#include "processor/event_pipeline_service.h"

#include <string>
#include <vector>

#include "common/clock.h"

namespace shopstream {
namespace {

using internal::v1::PublishAck;
using internal::v1::PublishRequest;

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
                                      absl::Time now, PublishRequest* request) {
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

// The ack of one request: `refused` (empty when every event was valid)
// holds the refused events in place, `committed` the others in order.
void FillAck(uint64_t sequence, const absl::Status& status,
             const std::vector<EventOutcome>& refused,
             const EventOutcomes& committed, PublishAck& ack) {
  ack.set_sequence(sequence);
  ack.set_code(static_cast<int>(status.code()));
  ack.set_message(std::string(status.message()));
  if (!status.ok()) return;
  size_t next = 0;
  const size_t total = refused.empty() ? committed.size() : refused.size();
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

class PublishReactor final
    : public rpc_stream::AnsweringReactor<PublishRequest, PublishAck> {
 public:
  PublishReactor(BatchCommitter* committer, const EventValidator* validator,
                 const Clock* clock, grpc::CallbackServerContext* context,
                 rpc_stream::OpenStreams* streams, const InternalRpcGate& gate,
                 int64_t max_unanswered)
      : AnsweringReactor(context, streams, max_unanswered,
                         /*coalesce=*/false),
        committer_(committer),
        validator_(validator),
        clock_(clock) {
    Open(gate);
  }

 private:
  int64_t Units(const PublishRequest&) const override { return 1; }

  void OnMessage(PublishRequest& request) override {
    const uint64_t sequence = request.sequence();
    std::vector<EventOutcome> refused =
        TakeRefused(*validator_, clock_->Now(), &request);
    if (!refused.empty() && request.events_size() == 0) {
      Answer(1, [&](PublishAck& ack) {
        FillAck(sequence, absl::OkStatus(), refused, {}, ack);
      });
      return;
    }
    Submission submission;
    submission.request = std::move(request);
    // Runs on a writer thread of the committer after the commit; a failed
    // write of the ack means the sender is gone, and it learns of the
    // outcome by retrying, which the (shop_id, event_id) key makes safe.
    submission.done = [this, sequence, refused = std::move(refused)](
                          const absl::Status& status,
                          const EventOutcomes& committed) {
      Answer(1, [&](PublishAck& ack) {
        FillAck(sequence, status, refused, committed, ack);
      });
    };
    committer_->Submit(std::move(submission));
  }

  BatchCommitter* const committer_;
  const EventValidator* const validator_;
  const Clock* const clock_;
};

}  // namespace

grpc::ServerBidiReactor<PublishRequest, PublishAck>*
EventPipelineService::Publish(grpc::CallbackServerContext* context) {
  return new PublishReactor(committer_, &validator_, &clock_, context,
                            &streams_, gate_, max_unanswered_messages_);
}

}  // namespace shopstream
