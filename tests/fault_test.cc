// Faults with real processes: every event answered OK must be stored, once,
// whatever dies on the way, and every aggregate must count it once. Clients
// retry with the same event_id, as docs/delivery.md tells them to: gRPC clients
// with backoff, REST clients after the Retry-After the gateway sends.
#include <dirent.h>
#include <grpcpp/grpcpp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <pqxx/pqxx>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rollups/rollup_verifier.h"
#include "shopstream/v1/analytics.grpc.pb.h"
#include "shopstream/v1/ingest.grpc.pb.h"
#include "tests/local_stack.h"
#include "tests/private_postgres.h"

namespace shopstream::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kShop[] = "fault-shop";
constexpr int64_t kDayStart = 1759363200;  // 2025-10-02T00:00:00Z

// The n-th event of a client: a mix of types, products, sessions, amounts
// and times, so every aggregate has something to count.
v1::Event MakeEvent(const std::string& id, int64_t n) {
  v1::Event e;
  e.set_event_id(id);
  e.set_shop_id(kShop);
  const int kind = n % 10;
  e.set_event_type(kind < 6   ? "page_view"
                   : kind < 8 ? "add_to_cart"
                              : "purchase");
  e.mutable_timestamp()->set_seconds(kDayStart + (n * 61) % 86400);
  e.set_product_id(absl::StrCat("p", (n * 7) % 11));
  e.set_session_id(absl::StrCat("s-", id.substr(0, id.find('-')), "-", n / 4));
  if (kind >= 8) e.set_order_amount((100 + (n * 37) % 9900) / 100.0);
  return e;
}

std::string ToJson(const v1::Event& e) {
  std::string json = absl::StrFormat(
      R"({"event_id":"%s","shop_id":"%s","event_type":"%s","timestamp":"%s",)"
      R"("product_id":"%s","session_id":"%s")",
      e.event_id(), e.shop_id(), e.event_type(),
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                       absl::FromUnixSeconds(e.timestamp().seconds()),
                       absl::UTCTimeZone()),
      e.product_id(), e.session_id());
  if (e.has_order_amount()) {
    absl::StrAppendFormat(&json, R"(,"order_amount":%.2f)", e.order_amount());
  }
  return json + "}";
}

struct ClientOptions {
  int grpc_threads = 6;
  // Through the REST gateway, which carries them on its stream to ingest.
  int rest_threads = 2;
  // gRPC threads send IngestBatch calls of this many events when above 1.
  int batch_size = 1;
  absl::Duration attempt_deadline = absl::Seconds(10);
  // An event still unacknowledged after this long is abandoned (counted).
  absl::Duration give_up_after = absl::Seconds(40);
};

// Client threads that send unique events until told to stop, retrying each
// until it is acknowledged, always with the same event_id. Some events are
// sent once more after their acknowledgement, as a client that lost the
// answer would; those must come back as duplicates.
class RetryingClients {
 public:
  RetryingClients(LocalStack& stack, ClientOptions options)
      : options_(options),
        http_port_(stack.http_port()),
        write_key_(stack.WriteKey(kShop)) {
    auto channel = stack.IngestChannel(kShop);
    for (int t = 0; t < options_.grpc_threads; ++t) {
      workers_.emplace_back([this, channel, t] { RunGrpc(channel, t); });
    }
    for (int t = 0; t < options_.rest_threads; ++t) {
      workers_.emplace_back([this, t] { RunRest(t); });
    }
  }
  ~RetryingClients() { Stop(); }

  // Stops sending new events; each thread settles the one it holds.
  void Stop() {
    stop_ = true;
    for (auto& w : workers_) {
      if (w.joinable()) w.join();
    }
  }

  std::set<std::string> acked() const {
    absl::MutexLock lock(&mu_);
    return acked_;
  }
  std::set<std::string> abandoned() const {
    absl::MutexLock lock(&mu_);
    return abandoned_;
  }
  // Answers by kind: "OK", "UNAVAILABLE", "RESOURCE_EXHAUSTED", ... for
  // gRPC; "http 202", "http 429", ... for REST.
  int64_t answers(const std::string& kind) const {
    absl::MutexLock lock(&mu_);
    auto it = answers_.find(kind);
    return it == answers_.end() ? 0 : it->second;
  }
  int64_t failed_answers() const {
    absl::MutexLock lock(&mu_);
    int64_t n = 0;
    for (const auto& [kind, count] : answers_) {
      if (kind != "OK" && kind != "http 202") n += count;
    }
    return n;
  }
  std::string AnswersText() const {
    absl::MutexLock lock(&mu_);
    return absl::StrJoin(answers_, ", ", absl::PairFormatter(": "));
  }
  // Resent after an acknowledgement, yet not reported as a duplicate.
  int64_t resends_not_duplicate() const { return resends_not_duplicate_; }
  // 429 or 503 answers without a Retry-After header.
  int64_t missing_retry_after() const { return missing_retry_after_; }
  // The longest any single answer took, successful or not.
  absl::Duration slowest_answer() const {
    absl::MutexLock lock(&mu_);
    return slowest_;
  }

