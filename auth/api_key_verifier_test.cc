#include "auth/api_key_verifier.h"

#include <string>
#include <vector>

#include "auth/request_authorizer.h"
#include "common/grpc_status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shopstream::auth {
namespace {

// Keys held in memory instead of PostgreSQL, counting lookups, with a clock
// the test moves.
class KeyTable {
 public:
  std::string Add(const std::string& shop, Scope scope) {
    NewApiKey key = GenerateApiKey();
    ApiKeyRecord record;
    record.key_id = key.parts.key_id;
    record.shop_id = shop;
    record.scope = scope;
    record.secret_sha256 = HashSecret(key.parts.secret);
    records_[record.key_id] = record;
    return key.text;
  }
  void Revoke(const std::string& key_text) {
    records_[ParseApiKey(key_text)->key_id].revoked_at = now;
  }
  ApiKeyVerifier::Lookup lookup() {
    return [this](const std::string& key_id)
               -> absl::StatusOr<std::optional<ApiKeyRecord>> {
      ++lookups;
      if (!reachable) return absl::UnavailableError("store down");
      auto it = records_.find(key_id);
      if (it == records_.end()) return std::nullopt;
      return it->second;
    };
  }
  ApiKeyVerifier::Clock clock() {
    return [this] { return now; };
  }

  int lookups = 0;
  bool reachable = true;
  absl::Time now = absl::FromUnixSeconds(1700000000);

 private:
  std::map<std::string, ApiKeyRecord> records_;
};

TEST(ApiKeyTest, GeneratedKeysParseAndDiffer) {
  NewApiKey a = GenerateApiKey();
  NewApiKey b = GenerateApiKey();
  EXPECT_NE(a.text, b.text);
  absl::StatusOr<ApiKeyParts> parts = ParseApiKey(a.text);
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->key_id, a.parts.key_id);
  EXPECT_EQ(parts->secret, a.parts.secret);
  for (const char* bad : {"", "ssk_", "ssk_abc_def", "Bearer x",
                          "ssk_0123456789abcdef_short", "' OR 1=1 --"}) {
    EXPECT_EQ(ParseApiKey(bad).status().code(),
              absl::StatusCode::kUnauthenticated)
        << bad;
  }
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
}

TEST(ApiKeyVerifierTest, VerifiesAndCachesWithinTheTtl) {
  KeyTable table;
  const std::string key = table.Add("shop-a", Scope::kWrite);
  ApiKeyVerifier verifier(table.lookup(), {.cache_ttl = absl::Seconds(10)},
                          table.clock());
  for (int i = 0; i < 100; ++i) {
    absl::StatusOr<Principal> principal = verifier.Verify(key);
    ASSERT_TRUE(principal.ok()) << principal.status();
    EXPECT_EQ(principal->shop_id, "shop-a");
    EXPECT_EQ(principal->scope, Scope::kWrite);
  }
  EXPECT_EQ(table.lookups, 1);
}

