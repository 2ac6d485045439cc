#include "query/summary_store.h"

#include <pqxx/pqxx>

#include "gtest/gtest.h"
#include "query/analytics_service.h"
#include "storage/schema_migrator.h"
#include "storage/test_database.h"

namespace shopstream {
namespace {

class SummaryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SchemaMigrator().Apply(db_.conninfo()).ok());
  }
  // Rows as the processor stores them.
  void Insert(const std::string& shop, const std::string& id, int type,
              const std::string& at, const char* product,
              std::optional<int64_t> cents = std::nullopt) {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    std::optional<std::string> p;
    if (product != nullptr) p = product;
    tx.exec_params(
        "INSERT INTO events (shop_id, event_id, event_type, occurred_at,"
        " product_id, order_amount_cents) VALUES ($1, $2, $3, $4, $5, $6)",
        shop, id, type, at, p, cents);
    tx.commit();
  }
  SummaryCounts Load(const SummaryScope& scope) {
    auto counts = store_.Load(scope);
    EXPECT_TRUE(counts.ok()) << counts.status();
    return counts.value_or(SummaryCounts{});
  }

  TestDatabase db_;
  PgConnectionPool pool_{db_.conninfo(), 2};
  SummaryStore store_{&pool_};
};

absl::Time At(const std::string& rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
  return t;
}

TEST_F(SummaryStoreTest, EmptyDatabaseHasNoTopProduct) {
  SummaryCounts c = Load({});
  EXPECT_EQ(c.page_views, 0);
  EXPECT_EQ(c.purchases, 0);
  EXPECT_FALSE(c.top_product_id.has_value());
}

TEST_F(SummaryStoreTest, CountsSumsAndExtremesInCents) {
  Insert("s", "1", 1, "2025-10-02T10:30:00Z", "prod-123");
  Insert("s", "2", 2, "2025-10-02T10:35:00Z", "prod-123");
  Insert("s", "3", 3, "2025-10-02T10:40:00Z", "prod-123", 9999);
  Insert("s", "4", 3, "2025-10-02T10:41:00Z", "prod-9", 999);
  Insert("s", "5", 3, "2025-10-02T10:42:00Z", nullptr, 29999);
  SummaryCounts c = Load({});
  EXPECT_EQ(c.page_views, 1);
  EXPECT_EQ(c.add_to_carts, 1);
  EXPECT_EQ(c.purchases, 3);
  EXPECT_EQ(c.revenue_cents, 9999 + 999 + 29999);
  EXPECT_EQ(c.max_purchase_cents, 29999);
  EXPECT_EQ(c.min_purchase_cents, 999);
  EXPECT_EQ(c.top_product_id, "prod-123");
}

TEST_F(SummaryStoreTest, TopProductIsMostViewedWithTiesToTheSmallestId) {
  // Byte order: "B" < "a", whatever the collation says.
  Insert("s", "1", 1, "2025-10-02T10:00:00Z", "a");
  Insert("s", "2", 1, "2025-10-02T10:00:00Z", "B");
  Insert("s", "3", 2, "2025-10-02T10:00:00Z", "z");  // carts do not count
  Insert("s", "4", 2, "2025-10-02T10:00:00Z", "z");
  EXPECT_EQ(Load({}).top_product_id, "B");
  Insert("s", "5", 1, "2025-10-02T10:00:00Z", "a");
  EXPECT_EQ(Load({}).top_product_id, "a");
}

TEST_F(SummaryStoreTest, ScopesByShopAndHalfOpenTimeRange) {
  Insert("a", "1", 1, "2025-10-02T00:00:00Z", "p");
  Insert("a", "2", 1, "2025-10-02T23:59:59.999999Z", "p");
  Insert("a", "3", 1, "2025-10-03T00:00:00Z", "p");
  Insert("b", "1", 1, "2025-10-02T12:00:00Z", "q");
  EXPECT_EQ(Load({}).page_views, 4);
  EXPECT_EQ(Load({.shop_id = "a"}).page_views, 3);
  EXPECT_EQ(Load({.shop_id = "b"}).top_product_id, "q");
  EXPECT_EQ(Load({.shop_id = "nobody"}).page_views, 0);
  SummaryCounts day = Load({.shop_id = "a",
                            .from = At("2025-10-02T00:00:00Z"),
                            .to = At("2025-10-03T00:00:00Z")});
  EXPECT_EQ(day.page_views, 2);
  EXPECT_EQ(Load({.from = At("2025-10-02T12:00:00Z")}).page_views, 3);
  EXPECT_EQ(Load({.to = At("2025-10-02T12:00:00Z")}).page_views, 1);
}

TEST_F(SummaryStoreTest, ScopeOfRejectsBackwardsRanges) {
  v1::GetSummaryRequest req;
  req.mutable_from()->set_seconds(100);
  req.mutable_to()->set_seconds(50);
  EXPECT_EQ(ScopeOf(req).status().code(), absl::StatusCode::kInvalidArgument);
  req.mutable_to()->set_seconds(100);
  EXPECT_TRUE(ScopeOf(req).ok());
}

TEST_F(SummaryStoreTest, UnreachableDatabaseIsUnavailable) {
  PgConnectionPool dead("host=127.0.0.1 port=1 user=postgres connect_timeout=1", 1);
  SummaryStore store(&dead);
  EXPECT_EQ(store.Load({}).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace shopstream
