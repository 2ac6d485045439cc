#include "bench/analytics_bench.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace shopstream::bench {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

QueryMeasurement Measured(int64_t stored, const std::string& query,
                          double p99_ms,
                          std::optional<double> target = std::nullopt) {
  QueryMeasurement m;
  m.stored_events = stored;
  m.query = query;
  m.shopstream = {
      .samples = 300, .p50_ms = p99_ms / 2, .p99_ms = p99_ms, .max_ms = p99_ms};
  m.target_p99_ms = target;
  return m;
}

AnalyticsBenchConfig Sizes(std::vector<int64_t> sizes) {
  AnalyticsBenchConfig config;
  config.sizes = std::move(sizes);
  return config;
}

TEST(AnalyticsBenchReportTest, ChecksEngagementAtEverySizeRun) {
  AnalyticsBenchReport report;
  report.queries = {
      Measured(100000, "engagement, 30 days (UTC days)", 12),
      Measured(1000000, "engagement, 30 days (UTC days)", 49.5),
      Measured(100000, "engagement, 30 days (UTC days), with previous period",
               20),
      Measured(1000000, "engagement, 30 days (UTC days), with previous period",
               51),
  };
  const std::string md = report.ToMarkdown(Sizes({100000, 1000000}));
  EXPECT_THAT(md, HasSubstr("| engagement, 30 days: p99 <= 50 ms | 100,000: "
                            "12.00, 1,000,000: 49.50 | pass |"));
  EXPECT_THAT(md, HasSubstr("| engagement, 30 days, with previous period: p99 "
                            "<= 50 ms | 100,000: 20.00, 1,000,000: 51.00 | "
                            "**FAIL** |"));
}

TEST(AnalyticsBenchReportTest, ChecksEveryBreakdownDimension) {
  AnalyticsBenchReport report;
  for (const char* dimension :
       {"page", "referrer host", "UTM source", "UTM medium", "UTM campaign",
        "device class", "browser", "OS"}) {
    report.queries.push_back(Measured(
        100000,
        std::string("breakdown by ") + dimension + ", 30 days (UTC days)",
        std::string(dimension) == "page" ? 80 : 10));
  }
  const std::string md = report.ToMarkdown(Sizes({100000}));
  EXPECT_THAT(md, HasSubstr("| breakdown by page, 30 days: p99 <= 50 ms | "
                            "100,000: 80.00 | **FAIL** |"));
  for (const char* dimension :
       {"referrer host", "UTM source", "UTM medium", "UTM campaign",
        "device class", "browser", "OS"}) {
    EXPECT_THAT(md, HasSubstr(std::string("| breakdown by ") + dimension +
                              ", 30 days: p99 <= 50 ms | 100,000: 10.00 | "
                              "pass |"));
  }
}

TEST(AnalyticsBenchReportTest, ATargetNotTimedIsNotAPass) {
  AnalyticsBenchReport report;
  report.queries = {Measured(100000, "engagement, 30 days (UTC days)", 12)};
  const std::string md = report.ToMarkdown(Sizes({100000}));
  EXPECT_THAT(md, HasSubstr("| engagement, 30 days: p99 <= 50 ms | 100,000: "
                            "12.00 | pass |"));
  EXPECT_THAT(md, HasSubstr("| breakdown by page, 30 days: p99 <= 50 ms |  | "
                            "not measured |"));
}

TEST(AnalyticsBenchReportTest, OwnerTargetsFollowEachMeasurement) {
  AnalyticsBenchReport report;
  report.queries = {
      Measured(100000, "engagement filtered on device, 30 days", 99, 100),
      Measured(100000, "breakdown by page filtered on device, 30 days", 101,
               100),
      Measured(100000, "summary, whole range", 1),
  };
  const std::string md = report.ToMarkdown(Sizes({100000}));
  EXPECT_THAT(md, HasSubstr("| 100,000 | engagement filtered on device, 30 "
                            "days | 49.50 | 99.00 | <= 100 ms | pass |"));
  EXPECT_THAT(md, HasSubstr("| 100,000 | breakdown by page filtered on device, "
                            "30 days | 50.50 | 101.00 | <= 100 ms | **FAIL** "
                            "|"));
  // A query without a target has no row there.
  EXPECT_THAT(md, Not(HasSubstr("| 100,000 | summary, whole range | 0.50 |")));
  const std::string json = report.ToJson();
  EXPECT_THAT(json, HasSubstr("\"query\":\"engagement filtered on device, 30 "
                              "days\""));
  EXPECT_THAT(json, HasSubstr("\"target_p99_ms\":100,\"pass\":true}"));
  EXPECT_THAT(json, HasSubstr("\"target_p99_ms\":100,\"pass\":false}"));
}

}  // namespace
}  // namespace shopstream::bench
