#include "ingest/ingest_service.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/caller_status.h"
#include "common/grpc_status.h"
#include "common/metrics.h"
#include "common/request_id.h"
#include "common/traffic_context.h"
#include "google/protobuf/util/time_util.h"

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

// Why an event the processor settled without storing was not stored.
std::string NotStoredMessage(const EventOutcome& outcome) {
  if (outcome.fate == EventFate::kRefused) return outcome.reason;
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

// PERMISSION_DENIED when the event names a shop other than the authorized
// `shop` (empty: authentication off, any shop).
absl::Status CheckShop(const v1::Event& event, const std::string& shop) {
  if (shop.empty() || event.shop_id().empty() || event.shop_id() == shop) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "shop_id: the API key is not for shop \"", event.shop_id(), "\""));
}

// An event for another shop refuses the whole batch: the caller is
// confused about which key it holds, not sending one bad event.
grpc::Status CheckEveryShop(
    const google::protobuf::RepeatedPtrField<v1::Event>& events,
    const std::string& shop) {
  for (int i = 0; i < events.size(); ++i) {
    if (absl::Status allowed = CheckShop(events[i], shop); !allowed.ok()) {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          absl::StrCat("events[", i, "].", allowed.message()));
    }
  }
  return grpc::Status::OK;
}

// The event as stored, under the authorized shop when there is one, as
// arriving at `now`.
absl::StatusOr<internal::v1::StoredEvent> ValidateForShop(
    const EventValidator& validator, const v1::Event& event,
    const std::string& shop, absl::Time now) {
  if (absl::Status allowed = CheckShop(event, shop); !allowed.ok()) {
    return allowed;
  }
  absl::StatusOr<internal::v1::StoredEvent> stored =
      validator.Validate(event, now);
  if (stored.ok() && !shop.empty()) stored->set_shop_id(shop);
  return stored;
}

