#include "bench/event_sender.h"

#include <grpcpp/grpcpp.h>

#include <set>

#include "absl/synchronization/mutex.h"
#include "bench/event_factory.h"
#include "gtest/gtest.h"
#include "shopstream/v1/ingest.grpc.pb.h"

namespace shopstream::bench {
namespace {

// Refuses events of an unknown type one by one, as ingest does, and keeps
// the position of each refused one.
class FakeIngest final : public v1::IngestService::Service {
 public:
  grpc::Status IngestBatch(grpc::ServerContext*,
                           const v1::IngestBatchRequest* request,
                           v1::IngestBatchResponse* response) override {
    absl::MutexLock lock(&mu_);
    for (int i = 0; i < request->events_size(); ++i) {
      v1::EventResult* result = response->add_results();
      result->set_index(i);
      const std::string& type = request->events(i).event_type();
      if (type == "page_view" || type == "add_to_cart" || type == "purchase") {
        result->set_status("accepted");
      } else {
        result->set_status("rejected");
        refused_at_.push_back(i);
      }
    }
    return grpc::Status::OK;
  }

  std::vector<int> refused_at() {
    absl::MutexLock lock(&mu_);
    return refused_at_;
  }

 private:
  absl::Mutex mu_;
  std::vector<int> refused_at_ ABSL_GUARDED_BY(mu_);
};

TEST(PoisonedBatchSenderTest, OneEventOfEachCallIsRefusedTheRestAcked) {
  FakeIngest service;
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  std::unique_ptr<EventSender> sender = PoisonedBatchSenderFactory(
      {server->InProcessChannel(grpc::ChannelArguments())},
      absl::Seconds(10))(0);

  EventFactory factory(EventMix{}, "shop-b", "poison", 0);
  std::vector<v1::Event> events(4);
  SendOutcome outcome;
  for (int call = 0; call < 5; ++call) {
    for (v1::Event& event : events) factory.Next(&event);
    sender->Send(events, &outcome);
    EXPECT_EQ(outcome.rejected, 1);
    EXPECT_EQ(std::count(outcome.acked.begin(), outcome.acked.end(), true), 3);
    EXPECT_TRUE(outcome.error.empty()) << outcome.error;
  }
  // The poison moves through the batch, so no position is special.
  const std::vector<int> refused = service.refused_at();
  EXPECT_EQ(std::set<int>(refused.begin(), refused.end()),
            (std::set<int>{0, 1, 2, 3}));
  server->Shutdown();
}

}  // namespace
}  // namespace shopstream::bench
