#include "ingest/admin_audit_log.h"

#include <pqxx/pqxx>

namespace shopstream {

absl::Status AdminAuditLog::Record(const AuditRecord& record) {
  return pool_->Run([&](pqxx::connection& c) {
    pqxx::work tx(c);
    tx.exec_params(
        "INSERT INTO admin_audit (shop_id, actor, action, target, outcome) "
        "VALUES ($1, $2, $3, $4, $5)",
        record.shop_id, record.actor, record.action, record.target,
        record.outcome);
    tx.commit();
  });
}

absl::StatusOr<AuditPage> AdminAuditLog::List(
    const std::string& shop, int page_size, std::optional<int64_t> before_id) {
  AuditPage page;
  absl::Status status = pool_->Run([&](pqxx::connection& c) {
    pqxx::work tx(c);
    // One row more than the page tells whether another page follows.
    pqxx::result rows = tx.exec_params(
        "SELECT id, (extract(epoch FROM at) * 1000000)::int8, shop_id, actor, "
        "action, target, outcome FROM admin_audit WHERE shop_id = $1 "
        "AND ($2::int8 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
        shop, before_id, page_size + 1);
    for (const pqxx::row& row : rows) {
      if (static_cast<int>(page.records.size()) == page_size) {
        page.next_before_id = page.records.back().id;
        break;
      }
      page.records.push_back(
          AuditRecord{.id = row[0].as<int64_t>(),
                      .at = absl::FromUnixMicros(row[1].as<int64_t>()),
                      .shop_id = row[2].as<std::string>(),
                      .actor = row[3].as<std::string>(),
                      .action = row[4].as<std::string>(),
                      .target = row[5].as<std::string>(),
                      .outcome = row[6].as<std::string>()});
    }
  });
  if (!status.ok()) return status;
  return page;
}

}  // namespace shopstream
