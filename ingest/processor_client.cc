#include "ingest/processor_client.h"

#include "common/metrics.h"

namespace shopstream {
namespace {

rpc_stream::StreamClientOptions StreamOptions(
    const ProcessorClientOptions& options) {
  rpc_stream::StreamClientOptions stream;
  stream.name = options.name;
  stream.max_message_weight = options.max_events_per_message;
  // A message carries the events of many calls; its item count is bounded
  // by its events.
  stream.max_message_items = options.max_events_per_message;
  stream.max_outstanding_weight = options.max_outstanding_events;
  stream.max_backoff = options.max_reconnect_pause;
  stream.max_unanswered_messages = options.max_unacknowledged_messages;
  stream.outstanding_gauge = &IngestOutstandingEvents();
  return stream;
}

}  // namespace

PublishTraits::Receipt PublishTraits::Pack(uint64_t, Item&& item,
                                           Request& request) {
  const Receipt receipt{request.events_size(),
                        static_cast<int>(item.events.size())};
  for (internal::v1::StoredEvent& event : item.events) {
    *request.add_events() = std::move(event);
  }
  if (!item.request_id.empty()) {
    request.add_request_ids(std::move(item.request_id));
  }
  request.set_bulk(item.lane == EventLane::kBulk);
  return receipt;
}

absl::StatusOr<PublishTraits::Result> PublishTraits::ResultOf(
    const Response& ack, const Receipt& receipt) {
  if (ack.code() != 0) {
    return absl::Status(static_cast<absl::StatusCode>(ack.code()),
                        ack.message());
  }
  if (ack.fate_size() < receipt.offset + receipt.count) {
    return absl::InternalError("processor ack is missing events");
  }
  EventOutcomes outcomes(receipt.count);
  for (int i = 0; i < receipt.count; ++i) {
    const int index = receipt.offset + i;
    switch (ack.fate(index)) {
      case internal::v1::DUPLICATE:
        outcomes[i].fate = EventFate::kDuplicate;
        break;
      case internal::v1::DEAD_LETTERED: {
        outcomes[i].fate = EventFate::kDeadLettered;
        auto it = ack.dead_letter_reason().find(index);
        if (it != ack.dead_letter_reason().end())
          outcomes[i].reason = it->second;
        break;
      }
      case internal::v1::REFUSED: {
        outcomes[i].fate = EventFate::kRefused;
        auto it = ack.refusal_reason().find(index);
        if (it != ack.refusal_reason().end()) outcomes[i].reason = it->second;
        break;
      }
      default:
        break;
    }
  }
  return outcomes;
}

ProcessorClient::ProcessorClient(std::shared_ptr<grpc::Channel> channel,
                                 ProcessorClientOptions options)
    : stream_(std::move(channel), StreamOptions(options)) {}

void ProcessorClient::Publish(std::vector<internal::v1::StoredEvent> events,
                              std::string request_id, EventLane lane,
                              Done done) {
  if (events.empty()) {
    done(absl::OkStatus(), {});
    return;
  }
  stream_.Submit(
      {std::move(events), std::move(request_id), lane}, absl::InfiniteFuture(),
      [done = std::move(done)](absl::StatusOr<EventOutcomes> result) {
        if (result.ok()) {
          done(absl::OkStatus(), *result);
        } else {
          done(result.status(), {});
        }
      });
}

}  // namespace shopstream
