#include "query/commit_listener.h"

#include <algorithm>
#include <pqxx/pqxx>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/commit_notice.h"
#include "common/log.h"
#include "storage/pg_status.h"

namespace shopstream {
namespace {

constexpr long kPollMicros = 200000;  // how soon Stop() is noticed
constexpr absl::Duration kFirstBackoff = absl::Milliseconds(100);
constexpr absl::Duration kMaxBackoff = absl::Seconds(5);

class Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& conn,
           const CommitListener::OnCommit& on_commit,
           const CommitListener::OnGap& on_gap)
      : pqxx::notification_receiver(conn, kCommitNoticeChannel),
        on_commit_(on_commit),
        on_gap_(on_gap) {}

  void operator()(const std::string& payload, int /*backend_pid*/) override {
    absl::StatusOr<std::vector<std::string>> shops =
        DecodeCommitNotice(payload);
    if (!shops.ok()) {
      LogWarning("unreadable commit notice",
                 {{"error", std::string(shops.status().message())}});
      on_gap_();
      return;
    }
    on_commit_(*shops);
  }

 private:
  const CommitListener::OnCommit& on_commit_;
  const CommitListener::OnGap& on_gap_;
};

}  // namespace

CommitListener::CommitListener(std::string conninfo, OnCommit on_commit,
                               OnGap on_gap)
    : conninfo_(std::move(conninfo)),
      on_commit_(std::move(on_commit)),
      on_gap_(std::move(on_gap)) {}

CommitListener::~CommitListener() { Stop(); }

void CommitListener::Start() {
  thread_ = std::thread([this] { Run(); });
}

void CommitListener::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void CommitListener::Run() {
  absl::Duration backoff = kFirstBackoff;
  while (!stopping_) {
    const int opened_before = connections_opened_;
    ListenUntilBrokenOrStopped();
    if (stopping_) break;
    if (connections_opened_ != opened_before) backoff = kFirstBackoff;
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(
        absl::Condition(
            +[](std::atomic<bool>* stop) { return stop->load(); }, &stopping_),
        backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

void CommitListener::ListenUntilBrokenOrStopped() {
  const absl::Status status = RunPgVoid([&] {
    pqxx::connection conn(conninfo_);
    Receiver receiver(conn, on_commit_, on_gap_);  // issues LISTEN
    listening_ = true;
    ++connections_opened_;
    LogInfo("listening for commits");
    // Whatever committed while no LISTEN was in effect went unheard.
    on_gap_();
    while (!stopping_) conn.await_notification(0, kPollMicros);
  });
  listening_ = false;
  if (!status.ok() && !stopping_) {
    LogWarning("commit listener lost its connection",
               {{"error", std::string(status.message())}});
  }
}

}  // namespace shopstream
