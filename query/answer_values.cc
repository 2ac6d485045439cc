#include "query/answer_values.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "query/summary_formulas.h"

namespace shopstream {

std::string InstantOfMicros(absl::string_view param) {
  return absl::StrCat("('epoch'::timestamptz + (", param,
                      "::bigint / 1000000) * interval '1 second' + (", param,
                      "::bigint % 1000000) * interval '1 microsecond')");
}

absl::int128 CentsOf(const pqxx::field& field) {
  absl::int128 cents = 0;
  if (!field.is_null() && !absl::SimpleAtoi(field.c_str(), &cents)) {
    throw pqxx::conversion_error(
        absl::StrCat("not a whole number of cents: ", field.c_str()));
  }
  return cents;
}

void SetTimestampMicros(int64_t micros, google::protobuf::Timestamp* ts) {
  int64_t seconds = micros / 1000000;
  int64_t rest = micros % 1000000;
  if (rest < 0) {
    rest += 1000000;
    --seconds;
  }
  ts->set_seconds(seconds);
  ts->set_nanos(static_cast<int32_t>(rest * 1000));
}

void AddProductStats(const ProductCounts& row, v1::TopProducts* top) {
  v1::ProductStats* p = top->add_products();
  p->set_product_id(row.product_id);
  p->set_page_views(row.page_views);
  p->set_add_to_carts(row.add_to_carts);
  p->set_purchases(row.purchases);
  p->set_revenue(Units(row.revenue_cents));
  p->set_conversion_rate(ConversionRatePercent(row.purchases, row.page_views));
}

}  // namespace shopstream
