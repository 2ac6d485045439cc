// AdminHandler against a real PostgreSQL (keys, dead letters, audit) and a
// real key verifier; the processor is stood in for by a publisher that
// answers with a set fate.
#include "ingest/admin_service.h"

#include <pqxx/pqxx>
#include <set>
#include <tuple>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "auth/api_key_verifier.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/schema_migrator.h"
#include "storage/test_database.h"

namespace shopstream {
namespace {

using ::testing::HasSubstr;

class FatePublisher : public EventPublisher {
 public:
  void Publish(std::vector<internal::v1::StoredEvent> events,
               std::string request_id, EventLane, Done done) override {
    EventOutcomes outcomes;
    {
      absl::MutexLock lock(&mu_);
      request_ids_.push_back(std::move(request_id));
      for (const auto& e : events) {
        EventOutcome o = next_;
        if (o.fate == EventFate::kStored &&
            !seen_.insert(e.event_id()).second) {
          o.fate = EventFate::kDuplicate;
        }
        outcomes.push_back(o);
        published_.push_back(e);
      }
    }
    done(absl::OkStatus(), outcomes);
  }
  bool Ready() const override { return true; }
  void set_next(EventOutcome outcome) {
    absl::MutexLock lock(&mu_);
    next_ = std::move(outcome);
  }
  std::vector<internal::v1::StoredEvent> published() {
    absl::MutexLock lock(&mu_);
    return published_;
  }
  std::vector<std::string> request_ids() {
    absl::MutexLock lock(&mu_);
    return request_ids_;
  }

 private:
  absl::Mutex mu_;
  EventOutcome next_;
  std::set<std::string> seen_;
  std::vector<internal::v1::StoredEvent> published_;
  std::vector<std::string> request_ids_;
};

internal::v1::StoredEvent Purchase(const std::string& shop,
                                   const std::string& id) {
  internal::v1::StoredEvent e;
  e.set_shop_id(shop);
  e.set_event_id(id);
  e.set_event_type(internal::v1::PURCHASE);
  e.set_occurred_at_micros(absl::ToUnixMicros(absl::Now()) - 3600000000);
  e.set_product_id("prod-1");
  e.set_order_amount_cents(1999);
  return e;
}

class AdminHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SchemaMigrator().Apply(db_.conninfo()).ok());
  }

  std::optional<std::string> Key(const std::string& shop, auth::Scope scope) {
    absl::StatusOr<auth::CreatedApiKey> key =
        keys_.Create(shop, scope, "test",
                     scope == auth::Scope::kCollect
                         ? std::vector<std::string>{"https://shop.example"}
                         : std::vector<std::string>{});
    EXPECT_TRUE(key.ok()) << key.status();
    return "Bearer " + key->text;
  }

  std::string Insert(const internal::v1::StoredEvent& e) {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    const int64_t id =
        tx.exec_params(
              "INSERT INTO dead_letter_events"
              " (shop_id, event_id, event_text, payload, reason)"
              " VALUES ($1, $2, $3, $4, 'partition missing') RETURNING id",
              absl::CEscape(e.shop_id()), absl::CEscape(e.event_id()),
              absl::CEscape(e.ShortDebugString()),
              pqxx::binarystring(e.SerializeAsString()))[0][0]
            .as<int64_t>();
    tx.commit();
    return std::to_string(id);
  }

  absl::StatusOr<v1::DeadLetter> Replay(const std::optional<std::string>& key,
                                        const std::string& id,
                                        const std::string& shop = "shop-a") {
    v1::ReplayDeadLetterRequest request;
    request.set_shop_id(shop);
    request.set_dead_letter_id(id);
    return handler_.ReplayDeadLetter(key, request, "req-replay");
  }

  std::vector<v1::AuditEntry> Audit(const std::optional<std::string>& key) {
    v1::ListAuditEntriesRequest request;
    request.set_shop_id("shop-a");
    absl::StatusOr<v1::ListAuditEntriesResponse> listed =
        handler_.ListAuditEntries(key, request);
    EXPECT_TRUE(listed.ok()) << listed.status();
    return {listed->entries().begin(), listed->entries().end()};
  }

  TestDatabase db_;
  PgConnectionPool pool_{db_.conninfo(), 4};
  auth::ApiKeyStore keys_{&pool_};
  // Revocations apply at once here; the services' cache is tested in auth/.
  auth::ApiKeyVerifier verifier_{
      [this](const std::string& id) { return keys_.Find(id); },
      {.cache_ttl = absl::ZeroDuration()}};
  auth::RequestAuthorizer authorizer_{&verifier_};
  FatePublisher publisher_;
  IngestHandler ingest_{&publisher_};
  DeadLetterStore dead_letters_{&pool_};
  AdminAuditLog audit_{&pool_};
  AdminHandler handler_{&authorizer_, &ingest_, &dead_letters_, &keys_,
                        &audit_};
};

