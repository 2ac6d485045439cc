#include "query/rollup_analytics.h"

#include <cmath>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "processor/batch_writer.h"
#include "processor/event_partitions.h"
#include "query/analytics_requests.h"
#include "rollups/rollup_folder.h"
#include "storage/schema_migrator.h"
#include "storage/test_database.h"

namespace shopstream {
namespace {

google::protobuf::Timestamp Ts(const std::string& rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

class RollupAnalyticsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SchemaMigrator().Apply(db_.conninfo()).ok());
  }

  // Appended the way the processor appends events; Fold() adds them to the
  // rollups, and until then the queries count them from the raw tail.
  void Insert(const std::string& shop, const std::string& id, int type,
              const std::string& at, const char* product,
              std::optional<int64_t> cents = std::nullopt,
              const char* session = nullptr) {
    internal::v1::StoredEvent e;
    e.set_shop_id(shop);
    e.set_event_id(id);
    e.set_event_type(static_cast<internal::v1::EventType>(type));
    const google::protobuf::Timestamp ts = Ts(at);
    e.set_occurred_at_micros(ts.seconds() * 1000000);
    if (product != nullptr) e.set_product_id(product);
    if (session != nullptr) e.set_session_id(session);
    if (cents) e.set_order_amount_cents(*cents);
    auto written = writer_.Write({&e});
    ASSERT_TRUE(written.ok()) << written.status();
  }

  // Adds every committed event to the rollups, as the processor's folder
  // does behind the appends.
  void Fold() {
    rollups::RollupFolder folder({.conninfo = db_.conninfo()});
    absl::StatusOr<rollups::FoldResult> r;
    do {
      r = folder.FoldOnce();
      ASSERT_TRUE(r.ok()) << r.status();
    } while (r->more);
  }
  // One page view per session `prefix`<first> to `prefix`<last>, a second
  // apart from `at` on, appended in batches as the processor appends them.
  void InsertSessions(const std::string& shop, const std::string& prefix,
                      int first, int last, const std::string& at) {
    const int64_t start = Ts(at).seconds() * 1000000;
    std::vector<internal::v1::StoredEvent> events;
    for (int i = first; i <= last; ++i) {
      internal::v1::StoredEvent& e = events.emplace_back();
      e.set_shop_id(shop);
      e.set_event_id(absl::StrCat(prefix, i, "@", at));
      e.set_event_type(internal::v1::PAGE_VIEW);
      e.set_occurred_at_micros(start + int64_t{i - first} * 1000000);
      e.set_product_id("p");
      e.set_session_id(absl::StrCat(prefix, i));
    }
    for (size_t i = 0; i < events.size(); i += 1000) {
      std::vector<const internal::v1::StoredEvent*> batch;
      for (size_t j = i; j < std::min(events.size(), i + 1000); ++j) {
        batch.push_back(&events[j]);
      }
      auto written = writer_.Write(batch);
      ASSERT_TRUE(written.ok()) << written.status();
    }
  }

  bool PartitionExists(const std::string& name) {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    return tx.exec_params1("SELECT to_regclass($1) IS NOT NULL", name)[0]
        .as<bool>();
  }

  v1::Summary Load(const std::string& shop = "", const char* from = nullptr,
                   const char* to = nullptr) {
    v1::GetSummaryRequest r;
    r.set_shop_id(shop);
    if (from != nullptr) *r.mutable_from() = Ts(from);
    if (to != nullptr) *r.mutable_to() = Ts(to);
    auto summary = queries_.Summary(r);
    EXPECT_TRUE(summary.ok()) << summary.status();
    return summary.value_or(v1::Summary());
  }

  TestDatabase db_;
  BatchWriter writer_{db_.conninfo()};
  PgConnectionPool pool_{db_.conninfo(), 2};
  RollupAnalytics queries_{&pool_};
};

TEST_F(RollupAnalyticsTest, EmptyDatabaseHasNoTopProduct) {
  v1::Summary s = Load();
  EXPECT_EQ(s.total_page_views(), 0);
  EXPECT_EQ(s.total_purchases(), 0);
  EXPECT_FALSE(s.has_top_product_id());
  EXPECT_TRUE(s.has_as_of());
}

