// The internal RPCs from outside, as a stranger on the network would call
// them: the processor's EventPipeline and ingest's EventIngress want the
// service token, and the processor checks every event again.
#include <grpcpp/grpcpp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "shopstream/internal/v1/ingress.grpc.pb.h"
#include "shopstream/internal/v1/pipeline.grpc.pb.h"
#include "shopstream/v1/ingest.pb.h"
#include "tests/local_stack.h"

namespace shopstream::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// The metadata key is part of the wire contract, so it is spelled out.
constexpr char kTokenKey[] = "x-shopstream-service-token";
constexpr char kWrongToken[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

internal::v1::StoredEvent Event(const std::string& id, absl::Time at) {
  internal::v1::StoredEvent e;
  e.set_shop_id("default");
  e.set_event_id(id);
  e.set_event_type(internal::v1::PAGE_VIEW);
  e.set_occurred_at_micros(absl::ToUnixMicros(at));
  return e;
}

// A forged purchase: what a stranger would add to a shop's revenue.
internal::v1::StoredEvent Purchase(const std::string& id, int64_t cents) {
  internal::v1::StoredEvent e = Event(id, absl::Now());
  e.set_event_type(internal::v1::PURCHASE);
  e.set_order_amount_cents(cents);
  return e;
}

// One message on a Publish stream to `target`, carrying `token` (none when
// empty); the stream's status, with the ack in `ack` when there is one.
grpc::Status PublishRaw(const std::string& target, const std::string& token,
                        const std::vector<internal::v1::StoredEvent>& events,
                        internal::v1::PublishAck* ack) {
  auto stub = internal::v1::EventPipeline::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(20));
  if (!token.empty()) context.AddMetadata(kTokenKey, token);
  auto stream = stub->Publish(&context);
  internal::v1::PublishRequest request;
  request.set_sequence(1);
  for (const auto& e : events) *request.add_events() = e;
  stream->Write(request);
  stream->WritesDone();
  const bool answered = stream->Read(ack);
  grpc::Status status = stream->Finish();
  if (status.ok() && !answered) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "no ack");
  }
  return status;
}

// One event on an EventIngress stream to `target`, with the API key `key`
// and the stream carrying `token` (none when empty); the stream's status,
// with the item's result in `result` when there is one.
grpc::Status ForwardedIngest(const std::string& target,
                             const std::string& token, const std::string& key,
                             internal::v1::ForwardResult* result) {
  auto stub = internal::v1::EventIngress::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(20));
  if (!token.empty()) context.AddMetadata(kTokenKey, token);
  auto stream = stub->Forward(&context);
  internal::v1::ForwardRequest request;
  internal::v1::ForwardItem* item = request.add_items();
  item->set_id(1);
  v1::Event* event = item->mutable_request()->mutable_event();
  event->set_event_type("purchase");
  event->mutable_timestamp()->set_seconds(absl::ToUnixSeconds(absl::Now()));
  event->set_order_amount(1000000);
  item->set_authorization("Bearer " + key);
  stream->Write(request);
  internal::v1::ForwardResponse results;
  bool answered = false;
  while (!answered && stream->Read(&results)) {
    for (const auto& r : results.results()) {
      if (r.id() == 1) {
        *result = r;
        answered = true;
      }
    }
  }
  stream->WritesDone();
  grpc::Status status = stream->Finish();
  if (answered) return grpc::Status::OK;
  return status.ok() ? grpc::Status(grpc::StatusCode::INTERNAL, "no result")
                     : status;
}

int64_t Count(const LocalStack& stack, const std::string& query) {
  pqxx::connection c(stack.db().conninfo());
  pqxx::work tx(c);
  return tx.exec(query)[0][0].as<int64_t>();
}

int64_t EventPartitions(const LocalStack& stack) {
  return Count(stack,
               "SELECT count(*) FROM pg_inherits "
               "WHERE inhparent = 'events'::regclass");
}

