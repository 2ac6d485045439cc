#ifndef SHOPSTREAM_GATEWAY_OPENAPI_H_
#define SHOPSTREAM_GATEWAY_OPENAPI_H_

#include <string>
#include <vector>

#include "gateway/route_table.h"

namespace shopstream::gateway {

// The public gRPC services whose google.api.http bindings the gateway
// serves, by full name ("shopstream.v1.IngestService"). Naming them through
// their generated code also links their descriptors into the generated pool
// that RouteTable::Build reads.
std::vector<std::string> PublicServiceNames();

struct OpenApiInfo {
  std::string title = "shopstream";
  std::string version;
  std::string description;
};

// The OpenAPI 3.0 document (JSON) of `routes`, made from the same Route
// objects the gateway answers with, so the two cannot disagree: one
// operation per binding; path variables, the request body and query
// parameters from the request message as FillRequest reads them; responses
// as RestTranscoder writes them (JSON under proto field names, 64-bit
// integers as numbers, null for unset fields with presence, Timestamps as
// RFC 3339 strings, enums by name; google.api.HttpBody as raw bytes;
// server streaming as Server-Sent Events); errors as {"error": "..."}.
// Schemas are named by the messages' full names.
std::string OpenApiDocument(const RouteTable& routes, const OpenApiInfo& info);

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_OPENAPI_H_
