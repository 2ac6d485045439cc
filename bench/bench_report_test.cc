#include "bench/bench_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "rapidjson/document.h"

namespace shopstream::bench {
namespace {

using ::testing::HasSubstr;

// A snapshot where every service, PostgreSQL, the benchmark and its
// children have used `seconds` of CPU and the machine `busy` seconds.
UsageSnapshot Usage(double seconds, double busy) {
  UsageSnapshot usage;
  for (const std::string& service : StackServices()) {
    usage.services[service] = {.found = true, .cpu_seconds = seconds};
  }
  usage.postgres_cpu_seconds = seconds;
  usage.bench_cpu_seconds = seconds;
  usage.children_cpu_seconds = seconds;
  usage.machine_busy_cpu_seconds = busy;
  return usage;
}

BenchReport WrkReport() {
  BenchReport report(RunInfo{});
  HttpCeilingResult wrk;
  wrk.requests = 110'000;
  wrk.non_2xx = 10'000;
  wrk.requests_per_second = 10'000;
  report.SetWrkIngest(wrk, 512, int64_t{100'000});
  // Each process spent 2 s more CPU during the run; the machine 30 s over
  // 10 s of wall time.
  UsageSnapshot after = Usage(3, 130);
  // wrk (a child) spent 5 s, the benchmark itself nothing.
  after.children_cpu_seconds = 6;
  after.bench_cpu_seconds = 1;
  report.SetWrkIngestUsage(Usage(1, 100), after, 10);
  return report;
}

TEST(BenchReportTest, CpuTableHasARowForRestUnderWrkPerAcknowledgedRequest) {
  // 2 s over 100,000 2xx answers: 20 s per million; wrk 5 s: 50.
  EXPECT_THAT(WrkReport().ToMarkdown(),
              HasSubstr("| REST under wrk, 512 connections (load generator: "
                        "wrk) | 20.0 | 20.0 | 20.0 | 20.0 | 20.0 | 50.0 | "
                        "3.00 |"));
}

TEST(BenchReportTest, JsonHasRestUnderWrkWithItsCpu) {
  rapidjson::Document json;
  json.Parse(WrkReport().ToJson().c_str());
  ASSERT_FALSE(json.HasParseError());
  ASSERT_TRUE(json.HasMember("rest_wrk"));
  const auto& wrk = json["rest_wrk"];
  EXPECT_EQ(wrk["acknowledged"].GetInt64(), 100'000);
  EXPECT_EQ(wrk["stored"].GetInt64(), 100'000);
  EXPECT_DOUBLE_EQ(wrk["cpu_seconds_per_million_events"]["gateway"].GetDouble(),
                   20.0);
  EXPECT_DOUBLE_EQ(wrk["cpu_seconds_per_million_events"]["bench"].GetDouble(),
                   50.0);
  EXPECT_DOUBLE_EQ(wrk["machine_busy_cores"].GetDouble(), 3.0);
}

TEST(BenchReportTest, NoWrkRowWithoutItsUsage) {
  BenchReport report(RunInfo{});
  HttpCeilingResult wrk;
  wrk.requests = 10;
  report.SetWrkIngest(wrk, 512, int64_t{10});
  EXPECT_THAT(report.ToMarkdown(),
              ::testing::Not(HasSubstr("(load generator: wrk)")));
}

}  // namespace
}  // namespace shopstream::bench
