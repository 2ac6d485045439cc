#include "ingest/ingest_service.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "common/traffic_context.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ingest/event_ingress_service.h"

namespace shopstream {
namespace {

using ::testing::HasSubstr;

// Stands in for the processor: commits nothing, remembers what it was given
// and answers with a set status, marking ids it has seen before duplicates.
class RecordingPublisher : public EventPublisher {
 public:
  void Publish(std::vector<internal::v1::StoredEvent> events,
               std::string request_id, EventLane lane, Done done) override {
    absl::Status status;
    EventOutcomes outcomes;
    {
      absl::MutexLock lock(&mu_);
      status = status_;
      ++calls_;
      lanes_.push_back(lane);
      request_ids_.push_back(std::move(request_id));
      if (status.ok()) {
        for (auto& e : events) {
          EventOutcome o;
          if (e.product_id() == "poison") {
            o = {EventFate::kDeadLettered, "refused by storage"};
          } else if (!seen_.insert(e.shop_id() + "/" + e.event_id()).second) {
            o.fate = EventFate::kDuplicate;
          }
          outcomes.push_back(o);
          stored_.push_back(std::move(e));
        }
      }
    }
    done(status, outcomes);
  }
  bool Ready() const override {
    absl::MutexLock lock(&mu_);
    return ready_;
  }
  void set_ready(bool ready) {
    absl::MutexLock lock(&mu_);
    ready_ = ready;
  }
  void set_status(absl::Status s) {
    absl::MutexLock lock(&mu_);
    status_ = s;
  }
  std::vector<internal::v1::StoredEvent> stored() {
    absl::MutexLock lock(&mu_);
    return stored_;
  }
  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  std::vector<std::string> request_ids() {
    absl::MutexLock lock(&mu_);
    return request_ids_;
  }
  std::vector<EventLane> lanes() {
    absl::MutexLock lock(&mu_);
    return lanes_;
  }

 private:
  mutable absl::Mutex mu_;
  bool ready_ = true;
  absl::Status status_;
  std::set<std::string> seen_;
  std::vector<internal::v1::StoredEvent> stored_;
  std::vector<std::string> request_ids_;
  std::vector<EventLane> lanes_;
  int calls_ = 0;
};

class IngestServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.RegisterService(&service_);
    builder.RegisterService(&ingress_);
    server_ = builder.BuildAndStart();
    stub_ = v1::IngestService::NewStub(
        server_->InProcessChannel(grpc::ChannelArguments()));
  }
  void TearDown() override { server_->Shutdown(); }

  static v1::Event PageView(const std::string& id = "") {
    v1::Event e;
    e.set_event_id(id);
    e.set_event_type("page_view");
    e.mutable_timestamp()->set_seconds(1759401000);
    e.set_product_id("prod-123");
    return e;
  }

  RecordingPublisher publisher_;
  IngestHandler handler_{&publisher_};
  IngestService service_{&handler_};
  EventIngressService ingress_{&handler_, InternalRpcGate::AdmitAll()};
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::IngestService::Stub> stub_;
};

internal::v1::ForwardItem Item(uint64_t id, const v1::Event& event,
                               const std::string& request_id = "") {
  internal::v1::ForwardItem item;
  item.set_id(id);
  *item.mutable_request()->mutable_event() = event;
  item.set_request_id(request_id);
  return item;
}

// The value of a counter series as the registry exposes it; 0 if absent.
double CounterValue(const std::string& name,
                    const std::map<std::string, std::string>& labels) {
  for (const auto& family : MetricsRegistry().Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      std::map<std::string, std::string> got;
      for (const auto& label : metric.label) got[label.name] = label.value;
      bool match = true;
      for (const auto& [k, v] : labels) match = match && got[k] == v;
      if (match) return metric.counter.value;
    }
  }
  return 0;
}

