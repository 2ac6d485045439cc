#ifndef SHOPSTREAM_BENCH_VISIBILITY_PROBE_H_
#define SHOPSTREAM_BENCH_VISIBILITY_PROBE_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "bench/latency_histogram.h"
#include "shopstream/v1/analytics.grpc.pb.h"
#include "shopstream/v1/ingest.grpc.pb.h"

namespace shopstream::bench {

struct VisibilityResult {
  // From just before Ingest until GetSummary counts the event, microseconds.
  LatencyHistogram latency_us;
  int64_t probes = 0;
  int64_t send_failures = 0;
  // Acked but not counted within the poll timeout (recorded at the timeout).
  int64_t not_visible = 0;
};

// Event-to-visible latency under load: every `interval` it sends one page
// view for its own shop and polls GetSummary until the count includes it.
// Runs on its own thread between Start and Finish.
class VisibilityProbe {
 public:
  struct Options {
    int probes = 50;
    absl::Duration interval = absl::Milliseconds(400);
    absl::Duration poll_interval = absl::Milliseconds(2);
    absl::Duration poll_timeout = absl::Seconds(5);
    absl::Duration rpc_timeout = absl::Seconds(5);
  };

  VisibilityProbe(std::shared_ptr<grpc::Channel> ingest,
                  std::shared_ptr<grpc::Channel> query, std::string shop_id,
                  std::string id_prefix, Options options);
  ~VisibilityProbe();

  void Start();
  // Stops after the probe in progress and returns what was measured.
  VisibilityResult Finish();

 private:
  void Loop();
  // Total events GetSummary reports for the shop, or -1 on error.
  int64_t CountVisible();

  std::unique_ptr<v1::IngestService::Stub> ingest_;
  std::unique_ptr<v1::AnalyticsService::Stub> query_;
  std::string shop_id_;
  std::string id_prefix_;
  Options options_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  VisibilityResult result_;
};

}  // namespace shopstream::bench

#endif  // SHOPSTREAM_BENCH_VISIBILITY_PROBE_H_
