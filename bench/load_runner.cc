#include "bench/load_runner.h"

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace shopstream::bench {

namespace {

// At least one worker, and at least one event per call.
ScenarioSpec Normalized(ScenarioSpec spec) {
  spec.concurrency = std::max(1, spec.concurrency);
  spec.events_per_call = std::max(1, spec.events_per_call);
  return spec;
}

}  // namespace

LoadRunner::LoadRunner(ScenarioSpec spec, LoadOptions options,
                       SenderFactory factory)
    : spec_(Normalized(std::move(spec))), options_(std::move(options)) {
  for (int w = 0; w < spec_.concurrency; ++w) {
    senders_.push_back(factory(w));
  }
}

LoadRunner::LoadRunner(ScenarioSpec spec, LoadOptions options,
                       AsyncSenderFactory factory)
    : spec_(Normalized(std::move(spec))),
      options_(std::move(options)),
      io_(std::make_unique<boost::asio::io_context>(1)) {
  for (int w = 0; w < spec_.concurrency; ++w) {
    async_senders_.push_back(factory(w, *io_));
  }
}

// Here, where io_context is complete; members go in reverse order, so the
// senders before the io_context they refer to.
LoadRunner::~LoadRunner() = default;

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
  if (io_ != nullptr) return RunAsyncPhase(phase);
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

std::optional<LoadRunner::Clock::time_point> LoadRunner::Intended(
    const Phase& phase, int worker, int64_t call) const {
  Clock::time_point intended = Clock::now();
  if (spec_.open_loop()) {
    // Each worker owns every concurrency-th slot of the overall schedule,
    // so together they offer exactly the target rate.
    const double calls_per_second =
        spec_.target_events_per_second / spec_.events_per_call;
    const std::chrono::duration<double> interval(spec_.concurrency /
                                                 calls_per_second);
    const std::chrono::duration<double> offset =
        interval * (static_cast<double>(worker) / spec_.concurrency);
    intended = phase.start + std::chrono::duration_cast<Clock::duration>(
                                 offset + interval * static_cast<double>(call));
  }
  if (intended >= phase.end) return std::nullopt;
  return intended;
}

void LoadRunner::Record(const Phase& phase, size_t events,
                        uint64_t first_sequence, const SendOutcome& outcome,
                        Clock::time_point intended, Clock::time_point send_time,
                        Clock::time_point answered, WorkerRecord* record) {
  if (!phase.record) return;
  record->last_send = send_time;
  record->sent += static_cast<int64_t>(events);
  record->rejected += outcome.rejected;
  const int64_t latency_us =
      std::chrono::duration_cast<std::chrono::microseconds>(answered - intended)
          .count();
  int64_t failed = 0;
  for (size_t i = 0; i < events; ++i) {
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

void LoadRunner::RunWorker(int worker, const Phase& phase,
                           WorkerRecord* record) {
  EventFactory factory(options_.mix, phase.shop_id, phase.id_prefix, worker);
  std::vector<v1::Event> events(spec_.events_per_call);
  SendOutcome outcome;
  EventSender& sender = *senders_[worker];
  for (int64_t call = 0;; ++call) {
    const std::optional<Clock::time_point> intended =
        Intended(phase, worker, call);
    if (!intended.has_value()) break;
    if (spec_.open_loop()) std::this_thread::sleep_until(*intended);
    const Clock::time_point send_time = Clock::now();
    if (send_time >= phase.hard_stop) break;

    const uint64_t first_sequence = factory.next_sequence();
    for (v1::Event& event : events) factory.Next(&event);
    sender.Send(events, &outcome);
    Record(phase, events.size(), first_sequence, outcome, *intended, send_time,
           Clock::now(), record);
  }
}

// One worker of an asynchronous phase; it lives on the io_context's thread.
struct LoadRunner::AsyncWorker {
  AsyncWorker(const LoadOptions& options, const Phase& phase, int worker,
              int events_per_call, boost::asio::io_context& io)
      : factory(options.mix, phase.shop_id, phase.id_prefix, worker),
        events(events_per_call),
        timer(io) {}

  EventFactory factory;
  std::vector<v1::Event> events;
  SendOutcome outcome;
  boost::asio::steady_timer timer;
  int64_t call = 0;
  uint64_t first_sequence = 0;
  Clock::time_point intended{};
  Clock::time_point send_time{};
};

std::vector<LoadRunner::WorkerRecord> LoadRunner::RunAsyncPhase(
    const Phase& phase) {
  const size_t count = async_senders_.size();
  std::vector<WorkerRecord> records(count);
  std::vector<std::unique_ptr<AsyncWorker>> workers;
  for (size_t w = 0; w < count; ++w) {
    workers.push_back(std::make_unique<AsyncWorker>(
        options_, phase, static_cast<int>(w), spec_.events_per_call, *io_));
  }
  size_t running = count;
  const auto stop = [&] {
    if (--running == 0) io_->stop();
  };
  // Sends worker w's current call now; on its answer, schedules the next.
  std::function<void(size_t)> send;
  // Waits for worker w's next call's time, or stops the worker.
  const std::function<void(size_t)> next = [&](size_t w) {
    AsyncWorker& worker = *workers[w];
    const std::optional<Clock::time_point> intended =
        Intended(phase, static_cast<int>(w), worker.call);
    if (!intended.has_value()) return stop();
    worker.intended = *intended;
    if (!spec_.open_loop() || *intended <= Clock::now()) return send(w);
    worker.timer.expires_at(*intended);
    worker.timer.async_wait([&send, w](boost::system::error_code) { send(w); });
  };
  send = [&](size_t w) {
    AsyncWorker& worker = *workers[w];
    worker.send_time = Clock::now();
    if (worker.send_time >= phase.hard_stop) return stop();
    worker.first_sequence = worker.factory.next_sequence();
    for (v1::Event& event : worker.events) worker.factory.Next(&event);
    async_senders_[w]->Send(worker.events, &worker.outcome, [&, w] {
      AsyncWorker& answered = *workers[w];
      Record(phase, answered.events.size(), answered.first_sequence,
             answered.outcome, answered.intended, answered.send_time,
             Clock::now(), &records[w]);
      ++answered.call;
      next(w);
    });
  };
  for (size_t w = 0; w < count; ++w) {
    boost::asio::post(*io_, [&next, w] { next(w); });
  }
  io_->restart();
  // Returns when stop() has seen every worker finish: no call is then in
  // flight and no timer waits.
  auto work = boost::asio::make_work_guard(*io_);
  io_->run();
  return records;
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
  if (parts.second.empty()) return spec;
  absl::string_view rate = parts.second;
  const bool share = absl::ConsumeSuffix(&rate, "%");
  double value = 0;
  if (!absl::SimpleAtod(rate, &value) || value <= 0 ||
      (share && value > 1000)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad rate in scenario '", name, "'"));
  }
  if (share) {
    spec.share_of_closed_loop = value / 100;
  } else {
    spec.target_events_per_second = value;
  }
  return spec;
}

}  // namespace shopstream::bench
