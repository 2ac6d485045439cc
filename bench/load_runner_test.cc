#include "bench/load_runner.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>

#include "gtest/gtest.h"

namespace shopstream::bench {
namespace {

TEST(ScenarioNameTest, KindRateAndConcurrency) {
  auto plain = ParseScenarioName("grpc_batch");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->transport, Transport::kGrpcBatch);
  EXPECT_FALSE(plain->open_loop());
  EXPECT_EQ(plain->concurrency_override, 0);

  auto rated = ParseScenarioName("rest@20000");
  ASSERT_TRUE(rated.ok());
  EXPECT_EQ(rated->transport, Transport::kRest);
  EXPECT_DOUBLE_EQ(rated->target_events_per_second, 20000);

  auto wide = ParseScenarioName("rest:512@30000");
  ASSERT_TRUE(wide.ok());
  EXPECT_EQ(wide->transport, Transport::kRest);
  EXPECT_EQ(wide->concurrency_override, 512);
  EXPECT_DOUBLE_EQ(wide->target_events_per_second, 30000);
}

TEST(ScenarioNameTest, ShareOfTheClosedLoopRateIsLeftForTheRunner) {
  auto share = ParseScenarioName("rest@80%");
  ASSERT_TRUE(share.ok());
  EXPECT_EQ(share->transport, Transport::kRest);
  EXPECT_DOUBLE_EQ(share->share_of_closed_loop, 0.8);
  // The rate is only known once the closed-loop run has run.
  EXPECT_DOUBLE_EQ(share->target_events_per_second, 0);

  auto wide = ParseScenarioName("grpc_batch:4@50%");
  ASSERT_TRUE(wide.ok());
  EXPECT_EQ(wide->concurrency_override, 4);
  EXPECT_DOUBLE_EQ(wide->share_of_closed_loop, 0.5);
}

TEST(ScenarioNameTest, RefusesWhatItCannotRead) {
  EXPECT_FALSE(ParseScenarioName("soap").ok());
  EXPECT_FALSE(ParseScenarioName("rest:lots").ok());
  EXPECT_FALSE(ParseScenarioName("rest:0").ok());
  EXPECT_FALSE(ParseScenarioName("rest@fast").ok());
  EXPECT_FALSE(ParseScenarioName("rest@%").ok());
  EXPECT_FALSE(ParseScenarioName("rest@0%").ok());
  EXPECT_FALSE(ParseScenarioName("rest@-5%").ok());
  EXPECT_FALSE(ParseScenarioName("rest@80%%").ok());
}

// Answers every call on the io_context, after `delay`, and checks that no
// call starts while the previous one is unanswered.
class FakeSender : public AsyncEventSender {
 public:
  FakeSender(boost::asio::io_context& io, std::chrono::milliseconds delay,
             int fail_every)
      : timer_(io), delay_(delay), fail_every_(fail_every) {}

  void Send(const std::vector<v1::Event>& events, SendOutcome* outcome,
            std::function<void()> done) override {
    EXPECT_FALSE(in_flight_) << "a second call before the first's answer";
    in_flight_ = true;
    ++calls_;
    last_send_ = std::chrono::steady_clock::now();
    outcome->Reset(events.size());
    for (size_t i = 0; i < events.size(); ++i) {
      if (fail_every_ > 0 && ++sent_ % fail_every_ == 0) {
        outcome->error = "fake:unavailable";
      } else {
        outcome->acked[i] = true;
      }
    }
    timer_.expires_after(delay_);
    timer_.async_wait([this, done = std::move(done)](auto) {
      in_flight_ = false;
      done();
    });
  }

  int64_t calls() const { return calls_; }
  std::chrono::steady_clock::time_point last_send() const { return last_send_; }

 private:
  boost::asio::steady_timer timer_;
  std::chrono::milliseconds delay_;
  int fail_every_;
  bool in_flight_ = false;
  int64_t calls_ = 0;
  int64_t sent_ = 0;
  std::chrono::steady_clock::time_point last_send_{};
};

struct FakeSenders {
  std::chrono::milliseconds delay{0};
  int fail_every = 0;
  std::vector<FakeSender*> made;

