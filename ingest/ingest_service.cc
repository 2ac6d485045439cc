#include "ingest/ingest_service.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/grpc_status.h"

namespace shopstream {
namespace {

constexpr char kAccepted[] = "accepted";
constexpr char kDuplicate[] = "duplicate";
constexpr char kRejected[] = "rejected";
// A stream publishes its events in chunks of this many, and reads no further
// while this many chunks wait for commit.
constexpr int kStreamChunkEvents = 500;
constexpr int kStreamMaxChunksInFlight = 4;
constexpr int kMaxReportedRejections = 100;

std::string DeadLetterMessage(const EventOutcome& outcome) {
  return absl::StrCat("event refused by storage and kept for operators: ",
                      outcome.reason);
}

grpc::Status ShuttingDown() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      "ingest is shutting down; retry with the same event_id");
}

void Reject(v1::EventResult* result, int index, const absl::Status& status) {
  result->set_index(index);
  result->set_status(kRejected);
  result->set_error(std::string(status.message()));
}

// Reads a client stream, publishing valid events in chunks, and answers
// once the last chunk is committed. Any chunk that fails fails the stream:
// the client resends it all, and event ids keep the resent ones from
// counting twice.
class StreamEventsReactor final : public grpc::ServerReadReactor<v1::Event> {
 public:
  StreamEventsReactor(EventPublisher* publisher, const EventValidator* validator,
                      v1::StreamEventsResponse* response)
      : publisher_(publisher), validator_(validator), response_(response) {
    StartRead(&event_);
  }

  void OnReadDone(bool ok) override {
    std::vector<internal::v1::StoredEvent> full;
    std::vector<int> full_index;
    bool keep_reading = ok;
    grpc::Status finish;
    bool finish_now = false;
    {
      absl::MutexLock lock(&mu_);
      if (!ok) {
        reading_done_ = true;
        full.swap(chunk_);
        full_index.swap(chunk_index_);
      } else {
        Take(validator_->Validate(event_));
        if (chunk_.size() >= kStreamChunkEvents) {
          full.swap(chunk_);
          full_index.swap(chunk_index_);
          if (chunks_in_flight_ + 1 >= kStreamMaxChunksInFlight) {
            read_paused_ = true;
            keep_reading = false;
          }
        }
      }
      // Counted in the same section that may end the reading, so no
      // callback can finish the stream while this chunk is unpublished.
      if (!full.empty()) ++chunks_in_flight_;
      finish_now = FinishDue(&finish);
    }
    if (finish_now) {
      Finish(finish);
      return;
    }
    // `this` stays alive here: the stream cannot finish before `full` is
    // answered, or (while reading) before the reading ends.
    if (keep_reading) StartRead(&event_);
    if (!full.empty()) Publish(std::move(full), std::move(full_index));
  }

  void OnDone() override { delete this; }

 private:
  void Take(absl::StatusOr<internal::v1::StoredEvent> stored)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (stored.ok()) {
      chunk_.push_back(std::move(*stored));
      chunk_index_.push_back(index_);
    } else {
      RecordRejection(index_, stored.status());
    }
    ++index_;
  }

  void RecordRejection(int index, const absl::Status& why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    response_->set_rejected(response_->rejected() + 1);
    if (response_->rejections_size() < kMaxReportedRejections) {
      Reject(response_->add_rejections(), index, why);
    }
  }

  // Decides, once, that the stream is over; the caller then calls Finish and
  // touches nothing of `this` afterwards.
  bool FinishDue(grpc::Status* status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!reading_done_ || chunks_in_flight_ > 0 || finished_) return false;
    finished_ = true;
    *status = ToGrpcStatus(error_);
    return true;
  }

  void Publish(std::vector<internal::v1::StoredEvent> chunk,
               std::vector<int> indices) {
    publisher_->Publish(std::move(chunk), [this, indices = std::move(indices)](
                                              const absl::Status& status,
                                              const EventOutcomes& outcomes) {
      bool resume = false;
      grpc::Status finish;
      bool finish_now = false;
      {
        absl::MutexLock lock(&mu_);
        --chunks_in_flight_;
        if (!status.ok() && error_.ok()) error_ = status;
        for (size_t i = 0; i < outcomes.size(); ++i) {
          switch (outcomes[i].fate) {
            case EventFate::kStored:
              response_->set_accepted(response_->accepted() + 1);
              break;
            case EventFate::kDuplicate:
              response_->set_duplicates(response_->duplicates() + 1);
              break;
            case EventFate::kDeadLettered:
              RecordRejection(indices[i], absl::InvalidArgumentError(
                                              DeadLetterMessage(outcomes[i])));
              break;
          }
        }
        if (read_paused_ && !reading_done_) {
          read_paused_ = false;
          resume = true;
        }
        finish_now = FinishDue(&finish);
      }
      if (resume) StartRead(&event_);
      if (finish_now) Finish(finish);
    });
  }

  EventPublisher* publisher_;
  const EventValidator* validator_;
  v1::StreamEventsResponse* response_;
  v1::Event event_;

  absl::Mutex mu_;
  std::vector<internal::v1::StoredEvent> chunk_ ABSL_GUARDED_BY(mu_);
  std::vector<int> chunk_index_ ABSL_GUARDED_BY(mu_);  // stream positions
  int index_ ABSL_GUARDED_BY(mu_) = 0;
  int chunks_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool reading_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

