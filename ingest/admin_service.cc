#include "ingest/admin_service.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "common/caller_status.h"
#include "common/grpc_status.h"
#include "common/log.h"
#include "common/request_id.h"
#include "google/protobuf/util/time_util.h"

namespace shopstream {
namespace {

using google::protobuf::util::TimeUtil;

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;
constexpr size_t kMaxDescriptionBytes = 1000;
constexpr char kOk[] = "ok";

void SetTime(absl::Time time, google::protobuf::Timestamp* out) {
  *out = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(time));
}

absl::StatusOr<int> PageSize(int requested) {
  if (requested == 0) return kDefaultPageSize;
  if (requested < 0 || requested > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: 1 to ", kMaxPageSize, ", or 0 for ",
                     kDefaultPageSize, " (got ", requested, ")"));
  }
  return requested;
}

// Tokens and dead letter ids are row ids in decimal; clients treat them as
// opaque.
absl::StatusOr<int64_t> RowId(const std::string& text,
                              absl::string_view field) {
  int64_t id = 0;
  if (!absl::SimpleAtoi(text, &id) || id <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": not an id this service gave"));
  }
  return id;
}

absl::StatusOr<std::optional<int64_t>> PageToken(const std::string& token) {
  if (token.empty()) return std::nullopt;
  absl::StatusOr<int64_t> id = RowId(token, "page_token");
  if (!id.ok()) return id.status();
  return *id;
}

const char* EventTypeName(internal::v1::EventType type) {
  switch (type) {
    case internal::v1::PAGE_VIEW:
      return "page_view";
    case internal::v1::ADD_TO_CART:
      return "add_to_cart";
    case internal::v1::PURCHASE:
      return "purchase";
    case internal::v1::CUSTOM:
      return "custom";
    default:
      return "";
  }
}

void FillView(const internal::v1::StoredEvent& e, v1::StoredEventView* view) {
  view->set_event_id(e.event_id());
  view->set_shop_id(e.shop_id());
  view->set_event_type(EventTypeName(e.event_type()));
  if (e.occurred_at_micros() != 0) {
    *view->mutable_timestamp() =
        TimeUtil::MicrosecondsToTimestamp(e.occurred_at_micros());
  }
  view->set_product_id(e.product_id());
  view->set_session_id(e.session_id());
  if (e.has_order_amount_cents()) {
    view->set_order_amount(static_cast<double>(e.order_amount_cents()) / 100);
  }
  view->set_page(e.page());
  view->set_referrer_host(e.referrer_host());
  view->set_utm_source(e.utm_source());
  view->set_utm_medium(e.utm_medium());
  view->set_utm_campaign(e.utm_campaign());
  view->set_device_class(e.device_class());
  view->set_browser(e.browser());
  view->set_os(e.os());
  view->set_name(e.event_name());
  *view->mutable_properties() = e.properties();
}

void FillDeadLetter(const DeadLetterRecord& record, const std::string& shop,
                    v1::DeadLetter* out) {
  out->set_dead_letter_id(absl::StrCat(record.id));
  out->set_shop_id(shop);
  out->set_event_id(record.event.event_id());
  if (record.payload_parsed) FillView(record.event, out->mutable_event());
  out->set_reason(record.reason);
  SetTime(record.dead_lettered_at, out->mutable_dead_lettered_at());
  if (record.replayed_at.has_value()) {
    SetTime(*record.replayed_at, out->mutable_replayed_at());
    out->set_replayed_by(record.replayed_by);
  }
}

void FillKey(const auth::ApiKeyRecord& record, v1::ApiKeyView* out) {
  out->set_key_id(record.key_id);
  out->set_shop_id(record.shop_id);
  out->set_scope(std::string(auth::ScopeName(record.scope)));
  out->set_description(record.description);
  for (const std::string& origin : record.allowed_origins) {
    out->add_origins(origin);
  }
  SetTime(record.created_at, out->mutable_created_at());
  if (record.revoked_at.has_value()) {
    SetTime(*record.revoked_at, out->mutable_revoked_at());
  }
}

// The key store names the flag (`origin`); the API's field is `origins`.
absl::Status NamingOrigins(const absl::Status& status) {
  absl::string_view message = status.message();
  if (status.code() != absl::StatusCode::kInvalidArgument ||
      !absl::ConsumePrefix(&message, "origin:")) {
    return status;
  }
  return absl::InvalidArgumentError(absl::StrCat("origins:", message));
}

}  // namespace

