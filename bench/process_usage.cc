#include "bench/process_usage.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace shopstream::bench {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

double ClockTicksPerSecond() {
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return ticks;
}

// utime + stime of /proc/<pid>/stat in seconds; false when it is gone. The
// command name may hold spaces, so fields are counted after its ')'.
bool ReadCpuSeconds(const std::string& pid, double* seconds,
                    std::string* command) {
  const std::string stat = ReadFile("/proc/" + pid + "/stat");
  const size_t open = stat.find('(');
  const size_t close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos) return false;
  if (command != nullptr) *command = stat.substr(open + 1, close - open - 1);
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(stat).substr(close + 2), ' ');
  // After the name: state is field 3 of the man page, utime 14, stime 15.
  if (fields.size() < 13) return false;
  double utime = 0, stime = 0;
  if (!absl::SimpleAtod(fields[11], &utime) ||
      !absl::SimpleAtod(fields[12], &stime)) {
    return false;
  }
  *seconds = (utime + stime) / ClockTicksPerSecond();
  return true;
}

int64_t ReadPeakRssKb(const std::string& pid) {
  const std::string status = ReadFile("/proc/" + pid + "/status");
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    if (absl::ConsumePrefix(&line, "VmHWM:")) {
      line = absl::StripAsciiWhitespace(line);
      absl::ConsumeSuffix(&line, "kB");
      int64_t kb = 0;
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &kb)) return kb;
    }
  }
  return 0;
}

double MachineBusyCpuSeconds() {
  const std::string stat = ReadFile("/proc/stat");
  // Split a view of `stat` itself: views into a temporary would dangle.
  const absl::string_view first_line =
      absl::string_view(stat).substr(0, stat.find('\n'));
  std::vector<absl::string_view> fields =
      absl::StrSplit(first_line, ' ', absl::SkipEmpty());
  // cpu user nice system idle iowait irq softirq steal ...
  double busy = 0;
  for (size_t i = 1; i < fields.size(); ++i) {
    double ticks = 0;
    if (i == 4 || i == 5) continue;  // idle, iowait
    if (absl::SimpleAtod(fields[i], &ticks)) busy += ticks;
    if (i == 8) break;  // guest time is already counted in user
  }
  return busy / ClockTicksPerSecond();
}

}  // namespace

UsageSnapshot TakeUsageSnapshot(const std::string& pid_dir) {
  UsageSnapshot snapshot;
  for (const std::string& service : StackServices()) {
    ProcessCpu& cpu = snapshot.services[service];
    std::string pid(
        absl::StripAsciiWhitespace(ReadFile(pid_dir + "/" + service + ".pid")));
    if (pid.empty()) continue;
    if (ReadCpuSeconds(pid, &cpu.cpu_seconds, nullptr)) {
      cpu.found = true;
      cpu.peak_rss_kb = ReadPeakRssKb(pid);
    }
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !absl::ascii_isdigit(name[0])) continue;
    double seconds = 0;
    std::string command;
    if (ReadCpuSeconds(name, &seconds, &command) && command == "postgres") {
      snapshot.postgres_cpu_seconds += seconds;
    }
  }
  ReadCpuSeconds("self", &snapshot.bench_cpu_seconds, nullptr);
  rusage children{};
  if (getrusage(RUSAGE_CHILDREN, &children) == 0) {
    snapshot.children_cpu_seconds =
        children.ru_utime.tv_sec + children.ru_stime.tv_sec +
        (children.ru_utime.tv_usec + children.ru_stime.tv_usec) / 1e6;
  }
  snapshot.machine_busy_cpu_seconds = MachineBusyCpuSeconds();
  return snapshot;
}

}  // namespace shopstream::bench
