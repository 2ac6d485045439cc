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
  // The stack's cluster (see TakeUsageSnapshot), or without its pid file
  // every process named "postgres".
  double postgres_cpu_seconds = 0;
  double bench_cpu_seconds = 0;
  // The benchmark's finished child processes (wrk, pgbench), from
  // getrusage(RUSAGE_CHILDREN).
  double children_cpu_seconds = 0;
  double machine_busy_cpu_seconds = 0;  // all cores, from /proc/stat
};

// Reads the pids from `pid_dir`/<service>.pid; absent services are
// reported as not found. PostgreSQL is the cluster whose postmaster.pid is
// `postgres_pid_file`, backends that ended included, so that another
// cluster on the machine (a `make up` stack, the tests') is not counted;
// every process named "postgres" when that file cannot be read.
UsageSnapshot TakeUsageSnapshot(const std::string& pid_dir,
                                const std::string& postgres_pid_file = "");

// This process's CPU seconds so far.
double SelfCpuSeconds();

// CPU seconds of process `pid` and every live process descended from it (a
// server's workers), plus with `count_reaped_children` those of its
// children that ended and were waited for; -1 when `pid` is gone.
double ProcessTreeCpuSeconds(int pid, bool count_reaped_children = false);

}  // namespace shopstream::bench

#endif  // SHOPSTREAM_BENCH_PROCESS_USAGE_H_
