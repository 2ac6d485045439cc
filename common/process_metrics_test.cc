#include "common/process_metrics.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shopstream {
namespace {

using ::testing::UnorderedElementsAre;

struct Sample {
  prometheus::MetricType type;
  double value;
};

std::map<std::string, Sample> Scrape(const ProcessCollector& collector) {
  std::map<std::string, Sample> samples;
  for (const prometheus::MetricFamily& family : collector.Collect()) {
    EXPECT_EQ(family.metric.size(), 1u) << family.name;
    if (family.metric.empty()) continue;
    const prometheus::ClientMetric& metric = family.metric[0];
    EXPECT_TRUE(metric.label.empty()) << family.name;
    samples[family.name] = {family.type,
                            family.type == prometheus::MetricType::Counter
                                ? metric.counter.value
                                : metric.gauge.value};
  }
  return samples;
}

std::vector<std::string> Names(const std::map<std::string, Sample>& samples) {
  std::vector<std::string> names;
  for (const auto& [name, sample] : samples) names.push_back(name);
  return names;
}

void Write(const std::filesystem::path& file, const std::string& text) {
  std::ofstream(file) << text;
}

class FakeProcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat(
               "fake-proc-", getpid(), "-",
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "fd");
    files_.stat = (dir_ / "stat").string();
    files_.limits = (dir_ / "limits").string();
    files_.fd_dir = (dir_ / "fd").string();
    files_.system_stat = (dir_ / "system_stat").string();
    files_.clock_ticks_per_second = 100;
    files_.page_size_bytes = 4096;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  ProcessFiles files_;
};

// Fields as proc(5) numbers them: utime (14) 250 ticks, stime (15) 50,
// starttime (22) 12345, vsize (23) 1 GiB, rss (24) 2560 pages. The command
// name holds spaces and a ')', which must not shift the fields.
constexpr char kStat[] =
    "4242 (shop (stream) x) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 "
    "20 0 7 0 12345 1073741824 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 "
    "0 0 0 17 1 0 0 0 0 0\n";

constexpr char kLimits[] =
    "Limit                     Soft Limit           Hard Limit           "
    "Units     \n"
    "Max cpu time              unlimited            unlimited            "
    "seconds   \n"
    "Max open files            1024                 524288               "
    "files     \n"
    "Max locked memory         8388608              8388608              "
    "bytes     \n";

constexpr char kSystemStat[] =
    "cpu  1 2 3 4 5 6 7 0 0 0\n"
    "intr 1 2 3\n"
    "btime 1700000000\n"
    "processes 100\n";

TEST_F(FakeProcTest, ReadsEachFamilyInItsUnits) {
  Write(dir_ / "stat", kStat);
  Write(dir_ / "limits", kLimits);
  Write(dir_ / "system_stat", kSystemStat);
  for (const char* fd : {"0", "1", "2"}) Write(dir_ / "fd" / fd, "");

  const std::map<std::string, Sample> samples =
      Scrape(ProcessCollector(files_));

  ASSERT_THAT(Names(samples),
              UnorderedElementsAre(
                  "process_cpu_seconds_total", "process_resident_memory_bytes",
                  "process_virtual_memory_bytes", "process_open_fds",
                  "process_max_fds", "process_start_time_seconds"));
  EXPECT_EQ(samples.at("process_cpu_seconds_total").type,
            prometheus::MetricType::Counter);
  EXPECT_DOUBLE_EQ(samples.at("process_cpu_seconds_total").value, 3.0);
  EXPECT_EQ(samples.at("process_resident_memory_bytes").type,
            prometheus::MetricType::Gauge);
  EXPECT_DOUBLE_EQ(samples.at("process_resident_memory_bytes").value,
                   2560.0 * 4096);
  EXPECT_DOUBLE_EQ(samples.at("process_virtual_memory_bytes").value,
                   1073741824.0);
  EXPECT_DOUBLE_EQ(samples.at("process_open_fds").value, 3);
  EXPECT_DOUBLE_EQ(samples.at("process_max_fds").value, 1024);
  EXPECT_DOUBLE_EQ(samples.at("process_start_time_seconds").value,
                   1700000000 + 123.45);
}

TEST_F(FakeProcTest, AnUnlimitedFileLimitIsInfinite) {
  Write(dir_ / "limits",
        "Max open files            unlimited            unlimited            "
        "files     \n");
  const std::map<std::string, Sample> samples =
      Scrape(ProcessCollector(files_));
  ASSERT_TRUE(samples.contains("process_max_fds"));
  EXPECT_TRUE(std::isinf(samples.at("process_max_fds").value));
}