 private:
  void Count(const std::string& kind, absl::Duration took) {
    absl::MutexLock lock(&mu_);
    ++answers_[kind];
    slowest_ = std::max(slowest_, took);
  }

  void Settle(const std::vector<std::string>& ids, bool acked) {
    absl::MutexLock lock(&mu_);
    for (const auto& id : ids) (acked ? acked_ : abandoned_).insert(id);
  }

  // Retries `attempt` with backoff until it succeeds or the event's time is
  // up; `attempt` returns whether it succeeded and may ask for a pause.
  bool RetryUntilAcked(const std::function<bool(absl::Duration*)>& attempt,
                       std::mt19937& random) {
    const absl::Time give_up = absl::Now() + options_.give_up_after;
    absl::Duration backoff = absl::Milliseconds(50);
    while (absl::Now() < give_up) {
      absl::Duration asked = absl::ZeroDuration();
      if (attempt(&asked)) return true;
      // Full jitter, so retries of many clients do not arrive together.
      const absl::Duration jittered =
          backoff * std::uniform_real_distribution<double>(0.5, 1.0)(random);
      absl::SleepFor(std::max(asked, jittered));
      backoff = std::min(backoff * 2, absl::Seconds(1));
    }
    return false;
  }

  void RunGrpc(std::shared_ptr<grpc::Channel> channel, int thread) {
    auto stub = v1::IngestService::NewStub(channel);
    std::mt19937 random(thread);
    for (int64_t n = 0; !stop_; ++n) {
      std::vector<std::string> ids;
      v1::IngestBatchRequest batch;
      for (int k = 0; k < options_.batch_size; ++k) {
        const std::string id = absl::StrCat("g", thread, "-", n, "-", k);
        *batch.add_events() = MakeEvent(id, n * options_.batch_size + k);
        ids.push_back(id);
      }
      // Returns true once every event of the call is settled; sets
      // `duplicates` to how many were reported as stored before.
      auto send = [&](int* duplicates) {
        grpc::ClientContext context;
        context.set_deadline(
            absl::ToChronoTime(absl::Now() + options_.attempt_deadline));
        const absl::Time start = absl::Now();
        grpc::Status status;
        *duplicates = 0;
        if (options_.batch_size == 1) {
          v1::IngestRequest request;
          *request.mutable_event() = batch.events(0);
          v1::IngestResponse response;
          status = stub->Ingest(&context, request, &response);
          *duplicates = response.duplicate();
        } else {
          v1::IngestBatchResponse response;
          status = stub->IngestBatch(&context, batch, &response);
          if (status.ok() && response.rejected() > 0) {
            status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                  response.results(0).error());
          }
          *duplicates = response.duplicates();
        }
        Count(status.ok() ? "OK" : CodeName(status.error_code()),
              absl::Now() - start);
        return status.ok();
      };
      int duplicates = 0;
      const bool acked = RetryUntilAcked(
          [&](absl::Duration*) { return send(&duplicates); }, random);
      Settle(ids, acked);
      if (acked && n % 7 == 3) {
        // Sent again, as by a client whose answer was lost.
        if (RetryUntilAcked([&](absl::Duration*) { return send(&duplicates); },
                            random) &&
            duplicates != options_.batch_size) {
          resends_not_duplicate_ += options_.batch_size - duplicates;
        }
      }
    }
  }

  void RunRest(int thread) {
    std::mt19937 random(1000 + thread);
    for (int64_t n = 0; !stop_; ++n) {
      const std::string id = absl::StrCat("r", thread, "-", n);
      const std::string body = ToJson(MakeEvent(id, n));
      auto send = [&](absl::Duration* pause) {
        const absl::Time start = absl::Now();
        HttpResponse response;
        try {
          response = HttpRequest(http_port_, "POST", "/v1/events", body,
                                 "application/json",
                                 {{"Authorization", "Bearer " + write_key_}});
        } catch (const std::exception&) {
          Count("http connection failed", absl::Now() - start);
          return false;
        }
        Count(absl::StrCat("http ", response.status), absl::Now() - start);
        if (response.status == 429 || response.status == 503) {
          auto it = response.headers.find("retry-after");
          int seconds = 0;
          if (it == response.headers.end() ||
              !absl::SimpleAtoi(it->second, &seconds)) {
            ++missing_retry_after_;
          } else {
            *pause = absl::Seconds(seconds);
          }
        }
        return response.status == 202;
      };
      const bool acked = RetryUntilAcked(send, random);
      Settle({id}, acked);
      if (acked && n % 7 == 3) RetryUntilAcked(send, random);
    }
  }

  static std::string CodeName(grpc::StatusCode code) {
    switch (code) {
      case grpc::StatusCode::UNAVAILABLE:
        return "UNAVAILABLE";
      case grpc::StatusCode::RESOURCE_EXHAUSTED:
        return "RESOURCE_EXHAUSTED";
      case grpc::StatusCode::DEADLINE_EXCEEDED:
        return "DEADLINE_EXCEEDED";
      case grpc::StatusCode::INVALID_ARGUMENT:
        return "INVALID_ARGUMENT";
      case grpc::StatusCode::CANCELLED:
        return "CANCELLED";
      case grpc::StatusCode::INTERNAL:
        return "INTERNAL";
      default:
        return absl::StrCat("code ", static_cast<int>(code));
    }
  }

  const ClientOptions options_;
  const int http_port_;
  const std::string write_key_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> workers_;
  mutable absl::Mutex mu_;
  std::set<std::string> acked_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> abandoned_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> answers_ ABSL_GUARDED_BY(mu_);
  absl::Duration slowest_ ABSL_GUARDED_BY(mu_);
  std::atomic<int64_t> resends_not_duplicate_{0};
  std::atomic<int64_t> missing_retry_after_{0};
};

