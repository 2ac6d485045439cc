#ifndef SHOPSTREAM_GATEWAY_PATH_TEMPLATE_H_
#define SHOPSTREAM_GATEWAY_PATH_TEMPLATE_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace shopstream::gateway {

// A value captured from a request path: the dotted field path of the
// template variable ("shop_id", "a.b") and its percent-decoded text.
struct PathVariable {
  std::string field_path;
  std::string value;

  bool operator==(const PathVariable&) const = default;
};

// A google.api.HttpRule path template, e.g. "/v1/shops/{shop_id}/summary",
// "/v1/{name=projects/*/items/**}" or "/v1/events:batch":
//
//   Template = "/" [ Segments ] [ ":" Verb ]
//   Segment  = "*" | "**" | LITERAL | "{" FieldPath [ "=" Segments ] "}"
//
// "**" matches the rest of the path and may only come last.
class PathTemplate {
 public:
  static absl::StatusOr<PathTemplate> Parse(absl::string_view text);

  // The captured variables when `path` (no query string) matches, in
  // template order; nullopt otherwise.
  std::optional<std::vector<PathVariable>> Match(absl::string_view path) const;

  const std::string& text() const { return text_; }
  const std::string& verb() const { return verb_; }
  // Dotted field paths of the variables, in template order.
  std::vector<std::string> VariableFieldPaths() const;
  // How many segments are fixed text; more means more specific.
  int LiteralSegmentCount() const;

 private:
  enum class SegmentKind { kLiteral, kSingleWildcard, kMultiWildcard };
  struct Segment {
    SegmentKind kind;
    std::string literal;
  };
  // Segments [first_segment, end_segment) of the template belong to it.
  struct Variable {
    std::string field_path;
    int first_segment;
    int end_segment;
  };

  PathTemplate() = default;

  std::string text_;
  std::vector<Segment> segments_;
  std::vector<Variable> variables_;
  std::string verb_;
};

// Decodes %XX escapes; invalid escapes are kept as they are. With
// `plus_as_space` (query strings), '+' decodes to ' '.
std::string PercentDecode(absl::string_view text, bool plus_as_space = false);

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_PATH_TEMPLATE_H_
