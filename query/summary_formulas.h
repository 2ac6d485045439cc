#ifndef SHOPSTREAM_QUERY_SUMMARY_FORMULAS_H_
#define SHOPSTREAM_QUERY_SUMMARY_FORMULAS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/numeric/int128.h"
#include "shopstream/v1/analytics.pb.h"

namespace shopstream {

// What the store counts; the formulas below turn it into the case study's
// numbers. Money stays in whole cents until the very end.
struct SummaryCounts {
  int64_t page_views = 0;
  int64_t add_to_carts = 0;
  int64_t purchases = 0;
  absl::int128 revenue_cents = 0;  // a sum; may pass 2^63
  int64_t max_purchase_cents = 0;  // meaningful when purchases > 0
  int64_t min_purchase_cents = 0;
  std::optional<std::string> top_product_id;
  int64_t unique_sessions = 0;
  bool unique_sessions_estimated = false;
};

// a / b rounded half up to a whole number; a >= 0, b > 0.
int64_t DivideRoundingHalfUp(int64_t a, int64_t b);
absl::int128 DivideRoundingHalfUp(absl::int128 a, absl::int128 b);

// purchases / page_views * 100, rounded to 2 decimals; 0 without views.
double ConversionRatePercent(int64_t purchases, int64_t page_views);

// Mean purchase in currency units, rounded to 2 decimals; 0 without
// purchases.
double AveragePurchaseValue(absl::int128 revenue_cents, int64_t purchases);

v1::Summary BuildSummary(const SummaryCounts& counts);

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_SUMMARY_FORMULAS_H_
