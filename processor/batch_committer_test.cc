#include "processor/batch_committer.h"

#include <pqxx/pqxx>

#include "absl/synchronization/notification.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/schema_migrator.h"
#include "storage/test_database.h"

namespace shopstream {
namespace {

struct Outcome {
  absl::Notification done;
  absl::Status status;
  EventOutcomes outcomes;
  int Count(EventFate fate) const {
    int n = 0;
    for (const auto& o : outcomes) n += o.fate == fate;
    return n;
  }
};

Submission Make(const std::vector<std::string>& ids, Outcome* outcome,
                int64_t cents = 100) {
  Submission s;
  for (const auto& id : ids) {
    auto* e = s.request.add_events();
    e->set_shop_id("shop");
    e->set_event_id(id);
    e->set_event_type(internal::v1::PURCHASE);
    e->set_occurred_at_micros(1);
    e->set_order_amount_cents(cents);
  }
  s.done = [outcome](const absl::Status& st, const EventOutcomes& o) {
    outcome->status = st;
    outcome->outcomes = o;
    outcome->done.Notify();
  };
  return s;
}

TEST(BatchCommitterTest, AnswersEachSubmissionAfterCommit) {
  TestDatabase db;
  ASSERT_TRUE(SchemaMigrator().Apply(db.conninfo()).ok());
  BatchCommitter committer({.conninfo = db.conninfo(), .writers = 2});
  committer.Start();
  Outcome a, b;
  committer.Submit(Make({"1", "2"}, &a));
  committer.Submit(Make({"2", "3"}, &b));
  ASSERT_TRUE(a.done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  ASSERT_TRUE(b.done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  ASSERT_TRUE(a.status.ok()) << a.status;
  ASSERT_TRUE(b.status.ok()) << b.status;
  // "2" is stored once; whichever submission came second sees a duplicate.
  EXPECT_EQ(a.Count(EventFate::kDuplicate) + b.Count(EventFate::kDuplicate), 1);
  pqxx::connection c(db.conninfo());
  pqxx::work tx(c);
  EXPECT_EQ(tx.exec("SELECT count(*) FROM events")[0][0].as<int>(), 3);
}

TEST(BatchCommitterTest, APoisonEventIsDeadLetteredAndTheRestCommit) {
  TestDatabase db;
  ASSERT_TRUE(SchemaMigrator().Apply(db.conninfo()).ok());
  // One writer and a long wait put all three submissions in one batch.
  BatchCommitter committer(
      {.conninfo = db.conninfo(),
       .writers = 1,
       .batch = {.max_batch_events = 7, .max_wait = absl::Seconds(10)}});
  Outcome good1, mixed, good2;
  committer.Submit(Make({"g1", "g2"}, &good1));
  Submission poisoned = Make({"m1", "poison", "m2"}, &mixed);
  // Validation would never let this through; the table's CHECK refuses it.
  poisoned.request.mutable_events(1)->set_order_amount_cents(-5);
  committer.Submit(std::move(poisoned));
  committer.Submit(Make({"g3", "g4"}, &good2));
  committer.Start();
  for (Outcome* o : {&good1, &mixed, &good2}) {
    ASSERT_TRUE(o->done.WaitForNotificationWithTimeout(absl::Seconds(30)));
    ASSERT_TRUE(o->status.ok()) << o->status;
  }
  EXPECT_EQ(good1.Count(EventFate::kStored), 2);
  EXPECT_EQ(good2.Count(EventFate::kStored), 2);
  ASSERT_EQ(mixed.outcomes.size(), 3u);
  EXPECT_EQ(mixed.outcomes[0].fate, EventFate::kStored);
  EXPECT_EQ(mixed.outcomes[1].fate, EventFate::kDeadLettered);
  EXPECT_THAT(mixed.outcomes[1].reason,
              ::testing::HasSubstr("order_amount_cents"));
  EXPECT_EQ(mixed.outcomes[2].fate, EventFate::kStored);
  pqxx::connection c(db.conninfo());
  pqxx::work tx(c);
  EXPECT_EQ(tx.exec("SELECT count(*) FROM events")[0][0].as<int>(), 6);
  auto dead =
      tx.exec("SELECT event_id, reason, payload FROM dead_letter_events");
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0][0].as<std::string>(), "poison");
  internal::v1::StoredEvent kept;
  ASSERT_TRUE(kept.ParseFromString(pqxx::binarystring(dead[0][2]).str()));
  EXPECT_EQ(kept.order_amount_cents(), -5);
}

TEST(BatchCommitterTest, SubmissionsCommittedBeforeAFailedPartAreAnsweredOk) {
  TestDatabase db;
  ASSERT_TRUE(SchemaMigrator().Apply(db.conninfo()).ok());
  {
    // Dead-lettering the poison event will fail, and not for a moment.
    pqxx::connection c(db.conninfo());
    pqxx::work tx(c);
    tx.exec0("ALTER TABLE dead_letter_events RENAME TO dead_letters_gone");
    tx.commit();
  }
  BatchCommitter committer(
      {.conninfo = db.conninfo(),
       .writers = 1,
       .batch = {.max_batch_events = 7, .max_wait = absl::Seconds(10)}});
  Outcome first, mixed, last;
  committer.Submit(Make({"f1", "f2"}, &first));
  Submission poisoned = Make({"m1", "poison", "m2"}, &mixed);
  poisoned.request.mutable_events(1)->set_order_amount_cents(-5);
  committer.Submit(std::move(poisoned));
  committer.Submit(Make({"l1", "l2"}, &last));
  committer.Start();
  for (Outcome* o : {&first, &mixed, &last}) {
    ASSERT_TRUE(o->done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  }
  // The batch is split in halves: f1, f2, m1 commit; the poison event
  // cannot be put aside, so the rest fails.
  ASSERT_TRUE(first.status.ok()) << first.status;
  EXPECT_EQ(first.Count(EventFate::kStored), 2);
  EXPECT_FALSE(mixed.status.ok());
  EXPECT_FALSE(last.status.ok());
  pqxx::connection c(db.conninfo());
  pqxx::work tx(c);
  EXPECT_EQ(tx.exec("SELECT string_agg(event_id, ',' ORDER BY event_id) "
                    "FROM events")[0][0]
                .as<std::string>(),
            "f1,f2,m1");
}

TEST(BatchCommitterTest,
     UnreachableDatabaseIsRetriedForTheBudgetThenUnavailable) {
  // Each minute the clock moves wakes the writer from its pause (the
  // pauses are shorter): it tries again, and waits again.
  FakeClock clock;
  BatchCommitter committer(
      {.conninfo = "host=127.0.0.1 port=1 user=postgres connect_timeout=1",
       .writers = 1,
       .retry_budget = absl::Minutes(10)},
      clock);
  committer.Start();
  Outcome o;
  committer.Submit(Make({"x"}, &o));
  // The first minute ends the batch's wait and starts the retries.
  for (int minute = 1; minute <= 10; ++minute) {
    ASSERT_TRUE(clock.AdvanceRound(absl::Minutes(1)))
        << "stopped retrying at minute " << minute;
    ASSERT_FALSE(o.done.HasBeenNotified()) << "answered at minute " << minute;
  }
  ASSERT_TRUE(clock.AwaitWaiters(1));
  clock.Advance(absl::Minutes(5));
  ASSERT_TRUE(o.done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_EQ(o.status.code(), absl::StatusCode::kUnavailable) << o.status;
}

TEST(BatchCommitterTest, StopGivesUpRetryingAfterItsGrace) {
  // PostgreSQL is unreachable and the retry budget endless: only the grace
  // of Stop can end the retries.
  BatchCommitter committer(
      {.conninfo = "host=127.0.0.1 port=1 user=postgres connect_timeout=1",
       .writers = 1,
       .retry_budget = absl::InfiniteDuration()});
  committer.Start();
  Outcome o;
  committer.Submit(Make({"x"}, &o));
  committer.Stop(absl::Milliseconds(200));
  ASSERT_TRUE(o.done.HasBeenNotified());
  EXPECT_EQ(o.status.code(), absl::StatusCode::kUnavailable) << o.status;
}

TEST(BatchCommitterTest, StopCommitsWhatWasTaken) {
  TestDatabase db;
  ASSERT_TRUE(SchemaMigrator().Apply(db.conninfo()).ok());
  BatchCommitter committer(
      {.conninfo = db.conninfo(),
       .writers = 1,
       .batch = {.max_batch_events = 1000, .max_wait = absl::Hours(1)}});
  committer.Start();
  Outcome o;
  committer.Submit(Make({"late"}, &o));
  committer.Stop();
  ASSERT_TRUE(o.done.HasBeenNotified());
  EXPECT_TRUE(o.status.ok()) << o.status;
  Outcome refused;
  committer.Submit(Make({"after"}, &refused));
  EXPECT_EQ(refused.status.code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace shopstream
