#ifndef SHOPSTREAM_GATEWAY_GATEWAY_OPTIONS_H_
#define SHOPSTREAM_GATEWAY_GATEWAY_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/clock.h"
#include "common/keepalive.h"
#include "grpcpp/security/credentials.h"

namespace shopstream::gateway {

// What the gateway is started with: the server and each connection read it.
struct GatewayOptions {
  std::string http_address = "0.0.0.0";
  uint16_t http_port = 8080;  // 0: any free port (see GatewayServer::port)
  int io_threads = 0;         // 0: one per hardware thread
  absl::Duration backend_timeout = absl::Seconds(10);
  size_t max_body_bytes = 1 << 20;
  // Request line plus headers; 431 beyond.
  size_t max_header_bytes = 16 << 10;
  // A connection with no request for this long is closed.
  absl::Duration idle_timeout = absl::Seconds(60);
  // An event stream with nothing to say sends a comment this often, so
  // proxies and clients do not take it for dead.
  absl::Duration event_stream_keep_alive = absl::Seconds(15);
  // From a request's first byte to its last; a client that drips it slower
  // is disconnected.
  absl::Duration read_timeout = absl::Seconds(30);
  // Open client connections; more are closed as soon as they are accepted.
  size_t max_connections = 10000;
  // gRPC service full name ("shopstream.v1.IngestService") -> backend
  // target ("localhost:50051"). Routes come from these services.
  std::map<std::string, std::string> backends;
  // When set, requests for this path are answered 202 {"status":"accepted"}
  // by the HTTP layer alone: the benchmark's ceiling for the HTTP layer.
  std::string static_accept_path;
  // Send single events (POST /v1/events) over ingest's EventIngress stream
  // while it is open (see backends.h); false: a unary call each.
  bool ingest_stream = true;
  // When set, GET and HEAD of paths that no route claims are answered
  // from the files under this directory (see static_files.h).
  std::string static_dir;
  // Refuse request JSON keys that no field has (400 naming the key)
  // instead of leaving them out and naming them in the answer.
  bool strict_fields = false;
  // Requests a second each client address may make to browser_collect
  // routes (the tracker), with bursts of twice that; 0: no limit.
  double collect_requests_per_address = 20;
  // Take the client address of browser_collect routes from the last entry
  // of X-Forwarded-For (behind a proxy that sets it) rather than the peer.
  bool collect_address_from_forwarded_for = false;
  // Origins of other gateways the dashboard may call (its ?api= option),
  // allowed by its Content-Security-Policy (see page_security.h).
  std::vector<std::string> dashboard_api_origins;
  // For the backend channels; null: plaintext.
  std::shared_ptr<grpc::ChannelCredentials> backend_credentials;
  // Sent on the backends' internal RPCs (the event stream); empty: none
  // (mutual TLS, or the opt-out). See common/internal_rpc_auth.h.
  std::string service_token;
  // Pings on the backend channels, so that calls do not wait on a
  // connection to a backend whose host vanished (see common/keepalive.h).
  KeepalivePolicy backend_keepalive;
  // PEM certificate chain and private key: with both, clients must speak
  // HTTPS (TLS 1.2 or later); both empty: plain HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
  // How often the files are looked at for a renewed certificate, which new
  // connections then get (see tls_context_reloader.h).
  absl::Duration tls_check_interval = absl::Seconds(10);
  // What the address limit, the certificate checks and the backends' health
  // checks are timed by. Connection timeouts are the I/O loop's timers, on
  // the machine's clock.
  const Clock* clock = &Clock::Real();
};

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_GATEWAY_OPTIONS_H_