TEST_F(RollupAnalyticsTest, CountsSumsExtremesSessionsAndRates) {
  Insert("s", "1", 1, "2025-10-02T10:30:00Z", "prod-123", std::nullopt, "a");
  Insert("s", "2", 2, "2025-10-02T10:35:00Z", "prod-123", std::nullopt, "a");
  Insert("s", "3", 3, "2025-10-02T10:40:00Z", "prod-123", 9999, "b");
  Insert("s", "4", 3, "2025-10-02T10:41:00Z", "prod-9", 999);
  Insert("s", "5", 3, "2025-10-02T10:42:00Z", nullptr, 29999);
  Insert("s", "5", 3, "2025-10-02T10:42:00Z", nullptr, 29999);  // retry
  v1::Summary s = Load();
  EXPECT_EQ(s.total_page_views(), 1);
  EXPECT_EQ(s.total_add_to_carts(), 1);
  EXPECT_EQ(s.total_purchases(), 3);
  EXPECT_DOUBLE_EQ(s.revenue(), 409.97);
  EXPECT_DOUBLE_EQ(s.average_purchase_value(), 136.66);
  EXPECT_DOUBLE_EQ(s.max_purchase_value(), 299.99);
  EXPECT_DOUBLE_EQ(s.min_purchase_value(), 9.99);
  EXPECT_EQ(s.top_product_id(), "prod-123");
  EXPECT_EQ(s.unique_sessions(), 2);
  EXPECT_DOUBLE_EQ(s.conversion_rate(), 300.0);
  EXPECT_DOUBLE_EQ(s.add_to_cart_rate(), 100.0);
  // The same numbers for a range that is not everything.
  v1::Summary part = Load("s", "2025-10-02T10:35:00Z", "2025-10-02T10:42:00Z");
  EXPECT_EQ(part.total_purchases(), 2);
  EXPECT_EQ(part.unique_sessions(), 2);
  EXPECT_FALSE(part.has_unique_sessions_estimated());
  EXPECT_DOUBLE_EQ(part.revenue(), 109.98);
  EXPECT_FALSE(part.has_top_product_id());
}

TEST_F(RollupAnalyticsTest, ManySessionsAreEstimatedWithinTheSketchBound) {
  // 5,000 sessions active on each of three days (15,000 events)...
  for (const char* day : {"2025-10-01T01:00:00Z", "2025-10-02T01:00:00Z",
                          "2025-10-03T01:00:00Z"}) {
    InsertSessions("s", "u", 1, 5000, day);
  }
  // ...300 more on the morning of the range's last, partial day, and 300
  // after its end; 1,000 sessions of another shop with the same ids.
  InsertSessions("s", "edge", 1, 300, "2025-10-04T01:00:00Z");
  InsertSessions("s", "late", 1, 300, "2025-10-04T07:00:00Z");
  InsertSessions("o", "u", 1, 1000, "2025-10-02T01:00:00Z");
  Fold();
  // 500 that only the tail holds.
  InsertSessions("s", "tail", 1, 500, "2025-10-02T12:00:00Z");
  constexpr char kFrom[] = "2025-10-01T00:00:00Z";
  constexpr char kTo[] = "2025-10-04T06:00:00Z";
  const std::string exact_sql =
      "SELECT count(DISTINCT (shop_id, session_id)) FROM events"
      " WHERE ($1::text IS NULL OR shop_id = $1)"
      " AND occurred_at >= '2025-10-01 00:00:00+00'"
      " AND occurred_at < '2025-10-04 06:00:00+00'";
  // hll promises a relative standard error of 1.04 / sqrt(2^14), 0.81%;
  // three of them bound an estimate but for 0.3% of data sets.
  const double bound = 3 * 1.04 / std::sqrt(16384.0);
  for (const std::string& shop : {std::string("s"), std::string()}) {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    const int64_t exact =
        tx.exec_params1(exact_sql, shop.empty()
                                       ? std::optional<std::string>()
                                       : std::optional<std::string>(shop))[0]
            .as<int64_t>();
    ASSERT_EQ(exact, shop.empty() ? 6800 : 5800);
    v1::GetSummaryRequest r;
    r.set_shop_id(shop);
    *r.mutable_from() = Ts(kFrom);
    *r.mutable_to() = Ts(kTo);
    RollupAnalytics estimating(&pool_, {.exact_sessions_max_events = 10000});
    absl::StatusOr<v1::Summary> got = estimating.Summary(r);
    ASSERT_TRUE(got.ok()) << got.status();
    const v1::Summary& estimated = *got;
    EXPECT_TRUE(estimated.has_unique_sessions_estimated());
    EXPECT_TRUE(estimated.unique_sessions_estimated());
    const double error =
        std::abs(static_cast<double>(estimated.unique_sessions() - exact)) /
        static_cast<double>(exact);
    RecordProperty(absl::StrCat("relative_error_", shop.empty() ? "all" : shop),
                   absl::StrCat(error));
    EXPECT_LE(error, bound) << estimated.unique_sessions() << " estimated, "
                            << exact << " exact, shop \"" << shop << "\"";
    // Allowed to read them all, the count is exact and says nothing more.
    RollupAnalytics counting(&pool_, {.exact_sessions_max_events = 1000000});
    absl::StatusOr<v1::Summary> counted = counting.Summary(r);
    ASSERT_TRUE(counted.ok()) << counted.status();
    EXPECT_EQ(counted->unique_sessions(), exact);
    EXPECT_FALSE(counted->has_unique_sessions_estimated());
  }
}