TEST_F(IngestServiceTest, AcceptsAValidEventAfterPublishing) {
  grpc::ClientContext ctx;
  v1::IngestRequest req;
  *req.mutable_event() = PageView("id-1");
  v1::IngestResponse resp;
  ASSERT_TRUE(stub_->Ingest(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.acceptance().status(), "accepted");
  EXPECT_EQ(resp.event_id(), "id-1");
  EXPECT_FALSE(resp.duplicate());
  ASSERT_EQ(publisher_.stored().size(), 1u);
  EXPECT_EQ(publisher_.stored()[0].shop_id(), "default");
  // A single event goes ahead of bulk loads at the processor.
  EXPECT_THAT(publisher_.lanes(), ::testing::ElementsAre(EventLane::kSingle));
}

TEST_F(IngestServiceTest, RetryIsAcceptedAndFlaggedDuplicate) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    grpc::ClientContext ctx;
    v1::IngestRequest req;
    *req.mutable_event() = PageView("same");
    v1::IngestResponse resp;
    ASSERT_TRUE(stub_->Ingest(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.acceptance().status(), "accepted");
    EXPECT_EQ(resp.duplicate(), attempt == 1);
  }
}

TEST_F(IngestServiceTest, InvalidEventIsRefusedAndNotPublished) {
  grpc::ClientContext ctx;
  v1::IngestRequest req;
  *req.mutable_event() = PageView();
  req.mutable_event()->set_event_type("purchase");  // without an amount
  v1::IngestResponse resp;
  grpc::Status status = stub_->Ingest(&ctx, req, &resp);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("order_amount"));
  EXPECT_EQ(publisher_.calls(), 0);
}

TEST_F(IngestServiceTest, PublisherFailureReachesTheClient) {
  publisher_.set_status(absl::UnavailableError("processor unavailable"));
  grpc::ClientContext ctx;
  v1::IngestRequest req;
  *req.mutable_event() = PageView();
  v1::IngestResponse resp;
  grpc::Status status = stub_->Ingest(&ctx, req, &resp);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(resp.acceptance().status(), "accepted");
}

TEST_F(IngestServiceTest, BatchAnswersEachEvent) {
  grpc::ClientContext ctx;
  v1::IngestBatchRequest req;
  *req.add_events() = PageView("a");
  *req.add_events() = PageView("b");
  req.mutable_events(1)->set_event_type("click");
  *req.add_events() = PageView("a");
  v1::IngestBatchResponse resp;
  ASSERT_TRUE(stub_->IngestBatch(&ctx, req, &resp).ok());
  ASSERT_EQ(resp.results_size(), 3);
  EXPECT_EQ(resp.results(0).status(), "accepted");
  EXPECT_EQ(resp.results(1).status(), "rejected");
  EXPECT_THAT(resp.results(1).error(), HasSubstr("events[1].event_type"));
  EXPECT_EQ(resp.results(2).status(), "duplicate");
  EXPECT_EQ(resp.accepted(), 1);
  EXPECT_EQ(resp.rejected(), 1);
  EXPECT_EQ(resp.duplicates(), 1);
  EXPECT_EQ(publisher_.stored().size(), 2u);
  EXPECT_THAT(publisher_.lanes(), ::testing::ElementsAre(EventLane::kBulk));
}

TEST_F(IngestServiceTest,
       EventsOutsideTheTimeWindowAreRejectedNamingTimestamp) {
  IngestHandler handler(
      &publisher_, nullptr,
      {.max_age = absl::Hours(24 * 365), .max_ahead = absl::Minutes(10)});
  IngestService service(&handler);
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  auto stub = v1::IngestService::NewStub(
      server->InProcessChannel(grpc::ChannelArguments()));
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  grpc::ClientContext ctx;
  v1::IngestBatchRequest req;
  *req.add_events() = PageView("now");
  req.mutable_events(0)->mutable_timestamp()->set_seconds(now);
  *req.add_events() = PageView("ahead");
  req.mutable_events(1)->mutable_timestamp()->set_seconds(now + 3600);
  *req.add_events() = PageView("old");
  req.mutable_events(2)->mutable_timestamp()->set_seconds(now -
                                                          400 * 24 * 3600);
  v1::IngestBatchResponse resp;
  ASSERT_TRUE(stub->IngestBatch(&ctx, req, &resp).ok());
  ASSERT_EQ(resp.results_size(), 3);
  EXPECT_EQ(resp.results(0).status(), "accepted");
  EXPECT_THAT(resp.results(1).error(),
              HasSubstr("events[1].timestamp: more than 10 minutes ahead"));
  EXPECT_THAT(resp.results(2).error(),
              HasSubstr("events[2].timestamp: more than 365 days in the past"));
  ASSERT_EQ(publisher_.stored().size(), 1u);
  EXPECT_EQ(publisher_.stored()[0].event_id(), "now");
  server->Shutdown();
}

