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

// The pid on the first line of `path` (a pid file, postmaster.pid); 0 when
// there is none.
int ReadPidFile(const std::string& path) {
  if (path.empty()) return 0;
  const std::string content = ReadFile(path);
  int pid = 0;
  if (!absl::SimpleAtoi(
          absl::StripAsciiWhitespace(
              absl::string_view(content).substr(0, content.find('\n'))),
          &pid)) {
    return 0;
  }
  return pid;
}

double ClockTicksPerSecond() {
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return ticks;
}

// utime + stime of /proc/<pid>/stat in seconds; false when it is gone. The
// command name may hold spaces, so fields are counted after its ')'.
bool ReadCpuSeconds(const std::string& pid, double* seconds,
                    std::string* command, int* parent = nullptr,
                    double* reaped_children_seconds = nullptr) {
  const std::string stat = ReadFile("/proc/" + pid + "/stat");
  const size_t open = stat.find('(');
  const size_t close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos) return false;
  if (command != nullptr) *command = stat.substr(open + 1, close - open - 1);
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(stat).substr(close + 2), ' ');
  // After the name: state is field 3 of the man page, ppid 4, utime 14,
  // stime 15, cutime 16, cstime 17.
  if (fields.size() < 15) return false;
  if (parent != nullptr && !absl::SimpleAtoi(fields[1], parent)) return false;
  if (reaped_children_seconds != nullptr) {
    double cutime = 0, cstime = 0;
    if (!absl::SimpleAtod(fields[13], &cutime) ||
        !absl::SimpleAtod(fields[14], &cstime)) {
      return false;
    }
    *reaped_children_seconds = (cutime + cstime) / ClockTicksPerSecond();
  }
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

double SelfCpuSeconds() {
  double seconds = 0;
  ReadCpuSeconds("self", &seconds, nullptr);
  return seconds;
}

double ProcessTreeCpuSeconds(int pid, bool count_reaped_children) {
  double total = 0;
  double reaped = 0;
  if (!ReadCpuSeconds(std::to_string(pid), &total, nullptr, nullptr, &reaped)) {
    return -1;
  }
  if (count_reaped_children) total += reaped;
  // Parent of every process, then the descendants of `pid` by walking up.
  std::map<int, int> parents;
  std::map<int, double> cpu;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    int id = 0;
    if (!absl::SimpleAtoi(name, &id)) continue;
    double seconds = 0;
    int parent = 0;
    if (ReadCpuSeconds(name, &seconds, nullptr, &parent)) {
      parents[id] = parent;
      cpu[id] = seconds;
    }
  }
  for (const auto& [id, seconds] : cpu) {
    if (id == pid) continue;
    // Bounded: a pid recycled while /proc was read could make a cycle.
    int up = parents[id];
    for (int depth = 0; depth < 64 && up > 1; ++depth) {
      if (up == pid) {
        total += seconds;
        break;
      }
      auto it = parents.find(up);
      if (it == parents.end()) break;
      up = it->second;
    }
  }
  return total;
}

UsageSnapshot TakeUsageSnapshot(const std::string& pid_dir,
                                const std::string& postgres_pid_file) {
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
  // The backends are the postmaster's children; those that ended count in
  // its reaped children's time.
  const int postmaster = ReadPidFile(postgres_pid_file);
  const double cluster_seconds =
      postmaster > 0
          ? ProcessTreeCpuSeconds(postmaster, /*count_reaped_children=*/true)
          : -1;
  if (cluster_seconds >= 0) {
    snapshot.postgres_cpu_seconds = cluster_seconds;
  } else {
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
