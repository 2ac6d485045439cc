#include "gateway/openapi.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gateway/credentials.h"
#include "google/api/annotations.pb.h"
#include "rapidjson/document.h"
#include "rapidjson/prettywriter.h"
#include "rapidjson/stringbuffer.h"
#include "shopstream/api/options.pb.h"
#include "shopstream/v1/admin.pb.h"
#include "shopstream/v1/analytics.pb.h"
#include "shopstream/v1/ingest.pb.h"

namespace shopstream::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using rapidjson::Value;
using Allocator = rapidjson::Document::AllocatorType;

constexpr char kErrorSchema[] = "Error";
// Query parameters reach at most this deep into nested messages, which
// also ends self-referencing types.
constexpr int kMaxQueryDepth = 8;

bool IsTimestamp(const Descriptor* descriptor) {
  return descriptor != nullptr &&
         descriptor->well_known_type() == Descriptor::WELLKNOWNTYPE_TIMESTAMP;
}

// Builds the document's JSON values and collects the messages and enums
// that schemas refer to, so that components holds exactly those.
class Builder {
 public:
  explicit Builder(Allocator& allocator) : a_(allocator) {}

  Value Str(absl::string_view text) {
    return Value(text.data(), static_cast<rapidjson::SizeType>(text.size()),
                 a_);
  }
  void Set(Value& object, absl::string_view key, Value value) {
    object.AddMember(Str(key), value, a_);
  }
  void Set(Value& object, absl::string_view key, absl::string_view text) {
    Set(object, key, Str(text));
  }
  Value Object() { return Value(rapidjson::kObjectType); }
  Value Array() { return Value(rapidjson::kArrayType); }
  void Push(Value& array, Value value) { array.PushBack(value, a_); }
  Allocator& allocator() { return a_; }

  Value Ref(absl::string_view name) {
    Value ref = Object();
    Set(ref, "$ref", absl::StrCat("#/components/schemas/", name));
    return ref;
  }

  Value MessageRef(const Descriptor* message) {
    messages_.insert(message->full_name());
    descriptors_[message->full_name()] = message;
    return Ref(message->full_name());
  }

  // One value of `field`, whatever its cardinality.
  Value ValueSchema(const FieldDescriptor* field) {
    Value schema = Object();
    switch (field->type()) {
      case FieldDescriptor::TYPE_INT32:
      case FieldDescriptor::TYPE_SINT32:
      case FieldDescriptor::TYPE_SFIXED32:
        Set(schema, "type", "integer");
        Set(schema, "format", "int32");
        break;
      case FieldDescriptor::TYPE_UINT32:
      case FieldDescriptor::TYPE_FIXED32:
        Set(schema, "type", "integer");
        Set(schema, "format", "int64");
        Set(schema, "minimum", Value(0));
        break;
      // Numbers, not strings as in protobuf's own JSON mapping.
      case FieldDescriptor::TYPE_INT64:
      case FieldDescriptor::TYPE_SINT64:
      case FieldDescriptor::TYPE_SFIXED64:
        Set(schema, "type", "integer");
        Set(schema, "format", "int64");
        break;
      case FieldDescriptor::TYPE_UINT64:
      case FieldDescriptor::TYPE_FIXED64:
        Set(schema, "type", "integer");
        Set(schema, "minimum", Value(0));
        break;
      case FieldDescriptor::TYPE_DOUBLE:
        Set(schema, "type", "number");
        Set(schema, "format", "double");
        break;
      case FieldDescriptor::TYPE_FLOAT:
        Set(schema, "type", "number");
        Set(schema, "format", "float");
        break;
      case FieldDescriptor::TYPE_BOOL:
        Set(schema, "type", "boolean");
        break;
      case FieldDescriptor::TYPE_STRING:
        Set(schema, "type", "string");
        break;
      case FieldDescriptor::TYPE_BYTES:
        Set(schema, "type", "string");
        Set(schema, "format", "byte");
        break;
      case FieldDescriptor::TYPE_ENUM: {
        const EnumDescriptor* type = field->enum_type();
        enums_[type->full_name()] = type;
        return Ref(type->full_name());
      }
      case FieldDescriptor::TYPE_MESSAGE:
      case FieldDescriptor::TYPE_GROUP:
        if (IsTimestamp(field->message_type())) {
          Set(schema, "type", "string");
          Set(schema, "format", "date-time");
          break;
        }
        return MessageRef(field->message_type());
    }
    return schema;
  }

