// The gateway's handling of raw HTTP bytes: its framing check of the header
// block, Beast's parser with the gateway's limits, then credentials, route
// matching and transcoding into a backend request (JSON body, query
// parameters, path variables).
#include <cstddef>
#include <cstdint>
#include <string>

#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "gateway/credentials.h"
#include "gateway/gateway_server.h"
#include "gateway/request_framing.h"
#include "gateway/route_table.h"
#include "shopstream/v1/admin.pb.h"
#include "shopstream/v1/analytics.pb.h"
#include "shopstream/v1/ingest.pb.h"

namespace {

namespace http = boost::beast::http;

const shopstream::gateway::RestTranscoder& Transcoder() {
  static const shopstream::gateway::RestTranscoder* transcoder = [] {
    // Naming the generated types links their descriptors in.
    const std::string ingest = shopstream::v1::IngestRequest::descriptor()
                                   ->file()
                                   ->FindServiceByName("IngestService")
                                   ->full_name();
    const std::string analytics =
        shopstream::v1::GetSummaryRequest::descriptor()
            ->file()
            ->FindServiceByName("AnalyticsService")
            ->full_name();
    const std::string admin =
        shopstream::v1::ListDeadLettersRequest::descriptor()
            ->file()
            ->FindServiceByName("AdminService")
            ->full_name();
    auto routes =
        shopstream::gateway::RouteTable::Build({ingest, analytics, admin});
    if (!routes.ok()) abort();
    return new shopstream::gateway::RestTranscoder(*std::move(routes));
  }();
  return *transcoder;
}

std::optional<absl::string_view> Header(
    const http::request<http::string_body>& request,
    boost::beast::string_view name) {
  auto it = request.find(name);
  if (it == request.end()) return std::nullopt;
  return absl::string_view(it->value().data(), it->value().size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view received(reinterpret_cast<const char*>(data), size);
  if (const size_t header_length =
          shopstream::gateway::HeaderBlockLength(received);
      header_length > 0 && !shopstream::gateway::CheckRequestFraming(
                                received.substr(0, header_length))
                                .ok()) {
    return 0;
  }
  const shopstream::gateway::GatewayOptions defaults;
  http::request_parser<http::string_body> parser;
  parser.body_limit(defaults.max_body_bytes);
  parser.header_limit(static_cast<std::uint32_t>(defaults.max_header_bytes));
  parser.eager(true);
  boost::beast::error_code error;
  size_t offset = 0;
  while (offset < size && !parser.is_done()) {
    const size_t used =
        parser.put(boost::asio::buffer(data + offset, size - offset), error);
    if (error == http::error::need_more) break;
    if (error) return 0;
    if (used == 0) break;
    offset += used;
  }
  if (!parser.is_done()) {
    // put_eof requires some input (asserted by Beast); the server's
    // async_read reports end of stream on an empty connection instead.
    if (!parser.got_some()) return 0;
    parser.put_eof(error);
    if (error || !parser.is_done()) return 0;
  }
  const http::request<http::string_body>& request = parser.get();
  const absl::string_view target(request.target().data(),
                                 request.target().size());
  (void)shopstream::gateway::AuthorizationFor(
      Header(request, "authorization"), Header(request, "x-api-key"), target,
      /*link_route=*/true);
  const shopstream::gateway::RestRequest rest{
      absl::string_view(request.method_string().data(),
                        request.method_string().size()),
      target, request.body(),
      Header(request, "content-type").value_or(absl::string_view())};
  auto transcoded = Transcoder().TranscodeRequest(rest);
  if (auto* backend =
          std::get_if<shopstream::gateway::BackendRequest>(&transcoded)) {
    (void)backend->message->SerializeAsString();
  }
  return 0;
}
