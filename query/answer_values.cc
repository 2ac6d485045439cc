#include "query/answer_values.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

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

}  // namespace shopstream