  // The whole field as JsonTranscoder prints it: an array for repeated
  // fields, an object for maps, null for unset fields with presence.
  Value FieldSchema(const FieldDescriptor* field) {
    if (field->is_map()) {
      Value schema = Object();
      Set(schema, "type", "object");
      Set(schema, "additionalProperties",
          ValueSchema(field->message_type()->map_value()));
      return schema;
    }
    if (field->is_repeated()) {
      Value schema = Object();
      Set(schema, "type", "array");
      Set(schema, "items", ValueSchema(field));
      if (field->options().GetExtension(
              shopstream::api::json_omit_when_unset)) {
        // Left out of the answer while empty.
        Set(schema, "x-omitted-when-unset", Value(true));
      }
      return schema;
    }
    Value value = ValueSchema(field);
    if (!field->has_presence()) return value;
    if (field->options().GetExtension(shopstream::api::json_omit_when_unset)) {
      // Left out of the answer when unset rather than printed as null.
      Set(value, "x-omitted-when-unset", Value(true));
      return value;
    }
    if (value.HasMember("$ref")) {
      // OpenAPI 3.0 ignores siblings of $ref.
      Value schema = Object();
      Set(schema, "nullable", Value(true));
      Value all_of = Array();
      Push(all_of, std::move(value));
      Set(schema, "allOf", std::move(all_of));
      return schema;
    }
    Set(value, "nullable", Value(true));
    return value;
  }

  // A field that is the whole body: its value, never null (an unset
  // message prints as its default instance, and a request needs one).
  Value BodyFieldSchema(const FieldDescriptor* field) {
    return field->is_repeated() ? FieldSchema(field) : ValueSchema(field);
  }

  Value MessageSchema(const Descriptor* message) {
    Value schema = Object();
    Set(schema, "type", "object");
    Value properties = Object();
    for (int i = 0; i < message->field_count(); ++i) {
      const FieldDescriptor* field = message->field(i);
      Set(properties, field->name(), FieldSchema(field));
    }
    Set(schema, "properties", std::move(properties));
    return schema;
  }

  // components.schemas: every message and enum referred to, including from
  // inside other schemas, by full name.
  Value Schemas() {
    std::map<std::string, Value> schemas;
    std::set<std::string> done;
    while (true) {
      std::vector<std::string> pending;
      for (const std::string& name : messages_) {
        if (!done.contains(name)) pending.push_back(name);
      }
      if (pending.empty()) break;
      for (const std::string& name : pending) {
        done.insert(name);
        schemas.emplace(name, MessageSchema(descriptors_.at(name)));
      }
    }
    for (const auto& [name, type] : enums_) {
      Value schema = Object();
      Set(schema, "type", "string");
      Value values = Array();
      for (int i = 0; i < type->value_count(); ++i) {
        Push(values, Str(type->value(i)->name()));
      }
      Set(schema, "enum", std::move(values));
      schemas.emplace(name, std::move(schema));
    }
    Value error = Object();
    Set(error, "type", "object");
    Set(error, "description",
        "Every failure: the message names the field when the input was "
        "wrong.");
    Value required = Array();
    Push(required, Str("error"));
    Set(error, "required", std::move(required));
    Value properties = Object();
    Value text = Object();
    Set(text, "type", "string");
    Set(properties, "error", std::move(text));
    Set(error, "properties", std::move(properties));
    schemas.emplace(kErrorSchema, std::move(error));

    Value all = Object();
    for (auto& [name, schema] : schemas) Set(all, name, std::move(schema));
    return all;
  }

