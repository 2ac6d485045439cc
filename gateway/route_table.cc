#include "gateway/route_table.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/api/annotations.pb.h"
#include "google/api/http.pb.h"
#include "google/protobuf/message.h"
#include "shopstream/api/options.pb.h"

namespace shopstream::gateway {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;

// The HTTP method and path of a rule's `pattern` oneof.
absl::StatusOr<std::pair<std::string, std::string>> MethodAndPath(
    const google::api::HttpRule& rule) {
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet:
      return std::make_pair(std::string("GET"), rule.get());
    case google::api::HttpRule::kPut:
      return std::make_pair(std::string("PUT"), rule.put());
    case google::api::HttpRule::kPost:
      return std::make_pair(std::string("POST"), rule.post());
    case google::api::HttpRule::kDelete:
      return std::make_pair(std::string("DELETE"), rule.delete_());
    case google::api::HttpRule::kPatch:
      return std::make_pair(std::string("PATCH"), rule.patch());
    case google::api::HttpRule::kCustom:
      return std::make_pair(rule.custom().kind(), rule.custom().path());
    case google::api::HttpRule::PATTERN_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("HttpRule without a pattern");
}

// Checks that a path variable names a non-repeated field reachable through
// singular message fields.
absl::Status CheckVariableFieldPath(const Descriptor* request,
                                    const std::string& field_path) {
  const Descriptor* message = request;
  const std::vector<std::string> parts = absl::StrSplit(field_path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* field =
        message == nullptr ? nullptr : message->FindFieldByName(parts[i]);
    if (field == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("path variable \"", field_path, "\" is not a field of ",
                       request->full_name()));
    }
    if (field->is_repeated()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "path variable \"", field_path, "\" is a repeated field"));
    }
    message = field->message_type();
  }
  return absl::OkStatus();
}

constexpr char kHttpBodyType[] = "google.api.HttpBody";

// "/v1/shops/{shop_id}/timeseries.csv" -> "timeseries.csv": a last segment
// that is a literal with an extension names the download.
std::string DownloadFilename(absl::string_view path_template) {
  absl::string_view last = path_template.substr(path_template.rfind('/') + 1);
  last = last.substr(0, last.find(':'));
  if (last.find_first_of("{}*") != absl::string_view::npos ||
      last.find('.') == absl::string_view::npos) {
    return "";
  }
  return std::string(last);
}

absl::StatusOr<Route> MakeRoute(const MethodDescriptor* method,
                                const google::api::HttpRule& rule,
                                int success_http_code) {
  auto error = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat(method->full_name(), ": ", why));
  };
  absl::StatusOr<std::pair<std::string, std::string>> method_and_path =
      MethodAndPath(rule);
  if (!method_and_path.ok()) return error(method_and_path.status().message());
  absl::StatusOr<PathTemplate> path_template =
      PathTemplate::Parse(method_and_path->second);
  if (!path_template.ok()) return error(path_template.status().message());

  google::protobuf::MessageFactory* factory =
      google::protobuf::MessageFactory::generated_factory();
  const Descriptor* request = method->input_type();
  const Descriptor* response = method->output_type();
  Route route{
      .http_method = method_and_path->first,
      .path_template = *std::move(path_template),
      .body_field_name = rule.body(),
      .response_body_field_name = rule.response_body(),
      .success_http_code = success_http_code,
      .method = method,
      .grpc_method_path = absl::StrCat("/", method->service()->full_name(), "/",
                                       method->name()),
      .request_prototype = factory->GetPrototype(request),
      .response_prototype = factory->GetPrototype(response),
  };
  route.server_streaming = method->server_streaming();
  route.http_body_response = response->full_name() == kHttpBodyType;
  if (route.http_body_response) {
    route.download_filename = DownloadFilename(route.path_template.text());
  }
  if (route.http_method.empty()) return error("custom pattern without kind");
  if (route.request_prototype == nullptr ||
      route.response_prototype == nullptr) {
    return error("request or response has no generated class");
  }
  if (!route.body_field_name.empty() && route.body_field_name != "*") {
    route.body_field = request->FindFieldByName(route.body_field_name);
    if (route.body_field == nullptr) {
      return error(absl::StrCat("body \"", route.body_field_name,
                                "\" is not a field of ", request->full_name()));
    }
  }
  if (!route.response_body_field_name.empty()) {
    route.response_body_field =
        response->FindFieldByName(route.response_body_field_name);
    if (route.response_body_field == nullptr) {
      return error(
          absl::StrCat("response_body \"", route.response_body_field_name,
                       "\" is not a field of ", response->full_name()));
    }
  }
  for (const std::string& field_path :
       route.path_template.VariableFieldPaths()) {
    if (absl::Status status = CheckVariableFieldPath(request, field_path);
        !status.ok()) {
      return error(status.message());
    }
  }
  if (success_http_code < 200 || success_http_code > 299) {
    return error(absl::StrCat("http_success_code ", success_http_code,
                              " is not a 2xx code"));
  }
  return route;
}

}  // namespace

