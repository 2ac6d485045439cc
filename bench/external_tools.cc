#include "bench/external_tools.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace shopstream::bench {
namespace {

// Single quotes for /bin/sh.
std::string ShellQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

// Runs `command` under `timeout` so a hung tool cannot hang the benchmark;
// returns its stdout and stderr.
absl::StatusOr<std::string> RunCommand(const std::string& command,
                                       absl::Duration limit) {
  const std::string bounded = absl::StrCat(
      "timeout -k 5 ", absl::ToInt64Seconds(limit), " ", command, " 2>&1");
  FILE* pipe = popen(bounded.c_str(), "r");
  if (pipe == nullptr) return absl::InternalError("popen failed");
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    output.append(buffer, n);
  const int status = pclose(pipe);
  if (status != 0) {
    return absl::UnavailableError(
        absl::StrCat("'", command, "' exited with ", status, ": ", output));
  }
  return output;
}

absl::StatusOr<std::string> WriteTempFile(const std::string& suffix,
                                          const std::string& content) {
  std::string path = "/tmp/shopstream-bench-XXXXXX" + suffix;
  const int fd = mkstemps(path.data(), static_cast<int>(suffix.size()));
  if (fd < 0) return absl::InternalError("cannot create a temporary file");
  const bool ok = write(fd, content.data(), content.size()) ==
                  static_cast<ssize_t>(content.size());
  close(fd);
  if (!ok) return absl::InternalError("cannot write a temporary file");
  return path;
}

// The number after `label` on the first line that contains it.
bool NumberAfter(const std::string& text, absl::string_view label,
                 double* value) {
  const size_t at = absl::string_view(text).find(label);
  if (at == std::string::npos) return false;
  absl::string_view rest = absl::string_view(text).substr(at + label.size());
  rest = absl::StripLeadingAsciiWhitespace(rest);
  const size_t end = rest.find_first_not_of("0123456789.");
  return absl::SimpleAtod(rest.substr(0, end), value);
}

// "1.23ms", "850.00us", "1.10s" -> milliseconds.
bool ParseWrkDuration(absl::string_view text, double* ms) {
  double factor = 1;
  if (absl::ConsumeSuffix(&text, "us")) {
    factor = 0.001;
  } else if (absl::ConsumeSuffix(&text, "ms")) {
    factor = 1;
  } else if (absl::ConsumeSuffix(&text, "s")) {
    factor = 1000;
  } else if (absl::ConsumeSuffix(&text, "m")) {
    factor = 60000;
  }
  double value = 0;
  if (!absl::SimpleAtod(text, &value)) return false;
  *ms = value * factor;
  return true;
}

}  // namespace

absl::StatusOr<WriteRateResult> ParsePgbenchOutput(const std::string& output) {
  WriteRateResult result;
  double processed = 0;
  if (!NumberAfter(output, "tps =", &result.events_per_second) ||
      !NumberAfter(output, "actually processed:", &processed)) {
    return absl::InternalError(
        absl::StrCat("cannot read pgbench output: ", output));
  }
  result.events = static_cast<int64_t>(processed);
  NumberAfter(output, "latency average =", &result.latency_avg_ms);
  if (result.events_per_second > 0) {
    result.seconds = result.events / result.events_per_second;
  }
  return result;
}

absl::StatusOr<HttpCeilingResult> ParseWrkOutput(const std::string& output) {
  HttpCeilingResult result;
  if (!NumberAfter(output, "Requests/sec:", &result.requests_per_second)) {
    return absl::InternalError(
        absl::StrCat("cannot read wrk output: ", output));
  }
  double value = 0;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    // "  1234 requests in 8.00s, 1.2MB read"
    std::vector<absl::string_view> words =
        absl::StrSplit(line, ' ', absl::SkipWhitespace());
    if (words.size() >= 3 && words[1] == "requests" && words[2] == "in") {
      absl::SimpleAtoi(words[0], &result.requests);
    }
  }
  if (NumberAfter(output, "Non-2xx or 3xx responses:", &value)) {
    result.non_2xx = static_cast<int64_t>(value);
  }
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    std::vector<absl::string_view> words =
        absl::StrSplit(line, ' ', absl::SkipWhitespace());
    if (words.size() == 2) {
      if (words[0] == "50%") ParseWrkDuration(words[1], &result.p50_ms);
      if (words[0] == "90%") ParseWrkDuration(words[1], &result.p90_ms);
      if (words[0] == "99%") ParseWrkDuration(words[1], &result.p99_ms);
    }
    if (absl::StartsWith(absl::StripLeadingAsciiWhitespace(line),
                         "Socket errors:")) {
      // "Socket errors: connect 0, read 0, write 0, timeout 0"
      for (absl::string_view part : absl::StrSplit(line, ',')) {
        std::vector<absl::string_view> tokens =
            absl::StrSplit(part, ' ', absl::SkipWhitespace());
        int64_t count = 0;
        if (!tokens.empty() && absl::SimpleAtoi(tokens.back(), &count)) {
          result.socket_errors += count;
        }
      }
    }
  }
  return result;
}

