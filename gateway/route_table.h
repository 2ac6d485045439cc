#ifndef SHOPSTREAM_GATEWAY_ROUTE_TABLE_H_
#define SHOPSTREAM_GATEWAY_ROUTE_TABLE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/path_template.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace shopstream::gateway {

// One REST binding of a gRPC method, from its google.api.http option (or one
// of its additional_bindings).
struct Route {
  // "GET", "POST", "PUT", "DELETE", "PATCH", or a custom pattern's kind.
  std::string http_method;
  PathTemplate path_template;
  // "" (no body), "*" (the whole request message) or a request field name.
  std::string body_field_name;
  // "" (the whole response message) or a response field name.
  std::string response_body_field_name;
  // From shopstream.api.http_success_code; 200 when absent.
  int success_http_code = 200;
  const google::protobuf::MethodDescriptor* method = nullptr;
  // "/shopstream.v1.IngestService/Ingest".
  std::string grpc_method_path;
  // Answered as Server-Sent Events, a `data:` event per message.
  bool server_streaming = false;
  // The response is a google.api.HttpBody: its data goes out as the body,
  // with its content type, instead of JSON.
  bool http_body_response = false;
  // For HttpBody responses: the template's last segment when it is a file
  // name ("timeseries.csv"), offered in Content-Disposition; else empty.
  std::string download_filename;
  // From shopstream.api.browser_collect: browsers post here from shops'
  // pages (see gateway/browser_collect.h).
  bool browser_collect = false;

  // Resolved once so requests need no lookups by name.
  const google::protobuf::FieldDescriptor* body_field = nullptr;
  const google::protobuf::FieldDescriptor* response_body_field = nullptr;
  const google::protobuf::Message* request_prototype = nullptr;
  const google::protobuf::Message* response_prototype = nullptr;
};

struct RouteMatch {
  const Route* route = nullptr;
  std::vector<PathVariable> variables;
};

// All REST routes of a set of gRPC services, read from their annotations.
class RouteTable {
 public:
  // `service_names` are full names ("shopstream.v1.IngestService") looked up
  // in `pool`, whose messages must have generated classes. Methods without
  // google.api.http are not routed; server-streaming methods are routed as
  // event streams; client-streaming methods with a binding are an error.
  static absl::StatusOr<RouteTable> Build(
      const std::vector<std::string>& service_names,
      const google::protobuf::DescriptorPool* pool =
          google::protobuf::DescriptorPool::generated_pool());

  // The route for `http_method` and `path` (no query string), or NotFound.
  // Literal templates win over templates with variables, whatever the
  // declaration order.
  absl::StatusOr<RouteMatch> Match(absl::string_view http_method,
                                   absl::string_view path) const;

  // The HTTP methods that have a route for `path`; empty when none has.
  std::vector<std::string> AllowedMethods(absl::string_view path) const;
  // Whether a browser_collect route has `path`.
  bool IsBrowserCollectPath(absl::string_view path) const;

  const std::vector<Route>& routes() const { return *routes_; }

 private:
  explicit RouteTable(std::vector<Route> routes);

  // Behind a pointer so the Route addresses handed out stay put when the
  // table is moved.
  std::unique_ptr<std::vector<Route>> routes_;
};

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_ROUTE_TABLE_H_
