#include "processor/batch_committer.h"

#include <pqxx/pqxx>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "storage/schema_migrator.h"
#include "storage/test_database.h"

namespace shopstream {
namespace {

struct Outcome {
  absl::Notification done;
  absl::Status status;
  std::vector<bool> duplicate;
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
  s.done = [outcome](const absl::Status& st, const std::vector<bool>& d) {
    outcome->status = st;
    outcome->duplicate = d;
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
  int duplicates = 0;
  for (bool d : a.duplicate) duplicates += d;
  for (bool d : b.duplicate) duplicates += d;
  EXPECT_EQ(duplicates, 1);
  pqxx::connection c(db.conninfo());
  pqxx::work tx(c);
  EXPECT_EQ(tx.exec("SELECT count(*) FROM events")[0][0].as<int>(), 3);
}

TEST(BatchCommitterTest, ARefusedSubmissionDoesNotSinkItsBatchMates) {
  TestDatabase db;
  ASSERT_TRUE(SchemaMigrator().Apply(db.conninfo()).ok());
  // One writer and a long wait put all three submissions in one batch.
  BatchCommitter committer({.conninfo = db.conninfo(),
                            .writers = 1,
                            .batch = {.max_batch_events = 3,
                                      .max_wait = absl::Seconds(10)}});
  Outcome good1, bad, good2;
  committer.Submit(Make({"g1"}, &good1));
  committer.Submit(Make({"b"}, &bad, -5));
  committer.Submit(Make({"g2"}, &good2));
  committer.Start();
  for (Outcome* o : {&good1, &bad, &good2}) {
    ASSERT_TRUE(o->done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  }
  EXPECT_TRUE(good1.status.ok()) << good1.status;
  EXPECT_TRUE(good2.status.ok()) << good2.status;
  EXPECT_EQ(bad.status.code(), absl::StatusCode::kInvalidArgument);
  pqxx::connection c(db.conninfo());
  pqxx::work tx(c);
  EXPECT_EQ(tx.exec("SELECT count(*) FROM events")[0][0].as<int>(), 2);
}

TEST(BatchCommitterTest, UnreachableDatabaseAnswersUnavailableWithinBudget) {
  BatchCommitter committer(
      {.conninfo = "host=127.0.0.1 port=1 user=postgres connect_timeout=1",
       .writers = 1,
       .retry_budget = absl::Milliseconds(300)});
  committer.Start();
  Outcome o;
  committer.Submit(Make({"x"}, &o));
  ASSERT_TRUE(o.done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_EQ(o.status.code(), absl::StatusCode::kUnavailable) << o.status;
}

TEST(BatchCommitterTest, StopCommitsWhatWasTaken) {
  TestDatabase db;
  ASSERT_TRUE(SchemaMigrator().Apply(db.conninfo()).ok());
  BatchCommitter committer({.conninfo = db.conninfo(),
                            .writers = 1,
                            .batch = {.max_batch_events = 1000,
                                      .max_wait = absl::Hours(1)}});
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
