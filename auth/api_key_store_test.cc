#include "auth/api_key_store.h"

#include <pqxx/pqxx>

#include "auth/api_key_verifier.h"
#include "gtest/gtest.h"
#include "storage/schema_migrator.h"
#include "storage/test_database.h"

namespace shopstream::auth {
namespace {

class ApiKeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SchemaMigrator().Apply(db_.conninfo()).ok());
  }

  TestDatabase db_;
  PgConnectionPool pool_{db_.conninfo(), 2};
  ApiKeyStore store_{&pool_};
};

TEST_F(ApiKeyStoreTest, CreatesListsFindsAndRevokes) {
  absl::StatusOr<CreatedApiKey> write =
      store_.Create("shop-a", Scope::kWrite, "checkout");
  ASSERT_TRUE(write.ok()) << write.status();
  absl::StatusOr<CreatedApiKey> read =
      store_.Create("shop-b", Scope::kRead, "");
  ASSERT_TRUE(read.ok()) << read.status();

  // Only the hash is stored, never the key or its secret.
  absl::StatusOr<ApiKeyParts> parts = ParseApiKey(write->text);
  ASSERT_TRUE(parts.ok());
  auto found = store_.Find(parts->key_id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->secret_sha256, HashSecret(parts->secret));
  EXPECT_EQ((*found)->shop_id, "shop-a");
  EXPECT_EQ((*found)->scope, Scope::kWrite);
  EXPECT_EQ((*found)->description, "checkout");
  EXPECT_FALSE((*found)->revoked_at.has_value());
  {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    EXPECT_EQ(tx.exec_params("SELECT count(*) FROM api_keys WHERE "
                             "secret_sha256 LIKE '%' || $1 || '%' OR "
                             "description LIKE '%' || $1 || '%'",
                             parts->secret)[0][0]
                  .as<int>(),
              0);
  }

  auto all = store_.List(std::nullopt);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
  auto shop_b = store_.List(std::string("shop-b"));
  ASSERT_TRUE(shop_b.ok());
  ASSERT_EQ(shop_b->size(), 1u);
  EXPECT_EQ((*shop_b)[0].key_id, read->record.key_id);

  ASSERT_TRUE(store_.Revoke(parts->key_id).ok());
  found = store_.Find(parts->key_id);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_TRUE((*found)->revoked_at.has_value());
  EXPECT_EQ(store_.Revoke("0000000000000000").code(),
            absl::StatusCode::kNotFound);
  EXPECT_FALSE(store_.Find("0000000000000000")->has_value());
}

TEST_F(ApiKeyStoreTest, ShopIdsAreStoredVerbatimAndChecked) {
  for (const std::string shop : {"o'brien", "shop\"; DROP TABLE api_keys; --",
                                 "магазин-🛒", "$1", "%_"}) {
    absl::StatusOr<CreatedApiKey> key = store_.Create(shop, Scope::kRead, shop);
    ASSERT_TRUE(key.ok()) << shop << ": " << key.status();
    auto listed = store_.List(shop);
    ASSERT_TRUE(listed.ok());
    ASSERT_EQ(listed->size(), 1u) << shop;
    EXPECT_EQ((*listed)[0].shop_id, shop);
    EXPECT_EQ((*listed)[0].description, shop);
  }
  EXPECT_EQ(store_.Create("", Scope::kRead, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      store_.Create(std::string(65, 'x'), Scope::kRead, "").status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_F(ApiKeyStoreTest, VerifierReadsTheStore) {
  absl::StatusOr<CreatedApiKey> key = store_.Create("shop-a", Scope::kRead, "");
  ASSERT_TRUE(key.ok());
  ApiKeyVerifier verifier(
      [this](const std::string& id) { return store_.Find(id); },
      {.cache_ttl = absl::ZeroDuration()});
  absl::StatusOr<Principal> principal = verifier.Verify(key->text);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->shop_id, "shop-a");
  ASSERT_TRUE(store_.Revoke(key->record.key_id).ok());
  EXPECT_EQ(verifier.Verify(key->text).status().code(),
            absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace shopstream::auth