 private:
  Allocator& a_;
  std::set<std::string> messages_;
  std::map<std::string, const Descriptor*> descriptors_;
  std::map<std::string, const EnumDescriptor*> enums_;
};

// "/v1/{name=shelves/*}" -> "/v1/{name}": OpenAPI names a variable only.
std::string OpenApiPath(absl::string_view template_text) {
  std::string path;
  bool in_variable = false, in_pattern = false;
  for (char c : template_text) {
    if (c == '{') in_variable = true;
    if (in_variable && c == '=') in_pattern = true;
    if (c == '}') in_variable = in_pattern = false;
    if (!in_pattern) path.push_back(c);
  }
  return path;
}

// The field a dotted path names, or nullptr.
const FieldDescriptor* FieldAt(const Descriptor* message,
                               absl::string_view path) {
  const FieldDescriptor* field = nullptr;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (message == nullptr) return nullptr;
    field = message->FindFieldByName(std::string(part));
    if (field == nullptr) return nullptr;
    message = field->message_type();
  }
  return field;
}

// Which of its method's bindings `route` is: 0 for the rule itself, then
// the additional_bindings in order.
int BindingIndex(const Route& route) {
  const google::api::HttpRule& rule =
      route.method->options().GetExtension(google::api::http);
  std::vector<const google::api::HttpRule*> rules = {&rule};
  for (const google::api::HttpRule& additional : rule.additional_bindings()) {
    rules.push_back(&additional);
  }
  for (size_t i = 0; i < rules.size(); ++i) {
    const google::api::HttpRule& r = *rules[i];
    const std::string& path = r.has_get()       ? r.get()
                              : r.has_post()    ? r.post()
                              : r.has_put()     ? r.put()
                              : r.has_delete_() ? r.delete_()
                              : r.has_patch()   ? r.patch()
                                                : r.custom().path();
    if (path == route.path_template.text()) return static_cast<int>(i);
  }
  return 0;
}

// Routes as the protos declare them (the table orders them for matching):
// by service, method, then binding.
std::vector<std::pair<const Route*, int>> InDeclarationOrder(
    const RouteTable& routes) {
  std::vector<std::pair<const Route*, int>> ordered;
  for (const Route& route : routes.routes()) {
    ordered.emplace_back(&route, BindingIndex(route));
  }
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
    const auto key = [](const std::pair<const Route*, int>& r) {
      return std::make_tuple(r.first->method->service()->full_name(),
                             r.first->method->index(), r.second);
    };
    return key(a) < key(b);
  });
  return ordered;
}

class DocumentWriter {
 public:
  DocumentWriter(const RouteTable& routes, const OpenApiInfo& info)
      : routes_(routes), info_(info), b_(document_.GetAllocator()) {}

  std::string Write() {
    Value& root = document_.SetObject();
    b_.Set(root, "openapi", "3.0.3");
    Value info = b_.Object();
    b_.Set(info, "title", info_.title);
    b_.Set(info, "version", info_.version);
    if (!info_.description.empty()) {
      b_.Set(info, "description", info_.description);
    }
    b_.Set(root, "info", std::move(info));
    Value servers = b_.Array();
    Value server = b_.Object();
    b_.Set(server, "url", "/");
    b_.Push(servers, std::move(server));
    b_.Set(root, "servers", std::move(servers));
    b_.Set(root, "tags", Tags());
    b_.Set(root, "security", Security());
    b_.Set(root, "paths", Paths());
    Value components = b_.Object();
    b_.Set(components, "securitySchemes", SecuritySchemes());
    b_.Set(components, "responses", ErrorResponses());
    b_.Set(components, "schemas", b_.Schemas());
    b_.Set(root, "components", std::move(components));

    rapidjson::StringBuffer buffer;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
    writer.SetIndent(' ', 2);
    document_.Accept(writer);
    return absl::StrCat(absl::string_view(buffer.GetString(), buffer.GetSize()),
                        "\n");
  }

