#ifndef SHOPSTREAM_GATEWAY_JSON_ERROR_TEXT_H_
#define SHOPSTREAM_GATEWAY_JSON_ERROR_TEXT_H_

#include <cstddef>

#include "absl/strings/string_view.h"
#include "simdjson.h"

namespace shopstream::gateway {

// What a 400 for malformed request JSON says, from what simdjson reports:
// its error codes in words, and the finer distinctions it leaves to us.

// A sentence for "malformed JSON at offset N: ...".
const char* DescribeJsonError(simdjson::error_code code);

// Where the first byte that is not part of valid UTF-8 is (simdjson checks
// the whole input at once and says no more than that).
size_t FirstInvalidUtf8(absl::string_view text);

// Is `text` a number by JSON's grammar? simdjson refuses numbers a double
// cannot hold with the same code as malformed ones.
bool IsJsonNumber(absl::string_view text);

// Does the JSON string `token` (quotes included) escape half a surrogate
// pair? Such text decodes to bytes that are not UTF-8, which simdjson
// refuses with the same code as a bad escape.
bool EscapesLoneSurrogate(absl::string_view token);

// Are arrays and objects nested deeper than `limit` anywhere in `json`?
// For an answer that names the nesting first, whatever else is wrong, as
// when it was counted before parsing.
bool NestedDeeperThan(absl::string_view json, int limit);

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_JSON_ERROR_TEXT_H_
