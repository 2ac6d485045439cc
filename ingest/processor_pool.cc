#include "ingest/processor_pool.h"

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace shopstream {

void ProcessorPool::Publish(std::vector<internal::v1::StoredEvent> events,
                            std::string request_id, EventLane lane, Done done) {
  const size_t n = members_.size();
  const uint64_t start = next_.fetch_add(1, std::memory_order_relaxed);
  for (size_t i = 0; i < n; ++i) {
    EventPublisher* member = members_[(start + i) % n].get();
    if (member->Ready()) {
      member->Publish(std::move(events), std::move(request_id), lane,
                      std::move(done));
      return;
    }
  }
  done(absl::UnavailableError(
           "no processor available; retry with the same event_id"),
       {});
}

bool ProcessorPool::Ready() const {
  for (const auto& m : members_) {
    if (m->Ready()) return true;
  }
  return false;
}

std::vector<std::string> SplitTargets(const std::string& targets) {
  std::vector<std::string> out;
  for (absl::string_view t :
       absl::StrSplit(targets, ',', absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(t));
  }
  return out;
}

}  // namespace shopstream