TEST_F(AdminHandlerTest, OnlyAnAdminKeyOfTheShopIsLetIn) {
  v1::ListKeysRequest request;
  request.set_shop_id("shop-a");
  EXPECT_TRUE(
      handler_.ListKeys(Key("shop-a", auth::Scope::kAdmin), request).ok());
  for (auth::Scope scope :
       {auth::Scope::kRead, auth::Scope::kWrite, auth::Scope::kCollect}) {
    EXPECT_EQ(handler_.ListKeys(Key("shop-a", scope), request).status().code(),
              absl::StatusCode::kPermissionDenied)
        << auth::ScopeName(scope);
  }
  EXPECT_EQ(handler_.ListKeys(Key("shop-b", auth::Scope::kAdmin), request)
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(handler_.ListKeys(std::nullopt, request).status().code(),
            absl::StatusCode::kUnauthenticated);

  // Without key checks nothing would name the actor: refused.
  auth::RequestAuthorizer off(nullptr);
  AdminHandler unchecked(&off, &ingest_, &dead_letters_, &keys_, &audit_);
  const absl::Status refused =
      unchecked.ListKeys(std::nullopt, request).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(refused.message(), HasSubstr("--auth=false"));
}

TEST_F(AdminHandlerTest, ReplayPublishesOnceMarksAndAudits) {
  const auto admin = Key("shop-a", auth::Scope::kAdmin);
  const std::string actor = auth::ParseApiKey(admin->substr(7))->key_id;
  const std::string id = Insert(Purchase("shop-a", "evt-1"));

  v1::ListDeadLettersRequest list;
  list.set_shop_id("shop-a");
  absl::StatusOr<v1::ListDeadLettersResponse> listed =
      handler_.ListDeadLetters(admin, list);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->dead_letters_size(), 1);
  const v1::DeadLetter& letter = listed->dead_letters(0);
  EXPECT_EQ(letter.dead_letter_id(), id);
  EXPECT_EQ(letter.event_id(), "evt-1");
  EXPECT_EQ(letter.event().event_type(), "purchase");
  EXPECT_EQ(letter.event().order_amount(), 19.99);
  EXPECT_EQ(letter.reason(), "partition missing");
  EXPECT_FALSE(letter.has_replayed_at());

  absl::StatusOr<v1::DeadLetter> replayed = Replay(admin, id);
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_TRUE(replayed->has_replayed_at());
  EXPECT_EQ(replayed->replayed_by(), actor);
  ASSERT_EQ(publisher_.published().size(), 1u);
  EXPECT_EQ(publisher_.published()[0].event_id(), "evt-1");
  EXPECT_THAT(publisher_.request_ids(), ::testing::ElementsAre("req-replay"));

  absl::StatusOr<v1::DeadLetter> again = Replay(admin, id);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(again.status().message(), HasSubstr("already replayed"));
  EXPECT_EQ(publisher_.published().size(), 1u);

  // Newest first: the refusal, then the success.
  std::vector<v1::AuditEntry> audit = Audit(admin);
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[1].action(), "replay_dead_letter");
  EXPECT_EQ(audit[1].target(), id);
  EXPECT_EQ(audit[1].actor(), actor);
  EXPECT_EQ(audit[1].outcome(), "ok");
  EXPECT_THAT(audit[0].outcome(), HasSubstr("already replayed"));
}

TEST_F(AdminHandlerTest, AStillInvalidEventIsRefusedWithTheReason) {
  const auto admin = Key("shop-a", auth::Scope::kAdmin);
  internal::v1::StoredEvent bad = Purchase("shop-a", "evt-bad");
  // Far past the validator's window: the processor would refuse it too.
  bad.set_occurred_at_micros(absl::ToUnixMicros(absl::Now() + absl::Hours(72)));
  const std::string id = Insert(bad);
  absl::StatusOr<v1::DeadLetter> refused = Replay(admin, id);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("event.timestamp"));
  EXPECT_TRUE(publisher_.published().empty());

  // Storage refusing it again: the dead letter stays unmarked.
  const std::string poison = Insert(Purchase("shop-a", "evt-poison"));
  publisher_.set_next({EventFate::kDeadLettered, "value too long"});
  refused = Replay(admin, poison);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("value too long"));

  v1::ListDeadLettersRequest list;
  list.set_shop_id("shop-a");
  EXPECT_EQ(handler_.ListDeadLetters(admin, list)->dead_letters_size(), 2);
  std::vector<v1::AuditEntry> audit = Audit(admin);
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_THAT(audit[1].outcome(), HasSubstr("event.timestamp"));

  // Another shop's dead letter, or an id no list gave: refused, audited.
  const std::string other = Insert(Purchase("shop-b", "evt-b"));
  EXPECT_EQ(Replay(admin, other).status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(Replay(admin, "x1").status().message()),
              HasSubstr("dead_letter_id"));
  EXPECT_EQ(Audit(admin).size(), 4u);
}

