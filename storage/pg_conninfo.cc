#include "storage/pg_conninfo.h"

#include <libpq-fe.h>

#include <memory>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace shopstream {
namespace {

constexpr std::pair<const char*, const char*> kNetworkTimeouts[] = {
    {"connect_timeout", "5"},  {"keepalives", "1"},
    {"keepalives_idle", "10"}, {"keepalives_interval", "5"},
    {"keepalives_count", "3"}, {"tcp_user_timeout", "20000"},
};

void AppendQuoted(std::string& out, const char* value) {
  out += '\'';
  for (const char* c = value; *c != '\0'; ++c) {
    if (*c == '\'' || *c == '\\') out += '\\';
    out += *c;
  }
  out += '\'';
}

}  // namespace

std::string WithNetworkTimeouts(absl::string_view conninfo) {
  const std::string text(conninfo);
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
      PQconninfoParse(text.c_str(), &error), &PQconninfoFree);
  if (options == nullptr) {
    PQfreemem(error);
    return text;
  }
  std::string out;
  absl::flat_hash_set<std::string> set;
  for (PQconninfoOption* option = options.get(); option->keyword != nullptr;
       ++option) {
    if (option->val == nullptr) continue;
    set.insert(option->keyword);
    absl::StrAppend(&out, out.empty() ? "" : " ", option->keyword, "=");
    AppendQuoted(out, option->val);
  }
  for (const auto& [keyword, value] : kNetworkTimeouts) {
    if (set.contains(keyword)) continue;
    absl::StrAppend(&out, out.empty() ? "" : " ", keyword, "=", value);
  }
  return out;
}

}  // namespace shopstream