absl::StatusOr<WriteRateResult> RunPgbenchInserts(const std::string& conninfo,
                                                  const std::string& table,
                                                  int clients,
                                                  absl::Duration duration) {
  // Every transaction is one autocommitted INSERT of one event with a fresh
  // id: the per-event round trip and commit the processor's batching avoids.
  const std::string script = absl::StrCat(
      "INSERT INTO ", table,
      " (shop_id, event_id, event_type, occurred_at, product_id, session_id)"
      " VALUES ('bench-naive', gen_random_uuid()::text, 1, now(),"
      " 'prod-' || (random() * 1000)::int, 'sess-naive');\n");
  absl::StatusOr<std::string> script_path = WriteTempFile(".sql", script);
  if (!script_path.ok()) return script_path.status();
  const int threads =
      std::max(1, std::min<int>(clients, sysconf(_SC_NPROCESSORS_ONLN)));
  absl::StatusOr<std::string> output = RunCommand(
      absl::StrCat("pgbench -n -c ", clients, " -j ", threads, " -T ",
                   absl::ToInt64Seconds(duration), " -f ",
                   ShellQuote(*script_path), " ", ShellQuote(conninfo)),
      duration + absl::Seconds(60));
  std::remove(script_path->c_str());
  if (!output.ok()) return output.status();
  return ParsePgbenchOutput(*output);
}

namespace {

absl::StatusOr<HttpCeilingResult> RunWrkScript(const std::string& url,
                                               const std::string& lua,
                                               int connections, int threads,
                                               absl::Duration duration) {
  absl::StatusOr<std::string> script_path = WriteTempFile(".lua", lua);
  if (!script_path.ok()) return script_path.status();
  absl::StatusOr<std::string> output =
      RunCommand(absl::StrCat("wrk --latency -t", threads, " -c", connections,
                              " -d", absl::ToInt64Seconds(duration), "s -s ",
                              ShellQuote(*script_path), " ", ShellQuote(url)),
                 duration + absl::Seconds(60));
  std::remove(script_path->c_str());
  if (!output.ok()) return output.status();
  return ParseWrkOutput(*output);
}

}  // namespace

absl::StatusOr<HttpCeilingResult> RunWrkIngest(const std::string& url,
                                               const std::string& shop_id,
                                               const std::string& id_prefix,
                                               int connections, int threads,
                                               absl::Duration duration,
                                               const std::string& key) {
  // Shop, prefix and key are ours (letters, digits, dashes, underscores): no
  // escaping needed.
  const std::string lua =
      absl::StrCat(R"lua(
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local n = 0
local headers = {["Content-Type"] = "application/json"}
if ")lua",
                   key, R"lua(" ~= "" then
  headers["Authorization"] = "Bearer )lua",
                   key, R"lua("
end
request = function()
  n = n + 1
  local kind = '"page_view"'
  local amount = ''
  if n % 10 == 0 then
    kind = '"purchase"'
    amount = ',"order_amount":19.99'
  end
  local body = '{"event_id":")lua",
                   id_prefix, R"lua(-' .. tid .. '-' .. n ..
    '","shop_id":")lua",
                   shop_id, R"lua(","event_type":' .. kind ..
    ',"timestamp":"2025-10-02T10:30:00Z","product_id":"prod-' .. (n % 100) ..
    '"' .. amount .. '}'
  return wrk.format("POST", nil, headers, body)
end
)lua");
  return RunWrkScript(url, lua, connections, threads, duration);
}

absl::StatusOr<HttpCeilingResult> RunWrk(const std::string& url,
                                         const std::string& body,
                                         int connections, int threads,
                                         absl::Duration duration) {
  std::string escaped_body;
  for (char c : body) {
    if (c == '"' || c == '\\') escaped_body += '\\';
    escaped_body += c;
  }
  const std::string lua = absl::StrCat(
      "wrk.method = \"POST\"\n", "wrk.body = \"", escaped_body, "\"\n",
      "wrk.headers[\"Content-Type\"] = \"application/json\"\n");
  return RunWrkScript(url, lua, connections, threads, duration);
}

}  // namespace shopstream::bench
