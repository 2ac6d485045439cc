#ifndef SHOPSTREAM_INGEST_INGEST_SERVICE_H_
#define SHOPSTREAM_INGEST_INGEST_SERVICE_H_

#include "common/event_validator.h"
#include "ingest/processor_client.h"
#include "shopstream/v1/ingest.grpc.pb.h"

namespace shopstream {

inline constexpr int kMaxEventsPerBatch = 1000;

// Validates events and answers only after the publisher has committed them.
// Callback handlers: no thread waits while an event is being committed.
class IngestService final : public v1::IngestService::CallbackService {
 public:
  explicit IngestService(EventPublisher* publisher) : publisher_(publisher) {}

  grpc::ServerUnaryReactor* Ingest(grpc::CallbackServerContext* context,
                                   const v1::IngestRequest* request,
                                   v1::IngestResponse* response) override;
  grpc::ServerUnaryReactor* IngestBatch(
      grpc::CallbackServerContext* context,
      const v1::IngestBatchRequest* request,
      v1::IngestBatchResponse* response) override;
  grpc::ServerReadReactor<v1::Event>* StreamEvents(
      grpc::CallbackServerContext* context,
      v1::StreamEventsResponse* response) override;
  grpc::ServerUnaryReactor* Health(grpc::CallbackServerContext* context,
                                   const v1::HealthRequest* request,
                                   v1::HealthResponse* response) override;

 private:
  EventPublisher* publisher_;
  EventValidator validator_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_INGEST_INGEST_SERVICE_H_
