#ifndef SHOPSTREAM_PROCESSOR_EVENT_PIPELINE_SERVICE_H_
#define SHOPSTREAM_PROCESSOR_EVENT_PIPELINE_SERVICE_H_

#include "processor/batch_committer.h"
#include "shopstream/internal/v1/pipeline.grpc.pb.h"

namespace shopstream {

// The gRPC face of the processor: each ingest holds a Publish stream, sends
// batches of validated events and gets one ack per batch after commit.
class EventPipelineService final : public internal::v1::EventPipeline::Service {
 public:
  explicit EventPipelineService(BatchCommitter* committer)
      : committer_(committer) {}

  grpc::Status Publish(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<internal::v1::PublishAck,
                               internal::v1::PublishRequest>* stream) override;

 private:
  BatchCommitter* committer_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_PROCESSOR_EVENT_PIPELINE_SERVICE_H_
