// Filtered answers and comparisons through the router, against a real
// PostgreSQL, each checked against a model computed here from the same
// hand-made events, with nothing, part or all of them folded.
#include "query/filtered_analytics.h"

#include <algorithm>
#include <map>
#include <pqxx/pqxx>
#include <set>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "processor/batch_writer.h"
#include "query/analytics_router.h"
#include "query/rollup_analytics.h"
#include "rollups/rollup_folder.h"
#include "storage/schema_migrator.h"
#include "storage/test_database.h"

namespace shopstream {
namespace {

constexpr int64_t kSecond = 1000000;
constexpr int64_t kHour = 3600 * kSecond;

int64_t MicrosAt(const std::string& rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
  return absl::ToUnixMicros(t);
}

google::protobuf::Timestamp Ts(int64_t micros) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(micros / kSecond);
  ts.set_nanos(static_cast<int32_t>(micros % kSecond) * 1000);
  return ts;
}

int64_t MicrosOf(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * kSecond + ts.nanos() / 1000;
}

// The filter's fields, which are also the events' context fields.
const char* const kDimensions[] = {
    "event_type", "product_id",   "page",         "referrer_host", "utm_source",
    "utm_medium", "utm_campaign", "device_class", "browser",       "os"};

struct ModelEvent {
  std::string shop;
  int type = 1;
  int64_t at = 0;
  std::string session;
  int64_t cents = 0;
  std::map<std::string, std::string> fields;  // by dimension
};

using Filter = std::map<std::string, std::string>;

bool Matches(const ModelEvent& e, const Filter& filter) {
  for (const auto& [dimension, value] : filter) {
    if (e.fields.at(dimension) != value) return false;
  }
  return true;
}

v1::AnalyticsFilter ProtoOf(const Filter& filter) {
  v1::AnalyticsFilter proto;
  for (const auto& [dimension, value] : filter) {
    proto.GetReflection()->SetString(
        &proto, proto.GetDescriptor()->FindFieldByName(dimension), value);
  }
  return proto;
}

struct Totals {
  int64_t page_views = 0, add_to_carts = 0, purchases = 0, revenue = 0;
};

class FilteredAnalyticsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SchemaMigrator().Apply(db_.conninfo()).ok());
    Generate();
  }

  // Deterministic events over three days in October 2025 and the same days
  // a year before, of two shops, with every context field drawn from a few
  // values (or none).
  void Generate() {
    for (int64_t start :
         {MicrosAt("2024-10-01T00:00:00Z"), MicrosAt("2025-10-01T00:00:00Z")}) {
      AddEvents(start, 3, 300);
    }
  }

  // `count` events over `days` days from `start`.
  void AddEvents(int64_t start, int days, int count) {
    auto next = [this](int n) {
      state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
      return static_cast<int>((state_ >> 33) % n);
    };
    const std::vector<std::vector<std::string>> values = {
        {},  // event_type: from the type
        {"p1", "p2", "p3", ""},
        {"/", "/x", "/products/shoe", ""},
        {"google.com", "news.example", ""},
        {"news", "ads", ""},
        {"email", "cpc", ""},
        {"w1", "w2", ""},
        {"mobile", "tablet", "desktop"},
        {"Firefox", "Chrome", "Safari"},
        {"Linux", "iOS", ""}};
    const char* const type_names[] = {"", "page_view", "add_to_cart",
                                      "purchase", "custom"};
    for (int i = 0; i < count; ++i) {
      ModelEvent e;
      e.shop = next(5) == 0 ? "other" : "s";
      const int roll = next(10);
      e.type = roll < 5 ? 1 : roll < 7 ? 2 : roll < 9 ? 3 : 4;
      e.at = start + static_cast<int64_t>(next(days * 86400)) * kSecond +
             next(1000000);
      e.session = next(10) == 0 ? "" : absl::StrCat("u", next(12));
      if (e.type == 3) e.cents = 100 + next(20000);
      e.fields["event_type"] = type_names[e.type];
      for (int d = 1; d < 10; ++d) {
        e.fields[kDimensions[d]] = values[d][next(values[d].size())];
      }
      events_.push_back(std::move(e));
    }
  }

  // Appends events [first, last) as the processor does.
  void Append(size_t first, size_t last) {
    std::vector<internal::v1::StoredEvent> stored;
    for (size_t i = first; i < last; ++i) {
      const ModelEvent& m = events_[i];
      internal::v1::StoredEvent& e = stored.emplace_back();
      e.set_shop_id(m.shop);
      e.set_event_id(absl::StrCat("e", i));
      e.set_event_type(static_cast<internal::v1::EventType>(m.type));
      e.set_occurred_at_micros(m.at);
      e.set_session_id(m.session);
      if (m.type == 3) e.set_order_amount_cents(m.cents);
      if (m.type == 4) e.set_event_name("signup");
      e.set_product_id(m.fields.at("product_id"));
      e.set_page(m.fields.at("page"));
      e.set_referrer_host(m.fields.at("referrer_host"));
      e.set_utm_source(m.fields.at("utm_source"));
      e.set_utm_medium(m.fields.at("utm_medium"));
      e.set_utm_campaign(m.fields.at("utm_campaign"));
      e.set_device_class(m.fields.at("device_class"));
      e.set_browser(m.fields.at("browser"));
      e.set_os(m.fields.at("os"));
    }
    std::vector<const internal::v1::StoredEvent*> batch;
    for (const auto& e : stored) batch.push_back(&e);
    auto written = writer_.Write(batch);
    ASSERT_TRUE(written.ok()) << written.status();
  }

  void Fold() {
    rollups::RollupFolder folder({.conninfo = db_.conninfo()});
    absl::StatusOr<rollups::FoldResult> r;
    do {
      r = folder.FoldOnce();
      ASSERT_TRUE(r.ok()) << r.status();
    } while (r->more);
  }

  // The model's events of `shop` ("": every shop) in [from, to) matching
  // `filter`.
  std::vector<const ModelEvent*> Select(const std::string& shop, int64_t from,
                                        int64_t to,
                                        const Filter& filter) const {
    std::vector<const ModelEvent*> selected;
    for (const ModelEvent& e : events_) {
      if ((shop.empty() || e.shop == shop) && e.at >= from && e.at < to &&
          Matches(e, filter)) {
        selected.push_back(&e);
      }
    }
    return selected;
  }

  static Totals Sum(const std::vector<const ModelEvent*>& events) {
    Totals t;
    for (const ModelEvent* e : events) {
      t.page_views += e->type == 1;
      t.add_to_carts += e->type == 2;
      t.purchases += e->type == 3;
      if (e->type == 3) t.revenue += e->cents;
    }
    return t;
  }

  void ExpectSummary(const std::string& shop, int64_t from, int64_t to,
                     const Filter& filter) {
    SCOPED_TRACE(absl::StrCat("summary of \"", shop, "\" ", from, " to ", to));
    v1::GetSummaryRequest r;
    r.set_shop_id(shop);
    *r.mutable_from() = Ts(from);
    *r.mutable_to() = Ts(to);
    *r.mutable_filter() = ProtoOf(filter);
    absl::StatusOr<v1::Summary> got = router_.Summary(r);
    ASSERT_TRUE(got.ok()) << got.status();
    const auto selected = Select(shop, from, to, filter);
    const Totals t = Sum(selected);
    EXPECT_EQ(got->total_page_views(), t.page_views);
    EXPECT_EQ(got->total_add_to_carts(), t.add_to_carts);
    EXPECT_EQ(got->total_purchases(), t.purchases);
    EXPECT_DOUBLE_EQ(got->revenue(), t.revenue / 100.0);
    int64_t max = 0, min = 0;
    std::set<std::string> sessions;
    std::map<std::string, int> views;
    for (const ModelEvent* e : selected) {
      if (e->type == 3) {
        max = std::max(max, e->cents);
        min = min == 0 ? e->cents : std::min(min, e->cents);
      }
      if (!e->session.empty()) sessions.insert(e->shop + "/" + e->session);
      if (e->type == 1 && !e->fields.at("product_id").empty()) {
        ++views[e->fields.at("product_id")];
      }
    }
    EXPECT_DOUBLE_EQ(got->max_purchase_value(), max / 100.0);
    EXPECT_DOUBLE_EQ(got->min_purchase_value(), min / 100.0);
    EXPECT_EQ(got->unique_sessions(), static_cast<int64_t>(sessions.size()));
    std::optional<std::string> top;
    int top_views = 0;
    for (const auto& [product, n] : views) {  // ascending ids: ties keep first
      if (n > top_views) top = product, top_views = n;
    }
    EXPECT_EQ(got->has_top_product_id(), top.has_value());
    if (top) EXPECT_EQ(got->top_product_id(), *top);
    EXPECT_FALSE(got->has_comparison());
  }

  void ExpectSeries(int64_t from, int64_t to, v1::BucketSize bucket,
                    const Filter& filter) {
    SCOPED_TRACE(absl::StrCat("series ", from, " to ", to));
    const int64_t unit = bucket == v1::DAY ? 24 * kHour : kHour;
    v1::GetTimeSeriesRequest r;
    r.set_shop_id("s");
    *r.mutable_from() = Ts(from);
    *r.mutable_to() = Ts(to);
    r.set_bucket(bucket);
    *r.mutable_filter() = ProtoOf(filter);
    absl::StatusOr<v1::TimeSeries> got = router_.TimeSeries(r);
    ASSERT_TRUE(got.ok()) << got.status();
    const int64_t first = from - from % unit;
    ASSERT_EQ(got->points_size(), (to - first + unit - 1) / unit);
    for (int i = 0; i < got->points_size(); ++i) {
      const int64_t begin = std::max(from, first + i * unit);
      const int64_t end = std::min(to, first + (i + 1) * unit);
      const Totals t = Sum(Select("s", begin, end, filter));
      const v1::TimeSeriesPoint& p = got->points(i);
      EXPECT_EQ(MicrosOf(p.start()), first + i * unit);
      EXPECT_EQ(p.page_views(), t.page_views) << i;
      EXPECT_EQ(p.add_to_carts(), t.add_to_carts) << i;
      EXPECT_EQ(p.purchases(), t.purchases) << i;
      EXPECT_DOUBLE_EQ(p.revenue(), t.revenue / 100.0) << i;
    }
    EXPECT_FALSE(got->has_comparison());
  }

  void ExpectTopProducts(int64_t from, int64_t to, const Filter& filter) {
    for (v1::ProductMetric metric : {v1::PAGE_VIEWS, v1::REVENUE}) {
      SCOPED_TRACE(absl::StrCat("top products by ", metric));
      v1::GetTopProductsRequest r;
      r.set_shop_id("s");
      *r.mutable_from() = Ts(from);
      *r.mutable_to() = Ts(to);
      r.set_order_by(metric);
      r.set_limit(2);
      *r.mutable_filter() = ProtoOf(filter);
      absl::StatusOr<v1::TopProducts> got = router_.TopProducts(r);
      ASSERT_TRUE(got.ok()) << got.status();
      std::map<std::string, std::vector<const ModelEvent*>> by_product;
      for (const ModelEvent* e : Select("s", from, to, filter)) {
        if (!e->fields.at("product_id").empty()) {
          by_product[e->fields.at("product_id")].push_back(e);
        }
      }
      std::vector<std::pair<std::string, Totals>> rows;
      for (const auto& [product, events] : by_product) {
        rows.emplace_back(product, Sum(events));
      }
      auto key = [metric](const Totals& t) {
        return metric == v1::REVENUE ? t.revenue : t.page_views;
      };
      std::stable_sort(rows.begin(), rows.end(),
                       [&](const auto& a, const auto& b) {
                         return key(a.second) > key(b.second);
                       });
      rows.resize(std::min<size_t>(rows.size(), 2));
      ASSERT_EQ(got->products_size(), static_cast<int>(rows.size()));
      for (size_t i = 0; i < rows.size(); ++i) {
        EXPECT_EQ(got->products(i).product_id(), rows[i].first);
        EXPECT_EQ(got->products(i).page_views(), rows[i].second.page_views);
        EXPECT_EQ(got->products(i).add_to_carts(), rows[i].second.add_to_carts);
        EXPECT_EQ(got->products(i).purchases(), rows[i].second.purchases);
        EXPECT_DOUBLE_EQ(got->products(i).revenue(),
                         rows[i].second.revenue / 100.0);
      }
    }
  }

  void ExpectFunnel(int64_t from, int64_t to, const Filter& filter) {
    SCOPED_TRACE("funnel");
    v1::GetFunnelRequest r;
    r.set_shop_id("s");
    *r.mutable_from() = Ts(from);
    *r.mutable_to() = Ts(to);
    *r.mutable_filter() = ProtoOf(filter);
    absl::StatusOr<v1::Funnel> got = router_.Funnel(r);
    ASSERT_TRUE(got.ok()) << got.status();
    const auto selected = Select("s", from, to, filter);
    const Totals t = Sum(selected);
    // Per session, the earliest time it reached each step.
    std::map<std::string, std::array<std::optional<int64_t>, 3>> reached;
    std::vector<const ModelEvent*> ordered = selected;
    std::sort(ordered.begin(), ordered.end(),
              [](auto* a, auto* b) { return a->at < b->at; });
    for (const ModelEvent* e : ordered) {
      if (e->session.empty() || e->type > 3) continue;
      auto& steps = reached[e->session];
      const int step = e->type - 1;
      if (steps[step]) continue;
      if (step == 0 || (steps[step - 1] && *steps[step - 1] <= e->at)) {
        steps[step] = e->at;
      }
    }
    std::array<int64_t, 3> sessions = {0, 0, 0};
    for (const auto& [session, steps] : reached) {
      for (int i = 0; i < 3; ++i) sessions[i] += steps[i].has_value();
    }
    ASSERT_EQ(got->steps_size(), 3);
    EXPECT_EQ(got->steps(0).events(), t.page_views);
    EXPECT_EQ(got->steps(1).events(), t.add_to_carts);
    EXPECT_EQ(got->steps(2).events(), t.purchases);
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(got->steps(i).sessions(), sessions[i]) << i;
    }
  }

  // Every answer for one filter, over ranges with partial hours at both
  // ends and over whole days.
  void ExpectAll(const Filter& filter) {
    const int64_t from = MicrosAt("2025-10-01T10:30:15Z");
    const int64_t to = MicrosAt("2025-10-03T13:15:00Z");
    const int64_t day = MicrosAt("2025-10-01T00:00:00Z");
    ExpectSummary("s", from, to, filter);
    ExpectSummary("s", day, day + 3 * 24 * kHour, filter);
    ExpectSeries(from, to, v1::HOUR, filter);
    ExpectSeries(day, day + 3 * 24 * kHour, v1::DAY, filter);
    ExpectTopProducts(from, to, filter);
    ExpectTopProducts(day, day + 3 * 24 * kHour, filter);
    ExpectFunnel(from, to, filter);
  }

  // Every value of every dimension, one at a time, and a value no event
  // has.
  void ExpectEachDimension() {
    for (const char* dimension : kDimensions) {
      std::set<std::string> seen;
      for (const ModelEvent& e : events_) seen.insert(e.fields.at(dimension));
      seen.erase("");
      ASSERT_GE(seen.size(), 2u) << dimension;
      seen.insert(std::string(dimension) == "event_type" ? "custom"
                                                         : "no-such-value");
      for (const std::string& value : seen) {
        SCOPED_TRACE(absl::StrCat(dimension, "=", value));
        ExpectAll({{dimension, value}});
      }
    }
  }

  TestDatabase db_;
  BatchWriter writer_{db_.conninfo()};
  PgConnectionPool pool_{db_.conninfo(), 2};
  RollupAnalytics unfiltered_{&pool_};
  FilteredAnalytics filtered_{&pool_};
  AnalyticsRouter router_{&unfiltered_, &filtered_};
  std::vector<ModelEvent> events_;
  uint64_t state_ = 12345;
};

