#include "gateway/field_text.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace shopstream::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// The range google.protobuf.Timestamp allows: years 0001 to 9999.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;

}  // namespace

bool IsTimestamp(const Descriptor* descriptor) {
  return descriptor != nullptr &&
         descriptor->well_known_type() == Descriptor::WELLKNOWNTYPE_TIMESTAMP;
}

bool IsTimestampField(const FieldDescriptor* field) {
  return field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
         IsTimestamp(field->message_type());
}

// A message field other than Timestamp, which we spell as a string.
bool IsObjectField(const FieldDescriptor* field) {
  return field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
         !IsTimestamp(field->message_type());
}
bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char lead = static_cast<unsigned char>(text[i]);
    int length;
    uint32_t code_point;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code_point = lead & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (int k = 1; k < length; ++k) {
      const unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF.
    static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kMinForLength[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

absl::StatusOr<std::pair<int64_t, int32_t>> TimestampFromText(
    absl::string_view text) {
  absl::Time time;
  std::string ignored_error;
  const absl::Status cannot_parse = absl::InvalidArgumentError(
      absl::StrCat("cannot parse \"", text, "\" as an RFC 3339 time"));
  // RFC3339_full requires the offset ("Z" or "+02:00"), so local times with
  // no zone are refused. ParseTime also knows "infinite-future": out of range.
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &ignored_error)) {
    return cannot_parse;
  }
  if (time == absl::InfiniteFuture() || time == absl::InfinitePast()) {
    return cannot_parse;
  }
  const int64_t seconds = absl::ToUnixSeconds(time);
  if (seconds < kMinTimestampSeconds || seconds > kMaxTimestampSeconds) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is outside years 0001 to 9999"));
  }
  const int32_t nanos = static_cast<int32_t>(
      absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds)));
  return std::make_pair(seconds, nanos);
}

absl::StatusOr<int> EnumNumberFromText(const FieldDescriptor* field,
                                       absl::string_view text) {
  const google::protobuf::EnumDescriptor* type = field->enum_type();
  if (const auto* value = type->FindValueByName(std::string(text))) {
    return value->number();
  }
  int number;
  if (absl::SimpleAtoi(text, &number) &&
      (field->file()->syntax() ==
           google::protobuf::FileDescriptor::SYNTAX_PROTO3 ||
       type->FindValueByNumber(number) != nullptr)) {
    return number;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown value \"", text, "\" for enum ", type->full_name()));
}

absl::StatusOr<std::string> BytesFromBase64(absl::string_view text) {
  std::string bytes;
  if (absl::Base64Unescape(text, &bytes) ||
      absl::WebSafeBase64Unescape(text, &bytes)) {
    return bytes;
  }
  return absl::InvalidArgumentError("expected base64 data");
}

absl::Status OutOfRange(absl::string_view number_text,
                        const FieldDescriptor* field) {
  return absl::InvalidArgumentError(absl::StrCat(
      number_text, " is out of range for ", field->cpp_type_name()));
}

// Integer kinds all travel as int64 or uint64 and are range checked here.
absl::StatusOr<int64_t> CheckSignedRange(int64_t value,
                                         const FieldDescriptor* field) {
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_INT32 &&
      (value < std::numeric_limits<int32_t>::min() ||
       value > std::numeric_limits<int32_t>::max())) {
    return OutOfRange(absl::StrCat(value), field);
  }
  return value;
}

absl::StatusOr<uint64_t> CheckUnsignedRange(uint64_t value,
                                            const FieldDescriptor* field) {
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_UINT32 &&
      value > std::numeric_limits<uint32_t>::max()) {
    return OutOfRange(absl::StrCat(value), field);
  }
  return value;
}

bool IsSignedInteger(const FieldDescriptor* field) {
  return field->cpp_type() == FieldDescriptor::CPPTYPE_INT32 ||
         field->cpp_type() == FieldDescriptor::CPPTYPE_INT64;
}

bool Is64BitInteger(const FieldDescriptor* field) {
  return field->cpp_type() == FieldDescriptor::CPPTYPE_INT64 ||
         field->cpp_type() == FieldDescriptor::CPPTYPE_UINT64;
}

absl::Status StoreText(absl::string_view text, const FieldDescriptor* field,
                       Message* message) {
  const FieldWriter writer(message, field);
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t value;
      if (!absl::SimpleAtoi(text, &value)) {
        return absl::InvalidArgumentError(
            absl::StrCat("cannot parse \"", text, "\" as an integer"));
      }
      absl::StatusOr<int64_t> checked = CheckSignedRange(value, field);
      if (!checked.ok()) return checked.status();
      writer.Int64(*checked);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t value;
      if (!absl::SimpleAtoi(text, &value)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "cannot parse \"", text, "\" as a non-negative integer"));
      }
      absl::StatusOr<uint64_t> checked = CheckUnsignedRange(value, field);
      if (!checked.ok()) return checked.status();
      writer.Uint64(*checked);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double value;
      if (!absl::SimpleAtod(text, &value) || !std::isfinite(value)) {
        return absl::InvalidArgumentError(
            absl::StrCat("cannot parse \"", text, "\" as a number"));
      }
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT &&
          std::fabs(value) > std::numeric_limits<float>::max()) {
        return OutOfRange(text, field);
      }
      writer.Double(value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL:
      if (text == "true" || text == "1") {
        writer.Bool(true);
      } else if (text == "false" || text == "0") {
        writer.Bool(false);
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("cannot parse \"", text, "\" as true or false"));
      }
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_ENUM: {
      absl::StatusOr<int> number = EnumNumberFromText(field, text);
      if (!number.ok()) return number.status();
      writer.Enum(*number);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_STRING:
      if (field->type() == FieldDescriptor::TYPE_BYTES) {
        absl::StatusOr<std::string> bytes = BytesFromBase64(text);
        if (!bytes.ok()) return bytes.status();
        writer.String(*std::move(bytes));
        return absl::OkStatus();
      }
      if (!IsValidUtf8(text)) {
        return absl::InvalidArgumentError("not valid UTF-8");
      }
      writer.String(std::string(text));
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_MESSAGE:
      if (IsTimestamp(field->message_type())) {
        absl::StatusOr<std::pair<int64_t, int32_t>> timestamp =
            TimestampFromText(text);
        if (!timestamp.ok()) return timestamp.status();
        writer.Timestamp(*timestamp);
        return absl::OkStatus();
      }
      break;
  }
  return absl::InvalidArgumentError("cannot be set from text");
}

// Walks a parsed JSON document into a message, keeping the JSON path of the

}  // namespace shopstream::gateway
