#include "query/summary_formulas.h"

namespace shopstream {
namespace {

double Cents(absl::int128 cents) { return static_cast<double>(cents) / 100.0; }

}  // namespace

int64_t DivideRoundingHalfUp(int64_t a, int64_t b) {
  // Quotient and remainder, so a large `a` cannot overflow 2a + b.
  const int64_t q = a / b;
  const int64_t r = a % b;
  return r >= b - r ? q + 1 : q;
}

absl::int128 DivideRoundingHalfUp(absl::int128 a, absl::int128 b) {
  const absl::int128 q = a / b;
  const absl::int128 r = a % b;
  return r >= b - r ? q + 1 : q;
}

double ConversionRatePercent(int64_t purchases, int64_t page_views) {
  if (page_views <= 0) return 0;
  // In hundredths of a percent: purchases * 10000 / page_views.
  return Cents(DivideRoundingHalfUp(purchases * 10000, page_views));
}

double AveragePurchaseValue(absl::int128 revenue_cents, int64_t purchases) {
  if (purchases <= 0) return 0;
  return Cents(DivideRoundingHalfUp(revenue_cents, absl::int128(purchases)));
}

v1::Summary BuildSummary(const SummaryCounts& counts) {
  v1::Summary s;
  s.set_total_page_views(counts.page_views);
  s.set_total_add_to_carts(counts.add_to_carts);
  s.set_total_purchases(counts.purchases);
  s.set_conversion_rate(
      ConversionRatePercent(counts.purchases, counts.page_views));
  s.set_average_purchase_value(
      AveragePurchaseValue(counts.revenue_cents, counts.purchases));
  if (counts.purchases > 0) {
    s.set_max_purchase_value(Cents(counts.max_purchase_cents));
    s.set_min_purchase_value(Cents(counts.min_purchase_cents));
  }
  if (counts.top_product_id.has_value()) {
    s.set_top_product_id(*counts.top_product_id);
  }
  s.set_revenue(Cents(counts.revenue_cents));
  s.set_unique_sessions(counts.unique_sessions);
  if (counts.unique_sessions_estimated) s.set_unique_sessions_estimated(true);
  s.set_add_to_cart_rate(
      ConversionRatePercent(counts.add_to_carts, counts.page_views));
  return s;
}

}  // namespace shopstream
