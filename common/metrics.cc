#include "common/metrics.h"

#include <exception>
#include <map>
#include <mutex>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/log.h"
#include "common/process_metrics.h"

#ifndef SHOPSTREAM_VERSION
#define SHOPSTREAM_VERSION "unknown"
#endif

ABSL_FLAG(std::string, metrics_address, "127.0.0.1",
          "IP address the Prometheus /metrics endpoint listens on (with "
          "--metrics_port); 0.0.0.0 for a scraper on another host.");

namespace shopstream {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

// Request latencies, from a cache hit to a slow PostgreSQL.
const Histogram::BucketBoundaries& LatencyBuckets() {
  static const Histogram::BucketBoundaries buckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
      0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return buckets;
}

// Read at scrape time, so it lives beside the registry rather than in it.
const std::shared_ptr<ProcessCollector>& SharedProcessCollector() {
  static auto* collector = new std::shared_ptr<ProcessCollector>(
      std::make_shared<ProcessCollector>());
  return *collector;
}

std::shared_ptr<prometheus::Registry>& SharedRegistry() {
  static auto* registry = new std::shared_ptr<prometheus::Registry>(
      std::make_shared<prometheus::Registry>());
  return *registry;
}

Family<Counter>& GrpcRequestsFamily() {
  static auto& family =
      prometheus::BuildCounter()
          .Name("shopstream_grpc_server_requests_total")
          .Help("gRPC calls served, by method and status code.")
          .Register(MetricsRegistry());
  return family;
}

Family<Histogram>& GrpcDurationFamily() {
  static auto& family =
      prometheus::BuildHistogram()
          .Name("shopstream_grpc_server_request_duration_seconds")
          .Help("Time from a gRPC call's start to its status, by method.")
          .Register(MetricsRegistry());
  return family;
}

Family<Counter>& HttpRequestsFamily() {
  static auto& family = prometheus::BuildCounter()
                            .Name("shopstream_http_requests_total")
                            .Help("HTTP requests answered by the gateway.")
                            .Register(MetricsRegistry());
  return family;
}

Family<Histogram>& HttpDurationFamily() {
  static auto& family =
      prometheus::BuildHistogram()
          .Name("shopstream_http_request_duration_seconds")
          .Help("Time from a complete HTTP request to its response, by route.")
          .Register(MetricsRegistry());
  return family;
}

Family<Counter>& HttpIgnoredFieldsFamily() {
  static auto& family =
      prometheus::BuildCounter()
          .Name("shopstream_http_ignored_fields_total")
          .Help("Request JSON keys that no field has, left out, by route.")
          .Register(MetricsRegistry());
  return family;
}

constexpr const char* kCodeNames[] = {"OK",
                                      "CANCELLED",
                                      "UNKNOWN",
                                      "INVALID_ARGUMENT",
                                      "DEADLINE_EXCEEDED",
                                      "NOT_FOUND",
                                      "ALREADY_EXISTS",
                                      "PERMISSION_DENIED",
                                      "RESOURCE_EXHAUSTED",
                                      "FAILED_PRECONDITION",
                                      "ABORTED",
                                      "OUT_OF_RANGE",
                                      "UNIMPLEMENTED",
                                      "INTERNAL",
                                      "UNAVAILABLE",
                                      "DATA_LOSS",
                                      "UNAUTHENTICATED"};

constexpr const char* kHttpMethods[] = {"GET",     "POST", "PUT",  "DELETE",
                                        "OPTIONS", "HEAD", "PATCH"};

// Resolves the series at `slot` once; later calls are one atomic load.
Counter& CachedCounter(std::atomic<Counter*>& slot, Family<Counter>& family,
                       const prometheus::Labels& labels) {
  Counter* counter = slot.load(std::memory_order_acquire);
  if (counter == nullptr) {
    // Family::Add returns the existing series for known labels, so a race
    // here stores the same pointer twice.
    counter = &family.Add(labels);
    slot.store(counter, std::memory_order_release);
  }
  return *counter;
}

}  // namespace

prometheus::Registry& MetricsRegistry() { return *SharedRegistry(); }

absl::string_view BuildVersion() { return SHOPSTREAM_VERSION; }

