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

// The write path's targets. Rates are ratios to ceilings measured in the
// same run: the host's speed swings from run to run, the ratios much less.
constexpr double kRestShareOfNginxTarget = 0.30;
constexpr double kRestP99MsTarget = 25;
constexpr double kBatchShareOfCopyTarget = 0.60;
constexpr int kBatchTargetEventsPerCall = 1000;
constexpr double kUnaryShareOfNoopTarget = 0.50;
// CPU per acknowledged event of the services and PostgreSQL, µs.
constexpr double kRestCpuUsTarget = 50;
constexpr double kBatchCpuUsTarget = 15;
constexpr double kVisibleP99MsTarget = 1000;
constexpr double kFoldLagP99MsTarget = 2000;
constexpr double kPoisonP99RatioTarget = 1.20;
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
  std::map<std::string, double> cpu =
      CpuPerMillion(s.usage_before, s.usage_after, s.load.events_acked,
                    /*generator_is_child=*/false);
  if (!s.has_usage) {
    for (auto& [process, value] : cpu) value = -1;
  }
  return cpu;
}

// The services and PostgreSQL together; unset when one is unknown.
std::optional<double> ServicesTotal(const std::map<std::string, double>& cpu) {
  double total = 0;
  for (const std::string& process :
       {std::string("processor"), std::string("ingest"), std::string("query"),
        std::string("gateway"), std::string("postgres")}) {
    auto it = cpu.find(process);
    if (it == cpu.end() || it->second < 0) return std::nullopt;
    total += it->second;
  }
  return total;
}

// "gateway 52.0, ingest 48.8, ...": where a services total went.
std::string ServicesBreakdown(const std::map<std::string, double>& cpu) {
  std::vector<std::string> parts;
  for (const auto& [process, label] :
       std::vector<std::pair<std::string, std::string>>{
           {"gateway", "gateway"},
           {"ingest", "ingest"},
           {"processor", "processor"},
           {"query", "query"},
           {"postgres", "PostgreSQL"}}) {
    auto it = cpu.find(process);
    if (it != cpu.end() && it->second >= 0) {
      parts.push_back(absl::StrFormat("%s %.1f", label, it->second));
    }
  }
  return absl::StrJoin(parts, ", ");
}

double BusyCores(const UsageSnapshot& before, const UsageSnapshot& after,
                 double seconds) {
  if (seconds <= 0) return 0;
  return (after.machine_busy_cpu_seconds - before.machine_busy_cpu_seconds) /
         seconds;
}

double BusyCores(const ScenarioReport& s) {
  if (!s.has_usage) return -1;
  return BusyCores(
      s.usage_before, s.usage_after,
      s.usage_seconds > 0 ? s.usage_seconds : s.load.window_seconds);
}

const char* RoleName(ScenarioRole role) {
  switch (role) {
    case ScenarioRole::kLoad:
      return "load";
    case ScenarioRole::kVictimAlone:
      return "poison_victim_alone";
    case ScenarioRole::kVictimBeside:
      return "poison_victim_beside";
    case ScenarioRole::kPoisoner:
      return "poisoner";
  }
  return "unknown";
}

std::string FoldWaitText(const absl::StatusOr<double>& seconds) {
  return seconds.ok() ? absl::StrFormat("%.1f", *seconds) : "n/a";
}

// A static-route ceiling's requests/s; 0 when wrk failed or got a non-2xx
// answer, which means the route is missing, so there is no ceiling.
double CeilingRate(const absl::StatusOr<HttpCeilingResult>& result) {
  if (!result.ok() || result->non_2xx > 0) return 0;
  return result->requests_per_second;
}

