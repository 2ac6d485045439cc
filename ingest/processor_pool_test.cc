#include "ingest/processor_pool.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shopstream {
namespace {

using ::testing::ElementsAre;

// A processor that is up or down and counts what reaches it.
class CountingPublisher : public EventPublisher {
 public:
  explicit CountingPublisher(bool ready) : ready_(ready) {}
  void Publish(std::vector<internal::v1::StoredEvent> events,
               std::string request_id, EventLane lane, Done done) override {
    ++calls;
    last_lane = lane;
    done(absl::OkStatus(), EventOutcomes(events.size()));
  }
  bool Ready() const override { return ready_; }
  bool ready_;
  int calls = 0;
  EventLane last_lane = EventLane::kSingle;
};

absl::Status PublishOne(ProcessorPool& pool) {
  absl::Status result = absl::UnknownError("not answered");
  pool.Publish(
      {internal::v1::StoredEvent()}, "", EventLane::kBulk,
      [&](const absl::Status& s, const EventOutcomes&) { result = s; });
  return result;
}

TEST(ProcessorPoolTest, TakesTurnsAndStepsAroundProcessorsThatAreDown) {
  auto up1 = std::make_unique<CountingPublisher>(true);
  auto down = std::make_unique<CountingPublisher>(false);
  auto up2 = std::make_unique<CountingPublisher>(true);
  CountingPublisher* a = up1.get();
  CountingPublisher* b = down.get();
  CountingPublisher* c = up2.get();
  std::vector<std::unique_ptr<EventPublisher>> members;
  members.push_back(std::move(up1));
  members.push_back(std::move(down));
  members.push_back(std::move(up2));
  ProcessorPool pool(std::move(members));
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(PublishOne(pool).ok());
  EXPECT_EQ(b->calls, 0);
  EXPECT_EQ(a->calls + c->calls, 30);
  EXPECT_GE(a->calls, 10);
  EXPECT_GE(c->calls, 10);
  EXPECT_EQ(a->last_lane, EventLane::kBulk);  // passed on as given
  EXPECT_TRUE(pool.Ready());
}

TEST(ProcessorPoolTest, NoProcessorUpIsUnavailable) {
  std::vector<std::unique_ptr<EventPublisher>> members;
  members.push_back(std::make_unique<CountingPublisher>(false));
  ProcessorPool pool(std::move(members));
  EXPECT_EQ(PublishOne(pool).code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(pool.Ready());
}

TEST(ProcessorPoolTest, SplitsTargetLists) {
  EXPECT_THAT(SplitTargets("a:1, b:2,,c:3 "), ElementsAre("a:1", "b:2", "c:3"));
  EXPECT_THAT(SplitTargets("localhost:50053"), ElementsAre("localhost:50053"));
}

}  // namespace
}  // namespace shopstream
