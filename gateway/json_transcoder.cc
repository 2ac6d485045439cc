#include "gateway/json_transcoder.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "rapidjson/document.h"
#include "rapidjson/encodedstream.h"
#include "rapidjson/error/en.h"
#include "rapidjson/memorystream.h"
#include "rapidjson/reader.h"
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

// Numbers as text, converted by ExactNumberHandler; iterative so deeply
// nested input cannot exhaust an io thread's stack; invalid UTF-8 would
// otherwise reach protobuf string fields.
constexpr unsigned kParseFlags = rapidjson::kParseNumbersAsStringsFlag |
                                 rapidjson::kParseIterativeFlag |
                                 rapidjson::kParseValidateEncodingFlag;

// Bounds recursion through self-referencing message types.
constexpr int kMaxMessageDepth = 64;

// The range google.protobuf.Timestamp allows: years 0001 to 9999.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;

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

const char* JsonTypeName(const rapidjson::Value& value) {
  switch (value.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "boolean";
    case rapidjson::kObjectType:
      return "object";
    case rapidjson::kArrayType:
      return "array";
    case rapidjson::kStringType:
      return "string";
    case rapidjson::kNumberType:
      return "number";
  }
  return "unknown";
}

absl::string_view StringOf(const rapidjson::Value& value) {
  return absl::string_view(value.GetString(), value.GetStringLength());
}