TEST_F(FilteredAnalyticsTest, EachFilterNarrowsEachAnswerNothingFolded) {
  Append(0, events_.size());
  ExpectEachDimension();
}

TEST_F(FilteredAnalyticsTest, EachFilterNarrowsEachAnswerPartFolded) {
  Append(0, events_.size() / 2);
  Fold();
  Append(events_.size() / 2, events_.size());
  ExpectEachDimension();
}

TEST_F(FilteredAnalyticsTest, EachFilterNarrowsEachAnswerAllFolded) {
  Append(0, events_.size());
  Fold();
  ExpectEachDimension();
}

TEST_F(FilteredAnalyticsTest, SeveralFiltersMatchEventsMatchingEveryOne) {
  Append(0, events_.size() / 2);
  Fold();
  Append(events_.size() / 2, events_.size());
  const Filter two = {{"device_class", "mobile"}, {"utm_source", "news"}};
  ASSERT_GT(Select("s", 0, MicrosAt("2026-01-01T00:00:00Z"), two).size(), 3u);
  ExpectAll(two);
  ExpectAll({{"event_type", "purchase"},
             {"browser", "Firefox"},
             {"page", "/x"},
             {"os", "Linux"}});
  // Every shop at once.
  ExpectSummary("", MicrosAt("2025-10-01T10:30:15Z"),
                MicrosAt("2025-10-03T13:15:00Z"), two);
}

