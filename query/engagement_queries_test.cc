// Engagement and data range answers over hand-made sessions, with nothing,
// part and everything folded: the rollups plus the raw tail must answer
// the same.
#include "query/engagement_queries.h"

#include <array>
#include <cmath>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "processor/batch_writer.h"
#include "rollups/rollup_folder.h"
#include "storage/schema_migrator.h"
#include "storage/test_database.h"

namespace shopstream {
namespace {

using ::testing::HasSubstr;

int64_t Micros(const std::string& rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
  return absl::ToUnixMicros(t);
}

google::protobuf::Timestamp Ts(const std::string& rfc3339) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(Micros(rfc3339) / 1000000);
  return ts;
}

struct Event {
  std::string session;
  int type;  // 1 page view, 2 add to cart, 3 purchase, 4 custom
  std::string at;
};

// How much of what was sent the folder has added before the queries run.
enum class Folded { kNothing, kPart, kEverything };

class EngagementQueriesTest : public ::testing::TestWithParam<Folded> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SchemaMigrator().Apply(db_.conninfo()).ok());
  }

  void Write(const std::vector<Event>& events) {
    std::vector<internal::v1::StoredEvent> stored;
    for (const Event& e : events) {
      internal::v1::StoredEvent& s = stored.emplace_back();
      s.set_shop_id("shop");
      s.set_event_id(absl::StrCat("e", next_id_++));
      s.set_event_type(static_cast<internal::v1::EventType>(e.type));
      s.set_occurred_at_micros(Micros(e.at));
      s.set_session_id(e.session);
      if (e.type == 4) s.set_event_name("signup");
    }
    // One append per event, so a fold can stop between any two.
    for (const internal::v1::StoredEvent& s : stored) {
      auto written = writer_.Write({&s});
      ASSERT_TRUE(written.ok()) << written.status();
    }
  }

  void Fold() {
    rollups::RollupFolder folder({.conninfo = db_.conninfo()});
    absl::StatusOr<rollups::FoldResult> r;
    do {
      r = folder.FoldOnce();
      ASSERT_TRUE(r.ok()) << r.status();
    } while (r->more);
  }

  // Sends `events` as the parameter says: the first half folded before the
  // rest is sent, everything folded, or nothing.
  void Send(const std::vector<Event>& events) {
    if (GetParam() == Folded::kPart) {
      const size_t half = events.size() / 2;
      Write({events.begin(), events.begin() + half});
      Fold();
      Write({events.begin() + half, events.end()});
      return;
    }
    Write(events);
    if (GetParam() == Folded::kEverything) Fold();
  }

  v1::Engagement Load(const std::string& from, const std::string& to) {
    v1::GetEngagementRequest r;
    r.set_shop_id("shop");
    if (!from.empty()) *r.mutable_from() = Ts(from);
    if (!to.empty()) *r.mutable_to() = Ts(to);
    auto engagement = queries_.Engagement(r);
    EXPECT_TRUE(engagement.ok()) << engagement.status();
    return engagement.value_or(v1::Engagement());
  }

  // Sessions reaching each funnel step within [from, to).
  std::array<int64_t, 3> Funnel(const std::string& from,
                                const std::string& to) {
    std::array<int64_t, 3> steps = {-1, -1, -1};
    absl::Status status = pool_.Run([&](pqxx::connection& conn) {
      pqxx::work tx(conn);
      tx.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
      steps = LoadFunnelSessions(tx, "shop", Micros(from), Micros(to));
      tx.commit();
    });
    EXPECT_TRUE(status.ok()) << status;
    return steps;
  }

  TestDatabase db_;
  BatchWriter writer_{db_.conninfo()};
  PgConnectionPool pool_{db_.conninfo(), 2};
  EngagementQueries queries_{&pool_};
  int next_id_ = 0;
};

INSTANTIATE_TEST_SUITE_P(Folds, EngagementQueriesTest,
                         ::testing::Values(Folded::kNothing, Folded::kPart,
                                           Folded::kEverything),
                         [](const ::testing::TestParamInfo<Folded>& info) {
                           switch (info.param) {
                             case Folded::kNothing:
                               return "NothingFolded";
                             case Folded::kPart:
                               return "PartFolded";
                             default:
                               return "AllFolded";
                           }
                         });

