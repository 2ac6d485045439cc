// The JSON-to-protobuf path of POST /v1/events, /v1/events:batch and
// /v1/collect: parse (simdjson On-Demand, depth and type checks), name the
// keys left out, fill the message, validate each event as ingest would, and
// print the result back.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/event_validator.h"
#include "gateway/json_transcoder.h"
#include "shopstream/v1/ingest.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const shopstream::gateway::JsonTranscoder* transcoder =
      new shopstream::gateway::JsonTranscoder();
  static const shopstream::EventValidator* validator =
      new shopstream::EventValidator();
  const std::string json(reinterpret_cast<const char*>(data), size);

  shopstream::v1::IngestBatchRequest batch;
  std::vector<std::string> ignored;
  if (transcoder->ParseMessage(json, &batch, &ignored).ok()) {
    // The names go back to the client in an answer: bounded.
    if (ignored.size() >
        shopstream::gateway::JsonTranscoder::kMaxIgnoredFieldsNamed) {
      __builtin_trap();
    }
    for (const shopstream::v1::Event& event : batch.events()) {
      (void)validator->Validate(event);
    }
    (void)transcoder->Print(batch);
  }
  shopstream::v1::IngestRequest single;
  const google::protobuf::FieldDescriptor* event_field =
      single.GetDescriptor()->FindFieldByName("event");
  if (transcoder->ParseField(json, event_field, &single).ok()) {
    auto stored = validator->Validate(single.event());
    if (stored.ok()) (void)transcoder->PrintField(single, event_field);
  }
  return 0;
}
