#ifndef SHOPSTREAM_QUERY_ANSWER_VALUES_H_
#define SHOPSTREAM_QUERY_ANSWER_VALUES_H_

#include <cstdint>
#include <pqxx/pqxx>
#include <string>

#include "absl/numeric/int128.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/timestamp.pb.h"
#include "rollups/rollup_schema.h"
#include "shopstream/v1/analytics.pb.h"

// Conversions the answers share between SQL, C++ and the API.
namespace shopstream {

// SQL for "the instant `param` microseconds after the epoch". bigint *
// interval goes through a double: split into seconds and microseconds,
// each product stays exact for every year 1 to 9999.
std::string InstantOfMicros(absl::string_view param);

// A money sum, numeric in PostgreSQL so that it cannot overflow there.
// Throws pqxx::conversion_error (inside the libpqxx layer) if not whole.
absl::int128 CentsOf(const pqxx::field& field);

inline double Units(absl::int128 cents) {
  return static_cast<double>(cents) / 100.0;
}

void SetTimestampMicros(int64_t micros, google::protobuf::Timestamp* ts);

// `micros` as timestamptz input: UTC, to the microsecond; the rollups'
// own, so that both sides bind instants alike.
using rollups::TimestampText;

// One product's counts in a range, as every top-products answer reads them.
struct ProductCounts {
  std::string product_id;
  int64_t page_views = 0;
  int64_t add_to_carts = 0;
  int64_t purchases = 0;
  absl::int128 revenue_cents = 0;
};

// Appends `row` to `top` with its conversion rate.
void AddProductStats(const ProductCounts& row, v1::TopProducts* top);

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_ANSWER_VALUES_H_
