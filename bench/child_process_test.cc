#include "bench/child_process.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "absl/time/clock.h"
#include "bench/process_usage.h"
#include "gtest/gtest.h"

namespace shopstream::bench {
namespace {

TEST(ChildProcessTest, StopEndsAServerThatWaitsForever) {
  ChildProcess child;
  ASSERT_TRUE(child.Start({"sleep", "600"}, "").ok());
  EXPECT_TRUE(child.Running());
  EXPECT_TRUE(child.Stop().ok());
  EXPECT_FALSE(child.Running());
}

// Whether `pid` is alive (not gone, not a zombie).
bool Alive(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() &&
         stat[close + 2] != 'Z';
}

TEST(ChildProcessTest, StopAlsoEndsWhatTheChildStarted) {
  const std::string pid_file = ::testing::TempDir() + "/child-sleep.pid";
  std::remove(pid_file.c_str());
  ChildProcess child;
  // A shell that waits on a sleep of its own, as nginx's master waits on
  // its workers.
  ASSERT_TRUE(
      child
          .Start({"sh", "-c", "sleep 600 & echo $! > " + pid_file + "; wait"},
                 "")
          .ok());
  std::string sleep_pid;
  while (sleep_pid.empty() && child.Running()) {
    std::ifstream in(pid_file);
    std::getline(in, sleep_pid);
    if (sleep_pid.empty()) absl::SleepFor(absl::Milliseconds(1));
  }
  ASSERT_FALSE(sleep_pid.empty());
  ASSERT_TRUE(Alive(sleep_pid));
  EXPECT_TRUE(child.Stop().ok());
  // The signal went to the group, so the sleep ends too (its parent being
  // gone, it may linger a moment as a zombie, which counts as ended).
  for (int i = 0; i < 500 && Alive(sleep_pid); ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_FALSE(Alive(sleep_pid));
}

TEST(ChildProcessTest, AMissingBinaryIsAnErrorAtStart) {
  ChildProcess child;
  EXPECT_FALSE(child.Start({"/nonexistent/server"}, "").ok());
  EXPECT_TRUE(child.Stop().ok());
}

TEST(ChildProcessTest, WaitingForAPortFailsOnceTheChildHasExited) {
  ChildProcess child;
  ASSERT_TRUE(child.Start({"sh", "-c", "exit 3"}, "").ok());
  absl::StatusOr<int> port = FreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  const absl::Status waited = WaitForPort(*port, child, absl::Minutes(5));
  EXPECT_EQ(waited.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(waited.message().find("exited with 3"), absl::string_view::npos)
      << waited;
}

TEST(ProcessTreeCpuTest, CountsTheProcessItself) {
  // Burn some CPU so that there is something to count.
  volatile double sink = 0;
  for (int i = 0; i < 20'000'000; ++i) sink = sink + std::sqrt(i);
  const double self = SelfCpuSeconds();
  ASSERT_GT(self, 0);
  EXPECT_GE(ProcessTreeCpuSeconds(getpid()), self);
}

TEST(ProcessTreeCpuTest, ChildrenThatEndedCountWhenAsked) {
  // A parent that waits for a child burning CPU, then idles: as a
  // postmaster whose backend ended.
  ChildProcess parent;
  ASSERT_TRUE(parent
                  .Start({"sh", "-c",
                          "sh -c 'i=0; while [ $i -lt 300000 ]; do "
                          "i=$((i+1)); done'; exec sleep 600"},
                         "")
                  .ok());
  double reaped = 0;
  for (int i = 0; i < 3000 && reaped < 0.05; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
    reaped = ProcessTreeCpuSeconds(parent.pid(), true) -
             ProcessTreeCpuSeconds(parent.pid(), false);
  }
  EXPECT_GE(reaped, 0.05);

  // The same through a pid file, as the stack's postmaster.pid is read.
  const std::string pid_file = ::testing::TempDir() + "/postmaster.pid";
  {
    std::ofstream out(pid_file);
    out << parent.pid() << "\n/some/data/dir\n";
  }
  const UsageSnapshot usage = TakeUsageSnapshot("", pid_file);
  EXPECT_GE(usage.postgres_cpu_seconds, reaped);
  EXPECT_TRUE(parent.Stop().ok());
}

TEST(ProcessTreeCpuTest, AProcessThatIsGoneHasNone) {
  ChildProcess child;
  ASSERT_TRUE(child.Start({"true"}, "").ok());
  const pid_t pid = child.pid();
  ASSERT_TRUE(child.Stop().ok());
  EXPECT_LT(ProcessTreeCpuSeconds(pid), 0);
}

}  // namespace
}  // namespace shopstream::bench
