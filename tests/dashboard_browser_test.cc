// The dashboard in a real browser against the real stack: the gateway
// serves the built page (--static_dir) beside the API, and
// dashboard/e2e/dashboard.e2e.mjs drives Debian's Chromium through
// playwright-core. Screenshots and downloaded CSVs stay in the build tree.
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <pqxx/pqxx>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "shopstream/internal/v1/pipeline.pb.h"
#include "tests/bounded_run.h"
#include "tests/local_stack.h"

namespace shopstream::testing {
namespace {

constexpr auto kScriptTimeout = std::chrono::seconds(150);

constexpr char kShop[] = "browser-shop";
constexpr char kOwnerShop[] = "owner-shop";

// The built page and Chromium, or the reason the test cannot run.
void ExpectPageAndBrowser(const std::filesystem::path& dashboard) {
  ASSERT_TRUE(std::filesystem::exists(dashboard / "dist" / "index.html"))
      << "build the dashboard first (cmake --build build --target dashboard)";
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium"))
      << "Debian's chromium package is missing (scripts/install-deps.sh)";
}

TEST(DashboardBrowserTest, PageStaysLiveSwitchesRangeAndDownloadsCsv) {
  const std::filesystem::path dashboard = SHOPSTREAM_DASHBOARD_DIR;
  ExpectPageAndBrowser(dashboard);
  if (HasFatalFailure()) return;
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

// A dead letter as the processor leaves one: the stored event's exact form
// as payload, escaped copies of its text for reading. Returns its id.
std::string InsertDeadLetter(const LocalStack& stack, const std::string& shop,
                             const std::string& product) {
  internal::v1::StoredEvent event;
  event.set_shop_id(shop);
  event.set_event_id("dead-letter-1");
  event.set_event_type(internal::v1::PAGE_VIEW);
  event.set_occurred_at_micros(
      absl::ToUnixMicros(absl::Now() - absl::Minutes(10)));
  event.set_product_id(product);
  event.set_session_id("dead-letter-session");
  pqxx::connection c(stack.db().conninfo());
  pqxx::work tx(c);
  const pqxx::row row = tx.exec_params1(
      "INSERT INTO dead_letter_events"
      " (shop_id, event_id, event_text, payload, reason)"
      " VALUES ($1, $2, $3, $4, 'partition missing') RETURNING id",
      absl::CEscape(event.shop_id()), absl::CEscape(event.event_id()),
      absl::CEscape(event.ShortDebugString()),
      pqxx::binarystring(event.SerializeAsString()));
  tx.commit();
  return row[0].as<std::string>();
}

// Filters, comparison, engagement, breakdowns, axes at two widths, the
// report and the admin view, in dashboard/e2e/owner.e2e.mjs. Its
// screenshots (dashboard-1280.png, dashboard-400.png, ...) go where
// SHOPSTREAM_DASHBOARD_SCREENSHOTS says: build/artifacts/dashboard.
TEST(DashboardBrowserTest, OwnerViewsFilterCompareReportAndStayReadable) {
  const std::filesystem::path dashboard = SHOPSTREAM_DASHBOARD_DIR;
  ExpectPageAndBrowser(dashboard);
  if (HasFatalFailure()) return;
  const std::filesystem::path screenshots = SHOPSTREAM_SCREENSHOT_DIR;
  std::filesystem::remove_all(screenshots);
  ASSERT_EQ(setenv("SHOPSTREAM_DASHBOARD_SCREENSHOTS", screenshots.c_str(), 1),
            0);

  LocalStackOptions options;
  options.gateway_flags = {"--static_dir=" + (dashboard / "dist").string()};
  LocalStack stack(options);
  const std::string base =
      "http://127.0.0.1:" + std::to_string(stack.http_port());
  constexpr char kDeadProduct[] = "prod-dead";
  const std::string dead_letter =
      InsertDeadLetter(stack, kOwnerShop, kDeadProduct);
  const int exit_code = RunBounded(
      {SHOPSTREAM_NODE, (dashboard / "e2e" / "owner.e2e.mjs").string(),
       "--base-url", base, "--shop", kOwnerShop, "--read-key",
       stack.ReadKey(kOwnerShop), "--write-key", stack.WriteKey(kOwnerShop),
       "--admin-key", stack.Key(kOwnerShop, auth::Scope::kAdmin),
       "--dead-letter", dead_letter, "--dead-product", kDeadProduct},
      kScriptTimeout);
  EXPECT_EQ(exit_code, 0) << "owner views e2e script failed; see its output "
                             "above and the screenshots in "
                          << screenshots;
  // Replayed once, though the script asked twice: stored once.
  EXPECT_EQ(stack.StoredEvents("product_id = 'prod-dead'"), 1);
}

}  // namespace
}  // namespace shopstream::testing
