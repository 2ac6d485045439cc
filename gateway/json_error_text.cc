#include "gateway/json_error_text.h"

#include <cstddef>

#include "gateway/field_text.h"

namespace shopstream::gateway {

const char* DescribeJsonError(simdjson::error_code code) {
  switch (code) {
    case simdjson::UTF8_ERROR:
      return "Invalid encoding in string.";
    case simdjson::NUMBER_ERROR:
      return "Invalid number.";
    case simdjson::STRING_ERROR:
      return "Invalid escape in string.";
    case simdjson::UNCLOSED_STRING:
      return "Missing a closing quotation mark in string.";
    case simdjson::UNESCAPED_CHARS:
      return "Unescaped control character in string.";
    case simdjson::EMPTY:
      return "The document is empty.";
    case simdjson::T_ATOM_ERROR:
    case simdjson::F_ATOM_ERROR:
    case simdjson::N_ATOM_ERROR:
    case simdjson::INCORRECT_TYPE:
      return "Invalid value.";
    case simdjson::INCOMPLETE_ARRAY_OR_OBJECT:
      return "The document ends inside an object or array.";
    case simdjson::TRAILING_CONTENT:
      return "Content after the end of the document.";
    default:
      return simdjson::error_message(code);
  }
}

size_t FirstInvalidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char lead = static_cast<unsigned char>(text[i]);
    const size_t length = lead < 0x80             ? 1
                          : (lead & 0xE0) == 0xC0 ? 2
                          : (lead & 0xF0) == 0xE0 ? 3
                                                  : 4;
    if (!IsValidUtf8(text.substr(i, length))) return i;
    i += length;
  }
  return text.size();
}

// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? (RFC 8259)
bool IsJsonNumber(absl::string_view text) {
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    return i - start;
  };
  if (i < text.size() && text[i] == '-') ++i;
  if (i < text.size() && text[i] == '0') {
    ++i;
  } else if (digits() == 0) {
    return false;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == text.size();
}

bool EscapesLoneSurrogate(absl::string_view token) {
  auto code_at = [&](size_t i) -> int {
    if (i + 6 > token.size() || token[i] != '\\' || token[i + 1] != 'u') {
      return -1;
    }
    int code = 0;
    for (size_t k = i + 2; k < i + 6; ++k) {
      const char c = token[k];
      const int digit = c >= '0' && c <= '9'   ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                               : -1;
      if (digit < 0) return -1;
      code = code * 16 + digit;
    }
    return code;
  };
  for (size_t i = 0; i < token.size(); ++i) {
    if (token[i] != '\\') continue;
    const int code = code_at(i);
    if (code >= 0xD800 && code <= 0xDBFF) {
      const int low = code_at(i + 6);
      if (low < 0xDC00 || low > 0xDFFF) return true;
      i += 11;
    } else if (code >= 0xDC00 && code <= 0xDFFF) {
      return true;
    } else {
      ++i;
    }
  }
  return false;
}

bool NestedDeeperThan(absl::string_view json, int limit) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

}  // namespace shopstream::gateway