  AsyncSenderFactory Factory() {
    return [this](int, boost::asio::io_context& io) {
      auto sender = std::make_unique<FakeSender>(io, delay, fail_every);
      made.push_back(sender.get());
      return sender;
    };
  }
};

LoadOptions ShortRun(absl::Duration duration) {
  LoadOptions options;
  options.duration = duration;
  options.warmup = absl::ZeroDuration();
  return options;
}

ScenarioSpec Spec(int concurrency, int events_per_call, double rate) {
  ScenarioSpec spec;
  spec.name = "fake";
  spec.concurrency = concurrency;
  spec.events_per_call = events_per_call;
  spec.target_events_per_second = rate;
  return spec;
}

TEST(AsyncLoadRunnerTest, ClosedLoopCountsEveryAnsweredEventOnce) {
  FakeSenders senders;
  LoadRunner runner(Spec(3, 2, 0), ShortRun(absl::Milliseconds(100)),
                    senders.Factory());
  LoadResult result = runner.Run("shop", "run", nullptr);

  int64_t calls = 0;
  for (const FakeSender* sender : senders.made) calls += sender->calls();
  ASSERT_GT(calls, 0);
  EXPECT_EQ(result.events_sent, 2 * calls);
  EXPECT_EQ(result.events_acked, result.events_sent);
  EXPECT_TRUE(result.errors.empty());
  ASSERT_EQ(result.acked_sequences.size(), 3u);
  for (const std::vector<uint64_t>& sequences : result.acked_sequences) {
    for (size_t i = 0; i < sequences.size(); ++i) EXPECT_EQ(sequences[i], i);
  }
  EXPECT_EQ(result.latency_us.count(), result.events_acked);
}

TEST(AsyncLoadRunnerTest, OpenLoopOffersExactlyTheScheduledCalls) {
  FakeSenders senders;
  // 2,000 events/s over 4 workers: a call every 2 ms per worker, so 125
  // calls each in 250 ms, however the answers are timed, and none before
  // its slot: each worker's last slot is at least 248 ms in.
  LoadRunner runner(Spec(4, 1, 2000), ShortRun(absl::Milliseconds(250)),
                    senders.Factory());
  const auto before = std::chrono::steady_clock::now();
  LoadResult result = runner.Run("shop", "run", nullptr);
  EXPECT_EQ(result.events_sent, 500);
  EXPECT_EQ(result.events_acked, 500);
  ASSERT_EQ(senders.made.size(), 4u);
  for (const FakeSender* sender : senders.made) {
    EXPECT_EQ(sender->calls(), 125);
    EXPECT_GE(sender->last_send() - before, std::chrono::milliseconds(248));
  }
}

TEST(AsyncLoadRunnerTest, OpenLoopLatencyCountsFromTheIntendedTime) {
  FakeSenders senders;
  senders.delay = std::chrono::milliseconds(5);
  // One worker asked for a call every millisecond while each takes at least
  // 5 ms: the last of the 50 calls is answered at least 250 ms after the
  // start, 201 ms after its slot, and that wait is latency, not a lower
  // offered rate.
  LoadRunner runner(Spec(1, 1, 1000), ShortRun(absl::Milliseconds(50)),
                    senders.Factory());
  LoadResult result = runner.Run("shop", "run", nullptr);
  EXPECT_EQ(result.events_acked, 50);
  EXPECT_GE(result.latency_us.max(), 201000);
}

TEST(AsyncLoadRunnerTest, UnansweredEventsAreCountedByReason) {
  FakeSenders senders;
  senders.fail_every = 4;
  LoadRunner runner(Spec(1, 1, 2000), ShortRun(absl::Milliseconds(100)),
                    senders.Factory());
  LoadResult result = runner.Run("shop", "run", nullptr);
  EXPECT_EQ(result.events_sent, 200);
  EXPECT_EQ(result.events_acked, 150);
  EXPECT_EQ(result.errors["fake:unavailable"], 50);
  EXPECT_EQ(result.acked_sequences[0].size(), 150u);
}

}  // namespace
}  // namespace shopstream::bench