RouteTable::RouteTable(std::vector<Route> routes)
    : routes_(std::make_unique<std::vector<Route>>(std::move(routes))) {}

absl::StatusOr<RouteTable> RouteTable::Build(
    const std::vector<std::string>& service_names,
    const google::protobuf::DescriptorPool* pool) {
  std::vector<Route> routes;
  for (const std::string& service_name : service_names) {
    const google::protobuf::ServiceDescriptor* service =
        pool->FindServiceByName(service_name);
    if (service == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("unknown gRPC service \"", service_name,
                       "\" (is its generated code linked in?)"));
    }
    for (int i = 0; i < service->method_count(); ++i) {
      const MethodDescriptor* method = service->method(i);
      const google::protobuf::MethodOptions& options = method->options();
      if (!options.HasExtension(google::api::http)) continue;
      if (method->client_streaming()) {
        return absl::InvalidArgumentError(
            absl::StrCat(method->full_name(),
                         ": client-streaming methods cannot have a "
                         "google.api.http binding"));
      }
      const int success_http_code =
          options.HasExtension(shopstream::api::http_success_code)
              ? options.GetExtension(shopstream::api::http_success_code)
              : 200;
      const google::api::HttpRule& rule =
          options.GetExtension(google::api::http);
      std::vector<const google::api::HttpRule*> rules = {&rule};
      for (const google::api::HttpRule& additional :
           rule.additional_bindings()) {
        rules.push_back(&additional);
      }
      for (const google::api::HttpRule* binding : rules) {
        absl::StatusOr<Route> route =
            MakeRoute(method, *binding, success_http_code);
        if (!route.ok()) return route.status();
        route->browser_collect =
            options.GetExtension(shopstream::api::browser_collect);
        routes.push_back(*std::move(route));
      }
    }
  }
  for (size_t i = 0; i < routes.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (routes[i].http_method == routes[j].http_method &&
          routes[i].path_template.text() == routes[j].path_template.text()) {
        return absl::InvalidArgumentError(absl::StrCat(
            routes[i].http_method, " ", routes[i].path_template.text(),
            " is bound to both ", routes[j].method->full_name(), " and ",
            routes[i].method->full_name()));
      }
    }
  }
  // The most literal template is tried first, so "/v1/shops/top" beats
  // "/v1/shops/{shop_id}".
  std::stable_sort(routes.begin(), routes.end(),
                   [](const Route& a, const Route& b) {
                     return a.path_template.LiteralSegmentCount() >
                            b.path_template.LiteralSegmentCount();
                   });
  return RouteTable(std::move(routes));
}

absl::StatusOr<RouteMatch> RouteTable::Match(absl::string_view http_method,
                                             absl::string_view path) const {
  for (const Route& route : *routes_) {
    if (route.http_method != http_method) continue;
    std::optional<std::vector<PathVariable>> variables =
        route.path_template.Match(path);
    if (variables.has_value()) {
      return RouteMatch{&route, *std::move(variables)};
    }
  }
  return absl::NotFoundError(
      absl::StrCat("no route for ", http_method, " ", path));
}

std::vector<std::string> RouteTable::AllowedMethods(
    absl::string_view path) const {
  std::vector<std::string> methods;
  for (const Route& route : *routes_) {
    if (std::find(methods.begin(), methods.end(), route.http_method) !=
        methods.end()) {
      continue;
    }
    if (route.path_template.Match(path).has_value()) {
      methods.push_back(route.http_method);
    }
  }
  return methods;
}

bool RouteTable::IsBrowserCollectPath(absl::string_view path) const {
  return std::any_of(routes_->begin(), routes_->end(), [&](const Route& route) {
    return route.browser_collect && route.path_template.Match(path).has_value();
  });
}

}  // namespace shopstream::gateway
