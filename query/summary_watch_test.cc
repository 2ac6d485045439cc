// WatchSummary against a real PostgreSQL: the processor's BatchWriter
// stores events and announces them, the CommitListener hears it, and a real
// gRPC client sees the pushes. Its limits: of the whole service, of one
// shop, and of one API key.
#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "auth/api_key.h"
#include "auth/api_key_verifier.h"
#include "auth/request_authorizer.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "processor/batch_writer.h"
#include "query/analytics_service.h"
#include "query/commit_listener.h"
#include "query/rollup_analytics.h"
#include "storage/schema_migrator.h"
#include "storage/test_database.h"

namespace shopstream {
namespace {

using internal::v1::StoredEvent;

// Generous: the pushes arrive within a fraction of this on an idle machine.
constexpr auto kDeadline = std::chrono::seconds(30);

class SummaryWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WatchOptions options;
    options.max_watchers = 3;
    options.max_watchers_per_shop = 2;
    options.min_interval = absl::Milliseconds(50);
    StartService(options);
  }

  // A null authorizer: authentication off.
  void StartService(const WatchOptions& options,
                    const auth::RequestAuthorizer* authorizer = nullptr,
                    const Clock& clock = Clock::Real()) {
    ASSERT_TRUE(SchemaMigrator().Apply(db_.conninfo()).ok());
    service_ = std::make_unique<AnalyticsService>(
        &queries_, &work_, options, authorizer, nullptr, nullptr, clock);
    listener_ = std::make_unique<CommitListener>(
        db_.conninfo(),
        [this](const std::vector<std::string>& shops) {
          service_->watchers().OnCommit(shops);
        },
        [this] { service_->watchers().OnGap(); });
    listener_->Start();
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::AnalyticsService::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                            grpc::InsecureChannelCredentials()));
    // Watchers only hear commits made after LISTEN is in effect.
    for (int i = 0; i < 300 && !listener_->listening(); ++i) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    ASSERT_TRUE(listener_->listening());
  }

  void TearDown() override {
    if (service_ != nullptr) service_->watchers().Stop();
    if (server_ != nullptr) server_->Shutdown();
    if (listener_ != nullptr) listener_->Stop();
  }

  void Store(const std::string& shop, const std::string& id) {
    StoredEvent e;
    e.set_shop_id(shop);
    e.set_event_id(id);
    e.set_event_type(internal::v1::PAGE_VIEW);
    e.set_occurred_at_micros(1759401000000000);
    e.set_product_id("p1");
    ASSERT_TRUE(writer_.Write({&e}).ok());
  }

  struct Watcher {
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReader<v1::Summary>> reader;
  };
  std::unique_ptr<Watcher> Watch(const std::string& shop,
                                 const std::string& key = "") {
    auto watcher = std::make_unique<Watcher>();
    watcher->context.set_deadline(std::chrono::system_clock::now() + kDeadline);
    if (!key.empty()) {
      watcher->context.AddMetadata(auth::kAuthorizationMetadata,
                                   "Bearer " + key);
    }
    v1::GetSummaryRequest request;
    request.set_shop_id(shop);
    watcher->reader = stub_->WatchSummary(&watcher->context, request);
    return watcher;
  }

  // Reads until a summary with `page_views` arrives; false on stream end.
  static bool ReadUntil(Watcher& watcher, int64_t page_views) {
    v1::Summary summary;
    while (watcher.reader->Read(&summary)) {
      if (summary.total_page_views() == page_views) return true;
    }
    return false;
  }

  bool WaitForWatchers(int count) {
    for (int i = 0; i < 500; ++i) {
      if (service_->watchers().size() == count) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

  TestDatabase db_;
  PgConnectionPool pool_{db_.conninfo(), 2};
  RollupAnalytics queries_{&pool_};
  BatchWriter writer_{db_.conninfo()};
  BlockingWorkPool work_{2, 64};
  std::unique_ptr<AnalyticsService> service_;
  std::unique_ptr<CommitListener> listener_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::AnalyticsService::Stub> stub_;
};

TEST_F(SummaryWatchTest, SendsTheSummaryAtOnceAndAgainAfterCommits) {
  Store("shop", "e1");
  auto watcher = Watch("shop");
  v1::Summary first;
  ASSERT_TRUE(watcher->reader->Read(&first));
  EXPECT_EQ(first.total_page_views(), 1);
  EXPECT_TRUE(first.has_as_of());

  Store("shop", "e2");
  EXPECT_TRUE(ReadUntil(*watcher, 2));
  Store("shop", "e3");
  EXPECT_TRUE(ReadUntil(*watcher, 3));
}

// Its own service, on a clock that moves only by hand.
class ClockedSummaryWatchTest : public SummaryWatchTest {
 protected:
  static constexpr absl::Duration kInterval = absl::Hours(1);

  void SetUp() override {
    WatchOptions options;
    options.min_interval = kInterval;
    StartService(options, nullptr, clock_);
  }

  FakeClock clock_;
};

TEST_F(ClockedSummaryWatchTest, CoalescesCommitsUntilTheIntervalHasPassed) {
  auto watcher = Watch("shop");
  v1::Summary summary;
  ASSERT_TRUE(watcher->reader->Read(&summary));
  EXPECT_EQ(summary.total_page_views(), 0);
  Store("shop", "e1");
  Store("shop", "e2");
  // The clock stands still: no push is due before it moves an interval on,
  // so the next push holds both commits.
  ASSERT_TRUE(clock_.AdvanceRound(kInterval));
  ASSERT_TRUE(watcher->reader->Read(&summary));
  EXPECT_EQ(summary.total_page_views(), 2);
}

TEST_F(SummaryWatchTest, AWatcherOfEveryShopHearsEachShop) {
  auto all = Watch("");
  auto other = Watch("other");
  v1::Summary summary;
  ASSERT_TRUE(all->reader->Read(&summary));
  EXPECT_EQ(summary.total_page_views(), 0);
  ASSERT_TRUE(other->reader->Read(&summary));
  Store("shop", "e1");
  EXPECT_TRUE(ReadUntil(*all, 1));
  Store("other", "e1");
  EXPECT_TRUE(ReadUntil(*all, 2));
  // The watcher of "other" was not pushed for "shop": its next message is
  // already the one for its own commit.
  ASSERT_TRUE(other->reader->Read(&summary));
  EXPECT_EQ(summary.total_page_views(), 1);
}

TEST_F(SummaryWatchTest, RefusesWatchersPastTheLimitsAndFreesSlotsOnCancel) {
  auto first = Watch("shop");
  auto second = Watch("shop");
  v1::Summary summary;
  ASSERT_TRUE(first->reader->Read(&summary));
  ASSERT_TRUE(second->reader->Read(&summary));

  // A third of one shop is past its share, though a slot is free.
  auto third = Watch("shop");
  EXPECT_FALSE(third->reader->Read(&summary));
  grpc::Status refused = third->reader->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(refused.error_message(),
            "at most 2 summary watchers of one shop at a time; try again "
            "later");
  // Another shop takes the free slot; then every slot is taken.
  auto other = Watch("other");
  ASSERT_TRUE(other->reader->Read(&summary));
  auto fourth = Watch("third-shop");
  EXPECT_FALSE(fourth->reader->Read(&summary));
  refused = fourth->reader->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(refused.error_message(),
            "at most 3 summary watchers at a time; try again later");

  // A cancelled stream frees its slot and its shop's share.
  first->context.TryCancel();
  EXPECT_FALSE(first->reader->Read(&summary));
  EXPECT_EQ(first->reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(WaitForWatchers(2));
  auto again = Watch("shop");
  EXPECT_TRUE(again->reader->Read(&summary));
}

// With authentication on, read keys held in memory instead of the store.
class KeyedSummaryWatchTest : public SummaryWatchTest {
 protected:
  void SetUp() override {
    WatchOptions options;  // the service's limits: 10 of a key, 100 of a shop
    options.min_interval = absl::Milliseconds(50);
    StartService(options, &authorizer_);
  }

  // A new read key of `shop`.
  std::string AddKey(const std::string& shop) {
    auth::NewApiKey key = auth::GenerateApiKey();
    auth::ApiKeyRecord record;
    record.key_id = key.parts.key_id;
    record.shop_id = shop;
    record.scope = auth::Scope::kRead;
    record.secret_sha256 = auth::HashSecret(key.parts.secret);
    absl::MutexLock lock(&keys_mu_);
    keys_[record.key_id] = record;
    return key.text;
  }

  absl::Mutex keys_mu_;
  std::map<std::string, auth::ApiKeyRecord> keys_ ABSL_GUARDED_BY(keys_mu_);
  auth::ApiKeyVerifier verifier_{
      [this](const std::string& key_id)
          -> absl::StatusOr<std::optional<auth::ApiKeyRecord>> {
        absl::MutexLock lock(&keys_mu_);
        auto it = keys_.find(key_id);
        if (it == keys_.end()) return std::nullopt;
        return it->second;
      },
      auth::VerifierOptions{}};
  auth::RequestAuthorizer authorizer_{&verifier_};
};

TEST_F(KeyedSummaryWatchTest, OneKeyHoldsAtMostItsShareOfTheShopsWatchers) {
  const std::string key_a = AddKey("shop");
  const std::string key_b = AddKey("shop");
  v1::Summary summary;
  std::vector<std::unique_ptr<Watcher>> of_a;
  for (int i = 0; i < 10; ++i) {
    of_a.push_back(Watch("shop", key_a));
    ASSERT_TRUE(of_a.back()->reader->Read(&summary)) << "watcher " << i + 1;
  }

  auto eleventh = Watch("shop", key_a);
  EXPECT_FALSE(eleventh->reader->Read(&summary));
  const grpc::Status refused = eleventh->reader->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(refused.error_message(),
            absl::StrCat("at most 10 summary watchers of API key ",
                         auth::ParseApiKey(key_a)->key_id,
                         " at a time; try again later"));
  // The shop has slots left, and another of its keys gets one.
  auto of_b = Watch("shop", key_b);
  EXPECT_TRUE(of_b->reader->Read(&summary));

  // A cancelled stream gives the key its slot back.
  of_a.front()->context.TryCancel();
  while (of_a.front()->reader->Read(&summary)) {
  }
  EXPECT_EQ(of_a.front()->reader->Finish().error_code(),
            grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(WaitForWatchers(10));
  auto again = Watch("shop", key_a);
  EXPECT_TRUE(again->reader->Read(&summary));
}

TEST_F(SummaryWatchTest, RefusesABadRangeNamingTheField) {
  grpc::ClientContext context;
  v1::GetSummaryRequest request;
  request.mutable_from()->set_seconds(200);
  request.mutable_to()->set_seconds(100);
  auto reader = stub_->WatchSummary(&context, request);
  v1::Summary summary;
  EXPECT_FALSE(reader->Read(&summary));
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "to: must not be before from");
  EXPECT_TRUE(WaitForWatchers(0));
}

TEST_F(SummaryWatchTest, KeepsPushingAfterTheListenConnectionIsKilled) {
  auto watcher = Watch("shop");
  ASSERT_TRUE(ReadUntil(*watcher, 0));
  {
    pqxx::connection admin(db_.conninfo());
    pqxx::work tx(admin);
    const pqxx::result killed = tx.exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND query LIKE 'LISTEN%'");
    ASSERT_EQ(killed.size(), 1u);
    tx.commit();
  }
  for (int i = 0; i < 500 && listener_->connections_opened() < 2; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(listener_->connections_opened(), 2);
  Store("shop", "e1");
  EXPECT_TRUE(ReadUntil(*watcher, 1));
}

TEST_F(SummaryWatchTest, StopEndsStreamsAsUnavailable) {
  auto watcher = Watch("shop");
  ASSERT_TRUE(ReadUntil(*watcher, 0));
  service_->watchers().Stop();
  v1::Summary summary;
  while (watcher->reader->Read(&summary)) {
  }
  EXPECT_EQ(watcher->reader->Finish().error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(service_->watchers().size(), 0);
  auto late = Watch("shop");
  EXPECT_FALSE(late->reader->Read(&summary));
  EXPECT_EQ(late->reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace shopstream