// a / b rounded half up, for positive numbers.
int64_t RoundedQuotient(int64_t a, int64_t b) { return (2 * a + b) / (2 * b); }

// GetSummary from the query service, retried a little: a PostgreSQL restart
// may cost a query or two while its connections are renewed.
v1::Summary SummaryFromQueryService(LocalStack& stack) {
  auto stub = v1::AnalyticsService::NewStub(stack.QueryChannel(kShop));
  grpc::Status status;
  for (int attempt = 0; attempt < 50; ++attempt) {
    v1::GetSummaryRequest request;
    request.set_shop_id(kShop);
    v1::Summary summary;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    status = stub->GetSummary(&context, request, &summary);
    if (status.ok()) return summary;
    absl::SleepFor(absl::Milliseconds(200));
  }
  ADD_FAILURE() << "GetSummary kept failing: " << status.error_message();
  return v1::Summary();
}

// Failures are only the retryable kinds a client is told to retry, each with
// a hint when to.
void ExpectOnlyRetryableFailures(const RetryingClients& clients) {
  EXPECT_EQ(clients.failed_answers(),
            clients.answers("UNAVAILABLE") + clients.answers("http 503"))
      << clients.AnswersText();
  EXPECT_EQ(clients.missing_retry_after(), 0);
}

// Once the folder has added every stored event, the rollups equal what the
// raw events say: a fold interrupted by whatever the test did lost nothing
// and counted nothing twice.
void ExpectRollupsMatchEvents(LocalStack& stack) {
  pqxx::connection c(stack.db().conninfo());
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (true) {
    pqxx::nontransaction tx(c);
    if (tx.exec1("SELECT coalesce(max(append_xid), 0) <"
                 " (SELECT watermark FROM rollup_watermark) FROM events")[0]
            .as<bool>()) {
      break;
    }
    ASSERT_LT(absl::Now(), give_up) << "the folder did not catch up";
    absl::SleepFor(absl::Milliseconds(200));
  }
  absl::StatusOr<rollups::VerifyReport> report =
      rollups::RollupVerifier(stack.db().conninfo())
          .Verify(kShop, std::nullopt, std::nullopt);
  ASSERT_TRUE(report.ok()) << report.status();
  for (const rollups::TableDifference& d : report->differences) {
    ADD_FAILURE() << d.table << ": " << d.missing << " rows missing, "
                  << d.unexpected << " unexpected";
  }
}

