#include "admin/rollup_admin.h"

#include <pqxx/pqxx>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rollups/rollup_folder.h"
#include "storage/schema_migrator.h"
#include "storage/test_database.h"

namespace shopstream::admin {
namespace {

using ::testing::HasSubstr;

class RollupAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SchemaMigrator().Apply(db_.conninfo()).ok());
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    tx.exec("SELECT create_event_partition('2025-10-01 00:00:00+00')");
    tx.exec(
        "INSERT INTO events (shop_id, event_id, event_type, occurred_at,"
        " append_xid) VALUES ('shop', 'e1', 1, '2025-10-02 10:00:00+00',"
        " pg_current_xact_id()::text::bigint)");
    tx.commit();
    rollups::FolderOptions options;
    options.conninfo = db_.conninfo();
    ASSERT_TRUE(rollups::RollupFolder(options).FoldOnce().ok());
  }

  int Run(const std::string& verb, const RollupCommandOptions& options) {
    out_.str("");
    err_.str("");
    return admin_.Run({"rollups", verb}, options, out_, err_);
  }
  void Exec(const std::string& sql) {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    tx.exec(sql);
    tx.commit();
  }

  TestDatabase db_;
  rollups::RollupVerifier verifier_{db_.conninfo()};
  RollupAdmin admin_{&verifier_};
  std::ostringstream out_, err_;
};

TEST_F(RollupAdminTest, VerifyExitsOneOnADifferenceAndRebuildMendsIt) {
  EXPECT_EQ(Run("verify", {.shop = "shop"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("no difference"));

  Exec("UPDATE shop_hour_rollup SET page_views = 9");
  EXPECT_EQ(Run("verify", {.shop = "shop", .from = "2025-10-01"}), 1)
      << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("shop_hour_rollup\t1\t1"));
  EXPECT_EQ(Run("rebuild", {.shop = "shop"}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("rebuilt: 1 table(s)"));
  EXPECT_EQ(Run("verify", {.shop = "shop"}), 0) << err_.str();
}

TEST_F(RollupAdminTest, BadUsageNamesTheFlag) {
  EXPECT_EQ(Run("verify", {}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--shop is required"));
  EXPECT_EQ(Run("verify", {.shop = "shop", .from = "yesterday"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--from: not a day"));
  EXPECT_EQ(Run("verify", {.shop = "shop", .to = "2025-10-02T12:00:00Z"}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--to: must be a whole UTC day"));
  EXPECT_EQ(admin_.Run({"rollups", "fix"}, {.shop = "shop"}, out_, err_), 2);
}

}  // namespace
}  // namespace shopstream::admin
