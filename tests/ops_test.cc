// Operations with real processes: a real Prometheus server scrapes a running
// stack, a request id follows a request through every service's log, and
// the health services follow their dependencies down and up again.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "tests/local_stack.h"

namespace shopstream::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using HealthStatus = grpc::health::v1::HealthCheckResponse;

constexpr char kPrometheus[] = "/usr/bin/prometheus";

constexpr char kPageView[] =
    R"({"event_type": "page_view", "timestamp": "2025-10-02T10:30:00Z", "product_id": "prod-123"})";

// A fresh folder under the test's temporary directory, removed with the
// object.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix)
      : path_(::testing::TempDir() + "/" + prefix + "XXXXXX") {
    if (mkdtemp(path_.data()) == nullptr) path_.clear();
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Calls `condition` every 100 ms until it holds or `timeout` passes.
template <typename Condition>
bool Eventually(Condition condition,
                absl::Duration timeout = absl::Seconds(30)) {
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return condition();
}

std::string UrlEncode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      absl::StrAppend(&out, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

// A Prometheus server (Debian package prometheus) on a free port, scraping
// every service of `stack` once a second and evaluating the alerting rules
// of deploy/prometheus/rules.yml as often; stopped with the object.
class PrometheusServer {
 public:
  explicit PrometheusServer(const LocalStack& stack)
      : dir_("prometheus"), port_(FreePort()) {
    const std::string dir = dir_.path();
    std::ofstream config(dir + "/prometheus.yml");
    config << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
           << "  evaluation_interval: 1s\n"
           << "rule_files:\n  - '" << SHOPSTREAM_ALERTING_RULES << "'\n"
           << "scrape_configs:\n";
    for (const char* service : {"gateway", "ingest", "query", "processor"}) {
      config << "  - job_name: " << service << "\n"
             << "    static_configs:\n"
             << "      - targets: ['127.0.0.1:" << stack.metrics_port(service)
             << "']\n";
    }
    config.close();
    process_ = std::make_unique<ServiceProcess>(
        kPrometheus,
        std::vector<std::string>{
            "--config.file=" + dir + "/prometheus.yml",
            "--storage.tsdb.path=" + dir + "/data",
            "--web.listen-address=127.0.0.1:" + std::to_string(port_),
            "--log.level=warn"},
        dir + "/prometheus.log");
  }

  // The parsed answer of GET `target` on the HTTP API; null when it fails.
  std::unique_ptr<rapidjson::Document> Api(const std::string& target) const {
    try {
      HttpResponse response = HttpRequest(port_, "GET", target);
      if (response.status != 200) return nullptr;
      auto doc = std::make_unique<rapidjson::Document>();
      doc->Parse(response.body.c_str());
      if (doc->HasParseError() || !doc->IsObject()) return nullptr;
      return doc;
    } catch (const std::exception&) {
      return nullptr;  // not listening yet
    }
  }

  // The instant vector of a PromQL query: each series' labels and value.
  std::vector<std::pair<std::map<std::string, std::string>, double>> Query(
      const std::string& promql) const {
    std::vector<std::pair<std::map<std::string, std::string>, double>> out;
    auto doc = Api("/api/v1/query?query=" + UrlEncode(promql));
    if (doc == nullptr || !doc->HasMember("data")) return out;
    for (const auto& series : (*doc)["data"]["result"].GetArray()) {
      std::map<std::string, std::string> labels;
      for (const auto& label : series["metric"].GetObject()) {
        labels[label.name.GetString()] = label.value.GetString();
      }
      out.emplace_back(labels, std::stod(series["value"][1].GetString()));
    }
    return out;
  }

  // Jobs whose target was scraped successfully ("up").
  std::set<std::string> UpJobs() const {
    std::set<std::string> jobs;
    for (const auto& [labels, value] : Query("up")) {
      if (value == 1) jobs.insert(labels.at("job"));
    }
    return jobs;
  }

 private:
  const TempDir dir_;  // outlives the process, which writes there
  const int port_;
  std::unique_ptr<ServiceProcess> process_;
};

TEST(OpsTest, PrometheusScrapesEveryServiceAndFindsTheKeySeries) {
  ASSERT_EQ(access(kPrometheus, X_OK), 0)
      << kPrometheus << " missing: install the Debian package prometheus";
  LocalStack stack;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(stack.Post("/v1/events", kPageView).status, 202);
  }
  ASSERT_EQ(stack.Post("/v1/events", "{}").status, 400);
  ASSERT_EQ(stack.Get("/api/analytics").status, 200);

  PrometheusServer prometheus(stack);
  const std::set<std::string> all = {"gateway", "ingest", "query", "processor"};
  ASSERT_TRUE(
      Eventually([&] { return prometheus.UpJobs() == all; }, absl::Seconds(60)))
      << "targets up: " << prometheus.UpJobs().size();

  std::set<std::string> names;
  for (const auto& [labels, value] : prometheus.Query(
           R"(count by (__name__) ({__name__=~"shopstream_.+"}))")) {
    names.insert(labels.at("__name__"));
  }
  for (const char* name : {
           "shopstream_build_info",
           "shopstream_grpc_server_requests_total",
           "shopstream_grpc_server_request_duration_seconds_bucket",
           "shopstream_http_requests_total",
           "shopstream_http_request_duration_seconds_bucket",
           "shopstream_events_total",
           "shopstream_ingest_outstanding_events",
           "shopstream_processor_pending_events",
           "shopstream_processor_batch_size_events_bucket",
           "shopstream_processor_flush_duration_seconds_bucket",
           "shopstream_postgres_errors_total",
           "shopstream_postgres_retries_total",
           "shopstream_serving",
           "shopstream_ingest_outstanding_events_limit",
           "shopstream_processor_pending_events_limit",
       }) {
    EXPECT_TRUE(names.count(name)) << name << " was not scraped";
  }
  // The standard process families, from every service.
  for (const char* name :
       {"process_cpu_seconds_total", "process_resident_memory_bytes",
        "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
        "process_start_time_seconds"}) {
    std::set<std::string> jobs;
    for (const auto& [labels, value] :
         prometheus.Query(absl::StrCat(name, " > 0"))) {
      jobs.insert(labels.at("job"));
    }
    EXPECT_EQ(jobs, all) << name;
  }

  std::set<std::string> built;
  for (const auto& [labels, value] :
       prometheus.Query("shopstream_build_info")) {
    EXPECT_EQ(value, 1);
    built.insert(labels.at("service"));
  }
  EXPECT_EQ(built, all);

  // What the requests above did, as Prometheus sees it.
  auto value_of = [&](const std::string& promql) {
    auto result = prometheus.Query(promql);
    return result.empty() ? -1.0 : result[0].second;
  };
  EXPECT_EQ(
      value_of(
          R"(sum(shopstream_events_total{outcome="accepted",event_type="page_view"}))"),
      3);
  EXPECT_EQ(value_of(R"(sum(shopstream_events_total{outcome="rejected"}))"), 1);
  EXPECT_EQ(
      value_of(
          R"(sum(shopstream_http_requests_total{route="/v1/events",method="POST",status="202"}))"),
      3);
  EXPECT_EQ(
      value_of(
          R"(sum(shopstream_http_requests_total{route="/v1/events",status="400"}))"),
      1);
  EXPECT_GE(
      value_of(
          R"(sum(shopstream_grpc_server_requests_total{job="ingest",service="shopstream.v1.IngestService",method="Ingest",code="OK"}))"),
      3);
  EXPECT_GE(
      value_of(
          R"(sum(shopstream_grpc_server_requests_total{job="query",method="GetSummary",code="OK"}))"),
      1);
  EXPECT_GE(value_of(R"(sum(shopstream_processor_batch_size_events_sum))"), 3);
  EXPECT_EQ(value_of(R"(min(shopstream_serving))"), 1);
  EXPECT_EQ(value_of(R"(sum(shopstream_ingest_outstanding_events_limit))"),
            100000);
}

// The alerting rules load into a real Prometheus and evaluate without
// error against the series the services really export (joins on their
// labels included); promtool's unit tests check what they decide.
TEST(OpsTest, AlertingRulesEvaluateAgainstTheRealSeries) {
  ASSERT_EQ(access(kPrometheus, X_OK), 0)
      << kPrometheus << " missing: install the Debian package prometheus";
  LocalStack stack;
  ASSERT_EQ(stack.Post("/v1/events", kPageView).status, 202);
  PrometheusServer prometheus(stack);
  const std::set<std::string> all = {"gateway", "ingest", "query", "processor"};
  ASSERT_TRUE(
      Eventually([&] { return prometheus.UpJobs() == all; }, absl::Seconds(60)))
      << "targets up: " << prometheus.UpJobs().size();
  // Every service's series are stored now; an evaluation after this sees
  // them all, so joins across services are exercised.
  const absl::Time scraped = absl::Now();
  // name -> health ("ok" or "err") and the error of those that failed.
  std::map<std::string, std::string> health, errors;
  auto evaluated = [&] {
    health.clear();
    errors.clear();
    auto doc = prometheus.Api("/api/v1/rules?type=alert");
    if (doc == nullptr || !doc->HasMember("data")) return false;
    for (const auto& group : (*doc)["data"]["groups"].GetArray()) {
      for (const auto& rule : group["rules"].GetArray()) {
        absl::Time at;
        std::string ignored;
        if (!absl::ParseTime(absl::RFC3339_full,
                             rule["lastEvaluation"].GetString(), &at,
                             &ignored) ||
            at <= scraped) {
          return false;
        }
        const std::string name = rule["name"].GetString();
        health[name] = rule["health"].GetString();
        if (rule.HasMember("lastError")) {
          errors[name] = rule["lastError"].GetString();
        }
      }
    }
    return !health.empty();
  };
  ASSERT_TRUE(Eventually(evaluated, absl::Seconds(60)))
      << "the rules were not all evaluated after the first scrapes";
  EXPECT_GE(health.size(), 10u);
  for (const auto& [name, state] : health) {
    EXPECT_EQ(state, "ok") << name << ": " << errors[name];
  }
}

// Every line of `log` is one JSON object with the common fields.
void ExpectJsonLines(const std::string& service, const std::string& log) {
  ASSERT_FALSE(log.empty()) << service << " logged nothing";
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    rapidjson::Document doc;
    doc.Parse(line.data(), line.size());
    ASSERT_FALSE(doc.HasParseError()) << service << ": " << line;
    ASSERT_TRUE(doc.IsObject()) << service << ": " << line;
    for (const char* field : {"ts", "level", "service", "msg"}) {
      EXPECT_TRUE(doc.HasMember(field))
          << service << " line without " << field << ": " << line;
    }
  }
}