TEST_F(IngestServiceTest, CollectedEventsTakeTheClocksReceiveTime) {
  const absl::Time received = absl::FromUnixSeconds(1759401234);
  FakeClock clock(received);
  IngestHandler handler(&publisher_, nullptr, {}, nullptr, nullptr, clock);
  v1::CollectRequest request;
  *request.add_events() = PageView("collected");
  // The visitor's own time is not trusted.
  request.mutable_events(0)->mutable_timestamp()->set_seconds(1000000000);
  v1::CollectResponse response;
  absl::Notification done;
  grpc::Status status;
  handler.Collect(request, std::nullopt, PageContext{}, "", &response,
                  [&](grpc::Status s) {
                    status = std::move(s);
                    done.Notify();
                  });
  done.WaitForNotification();
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(publisher_.stored().size(), 1u);
  EXPECT_EQ(publisher_.stored()[0].occurred_at_micros(),
            absl::ToUnixMicros(received));
}

// Stands in for the uap-core classifier (useragent/), which has its own
// tests: names families after what it was given.
class EchoClassifier : public UserAgentClassifier {
 public:
  Families Classify(absl::string_view user_agent) const override {
    return {absl::StrCat("browser of ", user_agent),
            absl::StrCat("os of ", user_agent)};
  }
};

TEST_F(IngestServiceTest, UserAgentBecomesFamiliesWithAClassifier) {
  EchoClassifier classifier;
  IngestHandler handler(&publisher_, nullptr, {}, nullptr, &classifier);
  IngestService service(&handler);
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  auto stub = v1::IngestService::NewStub(
      server->InProcessChannel(grpc::ChannelArguments()));
  grpc::ClientContext ctx;
  v1::IngestBatchRequest req;
  *req.add_events() = PageView("with");
  req.mutable_events(0)->set_user_agent("curl/8.4.0");
  *req.add_events() = PageView("without");
  v1::IngestBatchResponse resp;
  ASSERT_TRUE(stub->IngestBatch(&ctx, req, &resp).ok());
  ASSERT_EQ(publisher_.stored().size(), 2u);
  EXPECT_EQ(publisher_.stored()[0].browser(), "browser of curl/8.4.0");
  EXPECT_EQ(publisher_.stored()[0].os(), "os of curl/8.4.0");
  EXPECT_EQ(publisher_.stored()[1].browser(), "");
  EXPECT_EQ(publisher_.stored()[1].os(), "");
  server->Shutdown();
}

TEST_F(IngestServiceTest, WithoutAClassifierTheUserAgentIsDropped) {
  grpc::ClientContext ctx;
  v1::IngestRequest req;
  *req.mutable_event() = PageView("id-ua");
  req.mutable_event()->set_user_agent("curl/8.4.0");
  v1::IngestResponse resp;
  ASSERT_TRUE(stub_->Ingest(&ctx, req, &resp).ok());
  ASSERT_EQ(publisher_.stored().size(), 1u);
  EXPECT_EQ(publisher_.stored()[0].browser(), "");
  EXPECT_EQ(publisher_.stored()[0].os(), "");
}

