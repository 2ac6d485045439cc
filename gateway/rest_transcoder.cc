#include "gateway/rest_transcoder.h"

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/grpc_status.h"
#include "gateway/credentials.h"
#include "gateway/event_stream.h"
#include "gateway/http_status.h"
#include "gateway/path_template.h"
#include "google/api/httpbody.pb.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace shopstream::gateway {

using google::protobuf::Message;

namespace {

constexpr char kAllowedRequestHeaders[] =
    "Content-Type, Authorization, X-API-Key, X-Request-Id";
constexpr char kPreflightMaxAgeSeconds[] = "86400";

// Whole seconds, rounded up: a client retrying at the header's time must
// not come back too early. No delay given means a second.
std::string RetryAfterSeconds(std::optional<absl::Duration> delay) {
  if (!delay.has_value() || *delay <= absl::Seconds(1)) {
    return kRetryAfterSeconds;
  }
  return absl::StrCat(
      absl::ToInt64Seconds(absl::Ceil(*delay, absl::Seconds(1))));
}

bool IsBlank(absl::string_view text) {
  return absl::StripAsciiWhitespace(text).empty();
}

// "application/json", "application/json; charset=utf-8", or empty.
bool IsJsonContentType(absl::string_view content_type) {
  const absl::string_view media_type = absl::StripAsciiWhitespace(
      content_type.substr(0, content_type.find(';')));
  return media_type.empty() ||
         absl::EqualsIgnoreCase(media_type, "application/json");
}

bool IsPlainTextContentType(absl::string_view content_type) {
  const absl::string_view media_type = absl::StripAsciiWhitespace(
      content_type.substr(0, content_type.find(';')));
  return absl::EqualsIgnoreCase(media_type, "text/plain");
}

// Lists `ignored` in the `ignored_fields` of the message the route prints
// (the response, or its response_body field), when it has one.
void NameIgnoredFields(const Route& route,
                       const std::vector<std::string>& ignored,
                       Message& response) {
  Message* printed = &response;
  if (route.response_body_field != nullptr) {
    if (route.response_body_field->cpp_type() !=
            google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE ||
        route.response_body_field->is_repeated()) {
      return;
    }
    printed = response.GetReflection()->MutableMessage(
        &response, route.response_body_field);
  }
  const google::protobuf::FieldDescriptor* field =
      printed->GetDescriptor()->FindFieldByName("ignored_fields");
  if (field == nullptr || !field->is_repeated() ||
      field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
    return;
  }
  for (const std::string& name : ignored) {
    printed->GetReflection()->AddString(printed, field, name);
  }
}

}  // namespace

RestResponse RestTranscoder::ErrorResponse(int http_status,
                                           absl::string_view message) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("error");
  writer.String(message.data(),
                static_cast<rapidjson::SizeType>(message.size()));
  writer.EndObject();
  return RestResponse{
      http_status, std::string(buffer.GetString(), buffer.GetSize()), {}};
}

RestResponse RestTranscoder::Preflight(absl::string_view path) const {
  std::vector<std::string> methods = routes_.AllowedMethods(path);
  if (methods.empty()) {
    return ErrorResponse(404, absl::StrCat("no route for OPTIONS ", path));
  }
  methods.push_back("OPTIONS");
  RestResponse response{
      204,
      "",
      {{"Access-Control-Allow-Methods", absl::StrJoin(methods, ", ")},
       {"Access-Control-Allow-Headers", kAllowedRequestHeaders},
       {"Access-Control-Max-Age", kPreflightMaxAgeSeconds}}};
  // The tracker's requests need no preflight; a page that asks for one
  // wants more than a collect key allows.
  response.any_origin = !routes_.IsBrowserCollectPath(path);
  return response;
}

