#ifndef SHOPSTREAM_COMMON_PROCESS_METRICS_H_
#define SHOPSTREAM_COMMON_PROCESS_METRICS_H_

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace shopstream {

// Where a ProcessCollector reads, and how it converts what it reads. The
// defaults describe the calling process on Linux; tests point it at files
// of their own.
struct ProcessFiles {
  std::string stat = "/proc/self/stat";
  std::string limits = "/proc/self/limits";
  std::string fd_dir = "/proc/self/fd";
  // For btime, the boot time that /proc/self/stat's start time counts from.
  std::string system_stat = "/proc/stat";
  // sysconf(_SC_CLK_TCK) and sysconf(_SC_PAGESIZE) when 0.
  long clock_ticks_per_second = 0;
  long page_size_bytes = 0;
};

// The process families every Prometheus client library exports
// (process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds,
// process_start_time_seconds), read from /proc at each scrape.
// prometheus-cpp 1.0.1 has no such collector. A family whose file cannot be
// read is left out of that scrape rather than reported as 0, so a gap in
// the graph says "unknown", not "nothing".
class ProcessCollector : public prometheus::Collectable {
 public:
  explicit ProcessCollector(ProcessFiles files = {});

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  ProcessFiles files_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_COMMON_PROCESS_METRICS_H_