TEST(InternalRpcTest, PublishWithoutTheServiceTokenIsRefusedAndStoresNothing) {
  LocalStack stack;
  const std::string target = absl::StrCat("127.0.0.1:", stack.processor_port());
  for (const std::string& token : {std::string(), std::string(kWrongToken)}) {
    internal::v1::PublishAck ack;
    const grpc::Status status =
        PublishRaw(target, token, {Purchase("forged", 100000000)}, &ack);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << (token.empty() ? "no token: " : "wrong token: ")
        << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(kTokenKey));
  }
  EXPECT_EQ(stack.StoredEvents(), 0);

  internal::v1::PublishAck ack;
  const grpc::Status status = PublishRaw(target, stack.service_token(),
                                         {Purchase("genuine", 1999)}, &ack);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(ack.code(), 0) << ack.message();
  ASSERT_EQ(ack.fate_size(), 1);
  EXPECT_EQ(ack.fate(0), internal::v1::STORED);
  EXPECT_EQ(stack.StoredEvents(), 1);
  EXPECT_EQ(stack.StoredEvents("event_id = 'genuine'"), 1);
}

TEST(InternalRpcTest, TheProcessorRefusesInvalidEventsEvenWithTheToken) {
  LocalStack stack;
  const int64_t partitions = EventPartitions(stack);
  const absl::Time year_9998 =
      absl::FromCivil(absl::CivilDay(9998, 6, 1), absl::UTCTimeZone());
  internal::v1::PublishAck ack;
  const grpc::Status status = PublishRaw(
      absl::StrCat("127.0.0.1:", stack.processor_port()), stack.service_token(),
      {Event("far-ahead", year_9998), Purchase("negative", -500)}, &ack);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(ack.code(), 0) << ack.message();
  ASSERT_EQ(ack.fate_size(), 2);
  EXPECT_EQ(ack.fate(0), internal::v1::REFUSED);
  EXPECT_EQ(ack.fate(1), internal::v1::REFUSED);
  EXPECT_THAT(ack.refusal_reason().at(0), StartsWith("timestamp: "));
  EXPECT_THAT(ack.refusal_reason().at(1), StartsWith("order_amount_cents: "));

  EXPECT_EQ(stack.StoredEvents(), 0);
  EXPECT_EQ(Count(stack, "SELECT count(*) FROM dead_letter_events"), 0);
  EXPECT_EQ(EventPartitions(stack), partitions);
  EXPECT_EQ(Count(stack,
                  "SELECT count(*) FROM pg_class WHERE relname = "
                  "'events_999806'"),
            0);
}

TEST(InternalRpcTest, IngestEventIngressWantsTheServiceToken) {
  LocalStack stack;
  const std::string key = stack.WriteKey();
  for (const std::string& token : {std::string(), std::string(kWrongToken)}) {
    internal::v1::ForwardResult result;
    const grpc::Status status =
        ForwardedIngest(stack.ingest_target(), token, key, &result);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << (token.empty() ? "no token: " : "wrong token: ")
        << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(kTokenKey));
  }
  EXPECT_EQ(stack.StoredEvents(), 0);

  // With the token the stream opens, and the item still needs its key.
  internal::v1::ForwardResult result;
  const grpc::Status status = ForwardedIngest(
      stack.ingest_target(), stack.service_token(), key, &result);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(result.code(), 0) << result.message();
  EXPECT_EQ(stack.StoredEvents(), 1);
  const grpc::Status keyless = ForwardedIngest(
      stack.ingest_target(), stack.service_token(), "not-a-key", &result);
  ASSERT_TRUE(keyless.ok()) << keyless.error_message();
  EXPECT_EQ(result.code(), grpc::StatusCode::UNAUTHENTICATED)
      << result.message();
  EXPECT_EQ(stack.StoredEvents(), 1);
}

// A processor told nothing about credentials does not start: it would
// store whatever reaches its port.
TEST(InternalRpcTest, AProcessorWithoutCredentialsRefusesToStart) {
  LocalStack stack;
  const std::string log =
      (std::filesystem::temp_directory_path() /
       absl::StrCat("shopstream-processor-", getpid(), ".log"))
          .string();
  ServiceProcess processor(
      "shopstream-processor",
      {absl::StrCat("--processor_address=127.0.0.1:", FreePort()),
       "--metrics_port=0", "--postgres=" + stack.db().conninfo()},
      log);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (processor.running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(processor.running());
  EXPECT_EQ(WEXITSTATUS(processor.exit_status()), 2);
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  EXPECT_THAT(text, HasSubstr("--service_token_file"));
  std::remove(log.c_str());
}

}  // namespace
}  // namespace shopstream::testing