absl::StatusOr<auth::Caller> AdminHandler::Authorize(
    const Authorization& authorization, const std::string& shop) const {
  if (authorizer_ == nullptr || !authorizer_->enabled()) {
    return absl::PermissionDeniedError(
        "the admin service needs API keys checked (this ingest runs with "
        "--auth=false, so nothing would say who acted); use shopstream-admin "
        "on the database instead");
  }
  return authorizer_->AuthorizeCaller(authorization, auth::Scope::kAdmin, shop);
}

absl::Status AdminHandler::Audited(const auth::Caller& caller,
                                   const std::string& action,
                                   const std::string& target,
                                   const absl::Status& outcome) const {
  const absl::Status recorded = audit_->Record(
      {.shop_id = caller.shop_id,
       .actor = caller.key_id,
       .action = action,
       .target = target,
       .outcome =
           outcome.ok() ? std::string(kOk) : std::string(outcome.message())});
  if (!recorded.ok()) {
    // What was done is done: a success stays one, and is logged here.
    LogError("admin audit entry not written",
             {{"shop", caller.shop_id},
              {"actor", caller.key_id},
              {"action", action},
              {"target", target},
              {"outcome", outcome.ok() ? std::string(kOk)
                                       : std::string(outcome.message())},
              {"error", std::string(recorded.message())}});
  }
  return outcome;
}

absl::StatusOr<v1::ListDeadLettersResponse> AdminHandler::ListDeadLetters(
    const Authorization& authorization,
    const v1::ListDeadLettersRequest& request) const {
  absl::StatusOr<auth::Caller> caller =
      Authorize(authorization, request.shop_id());
  if (!caller.ok()) return caller.status();
  absl::StatusOr<int> page_size = PageSize(request.page_size());
  if (!page_size.ok()) return page_size.status();
  absl::StatusOr<std::optional<int64_t>> before =
      PageToken(request.page_token());
  if (!before.ok()) return before.status();
  absl::StatusOr<DeadLetterPage> page = dead_letters_->List(
      caller->shop_id, request.include_replayed(), *page_size, *before);
  if (!page.ok()) return page.status();
  v1::ListDeadLettersResponse response;
  for (const DeadLetterRecord& record : page->records) {
    FillDeadLetter(record, caller->shop_id, response.add_dead_letters());
  }
  if (page->next_before_id.has_value()) {
    response.set_next_page_token(absl::StrCat(*page->next_before_id));
  }
  return response;
}

absl::Status AdminHandler::StoreAgain(const internal::v1::StoredEvent& event,
                                      const std::string& shop,
                                      const std::string& request_id) const {
  if (event.shop_id() != shop) {
    return absl::InvalidArgumentError(
        absl::StrCat("event.shop_id: the stored event is for shop \"",
                     event.shop_id(), "\""));
  }
  if (absl::Status valid =
          ingest_->validator().Check(event, ingest_->clock().Now());
      !valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("event.", valid.message()));
  }
  struct Answer {
    absl::Mutex mu;
    bool done ABSL_GUARDED_BY(mu) = false;
    absl::Status status ABSL_GUARDED_BY(mu);
    EventOutcomes outcomes ABSL_GUARDED_BY(mu);
  };
  // Shared: the answer may come after this call has given up waiting.
  auto answer = std::make_shared<Answer>();
  ingest_->Publish(
      {event}, request_id, EventLane::kSingle,
      [answer](const absl::Status& status, const EventOutcomes& outcomes) {
        absl::MutexLock lock(&answer->mu);
        answer->status = status;
        answer->outcomes = outcomes;
        answer->done = true;
      });
  absl::MutexLock lock(&answer->mu);
  if (!answer->mu.AwaitWithTimeout(absl::Condition(&answer->done),
                                   replay_timeout_)) {
    return absl::DeadlineExceededError(
        "the event was not committed in time; replay again (its event id "
        "keeps it from counting twice)");
  }
  if (!answer->status.ok()) return answer->status;
  if (answer->outcomes.size() != 1) {
    return absl::InternalError("the processor answered no outcome");
  }
  const EventOutcome& outcome = answer->outcomes[0];
  switch (outcome.fate) {
    case EventFate::kStored:
    case EventFate::kDuplicate:
      return absl::OkStatus();
    case EventFate::kRefused:
      return absl::InvalidArgumentError(absl::StrCat("event.", outcome.reason));
    case EventFate::kDeadLettered:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "storage refused the event again (kept as a new dead letter): ",
      outcome.reason));
}

