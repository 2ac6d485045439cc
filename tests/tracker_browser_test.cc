// The storefront tracker in a real browser against the real stack: the
// gateway serves its web root (/t.js), tracker/e2e/stack.e2e.mjs serves a
// shop page from an origin of its own and drives Debian's Chromium through
// playwright-core, and this test then reads what reached the database.
#include <chrono>
#include <filesystem>
#include <pqxx/pqxx>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/bounded_run.h"
#include "tests/local_stack.h"

namespace shopstream::testing {
namespace {

constexpr auto kScriptTimeout = std::chrono::seconds(150);
// The script returns once the gateway answered every send; the processor
// may commit a moment later.
constexpr auto kStoreDeadline = std::chrono::seconds(20);
constexpr char kShop[] = "tracker-shop";

// One text per stored event, so that a failure shows the whole row.
std::vector<std::string> Rows(LocalStack& stack, const std::string& sql) {
  pqxx::connection c(stack.db().conninfo());
  pqxx::work tx(c);
  std::vector<std::string> rows;
  for (const pqxx::row& row : tx.exec(sql)) {
    rows.push_back(row[0].is_null() ? "NULL" : row[0].as<std::string>());
  }
  return rows;
}

TEST(TrackerBrowserTest, PageEventsReachTheDatabaseFromTheKeysOriginOnly) {
  const std::filesystem::path www = SHOPSTREAM_WWW_DIR;
  ASSERT_TRUE(std::filesystem::exists(www / "t.js"))
      << "build the web root first (cmake --build build --target www)";
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium"))
      << "Debian's chromium package is missing (scripts/install-deps.sh)";
  const std::filesystem::path artifacts = SHOPSTREAM_ARTIFACT_DIR;
  std::filesystem::remove_all(artifacts);

  LocalStackOptions options;
  options.gateway_flags = {"--static_dir=" + www.string()};
  LocalStack stack(options);
  // The key must name the page's exact origin, port included, so the port
  // is chosen here and the script listens on it.
  const int page_port = FreePort();
  const std::string key = stack.CollectKeyFor(
      kShop, "http://127.0.0.1:" + std::to_string(page_port));
  const int exit_code = RunBounded(
      {SHOPSTREAM_NODE, SHOPSTREAM_TRACKER_DIR "/e2e/stack.e2e.mjs",
       "--gateway", "http://127.0.0.1:" + std::to_string(stack.http_port()),
       "--key", key, "--page-port", std::to_string(page_port), "--out",
       artifacts.string()},
      kScriptTimeout);
  ASSERT_EQ(exit_code, 0) << "tracker e2e script failed; see its output "
                             "above and the files in "
                          << artifacts;

  const auto deadline = std::chrono::steady_clock::now() + kStoreDeadline;
  while (stack.StoredEvents() < 6 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // Nothing from the other origin: its sends were refused, so the
  // tracker's five events and the script's CORS probe are all there is.
  EXPECT_EQ(stack.StoredEvents(), 6);
  EXPECT_EQ(stack.StoredEvents("shop_id = 'tracker-shop'"), 6);
  EXPECT_EQ(stack.StoredEvents("event_name = 'cors_probe'"), 1);
  EXPECT_EQ(stack.StoredEvents("page LIKE '/blocked%'"), 0);
  // Stamped on receipt: within the last few minutes, none in the future.
  EXPECT_EQ(stack.StoredEvents("occurred_at > now() - interval '5 minutes' "
                               "AND occurred_at <= now()"),
            6);

  const std::string tracked =
      " FROM events WHERE event_name IS DISTINCT FROM 'cors_probe' ";
  // Type, product, cents, page, device, browser and OS as ingest made them.
  // Headless Chromium says "HeadlessChrome/<version>" in its User-Agent,
  // which uap-core's regexes name "HeadlessChrome", not "Chrome"; the
  // screen is 800 CSS pixels wide: a tablet.
  EXPECT_EQ(Rows(stack,
                 "SELECT concat_ws('|', event_type, event_name, product_id, "
                 "order_amount_cents, page, device_class, browser, os)" +
                     tracked + "ORDER BY event_type, page"),
            (std::vector<std::string>{
                "1|/checkout?utm_source=news|tablet|HeadlessChrome|Linux",
                "1|/products/p1|tablet|HeadlessChrome|Linux",
                "2|p1|/products/p1|tablet|HeadlessChrome|Linux",
                "3|p1|1999|/products/p1|tablet|HeadlessChrome|Linux",
                "4|wishlist_add|/products/p1|tablet|HeadlessChrome|Linux",
            }));
  // Custom properties are strings, the number included.
  EXPECT_EQ(
      Rows(stack, "SELECT properties::text" + tracked + "AND event_type = 4"),
      std::vector<std::string>{
          R"({"list": "summer", "count": "3", "product_id": "p1"})"});
  // One visit: the tracker's one session id, in every event of it.
  EXPECT_EQ(Rows(stack,
                 "SELECT count(*) || '|' || count(DISTINCT session_id) || "
                 "'|' || bool_and(session_id ~ '^[0-9a-f]{32}$')" +
                     tracked),
            std::vector<std::string>{"5|1|true"});
}

}  // namespace
}  // namespace shopstream::testing
