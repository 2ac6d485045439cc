#ifndef SHOPSTREAM_GATEWAY_REST_TRANSCODER_H_
#define SHOPSTREAM_GATEWAY_REST_TRANSCODER_H_

#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/json_transcoder.h"
#include "gateway/route_table.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/status.h"

namespace shopstream::gateway {

// Retry-After when the backend gave no delay.
inline constexpr char kRetryAfterSeconds[] = "1";

// One HTTP request as the transcoder needs it; views into the server's
// buffers.
struct RestRequest {
  absl::string_view method;  // "GET"
  absl::string_view target;  // "/v1/shops/abc/summary?from=..."
  absl::string_view body;
  // The Content-Type header; empty when absent.
  absl::string_view content_type;
};

struct RestResponse {
  int status = 200;
  std::string body;  // JSON (or empty for 204) unless content_type says else
  // Headers beyond Content-Type and CORS origin, e.g. Allow on a 405.
  std::vector<std::pair<std::string, std::string>> headers;
  // Other than JSON for google.api.HttpBody responses and static files.
  std::string content_type = "application/json";
  // "Access-Control-Allow-Origin: *", as every route but browser_collect
  // ones has: those name the one origin allowed, or none.
  bool any_origin = true;
};

// The gRPC call a REST request becomes.
struct BackendRequest {
  const Route* route = nullptr;
  std::unique_ptr<google::protobuf::Message> message;
  // Body keys no field has, left out (see JsonTranscoder::ParseMessage).
  std::vector<std::string> ignored_fields;
};

// Turns REST requests into gRPC requests and gRPC results back into REST
// responses, by the route table. No I/O, so it is tested without sockets.
class RestTranscoder {
 public:
  // With `strict_fields`, a body key that no field has is refused (400
  // naming it) instead of left out and named in the answer.
  explicit RestTranscoder(RouteTable routes, bool strict_fields = false)
      : routes_(std::move(routes)), strict_fields_(strict_fields) {}

  // The backend request to make, or the response to send at once: 404 (no
  // route), 405 (path known, method not), 400 (bad JSON, path variable or
  // query parameter), 204 (CORS preflight for a known path). The request
  // message is filled from the body, then query parameters, then path
  // variables, so the path wins.
  std::variant<BackendRequest, RestResponse> TranscodeRequest(
      const RestRequest& request) const;

  // The REST response for a finished backend call; `payload` is the
  // serialized response message when `status` is OK. A successful answer
  // whose message has `ignored_fields` lists `ignored_fields` there.
  RestResponse TranscodeResponse(
      const Route& route, const grpc::Status& status, grpc::ByteBuffer* payload,
      const std::vector<std::string>& ignored_fields = {}) const;
  // The same for a response already parsed (null unless `status` is OK);
  // its content may be moved out.
  RestResponse TranscodeResponse(
      const Route& route, const grpc::Status& status,
      google::protobuf::Message* response,
      const std::vector<std::string>& ignored_fields = {}) const;

  // {"error": message} with `http_status`.
  static RestResponse ErrorResponse(int http_status, absl::string_view message);

  // For server-streaming routes: the Server-Sent Event of one message of
  // the stream ("data: <json>"); an error when it does not parse.
  absl::StatusOr<std::string> EventStreamMessage(
      const Route& route, grpc::ByteBuffer* payload) const;
  // The "error" event that ends a stream that failed after it started:
  // the same JSON as an error response.
  static std::string EventStreamError(const grpc::Status& status);

  const RouteTable& routes() const { return routes_; }

 private:
  absl::Status FillRequest(const RouteMatch& match, absl::string_view query,
                           absl::string_view body,
                           google::protobuf::Message* message,
                           std::vector<std::string>* ignored_fields) const;
  RestResponse Preflight(absl::string_view path) const;
  static RestResponse HttpBodyResponse(const Route& route,
                                       google::protobuf::Message* body);

  RouteTable routes_;
  bool strict_fields_;
  JsonTranscoder json_;
};

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_REST_TRANSCODER_H_