TEST_P(EngagementQueriesTest, ExactDefinitions) {
  Send({
      // Starts before the range: not counted there.
      {"early", 1, "2025-10-01T23:50:00Z"},
      {"early", 1, "2025-10-02T00:10:00Z"},
      // One page view, then gone: a bounce of no duration.
      {"bounce", 1, "2025-10-02T10:00:00Z"},
      // Two page views ten minutes apart.
      {"two-views", 1, "2025-10-02T11:00:00Z"},
      {"two-views", 1, "2025-10-02T11:10:00Z"},
      // A page view and an add to cart: not a bounce.
      {"cart", 1, "2025-10-02T12:00:00Z"},
      {"cart", 2, "2025-10-02T12:01:00Z"},
      // Starts in the range and ends after it: measured whole.
      {"late", 1, "2025-10-02T23:58:00Z"},
      {"late", 1, "2025-10-03T00:02:00Z"},
  });
  const v1::Engagement e = Load("2025-10-02T00:00:00Z", "2025-10-03T00:00:00Z");
  EXPECT_EQ(e.sessions(), 4);
  EXPECT_EQ(e.bounced_sessions(), 1);
  EXPECT_DOUBLE_EQ(e.bounce_rate(), 25);
  // 0, 600, 60 and 240 seconds.
  EXPECT_DOUBLE_EQ(e.average_session_duration_seconds(), 225);
  EXPECT_DOUBLE_EQ(e.median_session_duration_seconds(), 150);
  EXPECT_FALSE(e.has_median_session_duration_estimated());
  EXPECT_DOUBLE_EQ(e.pages_per_session(), 1.5);
  EXPECT_FALSE(e.has_comparison());

  // Every session, with open ends.
  const v1::Engagement all = Load("", "");
  EXPECT_EQ(all.sessions(), 5);
  EXPECT_EQ(all.bounced_sessions(), 1);
  EXPECT_DOUBLE_EQ(all.pages_per_session(), 1.6);
  // A range that holds no start.
  EXPECT_EQ(Load("2025-10-02T12:30:00Z", "2025-10-02T23:00:00Z").sessions(), 0);
}

TEST_P(EngagementQueriesTest, AFilterKeepsSessionsWithAMatchingEvent) {
  Send({
      {"bounce", 1, "2025-10-02T10:00:00Z"},
      {"cart", 1, "2025-10-02T12:00:00Z"},
      {"cart", 2, "2025-10-02T12:01:00Z"},
      {"cart", 1, "2025-10-02T12:03:00Z"},
      // Its cart is in the range, its start is not.
      {"early", 1, "2025-10-01T23:00:00Z"},
      {"early", 2, "2025-10-02T01:00:00Z"},
  });
  v1::GetEngagementRequest r;
  r.set_shop_id("shop");
  *r.mutable_from() = Ts("2025-10-02T00:00:00Z");
  *r.mutable_to() = Ts("2025-10-03T00:00:00Z");
  r.mutable_filter()->set_event_type("add_to_cart");
  auto e = queries_.Engagement(r);
  ASSERT_TRUE(e.ok()) << e.status();
  // The session measured whole: three minutes, two page views.
  EXPECT_EQ(e->sessions(), 1);
  EXPECT_EQ(e->bounced_sessions(), 0);
  EXPECT_DOUBLE_EQ(e->average_session_duration_seconds(), 180);
  EXPECT_DOUBLE_EQ(e->median_session_duration_seconds(), 180);
  EXPECT_DOUBLE_EQ(e->pages_per_session(), 2);
  r.mutable_filter()->set_event_type("purchase");
  e = queries_.Engagement(r);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->sessions(), 0);
  r.mutable_filter()->set_event_type("refund");
  EXPECT_THAT(queries_.Engagement(r).status().message(),
              HasSubstr("filter.event_type"));
}