TEST_F(IngestServiceTest, OversizedBatchIsRefusedWhole) {
  grpc::ClientContext ctx;
  v1::IngestBatchRequest req;
  for (int i = 0; i <= kMaxEventsPerBatch; ++i) *req.add_events() = PageView();
  v1::IngestBatchResponse resp;
  grpc::Status status = stub_->IngestBatch(&ctx, req, &resp);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("events: at most 1000"));
  EXPECT_EQ(publisher_.calls(), 0);
}

TEST_F(IngestServiceTest, StreamCountsEveryEventAndPublishesInChunks) {
  grpc::ClientContext ctx;
  v1::StreamEventsResponse resp;
  auto writer = stub_->StreamEvents(&ctx, &resp);
  const int n = 1234;
  for (int i = 0; i < n; ++i) {
    v1::Event e = PageView("s" + std::to_string(i % 1200));
    if (i == 7) e.clear_timestamp();
    ASSERT_TRUE(writer->Write(e));
  }
  writer->WritesDone();
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_EQ(resp.rejected(), 1);
  ASSERT_EQ(resp.rejections_size(), 1);
  EXPECT_EQ(resp.rejections(0).index(), 7);
  EXPECT_THAT(resp.rejections(0).error(), HasSubstr("timestamp"));
  // 1200 distinct ids; s7 is stored from its second sending (i = 1207).
  EXPECT_EQ(resp.accepted(), 1200);
  EXPECT_EQ(resp.duplicates(), n - 1 - 1200);
  EXPECT_GE(publisher_.calls(), 3);
  EXPECT_THAT(publisher_.lanes(), ::testing::Each(EventLane::kBulk));
}

TEST_F(IngestServiceTest, StreamFailsWhenACommitFails) {
  publisher_.set_status(absl::UnavailableError("processor unavailable"));
  grpc::ClientContext ctx;
  v1::StreamEventsResponse resp;
  auto writer = stub_->StreamEvents(&ctx, &resp);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(writer->Write(PageView()));
  writer->WritesDone();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(IngestServiceTest, DeadLetteredEventIsRefusedWithTheReason) {
  grpc::ClientContext ctx;
  v1::IngestRequest req;
  *req.mutable_event() = PageView();
  req.mutable_event()->set_product_id("poison");
  v1::IngestResponse resp;
  grpc::Status status = stub_->Ingest(&ctx, req, &resp);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("refused by storage"));

  grpc::ClientContext batch_ctx;
  v1::IngestBatchRequest batch;
  *batch.add_events() = PageView("fine");
  *batch.add_events() = PageView("bad");
  batch.mutable_events(1)->set_product_id("poison");
  v1::IngestBatchResponse batch_resp;
  ASSERT_TRUE(stub_->IngestBatch(&batch_ctx, batch, &batch_resp).ok());
  EXPECT_EQ(batch_resp.results(0).status(), "accepted");
  EXPECT_EQ(batch_resp.results(1).status(), "rejected");
  EXPECT_THAT(batch_resp.results(1).error(), HasSubstr("refused by storage"));
  EXPECT_EQ(batch_resp.rejected(), 1);
}

TEST_F(IngestServiceTest, RequestIdTravelsWithTheEvents) {
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-request-id", "req-direct");
  v1::IngestRequest req;
  *req.mutable_event() = PageView();
  v1::IngestResponse resp;
  ASSERT_TRUE(stub_->Ingest(&ctx, req, &resp).ok());

  auto stub = internal::v1::EventIngress::NewStub(
      server_->InProcessChannel(grpc::ChannelArguments()));
  grpc::ClientContext stream_ctx;
  auto stream = stub->Forward(&stream_ctx);
  internal::v1::ForwardRequest request;
  *request.add_items() = Item(1, PageView(), "req-forwarded");
  ASSERT_TRUE(stream->Write(request));
  internal::v1::ForwardResponse got;
  ASSERT_TRUE(stream->Read(&got));
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());

  EXPECT_EQ(publisher_.request_ids(),
            (std::vector<std::string>{"req-direct", "req-forwarded"}));
}

