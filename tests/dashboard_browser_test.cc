// The dashboard in a real browser against the real stack: the gateway
// serves the built page (--static_dir) beside the API, and
// dashboard/e2e/dashboard.e2e.mjs drives Debian's Chromium through
// playwright-core. Screenshots and downloaded CSVs stay in the build tree.
#include <chrono>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "tests/bounded_run.h"
#include "tests/local_stack.h"

namespace shopstream::testing {
namespace {

constexpr auto kScriptTimeout = std::chrono::seconds(150);

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
