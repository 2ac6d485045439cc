#include "processor/batch_writer.h"

#include <pqxx/pqxx>

#include "common/commit_notice.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/schema_migrator.h"
#include "storage/test_database.h"

namespace shopstream {
namespace {

using internal::v1::StoredEvent;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

StoredEvent Event(const std::string& id, internal::v1::EventType type,
                  int64_t micros = 1759401000123456) {
  StoredEvent e;
  e.set_shop_id("shop");
  e.set_event_id(id);
  e.set_event_type(type);
  e.set_occurred_at_micros(micros);
  return e;
}

std::vector<const StoredEvent*> Ptrs(const std::vector<StoredEvent>& v) {
  std::vector<const StoredEvent*> out;
  for (const auto& e : v) out.push_back(&e);
  return out;
}

class BatchWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SchemaMigrator().Apply(db_.conninfo()).ok());
  }
  int64_t Count(const std::string& where = "true") {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    return tx.exec("SELECT count(*) FROM events WHERE " + where)[0][0]
        .as<int64_t>();
  }
  TestDatabase db_;
};

TEST_F(BatchWriterTest, StoresEveryFieldExactly) {
  BatchWriter writer(db_.conninfo());
  std::vector<StoredEvent> events = {Event("a", internal::v1::PURCHASE)};
  events[0].set_product_id("it's \"quoted\"\t\\ ünï");
  events[0].set_session_id("s-1");
  events[0].set_order_amount_cents(9999);
  auto dup = writer.Write(Ptrs(events));
  ASSERT_TRUE(dup.ok()) << dup.status();
  EXPECT_THAT(*dup, ElementsAre(false));

  pqxx::connection c(db_.conninfo());
  pqxx::work tx(c);
  auto row = tx.exec(
      "SELECT shop_id, event_id, event_type, product_id, session_id,"
      " order_amount_cents,"
      " (extract(epoch from occurred_at) * 1000000)::bigint"
      " FROM events")[0];
  EXPECT_EQ(row[0].as<std::string>(), "shop");
  EXPECT_EQ(row[1].as<std::string>(), "a");
  EXPECT_EQ(row[2].as<int>(), 3);
  EXPECT_EQ(row[3].as<std::string>(), "it's \"quoted\"\t\\ ünï");
  EXPECT_EQ(row[4].as<std::string>(), "s-1");
  EXPECT_EQ(row[5].as<int64_t>(), 9999);
  EXPECT_EQ(row[6].as<int64_t>(), 1759401000123456);
}

TEST_F(BatchWriterTest, StoresTrafficContextAndCustomProperties) {
  BatchWriter writer(db_.conninfo());
  std::vector<StoredEvent> events = {Event("ctx", internal::v1::PAGE_VIEW),
                                     Event("signup", internal::v1::CUSTOM)};
  events[0].set_page("/p/7?utm_source=news");
  events[0].set_referrer_host("www.google.com");
  events[0].set_utm_source("news");
  events[0].set_utm_medium("email");
  events[0].set_utm_campaign("fall");
  events[0].set_device_class("mobile");
  events[0].set_browser("Firefox");
  events[0].set_os("Linux");
  events[1].set_event_name("newsletter_signup");
  (*events[1].mutable_properties())["plan"] = "pro \"gold\" \\ ünï\n";
  (*events[1].mutable_properties())["a.b"] = "";
  ASSERT_TRUE(writer.Write(Ptrs(events)).ok());

  pqxx::connection c(db_.conninfo());
  pqxx::work tx(c);
  const pqxx::row ctx = tx.exec1(
      "SELECT page, referrer_host, utm_source, utm_medium, utm_campaign,"
      " device_class, browser, os, event_name, properties"
      " FROM events WHERE event_id = 'ctx'");
  EXPECT_EQ(ctx[0].as<std::string>(), "/p/7?utm_source=news");
  EXPECT_EQ(ctx[1].as<std::string>(), "www.google.com");
  EXPECT_EQ(ctx[2].as<std::string>(), "news");
  EXPECT_EQ(ctx[3].as<std::string>(), "email");
  EXPECT_EQ(ctx[4].as<std::string>(), "fall");
  EXPECT_EQ(ctx[5].as<std::string>(), "mobile");
  EXPECT_EQ(ctx[6].as<std::string>(), "Firefox");
  EXPECT_EQ(ctx[7].as<std::string>(), "Linux");
  EXPECT_TRUE(ctx[8].is_null());
  EXPECT_TRUE(ctx[9].is_null());
  const pqxx::row custom = tx.exec1(
      "SELECT event_type, event_name, properties->>'plan', properties->>'a.b',"
      " page IS NULL FROM events WHERE event_id = 'signup'");
  EXPECT_EQ(custom[0].as<int>(), 4);
  EXPECT_EQ(custom[1].as<std::string>(), "newsletter_signup");
  EXPECT_EQ(custom[2].as<std::string>(), "pro \"gold\" \\ ünï\n");
  EXPECT_EQ(custom[3].as<std::string>(), "");
  EXPECT_TRUE(custom[4].as<bool>());
}

TEST_F(BatchWriterTest, EmptyOptionalFieldsAreNull) {
  BatchWriter writer(db_.conninfo());
  std::vector<StoredEvent> events = {Event("a", internal::v1::PAGE_VIEW)};
  ASSERT_TRUE(writer.Write(Ptrs(events)).ok());
  EXPECT_EQ(Count("product_id IS NULL AND session_id IS NULL AND"
                  " order_amount_cents IS NULL"),
            1);
}