TEST_F(FilteredAnalyticsTest,
       BadFiltersAreRefusedNamingTheFieldChangingNothing) {
  Append(0, events_.size());
  auto stored = [&] {
    pqxx::connection c(db_.conninfo());
    pqxx::nontransaction tx(c);
    return tx.exec1("SELECT count(*) FROM events")[0].as<int64_t>();
  };
  const int64_t before = stored();
  struct Case {
    Filter filter;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{{"event_type", "refund"}},
       "filter.event_type: must be one of page_view, add_to_cart, purchase or"
       " custom (got \"refund\")"},
      {{{"page", std::string(201, '/')}},
       "filter.page: at most 200 bytes (got 201)"},
      {{{"os", "Linux"}, {"browser", std::string("Fire\0fox", 8)}},
       "filter.browser: must not contain NUL characters"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    v1::GetSummaryRequest summary;
    summary.set_shop_id("s");
    *summary.mutable_filter() = ProtoOf(c.filter);
    EXPECT_EQ(router_.Summary(summary).status(),
              absl::InvalidArgumentError(c.message));
    EXPECT_EQ(CheckSummaryOptions(summary),
              absl::InvalidArgumentError(c.message));
    v1::GetTimeSeriesRequest series;
    series.set_shop_id("s");
    *series.mutable_from() = Ts(MicrosAt("2025-10-01T00:00:00Z"));
    *series.mutable_to() = Ts(MicrosAt("2025-10-02T00:00:00Z"));
    *series.mutable_filter() = ProtoOf(c.filter);
    EXPECT_EQ(router_.TimeSeries(series).status(),
              absl::InvalidArgumentError(c.message));
    v1::GetTopProductsRequest top;
    top.set_shop_id("s");
    *top.mutable_filter() = ProtoOf(c.filter);
    EXPECT_EQ(router_.TopProducts(top).status(),
              absl::InvalidArgumentError(c.message));
    v1::GetFunnelRequest funnel;
    funnel.set_shop_id("s");
    *funnel.mutable_filter() = ProtoOf(c.filter);
    EXPECT_EQ(router_.Funnel(funnel).status(),
              absl::InvalidArgumentError(c.message));
  }
  EXPECT_EQ(stored(), before);
}

