#include "auth/api_key_verifier.h"

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "auth/request_authorizer.h"
#include "common/grpc_status.h"
#include "common/metrics.h"
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
      if (before_lookup) before_lookup(key_id);
      if (!reachable) return absl::UnavailableError("store down");
      auto it = records_.find(key_id);
      if (it == records_.end()) return std::nullopt;
      return it->second;
    };
  }
  ApiKeyVerifier::Clock clock() {
    return [this] { return now; };
  }

  std::atomic<int> lookups = 0;
  bool reachable = true;
  // Runs in each lookup (on the verifying thread): a test holds lookups
  // open with it.
  std::function<void(const std::string& key_id)> before_lookup;
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

TEST(ApiKeyVerifierTest, VerifyIdFindsAKeyByIdUntilItIsRevoked) {
  KeyTable table;
  const std::string key = table.Add("shop-a", Scope::kRead);
  ApiKeyVerifier verifier(table.lookup(), {.cache_ttl = absl::Seconds(10)},
                          table.clock());
  const std::string key_id = ParseApiKey(key)->key_id;
  absl::StatusOr<Principal> found = verifier.VerifyId(key_id);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->shop_id, "shop-a");
  EXPECT_EQ(found->scope, Scope::kRead);
  EXPECT_EQ(verifier.VerifyId(GenerateApiKey().parts.key_id).status().code(),
            absl::StatusCode::kUnauthenticated);

  table.Revoke(key);
  table.now += absl::Seconds(11);
  absl::StatusOr<Principal> revoked = verifier.VerifyId(key_id);
  EXPECT_EQ(revoked.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(revoked.status().message(), ::testing::HasSubstr("revoked"));
}

TEST(ApiKeyVerifierTest, UnknownKeysAreCachedAndStoreFailuresAreNot) {
  KeyTable table;
  ApiKeyVerifier verifier(table.lookup(), {}, table.clock());
  const double unknown_before = ApiKeyLookups(KeyLookup::kUnknown).Value();
  const double failed_before = ApiKeyLookups(KeyLookup::kFailed).Value();
  const double found_before = ApiKeyLookups(KeyLookup::kFound).Value();
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
  // Each lookup is counted by its result; cached answers are not lookups.
  EXPECT_EQ(ApiKeyLookups(KeyLookup::kUnknown).Value(), unknown_before + 1);
  EXPECT_EQ(ApiKeyLookups(KeyLookup::kFailed).Value(), failed_before + 1);
  EXPECT_EQ(ApiKeyLookups(KeyLookup::kFound).Value(), found_before + 1);
}

TEST(ApiKeyVerifierTest, UnknownIdsStayBoundedAndNeverDisplaceKnownKeys) {
  KeyTable table;
  const std::string known = table.Add("shop-a", Scope::kWrite);
  ApiKeyVerifier verifier(table.lookup(), {.max_unknown_entries = 10},
                          table.clock());
  ASSERT_TRUE(verifier.Verify(known).ok());
  std::vector<std::string> made_up;
  for (int i = 0; i < 100; ++i) {
    made_up.push_back(GenerateApiKey().text);
    EXPECT_EQ(verifier.Verify(made_up.back()).status().code(),
              absl::StatusCode::kUnauthenticated);
  }
  EXPECT_EQ(table.lookups, 101);
  // The latest unknown id is still remembered; the first one did not stay
  // beyond the bound, so repeating it asks again.
  (void)verifier.Verify(made_up.back());
  EXPECT_EQ(table.lookups, 101);
  (void)verifier.Verify(made_up.front());
  EXPECT_EQ(table.lookups, 102);
  // The real key is still cached.
  EXPECT_TRUE(verifier.Verify(known).ok());
  EXPECT_EQ(table.lookups, 102);
}

TEST(ApiKeyVerifierTest, KnownKeysStayBounded) {
  KeyTable table;
  ApiKeyVerifier verifier(table.lookup(), {.max_cache_entries = 10},
                          table.clock());
  std::vector<std::string> keys;
  for (int i = 0; i < 30; ++i) {
    keys.push_back(table.Add("shop-a", Scope::kRead));
    ASSERT_TRUE(verifier.Verify(keys.back()).ok());
  }
  EXPECT_EQ(table.lookups, 30);
  ASSERT_TRUE(verifier.Verify(keys.back()).ok());
  EXPECT_EQ(table.lookups, 30);
  ASSERT_TRUE(verifier.Verify(keys.front()).ok());
  EXPECT_EQ(table.lookups, 31);
}

TEST(ApiKeyVerifierTest, CallersOfOneKeyShareOneLookup) {
  KeyTable table;
  const std::string key = table.Add("shop-a", Scope::kWrite);
  absl::Notification release;
  table.before_lookup = [&](const std::string&) {
    release.WaitForNotification();
  };
  ApiKeyVerifier verifier(table.lookup(), {}, table.clock());
  std::atomic<int> verified = 0;
  std::vector<std::thread> callers;
  for (int i = 0; i < 8; ++i) {
    callers.emplace_back([&] {
      if (verifier.Verify(key).ok()) ++verified;
    });
  }
  // Let the callers pile up behind the first lookup.
  absl::SleepFor(absl::Milliseconds(100));
  release.Notify();
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(verified, 8);
  EXPECT_EQ(table.lookups, 1);
}