// Every acknowledged id is stored exactly once, nothing is stored that was
// never sent, and the query service's summary equals a recount of the raw
// rows (so aggregates kept elsewhere, such as rollups, counted each event
// once too).
void ExpectAckedStoredExactlyOnce(LocalStack& stack,
                                  const RetryingClients& clients) {
  const std::set<std::string> acked = clients.acked();
  const std::set<std::string> abandoned = clients.abandoned();
  EXPECT_GT(acked.size(), 100u) << "too little load to mean anything";
  pqxx::connection c(stack.db().conninfo());
  pqxx::work tx(c);
  std::set<std::string> stored;
  int64_t rows = 0;
  for (const auto& row : tx.exec_params(
           "SELECT event_id FROM events WHERE shop_id = $1", kShop)) {
    stored.insert(row[0].as<std::string>());
    ++rows;
  }
  EXPECT_EQ(rows, static_cast<int64_t>(stored.size())) << "an id stored twice";
  int64_t missing = 0, unsent = 0;
  for (const auto& id : acked) missing += stored.count(id) == 0;
  for (const auto& id : stored) {
    unsent += acked.count(id) == 0 && abandoned.count(id) == 0;
  }
  EXPECT_EQ(missing, 0) << "acknowledged but not stored";
  EXPECT_EQ(unsent, 0) << "stored but never sent";
  EXPECT_EQ(clients.resends_not_duplicate(), 0)
      << "an acknowledged event, sent again, was stored again";
  EXPECT_EQ(tx.exec_params1("SELECT count(*) FROM dead_letter_events"
                            " WHERE shop_id = $1",
                            kShop)[0]
                .as<int64_t>(),
            0)
      << "valid events were dead-lettered";

  const pqxx::row counts = tx.exec_params1(
      "SELECT count(*) FILTER (WHERE event_type = 1),"
      " count(*) FILTER (WHERE event_type = 2),"
      " count(*) FILTER (WHERE event_type = 3),"
      " coalesce(sum(order_amount_cents) FILTER (WHERE event_type = 3), 0),"
      " coalesce(max(order_amount_cents) FILTER (WHERE event_type = 3), 0),"
      " coalesce(min(order_amount_cents) FILTER (WHERE event_type = 3), 0),"
      " count(DISTINCT session_id)"
      " FROM events WHERE shop_id = $1",
      kShop);
  const int64_t views = counts[0].as<int64_t>();
  const int64_t carts = counts[1].as<int64_t>();
  const int64_t purchases = counts[2].as<int64_t>();
  const int64_t revenue_cents = counts[3].as<int64_t>();
  const pqxx::result top = tx.exec_params(
      "SELECT product_id FROM events WHERE shop_id = $1 AND event_type = 1"
      " GROUP BY product_id ORDER BY count(*) DESC, product_id COLLATE \"C\""
      " LIMIT 1",
      kShop);
  tx.commit();

  std::cout << "acked " << acked.size() << ", abandoned " << abandoned.size()
            << ", stored " << stored.size()
            << "; answers: " << clients.AnswersText() << "; slowest answer "
            << clients.slowest_answer() << std::endl;

  const v1::Summary summary = SummaryFromQueryService(stack);
  EXPECT_EQ(summary.total_page_views(), views);
  EXPECT_EQ(summary.total_add_to_carts(), carts);
  EXPECT_EQ(summary.total_purchases(), purchases);
  ASSERT_GT(views, 0);
  ASSERT_GT(purchases, 0);
  EXPECT_EQ(std::llround(summary.conversion_rate() * 100),
            RoundedQuotient(purchases * 10000, views));
  EXPECT_EQ(std::llround(summary.average_purchase_value() * 100),
            RoundedQuotient(revenue_cents, purchases));
  EXPECT_EQ(std::llround(summary.max_purchase_value() * 100),
            counts[4].as<int64_t>());
  EXPECT_EQ(std::llround(summary.min_purchase_value() * 100),
            counts[5].as<int64_t>());
  EXPECT_EQ(std::llround(summary.revenue() * 100), revenue_cents);
  EXPECT_EQ(summary.unique_sessions(), counts[6].as<int64_t>());
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(summary.top_product_id(), top[0][0].as<std::string>());
  ExpectRollupsMatchEvents(stack);
}

// Processes whose parent is this test process, zombies included.
std::vector<pid_t> ChildProcesses() {
  std::vector<pid_t> children;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return children;
  while (dirent* entry = readdir(proc)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(entry->d_name, &pid)) continue;
    std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
    std::string line;
    if (!std::getline(stat, line)) continue;
    // Fields after the name, which is in parentheses and may hold spaces:
    // state, then the parent's pid.
    const size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    pid_t parent = 0;
    if (std::sscanf(line.c_str() + close + 1, " %c %d", &state, &parent) == 2 &&
        parent == getpid()) {
      children.push_back(pid);
    }
  }
  closedir(proc);
  return children;
}

// Resident memory of a process in KiB, from /proc; -1 once it is gone.
int64_t ResidentKib(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    int64_t kib = 0;
    if (line.rfind("VmRSS:", 0) == 0 &&
        std::sscanf(line.c_str(), "VmRSS: %ld", &kib) == 1) {
      return kib;
    }
  }
  return -1;
}

