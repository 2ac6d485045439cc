#ifndef SHOPSTREAM_GATEWAY_FIELD_TEXT_H_
#define SHOPSTREAM_GATEWAY_FIELD_TEXT_H_

#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace shopstream::gateway {

// Field values from text, shared by JSON strings, path variables and query
// parameters, and what kind of JSON value a field takes. Errors do not name
// the field; callers prefix it.

bool IsTimestamp(const google::protobuf::Descriptor* descriptor);
bool IsTimestampField(const google::protobuf::FieldDescriptor* field);
// A message field other than Timestamp, which we spell as a string.
bool IsObjectField(const google::protobuf::FieldDescriptor* field);
bool IsSignedInteger(const google::protobuf::FieldDescriptor* field);
bool Is64BitInteger(const google::protobuf::FieldDescriptor* field);

bool IsValidUtf8(absl::string_view text);

// Seconds and nanos of an RFC 3339 time with an offset.
absl::StatusOr<std::pair<int64_t, int32_t>> TimestampFromText(
    absl::string_view text);
absl::StatusOr<int> EnumNumberFromText(
    const google::protobuf::FieldDescriptor* field, absl::string_view text);
absl::StatusOr<std::string> BytesFromBase64(absl::string_view text);

absl::Status OutOfRange(absl::string_view number_text,
                        const google::protobuf::FieldDescriptor* field);
// Integer kinds all travel as int64 or uint64 and are range checked here.
absl::StatusOr<int64_t> CheckSignedRange(
    int64_t value, const google::protobuf::FieldDescriptor* field);
absl::StatusOr<uint64_t> CheckUnsignedRange(
    uint64_t value, const google::protobuf::FieldDescriptor* field);

class FieldWriter {
 public:
  FieldWriter(google::protobuf::Message* message,
              const google::protobuf::FieldDescriptor* field)
      : message_(message),
        field_(field),
        reflection_(message->GetReflection()),
        add_(field->is_repeated()) {}

  void Int64(int64_t value) const {
    if (field_->cpp_type() ==
        google::protobuf::FieldDescriptor::CPPTYPE_INT32) {
      const auto narrow = static_cast<int32_t>(value);
      add_ ? reflection_->AddInt32(message_, field_, narrow)
           : reflection_->SetInt32(message_, field_, narrow);
    } else {
      add_ ? reflection_->AddInt64(message_, field_, value)
           : reflection_->SetInt64(message_, field_, value);
    }
  }
  void Uint64(uint64_t value) const {
    if (field_->cpp_type() ==
        google::protobuf::FieldDescriptor::CPPTYPE_UINT32) {
      const auto narrow = static_cast<uint32_t>(value);
      add_ ? reflection_->AddUInt32(message_, field_, narrow)
           : reflection_->SetUInt32(message_, field_, narrow);
    } else {
      add_ ? reflection_->AddUInt64(message_, field_, value)
           : reflection_->SetUInt64(message_, field_, value);
    }
  }
  void Double(double value) const {
    if (field_->cpp_type() ==
        google::protobuf::FieldDescriptor::CPPTYPE_FLOAT) {
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
  google::protobuf::Message* MutableMessage() const {
    return add_ ? reflection_->AddMessage(message_, field_)
                : reflection_->MutableMessage(message_, field_);
  }
  void Timestamp(std::pair<int64_t, int32_t> seconds_and_nanos) const {
    google::protobuf::Message* timestamp = MutableMessage();
    const google::protobuf::Descriptor* descriptor = timestamp->GetDescriptor();
    const google::protobuf::Reflection* reflection = timestamp->GetReflection();
    // Timestamp declares seconds, then nanos.
    reflection->SetInt64(timestamp, descriptor->field(0),
                         seconds_and_nanos.first);
    reflection->SetInt32(timestamp, descriptor->field(1),
                         seconds_and_nanos.second);
  }

 private:
  google::protobuf::Message* message_;
  const google::protobuf::FieldDescriptor* field_;
  const google::protobuf::Reflection* reflection_;
  bool add_;
};

// Stores `text` into a scalar, enum or Timestamp field.

// Stores `text` into a scalar, enum or Timestamp field.
absl::Status StoreText(absl::string_view text,
                       const google::protobuf::FieldDescriptor* field,
                       google::protobuf::Message* message);

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_FIELD_TEXT_H_
