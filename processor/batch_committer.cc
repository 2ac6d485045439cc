#include "processor/batch_committer.h"

#include "absl/time/clock.h"
#include "common/log.h"
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

void Answer(std::vector<Submission>& batch, const absl::Status& status,
            const std::vector<bool>& duplicate) {
  size_t offset = 0;
  for (auto& s : batch) {
    const size_t n = s.request.events_size();
    if (status.ok()) {
      s.done(status, std::vector<bool>(duplicate.begin() + offset,
                                       duplicate.begin() + offset + n));
    } else {
      s.done(status, {});
    }
    offset += n;
  }
}

}  // namespace

BatchCommitter::BatchCommitter(CommitterOptions options)
    : options_(std::move(options)), batcher_(options_.batch) {}

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

void BatchCommitter::Stop() {
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
  }
}

absl::StatusOr<std::vector<bool>> BatchCommitter::WriteWithRetry(
    BatchWriter& writer,
    const std::vector<const internal::v1::StoredEvent*>& events) {
  const absl::Time give_up = absl::Now() + options_.retry_budget;
  absl::Duration pause = absl::Milliseconds(20);
  while (true) {
    auto result = writer.Write(events);
    if (result.ok() || !IsTransientPgStatus(result.status())) return result;
    if (absl::Now() + pause > give_up) {
      return absl::UnavailableError(
          absl::StrCat("cannot commit to postgres: ", result.status().message()));
    }
    LogWarning("retrying batch", {{"events", std::to_string(events.size())},
                                  {"error", std::string(result.status().message())}});
    absl::SleepFor(pause);
    pause = std::min(pause * 2, absl::Seconds(1));
  }
}

void BatchCommitter::Commit(BatchWriter& writer, std::vector<Submission>& batch) {
  auto result = WriteWithRetry(writer, EventsOf(batch));
  if (result.ok() || batch.size() == 1 ||
      result.status().code() != absl::StatusCode::kInvalidArgument) {
    if (!result.ok()) {
      LogError("batch not committed",
               {{"error", std::string(result.status().message())}});
    }
    Answer(batch, result.status(), result.ok() ? *result : std::vector<bool>());
    return;
  }
  // PostgreSQL refused something in the batch: commit the submissions one by
  // one, so only the one that carries it is refused.
  for (auto& s : batch) {
    std::vector<Submission> one;
    one.push_back(std::move(s));
    Commit(writer, one);
  }
}

}  // namespace shopstream