absl::StatusOr<std::unique_ptr<prometheus::Exposer>> ServeMetrics(
    absl::string_view service, const std::string& host, int port) {
  prometheus::BuildGauge()
      .Name("shopstream_build_info")
      .Help("Always 1; the labels say which service and version run.")
      .Register(MetricsRegistry())
      .Add({{"service", std::string(service)},
            {"version", std::string(BuildVersion())}})
      .Set(1);
  if (port == 0) return nullptr;
  if (port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics_port: ", port, " is not a port number"));
  }
  if (host.empty()) {
    return absl::InvalidArgumentError(
        "metrics_address: empty; an IP address such as 127.0.0.1 or 0.0.0.0");
  }
  const std::string address =
      host.find(':') != std::string::npos && host.front() != '['
          ? absl::StrCat("[", host, "]:", port)
          : absl::StrCat(host, ":", port);
  std::unique_ptr<prometheus::Exposer> exposer;
  // prometheus-cpp reports an address it cannot bind by exception.
  try {
    exposer = std::make_unique<prometheus::Exposer>(address);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("metrics_address, metrics_port: cannot listen on ",
                     address, ": ", e.what()));
  }
  exposer->RegisterCollectable(SharedRegistry());
  exposer->RegisterCollectable(SharedProcessCollector());
  LogInfo("metrics", {{"address", address}, {"path", "/metrics"}});
  return exposer;
}

RpcMethodMetrics::RpcMethodMetrics(absl::string_view path) : path_(path) {
  // "/package.Service/Method"
  absl::string_view rest = path;
  if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  const size_t slash = rest.find('/');
  if (slash == absl::string_view::npos) {
    service_ = "unknown";
    method_ = std::string(rest);
  } else {
    service_ = std::string(rest.substr(0, slash));
    method_ = std::string(rest.substr(slash + 1));
  }
  duration_ = &GrpcDurationFamily().Add(
      {{"service", service_}, {"method", method_}}, LatencyBuckets());
}

void RpcMethodMetrics::Record(grpc::StatusCode code, absl::Duration elapsed) {
  int index = static_cast<int>(code);
  if (index < 0 || index >= kCodes) index = kCodes;
  CachedCounter(requests_[index], GrpcRequestsFamily(),
                {{"service", service_},
                 {"method", method_},
                 {"code", index == kCodes ? "UNKNOWN" : kCodeNames[index]}})
      .Increment();
  duration_->Observe(absl::ToDoubleSeconds(elapsed));
}

RpcMethodMetrics& RpcMetricsFor(absl::string_view path) {
  static absl::Mutex mu;
  static auto* methods =
      new std::map<std::string, std::unique_ptr<RpcMethodMetrics>,
                   std::less<>>();
  {
    absl::ReaderMutexLock lock(&mu);
    auto it = methods->find(path);
    if (it != methods->end()) return *it->second;
  }
  absl::MutexLock lock(&mu);
  auto& slot = (*methods)[std::string(path)];
  if (slot == nullptr) slot = std::make_unique<RpcMethodMetrics>(path);
  return *slot;
}

HttpRouteMetrics::HttpRouteMetrics(absl::string_view route)
    : route_(route),
      duration_(
          &HttpDurationFamily().Add({{"route", route_}}, LatencyBuckets())),
      ignored_fields_(&HttpIgnoredFieldsFamily().Add({{"route", route_}})),
      requests_(new std::atomic<Counter*>[kMethods * kStatuses]()) {}

void HttpRouteMetrics::CountIgnoredFields(size_t count) {
  ignored_fields_->Increment(static_cast<double>(count));
}

void HttpRouteMetrics::Record(absl::string_view http_method, int status,
                              absl::Duration elapsed) {
  int method = kMethods - 1;
  for (int i = 0; i < kMethods - 1; ++i) {
    if (http_method == kHttpMethods[i]) {
      method = i;
      break;
    }
  }
  if (status < 100 || status > 599) status = 500;
  CachedCounter(
      requests_[method * kStatuses + (status - 100)], HttpRequestsFamily(),
      {{"route", route_},
       {"method", method == kMethods - 1 ? "other" : kHttpMethods[method]},
       {"status", absl::StrCat(status)}})
      .Increment();
  duration_->Observe(absl::ToDoubleSeconds(elapsed));
}

prometheus::Counter& EventsCounter(EventCount outcome,
                                   internal::v1::EventType type) {
  static constexpr const char* kOutcomes[] = {"accepted", "rejected",
                                              "duplicate", "dead_lettered"};
  static constexpr const char* kTypes[] = {"unknown", "page_view",
                                           "add_to_cart", "purchase"};
  // Every combination exists from the first event on, so rates over any of
  // them start at zero rather than appearing later.
  static auto* counters = [] {
    auto* table = new std::array<std::array<Counter*, 4>, 4>();
    auto& family = prometheus::BuildCounter()
                       .Name("shopstream_events_total")
                       .Help("Events ingest settled, by outcome and type.")
                       .Register(MetricsRegistry());
    for (int o = 0; o < 4; ++o) {
      for (int t = 0; t < 4; ++t) {
        (*table)[o][t] =
            &family.Add({{"outcome", kOutcomes[o]}, {"event_type", kTypes[t]}});
      }
    }
    return table;
  }();
  int t = static_cast<int>(type);
  if (t < 0 || t > 3) t = 0;
  return *(*counters)[static_cast<int>(outcome)][t];
}

