#include "gateway/json_request_parser.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gateway/field_text.h"
#include "gateway/json_error_text.h"
#include "simdjson.h"

namespace shopstream::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
namespace ondemand = simdjson::ondemand;

// A parser per thread, kept between requests so its buffers are reused, and
// the copy of the body it reads: simdjson reads up to SIMDJSON_PADDING bytes
// past the end of its input.
struct ThreadParser {
  ondemand::parser parser;
  std::unique_ptr<char[]> text;
  size_t capacity = 0;
};

ThreadParser& ThisThreadParser() {
  thread_local ThreadParser parser;
  return parser;
}

const char* JsonTypeName(ondemand::json_type type) {
  switch (type) {
    case ondemand::json_type::array:
      return "array";
    case ondemand::json_type::object:
      return "object";
    case ondemand::json_type::number:
      return "number";
    case ondemand::json_type::string:
      return "string";
    case ondemand::json_type::boolean:
      return "boolean";
    case ondemand::json_type::null:
      return "null";
  }
  return "unknown";
}

absl::string_view Trimmed(std::string_view token) {
  absl::string_view text(token.data(), token.size());
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' ||
                           text.back() == '\n' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

absl::string_view TokenOf(ondemand::value& value) {
  return Trimmed(value.raw_json_token());
}

absl::string_view TokenOf(ondemand::document& document) {
  std::string_view token;
  if (document.raw_json_token().get(token) != simdjson::SUCCESS) return {};
  return Trimmed(token);
}

absl::Status TooDeep() {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed JSON: nested deeper than ",
                   JsonRequestParser::kMaxDepth, " levels"));
}

// Walks a document into a message as simdjson reads it, keeping the JSON
// path of the value at hand so errors can name it. Values of keys no field
// has are read through too, so malformed or too deeply nested JSON is
// refused wherever it is.
class JsonToMessage {
 public:
  JsonToMessage(const JsonRequestParser& parser, absl::string_view json,
                const char* text, ondemand::document& document,
                std::vector<std::string>* ignored)
      : parser_(parser),
        json_(json),
        text_(text),
        document_(document),
        ignored_(ignored) {}

  // Into `message` when the document is an object; `ParseMessage`'s rules.
  absl::Status MergeRoot(Message* message) {
    ondemand::json_type type;
    if (auto error = document_.type().get(type)) return Malformed(error, 0);
    if (type != ondemand::json_type::object) {
      if (absl::Status status = SkipRoot(type); !status.ok()) return status;
      return absl::InvalidArgumentError("request body must be a JSON object");
    }
    ondemand::value root;
    if (auto error = document_.get_value().get(root)) {
      return Malformed(error, CurrentOffset());
    }
    if (absl::Status status = MergeObject(root, message); !status.ok()) {
      return status;
    }
    return AtEnd();
  }