TEST(OpsTest, RequestIdIsAnsweredAndLoggedByEveryServiceItTouches) {
  const TempDir logs("logs");
  ASSERT_FALSE(logs.path().empty());
  LocalStack stack(
      LocalStackOptions{.log_requests = true, .log_dir = logs.path()});
  const int port = stack.http_port();

  const std::string write = "Bearer " + stack.WriteKey();
  HttpResponse sent = HttpRequest(
      port, "POST", "/v1/events", kPageView, "application/json",
      {{"X-Request-Id", "ops-req-ingest-1"}, {"Authorization", write}});
  ASSERT_EQ(sent.status, 202) << sent.body;
  EXPECT_EQ(sent.headers["x-request-id"], "ops-req-ingest-1");
  for (const char* service : {"gateway", "ingest", "processor"}) {
    EXPECT_TRUE(Eventually(
        [&] {
          return absl::StrContains(stack.Log(service), "ops-req-ingest-1");
        },
        absl::Seconds(10)))
        << service << " did not log the request id";
  }

  // Without an id the gateway makes one, answers it and passes it on.
  HttpResponse fresh = stack.Post("/v1/events", kPageView);
  ASSERT_EQ(fresh.status, 202);
  const std::string made = fresh.headers["x-request-id"];
  EXPECT_TRUE(std::regex_match(made, std::regex("[0-9a-f]{32}"))) << made;
  EXPECT_TRUE(
      Eventually([&] { return absl::StrContains(stack.Log("ingest"), made); },
                 absl::Seconds(10)));

  HttpResponse summary =
      HttpRequest(port, "GET", "/api/analytics", "", "application/json",
                  {{"X-Request-Id", "ops-req-query-1"},
                   {"Authorization", "Bearer " + stack.ReadKey()}});
  ASSERT_EQ(summary.status, 200);
  EXPECT_EQ(summary.headers["x-request-id"], "ops-req-query-1");
  for (const char* service : {"gateway", "query"}) {
    EXPECT_TRUE(Eventually(
        [&] {
          return absl::StrContains(stack.Log(service), "ops-req-query-1");
        },
        absl::Seconds(10)))
        << service << " did not log the request id";
  }
  // Not one service claims a request it did not see.
  EXPECT_THAT(stack.Log("processor"), Not(HasSubstr("ops-req-query-1")));

  for (const char* service : {"gateway", "ingest", "query", "processor"}) {
    ExpectJsonLines(service, stack.Log(service));
  }
}