EventCount EventCountOf(EventFate fate) {
  switch (fate) {
    case EventFate::kStored:
      return EventCount::kAccepted;
    case EventFate::kDuplicate:
      return EventCount::kDuplicate;
    case EventFate::kDeadLettered:
      return EventCount::kDeadLettered;
    case EventFate::kRefused:
      return EventCount::kRejected;
  }
  return EventCount::kAccepted;
}

prometheus::Gauge& IngestOutstandingEvents() {
  static auto& gauge =
      prometheus::BuildGauge()
          .Name("shopstream_ingest_outstanding_events")
          .Help(
              "Events ingest has taken and the processor not yet acknowledged.")
          .Register(MetricsRegistry())
          .Add({});
  return gauge;
}

prometheus::Gauge& IngestOutstandingEventsLimit() {
  static auto& gauge =
      prometheus::BuildGauge()
          .Name("shopstream_ingest_outstanding_events_limit")
          .Help(
              "Outstanding events beyond which ingest refuses new ones "
              "(--max_outstanding_events).")
          .Register(MetricsRegistry())
          .Add({});
  return gauge;
}

prometheus::Gauge& ProcessorPendingEventsLimit() {
  static auto& gauge =
      prometheus::BuildGauge()
          .Name("shopstream_processor_pending_events_limit")
          .Help(
              "Pending events beyond which the processor refuses new ones "
              "(--max_pending_events).")
          .Register(MetricsRegistry())
          .Add({});
  return gauge;
}

prometheus::Gauge& ProcessorPendingEvents() {
  static auto& gauge =
      prometheus::BuildGauge()
          .Name("shopstream_processor_pending_events")
          .Help("Events waiting in the processor for a writer.")
          .Register(MetricsRegistry())
          .Add({});
  return gauge;
}

prometheus::Histogram& ProcessorBatchSize() {
  static auto& histogram =
      prometheus::BuildHistogram()
          .Name("shopstream_processor_batch_size_events")
          .Help("Events per batch the processor commits.")
          .Register(MetricsRegistry())
          .Add({}, Histogram::BucketBoundaries{1, 5, 10, 50, 100, 250, 500,
                                               1000, 2000, 5000});
  return histogram;
}

prometheus::Histogram& ProcessorFlushDuration() {
  static auto& histogram =
      prometheus::BuildHistogram()
          .Name("shopstream_processor_flush_duration_seconds")
          .Help("Time to commit one batch, retries and dead letters included.")
          .Register(MetricsRegistry())
          .Add({}, LatencyBuckets());
  return histogram;
}

prometheus::Counter& ProcessorBatches(BatchCut cut) {
  static auto& family =
      prometheus::BuildCounter()
          .Name("shopstream_processor_batches_total")
          .Help("Batches the processor cut, by what cut them.")
          .Register(MetricsRegistry());
  static constexpr std::array<const char*, 5> kCuts = {
      "size", "wait", "overlap", "wait_behind_commit", "closing"};
  static std::array<std::atomic<Counter*>, kCuts.size()> counters{};
  const auto index = static_cast<size_t>(cut);
  return CachedCounter(counters[index], family, {{"cut", kCuts[index]}});
}

prometheus::Counter& RollupFolds(bool ok) {
  static auto& family = prometheus::BuildCounter()
                            .Name("shopstream_rollup_folds_total")
                            .Help("Fold steps of the rollup folder, by result.")
                            .Register(MetricsRegistry());
  static auto& folded = family.Add({{"result", "ok"}});
  static auto& failed = family.Add({{"result", "failed"}});
  return ok ? folded : failed;
}

prometheus::Histogram& RollupFoldDuration() {
  static auto& histogram = prometheus::BuildHistogram()
                               .Name("shopstream_rollup_fold_duration_seconds")
                               .Help("Time of one fold step, commit included.")
                               .Register(MetricsRegistry())
                               .Add({}, LatencyBuckets());
  return histogram;
}

prometheus::Counter& RollupFoldedEvents() {
  static auto& counter = prometheus::BuildCounter()
                             .Name("shopstream_rollup_folded_events_total")
                             .Help("Events added to the rollups by the folder.")
                             .Register(MetricsRegistry())
                             .Add({});
  return counter;
}