std::variant<BackendRequest, RestResponse> RestTranscoder::TranscodeRequest(
    const RestRequest& request) const {
  const size_t query_start = request.target.find('?');
  const absl::string_view path = request.target.substr(0, query_start);
  const absl::string_view query = query_start == absl::string_view::npos
                                      ? absl::string_view()
                                      : request.target.substr(query_start + 1);
  if (request.method == "OPTIONS") return Preflight(path);

  absl::StatusOr<RouteMatch> match = routes_.Match(request.method, path);
  if (!match.ok()) {
    std::vector<std::string> allowed = routes_.AllowedMethods(path);
    if (allowed.empty()) {
      return ErrorResponse(404, match.status().message());
    }
    allowed.push_back("OPTIONS");
    RestResponse response = ErrorResponse(
        405,
        absl::StrCat("method ", request.method, " not allowed for ", path));
    response.headers.emplace_back("Allow", absl::StrJoin(allowed, ", "));
    return response;
  }

  // A body in another format is refused rather than misread; a missing
  // Content-Type is taken as JSON, as the case study's clients expect.
  // Browsers' beacons send text/plain, which needs no CORS preflight.
  if (!IsBlank(request.body) && !match->route->body_field_name.empty() &&
      !IsJsonContentType(request.content_type) &&
      !(match->route->browser_collect &&
        IsPlainTextContentType(request.content_type))) {
    return ErrorResponse(
        415, absl::StrCat("Content-Type: expected application/json, got \"",
                          request.content_type, "\""));
  }
  BackendRequest backend_request{
      match->route,
      std::unique_ptr<Message>(match->route->request_prototype->New())};
  if (absl::Status status = FillRequest(*match, query, request.body,
                                        backend_request.message.get(),
                                        &backend_request.ignored_fields);
      !status.ok()) {
    return ErrorResponse(HttpStatusForStatusCode(status.code()),
                         status.message());
  }
  if (strict_fields_ && !backend_request.ignored_fields.empty()) {
    return ErrorResponse(400,
                         absl::StrCat(backend_request.ignored_fields.front(),
                                      ": unknown field; custom data belongs in "
                                      "\"properties\""));
  }
  return backend_request;
}

absl::Status RestTranscoder::FillRequest(
    const RouteMatch& match, absl::string_view query, absl::string_view body,
    Message* message, std::vector<std::string>* ignored_fields) const {
  const Route& route = *match.route;
  // A route without a body ignores whatever body came with the request.
  if (route.body_field_name == "*") {
    if (!IsBlank(body)) {
      if (absl::Status status =
              json_.ParseMessage(body, message, ignored_fields);
          !status.ok()) {
        return status;
      }
    }
  } else if (route.body_field != nullptr && !IsBlank(body)) {
    if (absl::Status status =
            json_.ParseField(body, route.body_field, message, ignored_fields);
        !status.ok()) {
      return status;
    }
  }

  // With body "*" every field comes from the body, so queries have no say.
  if (route.body_field_name != "*") {
    for (absl::string_view parameter :
         absl::StrSplit(query, '&', absl::SkipEmpty())) {
      const std::pair<absl::string_view, absl::string_view> key_and_value =
          absl::StrSplit(parameter, absl::MaxSplits('=', 1));
      const std::string key = PercentDecode(key_and_value.first, true);
      // Credentials are not part of the request.
      if (key == kApiKeyQueryParameter || key == kLinkTicketQueryParameter) {
        continue;
      }
      const absl::string_view top_level_key =
          absl::string_view(key).substr(0, key.find('.'));
      if (route.body_field != nullptr &&
          json_.FindField(route.method->input_type(), top_level_key) ==
              route.body_field) {
        continue;
      }
      const absl::Status status = json_.SetFieldFromString(
          key, PercentDecode(key_and_value.second, true), message);
      // Unknown parameters (cache busters, tracking tags) are ignored.
      if (!status.ok() && !absl::IsNotFound(status)) return status;
    }
  }

  for (const PathVariable& variable : match.variables) {
    if (absl::Status status = json_.SetFieldFromString(variable.field_path,
                                                       variable.value, message);
        !status.ok()) {
      return absl::InvalidArgumentError(status.message());
    }
  }
  return absl::OkStatus();
}

