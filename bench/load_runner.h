#ifndef SHOPSTREAM_BENCH_LOAD_RUNNER_H_
#define SHOPSTREAM_BENCH_LOAD_RUNNER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bench/event_factory.h"
#include "bench/event_sender.h"
#include "bench/latency_histogram.h"

namespace shopstream::bench {

// One load scenario: how events travel and how hard they are pushed.
struct ScenarioSpec {
  // "grpc_unary", or "grpc_unary@30000" for an open-loop run at 30,000
  // events/s, or "rest@80%" for one at 80% of what the closed-loop "rest"
  // took earlier in the same run; "rest:512" sets the concurrency (here:
  // connections) instead of the flag's.
  std::string name;
  int concurrency_override = 0;
  Transport transport = Transport::kGrpcUnary;
  // Workers, each with one call in flight at a time (connections for REST).
  int concurrency = 1;
  int events_per_call = 1;
  // Events per second for all workers together; 0 runs closed-loop (every
  // worker sends again as soon as it has its answer) to find the maximum.
  double target_events_per_second = 0;
  // "@80%": 0.8. The rate is only known once the closed-loop run it is a
  // share of has run (the host's speed swings between runs, so an absolute
  // rate would be too light on a fast spell and overload a slow one); the
  // runner then sets target_events_per_second and the two fields below.
  double share_of_closed_loop = 0;
  std::string rate_basis;  // the closed-loop run's name
  double rate_basis_events_per_second = 0;

  bool open_loop() const { return target_events_per_second > 0; }
};

struct LoadOptions {
  absl::Duration duration = absl::Seconds(20);
  absl::Duration warmup = absl::Seconds(3);
  // After the window, calls still owed under the open-loop schedule may run
  // this much longer; nothing is sent after it.
  absl::Duration drain_limit = absl::Seconds(10);
  EventMix mix;
};

struct LoadResult {
  ScenarioSpec spec;
  std::string shop_id;
  std::string id_prefix;
  double window_seconds = 0;  // what throughput is divided by
  int64_t events_sent = 0;
  int64_t events_acked = 0;
  int64_t events_rejected = 0;
  double acked_events_per_second = 0;
  // From the intended send time to the answer, microseconds, acked events.
  LatencyHistogram latency_us;
  // Unacknowledged events by reason.
  std::map<std::string, int64_t> errors;
  // acked_sequences[w]: sequence numbers of worker w's acknowledged events;
  // BenchEventId(id_prefix, w, s) gives the ids.
  std::vector<std::vector<uint64_t>> acked_sequences;
};

// Runs a scenario: a warm-up whose events go to a separate shop and are not
// counted, then the measured window. In open-loop mode every call has an
// intended send time on a fixed schedule and latency is measured from it, so
// a slow answer that delays the next call shows up as latency rather than
// silently lowering the offered load (coordinated omission).
class LoadRunner {
 public:
  // Workers on threads of their own, each blocking on its call.
  LoadRunner(ScenarioSpec spec, LoadOptions options, SenderFactory factory);
  // Workers as state machines on one thread, driven by their senders'
  // completions and, in open loop, by timers.
  LoadRunner(ScenarioSpec spec, LoadOptions options,
             AsyncSenderFactory factory);
  ~LoadRunner();

  // `shop_id` and `id_prefix` name the measured events; every id is unique
  // within the prefix. `on_window_start` runs when the measured window
  // starts (probes and CPU snapshots hook in there).
  LoadResult Run(const std::string& shop_id, const std::string& id_prefix,
                 const std::function<void()>& on_window_start);

 private:
  using Clock = std::chrono::steady_clock;

  struct WorkerRecord {
    LatencyHistogram latency_us;
    int64_t sent = 0;
    int64_t acked = 0;
    int64_t rejected = 0;
    std::map<std::string, int64_t> errors;
    std::vector<uint64_t> acked_sequences;
    Clock::time_point last_send{};
  };

  struct Phase {
    std::string shop_id;
    std::string id_prefix;
    Clock::time_point start;
    Clock::time_point end;
    Clock::time_point hard_stop;
    bool record = false;
  };

  struct AsyncWorker;

  // Runs every worker through one phase and returns their records.
  std::vector<WorkerRecord> RunPhase(const Phase& phase);
  void RunWorker(int worker, const Phase& phase, WorkerRecord* record);
  std::vector<WorkerRecord> RunAsyncPhase(const Phase& phase);
  // When `worker` should send its `call`-th call (from 0): on the open-loop
  // schedule, or now. Nothing when the phase has no room for it.
  std::optional<Clock::time_point> Intended(const Phase& phase, int worker,
                                            int64_t call) const;
  // Counts one answered call of `events` events.
  static void Record(const Phase& phase, size_t events, uint64_t first_sequence,
                     const SendOutcome& outcome, Clock::time_point intended,
                     Clock::time_point send_time, Clock::time_point answered,
                     WorkerRecord* record);

  ScenarioSpec spec_;
  LoadOptions options_;
  std::vector<std::unique_ptr<EventSender>> senders_;
  // The asynchronous workers' thread runs `io_`; the senders use it, so it
  // outlives them.
  std::unique_ptr<boost::asio::io_context> io_;
  std::vector<std::unique_ptr<AsyncEventSender>> async_senders_;
};

// Parses a scenario name: grpc_unary, grpc_batch, grpc_stream or rest,
// optionally followed by ":<concurrency>", then optionally by
// "@<events per second>" or "@<percent>%" (of the closed-loop rate).
absl::StatusOr<ScenarioSpec> ParseScenarioName(const std::string& name);

}  // namespace shopstream::bench

#endif  // SHOPSTREAM_BENCH_LOAD_RUNNER_H_
