#include "storage/pg_connection_pool.h"

#include <pqxx/pqxx>

namespace shopstream {

PgConnectionPool::PgConnectionPool(std::string conninfo, int size,
                                   std::string on_connect, const Clock& clock)
    : conninfo_(std::move(conninfo)),
      size_(size),
      on_connect_(std::move(on_connect)),
      clock_(clock) {}

PgConnectionPool::~PgConnectionPool() = default;

absl::StatusOr<std::unique_ptr<pqxx::connection>> PgConnectionPool::Take(
    absl::Duration wait) {
  {
    absl::MutexLock lock(&mu_);
    auto has_room = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || checked_out_ < size_;
    };
    if (!clock_.AwaitWithDeadline(mu_, absl::Condition(&has_room),
                                  clock_.Now() + wait)) {
      return absl::ResourceExhaustedError(
          "postgres: all pool connections are busy");
    }
    ++checked_out_;
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
  }
  // Connect outside the lock: it can take a while.
  auto conn = RunPg([&] {
    auto opened = std::make_unique<pqxx::connection>(conninfo_);
    if (!on_connect_.empty()) pqxx::nontransaction(*opened).exec(on_connect_);
    return opened;
  });
  if (!conn.ok()) {
    absl::MutexLock lock(&mu_);
    --checked_out_;
  }
  return conn;
}

void PgConnectionPool::Give(std::unique_ptr<pqxx::connection> conn) {
  absl::MutexLock lock(&mu_);
  --checked_out_;
  if (conn != nullptr && conn->is_open()) idle_.push_back(std::move(conn));
}

absl::Status PgConnectionPool::Run(
    const std::function<void(pqxx::connection&)>& fn, absl::Duration wait) {
  auto conn = Take(wait);
  if (!conn.ok()) return conn.status();
  absl::Status status = RunPgVoid([&] { fn(**conn); });
  // A connection that failed for a reason of its own is not trusted again.
  if (status.code() == absl::StatusCode::kUnavailable) conn->reset();
  Give(std::move(*conn));
  return status;
}

}  // namespace shopstream
