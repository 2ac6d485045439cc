#ifndef SHOPSTREAM_GATEWAY_JSON_REQUEST_PARSER_H_
#define SHOPSTREAM_GATEWAY_JSON_REQUEST_PARSER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace shopstream::gateway {

// Request JSON into protobuf messages by reflection, on simdjson's On-Demand
// API: the walk fills the message as it reads, so values are parsed once,
// straight into their fields, and each error names the field it is in.
// Thread-safe (each thread parses with a simdjson parser of its own).
//
// Accepts proto field names and json_names, leaves unknown keys out (naming
// them to the caller that asks) and requires JSON types to match the field:
// 64-bit integer kinds also take integer strings; enums take names or
// numbers; google.protobuf.Timestamp takes an RFC 3339 string with an
// offset. Errors are InvalidArgument and name the field path as the client
// wrote it ("events[3].order_amount: ..."), or the offset of malformed JSON.
class JsonRequestParser {
 public:
  JsonRequestParser() = default;
  JsonRequestParser(const JsonRequestParser&) = delete;
  JsonRequestParser& operator=(const JsonRequestParser&) = delete;

  // At most this many ignored keys are named; more are left out unnamed.
  static constexpr size_t kMaxIgnoredFieldsNamed = 20;
  // Arrays and objects nested deeper than this are refused, anywhere.
  static constexpr int kMaxDepth = 64;

  // Merges the JSON object `json` into `message`. With `ignored_fields`,
  // the paths of keys no field has are appended to it ("events[2].colour").
  absl::Status ParseMessage(
      absl::string_view json, google::protobuf::Message* message,
      std::vector<std::string>* ignored_fields = nullptr) const;

  // Merges the JSON value `json` into `field` of `message`; for a REST body
  // bound to one field. Errors inside a message field are named relative to
  // that field, as the client sent it.
  absl::Status ParseField(
      absl::string_view json, const google::protobuf::FieldDescriptor* field,
      google::protobuf::Message* message,
      std::vector<std::string>* ignored_fields = nullptr) const;

  // Sets the field at `field_path` ("shop_id", "event.product_id"; proto or
  // json names) from text, as for path variables and query parameters.
  // Repeated fields get `value` appended. NotFound when there is no such
  // field, InvalidArgument (naming `field_path`) when `value` does not fit or
  // the field is not a scalar, enum or Timestamp.
  absl::Status SetFieldFromString(absl::string_view field_path,
                                  absl::string_view value,
                                  google::protobuf::Message* message) const;

  // The field that JSON key `key` names in `descriptor`, or nullptr.
  const google::protobuf::FieldDescriptor* FindField(
      const google::protobuf::Descriptor* descriptor,
      absl::string_view key) const;

 private:
  using FieldsByKey =
      absl::flat_hash_map<std::string,
                          const google::protobuf::FieldDescriptor*>;

  // Field lookups by both names, built once per message type.
  mutable absl::Mutex mutex_;
  mutable absl::flat_hash_map<const google::protobuf::Descriptor*,
                              std::unique_ptr<const FieldsByKey>>
      fields_by_key_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_JSON_REQUEST_PARSER_H_