 private:
  Value Tags() {
    Value tags = b_.Array();
    std::set<std::string> seen;
    for (const auto& [route, binding] : InDeclarationOrder(routes_)) {
      const auto* service = route->method->service();
      if (!seen.insert(service->name()).second) continue;
      Value tag = b_.Object();
      b_.Set(tag, "name", service->name());
      b_.Set(tag, "description",
             absl::StrCat("gRPC service ", service->full_name()));
      b_.Push(tags, std::move(tag));
    }
    return tags;
  }

  // Any one of the three ways the gateway takes a key (credentials.h).
  Value Security() {
    Value security = b_.Array();
    for (const char* scheme : {"bearer", "apiKeyHeader", "apiKeyQuery"}) {
      Value requirement = b_.Object();
      b_.Set(requirement, scheme, b_.Array());
      b_.Push(security, std::move(requirement));
    }
    return security;
  }

  Value SecuritySchemes() {
    Value schemes = b_.Object();
    Value bearer = b_.Object();
    b_.Set(bearer, "type", "http");
    b_.Set(bearer, "scheme", "bearer");
    b_.Set(bearer, "description",
           "Authorization: Bearer <key>, a key made with shopstream-admin "
           "keys create.");
    b_.Set(schemes, "bearer", std::move(bearer));
    Value header = b_.Object();
    b_.Set(header, "type", "apiKey");
    b_.Set(header, "in", "header");
    b_.Set(header, "name", "X-API-Key");
    b_.Set(schemes, "apiKeyHeader", std::move(header));
    Value query = b_.Object();
    b_.Set(query, "type", "apiKey");
    b_.Set(query, "in", "query");
    b_.Set(query, "name", kApiKeyQueryParameter);
    b_.Set(query, "description",
           "For clients that cannot set headers: EventSource, download "
           "links.");
    b_.Set(schemes, "apiKeyQuery", std::move(query));
    return schemes;
  }

  Value ErrorResponses() {
    Value responses = b_.Object();
    Value error = b_.Object();
    b_.Set(error, "description",
           "gRPC statuses as HTTP: INVALID_ARGUMENT 400, UNAUTHENTICATED 401, "
           "PERMISSION_DENIED 403, NOT_FOUND 404, RESOURCE_EXHAUSTED 429, "
           "UNIMPLEMENTED 501, UNAVAILABLE 503, DEADLINE_EXCEEDED 504, "
           "others 500. 429 and 503 carry Retry-After (seconds).");
    Value content = b_.Object();
    Value json = b_.Object();
    b_.Set(json, "schema", b_.Ref(kErrorSchema));
    b_.Set(content, "application/json", std::move(json));
    b_.Set(error, "content", std::move(content));
    b_.Set(responses, kErrorSchema, std::move(error));
    return responses;
  }

  Value Paths() {
    // Paths in the order of their first route; several methods may share
    // one.
    std::vector<std::string> order;
    std::map<std::string, Value> paths;
    for (const auto& [route, binding] : InDeclarationOrder(routes_)) {
      const std::string method = absl::AsciiStrToLower(route->http_method);
      static const std::set<std::string> kOpenApiMethods = {
          "get", "put", "post", "delete", "options", "head", "patch", "trace"};
      // A custom HttpRule kind has no place in OpenAPI.
      if (!kOpenApiMethods.contains(method)) continue;
      const std::string path = OpenApiPath(route->path_template.text());
      auto [it, added] = paths.try_emplace(path, b_.Object());
      if (added) order.push_back(path);
      b_.Set(it->second, method, Operation(*route, binding));
    }
    Value all = b_.Object();
    for (const std::string& path : order) {
      b_.Set(all, path, std::move(paths.at(path)));
    }
    return all;
  }

