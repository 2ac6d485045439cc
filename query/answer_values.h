#ifndef SHOPSTREAM_QUERY_ANSWER_VALUES_H_
#define SHOPSTREAM_QUERY_ANSWER_VALUES_H_

#include <cstdint>
#include <pqxx/pqxx>
#include <string>

#include "absl/numeric/int128.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/timestamp.pb.h"

// Conversions the filtered answers share between SQL, C++ and the API.
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

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_ANSWER_VALUES_H_