// Samples the resident memory of some processes until stopped.
class MemorySampler {
 public:
  explicit MemorySampler(std::vector<pid_t> pids)
      : pids_(std::move(pids)), samples_(pids_.size()) {
    thread_ = std::thread([this] {
      while (!stop_) {
        {
          absl::MutexLock lock(&mu_);
          for (size_t i = 0; i < pids_.size(); ++i) {
            samples_[i].push_back(ResidentKib(pids_[i]));
          }
        }
        absl::SleepFor(absl::Milliseconds(100));
      }
    });
  }
  ~MemorySampler() { Stop(); }

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Marks the end of warm-up: growth is measured from here.
  void EndWarmUp() {
    absl::MutexLock lock(&mu_);
    warm_ = samples_.empty() ? 0 : samples_[0].size();
  }
  // Per process: resident KiB at the end of warm-up, and the most after.
  std::vector<std::pair<int64_t, int64_t>> Growth() const {
    absl::MutexLock lock(&mu_);
    std::vector<std::pair<int64_t, int64_t>> out;
    for (const auto& s : samples_) {
      const size_t from = std::min(warm_, s.size() - 1);
      out.emplace_back(s[from], *std::max_element(s.begin() + from, s.end()));
    }
    return out;
  }
  size_t samples() const {
    absl::MutexLock lock(&mu_);
    return samples_.empty() ? 0 : samples_[0].size();
  }

