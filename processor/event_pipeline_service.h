#ifndef SHOPSTREAM_PROCESSOR_EVENT_PIPELINE_SERVICE_H_
#define SHOPSTREAM_PROCESSOR_EVENT_PIPELINE_SERVICE_H_

#include "common/event_validator.h"
#include "common/internal_rpc_auth.h"
#include "processor/batch_committer.h"
#include "shopstream/internal/v1/pipeline.grpc.pb.h"

namespace shopstream {

// The gRPC face of the processor: each ingest holds a Publish stream, sends
// batches of validated events and gets one ack per batch after commit.
// Streams open only for callers `gate` admits, and each event is checked
// again with `validator`: one that fails is refused (fate REFUSED, the
// reason naming the field) and never reaches PostgreSQL, where a far-off
// timestamp would create a partition.
class EventPipelineService final : public internal::v1::EventPipeline::Service {
 public:
  EventPipelineService(BatchCommitter* committer, InternalRpcGate gate,
                       EventValidator validator)
      : committer_(committer),
        gate_(std::move(gate)),
        validator_(std::move(validator)) {}

  grpc::Status Publish(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<internal::v1::PublishAck,
                               internal::v1::PublishRequest>* stream) override;

 private:
  BatchCommitter* committer_;
  const InternalRpcGate gate_;
  const EventValidator validator_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_PROCESSOR_EVENT_PIPELINE_SERVICE_H_