TEST_F(RollupAnalyticsTest, SketchesCountTheTailAndTheEdgesOfFewSessions) {
  // Forced to the sketches: a few sessions are kept as exact hashes there,
  // so each one the tail or an edge adds shows.
  RollupAnalytics sketches(&pool_, {.exact_sessions_max_events = -1});
  auto summary = [&](const char* from, const char* to) {
    v1::GetSummaryRequest r;
    r.set_shop_id("s");
    *r.mutable_from() = Ts(from);
    *r.mutable_to() = Ts(to);
    absl::StatusOr<v1::Summary> got = sketches.Summary(r);
    EXPECT_TRUE(got.ok()) << got.status();
    return got.value_or(v1::Summary());
  };
  auto sessions = [&](const char* from, const char* to) {
    const v1::Summary got = summary(from, to);
    EXPECT_TRUE(got.unique_sessions_estimated());
    return got.unique_sessions();
  };
  Insert("s", "1", 1, "2025-10-02T10:00:00Z", "p", std::nullopt, "a");
  Insert("s", "2", 1, "2025-10-03T10:00:00Z", "p", std::nullopt, "a");
  Insert("s", "3", 1, "2025-10-03T11:00:00Z", "p", std::nullopt, "b");
  Insert("s", "4", 1, "2025-10-04T10:00:00Z", "p", std::nullopt, "c");
  Insert("s", "5", 1, "2025-10-05T10:00:00Z", "p", std::nullopt, "d");
  Fold();
  // Whole days: a on both, b.
  EXPECT_EQ(sessions("2025-10-02T00:00:00Z", "2025-10-04T00:00:00Z"), 2);
  // c on the partial last day, d after the end.
  EXPECT_EQ(sessions("2025-10-02T00:00:00Z", "2025-10-04T12:00:00Z"), 3);
  // Not folded yet: e on a whole day, f on the edge.
  Insert("s", "6", 1, "2025-10-03T12:00:00Z", "p", std::nullopt, "e");
  Insert("s", "7", 1, "2025-10-04T11:00:00Z", "p", std::nullopt, "f");
  EXPECT_EQ(sessions("2025-10-02T00:00:00Z", "2025-10-04T12:00:00Z"), 5);
  Fold();
  EXPECT_EQ(sessions("2025-10-02T00:00:00Z", "2025-10-04T12:00:00Z"), 5);
  // Within one day there is no day sketch to save reading: counted exactly.
  const v1::Summary within =
      summary("2025-10-03T00:00:00Z", "2025-10-03T23:00:00Z");
  EXPECT_EQ(within.unique_sessions(), 3);
  EXPECT_FALSE(within.has_unique_sessions_estimated());
}

