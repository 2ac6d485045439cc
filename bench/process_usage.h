#ifndef SHOPSTREAM_BENCH_PROCESS_USAGE_H_
#define SHOPSTREAM_BENCH_PROCESS_USAGE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace shopstream::bench {

// The services whose pid files scripts/stack.sh writes.
inline const std::vector<std::string>& StackServices() {
  static const std::vector<std::string> services = {"processor", "ingest",
                                                    "query", "gateway"};
  return services;
}

struct ProcessCpu {
  bool found = false;
  double cpu_seconds = 0;   // utime + stime
  int64_t peak_rss_kb = 0;  // VmHWM
};

// CPU time of the stack's services, the PostgreSQL processes, this load
// generator and the whole machine at one instant. Differences of two
// snapshots say where a scenario's CPU went.
struct UsageSnapshot {
  std::map<std::string, ProcessCpu> services;
  double postgres_cpu_seconds = 0;  // every process named "postgres"
  double bench_cpu_seconds = 0;
  // The benchmark's finished child processes (wrk, pgbench), from
  // getrusage(RUSAGE_CHILDREN).
  double children_cpu_seconds = 0;
  double machine_busy_cpu_seconds = 0;  // all cores, from /proc/stat
};

// Reads the pids from `pid_dir`/<service>.pid; absent services are
// reported as not found.
UsageSnapshot TakeUsageSnapshot(const std::string& pid_dir);

}  // namespace shopstream::bench

#endif  // SHOPSTREAM_BENCH_PROCESS_USAGE_H_
