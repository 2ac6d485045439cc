// Faults with real processes: every event answered OK must be stored, once,
// whatever dies on the way. Clients retry with the same event_id, as the
// README tells them to.
#include <grpcpp/grpcpp.h>
#include <sys/wait.h>

#include <atomic>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "shopstream/v1/ingest.grpc.pb.h"
#include "tests/local_stack.h"

namespace shopstream::testing {
namespace {

constexpr char kShop[] = "fault-shop";

// Client threads that send unique events until told to stop, retrying each
// one with the same id until it is acknowledged or a bound is reached.
class RetryingClients {
 public:
  RetryingClients(std::shared_ptr<grpc::Channel> channel, int threads) {
    for (int t = 0; t < threads; ++t) {
      workers_.emplace_back([this, channel, t] { Run(channel, t); });
    }
  }

  // Stops sending new events; each thread finishes (or abandons) the one it
  // holds.
  void Stop() {
    stop_ = true;
    for (auto& w : workers_) w.join();
  }

  std::set<std::string> acked() {
    absl::MutexLock lock(&mu_);
    return acked_;
  }
  int64_t abandoned() const { return abandoned_; }
  int64_t retries() const { return retries_; }

 private:
  void Run(std::shared_ptr<grpc::Channel> channel, int thread) {
    auto stub = v1::IngestService::NewStub(channel);
    for (int n = 0; !stop_; ++n) {
      v1::IngestRequest request;
      v1::Event* e = request.mutable_event();
      e->set_event_id(absl::StrCat("t", thread, "-", n));
      e->set_shop_id(kShop);
      e->set_event_type("page_view");
      e->mutable_timestamp()->set_seconds(1759401000);
      e->set_product_id("p");
      bool done = false;
      // Bounded: about 30 s of retries per event at most.
      for (int attempt = 0; attempt < 300 && !done; ++attempt) {
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() +
                             std::chrono::seconds(5));
        v1::IngestResponse response;
        if (stub->Ingest(&context, request, &response).ok()) {
          done = true;
        } else {
          ++retries_;
          absl::SleepFor(absl::Milliseconds(100));
        }
      }
      if (done) {
        absl::MutexLock lock(&mu_);
        acked_.insert(e->event_id());
      } else {
        ++abandoned_;
      }
    }
  }

  std::atomic<bool> stop_{false};
  std::vector<std::thread> workers_;
  absl::Mutex mu_;
  std::set<std::string> acked_;
  std::atomic<int64_t> abandoned_{0};
  std::atomic<int64_t> retries_{0};
};

// Every acknowledged id is stored exactly once, and nothing else is stored
// but what may have been committed without an answer.
void ExpectAckedStoredOnce(const LocalStack& stack, RetryingClients& clients) {
  const std::set<std::string> acked = clients.acked();
  pqxx::connection c(stack.db().conninfo());
  pqxx::work tx(c);
  std::set<std::string> stored;
  int64_t rows = 0;
  for (const auto& row :
       tx.exec_params("SELECT event_id FROM events WHERE shop_id = $1", kShop)) {
    stored.insert(row[0].as<std::string>());
    ++rows;
  }
  EXPECT_EQ(rows, static_cast<int64_t>(stored.size()));  // no id twice
  int64_t missing = 0;
  for (const auto& id : acked) missing += stored.count(id) == 0;
  EXPECT_EQ(missing, 0) << "acknowledged but not stored";
  EXPECT_LE(static_cast<int64_t>(stored.size()),
            static_cast<int64_t>(acked.size()) + clients.abandoned());
  EXPECT_GT(acked.size(), 0u);
}

TEST(FaultTest, ProcessorKilledMidLoadLosesNothingAcknowledged) {
  LocalStack stack;
  RetryingClients clients(stack.IngestChannel(kShop), 8);
  absl::SleepFor(absl::Seconds(1));
  stack.processor().Kill();  // kill -9: whatever it held in memory is gone
  absl::SleepFor(absl::Milliseconds(700));
  stack.RestartProcessor();
  absl::SleepFor(absl::Seconds(2));
  clients.Stop();
  EXPECT_GT(clients.retries(), 0) << "the kill should have cost some retries";
  ExpectAckedStoredOnce(stack, clients);
}

TEST(FaultTest, SigtermMidLoadAnswersWhatItTookAndLosesNothing) {
  LocalStack stack;
  RetryingClients clients(stack.IngestChannel(kShop), 8);
  absl::SleepFor(absl::Seconds(1));
  const int status = stack.processor().Terminate();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  stack.RestartProcessor();
  absl::SleepFor(absl::Seconds(2));
  clients.Stop();
  ExpectAckedStoredOnce(stack, clients);
}

TEST(FaultTest, OneOfTwoProcessorsKilledMidLoad) {
  LocalStack stack(/*second_processor=*/true);
  RetryingClients clients(stack.IngestChannel(kShop), 8);
  absl::SleepFor(absl::Seconds(1));
  stack.second_processor().Kill();
  // Ingest steps around the dead one; the load goes on through the other.
  absl::SleepFor(absl::Seconds(2));
  const size_t before_end = clients.acked().size();
  absl::SleepFor(absl::Seconds(1));
  clients.Stop();
  EXPECT_GT(clients.acked().size(), before_end) << "no progress after the kill";
  ExpectAckedStoredOnce(stack, clients);
}

}  // namespace
}  // namespace shopstream::testing