std::string NumberText(const rapidjson::Value& value) {
  if (value.IsInt64()) return absl::StrCat(value.GetInt64());
  if (value.IsUint64()) return absl::StrCat(value.GetUint64());
  return absl::StrCat(value.GetDouble());
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

// Conversions from text shared by JSON strings, path variables and query
// parameters. Errors do not name the field; callers prefix it.

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

// Stores into `field` of `message`: appended when the field is repeated.
class FieldWriter {
 public:
  FieldWriter(Message* message, const FieldDescriptor* field)
      : message_(message),
        field_(field),
        reflection_(message->GetReflection()),
        add_(field->is_repeated()) {}

  void Int64(int64_t value) const {
    if (field_->cpp_type() == FieldDescriptor::CPPTYPE_INT32) {
      const auto narrow = static_cast<int32_t>(value);
      add_ ? reflection_->AddInt32(message_, field_, narrow)
           : reflection_->SetInt32(message_, field_, narrow);
    } else {
      add_ ? reflection_->AddInt64(message_, field_, value)
           : reflection_->SetInt64(message_, field_, value);
    }
  }
  void Uint64(uint64_t value) const {
    if (field_->cpp_type() == FieldDescriptor::CPPTYPE_UINT32) {
      const auto narrow = static_cast<uint32_t>(value);
      add_ ? reflection_->AddUInt32(message_, field_, narrow)
           : reflection_->SetUInt32(message_, field_, narrow);
    } else {
      add_ ? reflection_->AddUInt64(message_, field_, value)
           : reflection_->SetUInt64(message_, field_, value);
    }
  }
  void Double(double value) const {
    if (field_->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
      const auto narrow = static_cast<float>(value);
      add_ ? reflection_->AddFloat(message_, field_, narrow)
           : reflection_->SetFloat(message_, field_, narrow);
    } else {
      add_ ? reflection_->AddDouble(message_, field_, value)
           : reflection_->SetDouble(message_, field_, value);
    }
  }
  void Bool(bool value) const {
    add_ ? reflection_->AddBool(message_, field_, value)
         : reflection_->SetBool(message_, field_, value);
  }
  void String(std::string value) const {
    add_ ? reflection_->AddString(message_, field_, std::move(value))
         : reflection_->SetString(message_, field_, std::move(value));
  }
  void Enum(int number) const {
    add_ ? reflection_->AddEnumValue(message_, field_, number)
         : reflection_->SetEnumValue(message_, field_, number);
  }
  Message* MutableMessage() const {
    return add_ ? reflection_->AddMessage(message_, field_)
                : reflection_->MutableMessage(message_, field_);
  }
  void Timestamp(std::pair<int64_t, int32_t> seconds_and_nanos) const {
    Message* timestamp = MutableMessage();
    const Descriptor* descriptor = timestamp->GetDescriptor();
    const Reflection* reflection = timestamp->GetReflection();
    // Timestamp declares seconds, then nanos.
    reflection->SetInt64(timestamp, descriptor->field(0),
                         seconds_and_nanos.first);
    reflection->SetInt32(timestamp, descriptor->field(1),
                         seconds_and_nanos.second);
  }

 private:
  Message* message_;
  const FieldDescriptor* field_;
  const Reflection* reflection_;
  bool add_;
};

// Stores `text` into a scalar, enum or Timestamp field.
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
// value at hand so errors can name it.
class JsonToMessage {
 public:
  JsonToMessage(const JsonTranscoder& transcoder,
                std::vector<std::string>* ignored)
      : transcoder_(transcoder), ignored_(ignored) {}

  absl::Status MergeObject(const rapidjson::Value& object, Message* message) {
    if (++depth_ > kMaxMessageDepth) {
      return Error("nested too deeply");
    }
    const Descriptor* descriptor = message->GetDescriptor();
    for (const auto& member : object.GetObject()) {
      const FieldDescriptor* field =
          transcoder_.FindField(descriptor, StringOf(member.name));
      path_.push_back({StringOf(member.name), -1});
      // Unknown keys are left out, so clients may send more than we know,
      // and named to the caller, so nothing vanishes unsaid.
      if (field == nullptr) {
        if (ignored_ != nullptr &&
            ignored_->size() < JsonTranscoder::kMaxIgnoredFieldsNamed) {
          ignored_->push_back(Path());
        }
        path_.pop_back();
        continue;
      }
      if (absl::Status status = MergeField(member.value, field, message);
          !status.ok()) {
        return status;
      }
      path_.pop_back();
    }
    --depth_;
    return absl::OkStatus();
  }

  // `value` is the whole JSON value of `field` (an array when repeated).
  absl::Status MergeField(const rapidjson::Value& value,
                          const FieldDescriptor* field, Message* message) {
    if (value.IsNull()) return absl::OkStatus();
    if (field->is_map()) return MergeMap(value, field, message);
    if (field->is_repeated()) {
      if (!value.IsArray()) return TypeError("an array", value);
      const rapidjson::SizeType size = value.Size();
      for (rapidjson::SizeType i = 0; i < size; ++i) {
        path_.push_back({"", static_cast<int>(i)});
        if (absl::Status status = StoreValue(value[i], field, message);
            !status.ok()) {
          return status;
        }
        path_.pop_back();
      }
      return absl::OkStatus();
    }
    return StoreValue(value, field, message);
  }

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(Path(), ": ", what));
  }

  void PushKey(absl::string_view key) { path_.push_back({key, -1}); }

 private:
  struct PathPart {
    absl::string_view key;
    int index;  // -1 for an object key
  };

  std::string Path() const {
    std::string path;
    for (const PathPart& part : path_) {
      if (part.index >= 0) {
        absl::StrAppend(&path, "[", part.index, "]");
      } else {
        absl::StrAppend(&path, path.empty() ? "" : ".", part.key);
      }
    }
    return path;
  }

  absl::Status TypeError(absl::string_view expected,
                         const rapidjson::Value& value) const {
    return Error(
        absl::StrCat("expected ", expected, ", got ", JsonTypeName(value)));
  }

  absl::Status MergeMap(const rapidjson::Value& value,
                        const FieldDescriptor* field, Message* message) {
    if (!value.IsObject()) return TypeError("an object", value);
    const Descriptor* entry_type = field->message_type();
    const FieldDescriptor* key_field = entry_type->map_key();
    const FieldDescriptor* value_field = entry_type->map_value();
    for (const auto& member : value.GetObject()) {
      Message* entry = message->GetReflection()->AddMessage(message, field);
      path_.push_back({StringOf(member.name), -1});
      if (absl::Status status =
              StoreText(StringOf(member.name), key_field, entry);
          !status.ok()) {
        return Error(absl::StrCat("bad map key: ", status.message()));
      }
      if (absl::Status status = StoreValue(member.value, value_field, entry);
          !status.ok()) {
        return status;
      }
      path_.pop_back();
    }
    return absl::OkStatus();
  }

  // One value of a singular field or one element of a repeated one.
  absl::Status StoreValue(const rapidjson::Value& value,
                          const FieldDescriptor* field, Message* message) {
    const FieldWriter writer(message, field);
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
      case FieldDescriptor::CPPTYPE_INT64:
      case FieldDescriptor::CPPTYPE_UINT32:
      case FieldDescriptor::CPPTYPE_UINT64:
        return StoreInteger(value, field, message);
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT: {
        if (!value.IsNumber()) return TypeError("a number", value);
        const double number = value.GetDouble();
        if (field->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT &&
            std::fabs(number) > std::numeric_limits<float>::max()) {
          return Error(OutOfRange(NumberText(value), field).message());
        }
        writer.Double(number);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_BOOL:
        if (!value.IsBool()) return TypeError("true or false", value);
        writer.Bool(value.GetBool());
        return absl::OkStatus();
      case FieldDescriptor::CPPTYPE_ENUM:
        if (value.IsString() || value.IsInt()) {
          absl::StatusOr<int> number = EnumNumberFromText(
              field, value.IsString() ? std::string(StringOf(value))
                                      : absl::StrCat(value.GetInt()));
          if (!number.ok()) return Error(number.status().message());
          writer.Enum(*number);
          return absl::OkStatus();
        }
        return TypeError("an enum name or number", value);
      case FieldDescriptor::CPPTYPE_STRING:
        if (!value.IsString()) return TypeError("a string", value);
        if (field->type() == FieldDescriptor::TYPE_BYTES) {
          absl::StatusOr<std::string> bytes = BytesFromBase64(StringOf(value));
          if (!bytes.ok()) return Error(bytes.status().message());
          writer.String(*std::move(bytes));
        } else {
          // The parser checks the bytes it reads, but writes an escaped
          // lone surrogate ("\udc00") as bytes that are not UTF-8, which
          // protobuf would refuse later without naming the field.
          if (!IsValidUtf8(StringOf(value))) return Error("not valid UTF-8");
          writer.String(std::string(StringOf(value)));
        }
        return absl::OkStatus();
      case FieldDescriptor::CPPTYPE_MESSAGE:
        if (IsTimestamp(field->message_type())) {
          if (!value.IsString()) return TypeError("a string", value);
          absl::StatusOr<std::pair<int64_t, int32_t>> timestamp =
              TimestampFromText(StringOf(value));
          if (!timestamp.ok()) return Error(timestamp.status().message());
          writer.Timestamp(*timestamp);
          return absl::OkStatus();
        }
        if (!value.IsObject()) return TypeError("an object", value);
        return MergeObject(value, writer.MutableMessage());
    }
    return Error("unsupported field type");
  }

  absl::Status StoreInteger(const rapidjson::Value& value,
                            const FieldDescriptor* field, Message* message) {
    const FieldWriter writer(message, field);
    const bool is_signed = IsSignedInteger(field);
    if (value.IsString()) {
      // proto3 JSON spells 64-bit integers as strings too, since JavaScript
      // numbers cannot hold them all.
      if (!Is64BitInteger(field)) return TypeError("a number", value);
      absl::Status status = StoreText(StringOf(value), field, message);
      return status.ok() ? status : Error(status.message());
    }
    if (!value.IsNumber()) return TypeError("a number", value);
    if (value.IsInt64() && (is_signed || value.GetInt64() >= 0)) {
      if (is_signed) {
        absl::StatusOr<int64_t> checked =
            CheckSignedRange(value.GetInt64(), field);
        if (!checked.ok()) return Error(checked.status().message());
        writer.Int64(*checked);
      } else {
        absl::StatusOr<uint64_t> checked =
            CheckUnsignedRange(static_cast<uint64_t>(value.GetInt64()), field);
        if (!checked.ok()) return Error(checked.status().message());
        writer.Uint64(*checked);
      }
      return absl::OkStatus();
    }
    if (value.IsUint64() && !is_signed) {
      absl::StatusOr<uint64_t> checked =
          CheckUnsignedRange(value.GetUint64(), field);
      if (!checked.ok()) return Error(checked.status().message());
      writer.Uint64(*checked);
      return absl::OkStatus();
    }
    if (value.IsDouble()) {
      // 1e3 is an integer; 1.5 is not.
      const double number = value.GetDouble();
      if (std::trunc(number) != number) {
        return Error(absl::StrCat("expected an integer, got ", number));
      }
      if (is_signed && number >= -9.223372036854775808e18 &&
          number < 9.223372036854775808e18) {
        absl::StatusOr<int64_t> checked =
            CheckSignedRange(static_cast<int64_t>(number), field);
        if (!checked.ok()) return Error(checked.status().message());
        writer.Int64(*checked);
        return absl::OkStatus();
      }
      if (!is_signed && number >= 0 && number < 1.8446744073709552e19) {
        absl::StatusOr<uint64_t> checked =
            CheckUnsignedRange(static_cast<uint64_t>(number), field);
        if (!checked.ok()) return Error(checked.status().message());
        writer.Uint64(*checked);
        return absl::OkStatus();
      }
    }
    return Error(OutOfRange(NumberText(value), field).message());
  }

  const JsonTranscoder& transcoder_;
  std::vector<PathPart> path_;
  std::vector<std::string>* ignored_;
  int depth_ = 0;
};

