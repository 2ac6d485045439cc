#include "gateway/path_template.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace shopstream::gateway {
namespace {

bool IsIdentifier(absl::string_view text) {
  if (text.empty() || absl::ascii_isdigit(text[0])) return false;
  for (char c : text) {
    if (!absl::ascii_isalnum(c) && c != '_') return false;
  }
  return true;
}

// Characters that end a literal segment of a template.
bool IsTemplateDelimiter(char c) {
  return c == '/' || c == ':' || c == '{' || c == '}' || c == '=';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string PercentDecode(absl::string_view text, bool plus_as_space) {
  std::string decoded;
  decoded.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      const int high = HexValue(text[i + 1]);
      const int low = HexValue(text[i + 2]);
      if (high >= 0 && low >= 0) {
        decoded.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    decoded.push_back(plus_as_space && c == '+' ? ' ' : c);
  }
  return decoded;
}

absl::StatusOr<PathTemplate> PathTemplate::Parse(absl::string_view text) {
  auto error = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("path template \"", text, "\": ", why));
  };
  if (!absl::StartsWith(text, "/")) return error("must start with '/'");

  PathTemplate parsed;
  parsed.text_ = std::string(text);
  size_t pos = 1;
  // "/" alone is the root: no segments at all.
  const bool is_root = text.size() == 1;

  auto parse_plain_segment = [&]() -> absl::Status {
    const size_t start = pos;
    while (pos < text.size() && !IsTemplateDelimiter(text[pos])) ++pos;
    const absl::string_view segment = text.substr(start, pos - start);
    if (segment.empty()) return error("empty segment");
    if (segment == "*") {
      parsed.segments_.push_back({SegmentKind::kSingleWildcard, ""});
    } else if (segment == "**") {
      parsed.segments_.push_back({SegmentKind::kMultiWildcard, ""});
    } else if (absl::StrContains(segment, '*')) {
      return error("'*' must be a whole segment");
    } else {
      parsed.segments_.push_back({SegmentKind::kLiteral, std::string(segment)});
    }
    return absl::OkStatus();
  };

  while (!is_root && pos <= text.size()) {
    if (pos < text.size() && text[pos] == '{') {
      const size_t close = text.find('}', pos);
      if (close == absl::string_view::npos) return error("unclosed '{'");
      const absl::string_view inside = text.substr(pos + 1, close - pos - 1);
      if (absl::StrContains(inside, '{')) return error("nested variable");
      const size_t equals = inside.find('=');
      const absl::string_view field_path = inside.substr(0, equals);
      for (absl::string_view part : absl::StrSplit(field_path, '.')) {
        if (!IsIdentifier(part)) {
          return error(absl::StrCat("bad field path \"", field_path, "\""));
        }
      }
      Variable variable{std::string(field_path),
                        static_cast<int>(parsed.segments_.size()), 0};
      if (equals == absl::string_view::npos) {
        parsed.segments_.push_back({SegmentKind::kSingleWildcard, ""});
        pos = close + 1;
      } else {
        // Parse the variable's own segments, which end at the '}'.
        pos = pos + 1 + equals + 1;
        while (true) {
          if (absl::Status status = parse_plain_segment(); !status.ok()) {
            return status;
          }
          if (pos < close && text[pos] == '/') {
            ++pos;
            continue;
          }
          if (pos != close) return error("unexpected character in variable");
          break;
        }
        pos = close + 1;
      }
      variable.end_segment = static_cast<int>(parsed.segments_.size());
      for (const Variable& other : parsed.variables_) {
        if (other.field_path == variable.field_path) {
          return error(absl::StrCat("variable \"", variable.field_path,
                                    "\" appears twice"));
        }
      }
      parsed.variables_.push_back(std::move(variable));
    } else {
      if (absl::Status status = parse_plain_segment(); !status.ok()) {
        return status;
      }
    }
    if (pos == text.size()) break;
    if (text[pos] == '/') {
      ++pos;
      continue;
    }
    if (text[pos] == ':') {
      parsed.verb_ = std::string(text.substr(pos + 1));
      if (parsed.verb_.empty()) return error("empty verb");
      for (char c : parsed.verb_) {
        if (IsTemplateDelimiter(c) || c == '*') return error("bad verb");
      }
      break;
    }
    return error(absl::StrCat("unexpected '", text.substr(pos, 1), "'"));
  }

  for (size_t i = 0; i + 1 < parsed.segments_.size(); ++i) {
    if (parsed.segments_[i].kind == SegmentKind::kMultiWildcard) {
      return error("'**' must be the last segment");
    }
  }
  return parsed;
}

std::optional<std::vector<PathVariable>> PathTemplate::Match(
    absl::string_view path) const {
  if (!absl::StartsWith(path, "/")) return std::nullopt;
  path.remove_prefix(1);
  if (!verb_.empty()) {
    // The verb is only a verb at the very end: "/v1/events:batch".
    const std::string suffix = absl::StrCat(":", verb_);
    if (!absl::EndsWith(path, suffix)) return std::nullopt;
    path.remove_suffix(suffix.size());
  }

  std::vector<absl::string_view> parts;
  if (!path.empty()) parts = absl::StrSplit(path, '/');

  const bool ends_with_rest =
      !segments_.empty() &&
      segments_.back().kind == SegmentKind::kMultiWildcard;
  const size_t fixed_count = segments_.size() - (ends_with_rest ? 1 : 0);
  if (ends_with_rest ? parts.size() < fixed_count
                     : parts.size() != fixed_count) {
    return std::nullopt;
  }
  for (size_t i = 0; i < fixed_count; ++i) {
    const Segment& segment = segments_[i];
    if (segment.kind == SegmentKind::kLiteral) {
      if (parts[i] != segment.literal) return std::nullopt;
    } else if (parts[i].empty()) {
      return std::nullopt;
    }
  }

  std::vector<PathVariable> captured;
  captured.reserve(variables_.size());
  for (const Variable& variable : variables_) {
    const size_t end =
        static_cast<size_t>(variable.end_segment) == segments_.size() &&
                ends_with_rest
            ? parts.size()
            : static_cast<size_t>(variable.end_segment);
    std::string value;
    for (size_t i = variable.first_segment; i < end; ++i) {
      if (i > static_cast<size_t>(variable.first_segment)) value += '/';
      value += PercentDecode(parts[i]);
    }
    captured.push_back({variable.field_path, std::move(value)});
  }
  return captured;
}

std::vector<std::string> PathTemplate::VariableFieldPaths() const {
  std::vector<std::string> paths;
  for (const Variable& variable : variables_) {
    paths.push_back(variable.field_path);
  }
  return paths;
}

int PathTemplate::LiteralSegmentCount() const {
  int count = 0;
  for (const Segment& segment : segments_) {
    if (segment.kind == SegmentKind::kLiteral) ++count;
  }
  return count;
}

}  // namespace shopstream::gateway
