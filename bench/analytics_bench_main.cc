// shopstream-analytics-bench: loads events through the processor's
// BatchWriter at growing sizes and times the analytics queries against the
// full-scan baseline (make bench-analytics; see bench/README.md).
#include <cstdio>
#include <fstream>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "bench/analytics_bench.h"
#include "common/flags.h"

ABSL_FLAG(std::string, postgres, "host=127.0.0.1 port=55472 user=postgres",
          "libpq conninfo of the server, without dbname: the benchmark "
          "makes its own databases there.");
ABSL_FLAG(std::string, sizes, "100000,1000000,10000000",
          "Stored-event counts to measure at, ascending.");
ABSL_FLAG(int, iterations, 300, "Timed calls per shopstream query and size.");
ABSL_FLAG(int, filtered_iterations, 50,
          "Timed calls per filtered view and size.");
ABSL_FLAG(double, filtered_seconds, 30,
          "Time budget per filtered view and size.");
ABSL_FLAG(int, baseline_iterations, 20,
          "Timed calls per full-scan query and size.");
ABSL_FLAG(double, baseline_seconds, 20,
          "Time budget per full-scan query and size.");
ABSL_FLAG(
    int64_t, ingest_events, 1000000,
    "Events for the with/without rollups ingestion comparison (0: skip).");
ABSL_FLAG(bool, reuse_loaded, false,
          "Measure the events already in the shopstream_analytics database "
          "(one --sizes, equal to their count) instead of loading them.");
ABSL_FLAG(std::string, queries, "",
          "Measure only the queries whose name contains this text.");
ABSL_FLAG(int, writers, 2, "Concurrent BatchWriters while loading.");
ABSL_FLAG(int64_t, batch_events, 10000, "Events per BatchWriter batch.");
ABSL_FLAG(std::string, output_json, "", "Where to write the JSON results.");
ABSL_FLAG(std::string, output_markdown, "",
          "Where to write the Markdown tables.");

int main(int argc, char** argv) {
  shopstream::ParseFlagsAndEnvironment(argc, argv);
  shopstream::bench::AnalyticsBenchConfig config;
  config.server_conninfo = absl::GetFlag(FLAGS_postgres);
  config.sizes.clear();
  for (absl::string_view part : absl::StrSplit(absl::GetFlag(FLAGS_sizes), ',',
                                               absl::SkipWhitespace())) {
    int64_t size = 0;
    if (!absl::SimpleAtoi(part, &size) || size <= 0 ||
        (!config.sizes.empty() && size <= config.sizes.back())) {
      std::fprintf(stderr, "--sizes: ascending positive counts, got \"%s\"\n",
                   std::string(part).c_str());
      return 2;
    }
    config.sizes.push_back(size);
  }
  if (config.sizes.empty()) {
    std::fprintf(stderr, "--sizes: at least one count\n");
    return 2;
  }
  config.iterations = absl::GetFlag(FLAGS_iterations);
  config.filtered_iterations = absl::GetFlag(FLAGS_filtered_iterations);
  config.filtered_seconds = absl::GetFlag(FLAGS_filtered_seconds);
  config.baseline_iterations = absl::GetFlag(FLAGS_baseline_iterations);
  config.baseline_seconds = absl::GetFlag(FLAGS_baseline_seconds);
  config.ingest_events = absl::GetFlag(FLAGS_ingest_events);
  config.writers = absl::GetFlag(FLAGS_writers);
  config.reuse_loaded = absl::GetFlag(FLAGS_reuse_loaded);
  config.queries_matching = absl::GetFlag(FLAGS_queries);
  if (config.reuse_loaded && config.sizes.size() != 1) {
    std::fprintf(stderr, "--reuse_loaded: one --sizes, the stored count\n");
    return 2;
  }
  config.batch_events = absl::GetFlag(FLAGS_batch_events);

  auto report = shopstream::bench::RunAnalyticsBench(config);
  if (!report.ok()) {
    std::fprintf(stderr, "analytics bench: %s\n",
                 report.status().ToString().c_str());
    return 1;
  }
  const std::string md = report->ToMarkdown(config);
  std::fputs(md.c_str(), stdout);
  if (const std::string path = absl::GetFlag(FLAGS_output_markdown);
      !path.empty()) {
    std::ofstream(path) << md;
  }
  if (const std::string path = absl::GetFlag(FLAGS_output_json);
      !path.empty()) {
    std::ofstream(path) << report->ToJson();
  }
  return 0;
}