// Deeper than `limit` arrays and objects, anywhere (ignored fields too)?
// Checked before parsing, so no parser work or memory goes into such input.
bool NestedDeeperThan(absl::string_view json, int limit) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

// Builds a Document from the reader's events and converts numbers itself
// with std::from_chars, which is exact. RapidJSON 1.1.0's full-precision
// strtod misreads a zero with a large exponent ("0e308" came out as about
// 1e289, with undefined behaviour inside), found by the json_to_proto fuzzer.
class ExactNumberHandler {
 public:
  explicit ExactNumberHandler(rapidjson::Document& document)
      : document_(document) {}

  bool Null() { return document_.Null(); }
  bool Bool(bool value) { return document_.Bool(value); }
  bool Int(int value) { return document_.Int(value); }
  bool Uint(unsigned value) { return document_.Uint(value); }
  bool Int64(int64_t value) { return document_.Int64(value); }
  bool Uint64(uint64_t value) { return document_.Uint64(value); }
  bool Double(double value) { return document_.Double(value); }
  bool String(const char* text, rapidjson::SizeType length, bool copy) {
    return document_.String(text, length, copy);
  }
  bool StartObject() {
    keys_.emplace_back();
    return document_.StartObject();
  }
  bool Key(const char* text, rapidjson::SizeType length, bool copy) {
    keys_.back().assign(text, length);
    return document_.Key(text, length, copy);
  }
  bool EndObject(rapidjson::SizeType members) {
    keys_.pop_back();
    return document_.EndObject(members);
  }
  bool StartArray() { return document_.StartArray(); }
  bool EndArray(rapidjson::SizeType elements) {
    return document_.EndArray(elements);
  }

