#include "storage/pg_connection_pool.h"

#include <pqxx/pqxx>
#include <thread>

#include "common/clock.h"
#include "gtest/gtest.h"
#include "storage/test_database.h"

namespace shopstream {
namespace {

TEST(PgConnectionPoolTest, RunsQueriesAndConvertsErrors) {
  TestDatabase db;
  PgConnectionPool pool(db.conninfo(), 2);
  int value = 0;
  ASSERT_TRUE(pool.Run([&](pqxx::connection& c) {
                    pqxx::work tx(c);
                    value = tx.exec("SELECT 41 + 1")[0][0].as<int>();
                  })
                  .ok());
  EXPECT_EQ(value, 42);
  absl::Status bad = pool.Run([](pqxx::connection& c) {
    pqxx::work tx(c);
    tx.exec("SELECT 1/0");
  });
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument) << bad;
  EXPECT_TRUE(pool.Run([](pqxx::connection& c) {
                    pqxx::work tx(c);
                    tx.exec("SELECT 1");
                  })
                  .ok());
}

// max_parallel_workers_per_gather on a connection of `pool`; empty when
// the call fails.
std::string ParallelWorkersSetting(PgConnectionPool& pool) {
  std::string value;
  EXPECT_TRUE(pool.Run([&](pqxx::connection& c) {
                    pqxx::work tx(c);
                    value = tx.exec1("SHOW max_parallel_workers_per_gather")[0]
                                .as<std::string>();
                  })
                  .ok());
  return value;
}

TEST(PgConnectionPoolTest, SessionSettingsHoldOnEveryNewConnection) {
  TestDatabase db;
  PgConnectionPool pool(db.conninfo(), 1,
                        "SET max_parallel_workers_per_gather = 0");
  EXPECT_EQ(ParallelWorkersSetting(pool), "0");
  // A replaced connection gets the settings again.
  ASSERT_TRUE(pool.Run([&](pqxx::connection& c) {
                    pqxx::connection admin(db.server_conninfo());
                    pqxx::work tx(admin);
                    tx.exec_params("SELECT pg_terminate_backend($1)",
                                   c.backendpid());
                    tx.commit();
                  })
                  .ok());
  EXPECT_FALSE(pool.Run([](pqxx::connection& c) {
                     pqxx::work tx(c);
                     tx.exec("SELECT 1");
                   })
                   .ok());
  EXPECT_EQ(ParallelWorkersSetting(pool), "0");
  PgConnectionPool plain(db.conninfo(), 1);
  const std::string default_value = ParallelWorkersSetting(plain);
  EXPECT_FALSE(default_value.empty());
  EXPECT_NE(default_value, "0");
}

TEST(PgConnectionPoolTest, RecoversAfterItsConnectionIsKilled) {
  TestDatabase db;
  PgConnectionPool pool(db.conninfo(), 1);
  int backend_pid = 0;
  ASSERT_TRUE(
      pool.Run([&](pqxx::connection& c) { backend_pid = c.backendpid(); })
          .ok());
  {
    pqxx::connection admin(db.server_conninfo());
    pqxx::work tx(admin);
    tx.exec_params("SELECT pg_terminate_backend($1)", backend_pid);
    tx.commit();
  }
  absl::Status broken = pool.Run([](pqxx::connection& c) {
    pqxx::work tx(c);
    tx.exec("SELECT 1");
  });
  EXPECT_EQ(broken.code(), absl::StatusCode::kUnavailable) << broken;
  int new_pid = 0;
  ASSERT_TRUE(pool.Run([&](pqxx::connection& c) {
                    pqxx::work tx(c);
                    new_pid =
                        tx.exec("SELECT pg_backend_pid()")[0][0].as<int>();
                  })
                  .ok());
  EXPECT_NE(new_pid, backend_pid);
}

TEST(PgConnectionPoolTest, BusyPoolAnswersResourceExhaustedOnceTheWaitIsOver) {
  TestDatabase db;
  FakeClock clock;
  PgConnectionPool pool(db.conninfo(), 1, "", clock);
  // The inner Run waits an hour of the clock for the connection the outer
  // one holds; this thread moves the clock that hour on while it waits.
  std::thread mover([&] {
    if (!clock.AwaitWaiters(1)) return;
    clock.Advance(absl::Minutes(59));
    if (clock.AwaitWaiters(1)) clock.Advance(absl::Minutes(1));
  });
  const absl::Time start = clock.Now();
  absl::Status inner;
  absl::Time answered_at;
  ASSERT_TRUE(pool.Run([&](pqxx::connection&) {
                    inner = pool.Run([](pqxx::connection&) {}, absl::Hours(1));
                    answered_at = clock.Now();
                  })
                  .ok());
  mover.join();
  EXPECT_EQ(inner.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(answered_at, start + absl::Hours(1));
}

}  // namespace
}  // namespace shopstream