TEST_F(IngestServiceTest, EventsAreCountedByOutcomeAndType) {
  auto count = [](EventCount outcome, internal::v1::EventType type) {
    return EventsCounter(outcome, type).Value();
  };
  const double accepted = count(EventCount::kAccepted, internal::v1::PAGE_VIEW);
  const double duplicate =
      count(EventCount::kDuplicate, internal::v1::PAGE_VIEW);
  const double rejected = count(EventCount::kRejected, internal::v1::PURCHASE);
  const double unknown =
      count(EventCount::kRejected, internal::v1::EVENT_TYPE_UNSPECIFIED);
  const double dead = count(EventCount::kDeadLettered, internal::v1::PAGE_VIEW);

  grpc::ClientContext ctx;
  v1::IngestBatchRequest req;
  *req.add_events() = PageView("count-1");
  *req.add_events() = PageView("count-1");
  *req.add_events() = PageView("count-2");
  req.mutable_events(2)->set_event_type("purchase");  // without an amount
  *req.add_events() = PageView("count-3");
  req.mutable_events(3)->set_event_type("click");
  *req.add_events() = PageView("count-4");
  req.mutable_events(4)->set_product_id("poison");
  v1::IngestBatchResponse resp;
  ASSERT_TRUE(stub_->IngestBatch(&ctx, req, &resp).ok());

  EXPECT_EQ(count(EventCount::kAccepted, internal::v1::PAGE_VIEW),
            accepted + 1);
  EXPECT_EQ(count(EventCount::kDuplicate, internal::v1::PAGE_VIEW),
            duplicate + 1);
  EXPECT_EQ(count(EventCount::kRejected, internal::v1::PURCHASE), rejected + 1);
  EXPECT_EQ(count(EventCount::kRejected, internal::v1::EVENT_TYPE_UNSPECIFIED),
            unknown + 1);
  EXPECT_EQ(count(EventCount::kDeadLettered, internal::v1::PAGE_VIEW),
            dead + 1);
}

TEST_F(IngestServiceTest, HealthSaysHealthy) {
  grpc::ClientContext ctx;
  v1::HealthResponse resp;
  ASSERT_TRUE(stub_->Health(&ctx, v1::HealthRequest(), &resp).ok());
  EXPECT_EQ(resp.status(), "healthy");
}

