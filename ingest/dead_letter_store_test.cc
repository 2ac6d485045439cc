#include "ingest/dead_letter_store.h"

#include <atomic>
#include <pqxx/pqxx>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "storage/schema_migrator.h"
#include "storage/test_database.h"

namespace shopstream {
namespace {

internal::v1::StoredEvent Event(const std::string& shop,
                                const std::string& id) {
  internal::v1::StoredEvent e;
  e.set_shop_id(shop);
  e.set_event_id(id);
  e.set_event_type(internal::v1::PURCHASE);
  e.set_occurred_at_micros(1759401000000000);
  e.set_order_amount_cents(1999);
  return e;
}

class DeadLetterStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(SchemaMigrator().Apply(db_.conninfo()).ok());
  }

  // As processor/batch_writer.cc writes it: escaped text, exact payload.
  int64_t Insert(const internal::v1::StoredEvent& e,
                 const std::string& reason = "value too long") {
    pqxx::connection c(db_.conninfo());
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
    return id;
  }

  // Backends of this database waiting for a lock now.
  int WaitingForLocks() {
    pqxx::connection c(db_.conninfo());
    pqxx::work tx(c);
    return tx
        .exec_params(
            "SELECT count(*) FROM pg_stat_activity WHERE "
            "datname = $1 AND wait_event_type = 'Lock'",
            db_.name())[0][0]
        .as<int>();
  }

  TestDatabase db_;
  PgConnectionPool pool_{db_.conninfo(), 4};
  DeadLetterStore store_{&pool_};
};

TEST_F(DeadLetterStoreTest, ListsAShopsNewestFirstInPages) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(Insert(Event("shop-a", "e" + std::to_string(i))));
  }
  Insert(Event("shop-b", "other"));
  // A shop whose id the processor escapes is still found.
  Insert(Event("магазин \"x\"", "escaped"));

  absl::StatusOr<DeadLetterPage> first = store_.List("shop-a", false, 2, {});
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->records.size(), 2u);
  EXPECT_EQ(first->records[0].id, ids[4]);
  EXPECT_EQ(first->records[1].id, ids[3]);
  EXPECT_TRUE(first->records[0].payload_parsed);
  EXPECT_EQ(first->records[0].event.event_id(), "e4");
  EXPECT_EQ(first->records[0].event.order_amount_cents(), 1999);
  EXPECT_EQ(first->records[0].reason, "value too long");
  ASSERT_TRUE(first->next_before_id.has_value());

  absl::StatusOr<DeadLetterPage> rest =
      store_.List("shop-a", false, 10, first->next_before_id);
  ASSERT_TRUE(rest.ok()) << rest.status();
  ASSERT_EQ(rest->records.size(), 3u);
  EXPECT_EQ(rest->records[2].id, ids[0]);
  EXPECT_FALSE(rest->next_before_id.has_value());

  absl::StatusOr<DeadLetterPage> escaped =
      store_.List("магазин \"x\"", false, 10, {});
  ASSERT_TRUE(escaped.ok());
  ASSERT_EQ(escaped->records.size(), 1u);
  EXPECT_EQ(escaped->records[0].event.shop_id(), "магазин \"x\"");
}

TEST_F(DeadLetterStoreTest, ReplayMarksOnceAndOnlyWhenStored) {
  const int64_t id = Insert(Event("shop-a", "e1"));
  int calls = 0;
  // Refused: nothing marked.
  absl::StatusOr<DeadLetterRecord> refused = store_.Replay(
      "shop-a", id, "key1", [&](const internal::v1::StoredEvent& e) {
        ++calls;
        EXPECT_EQ(e.event_id(), "e1");
        return absl::InvalidArgumentError("event.timestamp: too old");
      });
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_.List("shop-a", false, 10, {})->records.size(), 1u);

  absl::StatusOr<DeadLetterRecord> replayed =
      store_.Replay("shop-a", id, "key1", [&](const auto&) {
        ++calls;
        return absl::OkStatus();
      });
  ASSERT_TRUE(replayed.ok()) << replayed.status();
  EXPECT_TRUE(replayed->replayed_at.has_value());
  EXPECT_EQ(replayed->replayed_by, "key1");
  EXPECT_EQ(calls, 2);

  absl::StatusOr<DeadLetterRecord> again =
      store_.Replay("shop-a", id, "key2", [&](const auto&) {
        ++calls;
        return absl::OkStatus();
      });
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("already replayed"),
            std::string::npos);
  EXPECT_EQ(calls, 2) << "a replayed dead letter is not stored again";

  // Replayed ones leave the default list and stay in the full one.
  EXPECT_TRUE(store_.List("shop-a", false, 10, {})->records.empty());
  absl::StatusOr<DeadLetterPage> all = store_.List("shop-a", true, 10, {});
  ASSERT_EQ(all->records.size(), 1u);
  EXPECT_EQ(all->records[0].replayed_by, "key1");

  // Another shop's dead letter is not found.
  const int64_t other = Insert(Event("shop-b", "e2"));
  EXPECT_EQ(store_
                .Replay("shop-a", other, "key1",
                        [&](const auto&) {
                          ++calls;
                          return absl::OkStatus();
                        })
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(calls, 2);
}

TEST_F(DeadLetterStoreTest, APayloadThatIsNoEventIsRefused) {
  pqxx::connection c(db_.conninfo());
  pqxx::work tx(c);
  const int64_t id =
      tx.exec(
            "INSERT INTO dead_letter_events (shop_id, event_id, event_text, "
            "payload, reason) VALUES ('shop-a', 'x', '', '\\xffff', 'r') "
            "RETURNING id")[0][0]
          .as<int64_t>();
  tx.commit();
  absl::StatusOr<DeadLetterPage> listed = store_.List("shop-a", false, 10, {});
  ASSERT_EQ(listed->records.size(), 1u);
  EXPECT_FALSE(listed->records[0].payload_parsed);
  EXPECT_EQ(listed->records[0].event.event_id(), "x");
  EXPECT_EQ(store_
                .Replay("shop-a", id, "k",
                        [](const auto&) { return absl::OkStatus(); })
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

// Two replays at once: the second waits for the first's row lock, then
// finds the dead letter replayed; the event goes out once.
TEST_F(DeadLetterStoreTest, ConcurrentReplaysStoreAndMarkOnce) {
  const int64_t id = Insert(Event("shop-a", "e1"));
  std::atomic<int> calls = 0;
  absl::Notification first_inside, release_first;
  absl::StatusOr<DeadLetterRecord> first, second;
  std::thread a([&] {
    first = store_.Replay("shop-a", id, "key1", [&](const auto&) {
      ++calls;
      first_inside.Notify();
      release_first.WaitForNotification();
      return absl::OkStatus();
    });
  });
  first_inside.WaitForNotification();
  std::thread b([&] {
    second = store_.Replay("shop-a", id, "key2", [&](const auto&) {
      ++calls;
      return absl::OkStatus();
    });
  });
  // The second replay is blocked on the row before the first goes on
  // (bounded, so that a replay that does not wait fails here).
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (WaitingForLocks() == 0 && absl::Now() < give_up) {
    std::this_thread::yield();
  }
  EXPECT_EQ(WaitingForLocks(), 1);
  release_first.Notify();
  a.join();
  b.join();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition)
      << second.status();
  EXPECT_EQ(calls, 1);
  pqxx::connection c(db_.conninfo());
  pqxx::work tx(c);
  EXPECT_EQ(tx.exec("SELECT replayed_by FROM dead_letter_events")[0][0]
                .as<std::string>(),
            "key1");
}

}  // namespace
}  // namespace shopstream