  // `text` is a JSON number, already checked by the reader.
  bool RawNumber(const char* text, rapidjson::SizeType length, bool) {
    const char* end = text + length;
    // Integers stay exact as int64 or uint64 when they fit, as RapidJSON
    // itself would store them; larger ones become doubles.
    if (std::find_if(text, end, [](char c) {
          return c == '.' || c == 'e' || c == 'E';
        }) == end) {
      if (*text == '-') {
        int64_t value;
        const auto [ptr, ec] = std::from_chars(text, end, value);
        if (ec == std::errc() && ptr == end) return document_.Int64(value);
      } else {
        uint64_t value;
        const auto [ptr, ec] = std::from_chars(text, end, value);
        if (ec == std::errc() && ptr == end) return document_.Uint64(value);
      }
    }
    double value;
    const auto [ptr, ec] = std::from_chars(text, end, value);
    if (ec == std::errc::result_out_of_range) {
      // from_chars leaves `value` alone on both overflow and underflow;
      // strtod tells them apart (the gateway keeps the "C" locale).
      // Underflow reads as zero, overflow is an error.
      value = std::strtod(std::string(text, length).c_str(), nullptr);
      if (std::isinf(value)) {
        too_big_ = true;
        return false;
      }
    } else if (ec != std::errc() || ptr != end) {
      return false;
    }
    return document_.Double(value);
  }

  bool too_big() const { return too_big_; }
  // Where the reader is: the innermost open object's latest key, which is
  // the field of a value, or of the array holding it. Empty outside any.
  absl::string_view current_field() const {
    return keys_.empty() ? absl::string_view() : keys_.back();
  }

 private:
  rapidjson::Document& document_;
  bool too_big_ = false;
  // Per open object, its latest key. Inline, and keys short enough for
  // std::string's own buffer, so a request's parse allocates nothing for
  // it.
  absl::InlinedVector<std::string, 4> keys_;
};

