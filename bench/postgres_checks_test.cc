#include "bench/postgres_checks.h"

#include <pqxx/pqxx>

#include "gtest/gtest.h"
#include "storage/schema_migrator.h"
#include "storage/test_database.h"

namespace shopstream::bench {
namespace {

class PostgresChecksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SchemaMigrator().Apply(db_.conninfo()).ok());
  }

  TestDatabase db_;
};

TEST_F(PostgresChecksTest, TheCeilingsTableIsKeyedAndIndexedLikeTheStore) {
  PostgresChecks checks(db_.conninfo());
  ASSERT_TRUE(checks.CreateEventsLikeTable("ceiling").ok());
  pqxx::connection c(db_.conninfo());
  {
    pqxx::work tx(c);
    EXPECT_EQ(
        tx.exec1("SELECT string_agg(indexdef, '; ' ORDER BY indexdef)"
                 " ~ 'UNIQUE INDEX .* \\(shop_id, event_id\\)'"
                 " AND string_agg(indexdef, '; ') ~ 'btree \\(shop_id, "
                 "occurred_at\\)'"
                 " AND string_agg(indexdef, '; ') ~ 'brin \\(append_xid\\)'"
                 " FROM pg_indexes WHERE tablename = 'ceiling'")[0]
            .as<bool>(),
        true);
  }
  const std::string insert =
      "INSERT INTO ceiling (shop_id, event_id, event_type, occurred_at)"
      " VALUES ('s', 'e1', 1, now())";
  {
    pqxx::work tx(c);
    tx.exec0(insert);
    // Filled in as the processor fills it.
    EXPECT_FALSE(
        tx.exec1("SELECT append_xid IS NULL FROM ceiling")[0].as<bool>());
    tx.commit();
  }
  pqxx::work tx(c);
  EXPECT_THROW(tx.exec0(insert), pqxx::unique_violation);
}

}  // namespace
}  // namespace shopstream::bench
