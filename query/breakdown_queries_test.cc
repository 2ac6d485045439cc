// Breakdown rows over hand-made events, with nothing, part and everything
// folded, over ranges that take whole days, whole hours and raw edges.
#include "query/breakdown_queries.h"

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
  std::string page;
  int type;
  std::string at;
  std::string session;
  int64_t cents = 0;
};

enum class Folded { kNothing, kPart, kEverything };

class BreakdownQueriesTest : public ::testing::TestWithParam<Folded> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SchemaMigrator().Apply(db_.conninfo()).ok());
  }

  void Write(const std::vector<Event>& events) {
    for (const Event& e : events) {
      internal::v1::StoredEvent s;
      s.set_shop_id("shop");
      s.set_event_id(absl::StrCat("e", next_id_++));
      s.set_event_type(static_cast<internal::v1::EventType>(e.type));
      s.set_occurred_at_micros(Micros(e.at));
      if (!e.session.empty()) s.set_session_id(e.session);
      if (!e.page.empty()) s.set_page(e.page);
      s.set_browser("Firefox");
      if (e.type == 3) s.set_order_amount_cents(e.cents);
      if (e.type == 4) s.set_event_name("signup");
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

  // Rows as "value pv/carts/purchases/revenue/events/sessions".
  std::vector<std::string> Rows(const v1::Breakdown& b) {
    std::vector<std::string> out;
    for (const v1::BreakdownRow& r : b.rows()) {
      out.push_back(absl::StrCat(
          r.value(), " ", r.page_views(), "/", r.add_to_carts(), "/",
          r.purchases(), "/", r.revenue(), "/", r.events(), "/", r.sessions()));
    }
    return out;
  }

  v1::Breakdown Load(const std::string& from, const std::string& to,
                     int limit = 0, const BreakdownQueries* queries = nullptr) {
    v1::GetBreakdownRequest r;
    r.set_shop_id("shop");
    r.set_dimension(v1::PAGE);
    r.set_limit(limit);
    if (!from.empty()) *r.mutable_from() = Ts(from);
    if (!to.empty()) *r.mutable_to() = Ts(to);
    auto b = (queries != nullptr ? queries : &queries_)->Breakdown(r);
    EXPECT_TRUE(b.ok()) << b.status();
    return b.value_or(v1::Breakdown());
  }

  // Events on three days: the raw edges of 2025-10-01 22:30 to 2025-10-03
  // 01:30 lie in its first and last half hours, whole hours beside the
  // whole day of October 2.
  std::vector<Event> History() {
    return {
        {"/before", 1, "2025-10-01T22:10:00Z", "s0"},
        {"/home", 1, "2025-10-01T22:40:00Z", "s1"},
        {"/home", 1, "2025-10-01T23:10:00Z", "s1"},
        {"/shoe", 1, "2025-10-02T08:00:00Z", "s1"},
        {"/shoe", 2, "2025-10-02T08:01:00Z", "s1"},
        {"/shoe", 3, "2025-10-02T08:02:00Z", "s1", 4999},
        {"/shoe", 1, "2025-10-02T09:00:00Z", "s2"},
        {"/home", 1, "2025-10-02T12:00:00Z", "s2"},
        {"/hat", 4, "2025-10-02T13:00:00Z", "s3"},
        {"/hat", 4, "2025-10-03T00:10:00Z", "s3"},
        {"/home", 1, "2025-10-03T01:10:00Z", "s4"},
        {"", 1, "2025-10-03T01:15:00Z", "s4"},
        {"/after", 1, "2025-10-03T01:40:00Z", "s4"},
    };
  }

  TestDatabase db_;
  BatchWriter writer_{db_.conninfo()};
  PgConnectionPool pool_{db_.conninfo(), 2};
  BreakdownQueries queries_{&pool_};
  int next_id_ = 0;
};

INSTANTIATE_TEST_SUITE_P(Folds, BreakdownQueriesTest,
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

TEST_P(BreakdownQueriesTest, RowsPerValueInOrder) {
  Send(History());
  const v1::Breakdown b = Load("2025-10-01T22:30:00Z", "2025-10-03T01:30:00Z");
  EXPECT_EQ(b.dimension(), v1::PAGE);
  EXPECT_FALSE(b.has_sessions_estimated());
  // By page views, then events, then value; /hat has custom events only.
  EXPECT_THAT(Rows(b), ::testing::ElementsAre("/home 4/0/0/0/4/3",
                                              "/shoe 2/1/1/49.99/4/2",
                                              "/hat 0/0/0/0/2/1"));
  EXPECT_THAT(Rows(Load("2025-10-01T22:30:00Z", "2025-10-03T01:30:00Z", 1)),
              ::testing::ElementsAre("/home 4/0/0/0/4/3"));
  // Open ends: every event.
  EXPECT_EQ(Load("", "").rows_size(), 5);
  // Within one hour: raw events alone.
  EXPECT_THAT(Rows(Load("2025-10-02T08:00:30Z", "2025-10-02T08:30:00Z")),
              ::testing::ElementsAre("/shoe 0/1/1/49.99/2/1"));
}

TEST_P(BreakdownQueriesTest, WholeWeeksBesideDaysHoursAndRawEdges) {
  Send({
      {"/a", 1, "2025-09-30T22:10:00Z", "s0"},        // before the range
      {"/a", 1, "2025-09-30T22:40:00Z", "s1"},        // raw edge
      {"/b", 1, "2025-09-30T23:30:00Z", "s1"},        // hour
      {"/a", 1, "2025-10-03T10:00:00Z", "s2"},        // day before the weeks
      {"/a", 2, "2025-10-06T00:00:00Z", "s2"},        // first week's start
      {"/b", 1, "2025-10-12T23:59:59Z", "s3"},        // its end
      {"/b", 3, "2025-10-13T00:00:00Z", "s3", 1000},  // second week
      {"/c", 1, "2025-10-19T12:00:00Z", "s4"},
      {"/c", 1, "2025-10-20T00:00:00Z", "s4"},  // day after the weeks
      {"/a", 1, "2025-10-21T00:30:00Z", "s5"},  // hour
      {"/b", 1, "2025-10-21T01:10:00Z", "s5"},  // raw edge
      {"/c", 1, "2025-10-21T01:40:00Z", "s5"},  // after the range
  });
  EXPECT_THAT(Rows(Load("2025-09-30T22:30:00Z", "2025-10-21T01:30:00Z")),
              ::testing::ElementsAre("/a 3/1/0/0/4/3", "/b 3/0/1/10/4/3",
                                     "/c 2/0/0/0/2/1"));
  // The two weeks alone, Monday to Monday.
  EXPECT_THAT(Rows(Load("2025-10-06T00:00:00Z", "2025-10-20T00:00:00Z")),
              ::testing::ElementsAre("/b 1/0/1/10/2/1", "/c 1/0/0/0/1/1",
                                     "/a 0/1/0/0/1/1"));
}

TEST_P(BreakdownQueriesTest, TiesGoToMoreEventsThenTheSmallerValue) {
  Send({
      {"/c", 1, "2025-10-02T08:00:00Z", "s1"},
      {"/a", 1, "2025-10-02T08:01:00Z", "s1"},
      {"/b", 1, "2025-10-02T08:02:00Z", "s1"},
      {"/b", 4, "2025-10-02T08:03:00Z", "s1"},
  });
  for (const char* from : {"2025-10-02T00:00:00Z", "2025-10-02T07:59:00Z"}) {
    v1::GetBreakdownRequest r;
    r.set_shop_id("shop");
    r.set_dimension(v1::PAGE);
    *r.mutable_from() = Ts(from);
    *r.mutable_to() = Ts("2025-10-03T00:00:00Z");
    auto b = queries_.Breakdown(r);
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_THAT(Rows(*b),
                ::testing::ElementsAre("/b 1/0/0/0/2/1", "/a 1/0/0/0/1/1",
                                       "/c 1/0/0/0/1/1"));
    // The same through the filtered path.
    r.mutable_filter()->set_browser("Firefox");
    b = queries_.Breakdown(r);
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_THAT(Rows(*b),
                ::testing::ElementsAre("/b 1/0/0/0/2/1", "/a 1/0/0/0/1/1",
                                       "/c 1/0/0/0/1/1"));
  }
}

TEST_P(BreakdownQueriesTest, AFilterCountsTheMatchingEventsOnly) {
  Send(History());
  v1::GetBreakdownRequest r;
  r.set_shop_id("shop");
  r.set_dimension(v1::PAGE);
  *r.mutable_from() = Ts("2025-10-01T22:30:00Z");
  *r.mutable_to() = Ts("2025-10-03T01:30:00Z");
  r.mutable_filter()->set_event_type("page_view");
  auto b = queries_.Breakdown(r);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_THAT(Rows(*b),
              ::testing::ElementsAre("/home 4/0/0/0/4/3", "/shoe 2/0/0/0/2/2"));
  r.mutable_filter()->set_event_type("");
  r.mutable_filter()->set_browser("Safari");
  b = queries_.Breakdown(r);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->rows_size(), 0);
  r.mutable_filter()->set_page(std::string(1000, 'x'));
  EXPECT_THAT(queries_.Breakdown(r).status().message(),
              HasSubstr("filter.page"));
}

TEST_P(BreakdownQueriesTest, SessionsFromSketchesAreFlagged) {
  Send(History());
  BreakdownQueries estimating(&pool_, {.exact_sessions_max_events = 0});
  const v1::Breakdown b =
      Load("2025-10-01T22:30:00Z", "2025-10-03T01:30:00Z", 0, &estimating);
  EXPECT_TRUE(b.sessions_estimated());
  // A handful of sessions is counted exactly even so.
  EXPECT_THAT(Rows(b), ::testing::ElementsAre("/home 4/0/0/0/4/3",
                                              "/shoe 2/1/1/49.99/4/2",
                                              "/hat 0/0/0/0/2/1"));
  // Without a whole day there is nothing to estimate from.
  EXPECT_FALSE(
      Load("2025-10-02T08:00:00Z", "2025-10-02T10:00:00Z", 0, &estimating)
          .has_sessions_estimated());
}

TEST_P(BreakdownQueriesTest, RefusesBadRequestsNamingTheField) {
  v1::GetBreakdownRequest r;
  r.set_shop_id("shop");
  auto refused = queries_.Breakdown(r);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("dimension: required"));
  r.set_dimension(v1::OS);
  r.set_limit(1001);
  EXPECT_THAT(queries_.Breakdown(r).status().message(),
              HasSubstr("limit: must be between 1 and 1000"));
  r.set_limit(-1);
  EXPECT_EQ(queries_.Breakdown(r).status().code(),
            absl::StatusCode::kInvalidArgument);
  r.set_limit(0);
  auto empty = queries_.Breakdown(r);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->rows_size(), 0);
}

}  // namespace
}  // namespace shopstream
