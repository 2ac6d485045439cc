#include "storage/pg_probe.h"

#include <pqxx/pqxx>

#include "storage/pg_status.h"

namespace shopstream {

PgProbe::PgProbe(std::string conninfo) : conninfo_(std::move(conninfo)) {}

PgProbe::~PgProbe() = default;

absl::Status PgProbe::Check() {
  absl::Status status = RunPgVoid([&] {
    if (conn_ == nullptr || !conn_->is_open()) {
      conn_.reset();
      conn_ = std::make_unique<pqxx::connection>(conninfo_);
    }
    pqxx::nontransaction tx(*conn_);
    tx.exec("SELECT 1");
  });
  if (!status.ok()) conn_.reset();
  return status;
}

}  // namespace shopstream
