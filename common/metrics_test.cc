#include "common/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/process_metrics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/metric_type.h"
#include "prometheus/text_serializer.h"

namespace shopstream {
namespace {

using ::testing::HasSubstr;

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// Output and exit status of a shell command.
std::pair<std::string, int> RunShell(const std::string& command) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  std::string out;
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof(chunk), pipe)) > 0) out.append(chunk, n);
  const int status = pclose(pipe);
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

std::string Exposition() {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, MetricsRegistry().Collect());
  return out.str();
}

// Uses every family, the way the services do.
void TouchEveryFamily() {
  RpcMetricsFor("/shopstream.v1.IngestService/Ingest")
      .Record(grpc::StatusCode::OK, absl::Milliseconds(3));
  RpcMetricsFor("/shopstream.v1.IngestService/Ingest")
      .Record(grpc::StatusCode::INVALID_ARGUMENT, absl::Milliseconds(1));
  HttpRouteMetrics route("/v1/shops/{shop_id}/summary");
  route.Record("GET", 200, absl::Milliseconds(4));
  route.Record("BREW", 404, absl::Milliseconds(1));
  EventsCounter(EventCount::kAccepted, internal::v1::PURCHASE).Increment();
  IngestOutstandingEvents().Set(3);
  ProcessorPendingEvents().Set(5);
  IngestOutstandingEventsLimit().Set(100);
  ProcessorPendingEventsLimit().Set(200);
  ProcessorBatchSize().Observe(120);
  ProcessorFlushDuration().Observe(0.004);
  PostgresErrors(absl::StatusCode::kUnavailable).Increment();
  PostgresRetries().Increment();
  ServingGauge().Set(1);
}

TEST(MetricsTest, SeriesCarryTheirLabels) {
  TouchEveryFamily();
  const std::string text = Exposition();
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(shopstream_grpc_server_requests_total{code="OK",method="Ingest",service="shopstream.v1.IngestService"} )"));
  EXPECT_THAT(text, HasSubstr(R"(code="INVALID_ARGUMENT",method="Ingest")"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(shopstream_grpc_server_request_duration_seconds_bucket{method="Ingest",service="shopstream.v1.IngestService",le="0.005"} )"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(shopstream_http_requests_total{method="GET",route="/v1/shops/{shop_id}/summary",status="200"} )"));
  // An unknown method does not become a label value of its own.
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(method="other",route="/v1/shops/{shop_id}/summary",status="404")"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(shopstream_events_total{event_type="purchase",outcome="accepted"} )"));
  EXPECT_THAT(
      text,
      HasSubstr(
          R"(shopstream_events_total{event_type="unknown",outcome="dead_lettered"} 0)"));
  EXPECT_THAT(
      text,
      HasSubstr(R"(shopstream_postgres_errors_total{kind="unavailable"} )"));
  EXPECT_THAT(text,
              HasSubstr("shopstream_processor_batch_size_events_count 1"));
  EXPECT_THAT(text, HasSubstr("shopstream_postgres_retries_total "));
}

std::string TypeName(prometheus::MetricType type) {
  switch (type) {
    case prometheus::MetricType::Counter:
      return "counter";
    case prometheus::MetricType::Gauge:
      return "gauge";
    case prometheus::MetricType::Histogram:
      return "histogram";
    case prometheus::MetricType::Summary:
      return "summary";
    default:
      return "untyped";
  }
}

// deploy/grafana/metric-names.txt is what dashboards and alerting rules may
// name (deploy/checks); it must be exactly what the services export.
TEST(MetricsTest, TheDeclaredNamesAreWhatTheServicesExport) {
  TouchEveryFamily();
  DeclareIngestMetrics();
  DeclareProcessorMetrics();
  DeclareRollupMetrics();
  DeclarePostgresMetrics();
  DeclareApiKeyMetrics();
  ASSERT_TRUE(ServeMetrics("ingest", "127.0.0.1", 0).ok());
  std::map<std::string, std::string> exported;
  auto add = [&](const std::vector<prometheus::MetricFamily>& families) {
    for (const prometheus::MetricFamily& family : families) {
      exported[family.name] = TypeName(family.type);
    }
  };
  add(MetricsRegistry().Collect());
  add(ProcessCollector().Collect());

  std::ifstream in(SHOPSTREAM_METRIC_NAMES);
  ASSERT_TRUE(in) << SHOPSTREAM_METRIC_NAMES;
  std::map<std::string, std::string> declared;
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    const std::vector<std::string> words =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (words.empty()) continue;
    ASSERT_EQ(words.size(), 2u) << "want \"name type\": " << line;
    declared[words[0]] = words[1];
  }
  EXPECT_EQ(declared, exported)
      << "deploy/grafana/metric-names.txt and the families of "
         "common/metrics.cc and common/process_metrics.cc differ";
}

