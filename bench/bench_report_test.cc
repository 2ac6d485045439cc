#include "bench/bench_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
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
                        "wrk) | 20.0 | 20.0 | 20.0 | 20.0 | 20.0 | **100.0** "
                        "| 50.0 | 3.00 | n/a |"));
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
                            "3.3 | **23.3** | 30.0 | 1.80 | n/a |"));
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

// A load scenario's result: `acked` events at `rate` per second, each
// answered in `latency_us`.
ScenarioReport Scenario(const std::string& name, Transport transport,
                        int64_t acked, double rate, int64_t latency_us,
                        int events_per_call = 1) {
  ScenarioReport s;
  s.load.spec.name = name;
  s.load.spec.transport = transport;
  s.load.spec.concurrency = 64;
  s.load.spec.events_per_call = events_per_call;
  s.load.events_sent = acked;
  s.load.events_acked = acked;
  s.load.acked_events_per_second = rate;
  for (int64_t i = 0; i < std::min<int64_t>(acked, 1000); ++i) {
    s.load.latency_us.Record(latency_us);
  }
  s.ack_check = AckCheck{.acked = acked, .rows_for_shop = acked};
  s.usage_before = Usage(1, 100);
  s.usage_after = Usage(1, 100);
  s.fold_wait_seconds = 0.5;
  return s;
}

// A static server answering every call at `rate`.
ServerCeiling Ceiling(double rate) {
  ServerCeiling ceiling;
  LoadResult load;
  load.spec.concurrency = 64;
  load.events_sent = load.events_acked = 100'000;
  load.acked_events_per_second = rate;
  ceiling.load = load;
  return ceiling;
}

// A copy: callers pass the temporary EvaluateTargets returns.
TargetResult Target(const std::vector<TargetResult>& targets,
                    const std::string& start) {
  const auto it = std::find_if(
      targets.begin(), targets.end(),
      [&](const TargetResult t) { return absl::StartsWith(t.name, start); });
  if (it == targets.end()) {
    ADD_FAILURE() << "no target starting with " << start;
    return {};
  }
  return *it;
}

constexpr char kRestRatio[] =
    "REST single events (rest, 64 keep-alive connections, closed loop) >= "
    "0.30x nginx";