absl::StatusOr<rapidjson::Document> ParseJson(absl::string_view json) {
  if (NestedDeeperThan(json, kMaxMessageDepth)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "malformed JSON: nested deeper than ", kMaxMessageDepth, " levels"));
  }
  rapidjson::Document document;
  ExactNumberHandler handler(document);
  rapidjson::ParseResult result;
  auto parse = [&](rapidjson::Document&) {
    rapidjson::MemoryStream memory(json.data(), json.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream>
        input(memory);
    rapidjson::Reader reader;
    result = reader.Parse<kParseFlags>(input, handler);
    return !result.IsError();
  };
  document.Populate(parse);
  // The reader refuses exponents past a double's range itself; the handler
  // refuses the rest that overflow. Either way the field can be named.
  const bool too_big =
      handler.too_big() ||
      (result.IsError() && result.Code() == rapidjson::kParseErrorNumberTooBig);
  if (result.IsError() && too_big && !handler.current_field().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        handler.current_field(), ": number too big (malformed JSON at offset ",
        result.Offset(), ")"));
  }
  if (result.IsError()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "malformed JSON at offset ", result.Offset(), ": ",
        rapidjson::GetParseError_En(handler.too_big()
                                        ? rapidjson::kParseErrorNumberTooBig
                                        : result.Code())));
  }
  return document;
}

// ---- Printing ----

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

const FieldDescriptor* JsonTranscoder::FindField(const Descriptor* descriptor,
                                                 absl::string_view key) const {
  const FieldsByKey* fields = nullptr;
  {
    absl::ReaderMutexLock lock(&mutex_);
    auto it = fields_by_key_.find(descriptor);
    if (it != fields_by_key_.end()) fields = it->second.get();
  }
  if (fields == nullptr) {
    auto built = std::make_unique<FieldsByKey>();
    // Proto names first, so a json_name never hides another field's name.
    for (int i = 0; i < descriptor->field_count(); ++i) {
      built->emplace(descriptor->field(i)->name(), descriptor->field(i));
    }
    for (int i = 0; i < descriptor->field_count(); ++i) {
      built->emplace(descriptor->field(i)->json_name(), descriptor->field(i));
    }
    absl::MutexLock lock(&mutex_);
    fields = fields_by_key_.try_emplace(descriptor, std::move(built))
                 .first->second.get();
  }
  auto it = fields->find(key);
  return it == fields->end() ? nullptr : it->second;
}

absl::Status JsonTranscoder::ParseMessage(
    absl::string_view json, Message* message,
    std::vector<std::string>* ignored_fields) const {
  absl::StatusOr<rapidjson::Document> document = ParseJson(json);
  if (!document.ok()) return document.status();
  if (!document->IsObject()) {
    return absl::InvalidArgumentError("request body must be a JSON object");
  }
  return JsonToMessage(*this, ignored_fields).MergeObject(*document, message);
}

absl::Status JsonTranscoder::ParseField(
    absl::string_view json, const FieldDescriptor* field, Message* message,
    std::vector<std::string>* ignored_fields) const {
  absl::StatusOr<rapidjson::Document> document = ParseJson(json);
  if (!document.ok()) return document.status();
  JsonToMessage parser(*this, ignored_fields);
  if (IsObjectField(field) && !field->is_repeated()) {
    // The body is that message, so its fields are named without a prefix.
    if (!document->IsObject()) {
      return absl::InvalidArgumentError("request body must be a JSON object");
    }
    return parser.MergeObject(
        *document, message->GetReflection()->MutableMessage(message, field));
  }
  parser.PushKey(field->name());
  return parser.MergeField(*document, field, message);
}

absl::Status JsonTranscoder::SetFieldFromString(absl::string_view field_path,
                                                absl::string_view value,
                                                Message* message) const {
  const std::vector<absl::string_view> parts = absl::StrSplit(field_path, '.');
  Message* target = message;
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* field = FindField(target->GetDescriptor(), parts[i]);
    if (field == nullptr) {
      return absl::NotFoundError(absl::StrCat(field_path, ": no such field"));
    }
    const bool is_leaf = i + 1 == parts.size();
    if (!is_leaf) {
      if (!IsObjectField(field) || field->is_repeated()) {
        return absl::InvalidArgumentError(absl::StrCat(
            field_path, ": ", parts[i], " is not a singular message field"));
      }
      target = target->GetReflection()->MutableMessage(target, field);
      continue;
    }
    if (IsObjectField(field)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field_path, ": a message cannot be set from text"));
    }
    if (absl::Status status = StoreText(value, field, target); !status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field_path, ": ", status.message()));
    }
  }
  return absl::OkStatus();
}

std::string JsonTranscoder::Print(const Message& message) const {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  WriteMessage(message, writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string JsonTranscoder::PrintField(const Message& message,
                                       const FieldDescriptor* field) const {
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