  Value Operation(const Route& route, int binding) {
    const auto* service = route.method->service();
    Value operation = b_.Object();
    std::string id = absl::StrCat(service->name(), "_", route.method->name());
    if (binding > 0) absl::StrAppend(&id, "_", binding + 1);
    b_.Set(operation, "operationId", id);
    b_.Set(operation, "summary",
           absl::StrCat(service->name(), ".", route.method->name()));
    Value tags = b_.Array();
    b_.Push(tags, b_.Str(service->name()));
    b_.Set(operation, "tags", std::move(tags));
    b_.Set(operation, "x-grpc-method", route.grpc_method_path);
    Value parameters = Parameters(route);
    if (!parameters.Empty())
      b_.Set(operation, "parameters", std::move(parameters));
    if (!route.body_field_name.empty()) {
      Value body = b_.Object();
      b_.Set(body, "required", Value(true));
      Value content = b_.Object();
      Value json = b_.Object();
      b_.Set(json, "schema",
             route.body_field != nullptr
                 ? b_.BodyFieldSchema(route.body_field)
                 : b_.MessageRef(route.method->input_type()));
      b_.Set(content, "application/json", std::move(json));
      b_.Set(body, "content", std::move(content));
      b_.Set(operation, "requestBody", std::move(body));
    }
    Value responses = b_.Object();
    b_.Set(responses, absl::StrCat(route.success_http_code), Success(route));
    Value error = b_.Object();
    b_.Set(error, "$ref",
           absl::StrCat("#/components/responses/", kErrorSchema));
    b_.Set(responses, "default", std::move(error));
    b_.Set(operation, "responses", std::move(responses));
    // The services answer their health without a key.
    if (route.method->name() == "Health") {
      b_.Set(operation, "security", b_.Array());
    }
    return operation;
  }

  Value Success(const Route& route) {
    Value response = b_.Object();
    Value content = b_.Object();
    Value media = b_.Object();
    if (route.http_body_response && route.response_body_field == nullptr) {
      b_.Set(response, "description",
             "The bytes the backend made, with its content type.");
      Value schema = b_.Object();
      b_.Set(schema, "type", "string");
      b_.Set(schema, "format", "binary");
      b_.Set(media, "schema", std::move(schema));
      const char* type = "*/*";
      if (absl::EndsWith(route.download_filename, ".csv")) type = "text/csv";
      if (absl::EndsWith(route.download_filename, ".pdf")) {
        type = "application/pdf";
      }
      b_.Set(content, type, std::move(media));
      if (!route.download_filename.empty()) {
        Value headers = b_.Object();
        Value disposition = b_.Object();
        b_.Set(disposition, "description",
               absl::StrCat("attachment; filename=\"", route.download_filename,
                            "\""));
        Value text = b_.Object();
        b_.Set(text, "type", "string");
        b_.Set(disposition, "schema", std::move(text));
        b_.Set(headers, "Content-Disposition", std::move(disposition));
        b_.Set(response, "headers", std::move(headers));
      }
    } else if (route.server_streaming) {
      const std::string message =
          route.response_body_field != nullptr
              ? absl::StrCat("field ", route.response_body_field->name(),
                             " of ", route.method->output_type()->full_name())
              : route.method->output_type()->full_name();
      b_.Set(response, "description",
             absl::StrCat(
                 "Server-Sent Events: each `data:` line is one ", message,
                 " in the JSON of the other answers (schema ", message,
                 "); a stream that fails later ends with `event: error` and "
                 "an Error; `: keep-alive` comments while quiet."));
      Value schema = b_.Object();
      b_.Set(schema, "type", "string");
      b_.Set(media, "schema", std::move(schema));
      b_.Set(content, "text/event-stream", std::move(media));
      // Referenced here so that the message's schema is in components.
      if (route.response_body_field == nullptr) {
        b_.MessageRef(route.method->output_type());
      }
    } else {
      b_.Set(response, "description", "OK");
      b_.Set(media, "schema",
             route.response_body_field != nullptr
                 ? b_.BodyFieldSchema(route.response_body_field)
                 : b_.MessageRef(route.method->output_type()));
      b_.Set(content, "application/json", std::move(media));
    }
    b_.Set(response, "content", std::move(content));
    return response;
  }

