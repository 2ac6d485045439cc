// AdminService through the real gateway (REST) on the whole stack: dead
// letters listed and replayed into the shop's events exactly once, the
// audit of it, and keys made and revoked by an admin key.
#include <pqxx/pqxx>
#include <regex>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/api_key.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "shopstream/internal/v1/pipeline.pb.h"
#include "tests/local_stack.h"

namespace shopstream::testing {
namespace {

using auth::Scope;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kShop[] = "shop-a";
constexpr char kRange[] = "from=2025-10-01T00:00:00Z&to=2025-10-03T00:00:00Z";

HttpHeaders Bearer(const std::string& key) {
  return {{"Authorization", "Bearer " + key}};
}

HttpResponse Call(LocalStack& stack, const std::string& method,
                  const std::string& target, const std::string& key,
                  const std::string& body = "") {
  return HttpRequest(stack.http_port(), method, target, body,
                     "application/json", Bearer(key));
}

int Count(const std::string& text, const std::string& part) {
  int n = 0;
  for (size_t at = text.find(part); at != std::string::npos;
       at = text.find(part, at + part.size())) {
    ++n;
  }
  return n;
}

// Every value of a string field of a JSON answer, in order.
std::vector<std::string> Values(const std::string& json,
                                const std::string& field) {
  const std::regex pattern("\"" + field + "\":\"([^\"]*)\"");
  std::vector<std::string> values;
  for (std::sregex_iterator it(json.begin(), json.end(), pattern), end;
       it != end; ++it) {
    values.push_back((*it)[1]);
  }
  return values;
}

internal::v1::StoredEvent Purchase(const std::string& event_id) {
  internal::v1::StoredEvent e;
  e.set_shop_id(kShop);
  e.set_event_id(event_id);
  e.set_event_type(internal::v1::PURCHASE);
  e.set_occurred_at_micros(1759401600000000);  // 2025-10-02T10:40:00Z
  e.set_product_id("prod-1");
  e.set_session_id("s1");
  e.set_order_amount_cents(1999);
  return e;
}

// A dead letter as processor/batch_writer.cc writes one; its id.
std::string DeadLetter(LocalStack& stack, const internal::v1::StoredEvent& e,
                       const std::string& reason) {
  pqxx::connection c(stack.db().conninfo());
  pqxx::work tx(c);
  const int64_t id =
      tx.exec_params(
            "INSERT INTO dead_letter_events"
            " (shop_id, event_id, event_text, payload, reason)"
            " VALUES ($1, $2, $3, $4, $5) RETURNING id",
            absl::CEscape(e.shop_id()), absl::CEscape(e.event_id()),
            absl::CEscape(e.ShortDebugString()),
            pqxx::binarystring(e.SerializeAsString()), reason)[0][0]
          .as<int64_t>();
  tx.commit();
  return absl::StrCat(id);
}

std::string KeyIdOf(const std::string& key) {
  return auth::ParseApiKey(key)->key_id;
}

TEST(AdminTest, ADeadLetterIsReplayedIntoTheShopOnceAndAudited) {
  LocalStack stack;
  const std::string admin = stack.Key(kShop, Scope::kAdmin);
  const std::string good =
      DeadLetter(stack, Purchase("replayed-1"), "could not extend partition");
  internal::v1::StoredEvent bad_event = Purchase("still-bad");
  bad_event.set_event_type(internal::v1::EVENT_TYPE_UNSPECIFIED);
  const std::string bad = DeadLetter(stack, bad_event, "type refused");

  const std::string list = absl::StrCat("/v1/shops/", kShop, "/dead-letters");
  HttpResponse listed = Call(stack, "GET", list, admin);
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(Values(listed.body, "dead_letter_id"),
            (std::vector<std::string>{bad, good}))
      << "newest first";
  EXPECT_THAT(listed.body,
              HasSubstr(R"("reason":"could not extend partition")"));
  EXPECT_THAT(listed.body, HasSubstr(R"("event_type":"purchase")"));
  EXPECT_THAT(listed.body, HasSubstr(R"("order_amount":19.99)"));
  // Only admin keys of the shop see them.
  EXPECT_EQ(Call(stack, "GET", list, stack.ReadKey(kShop)).status, 403);
  EXPECT_EQ(Call(stack, "GET", list, stack.WriteKey(kShop)).status, 403);
  EXPECT_EQ(Call(stack, "GET", list, stack.Key("shop-b", Scope::kAdmin)).status,
            403);

  const std::string replay_good = absl::StrCat(list, "/", good, ":replay");
  HttpResponse replayed = Call(stack, "POST", replay_good, admin, "{}");
  ASSERT_EQ(replayed.status, 200) << replayed.body;
  EXPECT_THAT(replayed.body,
              HasSubstr(absl::StrCat(R"("replayed_by":")", KeyIdOf(admin))));
  EXPECT_THAT(replayed.body, HasSubstr(R"("replayed_at":")"));

  // Acknowledged once committed: in the shop's events and summary now.
  const std::string events =
      absl::StrCat("/v1/shops/", kShop, "/events?", kRange);
  const std::string summary =
      absl::StrCat("/v1/shops/", kShop, "/summary?", kRange);
  EXPECT_EQ(Count(stack.Get(events, kShop).body, R"("event_id":"replayed-1")"),
            1);
  EXPECT_THAT(stack.Get(summary, kShop).body,
              HasSubstr(R"("total_purchases":1,)"));

  // Again: refused, and it still counts once.
  HttpResponse again = Call(stack, "POST", replay_good, admin, "{}");
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_THAT(again.body, HasSubstr("already replayed"));
  EXPECT_EQ(Count(stack.Get(events, kShop).body, R"("event_id":"replayed-1")"),
            1);
  EXPECT_THAT(stack.Get(summary, kShop).body,
              HasSubstr(R"("total_purchases":1,)"));
  EXPECT_EQ(stack.StoredEvents(), 1);

  // Still invalid: the reason, nothing stored, the dead letter stays.
  HttpResponse refused =
      Call(stack, "POST", absl::StrCat(list, "/", bad, ":replay"), admin, "{}");
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_THAT(refused.body, HasSubstr("event.event_type"));
  EXPECT_EQ(stack.StoredEvents(), 1);
  // A read key cannot replay.
  EXPECT_EQ(Call(stack, "POST", absl::StrCat(list, "/", bad, ":replay"),
                 stack.ReadKey(kShop), "{}")
                .status,
            403);

  // Replayed ones leave the default list and stay in the full one.
  EXPECT_EQ(Values(Call(stack, "GET", list, admin).body, "dead_letter_id"),
            (std::vector<std::string>{bad}));
  HttpResponse all =
      Call(stack, "GET", absl::StrCat(list, "?include_replayed=true"), admin);
  EXPECT_EQ(Values(all.body, "dead_letter_id"),
            (std::vector<std::string>{bad, good}));

  // The audit, newest first: the invalid one, the second try, the replay.
  HttpResponse audit =
      Call(stack, "GET", absl::StrCat("/v1/shops/", kShop, "/audit"), admin);
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_EQ(Values(audit.body, "target"),
            (std::vector<std::string>{bad, good, good}));
  EXPECT_EQ(Values(audit.body, "action"),
            std::vector<std::string>(3, "replay_dead_letter"));
  EXPECT_EQ(Values(audit.body, "actor"),
            std::vector<std::string>(3, KeyIdOf(admin)));
  const std::vector<std::string> outcomes = Values(audit.body, "outcome");
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_THAT(outcomes[0], HasSubstr("event.event_type"));
  EXPECT_THAT(outcomes[1], HasSubstr("already replayed"));
  EXPECT_EQ(outcomes[2], "ok");
  EXPECT_EQ(Call(stack, "GET", absl::StrCat("/v1/shops/", kShop, "/audit"),
                 stack.ReadKey(kShop))
                .status,
            403);
}

TEST(AdminTest, AKeyMadeByAnAdminWorksUntilItIsRevoked) {
  // Revocations apply within the services' key cache time.
  LocalStack stack(
      LocalStackOptions{.ingest_flags = {"--api_key_cache_ttl_ms=200"},
                        .query_flags = {"--api_key_cache_ttl_ms=200"}});
  const std::string admin = stack.Key(kShop, Scope::kAdmin);
  const std::string keys = absl::StrCat("/v1/shops/", kShop, "/keys");

  HttpResponse created = Call(stack, "POST", keys, admin,
                              R"({"scope": "write", "description": "till"})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::vector<std::string> secret = Values(created.body, "secret");
  ASSERT_EQ(secret.size(), 1u) << created.body;
  const std::string key_id = KeyIdOf(secret[0]);
  const std::string event =
      R"({"event_type": "page_view", "timestamp": "2025-10-02T10:30:00Z"})";
  EXPECT_EQ(Call(stack, "POST", "/v1/events", secret[0], event).status, 202);
  EXPECT_EQ(stack.StoredEvents(absl::StrCat("shop_id = '", kShop, "'")), 1);

  // Listed without its secret.
  HttpResponse listed = Call(stack, "GET", keys, admin);
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_THAT(Values(listed.body, "key_id"), ::testing::Contains(key_id));
  EXPECT_THAT(listed.body,
              Not(HasSubstr(auth::ParseApiKey(secret[0])->secret)));

  // Bad input names the field and makes no key.
  HttpResponse no_origins =
      Call(stack, "POST", keys, admin, R"({"scope": "collect"})");
  EXPECT_EQ(no_origins.status, 400);
  EXPECT_THAT(no_origins.body, HasSubstr("origins: "));
  HttpResponse bad_scope =
      Call(stack, "POST", keys, admin, R"({"scope": "owner"})");
  EXPECT_EQ(bad_scope.status, 400);
  EXPECT_THAT(bad_scope.body, HasSubstr("scope: "));
  EXPECT_EQ(Values(Call(stack, "GET", keys, admin).body, "key_id").size(), 2u);

  // Another shop's admin cannot revoke it; this shop's can.
  const std::string revoke = absl::StrCat(keys, "/", key_id, ":revoke");
  EXPECT_EQ(Call(stack, "POST",
                 absl::StrCat("/v1/shops/shop-b/keys/", key_id, ":revoke"),
                 stack.Key("shop-b", Scope::kAdmin), "{}")
                .status,
            404);
  HttpResponse revoked = Call(stack, "POST", revoke, admin, "{}");
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_THAT(revoked.body, HasSubstr(R"("revoked_at":")"));
  int status = 0;
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  do {
    status = Call(stack, "POST", "/v1/events", secret[0], event).status;
  } while (status == 202 && absl::Now() < give_up);
  EXPECT_EQ(status, 401);
  EXPECT_EQ(Values(Call(stack, "GET", keys, admin).body, "key_id").size(), 1u)
      << "revoked keys are listed only when asked for";

  HttpResponse audit =
      Call(stack, "GET", absl::StrCat("/v1/shops/", kShop, "/audit"), admin);
  EXPECT_EQ(Values(audit.body, "action"),
            (std::vector<std::string>{"revoke_key", "create_key", "create_key",
                                      "create_key"}));
  EXPECT_EQ(Values(audit.body, "target")[0], key_id);
}

TEST(AdminTest, WithoutKeyChecksTheAdminServiceIsRefused) {
  LocalStack stack(LocalStackOptions{.auth = false});
  HttpResponse refused =
      HttpRequest(stack.http_port(), "GET", "/v1/shops/default/dead-letters");
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_THAT(refused.body, HasSubstr("--auth=false"));
  EXPECT_EQ(HttpRequest(stack.http_port(), "POST", "/v1/shops/default/keys",
                        R"({"scope": "admin"})")
                .status,
            403);
}

}  // namespace
}  // namespace shopstream::testing