absl::StatusOr<v1::DeadLetter> AdminHandler::ReplayDeadLetter(
    const Authorization& authorization,
    const v1::ReplayDeadLetterRequest& request,
    const std::string& request_id) const {
  absl::StatusOr<auth::Caller> caller =
      Authorize(authorization, request.shop_id());
  if (!caller.ok()) return caller.status();
  constexpr char kAction[] = "replay_dead_letter";
  absl::StatusOr<int64_t> id =
      RowId(request.dead_letter_id(), "dead_letter_id");
  if (!id.ok()) {
    return Audited(*caller, kAction, request.dead_letter_id(), id.status());
  }
  absl::StatusOr<DeadLetterRecord> replayed = dead_letters_->Replay(
      caller->shop_id, *id, caller->key_id,
      [this, &caller, &request_id](const internal::v1::StoredEvent& event) {
        return StoreAgain(event, caller->shop_id, request_id);
      });
  absl::Status outcome =
      Audited(*caller, kAction, request.dead_letter_id(), replayed.status());
  if (!outcome.ok()) return outcome;
  v1::DeadLetter response;
  FillDeadLetter(*replayed, caller->shop_id, &response);
  return response;
}

absl::StatusOr<v1::ListKeysResponse> AdminHandler::ListKeys(
    const Authorization& authorization,
    const v1::ListKeysRequest& request) const {
  absl::StatusOr<auth::Caller> caller =
      Authorize(authorization, request.shop_id());
  if (!caller.ok()) return caller.status();
  absl::StatusOr<std::vector<auth::ApiKeyRecord>> records =
      keys_->List(caller->shop_id);
  if (!records.ok()) return records.status();
  v1::ListKeysResponse response;
  for (const auth::ApiKeyRecord& record : *records) {
    if (record.revoked_at.has_value() && !request.include_revoked()) continue;
    FillKey(record, response.add_keys());
  }
  return response;
}

absl::StatusOr<v1::CreatedKey> AdminHandler::CreateKey(
    const Authorization& authorization,
    const v1::CreateKeyRequest& request) const {
  absl::StatusOr<auth::Caller> caller =
      Authorize(authorization, request.shop_id());
  if (!caller.ok()) return caller.status();
  constexpr char kAction[] = "create_key";
  absl::StatusOr<auth::Scope> scope = auth::ParseScope(request.scope());
  if (!scope.ok()) return Audited(*caller, kAction, "", scope.status());
  if (absl::Status s = CheckTextField("description", request.description(),
                                      kMaxDescriptionBytes);
      !s.ok()) {
    return Audited(*caller, kAction, "", s);
  }
  absl::StatusOr<auth::CreatedApiKey> created =
      keys_->Create(caller->shop_id, *scope, request.description(),
                    std::vector<std::string>(request.origins().begin(),
                                             request.origins().end()));
  if (!created.ok()) {
    return Audited(*caller, kAction, "", NamingOrigins(created.status()));
  }
  (void)Audited(*caller, kAction, created->record.key_id, absl::OkStatus());
  v1::CreatedKey response;
  FillKey(created->record, response.mutable_key());
  response.set_secret(created->text);
  return response;
}

absl::StatusOr<v1::ApiKeyView> AdminHandler::RevokeKey(
    const Authorization& authorization,
    const v1::RevokeKeyRequest& request) const {
  absl::StatusOr<auth::Caller> caller =
      Authorize(authorization, request.shop_id());
  if (!caller.ok()) return caller.status();
  constexpr char kAction[] = "revoke_key";
  const std::string& key_id = request.key_id();
  if (key_id.empty()) {
    return Audited(*caller, kAction, key_id,
                   absl::InvalidArgumentError("key_id: required"));
  }
  absl::StatusOr<std::optional<auth::ApiKeyRecord>> found = keys_->Find(key_id);
  if (!found.ok()) return found.status();
  // Another shop's key is as unknown here as a key that does not exist.
  if (!found->has_value() || (*found)->shop_id != caller->shop_id) {
    return Audited(
        *caller, kAction, key_id,
        absl::NotFoundError(absl::StrCat(
            "key_id: no key ", key_id, " in shop \"", caller->shop_id, "\"")));
  }
  if (absl::Status revoked = keys_->Revoke(key_id); !revoked.ok()) {
    return Audited(*caller, kAction, key_id, revoked);
  }
  found = keys_->Find(key_id);
  (void)Audited(*caller, kAction, key_id, absl::OkStatus());
  if (!found.ok()) return found.status();
  if (!found->has_value()) return absl::InternalError("revoked key vanished");
  v1::ApiKeyView response;
  FillKey(**found, &response);
  return response;
}

