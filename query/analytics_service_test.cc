// The unary methods run their blocking work on the query service's own
// pool, and a full pool's queue is refused at once.
#include "query/analytics_service.h"

#include <grpcpp/grpcpp.h>

#include <future>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/grpc_status.h"
#include "gtest/gtest.h"

namespace shopstream {
namespace {

// Answers every summary once released, and says on which thread it ran.
class HeldQueries final : public AnalyticsQueries {
 public:
  absl::StatusOr<v1::Summary> Summary(
      const v1::GetSummaryRequest& request) const override {
    {
      absl::MutexLock lock(&mu_);
      threads_.push_back(std::this_thread::get_id());
    }
    release_.WaitForNotification();
    v1::Summary summary;
    summary.set_total_page_views(7);
    return summary;
  }
  absl::StatusOr<v1::TimeSeries> TimeSeries(
      const v1::GetTimeSeriesRequest&) const override {
    return absl::UnimplementedError("not here");
  }
  absl::StatusOr<v1::TopProducts> TopProducts(
      const v1::GetTopProductsRequest&) const override {
    return absl::UnimplementedError("not here");
  }
  absl::StatusOr<v1::Funnel> Funnel(
      const v1::GetFunnelRequest&) const override {
    return absl::UnimplementedError("not here");
  }
  absl::StatusOr<v1::ListEventsResponse> ListEvents(
      const v1::ListEventsRequest&) const override {
    return absl::UnimplementedError("not here");
  }
  absl::StatusOr<v1::Engagement> Engagement(
      const v1::GetEngagementRequest&) const override {
    return absl::UnimplementedError("not here");
  }
  absl::StatusOr<v1::Breakdown> Breakdown(
      const v1::GetBreakdownRequest&) const override {
    return absl::UnimplementedError("not here");
  }
  absl::StatusOr<v1::DataRange> DataRange(
      const v1::GetDataRangeRequest&) const override {
    return absl::UnimplementedError("not here");
  }

  void Release() {
    if (!release_.HasBeenNotified()) release_.Notify();
  }
  bool AwaitStarted(size_t n) const {
    absl::MutexLock lock(&mu_);
    auto started = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return threads_.size() >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&started), absl::Seconds(30));
  }
  std::vector<std::thread::id> threads() const {
    absl::MutexLock lock(&mu_);
    return threads_;
  }

 private:
  mutable absl::Mutex mu_;
  mutable std::vector<std::thread::id> threads_ ABSL_GUARDED_BY(mu_);
  mutable absl::Notification release_;
};

class AnalyticsServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    stub_ = v1::AnalyticsService::NewStub(
        server_->InProcessChannel(grpc::ChannelArguments()));
  }
  void TearDown() override {
    queries_.Release();
    server_->Shutdown();
    work_.Stop();
  }

  // A GetSummary call on a thread of its own.
  std::future<std::pair<grpc::Status, v1::Summary>> GetSummary() {
    return std::async(std::launch::async, [this] {
      grpc::ClientContext context;
      v1::GetSummaryRequest request;
      request.set_shop_id("shop");
      v1::Summary summary;
      grpc::Status status = stub_->GetSummary(&context, request, &summary);
      return std::make_pair(status, summary);
    });
  }

  HeldQueries queries_;
  // One thread, one waiting query.
  BlockingWorkPool work_{1, 1};
  AnalyticsService service_{&queries_, &work_};
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::AnalyticsService::Stub> stub_;
};

TEST_F(AnalyticsServiceTest, BeyondThePoolsQueueCallsAreRefusedAtOnce) {
  auto running = GetSummary();
  ASSERT_TRUE(queries_.AwaitStarted(1));
  auto waiting = GetSummary();
  for (int i = 0; i < 1500 && work_.queued() < 1; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(work_.queued(), 1u);
  // The thread is busy and the queue full: refused at once.
  const grpc::Status refused = GetSummary().get().first;
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(RetryDelayOf(refused), absl::Seconds(1));

  queries_.Release();
  EXPECT_TRUE(running.get().first.ok());
  const auto [status, summary] = waiting.get();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(summary.total_page_views(), 7);
  // Every query ran on the pool's one thread, none on gRPC's.
  const std::vector<std::thread::id> threads = queries_.threads();
  ASSERT_GE(threads.size(), 2u);
  for (const auto& id : threads) EXPECT_EQ(id, threads[0]);
}

TEST_F(AnalyticsServiceTest, HealthNeedsNoThreadOfThePool) {
  auto running = GetSummary();
  ASSERT_TRUE(queries_.AwaitStarted(1));
  grpc::ClientContext context;
  v1::HealthResponse health;
  EXPECT_TRUE(stub_->Health(&context, v1::HealthRequest(), &health).ok());
  EXPECT_EQ(health.status(), "healthy");
  queries_.Release();
  EXPECT_TRUE(running.get().first.ok());
}

}  // namespace
}  // namespace shopstream