// Missing or garbled files drop their families instead of reporting 0.
TEST_F(FakeProcTest, WhatCannotBeReadIsLeftOut) {
  Write(dir_ / "stat", "4242 (truncated) S 1 2 3\n");
  Write(dir_ / "system_stat", kSystemStat);
  std::filesystem::remove(dir_ / "fd");
  EXPECT_TRUE(Scrape(ProcessCollector(files_)).empty());

  Write(dir_ / "stat", kStat);
  Write(dir_ / "system_stat", "cpu 1 2 3\n");
  EXPECT_THAT(Names(Scrape(ProcessCollector(files_))),
              UnorderedElementsAre("process_cpu_seconds_total",
                                   "process_resident_memory_bytes",
                                   "process_virtual_memory_bytes"));
}

// The test process's own /proc, against what the process knows of itself
// by other means.
double Value(const char* name) {
  const std::map<std::string, Sample> samples = Scrape(ProcessCollector());
  auto it = samples.find(name);
  EXPECT_NE(it, samples.end()) << name << " missing";
  return it == samples.end() ? std::nan("") : it->second.value;
}

double RusageCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

TEST(OwnProcessTest, CpuTimeAgreesWithGetrusage) {
  // Some CPU time to measure; the kernel accounts both from the same
  // clock, /proc in whole ticks.
  volatile double sink = 0;
  for (int i = 0; i < 20'000'000; ++i) sink = sink + std::sqrt(i);
  const double before = RusageCpuSeconds();
  const double cpu = Value("process_cpu_seconds_total");
  const double after = RusageCpuSeconds();
  const double tick = 1.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  EXPECT_GT(cpu, 0);
  EXPECT_GE(cpu, before - 2 * tick);
  EXPECT_LE(cpu, after + 2 * tick);
}

TEST(OwnProcessTest, OpenFdsCountsDescriptorsOpenedAndClosed) {
  const double before = Value("process_open_fds");
  std::vector<int> fds;
  for (int i = 0; i < 10; ++i) fds.push_back(open("/dev/null", O_RDONLY));
  EXPECT_EQ(Value("process_open_fds"), before + 10);
  for (int fd : fds) close(fd);
  EXPECT_EQ(Value("process_open_fds"), before);
}

TEST(OwnProcessTest, MaxFdsIsTheSoftLimit) {
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  const double expected = limit.rlim_cur == RLIM_INFINITY
                              ? std::numeric_limits<double>::infinity()
                              : static_cast<double>(limit.rlim_cur);
  EXPECT_EQ(Value("process_max_fds"), expected);
}

TEST(OwnProcessTest, MemoryGrowsWithAMapping) {
  constexpr size_t kBytes = 64 << 20;
  const double virtual_before = Value("process_virtual_memory_bytes");
  const double resident_before = Value("process_resident_memory_bytes");
  void* mapping = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mapping, MAP_FAILED);
  // Less a little: the process may unmap something of its own meanwhile
  // (seen: 8 KiB), which is no fault of the metric.
  constexpr double kSlack = 1 << 20;
  EXPECT_GE(Value("process_virtual_memory_bytes"),
            virtual_before + kBytes - kSlack);
  // Touching every page makes it resident.
  const long page = sysconf(_SC_PAGESIZE);
  for (size_t i = 0; i < kBytes; i += page) {
    static_cast<volatile char*>(mapping)[i] = 1;
  }
  EXPECT_GE(Value("process_resident_memory_bytes"),
            resident_before + kBytes * 0.9);
  munmap(mapping, kBytes);
}

TEST(OwnProcessTest, StartTimeLiesBetweenBootAndNowAndStays) {
  std::ifstream system_stat("/proc/stat");
  std::string line;
  double boot = -1;
  while (std::getline(system_stat, line)) {
    if (line.rfind("btime ", 0) == 0) boot = std::stod(line.substr(6));
  }
  ASSERT_GT(boot, 0);
  const double start = Value("process_start_time_seconds");
  EXPECT_GE(start, boot);
  EXPECT_LE(start, static_cast<double>(std::time(nullptr)) + 1);
  EXPECT_EQ(Value("process_start_time_seconds"), start);
}

}  // namespace
}  // namespace shopstream
