#include "query/summary_watchers.h"

#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/log.h"

namespace shopstream {
namespace {

class RefusedWatch : public grpc::ServerWriteReactor<v1::Summary> {
 public:
  explicit RefusedWatch(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t micros = absl::ToUnixMicros(t);
  ts.set_seconds(micros / 1000000);
  ts.set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
  return ts;
}

}  // namespace

// One stream. Its fields are guarded by the owner's mutex; gRPC's
// Finish/StartWrite are called without it, since gRPC may run reactions on
// the calling thread.
class SummaryWatchers::WatchStream
    : public grpc::ServerWriteReactor<v1::Summary> {
 public:
  WatchStream(SummaryWatchers* owner, v1::GetSummaryRequest request,
              std::string key_id, StillAllowed still_allowed)
      : owner_(owner),
        request_(std::move(request)),
        request_key_(request_.SerializeAsString()),
        key_id_(std::move(key_id)),
        still_allowed_(std::move(still_allowed)) {}

  void OnWriteDone(bool ok) override {
    std::optional<grpc::Status> finish;
    {
      absl::MutexLock lock(&owner_->mu_);
      writing_ = false;
      // A failed write means the call is gone; it still must be finished.
      if (!ok && !pending_finish_) pending_finish_ = grpc::Status::CANCELLED;
      if (pending_finish_ && !finish_called_) {
        finish_called_ = true;
        finish = std::move(pending_finish_);
      }
      owner_->woken_ = true;
    }
    if (finish) Finish(std::move(*finish));
  }

  void OnCancel() override { End(grpc::Status::CANCELLED); }

  void OnDone() override { owner_->Remove(this); }

  // Finishes now, or after the write in flight.
  void End(grpc::Status status) {
    {
      absl::MutexLock lock(&owner_->mu_);
      if (finish_called_) return;
      if (writing_) {
        if (!pending_finish_) pending_finish_ = std::move(status);
        return;
      }
      finish_called_ = true;
    }
    Finish(std::move(status));
  }

  SummaryWatchers* const owner_;
  const v1::GetSummaryRequest request_;
  const std::string request_key_;  // watchers of equal requests share work
  const std::string key_id_;
  const StillAllowed still_allowed_;

  // Guarded by owner_->mu_.
  bool dirty_ = true;  // the first summary is due at once
  bool writing_ = false;
  bool finish_called_ = false;
  bool ever_sent_ = false;
  absl::Time next_push_ = absl::InfinitePast();
  std::optional<grpc::Status> pending_finish_;
  v1::Summary message_;  // what the write in flight sends
};

SummaryWatchers::SummaryWatchers(ComputeSummary compute, WatchOptions options,
                                 const Clock& clock)
    : compute_(std::move(compute)),
      options_(options),
      clock_(clock),
      slots_({.total = options.max_watchers,
              .per_shop = options.max_watchers_per_shop,
              .per_key = options.max_watchers_per_key}) {
  worker_ = std::thread([this] { Run(); });
}

SummaryWatchers::~SummaryWatchers() { Stop(); }

grpc::ServerWriteReactor<v1::Summary>* SummaryWatchers::Refuse(
    grpc::Status status) {
  return new RefusedWatch(std::move(status));
}

grpc::ServerWriteReactor<v1::Summary>* SummaryWatchers::Watch(
    const v1::GetSummaryRequest& request, const std::string& key_id,
    StillAllowed still_allowed) {
  auto watch = std::make_shared<WatchStream>(this, request, key_id,
                                             std::move(still_allowed));
  size_t count = 0;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      return Refuse(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                 "the query service is shutting down"));
    }
    if (absl::Status slot = slots_.Take(request.shop_id(), key_id);
        !slot.ok()) {
      return Refuse(ToGrpcStatus(slot));
    }
    watches_[watch.get()] = watch;
    count = watches_.size();
    woken_ = true;
  }
  LogInfo("watch started", {{"shop_id", request.shop_id()},
                            {"key_id", key_id},
                            {"watchers", absl::StrCat(count)}});
  return watch.get();
}

void SummaryWatchers::Remove(WatchStream* watch) {
  std::shared_ptr<WatchStream> last;  // may end `watch` on return
  size_t count = 0;
  {
    absl::MutexLock lock(&mu_);
    auto it = watches_.find(watch);
    if (it == watches_.end()) return;
    last = std::move(it->second);
    watches_.erase(it);
    slots_.Release(last->request_.shop_id(), last->key_id_);
    count = watches_.size();
  }
  LogInfo("watch ended", {{"watchers", absl::StrCat(count)}});
}