TEST(ApiKeyVerifierTest, WrongSecretOfAKnownKeyIdIsRefused) {
  KeyTable table;
  const std::string key = table.Add("shop-a", Scope::kRead);
  std::string forged = key;
  forged.back() = forged.back() == '0' ? '1' : '0';
  ApiKeyVerifier verifier(table.lookup(), {}, table.clock());
  EXPECT_EQ(verifier.Verify(forged).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(verifier.Verify(key).ok());
}

TEST(ApiKeyVerifierTest, RevocationAppliesOnceTheTtlHasPassed) {
  KeyTable table;
  const std::string key = table.Add("shop-a", Scope::kWrite);
  ApiKeyVerifier verifier(table.lookup(), {.cache_ttl = absl::Seconds(10)},
                          table.clock());
  ASSERT_TRUE(verifier.Verify(key).ok());
  table.Revoke(key);
  table.now += absl::Seconds(9);
  EXPECT_TRUE(verifier.Verify(key).ok()) << "still within the TTL";
  table.now += absl::Seconds(2);
  absl::StatusOr<Principal> revoked = verifier.Verify(key);
  EXPECT_EQ(revoked.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(revoked.status().message().find("revoked"), std::string::npos);
}

TEST(ApiKeyVerifierTest, UnknownKeysAreCachedAndStoreFailuresAreNot) {
  KeyTable table;
  ApiKeyVerifier verifier(table.lookup(), {}, table.clock());
  const std::string unknown = GenerateApiKey().text;
  EXPECT_EQ(verifier.Verify(unknown).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(verifier.Verify(unknown).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(table.lookups, 1);

  table.reachable = false;
  const std::string other = table.Add("shop-b", Scope::kRead);
  EXPECT_EQ(verifier.Verify(other).status().code(),
            absl::StatusCode::kUnavailable);
  table.reachable = true;
  EXPECT_TRUE(verifier.Verify(other).ok());
}

TEST(ApiKeyVerifierTest, CacheStaysBounded) {
  KeyTable table;
  ApiKeyVerifier verifier(table.lookup(), {.max_cache_entries = 10},
                          table.clock());
  std::vector<std::string> keys;
  for (int i = 0; i < 100; ++i) {
    keys.push_back(GenerateApiKey().text);
    (void)verifier.Verify(keys.back());
  }
  EXPECT_EQ(table.lookups, 100);
  // The latest key is still cached; the first one did not stay beyond the
  // bound, so repeating it asks again.
  (void)verifier.Verify(keys.back());
  EXPECT_EQ(table.lookups, 100);
  (void)verifier.Verify(keys.front());
  EXPECT_EQ(table.lookups, 101);
}

TEST(ApiKeyVerifierTest, ARequestLargerThanTheBucketPassesAndIsPaidFor) {
  KeyTable table;
  const std::string key = table.Add("shop-a", Scope::kWrite);
  ApiKeyVerifier verifier(table.lookup(), {.rate_per_second = 10},
                          table.clock());
  Principal principal = *verifier.Verify(key);
  // A batch of 1,000 events against a bucket of 10: it passes once the
  // bucket is full, and the next 99 seconds pay for it.
  ASSERT_TRUE(verifier.Charge(principal, 1000).ok());
  table.now += absl::Seconds(98);
  absl::Status refused = verifier.Charge(principal, 1);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(refused.message()),
              ::testing::HasSubstr("retry in 2 s"));
  // The exact wait travels as a RetryInfo for clients and the gateway.
  ASSERT_TRUE(RetryDelayOf(refused).has_value());
  EXPECT_NEAR(absl::ToDoubleSeconds(*RetryDelayOf(refused)), 1.1, 1e-6);
  table.now += absl::Seconds(2);
  EXPECT_TRUE(verifier.Charge(principal, 1).ok());
  EXPECT_FALSE(verifier.Charge(principal, 1000).ok())
      << "the bucket is not full";
}

TEST(ApiKeyVerifierTest, TokenBucketRefusesBeyondTheBurstAndRefills) {
  KeyTable table;
  const std::string key = table.Add("shop-a", Scope::kWrite);
  ApiKeyVerifier verifier(table.lookup(), {.rate_per_second = 10, .burst = 20},
                          table.clock());
  Principal principal = *verifier.Verify(key);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(verifier.Charge(principal, 1).ok()) << i;
  }
  absl::Status refused = verifier.Charge(principal, 1);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  table.now += absl::Milliseconds(500);  // five tokens back
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(verifier.Charge(principal, 1).ok());
  EXPECT_FALSE(verifier.Charge(principal, 1).ok());
  // Another key has a bucket of its own.
  Principal other = *verifier.Verify(table.Add("shop-a", Scope::kWrite));
  EXPECT_TRUE(verifier.Charge(other, 1).ok());
}

TEST(RequestAuthorizerTest, ShopComesFromTheKey) {
  KeyTable table;
  const std::string write_a = table.Add("shop-a", Scope::kWrite);
  const std::string read_a = table.Add("shop-a", Scope::kRead);
  ApiKeyVerifier verifier(table.lookup(), {}, table.clock());
  RequestAuthorizer authorizer(&verifier);
  auto bearer = [](const std::string& key) {
    return std::optional<std::string>("Bearer " + key);
  };

  EXPECT_EQ(*authorizer.Authorize(bearer(write_a), Scope::kWrite, ""),
            "shop-a");
  EXPECT_EQ(*authorizer.Authorize(bearer(write_a), Scope::kWrite, "shop-a"),
            "shop-a");
  EXPECT_EQ(*authorizer.Authorize("bearer  " + read_a, Scope::kRead, ""),
            "shop-a");
  EXPECT_EQ(authorizer.Authorize(bearer(write_a), Scope::kWrite, "shop-b")
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(
      authorizer.Authorize(bearer(read_a), Scope::kWrite, "").status().code(),
      absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(
      authorizer.Authorize(std::nullopt, Scope::kRead, "").status().code(),
      absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(authorizer.Authorize(read_a, Scope::kRead, "").status().code(),
            absl::StatusCode::kUnauthenticated)
      << "a key without Bearer";

  RequestAuthorizer off(nullptr);
  EXPECT_EQ(*off.Authorize(std::nullopt, Scope::kWrite, "anything"),
            "anything");
}

}  // namespace
}  // namespace shopstream::auth
