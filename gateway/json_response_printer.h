#ifndef SHOPSTREAM_GATEWAY_JSON_RESPONSE_PRINTER_H_
#define SHOPSTREAM_GATEWAY_JSON_RESPONSE_PRINTER_H_

#include <string>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace shopstream::gateway {

// Response JSON, by reflection: every field under its proto name in
// declaration order, defaults included, null for unset fields with explicit
// presence (left out instead where the field says
// (shopstream.api.json_omit_when_unset)), int64 as JSON numbers, Timestamp
// as RFC 3339 UTC ("...Z"), enums by name.
std::string JsonOfMessage(const google::protobuf::Message& message);

// The JSON of one field's value; a message field that is unset prints as
// its default instance.
std::string JsonOfField(const google::protobuf::Message& message,
                        const google::protobuf::FieldDescriptor* field);

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_JSON_RESPONSE_PRINTER_H_