  // Into `field` of `message`: the whole JSON value of the field.
  absl::Status MergeRootField(const FieldDescriptor* field, Message* message) {
    ondemand::json_type type;
    if (auto error = document_.type().get(type)) return Malformed(error, 0);
    path_.push_back({field->name(), -1});
    if (type != ondemand::json_type::object &&
        type != ondemand::json_type::array) {
      // A scalar document is read through the document itself.
      if (type == ondemand::json_type::null) return Skip(document_, type);
      if (field->is_repeated()) {
        return TypeErrorOrMalformed("an array", document_, type);
      }
      return StoreValue(document_, type, field, message);
    }
    ondemand::value root;
    if (auto error = document_.get_value().get(root)) {
      return Malformed(error, CurrentOffset());
    }
    if (absl::Status status = MergeField(root, field, message); !status.ok()) {
      return status;
    }
    return AtEnd();
  }

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

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(Path(), ": ", what));
  }

  absl::Status Malformed(simdjson::error_code code, size_t offset) const {
    if (code == simdjson::UTF8_ERROR) offset = FirstInvalidUtf8(json_);
    return absl::InvalidArgumentError(absl::StrCat(
        "malformed JSON at offset ", offset, ": ", DescribeJsonError(code)));
  }

  // Where simdjson stopped; the end of the input once it has read it all.
  size_t CurrentOffset() {
    const char* location = nullptr;
    if (document_.current_location().get(location) != simdjson::SUCCESS) {
      return json_.size();
    }
    return static_cast<size_t>(location - text_);
  }

  size_t OffsetOf(absl::string_view token) const {
    if (token.data() < text_ || token.data() > text_ + json_.size()) {
      return json_.size();
    }
    return static_cast<size_t>(token.data() - text_);
  }

  // Nothing but whitespace may follow the root value.
  absl::Status AtEnd() {
    const char* location = nullptr;
    if (document_.current_location().get(location) == simdjson::SUCCESS) {
      return Malformed(simdjson::TRAILING_CONTENT,
                       static_cast<size_t>(location - text_));
    }
    return absl::OkStatus();
  }

  template <typename Value>
  absl::Status NumberError(Value& value, simdjson::error_code code) const {
    const absl::string_view token = TokenOf(value);
    // simdjson refuses numbers a double cannot hold with the same code as
    // malformed ones; the grammar tells them apart.
    if (code == simdjson::NUMBER_ERROR && IsJsonNumber(token)) {
      if (path_.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "malformed JSON at offset ", OffsetOf(token), ": number too big"));
      }
      return Error(absl::StrCat("number too big (malformed JSON at offset ",
                                OffsetOf(token), ")"));
    }
    return Malformed(code, OffsetOf(token));
  }

  template <typename Value>
  absl::Status StringError(Value& value, simdjson::error_code code) const {
    const absl::string_view token = TokenOf(value);
    if (code == simdjson::STRING_ERROR && EscapesLoneSurrogate(token)) {
      return Error("not valid UTF-8");
    }
    return Malformed(code, OffsetOf(token));
  }

  // A value of the wrong type; if it is an array or object, malformed or
  // too deep JSON inside it is the error to report.
  template <typename Value>
  absl::Status TypeErrorOrMalformed(absl::string_view expected, Value& value,
                                    ondemand::json_type type) {
    if (absl::Status status = Skip(value, type); !status.ok()) return status;
    return Error(
        absl::StrCat("expected ", expected, ", got ", JsonTypeName(type)));
  }

  // Calls `visit(key, value)` for each member of the object `value`.
  template <typename Value, typename Visit>
  absl::Status ForEachMember(Value& value, Visit visit) {
    ondemand::object object;
    if (auto error = value.get_object().get(object)) {
      return Malformed(error, CurrentOffset());
    }
    if (++depth_ > JsonRequestParser::kMaxDepth) return TooDeep();
    for (auto member : object) {
      ondemand::field field_and_value;
      std::string_view key;
      if (auto error = std::move(member).get(field_and_value)) {
        return Malformed(error, CurrentOffset());
      }
      if (auto error = field_and_value.unescaped_key().get(key)) {
        return Malformed(error, CurrentOffset());
      }
      if (absl::Status status = visit(absl::string_view(key.data(), key.size()),
                                      field_and_value.value());
          !status.ok()) {
        return status;
      }
    }
    --depth_;
    return absl::OkStatus();
  }

  // Calls `visit(index, element)` for each element of the array `value`.
  template <typename Value, typename Visit>
  absl::Status ForEachElement(Value& value, Visit visit) {
    ondemand::array array;
    if (auto error = value.get_array().get(array)) {
      return Malformed(error, CurrentOffset());
    }
    if (++depth_ > JsonRequestParser::kMaxDepth) return TooDeep();
    int index = 0;
    for (auto element : array) {
      ondemand::value item;
      if (auto error = std::move(element).get(item)) {
        return Malformed(error, CurrentOffset());
      }
      if (absl::Status status = visit(index++, item); !status.ok()) {
        return status;
      }
    }
    --depth_;
    return absl::OkStatus();
  }

  // The fields of the JSON object `value` into `message`.
  template <typename Value>
  absl::Status MergeObject(Value& value, Message* message) {
    const Descriptor* descriptor = message->GetDescriptor();
    return ForEachMember(
        value, [&](absl::string_view key, ondemand::value& member) {
          const FieldDescriptor* field = parser_.FindField(descriptor, key);
          path_.push_back({key, -1});
          // Unknown keys are left out, so clients may send more than we know,
          // and named to the caller, so nothing vanishes unsaid.
          if (field == nullptr) {
            if (ignored_ != nullptr &&
                ignored_->size() < JsonRequestParser::kMaxIgnoredFieldsNamed) {
              ignored_->push_back(Path());
            }
            if (absl::Status status = Skip(member); !status.ok()) return status;
          } else if (absl::Status status = MergeField(member, field, message);
                     !status.ok()) {
            return status;
          }
          path_.pop_back();
          return absl::OkStatus();
        });
  }

  // `value` is the whole JSON value of `field` (an array when repeated).
  absl::Status MergeField(ondemand::value& value, const FieldDescriptor* field,
                          Message* message) {
    ondemand::json_type type;
    if (auto error = value.type().get(type)) {
      return Malformed(error, CurrentOffset());
    }
    if (type == ondemand::json_type::null) return Skip(value, type);
    if (field->is_map()) return MergeMap(value, type, field, message);
    if (!field->is_repeated()) return StoreValue(value, type, field, message);
    if (type != ondemand::json_type::array) {
      return TypeErrorOrMalformed("an array", value, type);
    }
    return ForEachElement(value, [&](int index, ondemand::value& item) {
      ondemand::json_type item_type;
      if (auto error = item.type().get(item_type)) {
        return Malformed(error, CurrentOffset());
      }
      path_.push_back({"", index});
      if (absl::Status status = StoreValue(item, item_type, field, message);
          !status.ok()) {
        return status;
      }
      path_.pop_back();
      return absl::OkStatus();
    });
  }

  absl::Status MergeMap(ondemand::value& value, ondemand::json_type type,
                        const FieldDescriptor* field, Message* message) {
    if (type != ondemand::json_type::object) {
      return TypeErrorOrMalformed("an object", value, type);
    }
    const Descriptor* entry_type = field->message_type();
    return ForEachMember(value, [&](absl::string_view key,
                                    ondemand::value& member) {
      ondemand::json_type member_type;
      if (auto error = member.type().get(member_type)) {
        return Malformed(error, CurrentOffset());
      }
      Message* entry = message->GetReflection()->AddMessage(message, field);
      path_.push_back({key, -1});
      if (absl::Status status = StoreText(key, entry_type->map_key(), entry);
          !status.ok()) {
        return Error(absl::StrCat("bad map key: ", status.message()));
      }
      if (absl::Status status =
              StoreValue(member, member_type, entry_type->map_value(), entry);
          !status.ok()) {
        return status;
      }
      path_.pop_back();
      return absl::OkStatus();
    });
  }

  // One value of a singular field or one element of a repeated one.
  template <typename Value>
  absl::Status StoreValue(Value& value, ondemand::json_type type,
                          const FieldDescriptor* field, Message* message) {
    const FieldWriter writer(message, field);
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
      case FieldDescriptor::CPPTYPE_INT64:
      case FieldDescriptor::CPPTYPE_UINT32:
      case FieldDescriptor::CPPTYPE_UINT64:
        return StoreInteger(value, type, field, message);
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT: {
        if (type != ondemand::json_type::number) {
          return TypeErrorOrMalformed("a number", value, type);
        }
        double number;
        if (auto error = ReadDouble(value, number)) {
          return NumberError(value, error);
        }
        if (field->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT &&
            std::fabs(number) > std::numeric_limits<float>::max()) {
          return Error(OutOfRange(absl::StrCat(number), field).message());
        }
        writer.Double(number);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_BOOL: {
        if (type != ondemand::json_type::boolean) {
          return TypeErrorOrMalformed("true or false", value, type);
        }
        bool flag;
        if (auto error = value.get_bool().get(flag)) {
          return Malformed(error, OffsetOf(TokenOf(value)));
        }
        writer.Bool(flag);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_ENUM:
        return StoreEnum(value, type, field, message);
      case FieldDescriptor::CPPTYPE_STRING: {
        if (type != ondemand::json_type::string) {
          return TypeErrorOrMalformed("a string", value, type);
        }
        std::string_view text;
        if (auto error = value.get_string().get(text)) {
          return StringError(value, error);
        }
        // simdjson checks the input is UTF-8 and refuses escapes of half a
        // surrogate pair, so the text is UTF-8.
        if (field->type() == FieldDescriptor::TYPE_BYTES) {
          absl::StatusOr<std::string> bytes =
              BytesFromBase64(absl::string_view(text.data(), text.size()));
          if (!bytes.ok()) return Error(bytes.status().message());
          writer.String(*std::move(bytes));
        } else {
          writer.String(std::string(text));
        }
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        if (IsTimestamp(field->message_type())) {
          if (type != ondemand::json_type::string) {
            return TypeErrorOrMalformed("a string", value, type);
          }
          std::string_view text;
          if (auto error = value.get_string().get(text)) {
            return StringError(value, error);
          }
          absl::StatusOr<std::pair<int64_t, int32_t>> timestamp =
              TimestampFromText(absl::string_view(text.data(), text.size()));
          if (!timestamp.ok()) return Error(timestamp.status().message());
          writer.Timestamp(*timestamp);
          return absl::OkStatus();
        }
        if (type != ondemand::json_type::object) {
          return TypeErrorOrMalformed("an object", value, type);
        }
        return MergeObject(value, writer.MutableMessage());
      }
    }
    return Error("unsupported field type");
  }

  // An integer is read as one, so "-0" is zero like "0", and integers
  // too long for 64 bits as doubles.
  template <typename Value>
  static simdjson::error_code ReadDouble(Value& value, double& number) {
    ondemand::number_type kind;
    if (auto error = value.get_number_type().get(kind)) return error;
    if (kind == ondemand::number_type::signed_integer) {
      int64_t integer;
      if (value.get_int64().get(integer) == simdjson::SUCCESS) {
        number = static_cast<double>(integer);
        return simdjson::SUCCESS;
      }
    } else if (kind == ondemand::number_type::unsigned_integer) {
      uint64_t integer;
      if (value.get_uint64().get(integer) == simdjson::SUCCESS) {
        number = static_cast<double>(integer);
        return simdjson::SUCCESS;
      }
    }
    return value.get_double().get(number);
  }

  template <typename Value>
  absl::Status StoreEnum(Value& value, ondemand::json_type type,
                         const FieldDescriptor* field, Message* message) {
    std::string text;
    if (type == ondemand::json_type::string) {
      std::string_view name;
      if (auto error = value.get_string().get(name)) {
        return StringError(value, error);
      }
      text = std::string(name);
    } else if (type == ondemand::json_type::number) {
      int64_t number;
      if (value.get_int64().get(number) != simdjson::SUCCESS ||
          number < std::numeric_limits<int32_t>::min() ||
          number > std::numeric_limits<int32_t>::max()) {
        return TypeErrorOrMalformed("an enum name or number", value, type);
      }
      text = absl::StrCat(number);
    } else {
      return TypeErrorOrMalformed("an enum name or number", value, type);
    }
    absl::StatusOr<int> number = EnumNumberFromText(field, text);
    if (!number.ok()) return Error(number.status().message());
    FieldWriter(message, field).Enum(*number);
    return absl::OkStatus();
  }

  template <typename Value>
  absl::Status StoreInteger(Value& value, ondemand::json_type type,
                            const FieldDescriptor* field, Message* message) {
    const FieldWriter writer(message, field);
    const bool is_signed = IsSignedInteger(field);
    if (type == ondemand::json_type::string) {
      // proto3 JSON spells 64-bit integers as strings too, since JavaScript
      // numbers cannot hold them all.
      if (!Is64BitInteger(field)) {
        return TypeErrorOrMalformed("a number", value, type);
      }
      std::string_view text;
      if (auto error = value.get_string().get(text)) {
        return StringError(value, error);
      }
      absl::Status status = StoreText(
          absl::string_view(text.data(), text.size()), field, message);
      return status.ok() ? status : Error(status.message());
    }
    if (type != ondemand::json_type::number) {
      return TypeErrorOrMalformed("a number", value, type);
    }
    ondemand::number_type kind;
    if (auto error = value.get_number_type().get(kind)) {
      return NumberError(value, error);
    }
    if (kind == ondemand::number_type::signed_integer) {
      int64_t number;
      if (value.get_int64().get(number) == simdjson::SUCCESS) {
        if (is_signed) {
          absl::StatusOr<int64_t> checked = CheckSignedRange(number, field);
          if (!checked.ok()) return Error(checked.status().message());
          writer.Int64(*checked);
        } else {
          if (number < 0) {
            return Error(OutOfRange(absl::StrCat(number), field).message());
          }
          absl::StatusOr<uint64_t> checked =
              CheckUnsignedRange(static_cast<uint64_t>(number), field);
          if (!checked.ok()) return Error(checked.status().message());
          writer.Uint64(*checked);
        }
        return absl::OkStatus();
      }
    } else if (kind == ondemand::number_type::unsigned_integer) {
      uint64_t number;
      if (value.get_uint64().get(number) == simdjson::SUCCESS) {
        if (is_signed) {
          return Error(OutOfRange(absl::StrCat(number), field).message());
        }
        absl::StatusOr<uint64_t> checked = CheckUnsignedRange(number, field);
        if (!checked.ok()) return Error(checked.status().message());
        writer.Uint64(*checked);
        return absl::OkStatus();
      }
    }
    // A fraction, an exponent or an integer past 64 bits: 1e3 is an
    // integer; 1.5 is not.
    double number;
    if (auto error = value.get_double().get(number)) {
      return NumberError(value, error);
    }
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
    return Error(OutOfRange(absl::StrCat(number), field).message());
  }

  // Reads a value through, checking it is well formed and not too deep.
  absl::Status Skip(ondemand::value& value) {
    ondemand::json_type type;
    if (auto error = value.type().get(type)) {
      return Malformed(error, CurrentOffset());
    }
    return Skip(value, type);
  }

  template <typename Value>
  absl::Status Skip(Value& value, ondemand::json_type type) {
    switch (type) {
      case ondemand::json_type::object:
        return ForEachMember(value,
                             [&](absl::string_view, ondemand::value& member) {
                               return Skip(member);
                             });
      case ondemand::json_type::array:
        return ForEachElement(
            value, [&](int, ondemand::value& item) { return Skip(item); });
      case ondemand::json_type::number: {
        double number;
        if (auto error = value.get_double().get(number)) {
          return NumberError(value, error);
        }
        return absl::OkStatus();
      }
      case ondemand::json_type::string: {
        std::string_view text;
        if (auto error = value.get_string().get(text)) {
          return StringError(value, error);
        }
        return absl::OkStatus();
      }
      case ondemand::json_type::boolean: {
        bool flag;
        if (auto error = value.get_bool().get(flag)) {
          return Malformed(error, OffsetOf(TokenOf(value)));
        }
        return absl::OkStatus();
      }
      case ondemand::json_type::null: {
        bool is_null = false;
        if (value.is_null().get(is_null) != simdjson::SUCCESS || !is_null) {
          return Malformed(simdjson::N_ATOM_ERROR, OffsetOf(TokenOf(value)));
        }
        return absl::OkStatus();
      }
    }
    return Malformed(simdjson::TAPE_ERROR, CurrentOffset());
  }

  // A document that is not an object, read through for its errors.
  absl::Status SkipRoot(ondemand::json_type type) {
    if (type == ondemand::json_type::array) {
      ondemand::value root;
      if (auto error = document_.get_value().get(root)) {
        return Malformed(error, CurrentOffset());
      }
      if (absl::Status status = Skip(root, type); !status.ok()) return status;
      return AtEnd();
    }
    return Skip(document_, type);
  }

  const JsonRequestParser& parser_;
  absl::string_view json_;
  const char* text_;  // simdjson's copy of `json_`
  ondemand::document& document_;
  std::vector<PathPart> path_;
  std::vector<std::string>* ignored_;
  int depth_ = 0;
};

