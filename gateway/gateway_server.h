#ifndef SHOPSTREAM_GATEWAY_GATEWAY_SERVER_H_
#define SHOPSTREAM_GATEWAY_GATEWAY_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/keepalive.h"
#include "gateway/gateway_options.h"
#include "gateway/rest_transcoder.h"
#include "gateway/route_table.h"
#include "google/protobuf/message.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/status.h"

namespace shopstream::gateway {

// HTTP/1.1 JSON front end for gRPC services (Boost.Beast, async, keep-alive).
// Each request is transcoded and sent with a generic stub; the io thread is
// free while the backend works, and the connection resumes from the gRPC
// callback. Every response is JSON (or a google.api.HttpBody's own content)
// and carries CORS headers and the request's X-Request-Id (the client's, or a
// fresh one), which also goes to the backend as gRPC metadata.
// Server-streaming methods answer as Server-Sent Events, one event per
// message, until the stream or the client ends. Besides the routes: GET
// /healthz (the gateway runs) and GET /readyz (every backend's gRPC health
// service says SERVING; 503 naming the others).
class GatewayServer {
 public:
  // Builds the routes, opens one channel per distinct target, listens and
  // starts the io threads.
  static absl::StatusOr<std::unique_ptr<GatewayServer>> Start(
      GatewayOptions options);

  // Stops like Stop() if still running.
  ~GatewayServer();
  GatewayServer(const GatewayServer&) = delete;
  GatewayServer& operator=(const GatewayServer&) = delete;

  // The bound port; useful with http_port 0.
  uint16_t port() const;
  const RouteTable& routes() const;

  // Stops accepting, closes idle connections, lets in-flight requests get
  // their responses, then joins the io threads. Thread-safe; idempotent.
  void Stop();

  class Impl;

 private:
  explicit GatewayServer(std::shared_ptr<Impl> impl);

  std::shared_ptr<Impl> impl_;
};

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_GATEWAY_SERVER_H_
