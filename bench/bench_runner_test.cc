#include "bench/bench_runner.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace shopstream::bench {
namespace {

// Names are checked before anything runs, so no stack is needed: a typo
// should not surface minutes into a run.
absl::StatusCode RunOnly(const std::string& scenario) {
  BenchConfig config;
  config.scenarios = {scenario};
  return BenchRunner(config).Run().status().code();
}

TEST(BenchRunnerTest, RejectsMalformedWrkScenarioNamesBeforeRunning) {
  for (const std::string name :
       {"rest_wrk:", "rest_wrk:0", "rest_wrk:-4", "rest_wrk:many", "rest_wrkx",
        "rest_wrk_static:", "rest_wrk_static:x", "rest_wrk_staticx"}) {
    EXPECT_EQ(RunOnly(name), absl::StatusCode::kInvalidArgument) << name;
  }
}

TEST(BenchRunnerTest, RejectsAShareOfARateNotMeasuredBefore) {
  BenchConfig config;
  // The closed-loop run comes after, or is of another kind or width.
  for (const std::vector<std::string>& scenarios :
       std::vector<std::vector<std::string>>{{"rest@80%", "rest"},
                                             {"grpc_unary", "rest@80%"},
                                             {"rest:128", "rest@80%"},
                                             {"rest@4000", "rest@80%"}}) {
    config.scenarios = scenarios;
    EXPECT_EQ(BenchRunner(config).Run().status().code(),
              absl::StatusCode::kInvalidArgument)
        << scenarios[0] << "," << scenarios[1];
  }
}

std::optional<ScenarioSpec> Spec(const std::string& name) {
  return *ParseScenarioName(name);
}

TEST(BenchRunnerTest, ShareBasesAreClosedLoopRunsOfTheSameKindBefore) {
  EXPECT_TRUE(
      CheckShareBases({Spec("rest"), std::nullopt, Spec("rest@80%")}).ok());
  EXPECT_TRUE(CheckShareBases({Spec("rest:128"), Spec("rest:128@50%")}).ok());
  EXPECT_FALSE(CheckShareBases({Spec("rest:128"), Spec("rest@50%")}).ok());
  EXPECT_FALSE(CheckShareBases({Spec("grpc_batch@80%")}).ok());
}

ScenarioReport Ran(const std::string& name, double rate,
                   ScenarioRole role = ScenarioRole::kLoad) {
  ScenarioReport report;
  report.role = role;
  report.load.spec = *ParseScenarioName(name);
  report.load.acked_events_per_second = rate;
  return report;
}

TEST(BenchRunnerTest, AShareIsOfTheLatestClosedLoopRunOfTheSameKind) {
  // Open-loop runs, other kinds and the poison scenario's parts are no
  // basis; of two closed-loop runs the later counts.
  const std::vector<ScenarioReport> earlier = {
      Ran("rest", 4000),
      Ran("rest", 5000),
      Ran("rest@9000", 9000),
      Ran("grpc_unary", 7000),
      Ran("rest", 100, ScenarioRole::kVictimAlone),
      Ran("rest:128", 6000),
  };
  ScenarioSpec spec = *ParseScenarioName("rest@80%");
  ASSERT_TRUE(ResolveShareOfClosedLoop(earlier, &spec).ok());
  EXPECT_DOUBLE_EQ(spec.target_events_per_second, 4000);
  EXPECT_TRUE(spec.open_loop());
  EXPECT_EQ(spec.rate_basis, "rest");
  EXPECT_DOUBLE_EQ(spec.rate_basis_events_per_second, 5000);
}

TEST(BenchRunnerTest, NoShareOfARunThatTookNothing) {
  ScenarioSpec spec = *ParseScenarioName("grpc_batch@80%");
  EXPECT_EQ(ResolveShareOfClosedLoop({Ran("grpc_batch", 0)}, &spec).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ResolveShareOfClosedLoop({}, &spec).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(spec.open_loop());
}

}  // namespace
}  // namespace shopstream::bench