TEST_P(EngagementQueriesTest, MedianOfThreeIsTheMiddleOne) {
  Send({
      {"a", 1, "2025-10-02T10:00:00Z"},
      {"a", 1, "2025-10-02T10:01:00Z"},
      {"b", 1, "2025-10-02T11:00:00Z"},
      {"b", 2, "2025-10-02T11:02:00Z"},
      {"c", 1, "2025-10-02T12:00:00Z"},
      {"c", 3, "2025-10-02T12:10:00Z"},
  });
  const v1::Engagement e = Load("2025-10-02T00:00:00Z", "2025-10-03T00:00:00Z");
  EXPECT_EQ(e.sessions(), 3);
  EXPECT_DOUBLE_EQ(e.median_session_duration_seconds(), 120);
  EXPECT_DOUBLE_EQ(e.average_session_duration_seconds(), 260);
  EXPECT_EQ(e.bounced_sessions(), 0);
}

TEST_P(EngagementQueriesTest, ALateEarlierEventMovesTheSessionsStart) {
  // The first two events are sent (and with kPart folded) first; the
  // session really started the evening before.
  Send({
      {"s", 1, "2025-10-03T00:05:00Z"},
      {"s", 1, "2025-10-03T00:10:00Z"},
      {"s", 1, "2025-10-02T23:55:00Z"},
      {"t", 1, "2025-10-03T08:00:00Z"},
  });
  const v1::Engagement before =
      Load("2025-10-02T00:00:00Z", "2025-10-03T00:00:00Z");
  EXPECT_EQ(before.sessions(), 1);
  EXPECT_DOUBLE_EQ(before.average_session_duration_seconds(), 900);
  EXPECT_DOUBLE_EQ(before.pages_per_session(), 3);
  const v1::Engagement after =
      Load("2025-10-03T00:00:00Z", "2025-10-04T00:00:00Z");
  EXPECT_EQ(after.sessions(), 1);
  EXPECT_EQ(after.bounced_sessions(), 1);
}

TEST_P(EngagementQueriesTest, ComparesWithTheRangeAsked) {
  Send({
      {"a", 1, "2025-10-01T10:00:00Z"},
      {"b", 1, "2025-10-02T10:00:00Z"},
      {"b", 1, "2025-10-02T10:01:00Z"},
      {"c", 1, "2025-10-02T11:00:00Z"},
  });
  v1::GetEngagementRequest r;
  r.set_shop_id("shop");
  *r.mutable_from() = Ts("2025-10-02T00:00:00Z");
  *r.mutable_to() = Ts("2025-10-03T00:00:00Z");
  r.set_compare(v1::PREVIOUS_PERIOD);
  auto e = queries_.Engagement(r);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->sessions(), 2);
  ASSERT_TRUE(e->has_comparison());
  EXPECT_EQ(e->comparison().from().seconds(),
            Ts("2025-10-01T00:00:00Z").seconds());
  EXPECT_EQ(e->comparison().to().seconds(),
            Ts("2025-10-02T00:00:00Z").seconds());
  EXPECT_EQ(e->comparison().engagement().sessions(), 1);
  EXPECT_DOUBLE_EQ(e->comparison().engagement().bounce_rate(), 100);

  r.set_compare(v1::PREVIOUS_YEAR);
  e = queries_.Engagement(r);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->comparison().from().seconds(),
            Ts("2024-10-02T00:00:00Z").seconds());
  EXPECT_EQ(e->comparison().engagement().sessions(), 0);

  // A chosen range instead.
  r.clear_compare();
  *r.mutable_compare_from() = Ts("2025-10-01T00:00:00Z");
  *r.mutable_compare_to() = Ts("2025-10-03T00:00:00Z");
  e = queries_.Engagement(r);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->comparison().engagement().sessions(), 3);
}

