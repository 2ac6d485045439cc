#include "gateway/json_transcoder.h"

#include "gateway/json_response_printer.h"

namespace shopstream::gateway {

std::string JsonTranscoder::Print(
    const google::protobuf::Message& message) const {
  return JsonOfMessage(message);
}

std::string JsonTranscoder::PrintField(
    const google::protobuf::Message& message,
    const google::protobuf::FieldDescriptor* field) const {
  return JsonOfField(message, field);
}

}  // namespace shopstream::gateway
