#include "auth/link_ticket_store.h"

#include <pqxx/pqxx>

#include "auth/api_key_store.h"
#include "auth/api_key_verifier.h"
#include "auth/request_authorizer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/schema_migrator.h"
#include "storage/test_database.h"

namespace shopstream::auth {
namespace {

using ::testing::HasSubstr;

class LinkTicketStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SchemaMigrator().Apply(db_.conninfo()).ok());
    absl::StatusOr<CreatedApiKey> read =
        keys_.Create("shop-a", Scope::kRead, "dashboard");
    ASSERT_TRUE(read.ok()) << read.status();
    read_key_ = *std::move(read);
  }

  int64_t Count(const std::string& sql) {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    return tx.exec(sql)[0][0].as<int64_t>();
  }

  TestDatabase db_;
  PgConnectionPool pool_{db_.conninfo(), 2};
  ApiKeyStore keys_{&pool_};
  LinkTicketStore tickets_{&pool_, 2};
  CreatedApiKey read_key_;
};

TEST_F(LinkTicketStoreTest, ATicketIsGoodOnceForItsShop) {
  absl::StatusOr<IssuedTicket> ticket =
      tickets_.Issue(read_key_.record.key_id, "shop-a", absl::Seconds(30));
  ASSERT_TRUE(ticket.ok()) << ticket.status();
  EXPECT_THAT(ticket->text, ::testing::StartsWith("sst_"));
  EXPECT_EQ(ticket->shop_id, "shop-a");
  EXPECT_GT(ticket->expires, absl::Now());
  EXPECT_LE(ticket->expires, absl::Now() + absl::Seconds(30));
  // Only a hash of the secret is stored.
  const std::string secret = ticket->text.substr(ticket->text.rfind('_') + 1);
  EXPECT_EQ(Count("SELECT count(*) FROM link_tickets WHERE secret_sha256 = '" +
                  HashSecret(secret) + "'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM link_tickets WHERE secret_sha256 = '" +
                  secret + "'"),
            0);

  absl::StatusOr<TicketGrant> grant = tickets_.Redeem(ticket->text, "shop-a");
  ASSERT_TRUE(grant.ok()) << grant.status();
  EXPECT_EQ(grant->key_id, read_key_.record.key_id);
  EXPECT_EQ(grant->shop_id, "shop-a");
  absl::StatusOr<TicketGrant> again = tickets_.Redeem(ticket->text, "shop-a");
  EXPECT_EQ(again.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(again.status().message(), HasSubstr("used"));
}

TEST_F(LinkTicketStoreTest, AnotherShopIsRefusedAndLeavesTheTicketUnused) {
  absl::StatusOr<IssuedTicket> ticket =
      tickets_.Issue(read_key_.record.key_id, "shop-a", absl::Seconds(30));
  ASSERT_TRUE(ticket.ok()) << ticket.status();
  EXPECT_EQ(tickets_.Redeem(ticket->text, "shop-b").status().code(),
            absl::StatusCode::kPermissionDenied);
  // No shop named: the ticket's.
  absl::StatusOr<TicketGrant> grant = tickets_.Redeem(ticket->text, "");
  ASSERT_TRUE(grant.ok()) << grant.status();
  EXPECT_EQ(grant->shop_id, "shop-a");
}

TEST_F(LinkTicketStoreTest, ExpiredMadeUpAndMisshapenTicketsAreRefused) {
  absl::StatusOr<IssuedTicket> expired =
      tickets_.Issue(read_key_.record.key_id, "shop-a", absl::ZeroDuration());
  ASSERT_TRUE(expired.ok()) << expired.status();
  absl::StatusOr<TicketGrant> late = tickets_.Redeem(expired->text, "shop-a");
  EXPECT_EQ(late.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(late.status().message(), HasSubstr("expired"));

  absl::StatusOr<IssuedTicket> good =
      tickets_.Issue(read_key_.record.key_id, "shop-a", absl::Seconds(30));
  ASSERT_TRUE(good.ok()) << good.status();
  const std::string id = good->text.substr(0, good->text.rfind('_') + 1);
  const NewApiKey made_up = GenerateCredential("sst_");
  for (const std::string& bad :
       {made_up.text, id + made_up.parts.secret, read_key_.text,
        std::string("sst_"), std::string("")}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(tickets_.Redeem(bad, "shop-a").status().code(),
              absl::StatusCode::kUnauthenticated);
  }
  // A wrong secret does not use up the real ticket.
  EXPECT_TRUE(tickets_.Redeem(good->text, "shop-a").ok());
}

TEST_F(LinkTicketStoreTest, TicketsExpiredLongAgoGoWhenOthersAreIssued) {
  ASSERT_TRUE(
      tickets_.Issue(read_key_.record.key_id, "shop-a", absl::Seconds(30))
          .ok());
  {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    tx.exec("UPDATE link_tickets SET expires_at = now() - interval '2 hours'");
    tx.commit();
  }
  ASSERT_TRUE(
      tickets_.Issue(read_key_.record.key_id, "shop-a", absl::Seconds(30))
          .ok());
  EXPECT_EQ(Count("SELECT count(*) FROM link_tickets"), 1);
}

// The authorizer over the real stores, as the query service has it.
class LinkTicketAuthorizerTest : public LinkTicketStoreTest {
 protected:
  ApiKeyVerifier verifier_{
      [this](const std::string& key_id) { return keys_.Find(key_id); },
      {.cache_ttl = absl::ZeroDuration()}};
  RequestAuthorizer authorizer_{&verifier_, &tickets_, absl::Seconds(30)};

  std::string TicketFor(const std::string& key) {
    absl::StatusOr<Caller> caller =
        authorizer_.AuthorizeCaller("Bearer " + key, Scope::kRead, "");
    EXPECT_TRUE(caller.ok()) << caller.status();
    if (!caller.ok()) return "";
    absl::StatusOr<IssuedTicket> ticket = authorizer_.IssueLinkTicket(*caller);
    EXPECT_TRUE(ticket.ok()) << ticket.status();
    return ticket.ok() ? ticket->text : "";
  }
};

TEST_F(LinkTicketAuthorizerTest, TicketsOpenOnlyReadsOfCallsThatTakeThem) {
  const std::string ticket = TicketFor(read_key_.text);
  const std::optional<std::string> authorization = "Ticket " + ticket;

  absl::StatusOr<Caller> refused =
      authorizer_.AuthorizeCaller(authorization, Scope::kRead, "shop-a");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(refused.status().message(), HasSubstr("link ticket"));
  EXPECT_EQ(authorizer_
                .AuthorizeCaller(authorization, Scope::kWrite, "shop-a", 1,
                                 Credentials::kApiKeyOrLinkTicket)
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  // Neither refusal used the ticket up.
  absl::StatusOr<Caller> caller = authorizer_.AuthorizeCaller(
      authorization, Scope::kRead, "", 1, Credentials::kApiKeyOrLinkTicket);
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->key_id, read_key_.record.key_id);
  EXPECT_EQ(caller->shop_id, "shop-a");
  EXPECT_TRUE(authorizer_.Recheck(*caller).ok());

  // Without a ticket store (ingest), a ticket is just not a bearer key.
  RequestAuthorizer keys_only(&verifier_);
  EXPECT_EQ(
      keys_only
          .AuthorizeCaller("Ticket " + TicketFor(read_key_.text), Scope::kRead,
                           "", 1, Credentials::kApiKeyOrLinkTicket)
          .status()
          .code(),
      absl::StatusCode::kUnauthenticated);
}

TEST_F(LinkTicketAuthorizerTest, OnlyReadKeysGetTicketsWhichEndWithTheirKey) {
  absl::StatusOr<CreatedApiKey> write =
      keys_.Create("shop-a", Scope::kWrite, "checkout");
  ASSERT_TRUE(write.ok());
  absl::StatusOr<Caller> writer =
      authorizer_.AuthorizeCaller("Bearer " + write->text, Scope::kWrite, "");
  ASSERT_TRUE(writer.ok()) << writer.status();
  EXPECT_EQ(authorizer_.IssueLinkTicket(*writer).status().code(),
            absl::StatusCode::kPermissionDenied);

  const std::string ticket = TicketFor(read_key_.text);
  absl::StatusOr<Caller> reader =
      authorizer_.AuthorizeCaller("Bearer " + read_key_.text, Scope::kRead, "");
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE(keys_.Revoke(read_key_.record.key_id).ok());
  absl::StatusOr<Caller> revoked =
      authorizer_.AuthorizeCaller("Ticket " + ticket, Scope::kRead, "", 1,
                                  Credentials::kApiKeyOrLinkTicket);
  EXPECT_EQ(revoked.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(revoked.status().message(), HasSubstr("revoked"));
  EXPECT_EQ(authorizer_.Recheck(*reader).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(LinkTicketAuthorizerOffTest, WithoutAuthenticationLinksNeedNoTicket) {
  RequestAuthorizer off(nullptr, nullptr, absl::Seconds(30));
  absl::StatusOr<Caller> anyone =
      off.AuthorizeCaller(std::nullopt, Scope::kRead, "shop-x");
  ASSERT_TRUE(anyone.ok());
  absl::StatusOr<IssuedTicket> ticket = off.IssueLinkTicket(*anyone);
  ASSERT_TRUE(ticket.ok());
  EXPECT_EQ(ticket->text, "");
  EXPECT_EQ(ticket->shop_id, "shop-x");
}

}  // namespace
}  // namespace shopstream::auth
