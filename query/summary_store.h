#ifndef SHOPSTREAM_QUERY_SUMMARY_STORE_H_
#define SHOPSTREAM_QUERY_SUMMARY_STORE_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "query/summary_formulas.h"
#include "storage/pg_connection_pool.h"

namespace shopstream {

struct SummaryScope {
  std::string shop_id;  // empty: every shop
  std::optional<absl::Time> from;  // inclusive
  std::optional<absl::Time> to;    // exclusive
};

// Counts what the summary needs from stored events, in one consistent
// snapshot.
class SummaryStore {
 public:
  explicit SummaryStore(PgConnectionPool* pool) : pool_(pool) {}

  absl::StatusOr<SummaryCounts> Load(const SummaryScope& scope) const;

 private:
  PgConnectionPool* pool_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_SUMMARY_STORE_H_