TEST(ApiKeyVerifierTest, MadeUpIdsCannotHoldEveryLookup) {
  KeyTable table;
  const std::string known = table.Add("shop-a", Scope::kWrite);
  ApiKeyVerifier verifier(
      table.lookup(),
      {.cache_ttl = absl::Seconds(10), .max_unknown_lookups = 2},
      table.clock());
  ASSERT_TRUE(verifier.Verify(known).ok());
  const std::string known_id = ParseApiKey(known)->key_id;

  // Two lookups of made-up ids hang, as on a slow store.
  absl::Notification release;
  std::atomic<int> held = 0;
  table.before_lookup = [&](const std::string& key_id) {
    if (key_id == known_id) return;
    ++held;
    // Bounded, so that a verifier that lets a third one through fails the
    // test instead of hanging it.
    release.WaitForNotificationWithTimeout(absl::Seconds(10));
  };
  std::vector<std::thread> hanging;
  for (int i = 0; i < 2; ++i) {
    hanging.emplace_back([&] { (void)verifier.Verify(GenerateApiKey().text); });
  }
  for (int i = 0; i < 500 && held < 2; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(held, 2);

  // A third made-up id is refused at once, with when to retry, and counted.
  const double refused_before = ApiKeyLookups(KeyLookup::kRefused).Value();
  absl::StatusOr<Principal> refused = verifier.Verify(GenerateApiKey().text);
  EXPECT_EQ(ApiKeyLookups(KeyLookup::kRefused).Value(), refused_before + 1);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(refused.status().message()),
              ::testing::HasSubstr("retry in 1 s"));
  EXPECT_EQ(RetryDelayOf(refused.status()), absl::Seconds(1));
  // The known key's cached answer expires; its lookup still goes through.
  table.now += absl::Seconds(11);
  const int before = table.lookups;
  EXPECT_TRUE(verifier.Verify(known).ok());
  EXPECT_EQ(table.lookups, before + 1);

  release.Notify();
  for (std::thread& t : hanging) t.join();
  // The slots are free again.
  EXPECT_EQ(verifier.Verify(GenerateApiKey().text).status().code(),
            absl::StatusCode::kUnauthenticated);
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

// Admin reads what read reads and runs admin calls; nothing else does
// either, and admin writes nothing.
TEST(RequestAuthorizerTest, AdminReadsAndAdministersButWritesNothing) {
  for (Scope scope :
       {Scope::kWrite, Scope::kRead, Scope::kCollect, Scope::kAdmin}) {
    EXPECT_EQ(*ParseScope(ScopeName(scope)), scope);
  }
  KeyTable table;
  const std::map<Scope, std::string> keys = {
      {Scope::kWrite, table.Add("shop-a", Scope::kWrite)},
      {Scope::kRead, table.Add("shop-a", Scope::kRead)},
      {Scope::kCollect, table.Add("shop-a", Scope::kCollect)},
      {Scope::kAdmin, table.Add("shop-a", Scope::kAdmin)}};
  ApiKeyVerifier verifier(table.lookup(), {}, table.clock());
  RequestAuthorizer authorizer(&verifier);
  for (const auto& [held, key] : keys) {
    for (Scope needed :
         {Scope::kWrite, Scope::kRead, Scope::kCollect, Scope::kAdmin}) {
      const bool allowed =
          held == needed || (held == Scope::kAdmin && needed == Scope::kRead);
      SCOPED_TRACE(absl::StrCat(ScopeName(held), " for ", ScopeName(needed)));
      EXPECT_EQ(ScopeAllows(held, needed), allowed);
      absl::StatusOr<Caller> caller =
          authorizer.AuthorizeCaller("Bearer " + key, needed, "shop-a");
      EXPECT_EQ(
          caller.status().code(),
          allowed ? absl::StatusCode::kOk : absl::StatusCode::kPermissionDenied)
          << caller.status();
    }
  }
  EXPECT_EQ(authorizer
                .AuthorizeCaller("Bearer " + keys.at(Scope::kAdmin),
                                 Scope::kAdmin, "shop-b")
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(RequestAuthorizerTest, CallerNamesTheKeyUsed) {
  KeyTable table;
  const std::string read_a = table.Add("shop-a", Scope::kRead);
  ApiKeyVerifier verifier(table.lookup(), {}, table.clock());
  RequestAuthorizer authorizer(&verifier);

  absl::StatusOr<Caller> caller =
      authorizer.AuthorizeCaller("Bearer " + read_a, Scope::kRead, "");
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->shop_id, "shop-a");
  EXPECT_EQ(caller->key_id, ParseApiKey(read_a)->key_id);

  RequestAuthorizer off(nullptr);
  caller = off.AuthorizeCaller(std::nullopt, Scope::kRead, "anything");
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->shop_id, "anything");
  EXPECT_EQ(caller->key_id, "");
}

}  // namespace
}  // namespace shopstream::auth
