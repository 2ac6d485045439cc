#ifndef SHOPSTREAM_GATEWAY_JSON_TRANSCODER_H_
#define SHOPSTREAM_GATEWAY_JSON_TRANSCODER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gateway/json_request_parser.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace shopstream::gateway {

// JSON <-> protobuf by reflection, for any message: request JSON in through
// JsonRequestParser (gateway/json_request_parser.h), response JSON out
// through gateway/json_response_printer.h. Ours rather than protobuf's
// JsonUtil because the REST API prints int64 as JSON numbers, prints null
// for unset fields with explicit presence, refuses JSON of the wrong type
// and names the field in every error. Thread-safe.
class JsonTranscoder {
 public:
  JsonTranscoder() = default;
  JsonTranscoder(const JsonTranscoder&) = delete;
  JsonTranscoder& operator=(const JsonTranscoder&) = delete;

  // At most this many ignored keys are named; more are left out unnamed.
  static constexpr size_t kMaxIgnoredFieldsNamed =
      JsonRequestParser::kMaxIgnoredFieldsNamed;

  // See JsonRequestParser.
  absl::Status ParseMessage(
      absl::string_view json, google::protobuf::Message* message,
      std::vector<std::string>* ignored_fields = nullptr) const {
    return request_.ParseMessage(json, message, ignored_fields);
  }
  absl::Status ParseField(
      absl::string_view json, const google::protobuf::FieldDescriptor* field,
      google::protobuf::Message* message,
      std::vector<std::string>* ignored_fields = nullptr) const {
    return request_.ParseField(json, field, message, ignored_fields);
  }
  absl::Status SetFieldFromString(absl::string_view field_path,
                                  absl::string_view value,
                                  google::protobuf::Message* message) const {
    return request_.SetFieldFromString(field_path, value, message);
  }
  const google::protobuf::FieldDescriptor* FindField(
      const google::protobuf::Descriptor* descriptor,
      absl::string_view key) const {
    return request_.FindField(descriptor, key);
  }

  // See gateway/json_response_printer.h.
  std::string Print(const google::protobuf::Message& message) const;
  std::string PrintField(const google::protobuf::Message& message,
                         const google::protobuf::FieldDescriptor* field) const;

 private:
  JsonRequestParser request_;
};

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_JSON_TRANSCODER_H_