TEST(MetricsTest, ASeriesIsResolvedOnceAndReused) {
  RpcMethodMetrics& a =
      RpcMetricsFor("/shopstream.v1.AnalyticsService/GetSummary");
  RpcMethodMetrics& b =
      RpcMetricsFor("/shopstream.v1.AnalyticsService/GetSummary");
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(&EventsCounter(EventCount::kRejected, internal::v1::PAGE_VIEW),
            &EventsCounter(EventCount::kRejected, internal::v1::PAGE_VIEW));
  const double before =
      EventsCounter(EventCount::kRejected, internal::v1::PAGE_VIEW).Value();
  EventsCounter(EventCount::kRejected, internal::v1::PAGE_VIEW).Increment();
  EXPECT_EQ(
      EventsCounter(EventCount::kRejected, internal::v1::PAGE_VIEW).Value(),
      before + 1);
}

// The endpoint a Prometheus server scrapes, checked by Prometheus's own
// linter (promtool, Debian package prometheus).
TEST(MetricsTest, EndpointServesWhatPromtoolAccepts) {
  TouchEveryFamily();
  const int port = FreePort();
  auto exposer = ServeMetrics("ingest", "127.0.0.1", port);
  ASSERT_TRUE(exposer.ok()) << exposer.status();
  ASSERT_NE(*exposer, nullptr);
  const std::string file = absl::StrCat(::testing::TempDir(), "/metrics.txt");
  const auto [curl_out, curl_status] =
      RunShell(absl::StrCat("curl -fsS --max-time 10 -o ", file,
                            " http://127.0.0.1:", port, "/metrics"));
  ASSERT_EQ(curl_status, 0) << curl_out;
  std::ifstream in(file);
  const std::string text((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  EXPECT_THAT(text, HasSubstr(absl::StrCat(
                        R"(shopstream_build_info{service="ingest",version=")",
                        BuildVersion(), R"("} 1)")));
  EXPECT_THAT(text, HasSubstr("shopstream_events_total{"));
  for (const char* family :
       {"process_cpu_seconds_total", "process_resident_memory_bytes",
        "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
        "process_start_time_seconds"}) {
    EXPECT_THAT(text, HasSubstr(absl::StrCat("\n", family, " "))) << family;
  }
  const auto [lint, lint_status] =
      RunShell(absl::StrCat("timeout 30 promtool check metrics < ", file));
  EXPECT_EQ(lint_status, 0) << lint;
}

TEST(MetricsTest, PortZeroDisablesTheEndpointAndABusyPortIsAnError) {
  auto disabled = ServeMetrics("query", "127.0.0.1", 0);
  ASSERT_TRUE(disabled.ok());
  EXPECT_EQ(*disabled, nullptr);

  const int port = FreePort();
  auto first = ServeMetrics("query", "127.0.0.1", port);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = ServeMetrics("query", "127.0.0.1", port);
  EXPECT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()),
              HasSubstr("metrics_port"));

  EXPECT_FALSE(ServeMetrics("query", "127.0.0.1", 70000).ok());
}

// Whether http://`host`:`port`/metrics answers. Only loopback addresses:
// 127.0.0.2 stands for "another address of this machine", which a listener
// on every address (0.0.0.0) would answer too.
bool Answers(const std::string& host, int port) {
  return RunShell(absl::StrCat("curl -fsS --max-time 5 -o /dev/null http://",
                               host, ":", port, "/metrics"))
             .second == 0;
}

TEST(MetricsTest, TheEndpointListensOnLoopbackUnlessToldOtherwise) {
  EXPECT_EQ(absl::GetFlag(FLAGS_metrics_address), "127.0.0.1");
  const int port = FreePort();
  auto exposer =
      ServeMetrics("query", absl::GetFlag(FLAGS_metrics_address), port);
  ASSERT_TRUE(exposer.ok()) << exposer.status();
  EXPECT_TRUE(Answers("127.0.0.1", port));
  EXPECT_FALSE(Answers("127.0.0.2", port));
}

TEST(MetricsTest, TheEndpointListensWhereTheAddressSays) {
  const int port = FreePort();
  auto exposer = ServeMetrics("query", "127.0.0.2", port);
  ASSERT_TRUE(exposer.ok()) << exposer.status();
  EXPECT_TRUE(Answers("127.0.0.2", port));
  EXPECT_FALSE(Answers("127.0.0.1", port));

  auto bad = ServeMetrics("query", "not an address", FreePort());
  EXPECT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("metrics_address"));
}

}  // namespace
}  // namespace shopstream
