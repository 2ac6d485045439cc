#ifndef SHOPSTREAM_INGEST_ADMIN_AUDIT_LOG_H_
#define SHOPSTREAM_INGEST_ADMIN_AUDIT_LOG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/pg_connection_pool.h"

namespace shopstream {

// One thing an admin key did, or tried.
struct AuditRecord {
  int64_t id = 0;
  absl::Time at;
  std::string shop_id;
  std::string actor;    // the caller's key id
  std::string action;   // "replay_dead_letter", "create_key", "revoke_key"
  std::string target;   // the dead letter or key acted on
  std::string outcome;  // "ok" or the refusal's message
};

struct AuditPage {
  std::vector<AuditRecord> records;
  // The id to pass as `before_id` for the next page; none on the last.
  std::optional<int64_t> next_before_id;
};

// The admin_audit table (migrations/0022). Entries are only ever added.
class AdminAuditLog {
 public:
  explicit AdminAuditLog(PgConnectionPool* pool) : pool_(pool) {}

  // `record.id` and `record.at` are the table's.
  absl::Status Record(const AuditRecord& record);
  // A shop's entries, newest first: those with an id below `before_id`
  // (all when none).
  absl::StatusOr<AuditPage> List(const std::string& shop, int page_size,
                                 std::optional<int64_t> before_id);

 private:
  PgConnectionPool* pool_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_INGEST_ADMIN_AUDIT_LOG_H_
