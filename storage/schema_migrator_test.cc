#include "storage/schema_migrator.h"

#include <future>
#include <pqxx/pqxx>
#include <thread>

#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/test_database.h"

namespace shopstream {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(SchemaMigratorTest, AppliesEachMigrationOnceInNameOrder) {
  TestDatabase db;
  SchemaMigrator migrator({{"0002_b.sql", "ALTER TABLE t ADD COLUMN b int"},
                           {"0001_a.sql", "CREATE TABLE t (a int)"}});
  auto first = migrator.Apply(db.conninfo());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(*first, ElementsAre("0001_a.sql", "0002_b.sql"));
  auto second = migrator.Apply(db.conninfo());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_THAT(*second, IsEmpty());

  pqxx::connection conn(db.conninfo());
  pqxx::work tx(conn);
  EXPECT_EQ(tx.exec("SELECT count(*) FROM schema_migrations")[0][0].as<int>(),
            2);
  tx.exec("INSERT INTO t (a, b) VALUES (1, 2)");
}

TEST(SchemaMigratorTest, AFailingMigrationLeavesNothingBehind) {
  TestDatabase db;
  SchemaMigrator migrator(
      {{"0001_a.sql", "CREATE TABLE t (a int)"},
       {"0002_bad.sql", "ALTER TABLE missing ADD COLUMN b int"}});
  auto result = migrator.Apply(db.conninfo());
  EXPECT_FALSE(result.ok());
  pqxx::connection conn(db.conninfo());
  pqxx::work tx(conn);
  EXPECT_EQ(tx.exec("SELECT to_regclass('t') IS NULL")[0][0].as<bool>(), true);
}

TEST(SchemaMigratorTest, ConcurrentStartersApplyOnce) {
  TestDatabase db;
  std::vector<std::thread> threads;
  std::atomic<int> applied{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto r = SchemaMigrator().Apply(db.conninfo());
      ASSERT_TRUE(r.ok()) << r.status();
      applied += r->size();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(applied.load(), static_cast<int>(EmbeddedMigrations().size()));
}

TEST(SchemaMigratorTest, UnreachableServerIsUnavailable) {
  auto r = SchemaMigrator().Apply(
      "host=127.0.0.1 port=1 user=postgres dbname=none connect_timeout=2");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
}

TEST(SchemaMigratorTest, WaitsForAnUnreachableServerAsLongAsItsPatience) {
  // Each ten seconds the clock moves end a pause (they are shorter): the
  // migrator tries again, and pauses again.
  FakeClock clock;
  const SchemaMigrator migrator(EmbeddedMigrations(), clock);
  auto applied = std::async(std::launch::async, [&] {
    return migrator.ApplyWhenReachable(
        "host=127.0.0.1 port=1 user=postgres dbname=none connect_timeout=2",
        absl::Minutes(1));
  });
  for (int round = 1; round <= 5; ++round) {
    ASSERT_TRUE(clock.AdvanceRound(absl::Seconds(10)))
        << "gave up after " << round * 10 << " s";
  }
  ASSERT_TRUE(clock.AwaitWaiters(1));
  clock.Advance(absl::Seconds(10));
  ASSERT_EQ(applied.wait_for(std::chrono::seconds(30)),
            std::future_status::ready);
  EXPECT_EQ(applied.get().status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace shopstream