void SummaryWatchers::MarkDirty(
    const std::function<bool(const WatchStream&)>& matches) {
  absl::MutexLock lock(&mu_);
  bool any = false;
  for (auto& [pointer, watch] : watches_) {
    if (matches(*watch)) {
      watch->dirty_ = true;
      any = true;
    }
  }
  if (any) woken_ = true;
}

void SummaryWatchers::OnCommit(const std::vector<std::string>& shops) {
  const absl::flat_hash_set<std::string> touched(shops.begin(), shops.end());
  MarkDirty([&](const WatchStream& watch) {
    const std::string& shop = watch.request_.shop_id();
    return shop.empty() || touched.contains(shop);
  });
}

void SummaryWatchers::OnGap() {
  MarkDirty([](const WatchStream&) { return true; });
}

void SummaryWatchers::Run() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    // Whatever woke the worker so far is seen by the scan below.
    woken_ = false;
    const absl::Time now = clock_.Now();
    std::vector<std::shared_ptr<WatchStream>> due;
    absl::Time next_wake = absl::InfiniteFuture();
    for (auto& [pointer, watch] : watches_) {
      if (!watch->dirty_ || watch->writing_ || watch->finish_called_ ||
          watch->pending_finish_) {
        continue;
      }
      if (watch->next_push_ <= now) {
        watch->dirty_ = false;
        due.push_back(watch);
      } else {
        next_wake = std::min(next_wake, watch->next_push_);
      }
    }
    if (due.empty()) {
      clock_.AwaitWithDeadline(mu_, absl::Condition(&woken_), next_wake);
      continue;
    }

    // One computation per distinct request, outside the lock, for the
    // watchers still allowed to see it.
    absl::flat_hash_map<std::string, absl::StatusOr<v1::Summary>> results;
    // Kept as failed summaries, so either kind is read the same way below.
    absl::flat_hash_map<WatchStream*, absl::StatusOr<v1::Summary>> refused;
    mu_.Unlock();
    for (const auto& watch : due) {
      if (watch->still_allowed_) {
        if (absl::Status allowed = watch->still_allowed_(); !allowed.ok()) {
          refused.emplace(watch.get(), std::move(allowed));
          continue;
        }
      }
      if (results.contains(watch->request_key_)) continue;
      absl::StatusOr<v1::Summary> summary = compute_(watch->request_);
      if (summary.ok() && !summary->has_as_of()) {
        *summary->mutable_as_of() = ToTimestamp(clock_.Now());
      }
      results.emplace(watch->request_key_, std::move(summary));
    }
    mu_.Lock();

    std::vector<std::shared_ptr<WatchStream>> to_write;
    std::vector<std::pair<std::shared_ptr<WatchStream>, grpc::Status>> to_end;
    const absl::Time computed = clock_.Now();
    for (const auto& watch : due) {
      if (watch->finish_called_ || watch->pending_finish_) continue;
      auto it = refused.find(watch.get());
      // A key that cannot be checked now (its store unreachable) is tried
      // again like a failed summary; one that fails its check ends the
      // stream.
      if (it != refused.end() && !absl::IsUnavailable(it->second.status())) {
        to_end.emplace_back(watch, ToGrpcStatus(it->second.status()));
        continue;
      }
      const absl::StatusOr<v1::Summary>& summary =
          it != refused.end() ? it->second : results.at(watch->request_key_);
      if (summary.ok()) {
        watch->message_ = *summary;
        watch->writing_ = true;
        watch->ever_sent_ = true;
        watch->next_push_ = computed + options_.min_interval;
        to_write.push_back(watch);
      } else if (!watch->ever_sent_) {
        // Nothing sent yet: fail the call as GetSummary would.
        to_end.emplace_back(watch, ToGrpcStatus(summary.status()));
      } else {
        watch->dirty_ = true;
        watch->next_push_ = computed + options_.retry_after_error;
      }
    }
    mu_.Unlock();
    for (const auto& watch : to_write) watch->StartWrite(&watch->message_);
    for (auto& [watch, status] : to_end) watch->End(std::move(status));
    to_write.clear();
    to_end.clear();
    due.clear();
    mu_.Lock();
  }
}

void SummaryWatchers::Stop(absl::Duration grace) {
  std::vector<std::shared_ptr<WatchStream>> watches;
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      stopping_ = true;
      woken_ = true;
    }
    for (auto& [pointer, watch] : watches_) watches.push_back(watch);
  }
  if (worker_.joinable()) worker_.join();
  for (const auto& watch : watches) {
    watch->End(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            "the query service is shutting down"));
  }
  watches.clear();
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(
      absl::Condition(
          +[](absl::flat_hash_map<WatchStream*, std::shared_ptr<WatchStream>>*
                  watches) { return watches->empty(); },
          &watches_),
      grace);
}

int SummaryWatchers::size() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(watches_.size());
}

}  // namespace shopstream