  Value Parameters(const Route& route) {
    Value parameters = b_.Array();
    std::set<std::string> bound;
    for (const std::string& path : route.path_template.VariableFieldPaths()) {
      bound.insert(path);
      const FieldDescriptor* field = FieldAt(route.method->input_type(), path);
      Value parameter = b_.Object();
      b_.Set(parameter, "name", path);
      b_.Set(parameter, "in", "path");
      b_.Set(parameter, "required", Value(true));
      b_.Set(parameter, "schema",
             field != nullptr ? b_.ValueSchema(field) : StringSchema());
      b_.Push(parameters, std::move(parameter));
    }
    // With body "*" the body holds every field; otherwise every field that
    // is neither the body nor in the path may come as a query parameter.
    if (route.body_field_name != "*") {
      QueryParameters(route.method->input_type(), "", route.body_field, bound,
                      0, parameters);
    }
    return parameters;
  }

  Value StringSchema() {
    Value schema = b_.Object();
    b_.Set(schema, "type", "string");
    return schema;
  }

  // As JsonTranscoder::SetFieldFromString takes them: scalars, enums and
  // Timestamps, through singular message fields by dotted path; repeated
  // ones once per value.
  void QueryParameters(const Descriptor* message, const std::string& prefix,
                       const FieldDescriptor* body_field,
                       const std::set<std::string>& bound, int depth,
                       Value& parameters) {
    for (int i = 0; i < message->field_count(); ++i) {
      const FieldDescriptor* field = message->field(i);
      if (field == body_field || field->is_map()) continue;
      const std::string path = absl::StrCat(prefix, field->name());
      if (bound.contains(path)) continue;
      const bool nested = field->type() == FieldDescriptor::TYPE_MESSAGE &&
                          !IsTimestamp(field->message_type());
      if (nested) {
        if (!field->is_repeated() && depth + 1 < kMaxQueryDepth) {
          QueryParameters(field->message_type(), absl::StrCat(path, "."),
                          nullptr, bound, depth + 1, parameters);
        }
        continue;
      }
      Value parameter = b_.Object();
      b_.Set(parameter, "name", path);
      b_.Set(parameter, "in", "query");
      if (field->is_repeated()) {
        Value schema = b_.Object();
        b_.Set(schema, "type", "array");
        b_.Set(schema, "items", b_.ValueSchema(field));
        b_.Set(parameter, "schema", std::move(schema));
        b_.Set(parameter, "explode", Value(true));
      } else {
        b_.Set(parameter, "schema", b_.ValueSchema(field));
      }
      b_.Push(parameters, std::move(parameter));
    }
  }

  const RouteTable& routes_;
  const OpenApiInfo& info_;
  rapidjson::Document document_;
  Builder b_;
};

}  // namespace

std::vector<std::string> PublicServiceNames() {
  return {v1::IngestRequest::descriptor()
              ->file()
              ->FindServiceByName("IngestService")
              ->full_name(),
          v1::GetSummaryRequest::descriptor()
              ->file()
              ->FindServiceByName("AnalyticsService")
              ->full_name(),
          v1::ListDeadLettersRequest::descriptor()
              ->file()
              ->FindServiceByName("AdminService")
              ->full_name()};
}

std::string OpenApiDocument(const RouteTable& routes, const OpenApiInfo& info) {
  return DocumentWriter(routes, info).Write();
}

}  // namespace shopstream::gateway
