#include "admin/key_admin.h"

#include <sstream>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "storage/schema_migrator.h"
#include "storage/test_database.h"

namespace shopstream::admin {
namespace {

class KeyAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SchemaMigrator().Apply(db_.conninfo()).ok());
  }

  int Run(const std::string& verb, const KeyCommandOptions& options) {
    out_.str("");
    err_.str("");
    return admin_.Run({"keys", verb}, options, out_, err_);
  }

  TestDatabase db_;
  PgConnectionPool pool_{db_.conninfo(), 1};
  auth::ApiKeyStore store_{&pool_};
  KeyAdmin admin_{&store_};
  std::ostringstream out_, err_;
};

TEST_F(KeyAdminTest, CreateListVerifyRevoke) {
  ASSERT_EQ(
      Run("create",
          {.shop = "shop-a", .scope = "write", .description = "checkout"}),
      0)
      << err_.str();
  const std::string key(absl::StripSuffix(out_.str(), "\n"));
  ASSERT_TRUE(auth::ParseApiKey(key).ok()) << key;
  const std::string key_id = auth::ParseApiKey(key)->key_id;

  ASSERT_EQ(Run("verify", {.key = key}), 0) << err_.str();
  EXPECT_EQ(out_.str(), key_id + "\tshop-a\twrite\n");

  ASSERT_EQ(Run("list", {}), 0);
  std::vector<std::string> lines =
      absl::StrSplit(out_.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1].rfind(key_id + "\tshop-a\twrite\t", 0), 0u) << lines[1];
  EXPECT_EQ(out_.str().find(auth::ParseApiKey(key)->secret), std::string::npos)
      << "list must not show secrets";
  // Another shop's list: the header alone.
  ASSERT_EQ(Run("list", {.shop = "other"}), 0);
  EXPECT_EQ(out_.str(), lines[0] + "\n");

  ASSERT_EQ(Run("revoke", {.key_id = key_id}), 0) << err_.str();
  EXPECT_EQ(Run("verify", {.key = key}), 1);
  EXPECT_NE(err_.str().find("revoked"), std::string::npos) << err_.str();
  EXPECT_EQ(Run("revoke", {.key_id = "ffffffffffffffff"}), 1);
}

TEST_F(KeyAdminTest, CollectKeysNameTheOriginsThatMayUseThem) {
  ASSERT_EQ(Run("create",
                {.shop = "shop-a",
                 .scope = "collect",
                 .origins = {"https://Shop.example", "http://localhost:8080"}}),
            0)
      << err_.str();
  const std::string key(absl::StripSuffix(out_.str(), "\n"));
  ASSERT_EQ(Run("verify", {.key = key}), 0) << err_.str();
  EXPECT_NE(out_.str().find("\tcollect"), std::string::npos) << out_.str();
  ASSERT_EQ(Run("list", {.shop = "shop-a"}), 0);
  EXPECT_NE(out_.str().find("\thttps://shop.example,http://localhost:8080\n"),
            std::string::npos)
      << out_.str();

  // A collect key needs origins, and only collect keys have any.
  EXPECT_EQ(Run("create", {.shop = "shop-a", .scope = "collect"}), 2);
  EXPECT_NE(err_.str().find("--origin: a collect key needs"), std::string::npos)
      << err_.str();
  EXPECT_EQ(Run("create", {.shop = "shop-a",
                           .scope = "write",
                           .origins = {"https://shop.example"}}),
            2);
  EXPECT_NE(err_.str().find("--origin: only collect keys"), std::string::npos);
  for (const char* bad : {"shop.example", "https://shop.example/cart",
                          "ftp://shop.example", "https://"}) {
    EXPECT_EQ(
        Run("create", {.shop = "shop-a", .scope = "collect", .origins = {bad}}),
        2)
        << bad;
    EXPECT_NE(err_.str().find("--origin: "), std::string::npos) << bad;
  }
}

TEST_F(KeyAdminTest, AdminKeysAreMadeLikeTheOthers) {
  ASSERT_EQ(Run("create", {.shop = "shop-a", .scope = "admin"}), 0)
      << err_.str();
  const std::string key(absl::StripSuffix(out_.str(), "\n"));
  ASSERT_EQ(Run("verify", {.key = key}), 0) << err_.str();
  EXPECT_EQ(out_.str(), auth::ParseApiKey(key)->key_id + "\tshop-a\tadmin\n");
  EXPECT_EQ(Run("create", {.shop = "shop-a",
                           .scope = "admin",
                           .origins = {"https://shop.example"}}),
            2);
}

TEST_F(KeyAdminTest, BadUsageNamesWhatIsWrong) {
  EXPECT_EQ(Run("create", {.scope = "write"}), 2);
  EXPECT_NE(err_.str().find("--shop"), std::string::npos);
  EXPECT_EQ(Run("create", {.shop = "a", .scope = "owner"}), 2);
  EXPECT_NE(err_.str().find("--scope: must be"), std::string::npos);
  EXPECT_EQ(Run("revoke", {}), 2);
  EXPECT_EQ(Run("frobnicate", {}), 2);
  EXPECT_EQ(admin_.Run({"keys"}, {}, out_, err_), 2);
  EXPECT_EQ(Run("verify", {.key = "not-a-key"}), 1);
}

}  // namespace
}  // namespace shopstream::admin
