// The dashboard in a real browser against the real stack: the gateway
// serves the built page (--static_dir) beside the API, and
// dashboard/e2e/dashboard.e2e.mjs drives Debian's Chromium through
// playwright-core. Screenshots and downloaded CSVs stay in the build tree.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/local_stack.h"

extern char** environ;

namespace shopstream::testing {
namespace {

constexpr auto kScriptTimeout = std::chrono::seconds(150);

// Runs argv in a process group of its own, so that the browser the script
// starts goes down with it on a timeout. Returns the exit code, or -1 when
// it had to be killed.
int RunBounded(std::vector<std::string> args,
               std::chrono::steady_clock::duration timeout) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  pid_t pid = -1;
  const int spawned =
      posix_spawn(&pid, argv[0], nullptr, &attributes, argv.data(), environ);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) {
    ADD_FAILURE() << "cannot start " << args[0];
    return -1;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // Whatever the script left behind in its group (a browser after a crash).
  kill(-pid, SIGKILL);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

constexpr char kShop[] = "browser-shop";

TEST(DashboardBrowserTest, PageStaysLiveSwitchesRangeAndDownloadsCsv) {
  const std::filesystem::path dashboard = SHOPSTREAM_DASHBOARD_DIR;
  ASSERT_TRUE(std::filesystem::exists(dashboard / "dist" / "index.html"))
      << "build the dashboard first (cmake --build build --target dashboard)";
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium"))
      << "Debian's chromium package is missing (scripts/install-deps.sh)";
  const std::filesystem::path artifacts = SHOPSTREAM_ARTIFACT_DIR;
  std::filesystem::remove_all(artifacts);

  LocalStackOptions options;
  options.gateway_flags = {"--static_dir=" + (dashboard / "dist").string()};
  LocalStack stack(options);
  const std::string base =
      "http://127.0.0.1:" + std::to_string(stack.http_port());
  const int exit_code = RunBounded(
      {SHOPSTREAM_NODE, (dashboard / "e2e" / "dashboard.e2e.mjs").string(),
       "--base-url", base, "--out", artifacts.string(), "--shop", kShop,
       "--read-key", stack.ReadKey(kShop), "--write-key",
       stack.WriteKey(kShop)},
      kScriptTimeout);
  EXPECT_EQ(exit_code, 0) << "dashboard e2e script failed; see its output "
                             "above and the screenshots in "
                          << artifacts;
}

}  // namespace
}  // namespace shopstream::testing