HealthStatus::ServingStatus Health(const std::string& target,
                                   const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(2));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  HealthStatus response;
  if (!stub->Check(&context, request, &response).ok())
    return HealthStatus::UNKNOWN;
  return response.status();
}

int Readyz(int port) { return HttpRequest(port, "GET", "/readyz").status; }

TEST(OpsTest, HealthFollowsTheProcessorStream) {
  LocalStack stack;
  const std::string ingest = stack.ingest_target();
  const std::string service = "shopstream.v1.IngestService";
  EXPECT_EQ(HttpRequest(stack.http_port(), "GET", "/healthz").status, 200);
  ASSERT_TRUE(Eventually(
      [&] { return Health(ingest, service) == HealthStatus::SERVING; }));
  ASSERT_TRUE(Eventually([&] { return Readyz(stack.http_port()) == 200; }));

  stack.processor().Kill();
  EXPECT_TRUE(Eventually(
      [&] { return Health(ingest, service) == HealthStatus::NOT_SERVING; }));
  EXPECT_EQ(Health(ingest, ""), HealthStatus::NOT_SERVING);
  EXPECT_TRUE(Eventually([&] { return Readyz(stack.http_port()) == 503; }));
  HttpResponse not_ready = HttpRequest(stack.http_port(), "GET", "/readyz");
  EXPECT_THAT(not_ready.body, HasSubstr(service));
  // Alive all the same: nothing is wrong with the gateway itself.
  EXPECT_EQ(HttpRequest(stack.http_port(), "GET", "/healthz").status, 200);

  stack.RestartProcessor();
  EXPECT_TRUE(Eventually(
      [&] { return Health(ingest, service) == HealthStatus::SERVING; }));
  EXPECT_TRUE(Eventually([&] { return Readyz(stack.http_port()) == 200; }));
}