TEST_F(RollupAnalyticsTest, TopProductIsMostViewedWithTiesToTheSmallestId) {
  // Byte order: "B" < "a", whatever the collation says.
  Insert("s", "1", 1, "2025-10-02T10:00:00Z", "a");
  Insert("s", "2", 1, "2025-10-02T10:00:00Z", "B");
  Insert("s", "3", 2, "2025-10-02T10:00:00Z", "z");  // carts do not count
  Insert("s", "4", 2, "2025-10-02T10:00:00Z", "z");
  EXPECT_EQ(Load().top_product_id(), "B");
  Insert("s", "5", 1, "2025-10-02T10:00:00Z", "a");
  EXPECT_EQ(Load().top_product_id(), "a");
}

TEST_F(RollupAnalyticsTest, ScopesByShopAndHalfOpenTimeRange) {
  Insert("a", "1", 1, "2025-10-02T00:00:00Z", "p");
  Insert("a", "2", 1, "2025-10-02T23:59:59Z", "p");
  Insert("a", "3", 1, "2025-10-03T00:00:00Z", "p");
  Insert("b", "1", 1, "2025-10-02T12:00:00Z", "q");
  EXPECT_EQ(Load().total_page_views(), 4);
  EXPECT_EQ(Load("a").total_page_views(), 3);
  EXPECT_EQ(Load("b").top_product_id(), "q");
  EXPECT_EQ(Load("nobody").total_page_views(), 0);
  EXPECT_EQ(Load("a", "2025-10-02T00:00:00Z", "2025-10-03T00:00:00Z")
                .total_page_views(),
            2);
  EXPECT_EQ(Load("", "2025-10-02T12:00:00Z").total_page_views(), 3);
  EXPECT_EQ(Load("", nullptr, "2025-10-02T12:00:00Z").total_page_views(), 1);
}

// A summary's comparison shares the summary's snapshot; its figures are
// still those the compared range has asked alone, folded events and the
// tail alike, over whole days, edges and every shop.
TEST_F(RollupAnalyticsTest, ComparedSummaryIsTheSummaryOfItsRangeAlone) {
  // Folded: September views of p2, October mostly of p1.
  Insert("s", "1", 1, "2025-09-20T10:00:00Z", "p2", std::nullopt, "a");
  Insert("s", "2", 1, "2025-09-21T11:00:00Z", "p2", std::nullopt, "b");
  Insert("s", "3", 3, "2025-09-21T11:05:00Z", "p2", 1500, "b");
  Insert("s", "4", 1, "2025-10-02T09:00:00Z", "p1", std::nullopt, "b");
  Insert("t", "1", 1, "2025-09-25T08:00:00Z", "q", std::nullopt, "c");
  Fold();
  // In the tail.
  Insert("s", "5", 1, "2025-10-03T12:30:00Z", "p1", std::nullopt, "d");
  Insert("s", "6", 2, "2025-09-22T23:59:00Z", "p3", std::nullopt, "a");
  Insert("s", "7", 3, "2025-10-04T00:10:00Z", "p1", 2500, "d");
  Insert("t", "2", 1, "2025-10-02T08:00:00Z", "q", std::nullopt, "e");
  auto request = [](const std::string& shop, const char* from, const char* to) {
    v1::GetSummaryRequest r;
    r.set_shop_id(shop);
    *r.mutable_from() = Ts(from);
    *r.mutable_to() = Ts(to);
    return r;
  };
  auto alone = [&](const v1::GetSummaryRequest& r) {
    auto got = queries_.Summary(r);
    EXPECT_TRUE(got.ok()) << got.status();
    v1::Summary summary = got.value_or(v1::Summary());
    summary.clear_as_of();
    return summary;
  };
  const std::pair<const char*, const char*> ranges[] = {
      {"2025-09-01T00:00:00Z", "2025-10-01T00:00:00Z"},  // whole days
      {"2025-09-21T11:02:00Z", "2025-10-03T13:00:00Z"},  // edges
      {"2025-10-02T00:00:00Z", "2025-10-05T00:00:00Z"},  // overlaps
      {"2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"},  // nothing stored
      {"2020-01-01T00:00:00Z", "2030-01-01T00:00:00Z"},  // everything
  };
  // With a second connection free the comparison is read beside the
  // asked range; with one connection, after it.
  PgConnectionPool one_connection(db_.conninfo(), 1);
  RollupAnalytics one_at_a_time(&one_connection);
  for (RollupAnalytics* queries : {&queries_, &one_at_a_time}) {
    for (const std::string shop : {"s", ""}) {
      const v1::GetSummaryRequest asked =
          request(shop, "2025-10-01T00:00:00Z", "2025-10-04T06:00:00Z");
      for (const auto& [from, to] : ranges) {
        SCOPED_TRACE(absl::StrCat(shop, " ", from, " ", to));
        const v1::GetSummaryRequest compared = request(shop, from, to);
        auto got = queries->ComparedSummary(asked, compared);
        ASSERT_TRUE(got.ok()) << got.status();
        EXPECT_TRUE(got->comparison().summary().has_as_of());
        v1::Summary earlier = got->comparison().summary();
        earlier.clear_as_of();
        EXPECT_EQ(earlier.ShortDebugString(),
                  alone(compared).ShortDebugString());
        got->clear_comparison();
        got->clear_as_of();
        EXPECT_EQ(got->ShortDebugString(), alone(asked).ShortDebugString());
      }
    }
  }
  // Not a vacuous comparison: the ranges differ.
  EXPECT_EQ(
      alone(request("s", ranges[0].first, ranges[0].second)).top_product_id(),
      "p2");
  EXPECT_EQ(alone(request("s", "2025-10-01T00:00:00Z", "2025-10-04T06:00:00Z"))
                .top_product_id(),
            "p1");
}