// A stream refused before its first read.
class RefusedStreamReactor final : public grpc::ServerReadReactor<v1::Event> {
 public:
  explicit RefusedStreamReactor(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

// Reads a client stream, publishing valid events in chunks, and answers
// once the last chunk is committed. Any chunk that fails fails the stream:
// the client resends it all, and event ids keep the resent ones from
// counting twice.
class StreamEventsReactor final : public grpc::ServerReadReactor<v1::Event> {
 public:
  // `shop`: the authorized shop every event must belong to; empty when
  // authentication is off. `authorization`: the stream's key, charged once
  // per event.
  StreamEventsReactor(IngestHandler* handler, std::string shop,
                      IngestHandler::Authorization authorization,
                      std::string request_id,
                      v1::StreamEventsResponse* response)
      : handler_(handler),
        shop_(std::move(shop)),
        authorization_(std::move(authorization)),
        request_id_(std::move(request_id)),
        response_(response) {
    StartRead(&event_);
  }

  void OnReadDone(bool ok) override {
    std::vector<internal::v1::StoredEvent> full;
    std::vector<int> full_index;
    bool keep_reading = ok;
    grpc::Status finish;
    bool finish_now = false;
    // Each event costs what it would in a batch; one over the key's rate
    // limit (or read after the key was revoked) is rejected, and the stream
    // goes on.
    const absl::Status charged =
        ok ? handler_->Authorize(authorization_, shop_, 1).status()
           : absl::OkStatus();
    {
      absl::MutexLock lock(&mu_);
      if (!ok) {
        reading_done_ = true;
        full.swap(chunk_);
        full_index.swap(chunk_index_);
      } else {
        Take(charged.ok() ? ValidateForShop(handler_->validator(), event_,
                                            shop_, handler_->clock().Now())
                          : absl::StatusOr<internal::v1::StoredEvent>(charged));
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
      IngestHandler::CountRejected(event_);
      RecordRejection(index_, stored.status());
    }
    ++index_;
  }

  void RecordRejection(int index, const absl::Status& why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    response_->set_rejected(response_->rejected() + 1);
    if (response_->rejections_size() < kMaxReportedRejections) {
      Reject(response_->add_rejections(), index, ForCaller(why, request_id_));
    }
  }

  // Decides, once, that the stream is over; the caller then calls Finish and
  // touches nothing of `this` afterwards.
  bool FinishDue(grpc::Status* status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!reading_done_ || chunks_in_flight_ > 0 || finished_) return false;
    finished_ = true;
    *status = ForCaller(ToGrpcStatus(error_), request_id_);
    return true;
  }

  void Publish(std::vector<internal::v1::StoredEvent> chunk,
               std::vector<int> indices) {
    handler_->Publish(
        std::move(chunk), request_id_, EventLane::kBulk,
        [this, indices = std::move(indices)](const absl::Status& status,
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
                case EventFate::kRefused:
                  RecordRejection(indices[i],
                                  absl::InvalidArgumentError(
                                      NotStoredMessage(outcomes[i])));
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

  IngestHandler* const handler_;
  const std::string shop_;
  const IngestHandler::Authorization authorization_;
  const std::string request_id_;
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

void IngestHandler::Publish(std::vector<internal::v1::StoredEvent> events,
                            std::string request_id, EventLane lane,
                            EventPublisher::Done done) {
  std::vector<internal::v1::EventType> types;
  types.reserve(events.size());
  for (const auto& e : events) types.push_back(e.event_type());
  publisher_->Publish(
      std::move(events), std::move(request_id), lane,
      [types = std::move(types), done = std::move(done)](
          const absl::Status& status, const EventOutcomes& outcomes) {
        // Events that were not settled are not counted: their senders were
        // told to retry, and the retry is counted.
        if (status.ok() && outcomes.size() == types.size()) {
          for (size_t i = 0; i < types.size(); ++i) {
            EventsCounter(EventCountOf(outcomes[i].fate), types[i]).Increment();
          }
        }
        done(status, outcomes);
      });
}

void IngestHandler::CountRejected(const v1::Event& event) {
  EventsCounter(
      EventCount::kRejected,
      EventTypeOf(event).value_or(internal::v1::EVENT_TYPE_UNSPECIFIED))
      .Increment();
}

absl::StatusOr<std::string> IngestHandler::Authorize(
    const Authorization& authorization, absl::string_view requested_shop,
    double cost) const {
  if (authorizer_ == nullptr) return std::string();
  return authorizer_->Authorize(authorization, auth::Scope::kWrite,
                                requested_shop, cost);
}

namespace {

IngestHandler::Done ToCaller(IngestHandler::Done done,
                             const std::string& request_id) {
  return [done = std::move(done), request_id](grpc::Status status) {
    done(ForCaller(status, request_id));
  };
}

}  // namespace

void IngestHandler::Ingest(const v1::IngestRequest& request,
                           const Authorization& authorization,
                           std::string request_id, v1::IngestResponse* response,
                           Done done) {
  done = ToCaller(std::move(done), request_id);
  if (!taking_) {
    done(ShuttingDown());
    return;
  }
  absl::StatusOr<std::string> shop =
      Authorize(authorization, request.event().shop_id(), 1);
  if (!shop.ok()) {
    done(ToGrpcStatus(shop.status()));
    return;
  }
  auto stored =
      ValidateForShop(validator_, request.event(), *shop, clock_.Now());
  if (!stored.ok()) {
    CountRejected(request.event());
    done(ToGrpcStatus(stored.status()));
    return;
  }
  response->set_event_id(stored->event_id());
  std::vector<internal::v1::StoredEvent> events;
  events.push_back(std::move(*stored));
  Publish(std::move(events), std::move(request_id), EventLane::kSingle,
          [done = std::move(done), response](const absl::Status& status,
                                             const EventOutcomes& outcomes) {
            if (!status.ok() || outcomes.empty()) {
              done(ToGrpcStatus(status.ok() ? absl::InternalError("no outcome")
                                            : status));
              return;
            }
            if (outcomes[0].fate == EventFate::kDeadLettered ||
                outcomes[0].fate == EventFate::kRefused) {
              done(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                NotStoredMessage(outcomes[0])));
              return;
            }
            response->mutable_acceptance()->set_status(kAccepted);
            response->set_duplicate(outcomes[0].fate == EventFate::kDuplicate);
            done(grpc::Status::OK);
          });
}

void IngestHandler::IngestBatch(const v1::IngestBatchRequest& request,
                                const Authorization& authorization,
                                std::string request_id,
                                v1::IngestBatchResponse* response, Done done) {
  done = ToCaller(std::move(done), request_id);
  if (!taking_) {
    done(ShuttingDown());
    return;
  }
  // The rate limit counts events, so a batch costs what its events would.
  absl::StatusOr<std::string> shop =
      Authorize(authorization, "", std::max(1, request.events_size()));
  if (!shop.ok()) {
    done(ToGrpcStatus(shop.status()));
    return;
  }
  if (request.events_size() > kMaxEventsPerBatch) {
    for (const v1::Event& event : request.events()) CountRejected(event);
    done(grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("events: at most ", kMaxEventsPerBatch, " per batch (got ",
                     request.events_size(), ")")));
    return;
  }
  if (grpc::Status allowed = CheckEveryShop(request.events(), *shop);
      !allowed.ok()) {
    done(allowed);
    return;
  }
  std::vector<internal::v1::StoredEvent> valid;
  std::vector<int> valid_index;  // result slot of each valid event
  for (int i = 0; i < request.events_size(); ++i) {
    v1::EventResult* result = response->add_results();
    auto stored =
        ValidateForShop(validator_, request.events(i), *shop, clock_.Now());
    if (!stored.ok()) {
      CountRejected(request.events(i));
      Reject(result, i,
             absl::InvalidArgumentError(
                 absl::StrCat("events[", i, "].", stored.status().message())));
      response->set_rejected(response->rejected() + 1);
      continue;
    }
    result->set_index(i);
    result->set_event_id(stored->event_id());
    valid.push_back(std::move(*stored));
    valid_index.push_back(i);
  }
  Publish(
      std::move(valid), std::move(request_id), EventLane::kBulk,
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
            case EventFate::kRefused:
              Reject(result, valid_index[k],
                     absl::InvalidArgumentError(NotStoredMessage(outcomes[k])));
              response->set_rejected(response->rejected() + 1);
              break;
          }
        }
        done(grpc::Status::OK);
      });
}

void IngestHandler::Collect(const v1::CollectRequest& request,
                            const Authorization& authorization,
                            const PageContext& page, std::string request_id,
                            v1::CollectResponse* response, Done done) {
  done = ToCaller(std::move(done), request_id);
  if (!taking_) {
    done(ShuttingDown());
    return;
  }
  absl::StatusOr<std::string> shop =
      authorizer_ == nullptr
          ? absl::StatusOr<std::string>(std::string())
          : authorizer_->AuthorizeCollect(authorization, page.origin,
                                          std::max(1, request.events_size()));
  if (!shop.ok()) {
    done(ToGrpcStatus(shop.status()));
    return;
  }
  if (request.events_size() > kMaxEventsPerCollect) {
    for (const v1::Event& event : request.events()) CountRejected(event);
    done(grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("events: at most ", kMaxEventsPerCollect,
                     " per request (got ", request.events_size(), ")")));
    return;
  }
  if (grpc::Status allowed = CheckEveryShop(request.events(), *shop);
      !allowed.ok()) {
    done(allowed);
    return;
  }
  // One receive time for the request's events.
  const absl::Time received_at = clock_.Now();
  const google::protobuf::Timestamp received =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
          absl::ToUnixMicros(received_at));
  std::vector<internal::v1::StoredEvent> valid;
  std::vector<int> valid_index;  // request position of each valid event
  for (int i = 0; i < request.events_size(); ++i) {
    v1::Event event = request.events(i);
    *event.mutable_timestamp() = received;
    if (!page.user_agent.empty()) event.set_user_agent(page.user_agent);
    auto stored = ValidateForShop(validator_, event, *shop, received_at);
    if (!stored.ok()) {
      CountRejected(event);
      response->set_rejected(response->rejected() + 1);
      if (response->rejections_size() < kMaxReportedRejections) {
        Reject(response->add_rejections(), i,
               absl::InvalidArgumentError(absl::StrCat(
                   "events[", i, "].", stored.status().message())));
      }
      continue;
    }
    valid.push_back(std::move(*stored));
    valid_index.push_back(i);
  }
  Publish(
      std::move(valid), std::move(request_id), EventLane::kBulk,
      [done = std::move(done), response, valid_index = std::move(valid_index)](
          const absl::Status& status, const EventOutcomes& outcomes) {
        if (!status.ok() || outcomes.size() != valid_index.size()) {
          done(ToGrpcStatus(
              status.ok() ? absl::InternalError("outcomes missing") : status));
          return;
        }
        for (size_t k = 0; k < outcomes.size(); ++k) {
          switch (outcomes[k].fate) {
            case EventFate::kStored:
              response->set_accepted(response->accepted() + 1);
              break;
            case EventFate::kDuplicate:
              response->set_duplicates(response->duplicates() + 1);
              break;
            case EventFate::kDeadLettered:
            case EventFate::kRefused:
              response->set_rejected(response->rejected() + 1);
              if (response->rejections_size() < kMaxReportedRejections) {
                Reject(
                    response->add_rejections(), valid_index[k],
                    absl::InvalidArgumentError(NotStoredMessage(outcomes[k])));
              }
              break;
          }
        }
        response->set_status(kAccepted);
        done(grpc::Status::OK);
      });
}

