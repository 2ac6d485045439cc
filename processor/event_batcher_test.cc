#include "processor/event_batcher.h"

#include <thread>

#include "gtest/gtest.h"

namespace shopstream {
namespace {

Submission WithEvents(int n) {
  Submission s;
  for (int i = 0; i < n; ++i) s.request.add_events()->set_event_id("e");
  s.done = [](const absl::Status&, const EventOutcomes&) {};
  return s;
}

int EventsIn(const std::vector<Submission>& batch) {
  int n = 0;
  for (const auto& s : batch) n += s.request.events_size();
  return n;
}

TEST(EventBatcherTest, CutsAtMaxEventsWithoutSplittingSubmissions) {
  EventBatcher batcher({.max_batch_events = 10,
                        .max_wait = absl::Hours(1),
                        .max_pending_events = 1000});
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(batcher.Submit(WithEvents(4)).ok());
  auto first = batcher.NextBatch();
  EXPECT_EQ(first.size(), 2u);  // 4 + 4; a third would pass 10
  EXPECT_EQ(EventsIn(first), 8);
  EXPECT_EQ(batcher.pending_events(), 8);
}

TEST(EventBatcherTest, HandsOutALoneSubmissionOnceItHasWaited) {
  EventBatcher batcher({.max_batch_events = 1000,
                        .max_wait = absl::Milliseconds(5),
                        .max_pending_events = 1000});
  ASSERT_TRUE(batcher.Submit(WithEvents(1)).ok());
  // Returns only because max_wait passed: nothing else would cut a batch.
  auto batch = batcher.NextBatch();
  EXPECT_EQ(EventsIn(batch), 1);
}

TEST(EventBatcherTest, OversizedSubmissionTravelsAlone) {
  EventBatcher batcher({.max_batch_events = 3,
                        .max_wait = absl::Hours(1),
                        .max_pending_events = 1000});
  ASSERT_TRUE(batcher.Submit(WithEvents(5)).ok());
  ASSERT_TRUE(batcher.Submit(WithEvents(1)).ok());
  EXPECT_EQ(EventsIn(batcher.NextBatch()), 5);
}

TEST(EventBatcherTest, RefusesPastThePendingLimit) {
  EventBatcher batcher({.max_batch_events = 1000,
                        .max_wait = absl::Hours(1),
                        .max_pending_events = 5});
  ASSERT_TRUE(batcher.Submit(WithEvents(4)).ok());
  EXPECT_EQ(batcher.Submit(WithEvents(2)).code(),
            absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(batcher.Submit(WithEvents(1)).ok());
}

TEST(EventBatcherTest, CloseDrainsThenEnds) {
  EventBatcher batcher({.max_batch_events = 1000,
                        .max_wait = absl::Hours(1),
                        .max_pending_events = 1000});
  ASSERT_TRUE(batcher.Submit(WithEvents(2)).ok());
  std::vector<Submission> got;
  std::thread waiter([&] { got = batcher.NextBatch(); });
  batcher.Close();
  waiter.join();
  EXPECT_EQ(EventsIn(got), 2);
  EXPECT_TRUE(batcher.NextBatch().empty());
  EXPECT_EQ(batcher.Submit(WithEvents(1)).code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace shopstream
