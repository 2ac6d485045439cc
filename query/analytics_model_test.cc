// Randomized check of every analytics answer against a model computed in
// memory from the events sent. Events go through the processor's
// BatchCommitter (two writer threads, duplicates included) and the folder,
// so what is tested is the rollups the folder maintains plus the raw tail
// it has not folded yet, read back over gRPC, with nothing folded, part
// folded and everything folded.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <pqxx/pqxx>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "processor/batch_committer.h"
#include "query/analytics_service.h"
#include "query/rollup_analytics.h"
#include "rollups/rollup_folder.h"
#include "rollups/rollup_verifier.h"
#include "storage/schema_migrator.h"
#include "storage/test_database.h"

namespace shopstream {
namespace {

constexpr int64_t kSecond = 1'000'000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kWeek = 7 * kDay;
// 1970-01-05, a Monday.
constexpr int64_t kMonday = 4 * kDay;

struct Event {
  std::string shop;
  std::string id;
  int type = 1;
  int64_t at = 0;  // microseconds
  std::optional<std::string> product;
  std::optional<std::string> session;
  std::optional<int64_t> cents;
};

// Rounded half up to hundredths, written independently of the service's
// formulas: (2n + d) / 2d in whole hundredths.
double Hundredths(int64_t numerator_hundredths, int64_t denominator) {
  if (denominator == 0) return 0;
  const __int128 n = numerator_hundredths;
  return static_cast<double>(
             static_cast<int64_t>((2 * n + denominator) / (2 * denominator))) /
         100.0;
}
double Percent(int64_t a, int64_t b) { return Hundredths(a * 10000, b); }

google::protobuf::Timestamp Ts(int64_t micros, int nanos_extra = 0) {
  google::protobuf::Timestamp ts;
  int64_t s = micros / kSecond, r = micros % kSecond;
  if (r < 0) r += kSecond, --s;
  ts.set_seconds(s);
  ts.set_nanos(static_cast<int>(r * 1000) + nanos_extra);
  return ts;
}

// The first microsecond a timestamp bound admits.
int64_t Bound(const google::protobuf::Timestamp& ts) {
  const int64_t micros = ts.seconds() * kSecond + ts.nanos() / 1000;
  return ts.nanos() % 1000 == 0 ? micros : micros + 1;
}

struct Range {
  std::optional<google::protobuf::Timestamp> from, to;
  bool Holds(int64_t t) const {
    return (!from || t >= Bound(*from)) && (!to || t < Bound(*to));
  }
};

class AnalyticsModelTest : public ::testing::TestWithParam<uint32_t> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SchemaMigrator().Apply(db_.conninfo()).ok());
    rng_.seed(GetParam());
    grpc::ServerBuilder builder;
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    stub_ = v1::AnalyticsService::NewStub(server_->InProcessChannel({}));
  }
  void TearDown() override { server_->Shutdown(); }

  int Uniform(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng_);
  }
  int64_t Uniform64(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  // A time inside the span, often on a minute, hour, day or week edge, or
  // one microsecond off it.
  int64_t RandomTime() {
    int64_t t = Uniform64(begin_, end_ - 1);
    const int kind = Uniform(0, 10);
    if (kind < 5) return t;
    if (kind == 10) {
      // A Monday 00:00 UTC, where product weeks begin.
      t = (t - kMonday) / kWeek * kWeek + kMonday;
    } else {
      const int64_t unit = kind < 7 ? kMinute : kind < 9 ? kHour : kDay;
      t = t / unit * unit;
    }
    if (Chance(0.3)) t += Chance(0.5) ? 1 : -1;
    return std::clamp(t, begin_, end_ - 1);
  }

  Event RandomEvent(int n) {
    Event e;
    e.shop = absl::StrCat("shop-", Uniform(1, 3));
    e.id = absl::StrCat("e", n);
    const int roll = Uniform(0, 99);
    e.type = roll < 60 ? 1 : roll < 85 ? 2 : 3;
    e.at = RandomTime();
    // Ids that sort differently by bytes than by most collations.
    static const char* kProducts[] = {"p-1", "p-2",  "P-3", "a",
                                      "B",   "p-10", "p-9"};
    if (!Chance(0.1)) e.product = kProducts[Uniform(0, 6)];
    if (!Chance(0.15)) e.session = absl::StrCat("s", Uniform(0, 40));
    if (e.type == 3) e.cents = Chance(0.05) ? 0 : Uniform64(1, 50000);
    return e;
  }

  // Sends events (each several times for some) through the committer, in
  // concurrent submissions, and keeps the model of what must be stored.
  void Store(int count) {
    std::vector<Event> unique;
    for (int i = 0; i < count; ++i) unique.push_back(RandomEvent(next_id_++));
    std::vector<Event> sends = unique;
    for (const Event& e : unique) {
      if (Chance(0.2)) sends.push_back(e);
    }
    // Some retries arrive from before: resend events stored earlier.
    for (int i = 0; i < count / 10 && !events_.empty(); ++i) {
      sends.push_back(events_[Uniform(0, events_.size() - 1)]);
    }
    std::shuffle(sends.begin(), sends.end(), rng_);
    BatchCommitter committer({.conninfo = db_.conninfo(),
                              .writers = 2,
                              .batch = {.max_batch_events = 150}});
    committer.Start();
    std::vector<std::unique_ptr<absl::Notification>> done;
    std::atomic<int> failures = 0;
    size_t i = 0;
    while (i < sends.size()) {
      Submission s;
      const size_t n = std::min<size_t>(Uniform(1, 60), sends.size() - i);
      for (size_t k = 0; k < n; ++k, ++i) {
        const Event& e = sends[i];
        auto* p = s.request.add_events();
        p->set_shop_id(e.shop);
        p->set_event_id(e.id);
        p->set_event_type(static_cast<internal::v1::EventType>(e.type));
        p->set_occurred_at_micros(e.at);
        if (e.product) p->set_product_id(*e.product);
        if (e.session) p->set_session_id(*e.session);
        if (e.cents) p->set_order_amount_cents(*e.cents);
      }
      done.push_back(std::make_unique<absl::Notification>());
      absl::Notification* note = done.back().get();
      s.done = [note, &failures](const absl::Status& st,
                                 const EventOutcomes& o) {
        if (!st.ok()) ++failures;
        for (const auto& outcome : o)
          failures += outcome.fate == EventFate::kDeadLettered;
        note->Notify();
      };
      committer.Submit(std::move(s));
    }
    for (auto& note : done) {
      ASSERT_TRUE(note->WaitForNotificationWithTimeout(absl::Seconds(60)));
    }
    committer.Stop();
    ASSERT_EQ(failures, 0);
    events_.insert(events_.end(), unique.begin(), unique.end());
  }

  // Adds every committed event to the rollups.
  void FoldAll() {
    rollups::RollupFolder folder(
        {.conninfo = db_.conninfo(), .max_transactions = 7});
    absl::StatusOr<rollups::FoldResult> r;
    do {
      r = folder.FoldOnce();
      ASSERT_TRUE(r.ok()) << r.status();
      ASSERT_TRUE(r->leader);
    } while (r->more);
  }

  Range RandomRange(bool open_ends) {
    Range r;
    auto pick = [&]() {
      // Sometimes beyond the span, sometimes with nanoseconds.
      int64_t t =
          Chance(0.1) ? Uniform64(begin_ - kDay, end_ + kDay) : RandomTime();
      return Ts(t, Chance(0.2) ? Uniform(1, 999) : 0);
    };
    if (!open_ends || !Chance(0.25)) r.from = pick();
    if (!open_ends || !Chance(0.25)) r.to = pick();
    if (r.from && r.to && Bound(*r.to) < Bound(*r.from))
      std::swap(r.from, r.to);
    return r;
  }

  std::vector<const Event*> Select(const std::string& shop,
                                   const Range& r) const {
    std::vector<const Event*> out;
    for (const Event& e : events_) {
      if ((shop.empty() || e.shop == shop) && r.Holds(e.at)) out.push_back(&e);
    }
    return out;
  }

  v1::Summary ModelSummary(const std::string& shop, const Range& r) const {
    int64_t counts[4] = {0, 0, 0, 0}, revenue = 0;
    std::optional<int64_t> max, min;
    std::map<std::string, int64_t> views;
    std::set<std::pair<std::string, std::string>> sessions;
    for (const Event* e : Select(shop, r)) {
      ++counts[e->type];
      if (e->type == 3) {
        revenue += *e->cents;
        max = std::max(max.value_or(*e->cents), *e->cents);
        min = std::min(min.value_or(*e->cents), *e->cents);
      }
      if (e->type == 1 && e->product) ++views[*e->product];
      if (e->session) sessions.emplace(e->shop, *e->session);
    }
    v1::Summary s;
    s.set_total_page_views(counts[1]);
    s.set_total_add_to_carts(counts[2]);
    s.set_total_purchases(counts[3]);
    s.set_conversion_rate(Percent(counts[3], counts[1]));
    s.set_average_purchase_value(Hundredths(revenue, counts[3]));
    if (max) s.set_max_purchase_value(*max / 100.0);
    if (min) s.set_min_purchase_value(*min / 100.0);
    int64_t best = 0;
    for (const auto& [product, n] : views) {  // map order is byte order
      if (n > best) best = n, s.set_top_product_id(product);
    }
    s.set_revenue(revenue / 100.0);
    s.set_unique_sessions(sessions.size());
    s.set_add_to_cart_rate(Percent(counts[2], counts[1]));
    return s;
  }

  // Bucket edges by brute force: every UTC minute (the zones used have
  // whole-minute offsets) where local time is on a boundary or jumps
  // forward across one.
  bool IsEdge(int64_t t, v1::BucketSize size,
              const absl::TimeZone& zone) const {
    auto floor = [&](int64_t x) -> absl::CivilSecond {
      absl::CivilSecond cs = zone.At(absl::FromUnixMicros(x)).cs;
      if (size == v1::MINUTE) return absl::CivilMinute(cs);
      if (size == v1::DAY) return absl::CivilDay(cs);
      return absl::CivilHour(cs);
    };
    const absl::CivilSecond local = zone.At(absl::FromUnixMicros(t)).cs;
    return floor(t) == local || floor(t) > floor(t - kMinute);
  }

  v1::TimeSeries ModelSeries(const std::string& shop, int64_t from, int64_t to,
                             v1::BucketSize size,
                             const std::string& zone_name) const {
    absl::TimeZone zone;
    EXPECT_TRUE(
        absl::LoadTimeZone(zone_name.empty() ? "UTC" : zone_name, &zone));
    int64_t first = (from >= 0 ? from : from - kMinute + 1) / kMinute * kMinute;
    while (!IsEdge(first, size, zone)) first -= kMinute;
    std::vector<int64_t> edges = {first};
    for (int64_t t = first + kMinute; edges.back() < to; t += kMinute) {
      if (IsEdge(t, size, zone)) edges.push_back(t);
    }
    v1::TimeSeries series;
    series.set_bucket(size == v1::BUCKET_SIZE_UNSPECIFIED ? v1::HOUR : size);
    series.set_time_zone(zone_name.empty() ? "UTC" : zone_name);
    std::vector<int64_t> revenue(edges.size() - 1, 0);
    for (size_t i = 0; i + 1 < edges.size(); ++i) {
      auto* p = series.add_points();
      *p->mutable_start() = Ts(edges[i]);
    }
    for (const Event& e : events_) {
      if (e.shop != shop || e.at < from || e.at >= to) continue;
      const size_t i = std::upper_bound(edges.begin(), edges.end(), e.at) -
                       edges.begin() - 1;
      auto* p = series.mutable_points(i);
      if (e.type == 1) p->set_page_views(p->page_views() + 1);
      if (e.type == 2) p->set_add_to_carts(p->add_to_carts() + 1);
      if (e.type == 3)
        p->set_purchases(p->purchases() + 1), revenue[i] += *e.cents;
    }
    for (size_t i = 0; i < revenue.size(); ++i) {
      series.mutable_points(i)->set_revenue(revenue[i] / 100.0);
    }
    return series;
  }

  v1::TopProducts ModelTop(const std::string& shop, const Range& r,
                           v1::ProductMetric metric, int limit) const {
    std::map<std::string, std::array<int64_t, 4>> stats;
    for (const Event* e : Select(shop, r)) {
      if (!e->product) continue;
      auto& s = stats[*e->product];
      ++s[e->type - 1];
      if (e->type == 3) s[3] += *e->cents;
    }
    const int key = metric == v1::PRODUCT_METRIC_UNSPECIFIED ? 0 : metric - 1;
    std::vector<std::pair<std::string, std::array<int64_t, 4>>> rows(
        stats.begin(), stats.end());
    std::stable_sort(rows.begin(), rows.end(),
                     [&](const auto& a, const auto& b) {
                       return a.second[key] > b.second[key];
                     });
    v1::TopProducts top;
    top.set_order_by(metric == v1::PRODUCT_METRIC_UNSPECIFIED ? v1::PAGE_VIEWS
                                                              : metric);
    for (int i = 0;
         i < static_cast<int>(rows.size()) && i < (limit == 0 ? 10 : limit);
         ++i) {
      auto* p = top.add_products();
      p->set_product_id(rows[i].first);
      p->set_page_views(rows[i].second[0]);
      p->set_add_to_carts(rows[i].second[1]);
      p->set_purchases(rows[i].second[2]);
      p->set_revenue(rows[i].second[3] / 100.0);
      p->set_conversion_rate(Percent(rows[i].second[2], rows[i].second[0]));
    }
    return top;
  }

  v1::Funnel ModelFunnel(const std::string& shop, const Range& r) const {
    int64_t events[4] = {0, 0, 0, 0};
    std::map<std::string, std::vector<const Event*>> by_session;
    for (const Event* e : Select(shop, r)) {
      ++events[e->type];
      if (e->session) by_session[*e->session].push_back(e);
    }
    int64_t reached[3] = {0, 0, 0};
    for (auto& [session, list] : by_session) {
      // A step counts when its event is not earlier than the previous
      // step (events at the same instant may have happened in any order).
      std::optional<int64_t> viewed, carted;
      bool bought = false;
      for (const Event* e : list) {
        if (e->type == 1) viewed = std::min(viewed.value_or(e->at), e->at);
      }
      for (const Event* e : list) {
        if (e->type == 2 && viewed && e->at >= *viewed) {
          carted = std::min(carted.value_or(e->at), e->at);
        }
      }
      for (const Event* e : list) {
        if (e->type == 3 && carted && e->at >= *carted) bought = true;
      }
      reached[0] += viewed.has_value();
      reached[1] += carted.has_value();
      reached[2] += bought;
    }
    v1::Funnel f;
    const char* names[] = {"page_view", "add_to_cart", "purchase"};
    for (int i = 0; i < 3; ++i) {
      auto* step = f.add_steps();
      step->set_event_type(names[i]);
      step->set_events(events[i + 1]);
      step->set_sessions(reached[i]);
      step->set_conversion_from_previous(
          i == 0 ? (reached[0] > 0 ? 100 : 0)
                 : Percent(reached[i], reached[i - 1]));
    }
    f.set_overall_conversion(Percent(reached[2], reached[0]));
    return f;
  }

  void ExpectSame(const google::protobuf::Message& want,
                  const google::protobuf::Message& got,
                  const std::string& what) {
    ++compared_;
    if (!google::protobuf::util::MessageDifferencer::Equals(want, got)) {
      ADD_FAILURE() << what << "\nwant: " << want.ShortDebugString()
                    << "\n got: " << got.ShortDebugString();
    }
  }

  void CheckEverything(int rounds) {
    const std::vector<std::string> zones = {"",
                                            "UTC",
                                            "Europe/Paris",
                                            "Asia/Kolkata",
                                            "America/St_Johns",
                                            "Australia/Lord_Howe",
                                            "Asia/Kathmandu"};
    for (int round = 0; round < rounds && !HasFailure(); ++round) {
      const std::string shop = absl::StrCat("shop-", Uniform(1, 3));
      {
        const std::string any_shop = Chance(0.3) ? "" : shop;
        const Range r = RandomRange(true);
        v1::GetSummaryRequest req;
        req.set_shop_id(any_shop);
        if (r.from) *req.mutable_from() = *r.from;
        if (r.to) *req.mutable_to() = *r.to;
        v1::Summary got;
        grpc::ClientContext ctx;
        ASSERT_TRUE(stub_->GetSummary(&ctx, req, &got).ok());
        EXPECT_TRUE(got.has_as_of());
        got.clear_as_of();
        ExpectSame(ModelSummary(any_shop, r), got,
                   "summary " + req.ShortDebugString());
      }
      {
        Range r = RandomRange(false);
        v1::GetTimeSeriesRequest req;
        req.set_shop_id(shop);
        req.set_bucket(static_cast<v1::BucketSize>(Uniform(0, 3)));
        if (req.bucket() == v1::MINUTE &&
            Bound(*r.to) - Bound(*r.from) > 2 * kDay) {
          *r.to = Ts(Bound(*r.from) + Uniform64(0, 2 * kDay));
        }
        if (Bound(*r.to) <= Bound(*r.from))
          *r.to = Ts(Bound(*r.from) + Uniform64(1, kDay));
        req.set_time_zone(zones[Uniform(0, zones.size() - 1)]);
        *req.mutable_from() = *r.from;
        *req.mutable_to() = *r.to;
        v1::TimeSeries got;
        grpc::ClientContext ctx;
        grpc::Status st = stub_->GetTimeSeries(&ctx, req, &got);
        ASSERT_TRUE(st.ok()) << st.error_message();
        ExpectSame(ModelSeries(shop, Bound(*r.from), Bound(*r.to), req.bucket(),
                               req.time_zone()),
                   got, "series " + req.ShortDebugString());
      }
      {
        const Range r = RandomRange(true);
        v1::GetTopProductsRequest req;
        req.set_shop_id(shop);
        if (r.from) *req.mutable_from() = *r.from;
        if (r.to) *req.mutable_to() = *r.to;
        req.set_order_by(static_cast<v1::ProductMetric>(Uniform(0, 4)));
        req.set_limit(Uniform(0, 8));
        v1::TopProducts got;
        grpc::ClientContext ctx;
        ASSERT_TRUE(stub_->GetTopProducts(&ctx, req, &got).ok());
        ExpectSame(ModelTop(shop, r, req.order_by(), req.limit()), got,
                   "top " + req.ShortDebugString());
      }
      {
        const Range r = RandomRange(true);
        v1::GetFunnelRequest req;
        req.set_shop_id(shop);
        if (r.from) *req.mutable_from() = *r.from;
        if (r.to) *req.mutable_to() = *r.to;
        v1::Funnel got;
        grpc::ClientContext ctx;
        ASSERT_TRUE(stub_->GetFunnel(&ctx, req, &got).ok());
        ExpectSame(ModelFunnel(shop, r), got,
                   "funnel " + req.ShortDebugString());
      }
      if (round % 5 == 0) CheckListEvents(shop);
    }
  }

  void CheckListEvents(const std::string& shop) {
    const Range r = RandomRange(true);
    v1::ListEventsRequest req;
    req.set_shop_id(shop);
    if (r.from) *req.mutable_from() = *r.from;
    if (r.to) *req.mutable_to() = *r.to;
    static const char* kTypes[] = {"", "page_view", "add_to_cart", "purchase"};
    req.set_event_type(kTypes[Uniform(0, 3)]);
    if (Chance(0.2)) req.set_product_id("a");
    if (Chance(0.2)) req.set_session_id(absl::StrCat("s", Uniform(0, 40)));
    req.set_page_size(Uniform(1, 400));
    std::vector<const Event*> want;
    for (const Event* e : Select(shop, r)) {
      if (!req.event_type().empty() && req.event_type() != kTypes[e->type])
        continue;
      if (!req.product_id().empty() && e->product != req.product_id()) continue;
      if (!req.session_id().empty() && e->session != req.session_id()) continue;
      want.push_back(e);
    }
    std::sort(want.begin(), want.end(), [](const Event* a, const Event* b) {
      return a->at != b->at ? a->at > b->at : a->id > b->id;
    });
    v1::ListEventsResponse page;
    size_t seen = 0;
    do {
      req.set_page_token(page.next_page_token());
      page.Clear();
      grpc::ClientContext ctx;
      ASSERT_TRUE(stub_->ListEvents(&ctx, req, &page).ok());
      ASSERT_LE(page.events_size(), req.page_size());
      for (const auto& got : page.events()) {
        ASSERT_LT(seen, want.size()) << req.ShortDebugString();
        const Event& e = *want[seen++];
        v1::StoredEventView expected;
        expected.set_event_id(e.id);
        expected.set_shop_id(e.shop);
        expected.set_event_type(kTypes[e.type]);
        *expected.mutable_timestamp() = Ts(e.at);
        if (e.product) expected.set_product_id(*e.product);
        if (e.session) expected.set_session_id(*e.session);
        if (e.cents) expected.set_order_amount(*e.cents / 100.0);
        v1::StoredEventView copy = got;
        EXPECT_TRUE(copy.has_received_at());
        copy.clear_received_at();
        ExpectSame(expected, copy, "event " + req.ShortDebugString());
      }
    } while (!page.next_page_token().empty());
    EXPECT_EQ(seen, want.size()) << req.ShortDebugString();
  }

  TestDatabase db_;
  PgConnectionPool pool_{db_.conninfo(), 4};
  RollupAnalytics queries_{&pool_};
  BlockingWorkPool work_{2, 64};
  AnalyticsService service_{&queries_, &work_};
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::AnalyticsService::Stub> stub_;
  std::mt19937 rng_;
  std::vector<Event> events_;
  int next_id_ = 0;
  int compared_ = 0;
  // Seventeen days around Europe's return to standard time (2025-10-26):
  // Paris repeats an hour; the other zones have half- and quarter-hour
  // offsets. Two whole weeks (from Mondays 2025-10-20 and 10-27) lie inside.
  const int64_t begin_ = absl::ToUnixMicros(absl::FromCivil(
      absl::CivilSecond(2025, 10, 17, 0, 0, 0), absl::UTCTimeZone()));
  const int64_t end_ = begin_ + 17 * kDay;
};

TEST_P(AnalyticsModelTest, EveryAnswerMatchesTheModel) {
  // Nothing folded yet: every answer comes from the raw tail.
  Store(1500);
  CheckEverything(30);
  FoldAll();
  // More events over the same span: half of them in the rollups, half in
  // the tail.
  Store(1500);
  CheckEverything(30);
  // All folded: rollup rows are updated, not only created.
  FoldAll();
  CheckEverything(30);
  EXPECT_GT(compared_, 400);
  rollups::RollupVerifier verifier(db_.conninfo());
  for (const char* shop : {"shop-1", "shop-2", "shop-3"}) {
    absl::StatusOr<rollups::VerifyReport> report =
        verifier.Verify(shop, std::nullopt, std::nullopt);
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(report->ok()) << shop;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, AnalyticsModelTest,
                         ::testing::Values(1u, 2u, 3u));

}  // namespace
}  // namespace shopstream