// A ceilings-table row for wrk against the static route.
std::string HttpCeilingRow(
    const std::string& name, const absl::StatusOr<HttpCeilingResult>& result,
    const std::string& non_2xx_means =
        ": the gateway has no static route (--bench_static_path)") {
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
                                   " non-2xx answers", non_2xx_means)
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
                   double busy_cores,
                   const absl::StatusOr<double>& fold_wait_seconds) {
  const std::optional<double> services = ServicesTotal(cpu);
  return absl::StrCat(
      "| ", name, " | ", CpuText(cpu["processor"]), " | ",
      CpuText(cpu["ingest"]), " | ", CpuText(cpu["query"]), " | ",
      CpuText(cpu["gateway"]), " | ", CpuText(cpu["postgres"]), " | **",
      CpuText(services.value_or(-1)), "** | ", CpuText(cpu["bench"]), " | ",
      busy_cores < 0 ? "n/a" : absl::StrFormat("%.2f", busy_cores), " | ",
      FoldWaitText(fold_wait_seconds), " |\n");
}

// Offered load: "closed loop", "2,000", or "4,334 (80% of rest)".
std::string OfferedText(const ScenarioSpec& spec) {
  if (!spec.open_loop()) return "closed loop";
  if (spec.share_of_closed_loop <= 0) {
    return Thousands(spec.target_events_per_second);
  }
  return absl::StrFormat("%s (%.0f%% of %s)",
                         Thousands(spec.target_events_per_second),
                         100 * spec.share_of_closed_loop, spec.rate_basis);
}

double P99Ms(const LatencyHistogram& h) { return Ms(h.ValueAtPercentile(99)); }

// The answered share of a ceiling run: 0 unless every call succeeded.
double ServerCeilingRate(const std::optional<ServerCeiling>& ceiling) {
  if (!ceiling || !ceiling->load.ok()) return 0;
  const LoadResult& r = *ceiling->load;
  if (r.events_acked == 0 || r.events_acked != r.events_sent) return 0;
  return r.acked_events_per_second;
}

// µs of CPU per answered call; negative when unknown.
double PerCall(double cpu_seconds, const ServerCeiling& ceiling) {
  if (cpu_seconds < 0 || !ceiling.load.ok()) return -1;
  return PerMillion(cpu_seconds, ceiling.load->events_acked);
}

