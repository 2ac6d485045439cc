#ifndef SHOPSTREAM_INGEST_EVENT_INGRESS_SERVICE_H_
#define SHOPSTREAM_INGEST_EVENT_INGRESS_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>

#include "common/internal_rpc_auth.h"
#include "ingest/ingest_service.h"
#include "rpc_stream/answering_reactor.h"
#include "shopstream/internal/v1/ingress.grpc.pb.h"

namespace shopstream {

// The gateway's stream of single events: each item is handled exactly as
// a call of IngestService.Ingest carrying the item's credential and
// request id (IngestHandler::Ingest), counted and logged under that
// method, and answered on its own once settled. Streams open only for
// callers `gate` admits.
class EventIngressService final
    : public internal::v1::EventIngress::CallbackService {
 public:
  // Reading a stream pauses while `max_unanswered_items` of its items wait
  // for their answers.
  EventIngressService(IngestHandler* handler, InternalRpcGate gate,
                      int64_t max_unanswered_items = 20000)
      : handler_(handler),
        gate_(std::move(gate)),
        max_unanswered_items_(max_unanswered_items) {}

  grpc::ServerBidiReactor<internal::v1::ForwardRequest,
                          internal::v1::ForwardResponse>*
  Forward(grpc::CallbackServerContext* context) override;

  // Ends every stream once its items are answered; streams opened later
  // are refused. The gateway's streams never end by themselves, and a
  // server shutting down would wait its whole deadline for them.
  void Shutdown() { streams_.EndAll(); }

 private:
  IngestHandler* const handler_;
  const InternalRpcGate gate_;
  const int64_t max_unanswered_items_;
  rpc_stream::OpenStreams streams_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_INGEST_EVENT_INGRESS_SERVICE_H_