RestResponse RestTranscoder::TranscodeResponse(
    const Route& route, const grpc::Status& status, grpc::ByteBuffer* payload,
    const std::vector<std::string>& ignored_fields) const {
  if (!status.ok()) {
    return TranscodeResponse(route, status, static_cast<Message*>(nullptr));
  }
  std::unique_ptr<Message> response(route.response_prototype->New());
  if (!grpc::SerializationTraits<Message>::Deserialize(payload, response.get())
           .ok()) {
    return ErrorResponse(500, "cannot parse the backend's response");
  }
  return TranscodeResponse(route, status, response.get(), ignored_fields);
}

RestResponse RestTranscoder::TranscodeResponse(
    const Route& route, const grpc::Status& status, Message* response,
    const std::vector<std::string>& ignored_fields) const {
  if (!status.ok()) {
    const std::string& message = status.error_message();
    RestResponse error = ErrorResponse(
        HttpStatusForGrpcCode(status.error_code()),
        message.empty() ? absl::StrCat("backend failed with gRPC status ",
                                       status.error_code())
                        : message);
    // Both mean "not now": tell the client when to retry (with the same
    // event_id, which keeps the retry from counting twice): when the backend
    // said (a rate limit knows), else in a second.
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
        status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      error.headers.emplace_back("Retry-After",
                                 RetryAfterSeconds(RetryDelayOf(status)));
    }
    // A failure that carries an answer (an unhealthy Health) sends it.
    if (std::optional<std::string> answer = MessageDetailOf(
            status, route.response_prototype->GetDescriptor()->full_name())) {
      std::unique_ptr<Message> answered(route.response_prototype->New());
      if (answered->ParseFromString(*answer)) {
        error.body = json_.Print(*answered);
      }
    }
    return error;
  }
  if (route.http_body_response && route.response_body_field == nullptr) {
    return HttpBodyResponse(route, response);
  }
  if (!ignored_fields.empty()) {
    NameIgnoredFields(route, ignored_fields, *response);
  }
  return RestResponse{
      route.success_http_code,
      route.response_body_field != nullptr
          ? json_.PrintField(*response, route.response_body_field)
          : json_.Print(*response),
      {}};
}

// The backend chose the bytes and their type; the route names the file.
RestResponse RestTranscoder::HttpBodyResponse(const Route& route,
                                              Message* message) {
  auto* body =
      google::protobuf::DynamicCastToGenerated<google::api::HttpBody>(message);
  if (body == nullptr) {
    return ErrorResponse(500, "cannot parse the backend's response");
  }
  RestResponse response{route.success_http_code,
                        std::move(*body->mutable_data()),
                        {},
                        body->content_type().empty()
                            ? "application/octet-stream"
                            : body->content_type()};
  if (!route.download_filename.empty()) {
    response.headers.emplace_back(
        "Content-Disposition",
        absl::StrCat("attachment; filename=\"", route.download_filename, "\""));
  }
  return response;
}

absl::StatusOr<std::string> RestTranscoder::EventStreamMessage(
    const Route& route, grpc::ByteBuffer* payload) const {
  std::unique_ptr<Message> message(route.response_prototype->New());
  if (!grpc::SerializationTraits<Message>::Deserialize(payload, message.get())
           .ok()) {
    return absl::InternalError("cannot parse the backend's message");
  }
  return EventStreamEvent(
      "", route.response_body_field != nullptr
              ? json_.PrintField(*message, route.response_body_field)
              : json_.Print(*message));
}

std::string RestTranscoder::EventStreamError(const grpc::Status& status) {
  const std::string& message = status.error_message();
  return EventStreamEvent(
      "error",
      ErrorResponse(HttpStatusForGrpcCode(status.error_code()),
                    message.empty()
                        ? absl::StrCat("backend failed with gRPC status ",
                                       status.error_code())
                        : message)
          .body);
}

}  // namespace shopstream::gateway
