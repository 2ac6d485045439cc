#ifndef SHOPSTREAM_PROCESSOR_EVENT_PIPELINE_SERVICE_H_
#define SHOPSTREAM_PROCESSOR_EVENT_PIPELINE_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>

#include "common/clock.h"
#include "common/event_validator.h"
#include "common/internal_rpc_auth.h"
#include "processor/batch_committer.h"
#include "rpc_stream/answering_reactor.h"
#include "shopstream/internal/v1/pipeline.grpc.pb.h"

namespace shopstream {

// The gRPC face of the processor: each ingest holds a Publish stream, sends
// batches of validated events and gets one ack per batch after commit. A
// callback stream: reading goes on while batches commit, and acks are
// written one at a time, in the order commits end, from the committer's
// threads without making them wait. Streams open only for callers `gate`
// admits, and each event is checked again with `validator`: one that fails
// is refused (fate REFUSED, the reason naming the field) and never reaches
// PostgreSQL, where a far-off timestamp would create a partition.
class EventPipelineService final
    : public internal::v1::EventPipeline::CallbackService {
 public:
  // Reading a stream pauses while `max_unanswered_messages` of its
  // messages wait for their acks. Event times are checked against `clock`.
  EventPipelineService(BatchCommitter* committer, InternalRpcGate gate,
                       EventValidator validator,
                       int64_t max_unanswered_messages = 10000,
                       const Clock& clock = Clock::Real())
      : committer_(committer),
        gate_(std::move(gate)),
        validator_(std::move(validator)),
        max_unanswered_messages_(max_unanswered_messages),
        clock_(clock) {}

  grpc::ServerBidiReactor<internal::v1::PublishRequest,
                          internal::v1::PublishAck>*
  Publish(grpc::CallbackServerContext* context) override;

  // Ends every stream once its acks are written; streams opened later are
  // refused. Ingest holds its streams open for good.
  void Shutdown() { streams_.EndAll(); }

 private:
  BatchCommitter* const committer_;
  const InternalRpcGate gate_;
  const EventValidator validator_;
  const int64_t max_unanswered_messages_;
  const Clock& clock_;
  rpc_stream::OpenStreams streams_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_PROCESSOR_EVENT_PIPELINE_SERVICE_H_
