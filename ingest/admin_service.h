#ifndef SHOPSTREAM_INGEST_ADMIN_SERVICE_H_
#define SHOPSTREAM_INGEST_ADMIN_SERVICE_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "auth/api_key_store.h"
#include "auth/request_authorizer.h"
#include "ingest/admin_audit_log.h"
#include "ingest/dead_letter_store.h"
#include "ingest/ingest_service.h"
#include "shopstream/v1/admin.grpc.pb.h"

namespace shopstream {

// What AdminService does for a shop's admin key: its dead letters (listed,
// replayed through the normal write path), its keys (as shopstream-admin
// keys makes them) and the audit of both. Every call needs a key of the
// admin scope for the shop it names; without key checks (--auth=false)
// every call is refused, since nothing would say who acted.
class AdminHandler {
 public:
  using Authorization = std::optional<std::string>;

  // `ingest` validates and publishes replayed events; all must outlive the
  // handler. `replay_timeout`: how long a replayed event may take to be
  // committed before the call gives up (the dead letter stays unmarked).
  AdminHandler(const auth::RequestAuthorizer* authorizer, IngestHandler* ingest,
               DeadLetterStore* dead_letters, auth::ApiKeyStore* keys,
               AdminAuditLog* audit,
               absl::Duration replay_timeout = absl::Seconds(30))
      : authorizer_(authorizer),
        ingest_(ingest),
        dead_letters_(dead_letters),
        keys_(keys),
        audit_(audit),
        replay_timeout_(replay_timeout) {}

  absl::StatusOr<v1::ListDeadLettersResponse> ListDeadLetters(
      const Authorization& authorization,
      const v1::ListDeadLettersRequest& request) const;
  // `request_id` travels with the replayed event, so the processor's log
  // of its commit names the call.
  absl::StatusOr<v1::DeadLetter> ReplayDeadLetter(
      const Authorization& authorization,
      const v1::ReplayDeadLetterRequest& request,
      const std::string& request_id = "") const;
  absl::StatusOr<v1::ListKeysResponse> ListKeys(
      const Authorization& authorization,
      const v1::ListKeysRequest& request) const;
  absl::StatusOr<v1::CreatedKey> CreateKey(
      const Authorization& authorization,
      const v1::CreateKeyRequest& request) const;
  absl::StatusOr<v1::ApiKeyView> RevokeKey(
      const Authorization& authorization,
      const v1::RevokeKeyRequest& request) const;
  absl::StatusOr<v1::ListAuditEntriesResponse> ListAuditEntries(
      const Authorization& authorization,
      const v1::ListAuditEntriesRequest& request) const;

 private:
  absl::StatusOr<auth::Caller> Authorize(const Authorization& authorization,
                                         const std::string& shop) const;
  // Writes the audit entry of `outcome` and answers `outcome`: what was
  // done stays done when the entry cannot be written, which is logged.
  absl::Status Audited(const auth::Caller& caller, const std::string& action,
                       const std::string& target,
                       const absl::Status& outcome) const;
  // Validates `event` again and publishes it; OK once it is committed.
  absl::Status StoreAgain(const internal::v1::StoredEvent& event,
                          const std::string& shop,
                          const std::string& request_id) const;

  const auth::RequestAuthorizer* authorizer_;
  IngestHandler* ingest_;
  DeadLetterStore* dead_letters_;
  auth::ApiKeyStore* keys_;
  AdminAuditLog* audit_;
  absl::Duration replay_timeout_;
};

// The gRPC face of AdminHandler. Synchronous: a replay holds its dead
// letter's row lock while the event is committed, which blocks a thread;
// admin calls are few.
class AdminService final : public v1::AdminService::Service {
 public:
  explicit AdminService(const AdminHandler* handler) : handler_(handler) {}

  grpc::Status ListDeadLetters(grpc::ServerContext* context,
                               const v1::ListDeadLettersRequest* request,
                               v1::ListDeadLettersResponse* response) override;
  grpc::Status ReplayDeadLetter(grpc::ServerContext* context,
                                const v1::ReplayDeadLetterRequest* request,
                                v1::DeadLetter* response) override;
  grpc::Status ListKeys(grpc::ServerContext* context,
                        const v1::ListKeysRequest* request,
                        v1::ListKeysResponse* response) override;
  grpc::Status CreateKey(grpc::ServerContext* context,
                         const v1::CreateKeyRequest* request,
                         v1::CreatedKey* response) override;
  grpc::Status RevokeKey(grpc::ServerContext* context,
                         const v1::RevokeKeyRequest* request,
                         v1::ApiKeyView* response) override;
  grpc::Status ListAuditEntries(
      grpc::ServerContext* context, const v1::ListAuditEntriesRequest* request,
      v1::ListAuditEntriesResponse* response) override;

 private:
  const AdminHandler* handler_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_INGEST_ADMIN_SERVICE_H_
