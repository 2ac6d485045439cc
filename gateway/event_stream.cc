#include "gateway/event_stream.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace shopstream::gateway {

std::string EventStreamEvent(absl::string_view event, absl::string_view data) {
  std::string text;
  if (!event.empty()) absl::StrAppend(&text, "event: ", event, "\n");
  // A line break inside data would end the field early; each line gets its
  // own "data:" field and the client joins them with "\n" again.
  for (absl::string_view line : absl::StrSplit(data, absl::ByAnyChar("\n"))) {
    if (absl::EndsWith(line, "\r")) line.remove_suffix(1);
    absl::StrAppend(&text, "data: ", line, "\n");
  }
  text += "\n";
  return text;
}

}  // namespace shopstream::gateway