TEST_F(BatchWriterTest, RetriedAndRepeatedEventsAreStoredOnce) {
  BatchWriter writer(db_.conninfo());
  std::vector<StoredEvent> first = {Event("a", internal::v1::PAGE_VIEW),
                                    Event("b", internal::v1::PAGE_VIEW),
                                    Event("a", internal::v1::PAGE_VIEW)};
  auto dup = writer.Write(Ptrs(first));
  ASSERT_TRUE(dup.ok()) << dup.status();
  EXPECT_THAT(*dup, ElementsAre(false, false, true));

  std::vector<StoredEvent> retry = {Event("b", internal::v1::PAGE_VIEW),
                                    Event("c", internal::v1::PAGE_VIEW)};
  dup = writer.Write(Ptrs(retry));
  ASSERT_TRUE(dup.ok()) << dup.status();
  EXPECT_THAT(*dup, ElementsAre(true, false));
  EXPECT_EQ(Count(), 3);

  // The same id in another shop is another event.
  std::vector<StoredEvent> other = {Event("a", internal::v1::PAGE_VIEW)};
  other[0].set_shop_id("other");
  dup = writer.Write(Ptrs(other));
  ASSERT_TRUE(dup.ok());
  EXPECT_THAT(*dup, ElementsAre(false));
  EXPECT_EQ(Count(), 4);
}

TEST_F(BatchWriterTest, ABatchWithARefusedRowStoresNothing) {
  BatchWriter writer(db_.conninfo());
  std::vector<StoredEvent> events = {Event("ok", internal::v1::PAGE_VIEW),
                                     Event("bad", internal::v1::PURCHASE)};
  events[1].set_order_amount_cents(-1);  // the table's CHECK refuses it
  auto dup = writer.Write(Ptrs(events));
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kInvalidArgument)
      << dup.status();
  EXPECT_EQ(Count(), 0);
  // The connection is still good for the next batch.
  std::vector<StoredEvent> next = {Event("next", internal::v1::PAGE_VIEW)};
  ASSERT_TRUE(writer.Write(Ptrs(next)).ok());
  EXPECT_EQ(Count(), 1);
}

TEST_F(BatchWriterTest, ReconnectsAfterTheServerDropsIt) {
  BatchWriter writer(db_.conninfo());
  std::vector<StoredEvent> events = {Event("a", internal::v1::PAGE_VIEW)};
  ASSERT_TRUE(writer.Write(Ptrs(events)).ok());
  {
    pqxx::connection admin(db_.server_conninfo());
    pqxx::work tx(admin);
    tx.exec_params(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = $1 AND pid <> pg_backend_pid()",
        db_.name());
    tx.commit();
  }
  std::vector<StoredEvent> next = {Event("b", internal::v1::PAGE_VIEW)};
  auto broken = writer.Write(Ptrs(next));
  EXPECT_EQ(broken.status().code(), absl::StatusCode::kUnavailable)
      << broken.status();
  ASSERT_TRUE(writer.Write(Ptrs(next)).ok());
  EXPECT_EQ(Count(), 2);
}

// Collects the shop ids announced on the commit channel.
class CommitNoticeCollector : public pqxx::notification_receiver {
 public:
  explicit CommitNoticeCollector(pqxx::connection_base& conn)
      : pqxx::notification_receiver(conn, kCommitNoticeChannel) {}
  void operator()(const std::string& payload, int /*backend_pid*/) override {
    auto ids = DecodeCommitNotice(payload);
    ASSERT_TRUE(ids.ok()) << ids.status();
    shops.insert(shops.end(), ids->begin(), ids->end());
  }
  std::vector<std::string> shops;
};

TEST_F(BatchWriterTest, AnnouncesTheShopsOfNewEventsOnCommit) {
  pqxx::connection listener(db_.conninfo());
  CommitNoticeCollector collector(listener);
  BatchWriter writer(db_.conninfo());
  std::vector<StoredEvent> events = {Event("a", internal::v1::PAGE_VIEW),
                                     Event("b", internal::v1::PAGE_VIEW),
                                     Event("c", internal::v1::PAGE_VIEW)};
  events[1].set_shop_id("other, \"shop\"");
  ASSERT_TRUE(writer.Write(Ptrs(events)).ok());
  // Notices of a committed transaction are queued for the listener before
  // the commit returns; a bounded wait covers the network hop.
  for (int i = 0; i < 50 && collector.shops.size() < 2; ++i) {
    listener.await_notification(0, 100000);
  }
  EXPECT_THAT(collector.shops, UnorderedElementsAre("shop", "other, \"shop\""));

  // A batch of duplicates stores nothing, so it announces nothing.
  collector.shops.clear();
  ASSERT_TRUE(writer.Write(Ptrs(events)).ok());
  std::vector<StoredEvent> fresh = {Event("d", internal::v1::PAGE_VIEW)};
  ASSERT_TRUE(writer.Write(Ptrs(fresh)).ok());
  for (int i = 0; i < 50 && collector.shops.empty(); ++i) {
    listener.await_notification(0, 100000);
  }
  EXPECT_THAT(collector.shops, ElementsAre("shop"));
}

}  // namespace
}  // namespace shopstream
