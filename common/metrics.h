#ifndef SHOPSTREAM_COMMON_METRICS_H_
#define SHOPSTREAM_COMMON_METRICS_H_

#include <grpcpp/grpcpp.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/event_outcome.h"
#include "shopstream/internal/v1/pipeline.pb.h"

ABSL_DECLARE_FLAG(std::string, metrics_address);

// Every metric family of shopstream is declared here, so names, labels and
// buckets are in one place. prometheus-cpp does the counting and the
// exposition; this module only names things and keeps label-resolved series
// at hand, so that hot paths touch an atomic and never look a series up.
// A family appears in a process's /metrics once that process first uses it.
namespace shopstream {

// The process-wide registry that /metrics exposes.
prometheus::Registry& MetricsRegistry();

// Serves MetricsRegistry() and the standard process_* families
// (common/process_metrics.h) at http://`host`:`port`/metrics (an IPv6 host
// without brackets is fine) and sets shopstream_build_info{service,version}
// to 1. Null for port 0 (disabled). Every binary passes --metrics_address,
// loopback unless set: the page tells a stranger what the stack does.
absl::StatusOr<std::unique_ptr<prometheus::Exposer>> ServeMetrics(
    absl::string_view service, const std::string& host, int port);

// The version the binaries were built as (CMake's project version).
absl::string_view BuildVersion();

// shopstream_grpc_server_requests_total{service,method,code} and
// shopstream_grpc_server_request_duration_seconds{service,method} for one
// gRPC method; the series of each status code are resolved on first use.
class RpcMethodMetrics {
 public:
  // `path` as gRPC names the method: "/shopstream.v1.IngestService/Ingest".
  explicit RpcMethodMetrics(absl::string_view path);

  void Record(grpc::StatusCode code, absl::Duration elapsed);

  const std::string& path() const { return path_; }

 private:
  static constexpr int kCodes = 17;  // grpc::StatusCode 0..16
  const std::string path_;
  std::string service_, method_;
  prometheus::Histogram* duration_;
  std::array<std::atomic<prometheus::Counter*>, kCodes + 1> requests_{};
};

// The metrics of method `path`, created on first use and kept for the life
// of the process.
RpcMethodMetrics& RpcMetricsFor(absl::string_view path);

// shopstream_http_requests_total{route,method,status},
// shopstream_http_request_duration_seconds{route} and
// shopstream_http_ignored_fields_total{route} for one gateway route.
class HttpRouteMetrics {
 public:
  // `route` is the path template ("/v1/shops/{shop_id}/summary") or a fixed
  // name ("other"), never a raw path, so the label stays bounded.
  explicit HttpRouteMetrics(absl::string_view route);

  void Record(absl::string_view http_method, int status,
              absl::Duration elapsed);
  // Request JSON keys that no field has (see JsonTranscoder).
  void CountIgnoredFields(size_t count);

 private:
  static constexpr int kMethods = 8;     // GET ... PATCH, then "other"
  static constexpr int kStatuses = 500;  // 100..599
  const std::string route_;
  prometheus::Histogram* duration_;
  prometheus::Counter* ignored_fields_;
  std::unique_ptr<std::atomic<prometheus::Counter*>[]> requests_;
};

// shopstream_events_total{outcome,event_type}.
enum class EventCount { kAccepted, kRejected, kDuplicate, kDeadLettered };
prometheus::Counter& EventsCounter(EventCount outcome,
                                   internal::v1::EventType type);
// The count an outcome of the processor stands for.
EventCount EventCountOf(EventFate fate);

// Queue depths, and the limits beyond which new events are refused
// (--max_outstanding_events, --max_pending_events), so that an alert can
// say "near the limit" whatever the flags are.
prometheus::Gauge& IngestOutstandingEvents();
prometheus::Gauge& IngestOutstandingEventsLimit();
prometheus::Gauge& ProcessorPendingEvents();
prometheus::Gauge& ProcessorPendingEventsLimit();

// Batches as the processor commits them.
prometheus::Histogram& ProcessorBatchSize();
prometheus::Histogram& ProcessorFlushDuration();
// shopstream_processor_batches_total{cut}: what cut each batch, so the
// batch flags can be tuned from what happens (see BatchPolicy).
enum class BatchCut {
  kSize,              // --batch_max_events, no other commit in progress
  kWait,              // --batch_max_wait_ms, no other commit in progress
  kOverlap,           // --batch_overlap_min_events beside another commit
  kWaitBehindCommit,  // --batch_max_wait_behind_commit_ms ran out
  kClosing,           // shutting down: what waits goes at once
};
prometheus::Counter& ProcessorBatches(BatchCut cut);

// The folder, which adds committed events to the rollups behind the
// appends (rollups/rollup_folder.h).
// shopstream_rollup_folds_total{result}: fold steps, ok or failed.
prometheus::Counter& RollupFolds(bool ok);
prometheus::Histogram& RollupFoldDuration();
prometheus::Counter& RollupFoldedEvents();
// How long the oldest event of the last fold waited since its append: the
// folder's lag (0 when it had nothing to fold).
prometheus::Gauge& RollupLag();
// When the last fold committed (unix seconds).
prometheus::Gauge& RollupLastFold();
// Shops whose events a fold set aside after a failure, and how many wait.
prometheus::Counter& RollupShopsSetAside();
prometheus::Gauge& RollupPendingShops();

// shopstream_postgres_errors_total{kind}: kind is the status code a libpqxx
// exception became (unavailable, aborted, invalid_argument, internal).
prometheus::Counter& PostgresErrors(absl::StatusCode code);
prometheus::Counter& PostgresRetries();

// shopstream_api_key_lookups_total{result}: key lookups in the store (a
// cached answer is not one). A rise in unknown or refused is someone trying
// made-up keys.
enum class KeyLookup {
  kFound,    // a key, valid or revoked
  kUnknown,  // no such key id
  kFailed,   // the store could not be asked
  kRefused,  // too many ids not found before at once (not asked)
};
prometheus::Counter& ApiKeyLookups(KeyLookup result);

// Create a service's series at zero when it starts, so they are scraped
// before anything happens (rates and absent() alerts need them), instead of
// appearing with the first event or error.
void DeclareIngestMetrics();
void DeclareProcessorMetrics();
void DeclareRollupMetrics();
void DeclarePostgresMetrics();
void DeclareApiKeyMetrics();

// shopstream_serving: 1 while the process reports SERVING on its health
// service, 0 while a dependency it needs is unreachable.
prometheus::Gauge& ServingGauge();

}  // namespace shopstream

#endif  // SHOPSTREAM_COMMON_METRICS_H_
