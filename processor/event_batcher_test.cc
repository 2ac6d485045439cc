#include "processor/event_batcher.h"

#include <future>
#include <thread>

#include "common/clock.h"
#include "common/metrics.h"
#include "gtest/gtest.h"

namespace shopstream {
namespace {

// Batches cut by size alone: nothing waits long enough to be cut by time.
BatchPolicy CutAt(int max_batch_events) {
  return {.max_batch_events = max_batch_events,
          .max_wait = absl::Hours(1),
          .max_pending_events = 1000};
}

Submission WithEvents(int n) {
  Submission s;
  for (int i = 0; i < n; ++i) s.request.add_events()->set_event_id("e");
  s.done = [](const absl::Status&, const EventOutcomes&) {};
  return s;
}

Submission Bulk(int n) {
  Submission s = WithEvents(n);
  s.request.set_bulk(true);
  return s;
}

// The batch as "s" (single) or "b" (bulk) plus the event count, per
// submission in order: "s1 b4 b4".
std::string Shape(const std::vector<Submission>& batch) {
  std::string shape;
  for (const auto& s : batch) {
    if (!shape.empty()) shape += ' ';
    shape += (s.request.bulk() ? "b" : "s") +
             std::to_string(s.request.events_size());
  }
  return shape;
}

int EventsIn(const std::vector<Submission>& batch) {
  int n = 0;
  for (const auto& s : batch) n += s.request.events_size();
  return n;
}

TEST(EventBatcherTest, CutsAtMaxEventsWithoutSplittingSubmissions) {
  EventBatcher batcher(CutAt(10));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(batcher.Submit(WithEvents(4)).ok());
  auto first = batcher.NextBatch();
  EXPECT_EQ(first.size(), 2u);  // 4 + 4; a third would pass 10
  EXPECT_EQ(EventsIn(first), 8);
  EXPECT_EQ(batcher.pending_events(), 8);
}

// shopstream_processor_batches_total{cut}: the counter is process-wide, so
// tests compare it before and after.
double Cuts(BatchCut cut) { return ProcessorBatches(cut).Value(); }

TEST(EventBatcherTest, HandsOutALoneSubmissionOnceItHasWaited) {
  FakeClock clock;
  EventBatcher batcher({.max_batch_events = 1000,
                        .max_wait = absl::Milliseconds(5),
                        .max_pending_events = 1000},
                       clock);
  const double waited = Cuts(BatchCut::kWait);
  ASSERT_TRUE(batcher.Submit(WithEvents(1)).ok());
  EXPECT_TRUE(batcher.TryNextBatch().empty());
  clock.Advance(absl::Milliseconds(4));
  EXPECT_TRUE(batcher.TryNextBatch().empty());
  // Due only because max_wait passed: nothing else would cut a batch.
  clock.Advance(absl::Milliseconds(1));
  EXPECT_EQ(EventsIn(batcher.TryNextBatch()), 1);
  EXPECT_EQ(Cuts(BatchCut::kWait), waited + 1);
}

TEST(EventBatcherTest, OversizedSubmissionTravelsAlone) {
  EventBatcher batcher(CutAt(3));
  ASSERT_TRUE(batcher.Submit(WithEvents(5)).ok());
  ASSERT_TRUE(batcher.Submit(WithEvents(1)).ok());
  EXPECT_EQ(EventsIn(batcher.NextBatch()), 5);
}

TEST(EventBatcherTest, SingleEventsGoAheadOfABulkBacklog) {
  EventBatcher batcher(CutAt(10));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(batcher.Submit(Bulk(4)).ok());
  ASSERT_TRUE(batcher.Submit(WithEvents(1)).ok());
  EXPECT_EQ(Shape(batcher.NextBatch()), "s1 b4 b4");
  EXPECT_EQ(batcher.pending_events(), 4);
}

TEST(EventBatcherTest, AFloodOfSingleEventsLeavesBulkHalfOfEachBatch) {
  EventBatcher batcher(CutAt(10));
  ASSERT_TRUE(batcher.Submit(Bulk(5)).ok());
  ASSERT_TRUE(batcher.Submit(Bulk(5)).ok());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(batcher.Submit(WithEvents(1)).ok());
  EXPECT_EQ(Shape(batcher.NextBatch()), "s1 s1 s1 s1 s1 b5");
  EXPECT_EQ(Shape(batcher.NextBatch()), "s1 s1 s1 s1 s1 b5");
  // No bulk left: single events may fill a batch.
  EXPECT_EQ(EventsIn(batcher.NextBatch()), 10);
}

TEST(EventBatcherTest, BulkAloneFillsWholeBatches) {
  EventBatcher batcher(CutAt(10));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(batcher.Submit(Bulk(5)).ok());
  EXPECT_EQ(Shape(batcher.NextBatch()), "b5 b5");
}

TEST(EventBatcherTest, NextBatchWaitsUntilTheOldestHasWaited) {
  FakeClock clock;
  EventBatcher batcher({.max_batch_events = 1000,
                        .max_wait = absl::Milliseconds(5),
                        .max_pending_events = 1000},
                       clock);
  ASSERT_TRUE(batcher.Submit(WithEvents(3)).ok());
  auto next = std::async(std::launch::async,
                         [&] { return EventsIn(batcher.NextBatch()); });
  clock.Advance(absl::Milliseconds(5));
  ASSERT_EQ(next.wait_for(std::chrono::seconds(10)), std::future_status::ready)
      << "NextBatch did not follow the clock";
  EXPECT_EQ(next.get(), 3);
}

TEST(EventBatcherTest, ASmallBatchWaitsForTheCommitInProgress) {
  FakeClock clock;
  EventBatcher batcher({.max_batch_events = 1000,
                        .max_wait = absl::Milliseconds(1),
                        .overlap_min_events = 100,
                        .max_wait_behind_commit = absl::Hours(1),
                        .max_pending_events = 1000},
                       clock);
  const double waited = Cuts(BatchCut::kWait);
  ASSERT_TRUE(batcher.Submit(WithEvents(1)).ok());
  clock.Advance(absl::Milliseconds(1));
  ASSERT_EQ(EventsIn(batcher.TryNextBatch()), 1);  // now being committed
  ASSERT_TRUE(batcher.Submit(WithEvents(2)).ok());
  // Long past max_wait: a second writer would have taken the events.
  clock.Advance(absl::Milliseconds(50));
  EXPECT_TRUE(batcher.TryNextBatch().empty())
      << "a small batch went beside the running commit";
  batcher.BatchDone();
  EXPECT_EQ(EventsIn(batcher.TryNextBatch()), 2);
  // Both went on max_wait: the second once the commit ahead of it ended.
  EXPECT_EQ(Cuts(BatchCut::kWait) - waited, 2);
}

TEST(EventBatcherTest, ABigBatchGoesBesideTheCommitInProgress) {
  FakeClock clock;
  EventBatcher batcher({.max_batch_events = 10,
                        .max_wait = absl::Hours(1),
                        .overlap_min_events = 4,
                        .max_wait_behind_commit = absl::Hours(1),
                        .max_pending_events = 1000},
                       clock);
  const double full = Cuts(BatchCut::kSize);
  const double overlapping = Cuts(BatchCut::kOverlap);
  ASSERT_TRUE(batcher.Submit(Bulk(10)).ok());
  ASSERT_EQ(EventsIn(batcher.TryNextBatch()), 10);  // being committed
  ASSERT_TRUE(batcher.Submit(Bulk(3)).ok());
  EXPECT_TRUE(batcher.TryNextBatch().empty());
  ASSERT_TRUE(batcher.Submit(Bulk(3)).ok());
  // 6 events: past overlap_min_events, so no wait for BatchDone.
  EXPECT_EQ(Shape(batcher.TryNextBatch()), "b3 b3");
  EXPECT_EQ(Cuts(BatchCut::kSize) - full, 1);
  EXPECT_EQ(Cuts(BatchCut::kOverlap) - overlapping, 1);
}

TEST(EventBatcherTest, WaitingBehindACommitIsBounded) {
  FakeClock clock;
  EventBatcher batcher({.max_batch_events = 1000,
                        .max_wait = absl::Milliseconds(1),
                        .overlap_min_events = 100,
                        .max_wait_behind_commit = absl::Milliseconds(5),
                        .max_pending_events = 1000},
                       clock);
  ASSERT_TRUE(batcher.Submit(WithEvents(1)).ok());
  clock.Advance(absl::Milliseconds(1));
  ASSERT_EQ(EventsIn(batcher.TryNextBatch()), 1);
  // The first batch's commit never finishes (a writer stuck in retries):
  // the next one still goes once it has waited max_wait_behind_commit.
  const double bounded = Cuts(BatchCut::kWaitBehindCommit);
  ASSERT_TRUE(batcher.Submit(WithEvents(1)).ok());
  clock.Advance(absl::Milliseconds(4));
  EXPECT_TRUE(batcher.TryNextBatch().empty());
  clock.Advance(absl::Milliseconds(1));
  EXPECT_EQ(EventsIn(batcher.TryNextBatch()), 1);
  EXPECT_EQ(Cuts(BatchCut::kWaitBehindCommit) - bounded, 1);
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
  EventBatcher batcher(CutAt(1000));
  const double closing = Cuts(BatchCut::kClosing);
  ASSERT_TRUE(batcher.Submit(WithEvents(2)).ok());
  std::vector<Submission> got;
  std::thread waiter([&] { got = batcher.NextBatch(); });
  batcher.Close();
  waiter.join();
  EXPECT_EQ(EventsIn(got), 2);
  EXPECT_EQ(Cuts(BatchCut::kClosing) - closing, 1);
  EXPECT_TRUE(batcher.NextBatch().empty());
  EXPECT_EQ(batcher.Submit(WithEvents(1)).code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace shopstream
