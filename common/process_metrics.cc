#include "common/process_metrics.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace shopstream {
namespace {

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

// The fields of /proc/<pid>/stat we export, already in their units' raw
// form (clock ticks, bytes, pages).
struct Stat {
  double user_ticks = 0;
  double system_ticks = 0;
  double start_ticks = 0;  // since boot
  double virtual_bytes = 0;
  double resident_pages = 0;
};

// proc(5): "pid (comm) state ppid ...". comm may hold spaces and
// parentheses, so the fields are counted from the last ')'.
std::optional<Stat> ParseStat(absl::string_view text) {
  const size_t comm_end = text.rfind(')');
  if (comm_end == absl::string_view::npos) return std::nullopt;
  const std::vector<absl::string_view> fields = absl::StrSplit(
      text.substr(comm_end + 1), absl::ByAnyChar(" \n"), absl::SkipEmpty());
  // fields[0] is proc(5)'s field 3 (state); field n is fields[n - 3].
  constexpr size_t kUtime = 14 - 3, kStime = 15 - 3, kStartTime = 22 - 3,
                   kVsize = 23 - 3, kRss = 24 - 3;
  if (fields.size() <= kRss) return std::nullopt;
  Stat stat;
  if (!absl::SimpleAtod(fields[kUtime], &stat.user_ticks) ||
      !absl::SimpleAtod(fields[kStime], &stat.system_ticks) ||
      !absl::SimpleAtod(fields[kStartTime], &stat.start_ticks) ||
      !absl::SimpleAtod(fields[kVsize], &stat.virtual_bytes) ||
      !absl::SimpleAtod(fields[kRss], &stat.resident_pages)) {
    return std::nullopt;
  }
  return stat;
}

// "btime 1700000000" of /proc/stat: when the system booted, unix seconds.
std::optional<double> ParseBootTime(absl::string_view text) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::ConsumePrefix(&line, "btime ")) {
      double seconds;
      if (absl::SimpleAtod(absl::StripAsciiWhitespace(line), &seconds)) {
        return seconds;
      }
    }
  }
  return std::nullopt;
}

// The soft limit of "Max open files" in /proc/<pid>/limits.
std::optional<double> ParseMaxOpenFiles(absl::string_view text) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, "Max open files")) continue;
    const std::vector<absl::string_view> columns =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (columns.empty()) return std::nullopt;
    if (columns[0] == "unlimited") {
      return std::numeric_limits<double>::infinity();
    }
    double limit;
    if (absl::SimpleAtod(columns[0], &limit)) return limit;
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<double> CountEntries(const std::string& dir) {
  std::error_code error;
  std::filesystem::directory_iterator it(dir, error);
  if (error) return std::nullopt;
  double count = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(error)) {
    if (error) return std::nullopt;
    ++count;
  }
  if (error) return std::nullopt;
  return count;
}

prometheus::MetricFamily Family(std::string name, std::string help,
                                prometheus::MetricType type, double value) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
  return family;
}

}  // namespace

ProcessCollector::ProcessCollector(ProcessFiles files)
    : files_(std::move(files)) {
  if (files_.clock_ticks_per_second <= 0) {
    files_.clock_ticks_per_second = sysconf(_SC_CLK_TCK);
  }
  if (files_.page_size_bytes <= 0)
    files_.page_size_bytes = sysconf(_SC_PAGESIZE);
}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> families;
  const double ticks = static_cast<double>(files_.clock_ticks_per_second);
  std::optional<Stat> stat;
  if (std::optional<std::string> text = ReadFile(files_.stat)) {
    stat = ParseStat(*text);
  }
  if (stat.has_value() && ticks > 0) {
    families.push_back(Family(
        "process_cpu_seconds_total",
        "Total user and system CPU time spent in seconds.", MetricType::Counter,
        (stat->user_ticks + stat->system_ticks) / ticks));
  }
  if (stat.has_value()) {
    families.push_back(Family(
        "process_resident_memory_bytes", "Resident memory size in bytes.",
        MetricType::Gauge,
        stat->resident_pages * static_cast<double>(files_.page_size_bytes)));
    families.push_back(Family("process_virtual_memory_bytes",
                              "Virtual memory size in bytes.",
                              MetricType::Gauge, stat->virtual_bytes));
  }
  if (std::optional<double> open = CountEntries(files_.fd_dir)) {
    families.push_back(Family("process_open_fds",
                              "Number of open file descriptors.",
                              MetricType::Gauge, *open));
  }
  std::optional<double> max_fds;
  if (std::optional<std::string> text = ReadFile(files_.limits)) {
    max_fds = ParseMaxOpenFiles(*text);
  }
  if (max_fds.has_value()) {
    families.push_back(Family("process_max_fds",
                              "Maximum number of open file descriptors.",
                              MetricType::Gauge, *max_fds));
  }
  std::optional<double> boot_time;
  if (std::optional<std::string> text = ReadFile(files_.system_stat)) {
    boot_time = ParseBootTime(*text);
  }
  if (stat.has_value() && boot_time.has_value() && ticks > 0) {
    families.push_back(
        Family("process_start_time_seconds",
               "Start time of the process since unix epoch in seconds.",
               MetricType::Gauge, *boot_time + stat->start_ticks / ticks));
  }
  return families;
}

}  // namespace shopstream
