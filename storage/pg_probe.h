#ifndef SHOPSTREAM_STORAGE_PG_PROBE_H_
#define SHOPSTREAM_STORAGE_PG_PROBE_H_

#include <memory>
#include <pqxx/connection>
#include <string>

#include "absl/status/status.h"

namespace shopstream {

// Answers "can this process reach its database now?" for health checks, over
// one connection of its own: kept open between checks, so a check costs a
// round trip, and reopened after it breaks. Not thread-safe; one caller.
class PgProbe {
 public:
  explicit PgProbe(std::string conninfo);
  ~PgProbe();

  // OK when `SELECT 1` succeeds; UNAVAILABLE (or what libpqxx's failure
  // became) when not.
  absl::Status Check();

 private:
  const std::string conninfo_;
  std::unique_ptr<pqxx::connection> conn_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_STORAGE_PG_PROBE_H_