TEST_P(EngagementQueriesTest, AnEstimatedMedianIsFlaggedAndClose) {
  std::vector<Event> events;
  // Sessions of 10 s to 1000 s, ten seconds apart: median 505 s.
  for (int i = 1; i <= 100; ++i) {
    const std::string s = absl::StrCat("s", i);
    const int64_t start = Micros("2025-10-02T00:00:00Z") + i * 600'000'000LL;
    auto at = [](int64_t micros) {
      return absl::FormatTime(absl::RFC3339_full, absl::FromUnixMicros(micros),
                              absl::UTCTimeZone());
    };
    events.push_back({s, 1, at(start)});
    events.push_back({s, 1, at(start + i * 10'000'000LL)});
  }
  Send(events);
  EngagementQueries estimating(&pool_, {.exact_median_max_sessions = 10});
  v1::GetEngagementRequest r;
  r.set_shop_id("shop");
  auto e = estimating.Engagement(r);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->sessions(), 100);
  EXPECT_TRUE(e->median_session_duration_estimated());
  EXPECT_NEAR(e->median_session_duration_seconds(), 505, 505 * 0.091);
  // 500 and 510 s share the bucket [2^8.75, 2^9) s: its geometric middle.
  EXPECT_NEAR(e->median_session_duration_seconds(), 469.506, 0.001);
  EXPECT_DOUBLE_EQ(e->average_session_duration_seconds(), 505);
  auto exact = queries_.Engagement(r);
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_DOUBLE_EQ(exact->median_session_duration_seconds(), 505);
}

TEST_P(EngagementQueriesTest, DataRangeIsTheFirstAndLastEvent) {
  v1::GetDataRangeRequest r;
  r.set_shop_id("shop");
  auto empty = queries_.DataRange(r);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_FALSE(empty->has_first_event_at());
  EXPECT_FALSE(empty->has_last_event_at());
  Send({
      {"a", 1, "2025-10-02T10:00:00Z"},
      {"a", 1, "2025-10-05T10:00:00Z"},
      {"b", 1, "2025-10-01T09:00:00Z"},
  });
  auto range = queries_.DataRange(r);
  ASSERT_TRUE(range.ok()) << range.status();
  EXPECT_EQ(range->first_event_at().seconds(),
            Ts("2025-10-01T09:00:00Z").seconds());
  EXPECT_EQ(range->last_event_at().seconds(),
            Ts("2025-10-05T10:00:00Z").seconds());
}

