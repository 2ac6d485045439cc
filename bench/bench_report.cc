#include "bench/bench_report.h"

#include <algorithm>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "rapidjson/prettywriter.h"
#include "rapidjson/stringbuffer.h"

namespace shopstream::bench {
namespace {

// The targets.
constexpr double kBatchedShareOfCopyTarget = 0.70;
constexpr double kRestEventsPerSecondTarget = 20000;
constexpr double kRestP99MsTarget = 25;
constexpr double kUnaryEventsPerSecondTarget = 30000;
constexpr double kUnaryP99MsTarget = 15;
constexpr double kVisibleP99MsTarget = 1000;
constexpr double kServiceRssMbTarget = 150;
// What the case study's Go service took over REST, from memory.
constexpr double kCaseStudyRestPerSecond = 26000;

double Ms(int64_t micros) { return static_cast<double>(micros) / 1000.0; }

std::string Thousands(double value) {
  std::string digits = absl::StrFormat("%.0f", value);
  std::string out;
  const size_t start = digits[0] == '-' ? 1 : 0;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > start && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string Ratio(double numerator, double denominator) {
  if (denominator <= 0) return "n/a";
  return absl::StrFormat("%.2f", numerator / denominator);
}

std::string ErrorsText(const std::map<std::string, int64_t>& errors) {
  if (errors.empty()) return "0";
  std::vector<std::string> parts;
  for (const auto& [key, count] : errors) {
    parts.push_back(absl::StrCat(key, " ", count));
  }
  return absl::StrJoin(parts, "; ");
}

double CpuDelta(const UsageSnapshot& before_usage,
                const UsageSnapshot& after_usage, const std::string& service) {
  auto before = before_usage.services.find(service);
  auto after = after_usage.services.find(service);
  if (before == before_usage.services.end() ||
      after == after_usage.services.end() || !before->second.found ||
      !after->second.found) {
    return -1;
  }
  return after->second.cpu_seconds - before->second.cpu_seconds;
}

double PerMillion(double cpu_seconds, int64_t events) {
  if (cpu_seconds < 0 || events <= 0) return -1;
  return cpu_seconds / static_cast<double>(events) * 1e6;
}

std::string CpuText(double per_million) {
  return per_million < 0 ? "n/a" : absl::StrFormat("%.1f", per_million);
}

// CPU seconds per million acked events between two snapshots, by process
// group. "bench" is the load generator: this process, or with
// `generator_is_child` the child it ran (wrk).
std::map<std::string, double> CpuPerMillion(const UsageSnapshot& before,
                                            const UsageSnapshot& after,
                                            int64_t events,
                                            bool generator_is_child) {
  std::map<std::string, double> cpu;
  for (const std::string& service : StackServices()) {
    cpu[service] = PerMillion(CpuDelta(before, after, service), events);
  }
  cpu["postgres"] = PerMillion(
      after.postgres_cpu_seconds - before.postgres_cpu_seconds, events);
  cpu["bench"] =
      PerMillion(generator_is_child
                     ? after.children_cpu_seconds - before.children_cpu_seconds
                     : after.bench_cpu_seconds - before.bench_cpu_seconds,
                 events);
  return cpu;
}

std::map<std::string, double> CpuPerMillion(const ScenarioReport& s) {
  return CpuPerMillion(s.usage_before, s.usage_after, s.load.events_acked,
                       /*generator_is_child=*/false);
}

double BusyCores(const UsageSnapshot& before, const UsageSnapshot& after,
                 double seconds) {
  if (seconds <= 0) return 0;
  return (after.machine_busy_cpu_seconds - before.machine_busy_cpu_seconds) /
         seconds;
}

double BusyCores(const ScenarioReport& s) {
  return BusyCores(s.usage_before, s.usage_after, s.load.window_seconds);
}

// A static-route ceiling's requests/s; 0 when wrk failed or got a non-2xx
// answer, which means the route is missing, so there is no ceiling.
double CeilingRate(const absl::StatusOr<HttpCeilingResult>& result) {
  if (!result.ok() || result->non_2xx > 0) return 0;
  return result->requests_per_second;
}

// A ceilings-table row for wrk against the static route.
std::string HttpCeilingRow(const std::string& name,
                           const absl::StatusOr<HttpCeilingResult>& result) {
  if (!result.ok()) {
    return absl::StrCat("| ", name, " | n/a | ", result.status().message(),
                        " |\n");
  }
  const HttpCeilingResult& h = *result;
  return absl::StrCat(
      "| ", name, " | ",
      CeilingRate(result) > 0 ? Thousands(CeilingRate(result)) : "n/a",
      " | p50 ", absl::StrFormat("%.2f", h.p50_ms), " ms, p99 ",
      absl::StrFormat("%.2f", h.p99_ms), " ms",
      h.non_2xx > 0 ? absl::StrCat("; ", Thousands(h.non_2xx),
                                   " non-2xx answers: the gateway has no "
                                   "static route (--bench_static_path)")
                    : "",
      " |\n");
}

// What one process group alone would need at `rate`, at its measured CPU
// per event; empty when that CPU is unknown.
std::string CoresAtRate(const std::string& who, double cpu_per_million,
                        double rate) {
  if (cpu_per_million <= 0) return "";
  return absl::StrFormat(
      "; %s alone: %.1f CPU-s per million events, %.2f cores at %s ev/s", who,
      cpu_per_million, cpu_per_million * rate / 1e6, Thousands(rate));
}

// One row of the CPU table.
std::string CpuRow(const std::string& name, std::map<std::string, double> cpu,
                   double busy_cores) {
  return absl::StrCat("| ", name, " | ", CpuText(cpu["processor"]), " | ",
                      CpuText(cpu["ingest"]), " | ", CpuText(cpu["query"]),
                      " | ", CpuText(cpu["gateway"]), " | ",
                      CpuText(cpu["postgres"]), " | ", CpuText(cpu["bench"]),
                      " | ", absl::StrFormat("%.2f", busy_cores), " |\n");
}

// Requests wrk got a 2xx for, when it ran.
std::optional<int64_t> Answered(const WrkRun& run) {
  if (!run.result.ok()) return std::nullopt;
  return run.result->requests - run.result->non_2xx;
}

// CPU figures need the answered requests and the usage around them.
bool HasCpu(const WrkRun& run) {
  return Answered(run).has_value() && run.usage_before.has_value();
}

std::map<std::string, double> CpuPerMillion(const WrkRun& run) {
  return CpuPerMillion(*run.usage_before, run.usage_after, *Answered(run),
                       /*generator_is_child=*/true);
}

double BusyCores(const WrkRun& run) {
  return BusyCores(*run.usage_before, run.usage_after, run.seconds);
}

}  // namespace

double BenchReport::WrkStaticRequestsPerSecond() const {
  return wrk_static_ ? CeilingRate(wrk_static_->result) : 0;
}

std::optional<double> BenchReport::CoresForClientAndHttpAtBar() const {
  if (WrkStaticRequestsPerSecond() <= 0 || !HasCpu(*wrk_static_)) {
    return std::nullopt;
  }
  std::map<std::string, double> cpu = CpuPerMillion(*wrk_static_);
  if (cpu["gateway"] < 0 || cpu["bench"] < 0) return std::nullopt;
  return (cpu["gateway"] + cpu["bench"]) * kCaseStudyRestPerSecond / 1e6;
}

void BenchReport::SetCopyCeiling(absl::StatusOr<WriteRateResult> result,
                                 int64_t rows_per_commit) {
  copy_ceiling_ = std::move(result);
  copy_rows_per_commit_ = rows_per_commit;
}

void BenchReport::SetNaiveInsertBaseline(absl::StatusOr<WriteRateResult> result,
                                         int clients) {
  naive_insert_ = std::move(result);
  naive_clients_ = clients;
}

void BenchReport::SetHttpCeiling(absl::StatusOr<HttpCeilingResult> result,
                                 int connections) {
  http_ceiling_ = std::move(result);
  http_connections_ = connections;
}

double BenchReport::CopyEventsPerSecond() const {
  return copy_ceiling_ && copy_ceiling_->ok()
             ? (*copy_ceiling_)->events_per_second
             : 0;
}

double BenchReport::NaiveEventsPerSecond() const {
  return naive_insert_ && naive_insert_->ok()
             ? (*naive_insert_)->events_per_second
             : 0;
}

double BenchReport::HttpRequestsPerSecond() const {
  return http_ceiling_ ? CeilingRate(*http_ceiling_) : 0;
}

const ScenarioReport* BenchReport::Find(Transport transport,
                                        bool open_loop) const {
  for (const ScenarioReport& s : scenarios_) {
    if (s.load.spec.transport == transport &&
        s.load.spec.open_loop() == open_loop) {
      return &s;
    }
  }
  return nullptr;
}

std::vector<TargetResult> BenchReport::EvaluateTargets() const {
  std::vector<TargetResult> targets;

  {
    TargetResult t{"gRPC batched or streamed >= 70% of the COPY ceiling"};
    const ScenarioReport* best_run = nullptr;
    for (const ScenarioReport& s : scenarios_) {
      if ((s.load.spec.transport == Transport::kGrpcBatch ||
           s.load.spec.transport == Transport::kGrpcStream) &&
          (best_run == nullptr || s.load.acked_events_per_second >
                                      best_run->load.acked_events_per_second)) {
        best_run = &s;
      }
    }
    const double best = best_run ? best_run->load.acked_events_per_second : 0;
    const double copy = CopyEventsPerSecond();
    t.pass = copy > 0 && best >= kBatchedShareOfCopyTarget * copy;
    if (copy <= 0) {
      t.measured = "no COPY ceiling";
    } else {
      t.measured =
          absl::StrFormat("%.0f%% (%s %s/s vs COPY %s/s)", 100 * best / copy,
                          best_run ? best_run->load.spec.name : "none",
                          Thousands(best), Thousands(copy));
      // PostgreSQL does most of this work: what it alone would need.
      if (best_run != nullptr) {
        absl::StrAppend(
            &t.measured,
            CoresAtRate("PostgreSQL", CpuPerMillion(*best_run)["postgres"],
                        kBatchedShareOfCopyTarget * copy));
      }
    }
    targets.push_back(t);
  }

  // Throughput from the closed-loop run (the maximum), p99 from the
  // open-loop run at the target rate (latency at the promised load).
  auto rate_and_p99 = [&](Transport transport, const std::string& name,
                          double rate_target, double p99_target) {
    TargetResult t{name};
    const ScenarioReport* max_run = Find(transport, false);
    const ScenarioReport* rate_run = Find(transport, true);
    const ScenarioReport* latency_run = rate_run ? rate_run : max_run;
    if (max_run == nullptr && rate_run == nullptr) {
      t.measured = "not run";
      return t;
    }
    const double max_rate =
        std::max(max_run ? max_run->load.acked_events_per_second : 0,
                 rate_run ? rate_run->load.acked_events_per_second : 0);
    const double p99 = Ms(latency_run->load.latency_us.ValueAtPercentile(99));
    t.pass = max_rate >= rate_target && p99 <= p99_target &&
             latency_run->load.events_acked > 0;
    t.measured =
        absl::StrFormat("%s ev/s max; p99 %.1f ms at %s", Thousands(max_rate),
                        p99, latency_run->load.spec.name);
    // The load generator shares the cores: what it alone would need at the
    // target rate, at the closed-loop run's CPU per event.
    if (max_run != nullptr) {
      absl::StrAppend(&t.measured, CoresAtRate("the load generator",
                                               CpuPerMillion(*max_run)["bench"],
                                               rate_target));
    }
    return t;
  };
  targets.push_back(rate_and_p99(
      Transport::kRest,
      "REST single events, 64 connections: >= 20,000 ev/s, p99 <= 25 ms",
      kRestEventsPerSecondTarget, kRestP99MsTarget));
  targets.push_back(rate_and_p99(
      Transport::kGrpcUnary, "gRPC unary: >= 30,000 ev/s, p99 <= 15 ms",
      kUnaryEventsPerSecondTarget, kUnaryP99MsTarget));

  {
    TargetResult t{"event-to-visible p99 <= 1 s"};
    double worst = -1;
    for (const ScenarioReport& s : scenarios_) {
      if (s.visibility && s.visibility->latency_us.count() > 0) {
        worst =
            std::max(worst, Ms(s.visibility->latency_us.ValueAtPercentile(99)));
      }
    }
    t.pass = worst >= 0 && worst <= kVisibleP99MsTarget;
    t.measured = worst < 0 ? "no probes"
                           : absl::StrFormat("%.1f ms (worst scenario)", worst);
    targets.push_back(t);
  }

  for (const std::string& service : StackServices()) {
    TargetResult t{absl::StrCat(service, " peak RSS < 150 MB")};
    auto it = final_usage_.services.find(service);
    if (it == final_usage_.services.end() || !it->second.found) {
      t.measured = "not running";
    } else {
      const double mb = it->second.peak_rss_kb / 1024.0;
      t.pass = mb < kServiceRssMbTarget;
      t.measured = absl::StrFormat("%.1f MB", mb);
    }
    targets.push_back(t);
  }

  {
    TargetResult t{"PostgreSQL holds exactly the acknowledged events"};
    int checked = 0, passed = 0;
    for (const ScenarioReport& s : scenarios_) {
      ++checked;
      if (s.ack_check && s.ack_check->pass()) ++passed;
    }
    t.pass = checked > 0 && passed == checked;
    t.measured = absl::StrCat(passed, " of ", checked, " scenarios");
    targets.push_back(t);
  }
  if (wrk_ingest_) {
    TargetResult t{absl::StrCat(
        "REST under wrk, ", wrk_ingest_->connections, " connections: > ",
        Thousands(kCaseStudyRestPerSecond),
        " events/s durable (the case study's Go service "
        "from memory), no refusals, every acknowledged event stored")};
    if (wrk_ingest_->result.ok() && wrk_ingest_stored_.ok()) {
      const HttpCeilingResult& r = *wrk_ingest_->result;
      const int64_t acked = *Answered(*wrk_ingest_);
      // Requests still in flight when wrk stops may be stored unanswered.
      const bool stored_all =
          *wrk_ingest_stored_ >= acked &&
          *wrk_ingest_stored_ <= acked + wrk_ingest_->connections;
      t.measured =
          absl::StrCat(Thousands(r.requests_per_second), " req/s, non-2xx ",
                       r.non_2xx, ", acked ", Thousands(acked), ", stored ",
                       Thousands(*wrk_ingest_stored_));
      if (WrkStaticRequestsPerSecond() > 0) {
        absl::StrAppend(&t.measured, "; the same script on the static 202: ",
                        Thousands(WrkStaticRequestsPerSecond()), " req/s");
      }
      t.pass = r.requests_per_second > kCaseStudyRestPerSecond &&
               r.non_2xx == 0 && r.socket_errors == 0 && stored_all;
    } else {
      t.measured = "n/a";
    }
    targets.push_back(t);
  }
  return targets;
}

std::string BenchReport::ToJson() const {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
  auto key = [&w](const std::string& k) { w.Key(k.c_str()); };
  auto str = [&w](const std::string& v) { w.String(v.c_str()); };
  // CPU seconds per million events by process; null where unknown.
  auto cpu_object = [&](const std::map<std::string, double>& cpu) {
    key("cpu_seconds_per_million_events"), w.StartObject();
    for (const auto& [process, value] : cpu) {
      key(process);
      if (value < 0) {
        w.Null();
      } else {
        w.Double(value);
      }
    }
    w.EndObject();
  };
  // What wrk reported.
  auto wrk_fields = [&](const HttpCeilingResult& r) {
    key("requests_per_second"), w.Double(r.requests_per_second);
    key("p50_ms"), w.Double(r.p50_ms);
    key("p90_ms"), w.Double(r.p90_ms);
    key("p99_ms"), w.Double(r.p99_ms);
    key("non_2xx"), w.Int64(r.non_2xx);
    key("socket_errors"), w.Int64(r.socket_errors);
  };
  // The stack's CPU around a wrk run, when it was taken.
  auto wrk_cpu = [&](const WrkRun& run) {
    if (!HasCpu(run)) return;
    cpu_object(CpuPerMillion(run));
    key("machine_busy_cores"), w.Double(BusyCores(run));
  };

  w.StartObject();
  key("run_id"), str(info_.run_id);
  key("started_at"), str(info_.started_at);
  key("machine"), w.StartObject();
  key("cpus"), w.Int(info_.cpus);
  key("load_average_at_start"), w.Double(info_.load_average_at_start);
  w.EndObject();
  key("window_seconds"), w.Double(info_.window_seconds);
  key("warmup_seconds"), w.Double(info_.warmup_seconds);
  key("event_mix"), str(info_.event_mix);

  key("ceilings"), w.StartObject();
  key("pg_copy"), w.StartObject();
  if (copy_ceiling_ && copy_ceiling_->ok()) {
    key("events"), w.Int64((*copy_ceiling_)->events);
    key("seconds"), w.Double((*copy_ceiling_)->seconds);
    key("events_per_second"), w.Double((*copy_ceiling_)->events_per_second);
    key("rows_per_commit"), w.Int64(copy_rows_per_commit_);
  } else if (copy_ceiling_) {
    key("error"), str(std::string(copy_ceiling_->status().message()));
  }
  w.EndObject();
  key("pg_insert_per_event"), w.StartObject();
  if (naive_insert_ && naive_insert_->ok()) {
    key("clients"), w.Int(naive_clients_);
    key("events"), w.Int64((*naive_insert_)->events);
    key("events_per_second"), w.Double((*naive_insert_)->events_per_second);
    key("latency_avg_ms"), w.Double((*naive_insert_)->latency_avg_ms);
  } else if (naive_insert_) {
    key("error"), str(std::string(naive_insert_->status().message()));
  }
  w.EndObject();
  key("http_static"), w.StartObject();
  if (http_ceiling_ && http_ceiling_->ok()) {
    key("connections"), w.Int(http_connections_);
    wrk_fields(**http_ceiling_);
    key("valid"), w.Bool(HttpRequestsPerSecond() > 0);
  } else if (http_ceiling_) {
    key("error"), str(std::string(http_ceiling_->status().message()));
  }
  w.EndObject();
  w.EndObject();

  if (wrk_ingest_) {
    key("rest_wrk"), w.StartObject();
    key("connections"), w.Int(wrk_ingest_->connections);
    if (const std::optional<int64_t> acked = Answered(*wrk_ingest_);
        acked.has_value()) {
      wrk_fields(*wrk_ingest_->result);
      key("acknowledged"), w.Int64(*acked);
      if (wrk_ingest_stored_.ok()) {
        key("stored"), w.Int64(*wrk_ingest_stored_);
      } else {
        key("stored_error"),
            str(std::string(wrk_ingest_stored_.status().message()));
      }
      wrk_cpu(*wrk_ingest_);
    } else {
      key("error"), str(std::string(wrk_ingest_->result.status().message()));
    }
    w.EndObject();
  }
  if (wrk_static_) {
    key("rest_wrk_static"), w.StartObject();
    key("connections"), w.Int(wrk_static_->connections);
    if (wrk_static_->result.ok()) {
      wrk_fields(*wrk_static_->result);
      key("valid"), w.Bool(WrkStaticRequestsPerSecond() > 0);
      wrk_cpu(*wrk_static_);
      if (std::optional<double> cores = CoresForClientAndHttpAtBar()) {
        key("client_and_http_cores_at_case_study_rate"), w.Double(*cores);
      }
    } else {
      key("error"), str(std::string(wrk_static_->result.status().message()));
    }
    w.EndObject();
  }

  key("scenarios"), w.StartArray();
  for (const ScenarioReport& s : scenarios_) {
    const LoadResult& r = s.load;
    w.StartObject();
    key("name"), str(r.spec.name);
    key("transport"), str(std::string(TransportName(r.spec.transport)));
    key("concurrency"), w.Int(r.spec.concurrency);
    key("events_per_call"), w.Int(r.spec.events_per_call);
    key("target_events_per_second"), w.Double(r.spec.target_events_per_second);
    key("shop_id"), str(r.shop_id);
    key("window_seconds"), w.Double(r.window_seconds);
    key("events_sent"), w.Int64(r.events_sent);
    key("events_acked"), w.Int64(r.events_acked);
    key("acked_events_per_second"), w.Double(r.acked_events_per_second);
    key("ratio_to_pg_copy"),
        w.Double(CopyEventsPerSecond() > 0
                     ? r.acked_events_per_second / CopyEventsPerSecond()
                     : 0);
    key("ratio_to_pg_insert_per_event"),
        w.Double(NaiveEventsPerSecond() > 0
                     ? r.acked_events_per_second / NaiveEventsPerSecond()
                     : 0);
    if (r.spec.transport == Transport::kRest) {
      key("ratio_to_http_static"),
          w.Double(HttpRequestsPerSecond() > 0
                       ? r.acked_events_per_second / HttpRequestsPerSecond()
                       : 0);
    }
    key("latency_ms"), w.StartObject();
    for (const auto& [label, percent] :
         std::vector<std::pair<std::string, double>>{
             {"p50", 50}, {"p90", 90}, {"p99", 99}, {"p99_9", 99.9}}) {
      key(label), w.Double(Ms(r.latency_us.ValueAtPercentile(percent)));
    }
    key("max"), w.Double(Ms(r.latency_us.max()));
    w.EndObject();
    key("errors"), w.StartObject();
    for (const auto& [k, count] : r.errors) key(k), w.Int64(count);
    w.EndObject();
    key("postgres_check"), w.StartObject();
    if (s.ack_check) {
      key("acked"), w.Int64(s.ack_check->acked);
      key("rows_for_shop"), w.Int64(s.ack_check->rows_for_shop);
      key("missing"), w.Int64(s.ack_check->missing);
      key("pass"), w.Bool(s.ack_check->pass());
    } else {
      key("pass"), w.Bool(false);
      key("error"), str(s.ack_check_error);
    }
    w.EndObject();
    if (s.visibility) {
      key("event_to_visible_ms"), w.StartObject();
      key("probes"), w.Int64(s.visibility->probes);
      key("send_failures"), w.Int64(s.visibility->send_failures);
      key("not_visible"), w.Int64(s.visibility->not_visible);
      key("p50"), w.Double(Ms(s.visibility->latency_us.ValueAtPercentile(50)));
      key("p99"), w.Double(Ms(s.visibility->latency_us.ValueAtPercentile(99)));
      key("max"), w.Double(Ms(s.visibility->latency_us.max()));
      w.EndObject();
    }
    cpu_object(CpuPerMillion(s));
    key("machine_busy_cores"), w.Double(BusyCores(s));
    w.EndObject();
  }
  w.EndArray();

  key("services"), w.StartObject();
  for (const auto& [service, cpu] : final_usage_.services) {
    key(service), w.StartObject();
    key("running"), w.Bool(cpu.found);
    key("peak_rss_mb"), w.Double(cpu.peak_rss_kb / 1024.0);
    w.EndObject();
  }
  w.EndObject();

  key("targets"), w.StartArray();
  for (const TargetResult& t : EvaluateTargets()) {
    w.StartObject();
    key("name"), str(t.name);
    key("measured"), str(t.measured);
    key("pass"), w.Bool(t.pass);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

std::string BenchReport::ToMarkdown() const {
  std::string md = absl::StrCat(
      "# shopstream benchmark\n\nRun `", info_.run_id, "`, started ",
      info_.started_at, " on ", info_.cpus, " CPUs (load average ",
      absl::StrFormat("%.2f", info_.load_average_at_start),
      " at start). Each scenario: ",
      absl::StrFormat("%.0f", info_.warmup_seconds), " s warm-up, then ",
      absl::StrFormat("%.0f", info_.window_seconds),
      " s measured. Event mix: ", info_.event_mix,
      ". Latency is from the intended send time to the answer, per "
      "acknowledged event.\n\n");

  absl::StrAppend(&md, "## Ceilings and baselines (same machine, same run)\n\n",
                  "| measurement | events/s | details |\n|---|---:|---|\n");
  if (copy_ceiling_) {
    if (copy_ceiling_->ok()) {
      absl::StrAppend(
          &md, "| PostgreSQL COPY into an `events`-shaped table, durable, ",
          Thousands(copy_rows_per_commit_), " rows per commit | ",
          Thousands((*copy_ceiling_)->events_per_second), " | ",
          Thousands((*copy_ceiling_)->events), " rows in ",
          absl::StrFormat("%.2f", (*copy_ceiling_)->seconds), " s |\n");
    } else {
      absl::StrAppend(&md, "| PostgreSQL COPY | n/a | ",
                      copy_ceiling_->status().message(), " |\n");
    }
  }
  if (naive_insert_) {
    if (naive_insert_->ok()) {
      absl::StrAppend(
          &md, "| one INSERT per event, ", naive_clients_,
          " clients (pgbench) | ",
          Thousands((*naive_insert_)->events_per_second), " | average latency ",
          absl::StrFormat("%.2f", (*naive_insert_)->latency_avg_ms), " ms |\n");
    } else {
      absl::StrAppend(&md, "| one INSERT per event (pgbench) | n/a | ",
                      naive_insert_->status().message(), " |\n");
    }
  }
  if (http_ceiling_) {
    absl::StrAppend(
        &md,
        HttpCeilingRow(absl::StrCat("HTTP ceiling: wrk, ", http_connections_,
                                    " connections, gateway static 202"),
                       *http_ceiling_));
  }
  if (wrk_static_) {
    absl::StrAppend(
        &md, HttpCeilingRow(absl::StrCat("HTTP ceiling for REST under wrk: "
                                         "its script, ",
                                         wrk_static_->connections,
                                         " connections, gateway static 202"),
                            wrk_static_->result));
  }

  absl::StrAppend(
      &md,
      "\n## Scenarios\n\n| scenario | conc. | events/call | acked ev/s | x "
      "COPY | "
      "x naive INSERT | x HTTP ceiling | p50 ms | p90 ms | p99 ms | p99.9 ms | "
      "max ms | errors | PostgreSQL check | visible p50 / p99 ms |\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|"
      "\n");
  for (const ScenarioReport& s : scenarios_) {
    const LoadResult& r = s.load;
    std::string check = "error: " + s.ack_check_error;
    if (s.ack_check) {
      check = absl::StrCat(s.ack_check->pass() ? "pass" : "FAIL", " (",
                           Thousands(s.ack_check->rows_for_shop), " rows, ",
                           Thousands(s.ack_check->acked), " acked, ",
                           s.ack_check->missing, " missing)");
    }
    std::string visible = "-";
    if (s.visibility) {
      visible =
          absl::StrFormat("%.1f / %.1f (%d probes)",
                          Ms(s.visibility->latency_us.ValueAtPercentile(50)),
                          Ms(s.visibility->latency_us.ValueAtPercentile(99)),
                          s.visibility->latency_us.count());
    }
    absl::StrAppend(
        &md, "| ", r.spec.name, " | ", r.spec.concurrency, " | ",
        r.spec.events_per_call, " | ", Thousands(r.acked_events_per_second),
        " | ", Ratio(r.acked_events_per_second, CopyEventsPerSecond()), " | ",
        Ratio(r.acked_events_per_second, NaiveEventsPerSecond()), " | ",
        r.spec.transport == Transport::kRest
            ? Ratio(r.acked_events_per_second, HttpRequestsPerSecond())
            : "-",
        " | ",
        absl::StrFormat("%.2f | %.2f | %.2f | %.2f | %.2f",
                        Ms(r.latency_us.ValueAtPercentile(50)),
                        Ms(r.latency_us.ValueAtPercentile(90)),
                        Ms(r.latency_us.ValueAtPercentile(99)),
                        Ms(r.latency_us.ValueAtPercentile(99.9)),
                        Ms(r.latency_us.max())),
        " | ", ErrorsText(r.errors), " | ", check, " | ", visible, " |\n");
  }

  if (wrk_ingest_) {
    absl::StrAppend(
        &md,
        "\n## REST ingestion under wrk\n\nThe same POST /v1/events, driven by "
        "wrk (a lighter client than the load generator above, which shares "
        "the machine's two cores): every request a fresh event with its own "
        "id; afterwards the run's shop is counted in PostgreSQL.\n\n"
        "| connections | acked req/s | p50 ms | p90 ms | p99 ms | non-2xx | "
        "socket errors | acknowledged | stored |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    if (wrk_ingest_->result.ok()) {
      const HttpCeilingResult& r = *wrk_ingest_->result;
      absl::StrAppend(
          &md, "| ", wrk_ingest_->connections, " | ",
          Thousands(r.requests_per_second), " | ",
          absl::StrFormat("%.2f | %.2f | %.2f", r.p50_ms, r.p90_ms, r.p99_ms),
          " | ", r.non_2xx, " | ", r.socket_errors, " | ",
          Thousands(r.requests - r.non_2xx), " | ",
          wrk_ingest_stored_.ok()
              ? Thousands(*wrk_ingest_stored_)
              : std::string(wrk_ingest_stored_.status().message()),
          " |\n");
    } else {
      absl::StrAppend(&md, "| ", wrk_ingest_->connections,
                      " | n/a: ", wrk_ingest_->result.status().message(),
                      " |\n");
    }
    if (wrk_ingest_->result.ok() && WrkStaticRequestsPerSecond() > 0) {
      absl::StrAppend(&md,
                      "\nThe same script on the gateway's static 202 took ",
                      Thousands(WrkStaticRequestsPerSecond()), " req/s: ",
                      Ratio(wrk_ingest_->result->requests_per_second,
                            WrkStaticRequestsPerSecond()),
                      "x of it here.");
      if (std::optional<double> cores = CoresForClientAndHttpAtBar()) {
        std::map<std::string, double> cpu = CpuPerMillion(*wrk_static_);
        absl::StrAppend(
            &md, " At ", Thousands(kCaseStudyRestPerSecond),
            " requests/s, wrk and the gateway's HTTP layer alone would keep ",
            absl::StrFormat("%.2f", *cores), " of the ", info_.cpus,
            " CPUs busy (CPU seconds per million requests under that script: "
            "wrk ",
            CpuText(cpu["bench"]), ", gateway ", CpuText(cpu["gateway"]),
            "), before ingest, processor and PostgreSQL do any work.");
      }
      absl::StrAppend(&md, "\n");
    }
  }

  absl::StrAppend(
      &md,
      "\n## CPU seconds per million acknowledged events (measured "
      "window)\n\n| scenario | processor | ingest | query | gateway "
      "| postgres (all) | load generator | machine busy cores |\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const ScenarioReport& s : scenarios_) {
    absl::StrAppend(&md,
                    CpuRow(s.load.spec.name, CpuPerMillion(s), BusyCores(s)));
  }
  if (wrk_ingest_ && HasCpu(*wrk_ingest_)) {
    absl::StrAppend(
        &md, CpuRow(absl::StrCat("REST under wrk, ", wrk_ingest_->connections,
                                 " connections (load generator: wrk)"),
                    CpuPerMillion(*wrk_ingest_), BusyCores(*wrk_ingest_)));
  }
  if (wrk_static_ && HasCpu(*wrk_static_)) {
    absl::StrAppend(
        &md, CpuRow(absl::StrCat("its script on the static 202, ",
                                 wrk_static_->connections,
                                 " connections (load generator: wrk)"),
                    CpuPerMillion(*wrk_static_), BusyCores(*wrk_static_)));
  }

  absl::StrAppend(
      &md, "\n## Targets\n\n| target | measured | result |\n|---|---|---|\n");
  for (const TargetResult& t : EvaluateTargets()) {
    absl::StrAppend(&md, "| ", t.name, " | ", t.measured, " | ",
                    t.pass ? "pass" : "**FAIL**", " |\n");
  }
  return md;
}

absl::Status BenchReport::WriteFiles(const std::string& json_path,
                                     const std::string& markdown_path) const {
  for (const auto& [path, content] :
       std::vector<std::pair<std::string, std::string>>{
           {json_path, ToJson()}, {markdown_path, ToMarkdown()}}) {
    if (path.empty()) continue;
    std::ofstream out(path, std::ios::trunc);
    out << content;
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

}  // namespace shopstream::bench