TEST_F(RollupAnalyticsTest, ComparedSummaryRefusalNamesTheComparison) {
  Insert("s", "1", 1, "2025-01-10T10:00:00Z", "p", std::nullopt, "a");
  Insert("s", "2", 1, "2025-03-10T10:00:00Z", "p", std::nullopt, "a");
  Fold();
  const absl::Time now =
      absl::FromUnixSeconds(Ts("2025-03-15T00:00:00Z").seconds());
  ASSERT_TRUE(
      ApplyRawEventRetention(db_.conninfo(), now, absl::Hours(24 * 30)).ok());
  v1::GetSummaryRequest asked;
  asked.set_shop_id("s");
  *asked.mutable_from() = Ts("2025-03-01T00:00:00Z");
  *asked.mutable_to() = Ts("2025-03-14T12:00:00Z");
  // Part of a day in January needs raw events retention dropped.
  v1::GetSummaryRequest compared = asked;
  *compared.mutable_from() = Ts("2025-01-10T06:00:00Z");
  *compared.mutable_to() = Ts("2025-01-24T00:00:00Z");
  auto got = queries_.ComparedSummary(asked, compared);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(got.status().message()),
              ::testing::StartsWith("compare_from: raw events before"));
  // The asked range's own refusal keeps its name.
  got = queries_.ComparedSummary(compared, asked);
  EXPECT_THAT(std::string(got.status().message()),
              ::testing::StartsWith("from: raw events before"));
}

TEST_F(RollupAnalyticsTest, RollupsCountOnlyInsertedRows) {
  Insert("s", "1", 3, "2025-10-02T10:00:00Z", "p", 100);
  Insert("s", "1", 3, "2025-10-02T10:00:00Z", "p", 100);
  Fold();
  pqxx::connection c(db_.conninfo());
  pqxx::work tx(c);
  for (const char* table :
       {"shop_minute_rollup", "shop_hour_rollup", "shop_day_rollup",
        "product_day_rollup", "product_week_rollup", "product_totals",
        "shop_totals"}) {
    EXPECT_EQ(tx.exec1(std::string("SELECT sum(purchases) FROM ") + table)[0]
                  .as<int>(),
              1)
        << table;
  }
  // One row per dimension of the event; its type once.
  for (const char* table :
       {"shop_dimension_hour_rollup", "shop_dimension_day_rollup"}) {
    EXPECT_EQ(tx.exec1(std::string("SELECT sum(purchases) FROM ") + table +
                       " WHERE dimension = 'event_type'")[0]
                  .as<int>(),
              1)
        << table;
  }
}

