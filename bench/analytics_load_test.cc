#include "bench/analytics_load.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

namespace shopstream::bench {
namespace {

using internal::v1::StoredEvent;

// What a session's events must agree on: where it came from and on what.
std::string Context(const StoredEvent& e) {
  return e.referrer_host() + "|" + e.utm_source() + "|" + e.utm_medium() + "|" +
         e.utm_campaign() + "|" + e.device_class() + "|" + e.browser() + "|" +
         e.os();
}

// The engagement and breakdown views need sessions of several events, one
// context each, and values in every traffic dimension.
TEST(AnalyticsLoadTest, SessionsSpanSeveralEventsWithOneContext) {
  AnalyticsDataShape shape;
  const auto events = MakeAnalyticsBatch(shape, 1, 100000, 10000, 3);
  ASSERT_EQ(events.size(), 10000u);
  std::map<std::string, std::vector<const StoredEvent*>> sessions;
  for (const StoredEvent& e : events) sessions[e.session_id()].push_back(&e);
  ASSERT_EQ(sessions.size(), 10000u / shape.events_per_session);
  for (const auto& [id, session] : sessions) {
    ASSERT_EQ(session.size(), static_cast<size_t>(shape.events_per_session))
        << id;
    int64_t first = session.front()->occurred_at_micros();
    int64_t last = first;
    for (const StoredEvent* e : session) {
      EXPECT_EQ(e->shop_id(), session.front()->shop_id()) << id;
      EXPECT_EQ(Context(*e), Context(*session.front())) << id;
      first = std::min(first, e->occurred_at_micros());
      last = std::max(last, e->occurred_at_micros());
    }
    EXPECT_GT(last, first) << id << ": a session lasts a while";
  }
}

TEST(AnalyticsLoadTest, EveryDimensionHasSeveralValues) {
  AnalyticsDataShape shape;
  const auto events = MakeAnalyticsBatch(shape, 1, 100000, 10000, 0);
  std::map<std::string, std::set<std::string>> values;
  for (const StoredEvent& e : events) {
    values["page"].insert(e.page());
    values["referrer_host"].insert(e.referrer_host());
    values["utm_source"].insert(e.utm_source());
    values["utm_medium"].insert(e.utm_medium());
    values["utm_campaign"].insert(e.utm_campaign());
    values["device_class"].insert(e.device_class());
    values["browser"].insert(e.browser());
    values["os"].insert(e.os());
  }
  for (auto& [field, seen] : values) {
    seen.erase("");  // a breakdown leaves events without a value out
    EXPECT_GE(seen.size(), 3u) << field;
  }
  // The page breakdown is the one with many values.
  EXPECT_GE(values["page"].size(), 100u);
}

}  // namespace
}  // namespace shopstream::bench
