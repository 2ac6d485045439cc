// The ingest side of the internal stream against the real processor classes
// and a real PostgreSQL.
#include "ingest/processor_client.h"

#include <grpcpp/grpcpp.h>

#include <pqxx/pqxx>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "processor/batch_committer.h"
#include "processor/event_pipeline_service.h"
#include "rpc_stream/stream_open.h"
#include "shopstream/internal/v1/pipeline.grpc.pb.h"
#include "storage/schema_migrator.h"
#include "storage/test_database.h"

namespace shopstream {
namespace {

struct Outcome {
  absl::Notification done;
  absl::Status status;
  EventOutcomes outcomes;
};

std::vector<internal::v1::StoredEvent> Events(
    const std::vector<std::string>& ids) {
  std::vector<internal::v1::StoredEvent> out;
  for (const auto& id : ids) {
    internal::v1::StoredEvent e;
    e.set_shop_id("shop");
    e.set_event_id(id);
    e.set_event_type(internal::v1::PAGE_VIEW);
    e.set_occurred_at_micros(absl::ToUnixMicros(absl::Now()));
    out.push_back(e);
  }
  return out;
}

class Processor {
 public:
  explicit Processor(const std::string& conninfo, int port = 0)
      : committer_({.conninfo = conninfo}),
        service_(&committer_, InternalRpcGate::AdmitAll(), EventValidator()) {
    committer_.Start();
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:" + std::to_string(port),
                             grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
  }
  ~Processor() { Stop(); }
  void Stop() {
    if (server_ == nullptr) return;
    committer_.Stop();
    server_->Shutdown(std::chrono::system_clock::now());
    server_.reset();
  }
  int port() const { return port_; }

 private:
  BatchCommitter committer_;
  EventPipelineService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

bool WaitConnected(ProcessorClient& client) {
  for (int i = 0; i < 200 && !client.Ready(); ++i) {
    absl::SleepFor(absl::Milliseconds(25));
  }
  return client.Ready();
}

void Publish(ProcessorClient& client, const std::vector<std::string>& ids,
             Outcome* out) {
  client.Publish(Events(ids), "", EventLane::kSingle,
                 [out](const absl::Status& s, const EventOutcomes& o) {
                   out->status = s;
                   out->outcomes = o;
                   out->done.Notify();
                 });
}

TEST(ProcessorClientTest, PublishesOverTheStreamAndReportsDuplicates) {
  TestDatabase db;
  ASSERT_TRUE(SchemaMigrator().Apply(db.conninfo()).ok());
  Processor processor(db.conninfo());
  ProcessorClient client(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(processor.port()),
                          grpc::InsecureChannelCredentials()));
  client.Start();
  ASSERT_TRUE(WaitConnected(client));

  std::vector<std::unique_ptr<Outcome>> outcomes;
  for (int i = 0; i < 50; ++i) {
    outcomes.push_back(std::make_unique<Outcome>());
    Publish(client, {"e" + std::to_string(i), "e" + std::to_string(i + 1)},
            outcomes.back().get());
  }
  int duplicates = 0;
  for (auto& o : outcomes) {
    ASSERT_TRUE(o->done.WaitForNotificationWithTimeout(absl::Seconds(30)));
    ASSERT_TRUE(o->status.ok()) << o->status;
    ASSERT_EQ(o->outcomes.size(), 2u);
    for (const auto& outcome : o->outcomes) {
      duplicates += outcome.fate == EventFate::kDuplicate;
    }
  }
  EXPECT_EQ(duplicates, 49);  // e1..e49 each sent twice
  pqxx::connection c(db.conninfo());
  pqxx::work tx(c);
  EXPECT_EQ(tx.exec("SELECT count(*) FROM events")[0][0].as<int>(), 51);
  client.Stop();
}

TEST(ProcessorClientTest, EventsTheProcessorRefusesComeBackWithTheirReason) {
  TestDatabase db;
  ASSERT_TRUE(SchemaMigrator().Apply(db.conninfo()).ok());
  Processor processor(db.conninfo());
  ProcessorClient client(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(processor.port()),
                          grpc::InsecureChannelCredentials()));
  client.Start();
  ASSERT_TRUE(WaitConnected(client));

