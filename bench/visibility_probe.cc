#include "bench/visibility_probe.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace shopstream::bench {
namespace {

void SetDeadline(grpc::ClientContext* context, absl::Duration timeout) {
  context->set_deadline(std::chrono::system_clock::now() +
                        absl::ToChronoMilliseconds(timeout));
}

}  // namespace

VisibilityProbe::VisibilityProbe(std::shared_ptr<grpc::Channel> ingest,
                                 std::shared_ptr<grpc::Channel> query,
                                 std::string shop_id, std::string id_prefix,
                                 Options options)
    : ingest_(v1::IngestService::NewStub(ingest)),
      query_(v1::AnalyticsService::NewStub(query)),
      shop_id_(std::move(shop_id)),
      id_prefix_(std::move(id_prefix)),
      options_(options) {
  if (!options_.postgres.empty()) {
    fold_watch_ = std::make_unique<FoldWatch>(options_.postgres);
    result_.fold_lag_measured = true;
  }
}

VisibilityProbe::~VisibilityProbe() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void VisibilityProbe::Start() {
  thread_ = std::thread([this] { Loop(); });
}

VisibilityResult VisibilityProbe::Finish() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  return result_;
}

int64_t VisibilityProbe::CountVisible() {
  grpc::ClientContext context;
  SetDeadline(&context, options_.rpc_timeout);
  v1::GetSummaryRequest request;
  request.set_shop_id(shop_id_);
  v1::Summary summary;
  if (!query_->GetSummary(&context, request, &summary).ok()) return -1;
  return summary.total_page_views() + summary.total_add_to_carts() +
         summary.total_purchases();
}

void VisibilityProbe::NoteFoldError(const absl::Status& status) {
  if (result_.fold_error.empty()) {
    result_.fold_error = std::string(status.message());
  }
}

void VisibilityProbe::FollowFolds() {
  if (fold_watch_ == nullptr || !fold_lag_.pending()) return;
  const absl::Time now = absl::Now();
  if (now - last_fold_poll_ < options_.fold_poll_interval) return;
  last_fold_poll_ = now;
  absl::StatusOr<int64_t> watermark = fold_watch_->Watermark();
  if (!watermark.ok()) {
    NoteFoldError(watermark.status());
    return;
  }
  fold_lag_.Observe(*watermark, absl::Now());
}

void VisibilityProbe::TrackFold(const std::string& event_id,
                                absl::Time acked_at) {
  if (fold_watch_ == nullptr) return;
  absl::StatusOr<int64_t> xid = fold_watch_->AppendXid(shop_id_, event_id);
  if (!xid.ok()) {
    NoteFoldError(xid.status());
    return;
  }
  fold_lag_.Add(*xid, acked_at);
}

void VisibilityProbe::WaitUntil(absl::Time until) {
  while (absl::Now() < until && !stop_) {
    FollowFolds();
    absl::SleepFor(absl::Milliseconds(5));
  }
}

void VisibilityProbe::Loop() {
  // What the shop held before (a rerun with the same shop adds to it).
  int64_t expected = std::max<int64_t>(0, CountVisible());
  absl::Time next = absl::Now();
  for (int i = 0; i < options_.probes && !stop_; ++i) {
    WaitUntil(next);
    if (stop_) break;
    next += options_.interval;

    v1::IngestRequest request;
    v1::Event* event = request.mutable_event();
    event->set_event_id(absl::StrCat(id_prefix_, "-", i));
    event->set_shop_id(shop_id_);
    event->set_event_type("page_view");
    event->mutable_timestamp()->set_seconds(absl::ToUnixSeconds(absl::Now()));
    event->set_product_id("probe");
    const absl::Time sent = absl::Now();
    grpc::ClientContext context;
    SetDeadline(&context, options_.rpc_timeout);
    v1::IngestResponse response;
    ++result_.probes;
    if (!ingest_->Ingest(&context, request, &response).ok()) {
      ++result_.send_failures;
      continue;
    }
    const absl::Time acked = absl::Now();
    ++expected;
    const absl::Time give_up = sent + options_.poll_timeout;
    bool visible = false;
    while (absl::Now() < give_up) {
      if (CountVisible() >= expected) {
        visible = true;
        break;
      }
      absl::SleepFor(options_.poll_interval);
    }
    const absl::Time seen = visible ? absl::Now() : give_up;
    if (!visible) ++result_.not_visible;
    result_.latency_us.Record(absl::ToInt64Microseconds(seen - sent));
    // Looked up after the visibility poll, so that the poll times only the
    // service's answer; the lag still counts from the acknowledgement.
    TrackFold(request.event().event_id(), acked);
    FollowFolds();
  }
  // The last probes' folds, after the window.
  const absl::Time fold_deadline = absl::Now() + options_.fold_timeout;
  while (fold_lag_.pending() && absl::Now() < fold_deadline) {
    absl::SleepFor(options_.fold_poll_interval);
    FollowFolds();
  }
  fold_lag_.GiveUp(absl::Now());
  result_.fold_lag_us = fold_lag_.lag_us();
  result_.not_folded = fold_lag_.not_folded();
}

}  // namespace shopstream::bench