TEST_F(FilteredAnalyticsTest, RetentionRefusesFilteredRangesItCut) {
  Append(0, events_.size());
  {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    tx.exec("UPDATE event_retention SET horizon = '2025-01-01 00:00:00+00'");
    tx.commit();
  }
  v1::GetSummaryRequest r;
  r.set_shop_id("s");
  *r.mutable_filter() = ProtoOf({{"device_class", "mobile"}});
  absl::StatusOr<v1::Summary> open = router_.Summary(r);
  EXPECT_EQ(open.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      std::string(open.status().message()),
      ::testing::StartsWith("from: raw events before "
                            "2025-01-01T00:00:00+00:00 are no longer kept"));
  *r.mutable_from() = Ts(MicrosAt("2025-01-01T00:00:00Z"));
  EXPECT_TRUE(router_.Summary(r).ok());
  // A comparison reaching before it names the comparison (its partial
  // last day needs raw events; whole days come from the rollups).
  *r.mutable_to() = Ts(MicrosAt("2025-12-01T12:00:00Z"));
  r.set_compare(v1::PREVIOUS_YEAR);
  EXPECT_THAT(std::string(router_.Summary(r).status().message()),
              ::testing::StartsWith("compare_from: raw events before"));
}

TEST_F(FilteredAnalyticsTest, OneDimensionOverWholeDaysReadsTheRollups) {
  Append(0, events_.size());
  Fold();
  // Raw events up to the end of the data count as dropped: only the
  // dimension rollups can answer.
  {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    tx.exec("UPDATE event_retention SET horizon = '2025-10-04 00:00:00+00'");
    tx.commit();
  }
  const int64_t day = MicrosAt("2025-10-01T00:00:00Z");
  const int64_t end = day + 3 * 24 * kHour;
  ExpectSeries(day, end, v1::DAY, {{"browser", "Chrome"}});
  ExpectSeries(day, end, v1::HOUR, {{"utm_source", "news"}});
  ExpectSummary("s", day, end, {{"product_id", "p2"}});
  ExpectTopProducts(day, end, {{"product_id", "p2"}});
  // Products per page, device and the like have their own day rollup.
  ExpectSummary("s", day, end, {{"device_class", "mobile"}});
  ExpectTopProducts(day, end, {{"page", "/x"}});
  ExpectTopProducts(day, end, {{"browser", "Chrome"}});
  // Two dimensions read raw events.
  v1::GetSummaryRequest r;
  r.set_shop_id("s");
  *r.mutable_from() = Ts(day);
  *r.mutable_to() = Ts(end);
  *r.mutable_filter() = ProtoOf({{"browser", "Chrome"}, {"os", "Linux"}});
  EXPECT_EQ(router_.Summary(r).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FilteredAnalyticsTest, OneDimensionOverWholeWeeksReadsTheWeekRollups) {
  // Four weeks from Monday 2025-09-01, half folded, half in the tail.
  AddEvents(MicrosAt("2025-09-01T00:00:00Z"), 28, 800);
  const size_t half = events_.size() / 2;
  Append(0, half);
  Fold();
  Append(half, events_.size());
  {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    tx.exec("UPDATE event_retention SET horizon = '2025-10-04 00:00:00+00'");
    tx.commit();
  }
  // Wednesday to Saturday: days, the weeks of 09-08 and 09-15, days.
  const int64_t from = MicrosAt("2025-09-03T00:00:00Z");
  const int64_t to = MicrosAt("2025-09-27T00:00:00Z");
  for (const Filter& filter : std::vector<Filter>{{{"device_class", "mobile"}},
                                                  {{"page", "/x"}},
                                                  {{"browser", "Chrome"}},
                                                  {{"utm_source", "news"}}}) {
    SCOPED_TRACE(filter.begin()->first);
    ExpectTopProducts(from, to, filter);
    ExpectSummary("s", from, to, filter);
    // Exactly the two weeks.
    ExpectTopProducts(MicrosAt("2025-09-08T00:00:00Z"),
                      MicrosAt("2025-09-22T00:00:00Z"), filter);
  }
}

class ComparisonTest : public FilteredAnalyticsTest {
 protected:
  v1::Summary Summary(int64_t from, int64_t to, const Filter& filter,
                      v1::Compare compare) {
    v1::GetSummaryRequest r;
    r.set_shop_id("s");
    *r.mutable_from() = Ts(from);
    *r.mutable_to() = Ts(to);
    *r.mutable_filter() = ProtoOf(filter);
    r.set_compare(compare);
    absl::StatusOr<v1::Summary> got = router_.Summary(r);
    EXPECT_TRUE(got.ok()) << got.status();
    return got.value_or(v1::Summary());
  }

  // The comparison's figures are those of its range.
  void ExpectComparedSummary(const v1::Summary& got, int64_t from, int64_t to,
                             const Filter& filter) {
    ASSERT_TRUE(got.has_comparison());
    EXPECT_EQ(MicrosOf(got.comparison().from()), from);
    EXPECT_EQ(MicrosOf(got.comparison().to()), to);
    const v1::Summary& earlier = got.comparison().summary();
    const Totals t = Sum(Select("s", from, to, filter));
    ASSERT_GT(t.page_views, 0);
    EXPECT_EQ(earlier.total_page_views(), t.page_views);
    EXPECT_EQ(earlier.total_add_to_carts(), t.add_to_carts);
    EXPECT_EQ(earlier.total_purchases(), t.purchases);
    EXPECT_DOUBLE_EQ(earlier.revenue(), t.revenue / 100.0);
    EXPECT_FALSE(earlier.has_comparison());
    // And the asked figures stay the asked range's.
    EXPECT_NE(got.total_page_views(), 0);
  }
};

TEST_F(ComparisonTest, SummaryComparedWithThePreviousPeriodYearOrChosenRange) {
  Append(0, events_.size() / 2);
  Fold();
  Append(events_.size() / 2, events_.size());
  const int64_t from = MicrosAt("2025-10-02T00:00:00Z");
  const int64_t to = MicrosAt("2025-10-03T12:00:00Z");
  for (const Filter& filter :
       {Filter{}, Filter{{"browser", "Chrome"}},
        Filter{{"browser", "Chrome"}, {"event_type", "page_view"}}}) {
    SCOPED_TRACE(filter.size());
    const v1::Summary plain =
        Summary(from, to, filter, v1::COMPARE_UNSPECIFIED);
    EXPECT_FALSE(plain.has_comparison());
    EXPECT_EQ(plain.total_page_views(),
              Sum(Select("s", from, to, filter)).page_views);
    ExpectComparedSummary(Summary(from, to, filter, v1::PREVIOUS_PERIOD),
                          MicrosAt("2025-09-30T12:00:00Z"), from, filter);
    ExpectComparedSummary(Summary(from, to, filter, v1::PREVIOUS_YEAR),
                          MicrosAt("2024-10-02T00:00:00Z"),
                          MicrosAt("2024-10-03T12:00:00Z"), filter);
    v1::GetSummaryRequest r;
    r.set_shop_id("s");
    *r.mutable_from() = Ts(from);
    *r.mutable_to() = Ts(to);
    *r.mutable_filter() = ProtoOf(filter);
    *r.mutable_compare_from() = Ts(MicrosAt("2024-10-01T05:00:00Z"));
    *r.mutable_compare_to() = Ts(MicrosAt("2024-10-03T07:30:00Z"));
    absl::StatusOr<v1::Summary> chosen = router_.Summary(r);
    ASSERT_TRUE(chosen.ok()) << chosen.status();
    ExpectComparedSummary(*chosen, MicrosAt("2024-10-01T05:00:00Z"),
                          MicrosAt("2024-10-03T07:30:00Z"), filter);
  }
}

TEST_F(ComparisonTest, SeriesComparedBucketByBucketInTheZone) {
  Append(0, events_.size());
  Fold();
  // Two Paris days; a year before, the same local midnights.
  for (const Filter& filter : {Filter{}, Filter{{"device_class", "mobile"}}}) {
    v1::GetTimeSeriesRequest r;
    r.set_shop_id("s");
    *r.mutable_from() = Ts(MicrosAt("2025-10-01T00:00:00+02:00"));
    *r.mutable_to() = Ts(MicrosAt("2025-10-03T00:00:00+02:00"));
    r.set_bucket(v1::HOUR);
    r.set_time_zone("Europe/Paris");
    *r.mutable_filter() = ProtoOf(filter);
    r.set_compare(v1::PREVIOUS_YEAR);
    absl::StatusOr<v1::TimeSeries> got = router_.TimeSeries(r);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_TRUE(got->has_comparison());
    const int64_t from = MicrosAt("2024-10-01T00:00:00+02:00");
    EXPECT_EQ(MicrosOf(got->comparison().from()), from);
    EXPECT_EQ(MicrosOf(got->comparison().to()),
              MicrosAt("2024-10-03T00:00:00+02:00"));
    ASSERT_EQ(got->comparison().points_size(), 48);
    int64_t views = 0;
    for (int i = 0; i < 48; ++i) {
      const v1::TimeSeriesPoint& p = got->comparison().points(i);
      EXPECT_EQ(MicrosOf(p.start()), from + i * kHour);
      const Totals t =
          Sum(Select("s", from + i * kHour, from + (i + 1) * kHour, filter));
      EXPECT_EQ(p.page_views(), t.page_views) << i;
      EXPECT_EQ(p.purchases(), t.purchases) << i;
      EXPECT_DOUBLE_EQ(p.revenue(), t.revenue / 100.0) << i;
      views += p.page_views();
    }
    EXPECT_GT(views, 0);
    // The asked series is the one it would be without comparing.
    v1::GetTimeSeriesRequest plain = r;
    plain.clear_compare();
    absl::StatusOr<v1::TimeSeries> alone = router_.TimeSeries(plain);
    ASSERT_TRUE(alone.ok());
    EXPECT_FALSE(alone->has_comparison());
    v1::TimeSeries without = *got;
    without.clear_comparison();
    EXPECT_EQ(without.SerializeAsString(), alone->SerializeAsString());
  }
  // A chosen range of another length has as many buckets as fit in it.
  v1::GetTimeSeriesRequest r;
  r.set_shop_id("s");
  *r.mutable_from() = Ts(MicrosAt("2025-10-01T00:00:00Z"));
  *r.mutable_to() = Ts(MicrosAt("2025-10-02T00:00:00Z"));
  r.set_bucket(v1::DAY);
  *r.mutable_compare_from() = Ts(MicrosAt("2024-10-01T00:00:00Z"));
  *r.mutable_compare_to() = Ts(MicrosAt("2024-10-03T00:00:00Z"));
  absl::StatusOr<v1::TimeSeries> got = router_.TimeSeries(r);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->points_size(), 1);
  ASSERT_EQ(got->comparison().points_size(), 2);
  EXPECT_EQ(got->comparison().points(1).page_views(),
            Sum(Select("s", MicrosAt("2024-10-02T00:00:00Z"),
                       MicrosAt("2024-10-03T00:00:00Z"), {}))
                .page_views);
}

}  // namespace
}  // namespace shopstream