// A ceilings-table row for a static server under the load generator.
std::string ServerCeilingRow(const std::string& name,
                             const ServerCeiling& ceiling,
                             const std::string& unit) {
  if (!ceiling.load.ok()) {
    return absl::StrCat("| ", name, " | n/a | ",
                        ceiling.load.status().message(), " |\n");
  }
  const LoadResult& r = *ceiling.load;
  const double rate = ServerCeilingRate(ceiling);
  std::string details = absl::StrFormat(
      "%s; %d %s, p50 %.2f ms, p99 %.2f ms", ceiling.server, r.spec.concurrency,
      unit, Ms(r.latency_us.ValueAtPercentile(50)), P99Ms(r.latency_us));
  if (rate <= 0) {
    absl::StrAppend(&details, "; ", r.events_sent - r.events_acked,
                    " calls failed (", ErrorsText(r.errors), ")");
  }
  const double server = PerCall(ceiling.server_cpu_seconds, ceiling);
  const double generator = PerCall(ceiling.generator_cpu_seconds, ceiling);
  if (server >= 0 && generator >= 0) {
    absl::StrAppend(&details,
                    absl::StrFormat("; CPU µs per call: server %.1f, load "
                                    "generator %.1f",
                                    server, generator));
  }
  return absl::StrCat("| ", name, " | ", rate > 0 ? Thousands(rate) : "n/a",
                      " | ", details, " |\n");
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

const ScenarioReport* BenchReport::FindClosedLoop(Transport transport) const {
  for (const ScenarioReport& s : scenarios_) {
    if (s.role == ScenarioRole::kLoad && s.load.spec.transport == transport &&
        !s.load.spec.open_loop()) {
      return &s;
    }
  }
  return nullptr;
}

const ScenarioReport* BenchReport::FindRole(ScenarioRole role) const {
  for (const ScenarioReport& s : scenarios_) {
    if (s.role == role) return &s;
  }
  return nullptr;
}

double BenchReport::NginxGeneratorRate() const {
  return nginx_ceiling_ ? ServerCeilingRate(nginx_ceiling_->generator) : 0;
}

double BenchReport::NginxWrkRate() const {
  return nginx_ceiling_ ? CeilingRate(nginx_ceiling_->wrk) : 0;
}

double BenchReport::GrpcNoopRate() const {
  return ServerCeilingRate(grpc_noop_ceiling_);
}

double BenchReport::StaticServerRate(const ScenarioReport& s) const {
  switch (s.load.spec.transport) {
    case Transport::kRest:
      return NginxGeneratorRate();
    case Transport::kGrpcUnary:
      return GrpcNoopRate();
    default:
      return 0;
  }
}

std::optional<double> BenchReport::ServicesCpuPerMillion(
    const ScenarioReport& s) {
  return ServicesTotal(CpuPerMillion(s));
}
void BenchReport::AppendRestTargets(std::vector<TargetResult>* targets) const {
  const ScenarioReport* rest = FindClosedLoop(Transport::kRest);
  const std::string name =
      rest ? absl::StrCat("REST single events (", rest->load.spec.name, ", ",
                          rest->load.spec.concurrency,
                          " keep-alive connections, closed loop)")
           : "REST single events (rest, closed loop)";
  if (rest == nullptr) {
    targets->push_back({name + ": not run", "not run", false});
    return;
  }
  const LoadResult& r = rest->load;
  {
    TargetResult t{absl::StrFormat(
        "%s >= %.2fx nginx's static 202 under the same load generator", name,
        kRestShareOfNginxTarget)};
    const double nginx = NginxGeneratorRate();
    if (nginx <= 0) {
      t.measured = "no nginx ceiling";
    } else {
      t.pass = r.acked_events_per_second >= kRestShareOfNginxTarget * nginx;
      t.measured =
          absl::StrCat(Ratio(r.acked_events_per_second, nginx),
                       "x: ", Thousands(r.acked_events_per_second),
                       " ev/s against nginx's ", Thousands(nginx), " req/s");
    }
    if (NginxWrkRate() > 0) {
      absl::StrAppend(&t.measured, "; nginx under wrk (",
                      nginx_ceiling_->wrk_connections,
                      " connections): ", Thousands(NginxWrkRate()), " req/s, ",
                      Ratio(r.acked_events_per_second, NginxWrkRate()), "x");
    }
    targets->push_back(t);
  }
  {
    TargetResult t{
        absl::StrFormat("%s: p99 <= %.0f ms", name, kRestP99MsTarget)};
    const double p99 = P99Ms(r.latency_us);
    t.pass = r.events_acked > 0 && p99 <= kRestP99MsTarget;
    t.measured = absl::StrFormat("%.2f ms", p99);
    targets->push_back(t);
  }
  {
    TargetResult t{absl::StrCat(name, ": 0 refused")};
    const int64_t refused = r.events_sent - r.events_acked;
    t.pass = r.events_sent > 0 && refused == 0;
    t.measured = refused == 0 ? "0"
                              : absl::StrCat(Thousands(refused), " (",
                                             ErrorsText(r.errors), ")");
    targets->push_back(t);
  }
  {
    TargetResult t{
        absl::StrCat(name, ": every acknowledged event stored exactly once")};
    if (rest->ack_check) {
      t.pass = rest->ack_check->pass();
      t.measured =
          absl::StrCat(Thousands(rest->ack_check->acked), " acked, ",
                       Thousands(rest->ack_check->rows_for_shop), " rows, ",
                       rest->ack_check->missing, " missing");
    } else {
      t.measured = "not checked: " + rest->ack_check_error;
    }
    targets->push_back(t);
  }
}

void BenchReport::AppendCpuTargets(std::vector<TargetResult>* targets) const {
  // Every REST and batched scenario of its own window, and REST under wrk.
  const auto cpu_target =
      [&](const std::string& name, const std::map<std::string, double>& cpu,
          const absl::StatusOr<double>& fold_wait, double limit) {
        TargetResult t{absl::StrFormat(
            "CPU per acknowledged event, services + PostgreSQL, folding "
            "included, %s: <= %.0f µs",
            name, limit)};
        const std::optional<double> total = ServicesTotal(cpu);
        if (!total.has_value()) {
          t.measured = "n/a (a process's CPU is unknown)";
          return t;
        }
        t.measured =
            absl::StrFormat("%.1f µs (%s)", *total, ServicesBreakdown(cpu));
        if (!fold_wait.ok()) {
          absl::StrAppend(&t.measured, "; the window's fold was not seen: ",
                          fold_wait.status().message());
          return t;
        }
        t.pass = *total <= limit;
        return t;
      };
  for (const ScenarioReport& s : scenarios_) {
    if (s.role != ScenarioRole::kLoad || !s.has_usage) continue;
    if (s.load.spec.transport == Transport::kRest) {
      targets->push_back(cpu_target(s.load.spec.name, CpuPerMillion(s),
                                    s.fold_wait_seconds, kRestCpuUsTarget));
    } else if (s.load.spec.transport == Transport::kGrpcBatch) {
      targets->push_back(cpu_target(
          absl::StrCat(s.load.spec.name, ", ", s.load.spec.events_per_call,
                       "-event batches"),
          CpuPerMillion(s), s.fold_wait_seconds, kBatchCpuUsTarget));
    }
  }
  if (wrk_ingest_ && HasCpu(*wrk_ingest_)) {
    targets->push_back(
        cpu_target(absl::StrCat("REST under wrk, ", wrk_ingest_->connections,
                                " connections"),
                   CpuPerMillion(*wrk_ingest_), wrk_ingest_->fold_wait_seconds,
                   kRestCpuUsTarget));
  }
}

void BenchReport::AppendVisibilityTargets(
    std::vector<TargetResult>* targets) const {
  bool any = false;
  for (const ScenarioReport& s : scenarios_) {
    const ScenarioSpec& spec = s.load.spec;
    if (s.role != ScenarioRole::kLoad || spec.share_of_closed_loop <= 0) {
      continue;
    }
    any = true;
    const std::string at = absl::StrFormat(
        "at %.0f%% of the closed-loop rate (%s: %s ev/s offered, %s took "
        "%s)",
        100 * spec.share_of_closed_loop, spec.name,
        Thousands(spec.target_events_per_second), spec.rate_basis,
        Thousands(spec.rate_basis_events_per_second));
    TargetResult visible{absl::StrFormat("Event-to-visible p99 <= %.0f s %s",
                                         kVisibleP99MsTarget / 1000, at)};
    TargetResult folded{absl::StrFormat("Folder lag p99 <= %.0f s %s",
                                        kFoldLagP99MsTarget / 1000, at)};
    if (!s.visibility || s.visibility->latency_us.count() == 0) {
      visible.measured = folded.measured = "no probes";
      targets->push_back(visible);
      targets->push_back(folded);
      continue;
    }
    const VisibilityResult& v = *s.visibility;
    const double visible_p99 = P99Ms(v.latency_us);
    visible.pass = visible_p99 <= kVisibleP99MsTarget && v.not_visible == 0 &&
                   v.send_failures == 0;
    visible.measured = absl::StrFormat(
        "%.1f ms (p50 %.1f; %d probes, %d not visible, %d not sent)",
        visible_p99, Ms(v.latency_us.ValueAtPercentile(50)),
        v.latency_us.count(), v.not_visible, v.send_failures);
    if (!v.fold_lag_measured || v.fold_lag_us.count() == 0) {
      folded.measured = v.fold_error.empty()
                            ? "not measured"
                            : absl::StrCat("not measured: ", v.fold_error);
    } else {
      const double fold_p99 = P99Ms(v.fold_lag_us);
      folded.pass = fold_p99 <= kFoldLagP99MsTarget && v.not_folded == 0 &&
                    v.fold_error.empty();
      folded.measured =
          absl::StrFormat("p50 %.1f ms, p99 %.1f ms (%d probes, %d not folded)",
                          Ms(v.fold_lag_us.ValueAtPercentile(50)), fold_p99,
                          v.fold_lag_us.count(), v.not_folded);
      if (!v.fold_error.empty()) {
        absl::StrAppend(&folded.measured, "; ", v.fold_error);
      }
    }
    targets->push_back(visible);
    targets->push_back(folded);
  }
  if (!any) {
    targets->push_back({absl::StrFormat("Event-to-visible p99 <= %.0f s and "
                                        "folder lag p99 <= %.0f s at 80%% of "
                                        "the closed-loop rate",
                                        kVisibleP99MsTarget / 1000,
                                        kFoldLagP99MsTarget / 1000),
                        "not run (e.g. rest@80%)", false});
  }
}

void BenchReport::AppendPoisonTarget(std::vector<TargetResult>* targets) const {
  const ScenarioReport* alone = FindRole(ScenarioRole::kVictimAlone);
  const ScenarioReport* beside = FindRole(ScenarioRole::kVictimBeside);
  const ScenarioReport* poisoner = FindRole(ScenarioRole::kPoisoner);
  TargetResult t{absl::StrFormat(
      "A shop sending one poison event per batch raises another shop's p99 "
      "by <= %.0f%%",
      100 * (kPoisonP99RatioTarget - 1))};
  if (alone == nullptr || beside == nullptr || poisoner == nullptr) {
    t.measured = "not run (poison)";
    targets->push_back(t);
    return;
  }
  const double p99_alone = P99Ms(alone->load.latency_us);
  const double p99_beside = P99Ms(beside->load.latency_us);
  const LoadResult& b = poisoner->load;
  const int64_t calls =
      b.spec.events_per_call > 0 ? b.events_sent / b.spec.events_per_call : 0;
  // Shop B's batches must have been taken apart as meant: the poison
  // refused, the rest stored.
  const bool poison_refused = b.events_rejected == calls && calls > 0 &&
                              b.events_acked == b.events_sent - calls;
  t.measured = absl::StrFormat(
      "%sx: shop A's p99 %.2f ms alone, %.2f ms beside shop B (%s batches "
      "of %d, %s ev/s offered: %s refused, %s stored)",
      Ratio(p99_beside, p99_alone), p99_alone, p99_beside, Thousands(calls),
      b.spec.events_per_call, Thousands(b.spec.target_events_per_second),
      Thousands(b.events_rejected), Thousands(b.events_acked));
  if (!poison_refused) {
    absl::StrAppend(&t.measured,
                    "; shop B's batches were not refused one event each");
  }
  t.pass = p99_alone > 0 && alone->load.events_acked > 0 &&
           beside->load.events_acked > 0 && poison_refused &&
           p99_beside <= kPoisonP99RatioTarget * p99_alone;
  targets->push_back(t);
}

std::vector<TargetResult> BenchReport::EvaluateTargets() const {
  std::vector<TargetResult> targets;
  AppendRestTargets(&targets);

  {
    const ScenarioReport* batch = FindClosedLoop(Transport::kGrpcBatch);
    TargetResult t{absl::StrFormat(
        "gRPC IngestBatch, %s-event batches (%s, closed loop) >= %.2fx COPY "
        "of the same events into the same keyed table",
        Thousands(batch ? batch->load.spec.events_per_call
                        : kBatchTargetEventsPerCall),
        batch ? batch->load.spec.name : "grpc_batch", kBatchShareOfCopyTarget)};
    const double copy = CopyEventsPerSecond();
    if (batch == nullptr) {
      t.measured = "not run";
    } else if (copy <= 0) {
      t.measured = "no COPY ceiling";
    } else {
      const double rate = batch->load.acked_events_per_second;
      t.pass = rate >= kBatchShareOfCopyTarget * copy &&
               batch->load.spec.events_per_call == kBatchTargetEventsPerCall;
      t.measured =
          absl::StrCat(Ratio(rate, copy), "x: ", Thousands(rate),
                       " ev/s against COPY's ", Thousands(copy), " ev/s");
      if (batch->load.spec.events_per_call != kBatchTargetEventsPerCall) {
        absl::StrAppend(&t.measured, "; not the target's ",
                        Thousands(kBatchTargetEventsPerCall), "-event batches");
      }
      // PostgreSQL does most of this work: what it alone would need.
      absl::StrAppend(
          &t.measured,
          CoresAtRate("PostgreSQL", CpuPerMillion(*batch)["postgres"],
                      kBatchShareOfCopyTarget * copy));
    }
    targets.push_back(t);
  }

  {
    const ScenarioReport* unary = FindClosedLoop(Transport::kGrpcUnary);
    TargetResult t{absl::StrFormat(
        "gRPC unary, %d in flight (%s, closed loop) >= %.2fx a do-nothing "
        "gRPC server under the same load generator",
        unary ? unary->load.spec.concurrency : 64,
        unary ? unary->load.spec.name : "grpc_unary", kUnaryShareOfNoopTarget)};
    const double noop = GrpcNoopRate();
    if (unary == nullptr) {
      t.measured = "not run";
    } else if (noop <= 0) {
      t.measured = "no do-nothing server ceiling";
    } else {
      const double rate = unary->load.acked_events_per_second;
      t.pass = rate >= kUnaryShareOfNoopTarget * noop;
      t.measured = absl::StrCat(Ratio(rate, noop), "x: ", Thousands(rate),
                                " calls/s against the do-nothing server's ",
                                Thousands(noop));
    }
    targets.push_back(t);
  }

  AppendCpuTargets(&targets);
  AppendVisibilityTargets(&targets);
  AppendPoisonTarget(&targets);

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
  auto fold_wait = [&](const absl::StatusOr<double>& seconds) {
    if (seconds.ok()) {
      key("fold_wait_seconds"), w.Double(*seconds);
    } else {
      key("fold_wait_error"), str(std::string(seconds.status().message()));
    }
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
    key("table"), str(kCopyCeilingTableDescription);
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
  // A static server under the load generator.
  auto server_ceiling = [&](const ServerCeiling& c) {
    key("server"), str(c.server);
    if (!c.load.ok()) {
      key("error"), str(std::string(c.load.status().message()));
      return;
    }
    const LoadResult& r = *c.load;
    key("concurrency"), w.Int(r.spec.concurrency);
    key("calls_sent"), w.Int64(r.events_sent);
    key("calls_answered"), w.Int64(r.events_acked);
    key("calls_per_second"), w.Double(r.acked_events_per_second);
    key("valid"), w.Bool(ServerCeilingRate(c) > 0);
    key("p50_ms"), w.Double(Ms(r.latency_us.ValueAtPercentile(50)));
    key("p99_ms"), w.Double(P99Ms(r.latency_us));
    const double server = PerCall(c.server_cpu_seconds, c);
    const double generator = PerCall(c.generator_cpu_seconds, c);
    if (server >= 0) key("server_cpu_us_per_call"), w.Double(server);
    if (generator >= 0)
      key("load_generator_cpu_us_per_call"), w.Double(generator);
  };
  if (nginx_ceiling_) {
    key("nginx_static"), w.StartObject();
    key("load_generator"), w.StartObject();
    server_ceiling(nginx_ceiling_->generator);
    w.EndObject();
    key("wrk"), w.StartObject();
    if (nginx_ceiling_->wrk.ok()) {
      key("connections"), w.Int(nginx_ceiling_->wrk_connections);
      wrk_fields(*nginx_ceiling_->wrk);
      key("valid"), w.Bool(NginxWrkRate() > 0);
    } else {
      key("error"), str(std::string(nginx_ceiling_->wrk.status().message()));
    }
    w.EndObject();
    w.EndObject();
  }
  if (grpc_noop_ceiling_) {
    key("grpc_noop"), w.StartObject();
    server_ceiling(*grpc_noop_ceiling_);
    w.EndObject();
  }
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
      fold_wait(wrk_ingest_->fold_wait_seconds);
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
    key("role"), str(RoleName(s.role));
    key("transport"), str(std::string(TransportName(r.spec.transport)));
    key("concurrency"), w.Int(r.spec.concurrency);
    key("events_per_call"), w.Int(r.spec.events_per_call);
    key("target_events_per_second"), w.Double(r.spec.target_events_per_second);
    if (r.spec.share_of_closed_loop > 0) {
      key("share_of_closed_loop"), w.Double(r.spec.share_of_closed_loop);
      key("rate_basis"), str(r.spec.rate_basis);
      key("rate_basis_events_per_second"),
          w.Double(r.spec.rate_basis_events_per_second);
    }
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
    if (StaticServerRate(s) > 0) {
      // nginx for REST, the do-nothing gRPC server for unary calls.
      key("ratio_to_static_server"),
          w.Double(r.acked_events_per_second / StaticServerRate(s));
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
      if (s.visibility->fold_lag_measured) {
        const VisibilityResult& v = *s.visibility;
        key("folder_lag_ms"), w.StartObject();
        key("probes"), w.Int64(v.fold_lag_us.count());
        key("not_folded"), w.Int64(v.not_folded);
        key("p50"), w.Double(Ms(v.fold_lag_us.ValueAtPercentile(50)));
        key("p99"), w.Double(P99Ms(v.fold_lag_us));
        key("max"), w.Double(Ms(v.fold_lag_us.max()));
        if (!v.fold_error.empty()) key("error"), str(v.fold_error);
        w.EndObject();
      }
    }
    if (s.has_usage) {
      cpu_object(CpuPerMillion(s));
      if (const std::optional<double> total = ServicesCpuPerMillion(s)) {
        key("services_and_postgres_cpu_us_per_event"), w.Double(*total);
      }
      key("machine_busy_cores"), w.Double(BusyCores(s));
      fold_wait(s.fold_wait_seconds);
    }
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
      "acknowledged event. Targets are reported, never enforced.\n\n");

  absl::StrAppend(
      &md, "## Targets\n\n| target | measured | result |\n|---|---|---|\n");
  for (const TargetResult& t : EvaluateTargets()) {
    absl::StrAppend(&md, "| ", t.name, " | ", t.measured, " | ",
                    t.pass ? "pass" : "**FAIL**", " |\n");
  }
  absl::StrAppend(&md, "\n");

  absl::StrAppend(&md, "## Ceilings and baselines (same machine, same run)\n\n",
                  "| measurement | events/s | details |\n|---|---:|---|\n");
  if (copy_ceiling_) {
    if (copy_ceiling_->ok()) {
      absl::StrAppend(
          &md, "| PostgreSQL COPY into ", kCopyCeilingTableDescription,
          ", durable, ", Thousands(copy_rows_per_commit_),
          " rows per commit | ", Thousands((*copy_ceiling_)->events_per_second),
          " | ", Thousands((*copy_ceiling_)->events), " rows in ",
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
  if (nginx_ceiling_) {
    absl::StrAppend(
        &md, ServerCeilingRow("REST ceiling: nginx's static 202 for POST "
                              "/v1/events, the load generator",
                              nginx_ceiling_->generator, "connections"));
    absl::StrAppend(
        &md, HttpCeilingRow(
                 absl::StrCat("REST ceiling: nginx's static 202, "
                              "wrk, ",
                              nginx_ceiling_->wrk_connections, " connections"),
                 nginx_ceiling_->wrk, ": nginx did not answer 202"));
  }
  if (grpc_noop_ceiling_) {
    absl::StrAppend(
        &md, ServerCeilingRow("gRPC unary ceiling: a do-nothing Ingest, the "
                              "load generator",
                              *grpc_noop_ceiling_, "calls in flight"));
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
      "\n## Scenarios\n\n\"x static server\": nginx's static 202 for REST, "
      "the do-nothing gRPC server for unary calls, both under the same load "
      "generator.\n\n| scenario | conc. | events/call | offered ev/s | acked "
      "ev/s | x COPY | x naive INSERT | x static server | p50 ms | p90 ms | "
      "p99 ms | p99.9 ms | max ms | errors | PostgreSQL check | visible p50 / "
      "p99 ms | folder lag p50 / p99 ms |\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---"
      "|---|---|\n");
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
    std::string folded = "-";
    if (s.visibility) {
      visible =
          absl::StrFormat("%.1f / %.1f (%d probes)",
                          Ms(s.visibility->latency_us.ValueAtPercentile(50)),
                          Ms(s.visibility->latency_us.ValueAtPercentile(99)),
                          s.visibility->latency_us.count());
      if (s.visibility->fold_lag_us.count() > 0) {
        folded =
            absl::StrFormat("%.1f / %.1f (%d probes)",
                            Ms(s.visibility->fold_lag_us.ValueAtPercentile(50)),
                            P99Ms(s.visibility->fold_lag_us),
                            s.visibility->fold_lag_us.count());
      }
    }
    absl::StrAppend(
        &md, "| ", r.spec.name, " | ", r.spec.concurrency, " | ",
        r.spec.events_per_call, " | ", OfferedText(r.spec), " | ",
        Thousands(r.acked_events_per_second), " | ",
        Ratio(r.acked_events_per_second, CopyEventsPerSecond()), " | ",
        Ratio(r.acked_events_per_second, NaiveEventsPerSecond()), " | ",
        StaticServerRate(s) > 0
            ? Ratio(r.acked_events_per_second, StaticServerRate(s))
            : "-",
        " | ",
        absl::StrFormat("%.2f | %.2f | %.2f | %.2f | %.2f",
                        Ms(r.latency_us.ValueAtPercentile(50)),
                        Ms(r.latency_us.ValueAtPercentile(90)),
                        Ms(r.latency_us.ValueAtPercentile(99)),
                        Ms(r.latency_us.ValueAtPercentile(99.9)),
                        Ms(r.latency_us.max())),
        " | ", ErrorsText(r.errors), " | ", check, " | ", visible, " | ",
        folded, " |\n");
  }

  if (const ScenarioReport* alone = FindRole(ScenarioRole::kVictimAlone)) {
    const auto beside_name = [this](ScenarioRole role) -> std::string {
      const ScenarioReport* s = FindRole(role);
      return s ? s->load.spec.name : "not run";
    };
    absl::StrAppend(
        &md,
        "\n## One shop's poison beside another shop\n\nShop A sends single "
        "events open loop at a fixed rate, first alone (`",
        alone->load.spec.name, "`), then beside shop B (`",
        beside_name(ScenarioRole::kVictimBeside),
        "`), whose batches carry one event each that ingest refuses (`",
        beside_name(ScenarioRole::kPoisoner),
        "`); their rows are in the scenarios table above. The target "
        "compares shop A's p99 in the two windows.\n");
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
      "\n## CPU seconds per million acknowledged events (µs per "
      "event)\n\nFrom the start of the measured window until the folder has "
      "folded the window's events (\"fold wait\": how long that took after "
      "the window), so the rollups' share is counted. \"services + "
      "PostgreSQL\" is everything but the load generator; PostgreSQL is the "
      "stack's cluster, backends that ended included.\n\n"
      "| scenario | processor | ingest | query | gateway | PostgreSQL | "
      "services + PostgreSQL | load generator | machine busy cores | fold "
      "wait s |\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const ScenarioReport& s : scenarios_) {
    if (!s.has_usage) continue;
    absl::StrAppend(&md, CpuRow(s.load.spec.name, CpuPerMillion(s),
                                BusyCores(s), s.fold_wait_seconds));
  }
  if (wrk_ingest_ && HasCpu(*wrk_ingest_)) {
    absl::StrAppend(
        &md, CpuRow(absl::StrCat("REST under wrk, ", wrk_ingest_->connections,
                                 " connections (load generator: wrk)"),
                    CpuPerMillion(*wrk_ingest_), BusyCores(*wrk_ingest_),
                    wrk_ingest_->fold_wait_seconds));
  }
  if (wrk_static_ && HasCpu(*wrk_static_)) {
    absl::StrAppend(&md,
                    CpuRow(absl::StrCat("its script on the static 202, ",
                                        wrk_static_->connections,
                                        " connections (load generator: wrk)"),
                           CpuPerMillion(*wrk_static_), BusyCores(*wrk_static_),
                           absl::UnknownError("nothing stored")));
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