TEST(BenchReportTest, RestTargetIsARatioToNginxUnderTheSameLoadGenerator) {
  for (const auto& [rate, pass] :
       std::vector<std::pair<double, bool>>{{3'500, true}, {2'000, false}}) {
    BenchReport report(RunInfo{});
    NginxCeiling nginx;
    nginx.generator = Ceiling(10'000);
    HttpCeilingResult wrk;
    wrk.requests_per_second = 40'000;
    nginx.wrk = wrk;
    nginx.wrk_connections = 64;
    report.SetNginxCeiling(nginx);
    report.AddScenario(Scenario("rest", Transport::kRest, 70'000, rate, 5'000));
    const TargetResult t = Target(report.EvaluateTargets(), kRestRatio);
    EXPECT_EQ(t.pass, pass) << rate;
    // wrk's figure is there beside it, but the target is the same client's.
    EXPECT_THAT(t.measured,
                HasSubstr("nginx under wrk (64 connections): 40,000 req/s"));
  }
}

TEST(BenchReportTest, NginxWithFailedCallsIsNoCeiling) {
  BenchReport report(RunInfo{});
  NginxCeiling nginx;
  nginx.generator = Ceiling(10'000);
  nginx.generator.load->events_acked -= 1;
  report.SetNginxCeiling(nginx);
  report.AddScenario(Scenario("rest", Transport::kRest, 70'000, 9'000, 5'000));
  const TargetResult t = Target(report.EvaluateTargets(), kRestRatio);
  EXPECT_FALSE(t.pass);
  EXPECT_EQ(t.measured, "no nginx ceiling");
}

TEST(BenchReportTest, RestAlsoNeedsItsP99NoRefusalsAndEveryEventStoredOnce) {
  BenchReport report(RunInfo{});
  ScenarioReport rest =
      Scenario("rest", Transport::kRest, 70'000, 3'500, 30'000);
  rest.load.events_sent += 12;
  rest.load.errors["http:503"] = 12;
  rest.ack_check->missing = 1;
  report.AddScenario(rest);
  const std::vector<TargetResult> targets = report.EvaluateTargets();
  const std::string name =
      "REST single events (rest, 64 keep-alive connections, closed loop): ";
  EXPECT_FALSE(Target(targets, name + "p99 <= 25 ms").pass);
  const TargetResult refused = Target(targets, name + "0 refused");
  EXPECT_FALSE(refused.pass);
  EXPECT_EQ(refused.measured, "12 (http:503 12)");
  EXPECT_FALSE(Target(targets, name + "every acknowledged event").pass);

  BenchReport good(RunInfo{});
  good.AddScenario(Scenario("rest", Transport::kRest, 70'000, 3'500, 20'000));
  const std::vector<TargetResult> met = good.EvaluateTargets();
  EXPECT_TRUE(Target(met, name + "p99 <= 25 ms").pass);
  EXPECT_TRUE(Target(met, name + "0 refused").pass);
  EXPECT_TRUE(Target(met, name + "every acknowledged event").pass);
}

TEST(BenchReportTest, UnaryTargetIsARatioToTheDoNothingServer) {
  for (const auto& [rate, pass] :
       std::vector<std::pair<double, bool>>{{6'000, true}, {4'000, false}}) {
    BenchReport report(RunInfo{});
    report.SetGrpcNoopCeiling(Ceiling(10'000));
    report.AddScenario(
        Scenario("grpc_unary", Transport::kGrpcUnary, 70'000, rate, 5'000));
    const TargetResult t =
        Target(report.EvaluateTargets(), "gRPC unary, 64 in flight");
    EXPECT_EQ(t.pass, pass) << rate;
    EXPECT_THAT(t.measured,
                HasSubstr("against the do-nothing server's 10,000"));
  }
}

TEST(BenchReportTest, BatchTargetIsARatioToCopyAndSaysWhatPostgresWouldNeed) {
  BenchReport report(RunInfo{.cpus = 2});
  WriteRateResult copy;
  copy.events_per_second = 100'000;
  report.SetCopyCeiling(copy, 10'000);
  // Streams are not the target's: only the closed-loop batch run counts.
  report.AddScenario(Scenario("grpc_stream", Transport::kGrpcStream, 400'000,
                              90'000, 5'000, 2000));
  // 400,000 events with PostgreSQL 24 s more: 60 s per million, so 3.60
  // cores at 60,000/s.
  ScenarioReport batch = Scenario("grpc_batch", Transport::kGrpcBatch, 400'000,
                                  20'000, 5'000, 1000);
  batch.usage_after.postgres_cpu_seconds = 25;
  report.AddScenario(batch);
  const TargetResult t =
      Target(report.EvaluateTargets(), "gRPC IngestBatch, 1,000-event batches");
  EXPECT_FALSE(t.pass);
  EXPECT_EQ(t.measured,
            "0.20x: 20,000 ev/s against COPY's 100,000 ev/s; PostgreSQL "
            "alone: 60.0 CPU-s per million events, 3.60 cores at 60,000 ev/s");
}

TEST(BenchReportTest, BatchTargetCountsOnlyThousandEventBatches) {
  BenchReport report(RunInfo{});
  WriteRateResult copy;
  copy.events_per_second = 100'000;
  report.SetCopyCeiling(copy, 10'000);
  report.AddScenario(Scenario("grpc_batch", Transport::kGrpcBatch, 400'000,
                              90'000, 5'000, 500));
  const TargetResult t =
      Target(report.EvaluateTargets(), "gRPC IngestBatch, 500-event batches");
  EXPECT_FALSE(t.pass);
  EXPECT_THAT(t.measured, HasSubstr("not the target's 1,000-event batches"));
}

TEST(BenchReportTest, CpuTargetsCountServicesAndPostgresButNotTheGenerator) {
  BenchReport report(RunInfo{});
  // 100,000 events; each service 1 s more (10 µs per event), PostgreSQL 2 s
  // (20 µs): 60 µs. The load generator's 50 s are left out.
  ScenarioReport rest =
      Scenario("rest", Transport::kRest, 100'000, 5'000, 5'000);
  rest.usage_after = Usage(2, 120);
  rest.usage_after.postgres_cpu_seconds = 3;
  rest.usage_after.bench_cpu_seconds = 51;
  report.AddScenario(rest);
  // Batches: 1,000,000 events, 1 s each and PostgreSQL 9 s: 14 µs.
  ScenarioReport batch = Scenario("grpc_batch", Transport::kGrpcBatch,
                                  1'000'000, 50'000, 5'000, 1000);
  batch.usage_after = Usage(1.2, 120);
  batch.usage_after.postgres_cpu_seconds = 10;
  report.AddScenario(batch);
  // The poison scenario's parts share their window: no CPU target.
  ScenarioReport victim =
      Scenario("poison/a_alone", Transport::kRest, 1'000, 500, 5'000);
  victim.role = ScenarioRole::kVictimAlone;
  victim.has_usage = false;
  report.AddScenario(victim);

  const std::vector<TargetResult> targets = report.EvaluateTargets();
  const TargetResult rest_cpu =
      Target(targets,
             "CPU per acknowledged event, services + PostgreSQL, folding "
             "included, rest: <= 50 µs");
  EXPECT_FALSE(rest_cpu.pass);
  EXPECT_EQ(rest_cpu.measured,
            "60.0 µs (gateway 10.0, ingest 10.0, processor 10.0, query 10.0, "
            "PostgreSQL 20.0)");
  const TargetResult batch_cpu =
      Target(targets,
             "CPU per acknowledged event, services + PostgreSQL, "
             "folding included, grpc_batch, 1000-event batches: <= "
             "15 µs");
  EXPECT_TRUE(batch_cpu.pass) << batch_cpu.measured;
  EXPECT_EQ(std::count_if(targets.begin(), targets.end(),
                          [](const TargetResult t) {
                            return absl::StrContains(t.name, "poison/");
                          }),
            0);
}

TEST(BenchReportTest, CpuTargetFailsWhenTheWindowsFoldWasNotSeen) {
  BenchReport report(RunInfo{});
  ScenarioReport batch = Scenario("grpc_batch", Transport::kGrpcBatch,
                                  1'000'000, 50'000, 5'000, 1000);
  batch.fold_wait_seconds = absl::DeadlineExceededError("watermark stuck");
  report.AddScenario(batch);
  const TargetResult t =
      Target(report.EvaluateTargets(), "CPU per acknowledged event");
  EXPECT_FALSE(t.pass);
  EXPECT_THAT(t.measured,
              HasSubstr("the window's fold was not seen: watermark stuck"));
}

// A run at 80% of `basis`'s closed-loop rate with its probes' figures.
ScenarioReport AtShare(int64_t visible_us, int64_t folded_us,
                       int64_t not_folded = 0) {
  ScenarioReport s =
      Scenario("rest@80%", Transport::kRest, 80'000, 4'000, 5'000);
  s.load.spec.share_of_closed_loop = 0.8;
  s.load.spec.target_events_per_second = 4'000;
  s.load.spec.rate_basis = "rest";
  s.load.spec.rate_basis_events_per_second = 5'000;
  VisibilityResult v;
  v.probes = 50;
  v.fold_lag_measured = true;
  for (int i = 0; i < 50; ++i) {
    v.latency_us.Record(visible_us);
    v.fold_lag_us.Record(folded_us);
  }
  v.not_folded = not_folded;
  s.visibility = v;
  return s;
}

TEST(BenchReportTest, VisibilityAndFolderLagAreReadAtTheShareOfTheRate) {
  const std::string at =
      "at 80% of the closed-loop rate (rest@80%: 4,000 ev/s offered, rest "
      "took 5,000)";
  {
    BenchReport report(RunInfo{});
    report.AddScenario(AtShare(500'000, 1'500'000));
    const std::vector<TargetResult> targets = report.EvaluateTargets();
    EXPECT_TRUE(Target(targets, "Event-to-visible p99 <= 1 s " + at).pass);
    const TargetResult folded = Target(targets, "Folder lag p99 <= 2 s " + at);
    EXPECT_TRUE(folded.pass);
    EXPECT_THAT(folded.measured, HasSubstr("(50 probes, 0 not folded)"));
  }
  {
    BenchReport report(RunInfo{});
    report.AddScenario(AtShare(1'500'000, 2'500'000));
    const std::vector<TargetResult> targets = report.EvaluateTargets();
    EXPECT_FALSE(Target(targets, "Event-to-visible p99 <= 1 s " + at).pass);
    EXPECT_FALSE(Target(targets, "Folder lag p99 <= 2 s " + at).pass);
  }
  {
    // A probe never folded fails the target whatever the percentiles.
    BenchReport report(RunInfo{});
    report.AddScenario(AtShare(500'000, 100'000, 1));
    EXPECT_FALSE(
        Target(report.EvaluateTargets(), "Folder lag p99 <= 2 s " + at).pass);
  }
}

TEST(BenchReportTest, WithoutARunAtAShareTheLatencyTargetsAreNotRun) {
  BenchReport report(RunInfo{});
  report.AddScenario(Scenario("rest", Transport::kRest, 70'000, 3'500, 5'000));
  const TargetResult t = Target(report.EvaluateTargets(), "Event-to-visible");
  EXPECT_FALSE(t.pass);
  EXPECT_THAT(t.measured, HasSubstr("not run"));
}

// The poison scenario: shop A at `alone_us` and `beside_us`, shop B's 100
// batches of 100 with `refused` events refused.
BenchReport PoisonReport(int64_t alone_us, int64_t beside_us,
                         int64_t refused = 100) {
  BenchReport report(RunInfo{});
  ScenarioReport alone =
      Scenario("poison/a_alone", Transport::kGrpcUnary, 10'000, 500, alone_us);
  alone.role = ScenarioRole::kVictimAlone;
  ScenarioReport beside = Scenario("poison/a_beside_b", Transport::kGrpcUnary,
                                   10'000, 500, beside_us);
  beside.role = ScenarioRole::kVictimBeside;
  ScenarioReport poisoner =
      Scenario("poison/b", Transport::kGrpcBatch, 0, 1'980, 20'000, 100);
  poisoner.role = ScenarioRole::kPoisoner;
  poisoner.load.spec.target_events_per_second = 2'000;
  poisoner.load.events_sent = 10'000;
  poisoner.load.events_rejected = refused;
  poisoner.load.events_acked = 10'000 - refused;
  for (ScenarioReport* s : {&alone, &beside, &poisoner}) s->has_usage = false;
  report.AddScenario(alone);
  report.AddScenario(beside);
  report.AddScenario(poisoner);
  return report;
}

constexpr char kPoisonTarget[] = "A shop sending one poison event per batch";

TEST(BenchReportTest, PoisonTargetComparesTheOtherShopsP99AloneAndBeside) {
  const TargetResult within =
      Target(PoisonReport(10'000, 11'000).EvaluateTargets(), kPoisonTarget);
  EXPECT_TRUE(within.pass) << within.measured;
  EXPECT_THAT(within.measured,
              HasSubstr("100 batches of 100, 2,000 ev/s offered: 100 "
                        "refused, 9,900 stored"));
  EXPECT_FALSE(
      Target(PoisonReport(10'000, 13'000).EvaluateTargets(), kPoisonTarget)
          .pass);
}

TEST(BenchReportTest, PoisonTargetNeedsTheBatchesRefusedOneEventEach) {
  const TargetResult t =
      Target(PoisonReport(10'000, 10'000, 0).EvaluateTargets(), kPoisonTarget);
  EXPECT_FALSE(t.pass);
  EXPECT_THAT(t.measured, HasSubstr("were not refused one event each"));
}

TEST(BenchReportTest, AbsoluteRateTargetsAreGone) {
  BenchReport report(RunInfo{});
  report.AddScenario(Scenario("rest", Transport::kRest, 70'000, 3'500, 5'000));
  report.AddScenario(
      Scenario("grpc_unary", Transport::kGrpcUnary, 70'000, 3'500, 5'000));
  for (const TargetResult t : report.EvaluateTargets()) {
    EXPECT_FALSE(absl::StrContains(t.name, "20,000")) << t.name;
    EXPECT_FALSE(absl::StrContains(t.name, "30,000")) << t.name;
    EXPECT_FALSE(absl::StrContains(t.name, "70%")) << t.name;
  }
}

TEST(BenchReportTest, JsonHasTheNewCeilingsAndEachScenariosFoldFigures) {
  BenchReport report(RunInfo{});
  NginxCeiling nginx;
  nginx.generator = Ceiling(10'000);
  nginx.generator.server = "nginx, 2 worker processes";
  nginx.generator.server_cpu_seconds = 1;  // 10 µs per call
  nginx.generator.generator_cpu_seconds = 2;
  nginx.wrk = absl::UnavailableError("wrk missing");
  report.SetNginxCeiling(nginx);
  report.SetGrpcNoopCeiling(Ceiling(20'000));
  report.AddScenario(AtShare(500'000, 1'000'000));

  rapidjson::Document json;
  json.Parse(report.ToJson().c_str());
  ASSERT_FALSE(json.HasParseError());
  const auto& ceilings = json["ceilings"];
  const auto& nginx_json = ceilings["nginx_static"]["load_generator"];
  EXPECT_DOUBLE_EQ(nginx_json["calls_per_second"].GetDouble(), 10'000);
  EXPECT_TRUE(nginx_json["valid"].GetBool());
  EXPECT_DOUBLE_EQ(nginx_json["server_cpu_us_per_call"].GetDouble(), 10);
  EXPECT_STREQ(ceilings["nginx_static"]["wrk"]["error"].GetString(),
               "wrk missing");
  EXPECT_DOUBLE_EQ(ceilings["grpc_noop"]["calls_per_second"].GetDouble(),
                   20'000);
  const auto& scenario = json["scenarios"][0];
  EXPECT_DOUBLE_EQ(scenario["share_of_closed_loop"].GetDouble(), 0.8);
  EXPECT_STREQ(scenario["rate_basis"].GetString(), "rest");
  EXPECT_DOUBLE_EQ(scenario["ratio_to_static_server"].GetDouble(), 0.4);
  EXPECT_EQ(scenario["folder_lag_ms"]["probes"].GetInt64(), 50);
  EXPECT_DOUBLE_EQ(scenario["fold_wait_seconds"].GetDouble(), 0.5);
  EXPECT_TRUE(scenario.HasMember("services_and_postgres_cpu_us_per_event"));
}

}  // namespace
}  // namespace shopstream::bench