absl::StatusOr<v1::ListAuditEntriesResponse> AdminHandler::ListAuditEntries(
    const Authorization& authorization,
    const v1::ListAuditEntriesRequest& request) const {
  absl::StatusOr<auth::Caller> caller =
      Authorize(authorization, request.shop_id());
  if (!caller.ok()) return caller.status();
  absl::StatusOr<int> page_size = PageSize(request.page_size());
  if (!page_size.ok()) return page_size.status();
  absl::StatusOr<std::optional<int64_t>> before =
      PageToken(request.page_token());
  if (!before.ok()) return before.status();
  absl::StatusOr<AuditPage> page =
      audit_->List(caller->shop_id, *page_size, *before);
  if (!page.ok()) return page.status();
  v1::ListAuditEntriesResponse response;
  for (const AuditRecord& record : page->records) {
    v1::AuditEntry* entry = response.add_entries();
    SetTime(record.at, entry->mutable_at());
    entry->set_shop_id(record.shop_id);
    entry->set_actor(record.actor);
    entry->set_action(record.action);
    entry->set_target(record.target);
    entry->set_outcome(record.outcome);
  }
  if (page->next_before_id.has_value()) {
    response.set_next_page_token(absl::StrCat(*page->next_before_id));
  }
  return response;
}

namespace {

// The handler's answer as the call's status, with internals hidden.
template <typename Response>
grpc::Status Answer(const grpc::ServerContext& context,
                    absl::StatusOr<Response> answer, Response* response) {
  if (!answer.ok()) {
    return ForCaller(ToGrpcStatus(answer.status()), RequestIdOf(context));
  }
  *response = *std::move(answer);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status AdminService::ListDeadLetters(
    grpc::ServerContext* context, const v1::ListDeadLettersRequest* request,
    v1::ListDeadLettersResponse* response) {
  return Answer(
      *context,
      handler_->ListDeadLetters(
          auth::AuthorizationOf(context->client_metadata()), *request),
      response);
}

grpc::Status AdminService::ReplayDeadLetter(
    grpc::ServerContext* context, const v1::ReplayDeadLetterRequest* request,
    v1::DeadLetter* response) {
  return Answer(*context,
                handler_->ReplayDeadLetter(
                    auth::AuthorizationOf(context->client_metadata()), *request,
                    RequestIdOf(*context)),
                response);
}

grpc::Status AdminService::ListKeys(grpc::ServerContext* context,
                                    const v1::ListKeysRequest* request,
                                    v1::ListKeysResponse* response) {
  return Answer(
      *context,
      handler_->ListKeys(auth::AuthorizationOf(context->client_metadata()),
                         *request),
      response);
}

grpc::Status AdminService::CreateKey(grpc::ServerContext* context,
                                     const v1::CreateKeyRequest* request,
                                     v1::CreatedKey* response) {
  return Answer(
      *context,
      handler_->CreateKey(auth::AuthorizationOf(context->client_metadata()),
                          *request),
      response);
}

grpc::Status AdminService::RevokeKey(grpc::ServerContext* context,
                                     const v1::RevokeKeyRequest* request,
                                     v1::ApiKeyView* response) {
  return Answer(
      *context,
      handler_->RevokeKey(auth::AuthorizationOf(context->client_metadata()),
                          *request),
      response);
}

grpc::Status AdminService::ListAuditEntries(
    grpc::ServerContext* context, const v1::ListAuditEntriesRequest* request,
    v1::ListAuditEntriesResponse* response) {
  return Answer(
      *context,
      handler_->ListAuditEntries(
          auth::AuthorizationOf(context->client_metadata()), *request),
      response);
}

}  // namespace shopstream