 private:
  const std::vector<pid_t> pids_;
  mutable absl::Mutex mu_;
  std::vector<std::vector<int64_t>> samples_ ABSL_GUARDED_BY(mu_);
  size_t warm_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class FaultTest : public ::testing::Test {
 protected:
  // Whatever a test started, it stopped: no service outlives its test.
  void TearDown() override {
    EXPECT_THAT(ChildProcesses(), ::testing::IsEmpty())
        << "processes left behind";
  }
};

TEST_F(FaultTest, ProcessorKilledMidLoadLosesNothingAcknowledged) {
  LocalStack stack;
  RetryingClients clients(stack, {});
  absl::SleepFor(absl::Seconds(1.5));
  stack.processor().Kill();  // kill -9: whatever it held in memory is gone
  absl::SleepFor(absl::Milliseconds(700));
  stack.RestartProcessor();
  absl::SleepFor(absl::Seconds(3));
  clients.Stop();
  EXPECT_GT(clients.failed_answers(), 0)
      << "the kill should have cost some retries; " << clients.AnswersText();
  ExpectAckedStoredExactlyOnce(stack, clients);
}

TEST_F(FaultTest, ProcessorKilledMidFoldLosesNothingAndCountsOnce) {
  // Folds often, so that there is always one to interrupt.
  LocalStack stack({.processor_flags = {"--fold_interval_ms=20"}});
  RetryingClients clients(stack, {});
  pqxx::connection c(stack.db().conninfo());
  int killed_mid_fold = 0;
  for (int round = 0; round < 3; ++round) {
    absl::SleepFor(absl::Milliseconds(500));
    // Waits until a fold statement is running, then kills the processor
    // that runs it.
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    bool folding = false;
    while (!folding && absl::Now() < give_up) {
      pqxx::nontransaction tx(c);
      folding = tx.exec1(
                      "SELECT count(*) > 0 FROM pg_stat_activity"
                      " WHERE state = 'active'"
                      " AND query LIKE 'WITH fresh AS MATERIALIZED%'")[0]
                    .as<bool>();
    }
    stack.processor().Kill();
    killed_mid_fold += folding;
    absl::SleepFor(absl::Milliseconds(300));
    stack.RestartProcessor();
  }
  absl::SleepFor(absl::Seconds(2));
  clients.Stop();
  EXPECT_GT(killed_mid_fold, 0) << "no kill landed during a fold";
  ExpectAckedStoredExactlyOnce(stack, clients);
}

TEST_F(FaultTest, IngestKilledMidLoadLosesNothingAcknowledged) {
  LocalStack stack;
  RetryingClients clients(stack, {});
  absl::SleepFor(absl::Seconds(1.5));
  stack.ingest().Kill();  // its callers lose their answers, not their events
  absl::SleepFor(absl::Milliseconds(700));
  stack.RestartIngest();
  absl::SleepFor(absl::Seconds(3));
  clients.Stop();
  EXPECT_GT(clients.failed_answers(), 0)
      << "the kill should have cost some retries; " << clients.AnswersText();
  ExpectAckedStoredExactlyOnce(stack, clients);
}

TEST_F(FaultTest, PostgresRestartedMidLoad) {
  PrivatePostgres postgres;
  // A short retry budget, so a long outage is answered UNAVAILABLE well
  // within the clients' deadline.
  LocalStack stack({.postgres_server = postgres.conninfo(),
                    .processor_flags = {"--retry_budget_ms=1500"}});
  RetryingClients clients(stack, {.attempt_deadline = absl::Seconds(10)});
  absl::SleepFor(absl::Seconds(1.5));
  // A clean restart shorter than the retry budget: the processor retries
  // through it.
  postgres.Stop();
  postgres.Start();
  absl::SleepFor(absl::Seconds(1.5));
  // A crash, and an outage longer than the retry budget: callers must hear
  // UNAVAILABLE, never success for an uncommitted event, and never wait
  // out their deadline. Commits whose answer was lost are retried by the
  // clients and must not count twice.
  postgres.Stop(/*immediate=*/true);
  absl::SleepFor(absl::Seconds(4));
  const int64_t unavailable_during_outage =
      clients.answers("UNAVAILABLE") + clients.answers("http 503");
  postgres.Start();
  absl::SleepFor(absl::Seconds(1));
  const size_t acked_after_restart = clients.acked().size();
  absl::SleepFor(absl::Seconds(2));
  clients.Stop();
  EXPECT_GT(unavailable_during_outage, 0) << clients.AnswersText();
  EXPECT_EQ(clients.answers("DEADLINE_EXCEEDED") + clients.answers("http 504"),
            0)
      << clients.AnswersText();
  ExpectOnlyRetryableFailures(clients);
  EXPECT_GT(clients.acked().size(), acked_after_restart)
      << "no progress after PostgreSQL came back";
  ExpectAckedStoredExactlyOnce(stack, clients);
}

TEST_F(FaultTest, ProcessorSigtermMidLoadAnswersWhatItTookAndLosesNothing) {
  LocalStack stack;
  RetryingClients clients(stack, {});
  absl::SleepFor(absl::Seconds(1.5));
  const int status = stack.processor().Terminate();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  stack.RestartProcessor();
  absl::SleepFor(absl::Seconds(2));
  const size_t acked_after_restart = clients.acked().size();
  absl::SleepFor(absl::Seconds(1));
  clients.Stop();
  // While no processor runs, callers hear the retryable kind, and none
  // waits out its deadline.
  ExpectOnlyRetryableFailures(clients);
  EXPECT_GT(clients.acked().size(), acked_after_restart)
      << "no progress after the processor came back";
  ExpectAckedStoredExactlyOnce(stack, clients);
}

TEST_F(FaultTest, IngestSigtermMidLoadDrainsExitsAndLosesNothing) {
  LocalStack stack;
  RetryingClients clients(stack, {});
  absl::SleepFor(absl::Seconds(1.5));
  // The default grace is 20 s; draining a few in-flight events takes far
  // less, also with the gateway's event stream open.
  const absl::Time start = absl::Now();
  const int status = stack.ingest().Terminate(/*timeout_ms=*/25000);
  const absl::Duration took = absl::Now() - start;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_LT(took, absl::Seconds(10)) << "ingest waited out its grace period";
  std::cout << "ingest exited " << took << " after SIGTERM" << std::endl;
  absl::SleepFor(absl::Milliseconds(500));
  stack.RestartIngest();
  absl::SleepFor(absl::Seconds(2));
  const size_t acked_after_restart = clients.acked().size();
  absl::SleepFor(absl::Seconds(2));
  clients.Stop();
  EXPECT_GT(clients.acked().size(), acked_after_restart)
      << "no progress after ingest came back";
  EXPECT_EQ(clients.missing_retry_after(), 0);
  ExpectAckedStoredExactlyOnce(stack, clients);
}

TEST_F(FaultTest, OneOfTwoProcessorsKilledMidLoad) {
  LocalStack stack(/*second_processor=*/true);
  RetryingClients clients(stack, {});
  absl::SleepFor(absl::Seconds(1.5));
  stack.second_processor().Kill();
  // Ingest steps around the dead one; the load goes on through the other.
  absl::SleepFor(absl::Seconds(2));
  const size_t before_end = clients.acked().size();
  absl::SleepFor(absl::Seconds(1));
  clients.Stop();
  EXPECT_GT(clients.acked().size(), before_end) << "no progress after the kill";
  ExpectAckedStoredExactlyOnce(stack, clients);
}

TEST_F(FaultTest, OverloadIsRefusedWithBoundedMemoryAndLosesNothing) {
  // Tiny queues and a slow writer: far more is offered than fits.
  LocalStack stack(
      {.processor_flags = {"--max_pending_events=300", "--writers=1",
                           "--batch_max_events=100"},
       .ingest_flags = {"--max_outstanding_events=600"}});
  MemorySampler memory(
      {stack.ingest().pid(), stack.processor().pid(), stack.gateway().pid()});
  RetryingClients clients(
      stack, {.grpc_threads = 16, .rest_threads = 8, .batch_size = 50});
  absl::SleepFor(absl::Seconds(3));
  memory.EndWarmUp();
  absl::SleepFor(absl::Seconds(8));
  clients.Stop();
  memory.Stop();
  EXPECT_GT(clients.answers("RESOURCE_EXHAUSTED"), 0) << clients.AnswersText();
  EXPECT_GT(clients.answers("http 429"), 0) << clients.AnswersText();
  EXPECT_EQ(clients.missing_retry_after(), 0);
  // Refusals are the only failures: nothing timed out or broke.
  EXPECT_EQ(clients.failed_answers(),
            clients.answers("RESOURCE_EXHAUSTED") + clients.answers("http 429"))
      << clients.AnswersText();
  const char* names[] = {"ingest", "processor", "gateway"};
  const auto growth = memory.Growth();
  EXPECT_GT(memory.samples(), 50u);
  for (size_t i = 0; i < growth.size(); ++i) {
    const auto [warm, peak] = growth[i];
    std::cout << names[i] << ": " << warm << " KiB after warm-up, peak " << peak
              << " KiB" << std::endl;
    EXPECT_GT(warm, 0) << names[i] << " died";
    // Queues are bounded, so memory is too: after warm-up it may move by
    // allocator noise, not with the load offered.
    EXPECT_LT(peak - warm, 16 * 1024)
        << names[i] << " grew from " << warm << " KiB to " << peak << " KiB";
  }
  ExpectAckedStoredExactlyOnce(stack, clients);
}

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

// A folder for the services' logs, removed with the object.
class LogFolder {
 public:
  LogFolder() : path_(::testing::TempDir() + "/logs-XXXXXX") {
    if (mkdtemp(path_.data()) == nullptr) {
      throw std::runtime_error("cannot make a log folder");
    }
  }
  ~LogFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// With PostgreSQL gone, callers hear that their request failed and its id,
// never where PostgreSQL lives or what its driver said: that goes to the
// service's log, under the same id.
TEST_F(FaultTest, PostgresDownAnswersNameTheRequestNotTheDatabase) {
  PrivatePostgres postgres;
  const LogFolder logs;
  // Keys stay cached through the outage, so commits and queries fail, not
  // key lookups; a key first used during it fails its lookup.
  const std::vector<std::string> cached = {"--api_key_cache_ttl_ms=600000"};
  LocalStack stack({.postgres_server = postgres.conninfo(),
                    .processor_flags = {"--retry_budget_ms=1000"},
                    .ingest_flags = cached,
                    .query_flags = cached,
                    .log_dir = logs.path()});
  const int port = stack.http_port();
  const std::string event = ToJson(MakeEvent("leak-0", 0));
  ASSERT_EQ(stack.Post("/v1/events", event, kShop).status, 202);
  ASSERT_EQ(stack.Get("/api/analytics", kShop).status, 200);
  const std::string unused_key = stack.WriteKey("never-used");
  postgres.Stop(/*immediate=*/true);

  const std::vector<std::string> internals = {
      "127.0.0.1", "localhost",  absl::StrCat(postgres.port()),
      "postgres",  "connection", "server"};
  auto expect_told_only_the_id = [&](const std::string& what,
                                     const std::string& message,
                                     const std::string& request_id) {
    EXPECT_THAT(message, HasSubstr("request id " + request_id)) << what;
    const std::string lower = absl::AsciiStrToLower(message);
    for (const std::string& internal : internals) {
      EXPECT_THAT(lower, Not(HasSubstr(internal))) << what << ": " << message;
    }
    // The whole story is in a log, under that id.
    EXPECT_TRUE(Eventually(
        [&] {
          for (const char* service : {"ingest", "query"}) {
            const std::string log = stack.Log(service);
            for (absl::string_view line : absl::StrSplit(log, '\n')) {
              if (absl::StrContains(line, request_id) &&
                  absl::StrContains(line, "\"error\":\"") &&
                  absl::StrContains(line, "postgres")) {
                return true;
              }
            }
          }
          return false;
        },
        absl::Seconds(10)))
        << what << ": no log line with the request id and the detail in\n"
        << stack.Log("ingest") << stack.Log("query");
  };
  auto rest = [&](const std::string& method, const std::string& target,
                  const std::string& key, const std::string& request_id) {
    return HttpRequest(
        port, method, target, method == "POST" ? event : "", "application/json",
        {{"Authorization", "Bearer " + key}, {"X-Request-Id", request_id}});
  };

  HttpResponse commit =
      rest("POST", "/v1/events", stack.WriteKey(kShop), "leak-rest-commit");
  EXPECT_EQ(commit.status, 503) << commit.body;
  expect_told_only_the_id("REST commit", commit.body, "leak-rest-commit");

  HttpResponse lookup =
      rest("POST", "/v1/events", unused_key, "leak-rest-lookup");
  EXPECT_EQ(lookup.status, 503) << lookup.body;
  expect_told_only_the_id("REST key lookup", lookup.body, "leak-rest-lookup");

  HttpResponse query =
      rest("GET", "/api/analytics", stack.ReadKey(kShop), "leak-rest-query");
  EXPECT_GE(query.status, 500) << query.body;
  expect_told_only_the_id("REST query", query.body, "leak-rest-query");

  {
    auto stub = v1::IngestService::NewStub(stack.IngestChannel(kShop));
    grpc::ClientContext context;
    context.AddMetadata("x-request-id", "leak-grpc-commit");
    v1::IngestRequest request;
    *request.mutable_event() = MakeEvent("leak-1", 1);
    v1::IngestResponse response;
    const grpc::Status status = stub->Ingest(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
    expect_told_only_the_id("gRPC commit", status.error_message(),
                            "leak-grpc-commit");
  }
  {
    auto stub = v1::AnalyticsService::NewStub(stack.QueryChannel(kShop));
    grpc::ClientContext context;
    context.AddMetadata("x-request-id", "leak-grpc-query");
    v1::GetSummaryRequest request;
    v1::Summary summary;
    const grpc::Status status = stub->GetSummary(&context, request, &summary);
    EXPECT_FALSE(status.ok());
    expect_told_only_the_id("gRPC query", status.error_message(),
                            "leak-grpc-query");
  }
  // Validation errors still name their field.
  HttpResponse bad = HttpRequest(
      port, "POST", "/v1/events",
      R"({"event_type": "purchase", "timestamp": "2025-10-02T10:40:00Z"})",
      "application/json",
      {{"Authorization", "Bearer " + stack.WriteKey(kShop)}});
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_THAT(bad.body, HasSubstr("order_amount: "));
}

// Health answers for what the service needs: 503 naming PostgreSQL while it
// is down, healthy again once it is back. Liveness only says the gateway
// runs, so an orchestrator does not restart it for a database outage.
TEST_F(FaultTest, HealthFollowsPostgresWhileLivenessStays) {
  PrivatePostgres postgres;
  LocalStack stack({.postgres_server = postgres.conninfo()});
  const int port = stack.http_port();
  auto get = [&](const char* path) { return HttpRequest(port, "GET", path); };
  for (const char* path : {"/v1/health", "/api/health"}) {
    HttpResponse health = get(path);
    EXPECT_EQ(health.status, 200) << path;
    EXPECT_THAT(health.body, HasSubstr(R"("status":"healthy")")) << path;
    EXPECT_THAT(health.body, HasSubstr(R"("postgres":"up")")) << path;
  }

  postgres.Stop(/*immediate=*/true);
  for (const char* path : {"/v1/health", "/api/health"}) {
    EXPECT_TRUE(Eventually([&] { return get(path).status == 503; }))
        << path << " stayed " << get(path).status;
    HttpResponse health = get(path);
    EXPECT_THAT(health.body, HasSubstr(R"("status":"unhealthy")")) << path;
    EXPECT_THAT(health.body, HasSubstr(R"("postgres":"down")")) << path;
    EXPECT_EQ(get("/healthz").status, 200);
  }
  EXPECT_THAT(get("/v1/health").body, HasSubstr(R"("processor":"up")"));
  {
    // Health needs no key.
    auto stub =
        v1::IngestService::NewStub(ChannelWithKey(stack.ingest_target(), ""));
    grpc::ClientContext context;
    v1::HealthResponse response;
    const grpc::Status status =
        stub->Health(&context, v1::HealthRequest(), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_EQ(status.error_message(), "unhealthy: postgres is down");
  }

  postgres.Start();
  for (const char* path : {"/v1/health", "/api/health"}) {
    EXPECT_TRUE(Eventually([&] { return get(path).status == 200; }))
        << path << " stayed " << get(path).status;
    EXPECT_THAT(get(path).body, HasSubstr(R"("postgres":"up")")) << path;
  }
  EXPECT_EQ(get("/healthz").status, 200);
}

}  // namespace
}  // namespace shopstream::testing
