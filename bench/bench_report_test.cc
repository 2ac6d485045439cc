#include "bench/bench_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
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

WrkRun IngestRun() {
  WrkRun run;
  HttpCeilingResult wrk;
  wrk.requests = 110'000;
  wrk.non_2xx = 10'000;
  wrk.requests_per_second = 10'000;
  run.result = wrk;
  run.connections = 512;
  // Each process spent 2 s more CPU during the run; the machine 30 s over
  // 10 s of wall time.
  run.usage_before = Usage(1, 100);
  run.usage_after = Usage(3, 130);
  // wrk (a child) spent 5 s, the benchmark itself nothing.
  run.usage_after.children_cpu_seconds = 6;
  run.usage_after.bench_cpu_seconds = 1;
  run.seconds = 10;
  return run;
}

BenchReport WrkReport() {
  BenchReport report(RunInfo{.cpus = 2});
  report.SetWrkIngest(IngestRun(), int64_t{100'000});
  return report;
}

// wrk's script on the static 202: 300,000 answers at 30,000/s; the gateway
// spent 3 s, wrk 9 s, every other process 1 s.
WrkRun StaticRun(int64_t non_2xx) {
  WrkRun run;
  HttpCeilingResult wrk;
  wrk.requests = 300'000;
  wrk.non_2xx = non_2xx;
  wrk.requests_per_second = 30'000;
  run.result = wrk;
  run.connections = 512;
  run.usage_before = Usage(1, 100);
  run.usage_after = Usage(2, 118);
  run.usage_after.services["gateway"].cpu_seconds = 4;
  run.usage_after.children_cpu_seconds = 10;
  run.seconds = 10;
  return run;
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
  WrkRun run = IngestRun();
  run.usage_before.reset();
  report.SetWrkIngest(run, int64_t{10});
  const std::string md = report.ToMarkdown();
  // The run itself is still reported; only its CPU row is missing.
  EXPECT_THAT(md, HasSubstr("## REST ingestion under wrk"));
  EXPECT_THAT(md, HasSubstr("| 512 | 10,000 |"));
  EXPECT_THAT(md, ::testing::Not(HasSubstr("(load generator: wrk)")));
}

TEST(BenchReportTest, StaticScriptCeilingSaysWhatTheClientAndHttpLayerCost) {
  BenchReport report = WrkReport();
  report.SetWrkStaticCeiling(StaticRun(0));
  const std::string md = report.ToMarkdown();
  EXPECT_THAT(md, HasSubstr("| HTTP ceiling for REST under wrk: its script, "
                            "512 connections, gateway static 202 | 30,000 |"));
  // 10,000 of 30,000 req/s; gateway 10 and wrk 30 s per million requests:
  // 40 CPU-µs per request at 26,000/s is 1.04 CPUs.
  EXPECT_THAT(md, HasSubstr("took 30,000 req/s: 0.33x of it here."));
  EXPECT_THAT(md, HasSubstr("would keep 1.04 of the 2 CPUs busy (CPU seconds "
                            "per million requests under that script: wrk "
                            "30.0, gateway 10.0)"));
  EXPECT_THAT(md, HasSubstr("| its script on the static 202, 512 connections "
                            "(load generator: wrk) | 3.3 | 3.3 | 3.3 | 10.0 | "
                            "3.3 | 30.0 | 1.80 |"));
  EXPECT_THAT(md, HasSubstr("the same script on the static 202: 30,000 req/s"));

  rapidjson::Document json;
  json.Parse(report.ToJson().c_str());
  ASSERT_FALSE(json.HasParseError());
  ASSERT_TRUE(json.HasMember("rest_wrk_static"));
  const auto& ceiling = json["rest_wrk_static"];
  EXPECT_TRUE(ceiling["valid"].GetBool());
  EXPECT_DOUBLE_EQ(ceiling["requests_per_second"].GetDouble(), 30'000);
  EXPECT_DOUBLE_EQ(
      ceiling["client_and_http_cores_at_case_study_rate"].GetDouble(), 1.04);
}

TEST(BenchReportTest, StaticScriptRunWithErrorAnswersIsNoCeiling) {
  BenchReport report = WrkReport();
  report.SetWrkStaticCeiling(StaticRun(5));
  const std::string md = report.ToMarkdown();
  EXPECT_THAT(md, HasSubstr("| HTTP ceiling for REST under wrk: its script, "
                            "512 connections, gateway static 202 | n/a |"));
  EXPECT_THAT(md, ::testing::Not(HasSubstr("x of it here")));
  EXPECT_THAT(md, ::testing::Not(HasSubstr("on the static 202: 30,000")));

  rapidjson::Document json;
  json.Parse(report.ToJson().c_str());
  ASSERT_FALSE(json.HasParseError());
  EXPECT_FALSE(json["rest_wrk_static"]["valid"].GetBool());
  EXPECT_FALSE(json["rest_wrk_static"].HasMember(
      "client_and_http_cores_at_case_study_rate"));
}

TEST(BenchReportTest, RateTargetsSayWhatTheLoadGeneratorAloneWouldNeed) {
  BenchReport report(RunInfo{.cpus = 2});
  ScenarioReport unary;
  unary.load.spec.name = "grpc_unary";
  unary.load.spec.transport = Transport::kGrpcUnary;
  unary.load.events_acked = 50'000;
  unary.load.acked_events_per_second = 2'500;
  unary.load.latency_us.Record(10'000);
  // The generator spent 7 s on 50,000 events: 140 s per million, so 4.2
  // cores at the 30,000/s target; every other process 1 s.
  unary.usage_before = Usage(1, 100);
  unary.usage_after = Usage(2, 120);
  unary.usage_after.bench_cpu_seconds = 8;
  report.AddScenario(std::move(unary));

  const std::vector<TargetResult> targets = report.EvaluateTargets();
  const auto it =
      std::find_if(targets.begin(), targets.end(), [](const TargetResult& t) {
        return absl::StartsWith(t.name, "gRPC unary");
      });
  ASSERT_NE(it, targets.end());
  EXPECT_FALSE(it->pass);
  EXPECT_THAT(it->measured,
              HasSubstr("the load generator alone: 140.0 CPU-s per million "
                        "events, 4.20 cores at 30,000 ev/s"));
}

TEST(BenchReportTest, BatchedTargetSaysWhatPostgresAloneWouldNeed) {
  BenchReport report(RunInfo{.cpus = 2});
  WriteRateResult copy;
  copy.events_per_second = 100'000;
  report.SetCopyCeiling(copy, 10'000);
  // The faster of two batched runs is the one measured: 400,000 events with
  // PostgreSQL 24 s more, 60 s per million, so 4.20 cores at 70,000/s.
  for (const auto& [name, rate, postgres] :
       std::vector<std::tuple<std::string, double, double>>{
           {"grpc_stream", 15'000, 9}, {"grpc_batch", 20'000, 25}}) {
    ScenarioReport batched;
    batched.load.spec.name = name;
    batched.load.spec.transport =
        name == "grpc_batch" ? Transport::kGrpcBatch : Transport::kGrpcStream;
    batched.load.events_acked = 400'000;
    batched.load.acked_events_per_second = rate;
    batched.usage_before = Usage(1, 100);
    batched.usage_after = Usage(2, 130);
    batched.usage_after.postgres_cpu_seconds = postgres;
    report.AddScenario(std::move(batched));
  }
  const std::vector<TargetResult> targets = report.EvaluateTargets();
  ASSERT_FALSE(targets.empty());
  EXPECT_FALSE(targets[0].pass);
  EXPECT_EQ(targets[0].measured,
            "20% (grpc_batch 20,000/s vs COPY 100,000/s); PostgreSQL alone: "
            "60.0 CPU-s per million events, 4.20 cores at 70,000 ev/s");
}

}  // namespace
}  // namespace shopstream::bench
