#include "bench/external_tools.h"

#include "gtest/gtest.h"

namespace shopstream::bench {
namespace {

TEST(ExternalToolsTest, ReadsPgbenchSummary) {
  const std::string output =
      "transaction type: /tmp/x.sql\n"
      "number of clients: 16\n"
      "number of transactions actually processed: 99500\n"
      "number of failed transactions: 0 (0.000%)\n"
      "latency average = 3.217 ms\n"
      "initial connection time = 20.1 ms\n"
      "tps = 4975.123 (without initial connection time)\n";
  absl::StatusOr<WriteRateResult> result = ParsePgbenchOutput(output);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->events, 99500);
  EXPECT_DOUBLE_EQ(result->events_per_second, 4975.123);
  EXPECT_DOUBLE_EQ(result->latency_avg_ms, 3.217);
}

TEST(ExternalToolsTest, ReadsWrkSummaryWithUnits) {
  const std::string output =
      "Running 20s test @ http://127.0.0.1:1/bench/static\n"
      "  Latency Distribution\n"
      "     50%  850.00us\n"
      "     75%    1.10ms\n"
      "     90%    2.50ms\n"
      "     99%    1.20s\n"
      "  840247 requests in 20.00s, 104.37MB read\n"
      "  Socket errors: connect 0, read 2, write 0, timeout 3\n"
      "  Non-2xx or 3xx responses: 7\n"
      "Requests/sec:  42012.34\n";
  absl::StatusOr<HttpCeilingResult> result = ParseWrkOutput(output);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_DOUBLE_EQ(result->requests_per_second, 42012.34);
  EXPECT_DOUBLE_EQ(result->p50_ms, 0.85);
  EXPECT_DOUBLE_EQ(result->p90_ms, 2.5);
  EXPECT_DOUBLE_EQ(result->p99_ms, 1200);
  EXPECT_EQ(result->non_2xx, 7);
  EXPECT_EQ(result->requests, 840247);
  EXPECT_EQ(result->socket_errors, 5);
}

TEST(ExternalToolsTest, UnreadableOutputIsAnError) {
  EXPECT_FALSE(ParsePgbenchOutput("connection refused").ok());
  EXPECT_FALSE(ParseWrkOutput("unable to connect").ok());
}

}  // namespace
}  // namespace shopstream::bench
