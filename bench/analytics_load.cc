#include "bench/analytics_load.h"

#include <array>
#include <atomic>
#include <optional>
#include <pqxx/pqxx>
#include <random>
#include <thread>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "processor/batch_writer.h"
#include "rollups/rollup_folder.h"
#include "storage/pg_status.h"

namespace shopstream::bench {
namespace {

std::optional<std::string> NullIfEmpty(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

// What the processor did before rollups: COPY into staging, one INSERT ...
// ON CONFLICT DO NOTHING RETURNING, commit. Kept here only to measure what
// rollup maintenance costs.
class WriterWithoutRollups {
 public:
  explicit WriterWithoutRollups(const std::string& conninfo) : conn_(conninfo) {
    pqxx::nontransaction tx(conn_);
    tx.exec(
        "CREATE TEMP TABLE staging_events ("
        " shop_id text, event_id text, event_type smallint,"
        " occurred_at_micros bigint, product_id text, session_id text,"
        " order_amount_cents bigint) ON COMMIT DELETE ROWS");
  }

  void Write(const std::vector<internal::v1::StoredEvent>& events) {
    pqxx::work tx(conn_);
    {
      pqxx::stream_to copy(
          tx, "staging_events",
          std::vector<std::string>{"shop_id", "event_id", "event_type",
                                   "occurred_at_micros", "product_id",
                                   "session_id", "order_amount_cents"});
      for (const auto& e : events) {
        std::optional<int64_t> cents;
        if (e.has_order_amount_cents()) cents = e.order_amount_cents();
        copy << std::make_tuple(
            e.shop_id(), e.event_id(), static_cast<int>(e.event_type()),
            e.occurred_at_micros(), NullIfEmpty(e.product_id()),
            NullIfEmpty(e.session_id()), cents);
      }
      copy.complete();
    }
    tx.exec(
        "INSERT INTO events (shop_id, event_id, event_type, occurred_at,"
        " product_id, session_id, order_amount_cents)"
        " SELECT shop_id, event_id, event_type,"
        " 'epoch'::timestamptz + occurred_at_micros * interval '1 microsecond',"
        " product_id, session_id, order_amount_cents FROM staging_events"
        " ON CONFLICT (shop_id, event_id) DO NOTHING"
        " RETURNING shop_id, event_id");
    tx.commit();
  }

 private:
  pqxx::connection conn_;
};

// Picks from `weights` (a discrete distribution over the values' indexes).
template <size_t N>
const char* Weighted(const std::array<std::pair<const char*, int>, N>& values,
                     uint64_t roll) {
  int total = 0;
  for (const auto& [value, weight] : values) total += weight;
  int at = static_cast<int>(roll % static_cast<uint64_t>(total));
  for (const auto& [value, weight] : values) {
    if (at < weight) return value;
    at -= weight;
  }
  return values.back().first;
}

// A skewed pick among `n`: the square of a uniform draw, as for products.
int Skewed(uint64_t roll, int n) {
  const double u = static_cast<double>(roll % 1000003) / 1000003.0;
  return static_cast<int>(u * u * n);
}

// How a session arrived and on what: one draw per session, so all its
// events agree, with the skew of real traffic (most visits direct or from
// a search engine, few campaigns, mostly phones and Chrome).
void SetSessionContext(int64_t session, int stage,
                       internal::v1::StoredEvent& e) {
  std::mt19937_64 random(static_cast<uint64_t>(session) * 7919 + stage);
  constexpr std::array<std::pair<const char*, int>, 6> kReferrers = {{
      {"", 40},
      {"google.com", 30},
      {"facebook.com", 8},
      {"instagram.com", 5},
      {"bing.com", 3},
      {"*", 14},  // a long tail of sites
  }};
  const std::string referrer = Weighted(kReferrers, random());
  e.set_referrer_host(
      referrer == "*" ? absl::StrCat("site-", Skewed(random(), 300), ".example")
                      : referrer);
  constexpr std::array<std::pair<const char*, int>, 5> kSources = {{
      {"", 70},
      {"google", 12},
      {"newsletter", 8},
      {"facebook", 6},
      {"*", 4},
  }};
  const std::string source = Weighted(kSources, random());
  if (!source.empty()) {
    const bool partner = source == "*";
    e.set_utm_source(partner ? absl::StrCat("partner-", Skewed(random(), 50))
                             : source);
    e.set_utm_medium(source == "newsletter" ? "email"
                     : source == "google"   ? "cpc"
                     : partner              ? "referral"
                                            : "social");
    e.set_utm_campaign(absl::StrCat("campaign-", Skewed(random(), 100)));
  }
  constexpr std::array<std::pair<const char*, int>, 3> kDevices = {
      {{"mobile", 55}, {"desktop", 38}, {"tablet", 7}}};
  e.set_device_class(Weighted(kDevices, random()));
  constexpr std::array<std::pair<const char*, int>, 5> kBrowsers = {
      {{"Chrome", 60},
       {"Safari", 25},
       {"Firefox", 7},
       {"Edge", 5},
       {"Samsung Internet", 3}}};
  e.set_browser(Weighted(kBrowsers, random()));
  constexpr std::array<std::pair<const char*, int>, 5> kSystems = {
      {{"Android", 40},
       {"iOS", 30},
       {"Windows", 20},
       {"Mac OS X", 7},
       {"Linux", 3}}};
  e.set_os(Weighted(kSystems, random()));
}

// The page an event happened on: mostly its product's page, else the home
// page, the cart or one of a few category pages.
std::string PageOf(const internal::v1::StoredEvent& e, uint64_t roll) {
  const int kind = static_cast<int>(roll % 100);
  if (kind < 60) return absl::StrCat("/products/", e.product_id());
  if (kind < 75) return "/";
  if (kind < 85) return "/cart";
  return absl::StrCat("/category/c", Skewed(roll / 100, 40));
}

}  // namespace

std::vector<internal::v1::StoredEvent> MakeAnalyticsBatch(
    const AnalyticsDataShape& shape, int stage, int64_t total,
    int64_t batch_events, int64_t batch) {
  std::mt19937_64 random(static_cast<uint64_t>(stage) * 1000003 + batch);
  const int64_t begin = absl::ToUnixMicros(shape.end - shape.span);
  const int64_t span = absl::ToInt64Microseconds(shape.span);
  const int64_t jitter = 5 * 60 * 1000000LL;
  std::uniform_int_distribution<int> percent(0, 99);
  std::uniform_int_distribution<int64_t> shift(-jitter, jitter);
  std::uniform_int_distribution<int64_t> cents(100, 50000);
  // Popular products get most views: the square of a uniform draw.
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<internal::v1::StoredEvent> events;
  const int64_t first = batch * batch_events;
  const int64_t last = std::min(total, first + batch_events);
  for (int64_t i = first; i < last; ++i) {
    internal::v1::StoredEvent e;
    // A session's events follow each other, all in one shop.
    const int64_t session = i / std::max(1, shape.events_per_session);
    const int shop_roll = static_cast<int>((session * 2654435761u) % 100);
    const int shop = shop_roll < shape.main_shop_percent
                         ? 0
                         : 1 + shop_roll % std::max(1, shape.shops - 1);
    e.set_shop_id(absl::StrCat("shop-", shop));
    e.set_event_id(absl::StrFormat("s%d-%012d", stage, i));
    const int type_roll = percent(random);
    e.set_event_type(type_roll < 70   ? internal::v1::PAGE_VIEW
                     : type_roll < 90 ? internal::v1::ADD_TO_CART
                                      : internal::v1::PURCHASE);
    const int64_t at =
        begin +
        static_cast<int64_t>((static_cast<double>(i) + 0.5) / total * span) +
        shift(random);
    e.set_occurred_at_micros(std::clamp(at, begin, begin + span - 1));
    const double u = unit(random);
    e.set_product_id(
        absl::StrCat("prod-", static_cast<int>(u * u * shape.products)));
    e.set_session_id(absl::StrCat("sess-", stage, "-", session));
    SetSessionContext(session, stage, e);
    e.set_page(PageOf(e, random()));
    if (e.event_type() == internal::v1::PURCHASE)
      e.set_order_amount_cents(cents(random));
    events.push_back(std::move(e));
  }
  return events;
}

absl::StatusOr<LoadResult> LoadAnalyticsEvents(const std::string& conninfo,
                                               const AnalyticsDataShape& shape,
                                               int stage, int64_t total,
                                               int64_t batch_events,
                                               int writers, WritePath path) {
  const int64_t batches = (total + batch_events - 1) / batch_events;
  std::atomic<int64_t> next_batch = 0;
  absl::Mutex mu;
  absl::Status failure;
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&] {
      auto fail = [&](const absl::Status& status) {
        absl::MutexLock lock(&mu);
        if (failure.ok()) failure = status;
        next_batch = batches;
      };
      std::unique_ptr<BatchWriter> writer;
      std::unique_ptr<WriterWithoutRollups> plain;
      if (path == WritePath::kBatchWriter) {
        writer = std::make_unique<BatchWriter>(conninfo);
      } else {
        absl::Status opened = RunPgVoid(
            [&] { plain = std::make_unique<WriterWithoutRollups>(conninfo); });
        if (!opened.ok()) return fail(opened);
      }
      for (int64_t b = next_batch++; b < batches; b = next_batch++) {
        const auto events =
            MakeAnalyticsBatch(shape, stage, total, batch_events, b);
        absl::Status status;
        if (writer != nullptr) {
          std::vector<const internal::v1::StoredEvent*> pointers;
          for (const auto& e : events) pointers.push_back(&e);
          // The processor retries transient errors (a deadlock, say) the
          // same way.
          for (int attempt = 0; attempt < 5; ++attempt) {
            status = writer->Write(pointers).status();
            if (!IsTransientPgStatus(status)) break;
          }
        } else {
          status = RunPgVoid([&] { plain->Write(events); });
        }
        if (!status.ok()) return fail(status);
      }
    });
  }
  for (auto& t : threads) t.join();
  if (!failure.ok()) return failure;
  const absl::Time appended = absl::Now();
  if (path == WritePath::kBatchWriter) {
    // The rollups are part of the load: fold everything appended.
    rollups::RollupFolder folder({.conninfo = conninfo});
    while (true) {
      absl::StatusOr<rollups::FoldResult> folded = folder.FoldOnce();
      if (!folded.ok()) return folded.status();
      if (!folded->more && folded->events == 0) break;
    }
  }
  const absl::Time end = absl::Now();
  return LoadResult{total, absl::ToDoubleSeconds(end - start),
                    absl::ToDoubleSeconds(end - appended)};
}

}  // namespace shopstream::bench