  std::vector<internal::v1::StoredEvent> events =
      Events({"fine", "far-ahead", "negative", "also-fine"});
  events[1].set_occurred_at_micros(absl::ToUnixMicros(
      absl::FromCivil(absl::CivilDay(9998, 1, 1), absl::UTCTimeZone())));
  events[2].set_event_type(internal::v1::PURCHASE);
  events[2].set_order_amount_cents(-100);
  Outcome o;
  client.Publish(std::move(events), "", EventLane::kBulk,
                 [&o](const absl::Status& s, const EventOutcomes& outcomes) {
                   o.status = s;
                   o.outcomes = outcomes;
                   o.done.Notify();
                 });
  ASSERT_TRUE(o.done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  ASSERT_TRUE(o.status.ok()) << o.status;
  ASSERT_EQ(o.outcomes.size(), 4u);
  EXPECT_EQ(o.outcomes[0].fate, EventFate::kStored);
  EXPECT_EQ(o.outcomes[1].fate, EventFate::kRefused);
  EXPECT_TRUE(absl::StartsWith(o.outcomes[1].reason, "timestamp: "))
      << o.outcomes[1].reason;
  EXPECT_EQ(o.outcomes[2].fate, EventFate::kRefused);
  EXPECT_TRUE(absl::StartsWith(o.outcomes[2].reason, "order_amount_cents: "))
      << o.outcomes[2].reason;
  EXPECT_EQ(o.outcomes[3].fate, EventFate::kStored);
  pqxx::connection c(db.conninfo());
  pqxx::work tx(c);
  EXPECT_EQ(tx.exec("SELECT string_agg(event_id, ',' ORDER BY event_id) "
                    "FROM events")[0][0]
                .as<std::string>(),
            "also-fine,fine");
  client.Stop();
}

TEST(ProcessorClientTest, WithoutAProcessorPublishFailsFastAsUnavailable) {
  ProcessorClient client(
      grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()));
  client.Start();
  Outcome o;
  Publish(client, {"x"}, &o);
  ASSERT_TRUE(o.done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(o.status.code(), absl::StatusCode::kUnavailable);
  client.Stop();
}

TEST(ProcessorClientTest, ReconnectsWhenTheProcessorComesBack) {
  TestDatabase db;
  ASSERT_TRUE(SchemaMigrator().Apply(db.conninfo()).ok());
  auto processor = std::make_unique<Processor>(db.conninfo());
  const int port = processor->port();
  ProcessorClient client(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  client.Start();
  ASSERT_TRUE(WaitConnected(client));
  processor->Stop();
  processor.reset();
  for (int i = 0; i < 200 && client.Ready(); ++i) {
    absl::SleepFor(absl::Milliseconds(25));
  }
  Outcome refused;
  Publish(client, {"while-down"}, &refused);
  ASSERT_TRUE(refused.done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(refused.status.code(), absl::StatusCode::kUnavailable);

  processor = std::make_unique<Processor>(db.conninfo(), port);
  ASSERT_TRUE(WaitConnected(client));
  Outcome accepted;
  Publish(client, {"after"}, &accepted);
  ASSERT_TRUE(accepted.done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_TRUE(accepted.status.ok()) << accepted.status;
  client.Stop();
}

// Stands in for the processor: answers every message at once, all stored,
// and keeps the messages.
class RecordingPipeline final : public internal::v1::EventPipeline::Service {
 public:
  grpc::Status Publish(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<internal::v1::PublishAck,
                               internal::v1::PublishRequest>* stream) override {
    // As the processor says that it admitted the stream.
    context->AddInitialMetadata(rpc_stream::kStreamOpenMetadataKey, "1");
    stream->SendInitialMetadata();
    internal::v1::PublishRequest request;
    while (stream->Read(&request)) {
      internal::v1::PublishAck ack;
      ack.set_sequence(request.sequence());
      for (int i = 0; i < request.events_size(); ++i) {
        ack.add_fate(internal::v1::STORED);
      }
      {
        absl::MutexLock lock(&mu_);
        messages_.push_back(request);
      }
      if (!stream->Write(ack)) break;
    }
    return grpc::Status::OK;
  }
  std::vector<internal::v1::PublishRequest> messages() {
    absl::MutexLock lock(&mu_);
    return messages_;
  }

 private:
  absl::Mutex mu_;
  std::vector<internal::v1::PublishRequest> messages_;
};

TEST(ProcessorClientTest, AMessageCarriesOneLaneAndSaysWhichOne) {
  RecordingPipeline pipeline;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&pipeline);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ProcessorClient client(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  client.Start();
  ASSERT_TRUE(WaitConnected(client));

  // Published faster than the client sends, so lanes wait side by side.
  std::vector<std::unique_ptr<Outcome>> outcomes;
  for (int i = 0; i < 40; ++i) {
    const bool bulk = i % 3 == 0;
    outcomes.push_back(std::make_unique<Outcome>());
    Outcome* out = outcomes.back().get();
    client.Publish(Events({(bulk ? "bulk-" : "single-") + std::to_string(i)}),
                   "", bulk ? EventLane::kBulk : EventLane::kSingle,
                   [out](const absl::Status& s, const EventOutcomes& o) {
                     out->status = s;
                     out->outcomes = o;
                     out->done.Notify();
                   });
  }
  for (auto& o : outcomes) {
    ASSERT_TRUE(o->done.WaitForNotificationWithTimeout(absl::Seconds(30)));
    ASSERT_TRUE(o->status.ok()) << o->status;
  }
  int bulk_events = 0;
  int single_events = 0;
  for (const auto& message : pipeline.messages()) {
    for (const auto& event : message.events()) {
      EXPECT_EQ(absl::StartsWith(event.event_id(), "bulk-"), message.bulk())
          << event.event_id();
      ++(message.bulk() ? bulk_events : single_events);
    }
  }
  EXPECT_EQ(bulk_events, 14);
  EXPECT_EQ(single_events, 26);
  client.Stop();
  server->Shutdown(std::chrono::system_clock::now());
}

}  // namespace
}  // namespace shopstream
