// Who may do what, over REST and gRPC, against the real services: every
// annotated REST route and every gRPC method is tried without a key, with a
// malformed, unknown and revoked key, with a key of every scope and with
// another shop's key; and the shop always comes from the key.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <future>
#include <regex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/api_key_store.h"
#include "common/traffic_context.h"
#include "gateway/route_table.h"
#include "gmock/gmock.h"
#include "google/protobuf/dynamic_message.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "gtest/gtest.h"
#include "shopstream/v1/admin.grpc.pb.h"
#include "shopstream/v1/analytics.grpc.pb.h"
#include "shopstream/v1/ingest.grpc.pb.h"
#include "storage/pg_connection_pool.h"
#include "tests/local_stack.h"

namespace shopstream::testing {
namespace {

using auth::Scope;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::MethodDescriptor;
using ::testing::HasSubstr;

constexpr char kShop[] = "shop-a";
constexpr char kOtherShop[] = "shop-b";
constexpr char kEventJson[] =
    R"({"event_type": "page_view", "timestamp": "2025-10-02T10:30:00Z", )"
    R"("product_id": "prod-1")";

bool IsHealth(const MethodDescriptor* method) {
  return method->name() == "Health";
}

bool IsCollect(const MethodDescriptor* method) {
  return method->name() == "Collect";
}

constexpr Scope kScopes[] = {Scope::kWrite, Scope::kRead, Scope::kCollect,
                             Scope::kAdmin};

Scope ScopeOf(const MethodDescriptor* method) {
  if (IsCollect(method)) return Scope::kCollect;
  if (method->service()->name() == "AdminService") return Scope::kAdmin;
  return method->service()->name() == "IngestService" ? Scope::kWrite
                                                      : Scope::kRead;
}

// Calls that act on a dead letter or key the test makes up: allowed ones
// get past the key and are refused for the id (400 or 404).
bool ActsOnMadeUpId(const MethodDescriptor* method) {
  return method->name() == "ReplayDeadLetter" || method->name() == "RevokeKey";
}

std::vector<std::string> ServiceNames() {
  return {v1::IngestRequest::descriptor()
              ->file()
              ->FindServiceByName("IngestService")
              ->full_name(),
          v1::GetSummaryRequest::descriptor()
              ->file()
              ->FindServiceByName("AnalyticsService")
              ->full_name(),
          v1::ListDeadLettersRequest::descriptor()
              ->file()
              ->FindServiceByName("AdminService")
              ->full_name()};
}

const google::protobuf::ServiceDescriptor* AdminServiceDescriptor() {
  return v1::ListDeadLettersRequest::descriptor()->file()->FindServiceByName(
      "AdminService");
}

// A REST request for `route` that names `shop`: in the path where the route
// has a shop_id variable, else in the body (events) or the query.
struct RestCall {
  std::string method, target, body;
  // Pages send an Origin; the collect route needs one.
  bool from_page = false;
};

RestCall RestCallFor(const gateway::Route& route, const std::string& shop) {
  static const std::regex kVariable(R"(\{([a-z_.]+)(=[^}]*)?\})");
  std::string path;
  bool shop_in_path = false;
  const std::string text = route.path_template.text();
  std::sregex_iterator it(text.begin(), text.end(), kVariable), end;
  size_t last = 0;
  for (; it != end; ++it) {
    path += text.substr(last, it->position() - last);
    if ((*it)[1] == "shop_id") {
      path += shop;
      shop_in_path = true;
    } else {
      path += "x";
    }
    last = it->position() + it->length();
  }
  path += text.substr(last);
  RestCall call{route.http_method, path, ""};
  const std::string event =
      absl::StrCat(kEventJson, R"(, "shop_id": ")", shop, R"("})");
  if (route.grpc_method_path == "/shopstream.v1.IngestService/Ingest") {
    call.body = event;
  } else if (route.grpc_method_path ==
                 "/shopstream.v1.IngestService/IngestBatch" ||
             route.grpc_method_path == "/shopstream.v1.IngestService/Collect") {
    call.from_page = route.browser_collect;
    call.body = absl::StrCat(R"({"events": [)", event, "]}");
  } else if (route.grpc_method_path ==
             "/shopstream.v1.AdminService/CreateKey") {
    call.body = R"({"scope": "read", "description": "auth test"})";
  } else if (!shop_in_path) {
    call.target += absl::StrCat("?shop_id=", shop);
  }
  // Ranges that methods with required bounds accept.
  absl::StrAppend(&call.target,
                  call.target.find('?') == std::string::npos ? "?" : "&",
                  "from=2025-10-01T00:00:00Z&to=2025-10-03T00:00:00Z");
  if (route.grpc_method_path ==
      "/shopstream.v1.AnalyticsService/GetBreakdown") {
    absl::StrAppend(&call.target, "&dimension=PAGE");
  }
  return call;
}

// The unary gRPC request for `method` naming `shop`.
std::unique_ptr<Message> GrpcRequestFor(const MethodDescriptor* method,
                                        const std::string& shop) {
  std::unique_ptr<Message> request(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(method->input_type())
          ->New());
  if (auto* collect = dynamic_cast<v1::CollectRequest*>(request.get())) {
    v1::Event* e = collect->add_events();
    e->set_event_type("page_view");
    e->set_shop_id(shop);
  } else if (auto* batch =
                 dynamic_cast<v1::IngestBatchRequest*>(request.get())) {
    v1::Event* e = batch->add_events();
    e->set_event_type("page_view");
    e->mutable_timestamp()->set_seconds(1759401000);
    e->set_shop_id(shop);
  } else if (auto* single = dynamic_cast<v1::IngestRequest*>(request.get())) {
    v1::Event* e = single->mutable_event();
    e->set_event_type("page_view");
    e->mutable_timestamp()->set_seconds(1759401000);
    e->set_shop_id(shop);
  } else if (const FieldDescriptor* field =
                 method->input_type()->FindFieldByName("shop_id")) {
    request->GetReflection()->SetString(request.get(), field, shop);
  }
  if (auto* create = dynamic_cast<v1::CreateKeyRequest*>(request.get())) {
    create->set_scope("read");
  }
  if (auto* breakdown = dynamic_cast<v1::GetBreakdownRequest*>(request.get())) {
    breakdown->set_dimension(v1::PAGE);
  }
  for (const char* bound : {"from", "to"}) {
    const FieldDescriptor* field = method->input_type()->FindFieldByName(bound);
    if (field == nullptr || field->message_type() == nullptr) continue;
    auto* ts = static_cast<google::protobuf::Timestamp*>(
        request->GetReflection()->MutableMessage(request.get(), field));
    ts->set_seconds(std::string(bound) == "from" ? 1759276800 : 1759449600);
  }
  return request;
}

// One gRPC call of any shape, with `key` (none when empty); the status.
grpc::Status CallGrpc(LocalStack& stack, const MethodDescriptor* method,
                      const std::string& shop, const std::string& key) {
  // Ingest serves AdminService too.
  const bool ingest = method->service()->name() != "AnalyticsService";
  auto channel = ChannelWithKey(
      ingest ? stack.ingest_target() : stack.query_target(), key);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  if (IsCollect(method)) {
    context.AddMetadata(kCollectOriginMetadata, LocalStack::kPageOrigin);
  }
  if (method->client_streaming()) {
    v1::StreamEventsResponse response;
    auto writer =
        v1::IngestService::NewStub(channel)->StreamEvents(&context, &response);
    v1::Event e;
    e.set_event_type("page_view");
    e.mutable_timestamp()->set_seconds(1759401000);
    writer->Write(e);
    writer->WritesDone();
    return writer->Finish();
  }
  std::unique_ptr<Message> request = GrpcRequestFor(method, shop);
  if (method->server_streaming()) {
    // Read the first message only: a stream that is allowed goes on.
    grpc::GenericStub stub(channel);
    grpc::CompletionQueue cq;
    auto call = stub.PrepareCall(
        &context,
        absl::StrCat("/", method->service()->full_name(), "/", method->name()),
        &cq);
    void* tag;
    bool ok;
    call->StartCall(reinterpret_cast<void*>(1));
    cq.Next(&tag, &ok);
    grpc::ByteBuffer buffer;
    bool own;
    (void)grpc::SerializationTraits<Message>::Serialize(*request, &buffer,
                                                        &own);
    call->WriteLast(buffer, grpc::WriteOptions(), reinterpret_cast<void*>(2));
    cq.Next(&tag, &ok);
    grpc::ByteBuffer first;
    call->Read(&first, reinterpret_cast<void*>(3));
    cq.Next(&tag, &ok);
    const bool allowed = ok;
    // Allowed streams go on; this one has shown what it needed to.
    if (allowed) context.TryCancel();
    grpc::Status status;
    call->Finish(&status, reinterpret_cast<void*>(4));
    cq.Next(&tag, &ok);
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
    return allowed ? grpc::Status::OK : status;
  }
  grpc::GenericStub stub(channel);
  grpc::ByteBuffer request_buffer, response_buffer;
  bool own;
  (void)grpc::SerializationTraits<Message>::Serialize(*request, &request_buffer,
                                                      &own);
  std::promise<grpc::Status> done;
  stub.UnaryCall(
      &context,
      absl::StrCat("/", method->service()->full_name(), "/", method->name()),
      grpc::StubOptions(), &request_buffer, &response_buffer,
      [&done](grpc::Status status) { done.set_value(status); });
  return done.get_future().get();
}

HttpResponse Rest(LocalStack& stack, const RestCall& call,
                  const HttpHeaders& headers) {
  HttpHeaders all = headers;
  if (call.from_page) all.emplace_back("Origin", LocalStack::kPageOrigin);
  return HttpRequest(stack.http_port(), call.method, call.target, call.body,
                     "application/json", all);
}

HttpHeaders Bearer(const std::string& key) {
  return {{"Authorization", "Bearer " + key}};
}

TEST(AuthTest, EveryRestRouteRefusesMissingBadRevokedWrongScopeAndWrongShop) {
  LocalStack stack;
  absl::StatusOr<gateway::RouteTable> routes =
      gateway::RouteTable::Build(ServiceNames());
  ASSERT_TRUE(routes.ok()) << routes.status();
  int checked = 0;
  for (const gateway::Route& route : routes->routes()) {
    const RestCall call = RestCallFor(route, kShop);
    SCOPED_TRACE(absl::StrCat(call.method, " ", call.target, " ", call.body));
    if (IsHealth(route.method)) {
      EXPECT_EQ(Rest(stack, call, {}).status, 200) << "health stays open";
      continue;
    }
    const Scope scope = ScopeOf(route.method);
    ++checked;
    HttpResponse none = Rest(stack, call, {});
    EXPECT_EQ(none.status, 401) << none.body;
    EXPECT_THAT(none.body, HasSubstr("API key"));
    for (const std::string& bad :
         {std::string("nonsense"), auth::GenerateApiKey().text}) {
      EXPECT_EQ(Rest(stack, call, Bearer(bad)).status, 401) << bad;
      EXPECT_EQ(Rest(stack, call, {{"X-API-Key", bad}}).status, 401) << bad;
    }
    EXPECT_EQ(Rest(stack, call, Bearer(stack.RevokedKey(kShop, scope))).status,
              401);
    // A key of each scope: the route's own (and admin where read does)
    // passes, every other is refused.
    for (Scope held : kScopes) {
      SCOPED_TRACE(absl::StrCat("scope ", auth::ScopeName(held)));
      if (!auth::ScopeAllows(held, scope)) {
        HttpResponse refused =
            Rest(stack, call, Bearer(stack.Key(kShop, held)));
        EXPECT_EQ(refused.status, 403) << refused.body;
        continue;
      }
      if (route.method->server_streaming()) continue;
      HttpResponse allowed = Rest(stack, call, Bearer(stack.Key(kShop, held)));
      if (ActsOnMadeUpId(route.method)) {
        EXPECT_TRUE(allowed.status == 400 || allowed.status == 404)
            << allowed.status << " " << allowed.body;
      } else {
        EXPECT_LT(allowed.status, 300) << allowed.body;
      }
    }
    HttpResponse wrong_shop =
        Rest(stack, call, Bearer(stack.Key(kOtherShop, scope)));
    EXPECT_EQ(wrong_shop.status, 403) << wrong_shop.body;
    // The other ways of sending the key reach the same decision.
    EXPECT_EQ(
        Rest(stack, call, {{"X-API-Key", stack.Key(kOtherShop, scope)}}).status,
        403);
    RestCall with_query = call;
    absl::StrAppend(&with_query.target, "&key=", stack.Key(kOtherShop, scope));
    EXPECT_EQ(Rest(stack, with_query, {}).status, 403);
  }
  // Every route but the health ones: two of IngestService, nine bindings
  // of AnalyticsService's eight methods (GetSummary has two), six of
  // AdminService.
  EXPECT_GE(checked, 17);
  EXPECT_EQ(stack.StoredEvents("shop_id = 'shop-b'"), 0);
}

TEST(AuthTest, EveryGrpcMethodRefusesMissingBadRevokedWrongScopeAndWrongShop) {
  LocalStack stack;
  int checked = 0;
  for (const google::protobuf::ServiceDescriptor* service :
       {v1::IngestRequest::descriptor()->file()->FindServiceByName(
            "IngestService"),
        v1::GetSummaryRequest::descriptor()->file()->FindServiceByName(
            "AnalyticsService"),
        AdminServiceDescriptor()}) {
    for (int i = 0; i < service->method_count(); ++i) {
      const MethodDescriptor* method = service->method(i);
      SCOPED_TRACE(method->full_name());
      const Scope scope = ScopeOf(method);
      if (IsHealth(method)) {
        EXPECT_TRUE(CallGrpc(stack, method, "", "").ok());
        continue;
      }
      ++checked;
      EXPECT_EQ(CallGrpc(stack, method, kShop, "").error_code(),
                grpc::StatusCode::UNAUTHENTICATED);
      EXPECT_EQ(CallGrpc(stack, method, kShop, "nonsense").error_code(),
                grpc::StatusCode::UNAUTHENTICATED);
      EXPECT_EQ(CallGrpc(stack, method, kShop, auth::GenerateApiKey().text)
                    .error_code(),
                grpc::StatusCode::UNAUTHENTICATED);
      EXPECT_EQ(CallGrpc(stack, method, kShop, stack.RevokedKey(kShop, scope))
                    .error_code(),
                grpc::StatusCode::UNAUTHENTICATED);
      for (Scope held : kScopes) {
        SCOPED_TRACE(absl::StrCat("scope ", auth::ScopeName(held)));
        const grpc::Status status =
            CallGrpc(stack, method, kShop, stack.Key(kShop, held));
        if (!auth::ScopeAllows(held, scope)) {
          EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
              << status.error_message();
        } else if (ActsOnMadeUpId(method)) {
          EXPECT_TRUE(status.error_code() ==
                          grpc::StatusCode::INVALID_ARGUMENT ||
                      status.error_code() == grpc::StatusCode::NOT_FOUND)
              << status.error_code() << " " << status.error_message();
        } else {
          EXPECT_TRUE(status.ok()) << status.error_message();
        }
      }
      if (!method->client_streaming()) {
        EXPECT_EQ(CallGrpc(stack, method, kShop, stack.Key(kOtherShop, scope))
                      .error_code(),
                  grpc::StatusCode::PERMISSION_DENIED);
      }
    }
  }
  // Every method but Health: three of IngestService, eight of
  // AnalyticsService, six of AdminService.
  EXPECT_GE(checked, 17);
  EXPECT_EQ(stack.StoredEvents("shop_id = 'shop-b'"), 0);
}

TEST(AuthTest, TheShopComesFromTheKey) {
  LocalStack stack;
  // No shop in the body: the key's shop. Another shop: refused, not stored.
  EXPECT_EQ(
      stack.Post("/v1/events", absl::StrCat(kEventJson, "}"), kShop).status,
      202);
  EXPECT_EQ(
      stack
          .Post("/v1/events",
                absl::StrCat(kEventJson, R"(, "shop_id": "shop-b"})"), kShop)
          .status,
      403);
  HttpResponse mixed =
      stack.Post("/v1/events:batch",
                 absl::StrCat(R"({"events": [)", kEventJson, "}, ", kEventJson,
                              R"(, "shop_id": "shop-b"}]})"),
                 kShop);
  EXPECT_EQ(mixed.status, 403);
  EXPECT_THAT(mixed.body, HasSubstr("events[1].shop_id"));
  EXPECT_EQ(stack.StoredEvents("shop_id = 'shop-a'"), 1);
  EXPECT_EQ(stack.StoredEvents(), 1);

  // A summary without a shop is the key's shop's, never every shop's.
  EXPECT_EQ(stack.Post("/v1/events", absl::StrCat(kEventJson, "}"), kOtherShop)
                .status,
            202);
  EXPECT_THAT(stack.Get("/api/analytics", kShop).body,
              HasSubstr(R"("total_page_views":1,)"));
  EXPECT_THAT(stack.Get("/api/analytics", kOtherShop).body,
              HasSubstr(R"("total_page_views":1,)"));
  EXPECT_THAT(stack.Get("/api/analytics", "shop-c").body,
              HasSubstr(R"("total_page_views":0,)"));
  EXPECT_EQ(stack.Get("/v1/shops/shop-b/summary", kShop).status, 403);

  // A stream's events for another shop are rejected one by one.
  auto stub = v1::IngestService::NewStub(stack.IngestChannel(kShop));
  grpc::ClientContext context;
  v1::StreamEventsResponse response;
  auto writer = stub->StreamEvents(&context, &response);
  for (const char* shop : {"", "shop-a", "shop-b"}) {
    v1::Event e;
    e.set_event_type("page_view");
    e.mutable_timestamp()->set_seconds(1759401000);
    e.set_shop_id(shop);
    ASSERT_TRUE(writer->Write(e));
  }
  writer->WritesDone();
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_EQ(response.accepted(), 2);
  ASSERT_EQ(response.rejections_size(), 1);
  EXPECT_EQ(response.rejections(0).index(), 2);
  EXPECT_THAT(response.rejections(0).error(), HasSubstr("shop_id"));
  EXPECT_EQ(stack.StoredEvents("shop_id = 'shop-a'"), 3);
  EXPECT_EQ(stack.StoredEvents("shop_id = 'shop-b'"), 1);
}

TEST(AuthTest, RateLimitAnswers429WithRetryAfter) {
  LocalStack stack(LocalStackOptions{
      .ingest_flags = {"--rate_limit_per_key=0.25", "--rate_limit_burst=3"}});
  int accepted = 0, limited = 0;
  for (int i = 0; i < 10; ++i) {
    HttpResponse r = stack.Post("/v1/events", absl::StrCat(kEventJson, "}"));
    if (r.status == 202) ++accepted;
    if (r.status == 429) {
      ++limited;
      EXPECT_THAT(r.body, HasSubstr("rate limit"));
      // The header is the wait the message names: a token takes 4 s at
      // 0.25/s, so the wait is 1 to 4 s, not a fixed second.
      const std::string& after = r.headers["retry-after"];
      EXPECT_THAT(r.body, HasSubstr(absl::StrCat("retry in ", after, " s")));
      int seconds = 0;
      EXPECT_TRUE(absl::SimpleAtoi(after, &seconds)) << after;
      EXPECT_GE(seconds, 1);
      EXPECT_LE(seconds, 4);
      // Right after the burst is spent, nearly a whole token is missing.
      if (limited == 1) EXPECT_EQ(seconds, 4) << r.body;
    }
  }
  // Three at once; the bucket refills at one per 4 s.
  EXPECT_GE(accepted, 3);
  EXPECT_GE(limited, 1);
  EXPECT_EQ(accepted + limited, 10);
  EXPECT_EQ(stack.StoredEvents(), accepted);
  // Another key has its own bucket.
  EXPECT_EQ(
      stack.Post("/v1/events", absl::StrCat(kEventJson, "}"), "other").status,
      202);
}

// Credentials no key could be, with a valid key hidden in their padding:
// refused where they arrive, every time, without a word of rate limits, and
// never charged to that key.
TEST(AuthTest, OversizedCredentialsAreRefusedAndChargeNothing) {
  const std::vector<std::string> limit = {"--rate_limit_per_key=0.01",
                                          "--rate_limit_burst=3"};
  LocalStack stack(
      LocalStackOptions{.ingest_flags = limit, .query_flags = limit});
  const std::string write_key = stack.WriteKey();
  const std::string read_key = stack.ReadKey();
  const std::string event = absl::StrCat(kEventJson, "}");
  const std::string padding(9000, ' ');
  std::string encoded_padding;
  for (int i = 0; i < 3000; ++i) encoded_padding += "%20";
  struct Attempt {
    const char* method;
    std::string target;
    HttpHeaders headers;
    int status;
    const char* names;
  } attempts[] = {
      {"POST",
       "/v1/events",
       {{"Authorization", "Bearer" + padding + write_key}},
       431,
       "Authorization"},
      {"GET",
       "/api/analytics",
       {{"Authorization", "Bearer" + padding + read_key}},
       431,
       "Authorization"},
      {"POST",
       "/v1/events",
       {{"X-API-Key", write_key + padding + "x"}},
       431,
       "X-API-Key"},
      {"GET",
       "/api/analytics",
       {{"X-API-Key", read_key + padding + "x"}},
       431,
       "X-API-Key"},
      {"POST", "/v1/events?key=" + encoded_padding + write_key, {}, 400, "key"},
      {"GET",
       "/api/analytics?key=" + encoded_padding + read_key,
       {},
       400,
       "key"},
  };
  for (int round = 0; round < 4; ++round) {
    for (const Attempt& a : attempts) {
      HttpResponse r = HttpRequest(stack.http_port(), a.method, a.target,
                                   a.method == std::string("POST") ? event : "",
                                   "application/json", a.headers);
      EXPECT_EQ(r.status, a.status)
          << a.method << " " << a.names << ": " << r.body;
      EXPECT_THAT(r.body,
                  HasSubstr(absl::StrCat("\"error\":\"", a.names, ":")));
      EXPECT_EQ(r.headers.count("retry-after"), 0u) << a.names;
    }
  }
  // Each key still has its whole burst.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(stack.Post("/v1/events", event).status, 202);
    EXPECT_EQ(stack.Get("/api/analytics").status, 200);
  }
  EXPECT_EQ(stack.StoredEvents(), 3);
}

TEST(AuthTest, RateLimitCountsStreamedEventsOneByOne) {
  LocalStack stack(LocalStackOptions{
      .ingest_flags = {"--rate_limit_per_key=1", "--rate_limit_burst=5"}});
  auto stub = v1::IngestService::NewStub(stack.IngestChannel());
  grpc::ClientContext context;
  v1::StreamEventsResponse response;
  auto writer = stub->StreamEvents(&context, &response);
  constexpr int kEvents = 20;
  for (int i = 0; i < kEvents; ++i) {
    v1::Event e;
    e.set_event_type("page_view");
    e.mutable_timestamp()->set_seconds(1759401000);
    ASSERT_TRUE(writer->Write(e));
  }
  writer->WritesDone();
  ASSERT_TRUE(writer->Finish().ok());
  // The burst of five, and at most a few more as the bucket refills at 1/s;
  // the rest are rejected one by one, and the stream still ends well.
  EXPECT_GE(response.accepted(), 5);
  EXPECT_GE(response.rejected(), 1);
  EXPECT_EQ(response.accepted() + response.rejected(), kEvents);
  ASSERT_GE(response.rejections_size(), 1);
  EXPECT_THAT(response.rejections(0).error(), HasSubstr("rate limit"));
  EXPECT_EQ(stack.StoredEvents(), response.accepted());
}

TEST(AuthTest, ARevokedKeyStopsReceivingSummaryPushes) {
  LocalStack stack(
      LocalStackOptions{.query_flags = {"--api_key_cache_ttl_ms=200"}});
  PgConnectionPool pool(stack.db().conninfo(), 1);
  auth::ApiKeyStore store(&pool);
  absl::StatusOr<auth::CreatedApiKey> key =
      store.Create(kShop, Scope::kRead, "watch");
  ASSERT_TRUE(key.ok()) << key.status();
  auto stub = v1::AnalyticsService::NewStub(grpc::CreateChannel(
      stack.query_target(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + key->text);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(60));
  v1::GetSummaryRequest request;
  auto reader = stub->WatchSummary(&context, request);
  v1::Summary summary;
  ASSERT_TRUE(reader->Read(&summary));
  // A push after a commit, while the key is good.
  ASSERT_EQ(
      stack.Post("/v1/events", absl::StrCat(kEventJson, "}"), kShop).status,
      202);
  do {
    ASSERT_TRUE(reader->Read(&summary));
  } while (summary.total_page_views() < 1);

  ASSERT_TRUE(store.Revoke(key->record.key_id).ok());
  absl::SleepFor(absl::Milliseconds(400));  // past the cached answer
  ASSERT_EQ(
      stack.Post("/v1/events", absl::StrCat(kEventJson, "}"), kShop).status,
      202);
  // The next push is refused instead: the stream ends, saying why.
  while (reader->Read(&summary)) {
    EXPECT_LT(summary.total_page_views(), 2) << "pushed to a revoked key";
  }
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
      << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("revoked"));
}

TEST(AuthTest, AuthCanBeTurnedOffExplicitly) {
  LocalStack stack(LocalStackOptions{.auth = false});
  EXPECT_EQ(HttpRequest(stack.http_port(), "POST", "/v1/events",
                        absl::StrCat(kEventJson, R"(, "shop_id": "any"})"))
                .status,
            202);
  EXPECT_EQ(HttpRequest(stack.http_port(), "GET", "/api/analytics").status,
            200);
  EXPECT_EQ(stack.StoredEvents("shop_id = 'any'"), 1);
}

}  // namespace
}  // namespace shopstream::testing
