#ifndef SHOPSTREAM_STORAGE_PG_CONNECTION_POOL_H_
#define SHOPSTREAM_STORAGE_PG_CONNECTION_POOL_H_

#include <functional>
#include <memory>
#include <pqxx/connection>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "storage/pg_status.h"

namespace shopstream {

// A fixed number of PostgreSQL connections shared by request threads.
// Connections are opened lazily and dropped when they break, so a
// PostgreSQL restart costs the requests that were using it, not the pool.
class PgConnectionPool {
 public:
  // `on_connect`, when not empty, runs once on each new connection (session
  // settings). Waits for a free connection are timed on `clock`.
  PgConnectionPool(std::string conninfo, int size, std::string on_connect = "",
                   const Clock& clock = Clock::Real());
  ~PgConnectionPool();

  // Runs `fn` on a connection of the pool, waiting up to `wait` for one to
  // be free. libpqxx exceptions from `fn` come back as a Status.
  absl::Status Run(const std::function<void(pqxx::connection&)>& fn,
                   absl::Duration wait = absl::Seconds(5));

  int size() const { return size_; }

 private:
  absl::StatusOr<std::unique_ptr<pqxx::connection>> Take(absl::Duration wait);
  void Give(std::unique_ptr<pqxx::connection> conn);

  const std::string conninfo_;
  const int size_;
  const std::string on_connect_;
  const Clock& clock_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_ ABSL_GUARDED_BY(mu_);
  int checked_out_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_STORAGE_PG_CONNECTION_POOL_H_
