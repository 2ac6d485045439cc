#ifndef SHOPSTREAM_BENCH_EXTERNAL_TOOLS_H_
#define SHOPSTREAM_BENCH_EXTERNAL_TOOLS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bench/postgres_checks.h"

namespace shopstream::bench {

// wrk's summary of a run against a fixed answer.
struct HttpCeilingResult {
  double requests_per_second = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  int64_t requests = 0;  // completed in the window
  int64_t non_2xx = 0;
  int64_t socket_errors = 0;
};

// REST ingestion driven by wrk: each request a fresh page_view (every tenth
// a purchase) for `shop_id`, with ids `id_prefix`-<thread>-<n>, so the run's
// rows can be counted afterwards. `key`: the shop's write key.
absl::StatusOr<HttpCeilingResult> RunWrkIngest(const std::string& url,
                                               const std::string& shop_id,
                                               const std::string& id_prefix,
                                               int connections, int threads,
                                               absl::Duration duration,
                                               const std::string& key = "");

// The naive design: one INSERT (one commit) per event from `clients`
// pgbench clients into `table`, which must exist and look like `events`.
absl::StatusOr<WriteRateResult> RunPgbenchInserts(const std::string& conninfo,
                                                  const std::string& table,
                                                  int clients,
                                                  absl::Duration duration);

// wrk with `connections` keep-alive connections POSTing `body` to `url`.
absl::StatusOr<HttpCeilingResult> RunWrk(const std::string& url,
                                         const std::string& body,
                                         int connections, int threads,
                                         absl::Duration duration);

// Parsers, exposed for testing.
absl::StatusOr<WriteRateResult> ParsePgbenchOutput(const std::string& output);
absl::StatusOr<HttpCeilingResult> ParseWrkOutput(const std::string& output);

}  // namespace shopstream::bench

#endif  // SHOPSTREAM_BENCH_EXTERNAL_TOOLS_H_
