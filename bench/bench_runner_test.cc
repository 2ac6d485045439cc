#include "bench/bench_runner.h"

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace shopstream::bench