TEST_F(RollupAnalyticsTest,
       AfterRetentionRollupsAnswerAndRawOnlyAnswersAreRefused) {
  Insert("s", "1", 1, "2025-01-10T10:00:00Z", "old", std::nullopt, "a");
  Insert("s", "2", 1, "2025-03-10T10:00:00Z", "new", std::nullopt, "b");
  Fold();
  ASSERT_TRUE(ApplyRawEventRetention(
                  db_.conninfo(),
                  absl::FromUnixSeconds(Ts("2025-03-15T00:00:00Z").seconds()),
                  absl::Hours(24 * 30))
                  .ok());
  v1::Summary all = Load("s");
  EXPECT_EQ(all.total_page_views(), 2);
  EXPECT_EQ(all.unique_sessions(), 2);
  // A range around everything stored is answered from the totals.
  v1::GetSummaryRequest r;
  r.set_shop_id("s");
  *r.mutable_from() = Ts("2025-01-01T00:00:00Z");
  *r.mutable_to() = Ts("2025-03-31T00:00:00Z");
  ASSERT_TRUE(queries_.Summary(r).ok());
  EXPECT_EQ(queries_.Summary(r)->unique_sessions(), 2);
  // Else whole UTC days come from rollups, sessions included...
  *r.mutable_to() = Ts("2025-03-10T00:00:00Z");
  ASSERT_TRUE(queries_.Summary(r).ok()) << queries_.Summary(r).status();
  EXPECT_EQ(queries_.Summary(r)->unique_sessions(), 1);
  EXPECT_EQ(queries_.Summary(r)->total_page_views(), 1);
  // ...but a partial day in a dropped month would need raw events.
  *r.mutable_to() = Ts("2025-01-10T12:00:00Z");
  EXPECT_EQ(queries_.Summary(r).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::GetTimeSeriesRequest series;
  series.set_shop_id("s");
  series.set_bucket(v1::DAY);
  *series.mutable_from() = Ts("2025-01-01T00:00:00Z");
  *series.mutable_to() = Ts("2025-03-31T00:00:00Z");
  auto got = queries_.TimeSeries(series);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->points(9).page_views(), 1);
  *series.mutable_from() = Ts("2025-01-01T00:00:01Z");
  EXPECT_EQ(queries_.TimeSeries(series).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::GetTopProductsRequest top;
  top.set_shop_id("s");
  *top.mutable_from() = Ts("2025-01-01T00:00:00Z");
  auto products = queries_.TopProducts(top);
  ASSERT_TRUE(products.ok()) << products.status();
  EXPECT_EQ(products->products_size(), 2);
}

TEST_F(RollupAnalyticsTest, RetentionKeepsAMonthUntilItsEventsAreFolded) {
  Insert("s", "1", 1, "2025-01-10T10:00:00Z", "old", std::nullopt, "a");
  const absl::Time now =
      absl::FromUnixSeconds(Ts("2025-03-15T00:00:00Z").seconds());
  ASSERT_TRUE(
      ApplyRawEventRetention(db_.conninfo(), now, absl::Hours(24 * 30)).ok());
  // Dropped now, January's event would be in no rollup.
  EXPECT_TRUE(PartitionExists("events_202501"));
  EXPECT_EQ(Load("s").total_page_views(), 1);
  Fold();
  ASSERT_TRUE(
      ApplyRawEventRetention(db_.conninfo(), now, absl::Hours(24 * 30)).ok());
  EXPECT_FALSE(PartitionExists("events_202501"));
  EXPECT_EQ(Load("s").total_page_views(), 1);
}

TEST_F(RollupAnalyticsTest, TimeSeriesRefusesTooManyBucketsNamingTo) {
  v1::GetTimeSeriesRequest series;
  series.set_shop_id("s");
  series.set_bucket(v1::MINUTE);
  *series.mutable_from() = Ts("2025-01-01T00:00:00Z");
  // 100,000 minutes are about 69.4 days.
  *series.mutable_to() = Ts("2025-03-11T10:40:00Z");
  auto at_limit = queries_.TimeSeries(series);
  ASSERT_TRUE(at_limit.ok()) << at_limit.status();
  EXPECT_EQ(at_limit->points_size(), kMaxBuckets);
  *series.mutable_to() = Ts("2025-03-11T10:41:00Z");
  absl::Status refused = queries_.TimeSeries(series).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.message(),
            "to: at most 100000 buckets between from and to");
}