TEST_F(AdminHandlerTest, PagesOfDeadLettersAndAuditEntries) {
  const auto admin = Key("shop-a", auth::Scope::kAdmin);
  for (int i = 0; i < 5; ++i) Insert(Purchase("shop-a", absl::StrCat("e", i)));
  v1::ListDeadLettersRequest list;
  list.set_shop_id("shop-a");
  list.set_page_size(2);
  std::vector<std::string> seen;
  do {
    absl::StatusOr<v1::ListDeadLettersResponse> page =
        handler_.ListDeadLetters(admin, list);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& d : page->dead_letters()) seen.push_back(d.event_id());
    list.set_page_token(page->next_page_token());
  } while (!list.page_token().empty());
  EXPECT_THAT(seen, ::testing::ElementsAre("e4", "e3", "e2", "e1", "e0"));

  list.set_page_size(1001);
  EXPECT_THAT(
      std::string(handler_.ListDeadLetters(admin, list).status().message()),
      HasSubstr("page_size"));
  list.set_page_size(0);
  list.set_page_token("garbage");
  EXPECT_THAT(
      std::string(handler_.ListDeadLetters(admin, list).status().message()),
      HasSubstr("page_token"));

  for (int i = 0; i < 3; ++i) (void)Replay(admin, absl::StrCat("9999", i));
  v1::ListAuditEntriesRequest audit;
  audit.set_page_size(2);
  absl::StatusOr<v1::ListAuditEntriesResponse> first =
      handler_.ListAuditEntries(admin, audit);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->entries_size(), 2);
  EXPECT_EQ(first->entries(0).target(), "99992");
  audit.set_page_token(first->next_page_token());
  absl::StatusOr<v1::ListAuditEntriesResponse> second =
      handler_.ListAuditEntries(admin, audit);
  ASSERT_EQ(second->entries_size(), 1);
  EXPECT_EQ(second->entries(0).target(), "99990");
  EXPECT_TRUE(second->next_page_token().empty());
}

TEST_F(AdminHandlerTest, KeysOfTheShopAreCreatedListedAndRevoked) {
  const auto admin = Key("shop-a", auth::Scope::kAdmin);
  const auto other_shop = Key("shop-b", auth::Scope::kRead);
  v1::CreateKeyRequest create;
  create.set_shop_id("shop-a");
  create.set_scope("collect");
  create.add_origins("https://Shop.example");
  create.set_description("storefront");
  absl::StatusOr<v1::CreatedKey> created = handler_.CreateKey(admin, create);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->key().scope(), "collect");
  EXPECT_THAT(created->key().origins(),
              ::testing::ElementsAre("https://shop.example"));
  ASSERT_TRUE(auth::ParseApiKey(created->secret()).ok());
  EXPECT_EQ(auth::ParseApiKey(created->secret())->key_id,
            created->key().key_id());

  // Bad input names the field and makes no key.
  const size_t before = keys_.List(std::string("shop-a"))->size();
  for (auto [scope, origin, field] :
       {std::tuple<const char*, const char*, const char*>{"owner", "", "scope"},
        {"collect", "", "origins"},
        {"read", "https://shop.example", "origins"},
        {"collect", "shop.example/cart", "origins"}}) {
    v1::CreateKeyRequest bad;
    bad.set_scope(scope);
    if (*origin != '\0') bad.add_origins(origin);
    absl::StatusOr<v1::CreatedKey> refused = handler_.CreateKey(admin, bad);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(refused.status().message()),
                HasSubstr(absl::StrCat(field, ": ")));
  }
  v1::CreateKeyRequest nul;
  nul.set_scope("read");
  nul.set_description(std::string("a\0b", 3));
  EXPECT_THAT(std::string(handler_.CreateKey(admin, nul).status().message()),
              HasSubstr("description: "));
  EXPECT_EQ(keys_.List(std::string("shop-a"))->size(), before);

  v1::ListKeysRequest list;
  list.set_shop_id("shop-a");
  absl::StatusOr<v1::ListKeysResponse> keys = handler_.ListKeys(admin, list);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->keys_size(), 2);  // the admin key and the new one
  for (const auto& k : keys->keys()) EXPECT_EQ(k.shop_id(), "shop-a");

  // Another shop's key is not found, and stays good.
  v1::RevokeKeyRequest revoke;
  revoke.set_key_id(auth::ParseApiKey(other_shop->substr(7))->key_id);
  EXPECT_EQ(handler_.RevokeKey(admin, revoke).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(verifier_.Verify(other_shop->substr(7)).ok());

  revoke.set_key_id(created->key().key_id());
  absl::StatusOr<v1::ApiKeyView> revoked = handler_.RevokeKey(admin, revoke);
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_TRUE(revoked->has_revoked_at());
  EXPECT_EQ(verifier_.Verify(created->secret()).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(handler_.ListKeys(admin, list)->keys_size(), 1);
  list.set_include_revoked(true);
  EXPECT_EQ(handler_.ListKeys(admin, list)->keys_size(), 2);

  std::vector<std::string> actions;
  for (const v1::AuditEntry& e : Audit(admin)) {
    actions.push_back(
        absl::StrCat(e.action(), " ", e.outcome() == "ok" ? "1" : "0"));
  }
  // Newest first: the revocation, the refused one, five refused creations
  // and the creation.
  EXPECT_THAT(actions, ::testing::ElementsAre("revoke_key 1", "revoke_key 0",
                                              "create_key 0", "create_key 0",
                                              "create_key 0", "create_key 0",
                                              "create_key 0", "create_key 1"));
}

}  // namespace
}  // namespace shopstream
