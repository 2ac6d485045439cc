#include "gateway/request_framing.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace shopstream::gateway {
namespace {

constexpr absl::string_view kHeaderBlockEnd = "\r\n\r\n";
// Echoed values are cut short: they go back in a JSON error.
constexpr size_t kMaxEchoedBytes = 64;

// Optional whitespace of RFC 9110: spaces and tabs, nothing else.
absl::string_view TrimOptionalWhitespace(absl::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

bool IsDecimal(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string Echo(absl::string_view value) {
  return absl::StrCat("\"", absl::CHexEscape(value.substr(0, kMaxEchoedBytes)),
                      value.size() > kMaxEchoedBytes ? "...\"" : "\"");
}

}  // namespace

size_t HeaderBlockLength(absl::string_view received) {
  const size_t end = received.find(kHeaderBlockEnd);
  return end == absl::string_view::npos ? 0 : end + kHeaderBlockEnd.size();
}

absl::Status CheckRequestFraming(absl::string_view header_block) {
  const std::vector<absl::string_view> lines =
      absl::StrSplit(header_block, "\r\n");
  if (lines.empty()) return absl::OkStatus();
  const bool http10 = absl::EndsWith(lines.front(), " HTTP/1.0");
  int content_lengths = 0;
  bool transfer_encoding = false;
  std::vector<absl::string_view> codings;
  for (size_t i = 1; i < lines.size(); ++i) {
    const absl::string_view line = lines[i];
    if (line.empty()) continue;  // the end of the block
    if (line.front() == ' ' || line.front() == '\t') {
      return absl::InvalidArgumentError(
          "obsolete line folding is not accepted: a header line may not "
          "begin with a space or a tab");
    }
    const size_t colon = line.find(':');
    // Beast refuses the line; nothing here depends on it.
    if (colon == absl::string_view::npos) continue;
    const absl::string_view name = line.substr(0, colon);
    const absl::string_view value =
        TrimOptionalWhitespace(line.substr(colon + 1));
    if (absl::EqualsIgnoreCase(name, "content-length")) {
      ++content_lengths;
      if (!IsDecimal(value)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "Content-Length: must be one decimal number, got ", Echo(value)));
      }
    } else if (absl::EqualsIgnoreCase(name, "transfer-encoding")) {
      // Several fields are one list, in order.
      transfer_encoding = true;
      for (absl::string_view element : absl::StrSplit(value, ',')) {
        element = TrimOptionalWhitespace(element.substr(0, element.find(';')));
        if (!element.empty()) codings.push_back(element);
      }
    }
  }
  if (content_lengths > 1) {
    return absl::InvalidArgumentError(
        "Content-Length: must be sent once, not repeated");
  }
  if (!transfer_encoding) return absl::OkStatus();
  if (http10) {
    return absl::InvalidArgumentError(
        "Transfer-Encoding: not allowed in an HTTP/1.0 request");
  }
  if (content_lengths > 0) {
    return absl::InvalidArgumentError(
        "Transfer-Encoding: not allowed together with Content-Length");
  }
  if (codings.empty() || !absl::EqualsIgnoreCase(codings.back(), "chunked")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Transfer-Encoding: the last transfer coding must be chunked, got ",
        Echo(codings.empty() ? absl::string_view() : codings.back())));
  }
  for (size_t i = 0; i + 1 < codings.size(); ++i) {
    if (absl::EqualsIgnoreCase(codings[i], "chunked")) {
      return absl::InvalidArgumentError(
          "Transfer-Encoding: chunked may be applied only once");
    }
  }
  if (codings.size() > 1) {
    return absl::UnimplementedError(absl::StrCat(
        "Transfer-Encoding: transfer coding ", Echo(codings.front()),
        " is not supported; send the body chunked or with Content-Length"));
  }
  return absl::OkStatus();
}

}  // namespace shopstream::gateway
