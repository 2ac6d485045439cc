// What the binaries listen on when no address is given: loopback only, for
// gRPC and for /metrics. Read from each binary's --helpfull, so no test has
// to listen on a default port that a running stack may hold.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace shopstream::testing {
namespace {

// Output of a shell command.
std::string RunShell(const std::string& command) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  std::string out;
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof(chunk), pipe)) > 0) out.append(chunk, n);
  pclose(pipe);
  return out;
}

std::string Binary(const std::string& name) {
  if (const char* dir = std::getenv("SHOPSTREAM_BIN_DIR")) {
    return absl::StrCat(dir, "/", name);
  }
  return (std::filesystem::canonical("/proc/self/exe").parent_path() / name)
      .string();
}

// The default --helpfull shows for `flag` of `binary`, quotes removed;
// "(not found)" when the binary has no such flag.
std::string DefaultOf(const std::string& binary, const std::string& flag) {
  const std::string help = RunShell(Binary(binary) + " --helpfull");
  const size_t at = help.find("--" + flag + " ");
  if (at == std::string::npos) return "(not found)";
  const size_t value = help.find("default: \"", at);
  if (value == std::string::npos) return "(not found)";
  const size_t begin = value + 10;
  return help.substr(begin, help.find('"', begin) - begin);
}

TEST(ListenDefaultsTest, GrpcServersListenOnLoopback) {
  EXPECT_EQ(DefaultOf("shopstream-ingest", "ingest_address"),
            "127.0.0.1:50051");
  EXPECT_EQ(DefaultOf("shopstream-query", "query_address"), "127.0.0.1:50052");
  EXPECT_EQ(DefaultOf("shopstream-processor", "processor_address"),
            "127.0.0.1:50053");
}

TEST(ListenDefaultsTest, MetricsListenOnLoopback) {
  for (const char* binary : {"shopstream-gateway", "shopstream-ingest",
                             "shopstream-query", "shopstream-processor"}) {
    EXPECT_EQ(DefaultOf(binary, "metrics_address"), "127.0.0.1") << binary;
  }
}

}  // namespace
}  // namespace shopstream::testing
