#include "processor/batch_committer.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "processor/batch_writer.h"
#include "storage/pg_status.h"

namespace shopstream {
namespace {

std::vector<const internal::v1::StoredEvent*> EventsOf(
    const std::vector<Submission>& batch) {
  std::vector<const internal::v1::StoredEvent*> events;
  for (const auto& s : batch) {
    for (const auto& e : s.request.events()) events.push_back(&e);
  }
  return events;
}

// The x-request-id of every call whose events are in the batch.
std::string RequestIdsOf(const std::vector<Submission>& batch) {
  std::vector<absl::string_view> ids;
  for (const auto& s : batch) {
    for (const auto& id : s.request.request_ids()) ids.push_back(id);
  }
  return absl::StrJoin(ids, ",");
}

// With a failed `status`, the events before `committed` are stored all the
// same: a submission wholly among them is answered as committed, so its
// sender does not retry what is stored (and store it twice when ingest
// made up its ids).
void Answer(std::vector<Submission>& batch, const absl::Status& status,
            const EventOutcomes& outcomes, size_t committed) {
  size_t offset = 0;
  for (auto& s : batch) {
    const size_t n = s.request.events_size();
    if (status.ok() || offset + n <= committed) {
      s.done(absl::OkStatus(), EventOutcomes(outcomes.begin() + offset,
                                             outcomes.begin() + offset + n));
    } else {
      s.done(status, {});
    }
    offset += n;
  }
}

}  // namespace

BatchCommitter::BatchCommitter(CommitterOptions options, const Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      batcher_(options_.batch, clock) {}

BatchCommitter::~BatchCommitter() { Stop(); }

void BatchCommitter::Start() {
  for (int i = 0; i < options_.writers; ++i) {
    threads_.emplace_back([this, i] { WriterLoop(i); });
  }
}

void BatchCommitter::Submit(Submission submission) {
  auto done = submission.done;
  absl::Status status = batcher_.Submit(std::move(submission));
  if (!status.ok()) done(status, {});
}

void BatchCommitter::Stop(absl::Duration grace) {
  {
    absl::MutexLock lock(&stop_mu_);
    stop_by_ = std::min(stop_by_, clock_.Now() + grace);
  }
  batcher_.Close();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void BatchCommitter::WriterLoop(int index) {
  BatchWriter writer(options_.conninfo);
  while (true) {
    std::vector<Submission> batch = batcher_.NextBatch();
    if (batch.empty()) return;
    Commit(writer, batch);
    batcher_.BatchDone();
  }
}

absl::Time BatchCommitter::StopBy() const {
  absl::MutexLock lock(&stop_mu_);
  return stop_by_;
}

absl::StatusOr<std::vector<bool>> BatchCommitter::WriteWithRetry(
    BatchWriter& writer,
    const std::vector<const internal::v1::StoredEvent*>& events) {
  const absl::Time give_up = clock_.Now() + options_.retry_budget;
  absl::Duration pause = absl::Milliseconds(20);
  while (true) {
    auto result = writer.Write(events);
    if (result.ok() || !IsTransientPgStatus(result.status())) return result;
    // Stop may shorten the budget while this batch is being retried.
    if (clock_.Now() + pause > std::min(give_up, StopBy())) {
      return absl::UnavailableError(absl::StrCat("cannot commit to postgres: ",
                                                 result.status().message()));
    }
    LogWarning("retrying batch",
               {{"events", std::to_string(events.size())},
                {"error", std::string(result.status().message())}});
    PostgresRetries().Increment();
    clock_.SleepFor(pause);
    pause = std::min(pause * 2, absl::Seconds(1));
  }
}

void BatchCommitter::Commit(BatchWriter& writer,
                            std::vector<Submission>& batch) {
  if (clock_.Now() >= StopBy()) {
    Answer(batch,
           absl::UnavailableError(
               "processor is shutting down; retry with the same event_id"),
           {}, /*committed=*/0);
    return;
  }
  // A measurement for the metric and the log, on the machine's clock.
  const absl::Time started = absl::Now();
  const auto events = EventsOf(batch);
  ProcessorBatchSize().Observe(static_cast<double>(events.size()));
  EventOutcomes outcomes(events.size());
  size_t committed = 0;
  absl::Status status =
      CommitRange(writer, events, 0, events.size(), outcomes, committed);
  const absl::Duration elapsed = absl::Now() - started;
  ProcessorFlushDuration().Observe(absl::ToDoubleSeconds(elapsed));
  if (!status.ok()) {
    // A first part may have been committed: see Answer.
    LogError("batch not committed", {{"error", std::string(status.message())},
                                     {"events", absl::StrCat(events.size())},
                                     {"committed", absl::StrCat(committed)},
                                     {"request_ids", RequestIdsOf(batch)}});
  } else if (LogRequests()) {
    LogInfo("batch committed",
            {{"events", absl::StrCat(events.size())},
             {"duration_ms", absl::StrCat(absl::ToDoubleMilliseconds(elapsed))},
             {"request_ids", RequestIdsOf(batch)}});
  }
  Answer(batch, status, outcomes, committed);
}

absl::Status BatchCommitter::CommitRange(
    BatchWriter& writer,
    const std::vector<const internal::v1::StoredEvent*>& events, size_t begin,
    size_t end, EventOutcomes& outcomes, size_t& committed) {
  std::vector<const internal::v1::StoredEvent*> range(events.begin() + begin,
                                                      events.begin() + end);
  auto written = WriteWithRetry(writer, range);
  if (written.ok()) {
    for (size_t i = 0; i < range.size(); ++i) {
      outcomes[begin + i].fate =
          (*written)[i] ? EventFate::kDuplicate : EventFate::kStored;
    }
    committed = end;
    return absl::OkStatus();
  }
  if (written.status().code() != absl::StatusCode::kInvalidArgument) {
    return written.status();
  }
  if (range.size() > 1) {
    const size_t middle = begin + range.size() / 2;
    absl::Status first =
        CommitRange(writer, events, begin, middle, outcomes, committed);
    if (!first.ok()) return first;
    return CommitRange(writer, events, middle, end, outcomes, committed);
  }
  const std::string reason(written.status().message());
  const absl::Time give_up = clock_.Now() + options_.retry_budget;
  absl::Status kept = writer.DeadLetter(*range[0], reason);
  while (!kept.ok() && IsTransientPgStatus(kept) &&
         clock_.Now() < std::min(give_up, StopBy())) {
    PostgresRetries().Increment();
    clock_.SleepFor(absl::Milliseconds(50));
    kept = writer.DeadLetter(*range[0], reason);
  }
  if (!kept.ok()) return kept;
  LogError("event dead-lettered", {{"shop_id", range[0]->shop_id()},
                                   {"event_id", range[0]->event_id()},
                                   {"reason", reason}});
  outcomes[begin] = {EventFate::kDeadLettered, reason};
  committed = end;
  return absl::OkStatus();
}

}  // namespace shopstream