void IngestHandler::Ingest(const v1::IngestRequest& request,
                           v1::IngestResponse* response, Done done) {
  if (!taking_) {
    done(ShuttingDown());
    return;
  }
  auto stored = validator_.Validate(request.event());
  if (!stored.ok()) {
    done(ToGrpcStatus(stored.status()));
    return;
  }
  response->set_event_id(stored->event_id());
  std::vector<internal::v1::StoredEvent> events;
  events.push_back(std::move(*stored));
  publisher_->Publish(std::move(events),
                      [done = std::move(done), response](
                          const absl::Status& status,
                                          const EventOutcomes& outcomes) {
                        if (!status.ok() || outcomes.empty()) {
                          done(ToGrpcStatus(
                              status.ok() ? absl::InternalError("no outcome")
                                          : status));
                          return;
                        }
                        if (outcomes[0].fate == EventFate::kDeadLettered) {
                          done(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                            DeadLetterMessage(outcomes[0])));
                          return;
                        }
                        response->mutable_acceptance()->set_status(kAccepted);
                        response->set_duplicate(outcomes[0].fate ==
                                                EventFate::kDuplicate);
                        done(grpc::Status::OK);
                      });
}

void IngestHandler::IngestBatch(const v1::IngestBatchRequest& request,
                                v1::IngestBatchResponse* response, Done done) {
  if (!taking_) {
    done(ShuttingDown());
    return;
  }
  if (request.events_size() > kMaxEventsPerBatch) {
    done(grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("events: at most ", kMaxEventsPerBatch,
                     " per batch (got ", request.events_size(), ")")));
    return;
  }
  std::vector<internal::v1::StoredEvent> valid;
  std::vector<int> valid_index;  // result slot of each valid event
  for (int i = 0; i < request.events_size(); ++i) {
    v1::EventResult* result = response->add_results();
    auto stored = validator_.Validate(request.events(i));
    if (!stored.ok()) {
      Reject(result, i, absl::InvalidArgumentError(absl::StrCat(
                            "events[", i, "].", stored.status().message())));
      response->set_rejected(response->rejected() + 1);
      continue;
    }
    result->set_index(i);
    result->set_event_id(stored->event_id());
    valid.push_back(std::move(*stored));
    valid_index.push_back(i);
  }
  publisher_->Publish(
      std::move(valid),
      [done = std::move(done), response, valid_index = std::move(valid_index)](
          const absl::Status& status, const EventOutcomes& outcomes) {
        if (!status.ok() || outcomes.size() != valid_index.size()) {
          done(ToGrpcStatus(
              status.ok() ? absl::InternalError("outcomes missing") : status));
          return;
        }
        for (size_t k = 0; k < valid_index.size(); ++k) {
          v1::EventResult* result = response->mutable_results(valid_index[k]);
          switch (outcomes[k].fate) {
            case EventFate::kStored:
              result->set_status(kAccepted);
              response->set_accepted(response->accepted() + 1);
              break;
            case EventFate::kDuplicate:
              result->set_status(kDuplicate);
              response->set_duplicates(response->duplicates() + 1);
              break;
            case EventFate::kDeadLettered:
              Reject(result, valid_index[k],
                     absl::InvalidArgumentError(DeadLetterMessage(outcomes[k])));
              response->set_rejected(response->rejected() + 1);
              break;
          }
        }
        done(grpc::Status::OK);
      });
}

grpc::Status IngestHandler::Health(v1::HealthResponse* response) const {
  // Healthy means events can be taken now, which needs the processor.
  if (!taking_) return ShuttingDown();
  if (!publisher_->Ready()) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "processor unavailable");
  }
  response->set_status("healthy");
  return grpc::Status::OK;
}

void IngestHandler::AddMethodsTo(CallMultiplexerService* multiplexer) {
  multiplexer->AddMethod<v1::IngestRequest, v1::IngestResponse>(
      "/shopstream.v1.IngestService/Ingest",
      [this](const v1::IngestRequest& request, v1::IngestResponse* response,
             Done done) { Ingest(request, response, std::move(done)); });
  multiplexer->AddMethod<v1::IngestBatchRequest, v1::IngestBatchResponse>(
      "/shopstream.v1.IngestService/IngestBatch",
      [this](const v1::IngestBatchRequest& request,
             v1::IngestBatchResponse* response,
             Done done) { IngestBatch(request, response, std::move(done)); });
  multiplexer->AddMethod<v1::HealthRequest, v1::HealthResponse>(
      "/shopstream.v1.IngestService/Health",
      [this](const v1::HealthRequest&, v1::HealthResponse* response,
             Done done) { done(Health(response)); });
}

grpc::ServerUnaryReactor* IngestService::Ingest(
    grpc::CallbackServerContext* context, const v1::IngestRequest* request,
    v1::IngestResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  handler_->Ingest(*request, response,
                   [reactor](grpc::Status status) { reactor->Finish(status); });
  return reactor;
}

grpc::ServerUnaryReactor* IngestService::IngestBatch(
    grpc::CallbackServerContext* context, const v1::IngestBatchRequest* request,
    v1::IngestBatchResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  handler_->IngestBatch(*request, response, [reactor](grpc::Status status) {
    reactor->Finish(status);
  });
  return reactor;
}

grpc::ServerReadReactor<v1::Event>* IngestService::StreamEvents(
    grpc::CallbackServerContext* context, v1::StreamEventsResponse* response) {
  return new StreamEventsReactor(handler_->publisher(), &handler_->validator(),
                                 response);
}

grpc::ServerUnaryReactor* IngestService::Health(
    grpc::CallbackServerContext* context, const v1::HealthRequest* request,
    v1::HealthResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(handler_->Health(response));
  return reactor;
}

}  // namespace shopstream