prometheus::Gauge& RollupLag() {
  static auto& gauge =
      prometheus::BuildGauge()
          .Name("shopstream_rollup_lag_seconds")
          .Help(
              "How long the oldest event of the last fold waited since it "
              "was appended; 0 when there was nothing to fold.")
          .Register(MetricsRegistry())
          .Add({});
  return gauge;
}

prometheus::Gauge& RollupLastFold() {
  static auto& gauge =
      prometheus::BuildGauge()
          .Name("shopstream_rollup_last_fold_timestamp_seconds")
          .Help("When the last fold step committed.")
          .Register(MetricsRegistry())
          .Add({});
  return gauge;
}

prometheus::Counter& RollupShopsSetAside() {
  static auto& counter =
      prometheus::BuildCounter()
          .Name("shopstream_rollup_shops_set_aside_total")
          .Help(
              "Times a shop's events were set aside because their fold "
              "failed; they are retried alone.")
          .Register(MetricsRegistry())
          .Add({});
  return counter;
}

prometheus::Gauge& RollupPendingShops() {
  static auto& gauge =
      prometheus::BuildGauge()
          .Name("shopstream_rollup_pending_shops")
          .Help("Shops with events set aside, waiting for a retry.")
          .Register(MetricsRegistry())
          .Add({});
  return gauge;
}

prometheus::Counter& PostgresErrors(absl::StatusCode code) {
  static auto& family =
      prometheus::BuildCounter()
          .Name("shopstream_postgres_errors_total")
          .Help("PostgreSQL failures, by the kind of status they became.")
          .Register(MetricsRegistry());
  static std::array<std::atomic<Counter*>, 17> counters{};
  int index = static_cast<int>(code);
  if (index < 0 || index >= 17)
    index = static_cast<int>(absl::StatusCode::kUnknown);
  return CachedCounter(counters[index], family,
                       {{"kind", absl::AsciiStrToLower(absl::StatusCodeToString(
                                     static_cast<absl::StatusCode>(index)))}});
}

prometheus::Counter& PostgresRetries() {
  static auto& counter =
      prometheus::BuildCounter()
          .Name("shopstream_postgres_retries_total")
          .Help("PostgreSQL operations tried again after a transient failure.")
          .Register(MetricsRegistry())
          .Add({});
  return counter;
}

prometheus::Counter& ApiKeyLookups(KeyLookup result) {
  static auto& family =
      prometheus::BuildCounter()
          .Name("shopstream_api_key_lookups_total")
          .Help(
              "API key lookups in the store, by result; refused: not asked, "
              "too many unknown ids at once.")
          .Register(MetricsRegistry());
  static constexpr std::array<const char*, 4> kResults = {"found", "unknown",
                                                          "failed", "refused"};
  static std::array<std::atomic<Counter*>, kResults.size()> counters{};
  const auto index = static_cast<size_t>(result);
  return CachedCounter(counters[index], family, {{"result", kResults[index]}});
}

void DeclareIngestMetrics() {
  EventsCounter(EventCount::kAccepted, internal::v1::PAGE_VIEW);
  IngestOutstandingEvents();
}

void DeclareProcessorMetrics() {
  ProcessorPendingEvents();
  ProcessorBatchSize();
  ProcessorFlushDuration();
  for (BatchCut cut : {BatchCut::kSize, BatchCut::kWait, BatchCut::kOverlap,
                       BatchCut::kWaitBehindCommit, BatchCut::kClosing}) {
    ProcessorBatches(cut);
  }
}

void DeclareRollupMetrics() {
  RollupFolds(true);
  RollupFolds(false);
  RollupFoldDuration();
  RollupFoldedEvents();
  RollupLag();
  RollupLastFold();
  RollupShopsSetAside();
  RollupPendingShops();
}

void DeclarePostgresMetrics() {
  for (absl::StatusCode code :
       {absl::StatusCode::kUnavailable, absl::StatusCode::kAborted,
        absl::StatusCode::kInvalidArgument, absl::StatusCode::kInternal}) {
    PostgresErrors(code);
  }
  PostgresRetries();
}

prometheus::Gauge& ServingGauge() {
  static auto& gauge =
      prometheus::BuildGauge()
          .Name("shopstream_serving")
          .Help("1 while the health service reports SERVING, else 0.")
          .Register(MetricsRegistry())
          .Add({});
  return gauge;
}

void DeclareApiKeyMetrics() {
  for (KeyLookup result : {KeyLookup::kFound, KeyLookup::kUnknown,
                           KeyLookup::kFailed, KeyLookup::kRefused}) {
    ApiKeyLookups(result);
  }
}

}  // namespace shopstream