TEST_F(RollupAnalyticsTest, TimesAtTheEndsOfTheTimestampRangeStayExact) {
  for (const auto& [id, at] : std::vector<std::pair<std::string, std::string>>{
           {"first", "0001-01-01T00:00:00Z"},
           {"last", "9999-12-31T23:59:59Z"}}) {
    internal::v1::StoredEvent e;
    e.set_shop_id("s");
    e.set_event_id(id);
    e.set_event_type(internal::v1::PAGE_VIEW);
    // One microsecond before the next second, where a double would round.
    e.set_occurred_at_micros(Ts(at).seconds() * 1000000 + 999999);
    ASSERT_TRUE(writer_.Write({&e}).ok());
  }
  v1::ListEventsRequest list;
  list.set_shop_id("s");
  auto events = queries_.ListEvents(list);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->events_size(), 2);
  EXPECT_EQ(events->events(0).timestamp().seconds(),
            Ts("9999-12-31T23:59:59Z").seconds());
  EXPECT_EQ(events->events(0).timestamp().nanos(), 999999000);
  EXPECT_EQ(events->events(1).timestamp().nanos(), 999999000);
  v1::GetSummaryRequest r;
  r.set_shop_id("s");
  *r.mutable_from() = Ts("9999-12-31T23:59:59Z");
  r.mutable_from()->set_nanos(999999000);
  auto last = queries_.Summary(r);
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(last->total_page_views(), 1);
  r.mutable_from()->set_nanos(999999001);
  EXPECT_EQ(queries_.Summary(r)->total_page_views(), 0);
}

TEST_F(RollupAnalyticsTest, TopProductsAtTheEndsOfTheTimestampRange) {
  Insert("s", "1", 1, "0001-01-02T10:00:00Z", "ancient");
  Insert("s", "2", 1, "9999-12-20T10:00:00Z", "future");
  auto top = [&](const char* from, const char* to) {
    v1::GetTopProductsRequest req;
    req.set_shop_id("s");
    *req.mutable_from() = Ts(from);
    *req.mutable_to() = Ts(to);
    auto got = queries_.TopProducts(req);
    EXPECT_TRUE(got.ok()) << got.status();
    std::vector<std::string> ids;
    if (got.ok()) {
      for (const auto& p : got->products()) ids.push_back(p.product_id());
    }
    return ids;
  };
  // Week one of year 1 (a Monday), read from the week rollup.
  EXPECT_THAT(top("0001-01-01T00:00:00Z", "0001-01-08T00:00:00Z"),
              ::testing::ElementsAre("ancient"));
  // Whole days across the whole range: clipped to the stored events rather
  // than listing every week since year 1.
  EXPECT_THAT(top("0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z"),
              ::testing::UnorderedElementsAre("ancient", "future"));
  EXPECT_THAT(top("9999-12-20T00:00:00Z", "9999-12-31T00:00:00Z"),
              ::testing::ElementsAre("future"));
}

TEST_F(RollupAnalyticsTest, UnreachableDatabaseIsUnavailable) {
  PgConnectionPool dead("host=127.0.0.1 port=1 user=postgres connect_timeout=1",
                        1);
  RollupAnalytics queries(&dead);
  EXPECT_EQ(queries.Summary({}).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace shopstream