TEST_P(EngagementQueriesTest, RefusesBadRequestsNamingTheField) {
  v1::GetEngagementRequest r;
  EXPECT_THAT(queries_.Engagement(r).status().message(),
              HasSubstr("shop_id: required"));
  r.set_shop_id("shop");
  r.set_compare(v1::PREVIOUS_PERIOD);
  *r.mutable_from() = Ts("2025-10-02T00:00:00Z");
  auto refused = queries_.Engagement(r);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("to: required"));
  *r.mutable_to() = Ts("2025-10-03T00:00:00Z");
  *r.mutable_compare_from() = Ts("2025-10-01T00:00:00Z");
  refused = queries_.Engagement(r);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("compare: either"));
  r.clear_compare();
  refused = queries_.Engagement(r);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("compare_to: required"));
  *r.mutable_compare_to() = Ts("2025-09-01T00:00:00Z");
  EXPECT_THAT(queries_.Engagement(r).status().message(),
              HasSubstr("compare_to: must not be before compare_from"));
  EXPECT_EQ(queries_.DataRange(v1::GetDataRangeRequest()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

using Steps = std::array<int64_t, 3>;

TEST_P(EngagementQueriesTest, FunnelStepsCountInOrder) {
  Send({
      {"buyer", 1, "2025-10-02T10:00:00Z"},
      {"buyer", 2, "2025-10-02T10:01:00Z"},
      {"buyer", 3, "2025-10-02T10:02:00Z"},
      // A cart before the first view does not count.
      {"cart-first", 2, "2025-10-02T11:00:00Z"},
      {"cart-first", 1, "2025-10-02T11:01:00Z"},
      // The same instant counts as following.
      {"instant", 1, "2025-10-02T12:00:00Z"},
      {"instant", 2, "2025-10-02T12:00:00Z"},
      {"instant", 3, "2025-10-02T12:00:00Z"},
      // A purchase before the cart does not.
      {"early-buy", 1, "2025-10-02T13:00:00Z"},
      {"early-buy", 3, "2025-10-02T13:01:00Z"},
      {"early-buy", 2, "2025-10-02T13:02:00Z"},
      {"no-view", 2, "2025-10-02T14:00:00Z"},
      {"no-view", 3, "2025-10-02T14:01:00Z"},
  });
  EXPECT_EQ(Funnel("2025-10-02T00:00:00Z", "2025-10-03T00:00:00Z"),
            (Steps{4, 3, 2}));
  // Hours off the day: the partial days' sessions are read one by one.
  EXPECT_EQ(Funnel("2025-10-02T11:00:00Z", "2025-10-02T13:00:00Z"),
            (Steps{2, 1, 1}));
}

TEST_P(EngagementQueriesTest, FunnelTakesLateEarlierEventsInOrder) {
  // The cart and purchase are folded before the view that precedes them
  // arrives. The second session's purchase came before its cart; a late
  // earlier view lets an earlier cart count, and the purchase follows it.
  Write({{"late-view", 2, "2025-10-02T10:05:00Z"},
         {"late-view", 3, "2025-10-02T10:06:00Z"},
         {"moved", 1, "2025-10-02T11:10:00Z"},
         {"moved", 2, "2025-10-02T11:20:00Z"},
         {"moved", 3, "2025-10-02T11:15:00Z"}});
  Fold();
  EXPECT_EQ(Funnel("2025-10-02T00:00:00Z", "2025-10-03T00:00:00Z"),
            (Steps{1, 1, 0}));
  Send({{"late-view", 1, "2025-10-02T10:00:00Z"},
        {"moved", 2, "2025-10-02T11:01:00Z"},
        {"moved", 1, "2025-10-02T11:00:00Z"}});
  EXPECT_EQ(Funnel("2025-10-02T00:00:00Z", "2025-10-03T00:00:00Z"),
            (Steps{2, 2, 2}));
}

TEST_P(EngagementQueriesTest, FunnelCountsOnlyEventsInsideTheRange) {
  Send({
      // Viewed the evening before: inside the range it only carted and
      // bought, without a view.
      {"before", 1, "2025-10-01T23:50:00Z"},
      {"before", 2, "2025-10-02T00:10:00Z"},
      {"before", 3, "2025-10-02T00:20:00Z"},
      // Viewed on both sides of midnight.
      {"both", 1, "2025-10-01T23:55:00Z"},
      {"both", 1, "2025-10-02T00:05:00Z"},
      {"both", 2, "2025-10-02T00:06:00Z"},
      // Carts after the range ends.
      {"after", 1, "2025-10-02T23:50:00Z"},
      {"after", 2, "2025-10-03T00:10:00Z"},
  });
  EXPECT_EQ(Funnel("2025-10-02T00:00:00Z", "2025-10-03T00:00:00Z"),
            (Steps{2, 1, 0}));
  EXPECT_EQ(Funnel("2025-10-01T00:00:00Z", "2025-10-04T00:00:00Z"),
            (Steps{3, 3, 1}));
  EXPECT_EQ(Funnel("2025-10-02T00:06:00Z", "2025-10-03T00:00:00Z"),
            (Steps{1, 0, 0}));
}

TEST_P(EngagementQueriesTest, FunnelFindsSessionsOpenForWeeks) {
  Send({
      // Longer than the duration buckets bound.
      {"weeks", 1, "2025-09-10T08:00:00Z"},
      {"weeks", 1, "2025-10-02T09:00:00Z"},
      {"weeks", 2, "2025-10-02T09:05:00Z"},
      {"short", 1, "2025-10-02T10:00:00Z"},
      {"short", 2, "2025-10-02T10:01:00Z"},
      {"short", 3, "2025-10-02T10:02:00Z"},
  });
  EXPECT_EQ(Funnel("2025-10-02T00:00:00Z", "2025-10-03T00:00:00Z"),
            (Steps{2, 2, 1}));
  EXPECT_EQ(Funnel("2025-09-01T00:00:00Z", "2025-10-01T00:00:00Z"),
            (Steps{1, 0, 0}));
}

}  // namespace
}  // namespace shopstream