grpc::Status IngestHandler::Health(v1::HealthResponse* response) const {
  if (!taking_) return ShuttingDown();
  DependencyStates states = {{"processor", publisher_->Ready()}};
  if (dependencies_ != nullptr) {
    for (auto& state : dependencies_->States()) states.push_back(state);
  }
  return HealthAnswer(states, response);
}

grpc::ServerUnaryReactor* IngestService::Ingest(
    grpc::CallbackServerContext* context, const v1::IngestRequest* request,
    v1::IngestResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  handler_->Ingest(*request, auth::AuthorizationOf(context->client_metadata()),
                   RequestIdOf(*context), response,
                   [reactor](grpc::Status status) { reactor->Finish(status); });
  return reactor;
}

grpc::ServerUnaryReactor* IngestService::IngestBatch(
    grpc::CallbackServerContext* context, const v1::IngestBatchRequest* request,
    v1::IngestBatchResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  handler_->IngestBatch(
      *request, auth::AuthorizationOf(context->client_metadata()),
      RequestIdOf(*context), response,
      [reactor](grpc::Status status) { reactor->Finish(status); });
  return reactor;
}

grpc::ServerReadReactor<v1::Event>* IngestService::StreamEvents(
    grpc::CallbackServerContext* context, v1::StreamEventsResponse* response) {
  // Opening costs nothing: the events are charged as they arrive.
  IngestHandler::Authorization authorization =
      auth::AuthorizationOf(context->client_metadata());
  absl::StatusOr<std::string> shop = handler_->Authorize(authorization, "", 0);
  if (!shop.ok()) {
    return new RefusedStreamReactor(
        ForCaller(ToGrpcStatus(shop.status()), RequestIdOf(*context)));
  }
  return new StreamEventsReactor(handler_, *std::move(shop),
                                 std::move(authorization),
                                 RequestIdOf(*context), response);
}

grpc::ServerUnaryReactor* IngestService::Collect(
    grpc::CallbackServerContext* context, const v1::CollectRequest* request,
    v1::CollectResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  PageContext page;
  const auto& metadata = context->client_metadata();
  if (auto it = metadata.find(kCollectOriginMetadata); it != metadata.end()) {
    page.origin = std::string(it->second.data(), it->second.size());
  }
  if (auto it = metadata.find(kCollectUserAgentMetadata);
      it != metadata.end()) {
    page.user_agent = std::string(it->second.data(), it->second.size());
  }
  handler_->Collect(
      *request, auth::AuthorizationOf(metadata), page, RequestIdOf(*context),
      response, [reactor](grpc::Status status) { reactor->Finish(status); });
  return reactor;
}

grpc::ServerUnaryReactor* IngestService::Health(
    grpc::CallbackServerContext* context, const v1::HealthRequest* request,
    v1::HealthResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(handler_->Health(response));
  return reactor;
}

}  // namespace shopstream