// PostgreSQL refuses new connections to the stack's database and drops the
// open ones, until the object goes.
class DatabaseOutage {
 public:
  explicit DatabaseOutage(const TestDatabase& db) : db_(db) { Set(false); }
  ~DatabaseOutage() { Set(true); }

 private:
  void Set(bool allow) {
    pqxx::connection admin(db_.server_conninfo());
    pqxx::nontransaction tx(admin);
    tx.exec(absl::StrCat("ALTER DATABASE ", tx.quote_name(db_.name()),
                         " ALLOW_CONNECTIONS ", allow ? "true" : "false"));
    if (!allow) {
      tx.exec_params(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
          " WHERE datname = $1 AND pid <> pg_backend_pid()",
          db_.name());
    }
  }
  const TestDatabase& db_;
};

TEST(OpsTest, HealthFollowsPostgres) {
  LocalStack stack;
  const std::string query = stack.query_target();
  const std::string processor =
      "127.0.0.1:" + std::to_string(stack.processor_port());
  const std::string query_service = "shopstream.v1.AnalyticsService";
  const std::string processor_service = "shopstream.internal.v1.EventPipeline";
  ASSERT_TRUE(Eventually(
      [&] { return Health(query, query_service) == HealthStatus::SERVING; }));
  ASSERT_TRUE(Eventually([&] {
    return Health(processor, processor_service) == HealthStatus::SERVING;
  }));
  {
    DatabaseOutage outage(stack.db());
    EXPECT_TRUE(Eventually([&] {
      return Health(query, query_service) == HealthStatus::NOT_SERVING;
    }));
    EXPECT_TRUE(Eventually([&] {
      return Health(processor, processor_service) == HealthStatus::NOT_SERVING;
    }));
    EXPECT_TRUE(Eventually([&] { return Readyz(stack.http_port()) == 503; }));
  }
  EXPECT_TRUE(Eventually(
      [&] { return Health(query, query_service) == HealthStatus::SERVING; }));
  EXPECT_TRUE(Eventually([&] {
    return Health(processor, processor_service) == HealthStatus::SERVING;
  }));
  EXPECT_TRUE(Eventually([&] { return Readyz(stack.http_port()) == 200; }));
}

}  // namespace
}  // namespace shopstream::testing
