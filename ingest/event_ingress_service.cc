#include "ingest/event_ingress_service.h"

#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "common/metrics.h"
#include "common/rpc_observer.h"

namespace shopstream {
namespace {

using internal::v1::ForwardItem;
using internal::v1::ForwardRequest;
using internal::v1::ForwardResponse;
using internal::v1::ForwardResult;

// The method an item stands for, in metrics and logs.
constexpr char kIngestMethod[] = "/shopstream.v1.IngestService/Ingest";

class ForwardReactor final
    : public rpc_stream::AnsweringReactor<ForwardRequest, ForwardResponse> {
 public:
  ForwardReactor(IngestHandler* handler, grpc::CallbackServerContext* context,
                 rpc_stream::OpenStreams* streams, const InternalRpcGate& gate,
                 int64_t max_unanswered)
      : AnsweringReactor(context, streams, max_unanswered, /*coalesce=*/true),
        handler_(handler),
        metrics_(RpcMetricsFor(kIngestMethod)) {
    Open(gate);
  }

 private:
  int64_t Units(const ForwardRequest& request) const override {
    return request.items_size();
  }

  void OnMessage(ForwardRequest& request) override {
    for (ForwardItem& item : *request.mutable_items()) Handle(item);
  }

  void Handle(ForwardItem& item) {
    // Handed to the outgoing message as is once answered.
    auto* result = new ForwardResult();
    result->set_id(item.id());
    IngestHandler::Authorization authorization;
    if (item.has_authorization()) {
      authorization = std::move(*item.mutable_authorization());
    }
    // One copy travels with the event, the other names the item in logs.
    std::string request_id = item.request_id();
    handler_->Ingest(item.request(), authorization,
                     std::move(*item.mutable_request_id()),
                     result->mutable_response(),
                     [this, result, request_id = std::move(request_id),
                      started = absl::Now()](grpc::Status status) {
                       ObserveRpc(metrics_, status, absl::Now() - started,
                                  [&request_id] { return request_id; });
                       if (!status.ok()) {
                         result->clear_response();
                         result->set_code(status.error_code());
                         result->set_message(status.error_message());
                         result->set_details(status.error_details());
                       }
                       Answer(1, [result](ForwardResponse& response) {
                         response.mutable_results()->AddAllocated(result);
                       });
                     });
  }

  IngestHandler* const handler_;
  RpcMethodMetrics& metrics_;
};

}  // namespace

grpc::ServerBidiReactor<ForwardRequest, ForwardResponse>*
EventIngressService::Forward(grpc::CallbackServerContext* context) {
  return new ForwardReactor(handler_, context, &streams_, gate_,
                            max_unanswered_items_);
}

}  // namespace shopstream
