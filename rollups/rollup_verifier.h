#ifndef SHOPSTREAM_ROLLUPS_ROLLUP_VERIFIER_H_
#define SHOPSTREAM_ROLLUPS_ROLLUP_VERIFIER_H_

#include <cstdint>
#include <optional>
#include <pqxx/transaction_base>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace shopstream::rollups {

// The rollup rows of one table that differ from what the raw events (or
// the finer rollup they are sums of) say.
struct TableDifference {
  std::string table;
  // Rows the rollup should hold but does not, with these values.
  int64_t missing = 0;
  // Rows the rollup holds that it should not, or with other values.
  int64_t unexpected = 0;
};

struct VerifyReport {
  // The UTC days checked: [from, to).
  absl::Time from;
  absl::Time to;
  // Whether the shop's whole history was checked (its session list and
  // first and last event need every raw event still kept).
  bool whole_history = false;
  std::vector<TableDifference> differences;  // tables that differ, only
  bool ok() const { return differences.empty(); }
};

// Recomputes a shop's rollups from its raw events, with the definitions the
// folder folds with (rollup_schema.h), and reports or repairs any
// difference. Only events the folder has added count (the tail is not in
// the rollups yet), and only ranges whose raw events are still kept: the
// rollups of months retention dropped stay as they are.
//
// What each table is checked against:
//   shop minute, hour and day rollups, product days, session days and
//     session sketches: the raw events of the range's days;
//   product weeks overlapping the range: the sums of their product days;
//   session stats, engagement days and duration buckets: the shop's raw
//     events of the sessions that started in the range, whole;
//   product_totals and shop_totals: the sums of the day rollups (all time),
//     the shop's sessions and its most viewed product;
//   shop_sessions and the first and last event: the raw events, only when
//     no range is given and retention has dropped nothing.
class RollupVerifier {
 public:
  explicit RollupVerifier(std::string conninfo);

  // `from` and `to` must be whole UTC days (00:00:00Z); missing, they are
  // the first day with a kept raw event of the shop and the day after its
  // last. INVALID_ARGUMENT, naming the field, for a range that is not whole
  // days or reaches before the raw events kept.
  absl::StatusOr<VerifyReport> Verify(const std::string& shop,
                                      std::optional<absl::Time> from,
                                      std::optional<absl::Time> to) const;

  // Rewrites what Verify would report, in one transaction, while no fold
  // runs (it waits for the fold lock). Returns what differed before.
  absl::StatusOr<VerifyReport> Rebuild(const std::string& shop,
                                       std::optional<absl::Time> from,
                                       std::optional<absl::Time> to) const;

  // Verify (or, with `repair`, Rebuild) inside `tx`, a REPEATABLE READ
  // transaction the caller commits; with `repair` the caller holds the fold
  // lock (kFoldLock). For changes that must correct rollups in the same
  // transaction, such as erasing a session. Arguments as Verify's, checked
  // with CheckArguments.
  static absl::StatusOr<VerifyReport> RunIn(pqxx::transaction_base& tx,
                                            const std::string& shop,
                                            std::optional<absl::Time> from,
                                            std::optional<absl::Time> to,
                                            bool repair);
  static absl::Status CheckArguments(const std::string& shop,
                                     std::optional<absl::Time> from,
                                     std::optional<absl::Time> to);

 private:
  absl::StatusOr<VerifyReport> Run(const std::string& shop,
                                   std::optional<absl::Time> from,
                                   std::optional<absl::Time> to,
                                   bool repair) const;

  const std::string conninfo_;
};

}  // namespace shopstream::rollups

#endif  // SHOPSTREAM_ROLLUPS_ROLLUP_VERIFIER_H_