// Runs `walk` on the document `json`, parsed by this thread's parser.
template <typename Walk>
absl::Status WithDocument(absl::string_view json, Walk walk) {
  ThreadParser& thread = ThisThreadParser();
  const size_t needed = json.size() + simdjson::SIMDJSON_PADDING;
  if (thread.capacity < needed) {
    thread.text = std::make_unique<char[]>(needed);
    thread.capacity = needed;
  }
  std::memcpy(thread.text.get(), json.data(), json.size());
  // Whitespace, so a number at the very end reads as ended.
  std::memset(thread.text.get() + json.size(), ' ', simdjson::SIMDJSON_PADDING);
  ondemand::document document;
  if (auto error =
          thread.parser.iterate(thread.text.get(), json.size(), thread.capacity)
              .get(document)) {
    const size_t offset =
        error == simdjson::UTF8_ERROR ? FirstInvalidUtf8(json) : json.size();
    return absl::InvalidArgumentError(absl::StrCat(
        "malformed JSON at offset ", offset, ": ", DescribeJsonError(error)));
  }
  return walk(thread.text.get(), document);
}

// The walk refuses nesting past the limit when it gets there; a body that
// fails earlier for another reason is still answered with its nesting
// first, so the answer does not depend on where the walk stopped. Counted
// only then, so accepted bodies are read once.
template <typename Walk>
absl::Status ParseDocument(absl::string_view json, Walk walk) {
  absl::Status status = WithDocument(json, std::move(walk));
  if (!status.ok() && NestedDeeperThan(json, JsonRequestParser::kMaxDepth)) {
    return TooDeep();
  }
  return status;
}

}  // namespace

const FieldDescriptor* JsonRequestParser::FindField(
    const Descriptor* descriptor, absl::string_view key) const {
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

absl::Status JsonRequestParser::ParseMessage(
    absl::string_view json, Message* message,
    std::vector<std::string>* ignored_fields) const {
  return ParseDocument(
      json, [&](const char* text, ondemand::document& document) {
        return JsonToMessage(*this, json, text, document, ignored_fields)
            .MergeRoot(message);
      });
}

absl::Status JsonRequestParser::ParseField(
    absl::string_view json, const FieldDescriptor* field, Message* message,
    std::vector<std::string>* ignored_fields) const {
  return ParseDocument(
      json, [&](const char* text, ondemand::document& document) {
        JsonToMessage walk(*this, json, text, document, ignored_fields);
        if (IsObjectField(field) && !field->is_repeated()) {
          // The body is that message, so its fields are named without a
          // prefix.
          return walk.MergeRoot(
              message->GetReflection()->MutableMessage(message, field));
        }
        return walk.MergeRootField(field, message);
      });
}

absl::Status JsonRequestParser::SetFieldFromString(absl::string_view field_path,
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

}  // namespace shopstream::gateway
