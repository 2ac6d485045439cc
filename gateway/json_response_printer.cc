#include "gateway/json_response_printer.h"

#include <charconv>
#include <cmath>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gateway/field_text.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "shopstream/api/options.pb.h"

namespace shopstream::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void WriteString(absl::string_view text, JsonWriter& writer) {
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void WriteDouble(double value, JsonWriter& writer) {
  // JSON has no NaN or Infinity; proto3 JSON spells them as strings.
  if (std::isnan(value)) {
    WriteString("NaN", writer);
  } else if (std::isinf(value)) {
    WriteString(value > 0 ? "Infinity" : "-Infinity", writer);
  } else {
    writer.Double(value);
  }
}

void WriteFloat(float value, JsonWriter& writer) {
  if (!std::isfinite(value)) {
    WriteDouble(value, writer);
    return;
  }
  // Shortest text that reads back as the same float: 0.1f prints as 0.1,
  // not 0.10000000149011612.
  char text[32];
  const std::to_chars_result result =
      std::to_chars(text, text + sizeof(text) - 2, value);
  size_t length = static_cast<size_t>(result.ptr - text);
  // Like RapidJSON's doubles: 8 prints as 8.0.
  if (absl::string_view(text, length).find_first_of(".e") ==
      absl::string_view::npos) {
    text[length++] = '.';
    text[length++] = '0';
  }
  writer.RawValue(text, length, rapidjson::kNumberType);
}

void WriteTimestamp(const Message& timestamp, JsonWriter& writer) {
  const Descriptor* descriptor = timestamp.GetDescriptor();
  const Reflection* reflection = timestamp.GetReflection();
  const absl::Time time =
      absl::FromUnixSeconds(
          reflection->GetInt64(timestamp, descriptor->field(0))) +
      absl::Nanoseconds(reflection->GetInt32(timestamp, descriptor->field(1)));
  WriteString(
      absl::FormatTime("%E4Y-%m-%d%ET%H:%M:%E*SZ", time, absl::UTCTimeZone()),
      writer);
}

void WriteMessage(const Message& message, JsonWriter& writer);

// One value: of a singular field (index < 0) or one element of a repeated one.
void WriteValue(const Message& message, const FieldDescriptor* field, int index,
                JsonWriter& writer) {
  const Reflection* reflection = message.GetReflection();
  const bool repeated = index >= 0;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      writer.Int(repeated ? reflection->GetRepeatedInt32(message, field, index)
                          : reflection->GetInt32(message, field));
      return;
    case FieldDescriptor::CPPTYPE_INT64:
      writer.Int64(repeated
                       ? reflection->GetRepeatedInt64(message, field, index)
                       : reflection->GetInt64(message, field));
      return;
    case FieldDescriptor::CPPTYPE_UINT32:
      writer.Uint(repeated
                      ? reflection->GetRepeatedUInt32(message, field, index)
                      : reflection->GetUInt32(message, field));
      return;
    case FieldDescriptor::CPPTYPE_UINT64:
      writer.Uint64(repeated
                        ? reflection->GetRepeatedUInt64(message, field, index)
                        : reflection->GetUInt64(message, field));
      return;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      WriteDouble(repeated
                      ? reflection->GetRepeatedDouble(message, field, index)
                      : reflection->GetDouble(message, field),
                  writer);
      return;
    case FieldDescriptor::CPPTYPE_FLOAT:
      WriteFloat(repeated ? reflection->GetRepeatedFloat(message, field, index)
                          : reflection->GetFloat(message, field),
                 writer);
      return;
    case FieldDescriptor::CPPTYPE_BOOL:
      writer.Bool(repeated ? reflection->GetRepeatedBool(message, field, index)
                           : reflection->GetBool(message, field));
      return;
    case FieldDescriptor::CPPTYPE_ENUM: {
      const int number =
          repeated ? reflection->GetRepeatedEnumValue(message, field, index)
                   : reflection->GetEnumValue(message, field);
      const google::protobuf::EnumValueDescriptor* value =
          field->enum_type()->FindValueByNumber(number);
      // Numbers this build does not know (open enums) print as numbers.
      if (value != nullptr) {
        WriteString(value->name(), writer);
      } else {
        writer.Int(number);
      }
      return;
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& text =
          repeated ? reflection->GetRepeatedStringReference(message, field,
                                                            index, &scratch)
                   : reflection->GetStringReference(message, field, &scratch);
      if (field->type() == FieldDescriptor::TYPE_BYTES) {
        WriteString(absl::Base64Escape(text), writer);
      } else {
        WriteString(text, writer);
      }
      return;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Message& child =
          repeated ? reflection->GetRepeatedMessage(message, field, index)
                   : reflection->GetMessage(message, field);
      if (IsTimestamp(field->message_type())) {
        WriteTimestamp(child, writer);
      } else {
        WriteMessage(child, writer);
      }
      return;
    }
  }
}

std::string MapKeyText(const Message& entry, const FieldDescriptor* key) {
  const Reflection* reflection = entry.GetReflection();
  switch (key->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(reflection->GetInt32(entry, key));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(reflection->GetInt64(entry, key));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(reflection->GetUInt32(entry, key));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(reflection->GetUInt64(entry, key));
    case FieldDescriptor::CPPTYPE_BOOL:
      return reflection->GetBool(entry, key) ? "true" : "false";
    default:
      return reflection->GetString(entry, key);
  }
}

// The whole field: an array for repeated fields, an object for maps, null
// for unset fields that track presence.
void WriteField(const Message& message, const FieldDescriptor* field,
                JsonWriter& writer) {
  const Reflection* reflection = message.GetReflection();
  if (field->is_map()) {
    writer.StartObject();
    const Descriptor* entry_type = field->message_type();
    const int size = reflection->FieldSize(message, field);
    for (int i = 0; i < size; ++i) {
      const Message& entry = reflection->GetRepeatedMessage(message, field, i);
      WriteString(MapKeyText(entry, entry_type->map_key()), writer);
      WriteValue(entry, entry_type->map_value(), -1, writer);
    }
    writer.EndObject();
  } else if (field->is_repeated()) {
    writer.StartArray();
    const int size = reflection->FieldSize(message, field);
    for (int i = 0; i < size; ++i) WriteValue(message, field, i, writer);
    writer.EndArray();
  } else if (field->has_presence() && !reflection->HasField(message, field)) {
    writer.Null();
  } else {
    WriteValue(message, field, -1, writer);
  }
}

void WriteMessage(const Message& message, JsonWriter& writer) {
  const Descriptor* descriptor = message.GetDescriptor();
  writer.StartObject();
  const int count = descriptor->field_count();
  const Reflection* reflection = message.GetReflection();
  for (int i = 0; i < count; ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (field->options().GetExtension(shopstream::api::json_omit_when_unset)) {
      if (field->is_repeated() ? reflection->FieldSize(message, field) == 0
                               : field->has_presence() &&
                                     !reflection->HasField(message, field)) {
        continue;
      }
    }
    WriteString(field->name(), writer);
    WriteField(message, field, writer);
  }
  writer.EndObject();
}

}  // namespace

std::string JsonOfMessage(const Message& message) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  WriteMessage(message, writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string JsonOfField(const Message& message, const FieldDescriptor* field) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  if (field->is_repeated()) {
    WriteField(message, field, writer);
  } else {
    WriteValue(message, field, -1, writer);
  }
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace shopstream::gateway