TEST_F(IngestServiceTest, UnhealthyWithoutTheProcessor) {
  publisher_.set_ready(false);
  grpc::ClientContext ctx;
  v1::HealthResponse resp;
  EXPECT_EQ(stub_->Health(&ctx, v1::HealthRequest(), &resp).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(IngestServiceTest,
       ManyItemsOverOneIngressStreamAreAnsweredEachOnItsOwn) {
  auto stub = internal::v1::EventIngress::NewStub(
      server_->InProcessChannel(grpc::ChannelArguments()));
  grpc::ClientContext ctx;
  auto stream = stub->Forward(&ctx);
  v1::Event bad = PageView("bad");
  bad.set_event_type("click");
  internal::v1::ForwardRequest request;
  *request.add_items() = Item(10, PageView("fwd-1"));
  *request.add_items() = Item(11, bad);
  *request.add_items() = Item(12, PageView("fwd-2"));
  ASSERT_TRUE(stream->Write(request));
  std::map<uint64_t, internal::v1::ForwardResult> results;
  internal::v1::ForwardResponse got;
  while (results.size() < 3 && stream->Read(&got)) {
    for (const auto& r : got.results()) results[r.id()] = r;
  }
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[10].code(), grpc::StatusCode::OK);
  EXPECT_EQ(results[10].response().acceptance().status(), "accepted");
  EXPECT_EQ(results[10].response().event_id(), "fwd-1");
  EXPECT_EQ(results[11].code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(results[11].message(), HasSubstr("event_type"));
  EXPECT_FALSE(results[11].has_response());
  EXPECT_EQ(results[12].response().event_id(), "fwd-2");
  EXPECT_EQ(publisher_.stored().size(), 2u);
  // Each a single event, ahead of bulk loads at the processor.
  EXPECT_THAT(publisher_.lanes(),
              ::testing::Each(::testing::Eq(EventLane::kSingle)));
}

TEST_F(IngestServiceTest, AnIngressItemIsCountedAsTheIngestCallItStandsFor) {
  const std::map<std::string, std::string> ok = {
      {"service", "shopstream.v1.IngestService"},
      {"method", "Ingest"},
      {"code", "OK"}};
  const std::map<std::string, std::string> invalid = {
      {"service", "shopstream.v1.IngestService"},
      {"method", "Ingest"},
      {"code", "INVALID_ARGUMENT"}};
  const double ok_before =
      CounterValue("shopstream_grpc_server_requests_total", ok);
  const double invalid_before =
      CounterValue("shopstream_grpc_server_requests_total", invalid);
  auto stub = internal::v1::EventIngress::NewStub(
      server_->InProcessChannel(grpc::ChannelArguments()));
  grpc::ClientContext ctx;
  auto stream = stub->Forward(&ctx);
  v1::Event bad = PageView("bad");
  bad.set_event_type("click");
  internal::v1::ForwardRequest request;
  *request.add_items() = Item(1, PageView("count-a"));
  *request.add_items() = Item(2, PageView("count-b"));
  *request.add_items() = Item(3, bad);
  ASSERT_TRUE(stream->Write(request));
  int answered = 0;
  internal::v1::ForwardResponse got;
  while (answered < 3 && stream->Read(&got)) answered += got.results_size();
  stream->WritesDone();
  ASSERT_TRUE(stream->Finish().ok());
  EXPECT_EQ(CounterValue("shopstream_grpc_server_requests_total", ok),
            ok_before + 2);
  EXPECT_EQ(CounterValue("shopstream_grpc_server_requests_total", invalid),
            invalid_before + 1);
}

TEST_F(IngestServiceTest, AfterStopTakingCallsAreRefusedAndStreamsEnd) {
  auto stub = internal::v1::EventIngress::NewStub(
      server_->InProcessChannel(grpc::ChannelArguments()));
  grpc::ClientContext stream_context;
  auto stream = stub->Forward(&stream_context);
  internal::v1::ForwardRequest request;
  *request.add_items() = Item(1, PageView("before"));
  ASSERT_TRUE(stream->Write(request));
  internal::v1::ForwardResponse results;
  ASSERT_TRUE(stream->Read(&results));
  ASSERT_EQ(results.results_size(), 1);
  EXPECT_EQ(results.results(0).code(), grpc::StatusCode::OK);

  handler_.StopTaking();
  ingress_.Shutdown();
  grpc::ClientContext ctx;
  v1::IngestRequest direct;
  *direct.mutable_event() = PageView("direct-after");
  v1::IngestResponse resp;
  grpc::Status status = stub_->Ingest(&ctx, direct, &resp);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("retry later"));
  grpc::ClientContext health_ctx;
  v1::HealthResponse health;
  EXPECT_EQ(
      stub_->Health(&health_ctx, v1::HealthRequest(), &health).error_code(),
      grpc::StatusCode::UNAVAILABLE);
  // Nothing is in flight on the stream, so the server ends it: a server
  // shutting down need not wait for its caller to.
  while (stream->Read(&results)) {
  }
  const grpc::Status ended = stream->Finish();
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::UNAVAILABLE);
  // A new stream is refused, so the gateway turns to plain calls, which
  // are refused too.
  grpc::ClientContext again_context;
  auto again = stub->Forward(&again_context);
  *request.mutable_items(0) = Item(2, PageView("after"));
  again->Write(request);
  while (again->Read(&results)) {
  }
  EXPECT_EQ(again->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  ASSERT_EQ(publisher_.stored().size(), 1u);
  EXPECT_EQ(publisher_.stored()[0].event_id(), "before");
}

}  // namespace
}  // namespace shopstream
