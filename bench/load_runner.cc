#include "bench/load_runner.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace shopstream::bench {

LoadRunner::LoadRunner(ScenarioSpec spec, LoadOptions options,
                       SenderFactory factory)
    : spec_(std::move(spec)), options_(std::move(options)) {
  spec_.concurrency = std::max(1, spec_.concurrency);
  spec_.events_per_call = std::max(1, spec_.events_per_call);
  for (int w = 0; w < spec_.concurrency; ++w) {
    senders_.push_back(factory(w));
  }
}

LoadResult LoadRunner::Run(const std::string& shop_id,
                           const std::string& id_prefix,
                           const std::function<void()>& on_window_start) {
  const auto to_clock = [](absl::Duration d) {
    return std::chrono::duration_cast<Clock::duration>(
        absl::ToChronoNanoseconds(d));
  };
  if (options_.warmup > absl::ZeroDuration()) {
    Phase warmup;
    warmup.shop_id = shop_id + "-warm";
    warmup.id_prefix = id_prefix + "-warm";
    warmup.start = Clock::now();
    warmup.end = warmup.start + to_clock(options_.warmup);
    warmup.hard_stop = warmup.end + to_clock(options_.drain_limit);
    RunPhase(warmup);
  }

  Phase window;
  window.shop_id = shop_id;
  window.id_prefix = id_prefix;
  window.record = true;
  if (on_window_start) on_window_start();
  window.start = Clock::now();
  window.end = window.start + to_clock(options_.duration);
  window.hard_stop = window.end + to_clock(options_.drain_limit);
  std::vector<WorkerRecord> records = RunPhase(window);

  LoadResult result;
  result.spec = spec_;
  result.shop_id = shop_id;
  result.id_prefix = id_prefix;
  Clock::time_point last_send = window.end;
  for (WorkerRecord& record : records) {
    result.latency_us.Merge(record.latency_us);
    result.events_sent += record.sent;
    result.events_acked += record.acked;
    result.events_rejected += record.rejected;
    for (const auto& [key, count] : record.errors) result.errors[key] += count;
    result.acked_sequences.push_back(std::move(record.acked_sequences));
    last_send = std::max(last_send, record.last_send);
  }
  // A run that could not keep to its schedule sends after the window; its
  // throughput is spread over the longer time.
  result.window_seconds =
      std::chrono::duration<double>(last_send - window.start).count();
  result.acked_events_per_second =
      result.window_seconds > 0 ? result.events_acked / result.window_seconds
                                : 0;
  return result;
}

std::vector<LoadRunner::WorkerRecord> LoadRunner::RunPhase(const Phase& phase) {
  std::vector<WorkerRecord> records(senders_.size());
  std::vector<std::thread> threads;
  threads.reserve(senders_.size());
  for (size_t w = 0; w < senders_.size(); ++w) {
    threads.emplace_back([this, w, &phase, &records] {
      RunWorker(static_cast<int>(w), phase, &records[w]);
    });
  }
  for (std::thread& thread : threads) thread.join();
  return records;
}

void LoadRunner::RunWorker(int worker, const Phase& phase,
                           WorkerRecord* record) {
  EventFactory factory(options_.mix, phase.shop_id, phase.id_prefix, worker);
  std::vector<v1::Event> events(spec_.events_per_call);
  SendOutcome outcome;
  EventSender& sender = *senders_[worker];

  // Open loop: each worker owns every concurrency-th slot of the overall
  // schedule, so together they offer exactly the target rate.
  std::chrono::duration<double> interval{0};
  std::chrono::duration<double> offset{0};
  if (spec_.open_loop()) {
    const double calls_per_second =
        spec_.target_events_per_second / spec_.events_per_call;
    interval =
        std::chrono::duration<double>(spec_.concurrency / calls_per_second);
    offset = interval * (static_cast<double>(worker) / spec_.concurrency);
  }

  for (int64_t call = 0;; ++call) {
    Clock::time_point intended;
    if (spec_.open_loop()) {
      intended =
          phase.start + std::chrono::duration_cast<Clock::duration>(
                            offset + interval * static_cast<double>(call));
      if (intended >= phase.end) break;
      std::this_thread::sleep_until(intended);
    } else {
      intended = Clock::now();
      if (intended >= phase.end) break;
    }
    const Clock::time_point send_time = Clock::now();
    if (send_time >= phase.hard_stop) break;

    const uint64_t first_sequence = factory.next_sequence();
    for (v1::Event& event : events) factory.Next(&event);
    sender.Send(events, &outcome);
    const Clock::time_point answered = Clock::now();
    if (!phase.record) continue;

    record->last_send = send_time;
    record->sent += static_cast<int64_t>(events.size());
    record->rejected += outcome.rejected;
    const int64_t latency_us =
        std::chrono::duration_cast<std::chrono::microseconds>(answered -
                                                              intended)
            .count();
    int64_t failed = 0;
    for (size_t i = 0; i < events.size(); ++i) {
      if (outcome.acked[i]) {
        ++record->acked;
        record->latency_us.Record(latency_us);
        record->acked_sequences.push_back(first_sequence + i);
      } else {
        ++failed;
      }
    }
    if (outcome.rejected > 0) record->errors["rejected"] += outcome.rejected;
    if (failed > outcome.rejected) {
      record->errors[outcome.error.empty() ? "unknown" : outcome.error] +=
          failed - outcome.rejected;
    }
  }
}

absl::StatusOr<ScenarioSpec> ParseScenarioName(const std::string& name) {
  std::pair<std::string, std::string> parts =
      absl::StrSplit(name, absl::MaxSplits('@', 1));
  ScenarioSpec spec;
  spec.name = name;
  std::pair<std::string, std::string> kind =
      absl::StrSplit(parts.first, absl::MaxSplits(':', 1));
  if (!kind.second.empty() &&
      (!absl::SimpleAtoi(kind.second, &spec.concurrency_override) ||
       spec.concurrency_override <= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad concurrency in scenario '", name, "'"));
  }
  parts.first = kind.first;
  if (parts.first == "grpc_unary") {
    spec.transport = Transport::kGrpcUnary;
  } else if (parts.first == "grpc_batch") {
    spec.transport = Transport::kGrpcBatch;
  } else if (parts.first == "grpc_stream") {
    spec.transport = Transport::kGrpcStream;
  } else if (parts.first == "rest") {
    spec.transport = Transport::kRest;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown load scenario '", name, "'"));
  }
  if (!parts.second.empty() &&
      (!absl::SimpleAtod(parts.second, &spec.target_events_per_second) ||
       spec.target_events_per_second <= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad rate in scenario '", name, "'"));
  }
  return spec;
}

}  // namespace shopstream::bench
