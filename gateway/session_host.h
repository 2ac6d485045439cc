#ifndef SHOPSTREAM_GATEWAY_SESSION_HOST_H_
#define SHOPSTREAM_GATEWAY_SESSION_HOST_H_

#include <memory>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "boost/asio/ssl/context.hpp"
#include "common/metrics.h"
#include "gateway/backends.h"
#include "gateway/browser_collect.h"
#include "gateway/gateway_options.h"
#include "gateway/rest_transcoder.h"
#include "gateway/route_table.h"
#include "gateway/static_files.h"
#include "gateway/tls_context_reloader.h"

namespace shopstream::gateway {

// The gateway's own endpoints, answered without a backend call.
inline constexpr char kLivenessPath[] = "/healthz";
inline constexpr char kReadinessPath[] = "/readyz";
// The route label of requests no route matched (and of preflights).
inline constexpr char kOtherRoute[] = "other";

class HttpSession;

// What the server gives each of its connections: options, transcoder,
// backends, route metrics, static files, TLS, and the registry of open
// connections that a stop reaches. The server's lifecycle
// (GatewayServer::Impl) builds on it, so a connection depends on this and
// not on the server that accepted it.
class SessionHost {
 public:
  SessionHost(GatewayOptions options, RouteTable routes,
              std::optional<StaticFiles> static_files);

  // False once stopping: the new connection is then closed at once.
  bool Register(const std::shared_ptr<HttpSession>& session);
  void Unregister(HttpSession* session);

  const GatewayOptions& options() const { return options_; }
  AddressRateLimiter& collect_limiter() { return collect_limiter_; }
  const RestTranscoder& transcoder() const { return transcoder_; }
  const StaticFiles* static_files() const {
    return static_files_.has_value() ? &*static_files_ : nullptr;
  }
  // For a new connection; null when the gateway speaks plain HTTP.
  std::shared_ptr<boost::asio::ssl::context> tls_context() const {
    return tls_reloader_ == nullptr ? nullptr : tls_reloader_->Current();
  }
  Backends& backends() { return *backends_; }

  // Series resolved at start, so a request only follows pointers.
  HttpRouteMetrics& MetricsFor(const Route* route) {
    return *metrics_by_route_.at(route);
  }
  // For answers given without a backend call (errors, preflights): the
  // route's label when the path and method match one, else "other".
  HttpRouteMetrics& MetricsFor(absl::string_view method,
                               absl::string_view target) {
    const absl::string_view path = target.substr(0, target.find('?'));
    absl::StatusOr<RouteMatch> match = transcoder_.routes().Match(method, path);
    return match.ok() ? MetricsFor(match->route) : other_metrics_;
  }
  HttpRouteMetrics& other_metrics() { return other_metrics_; }
  HttpRouteMetrics& liveness_metrics() { return liveness_metrics_; }
  HttpRouteMetrics& readiness_metrics() { return readiness_metrics_; }
  HttpRouteMetrics& static_metrics() { return *static_metrics_; }

 protected:
  const GatewayOptions options_;
  const RestTranscoder transcoder_;
  AddressRateLimiter collect_limiter_;
  const std::optional<StaticFiles> static_files_;
  std::unique_ptr<TlsContextReloader> tls_reloader_;
  std::unique_ptr<Backends> backends_;
  absl::flat_hash_map<const Route*, std::unique_ptr<HttpRouteMetrics>>
      metrics_by_route_;
  HttpRouteMetrics other_metrics_;
  HttpRouteMetrics liveness_metrics_;
  HttpRouteMetrics readiness_metrics_;
  std::unique_ptr<HttpRouteMetrics> static_metrics_;

  absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  absl::flat_hash_map<HttpSession*, std::weak_ptr<HttpSession>> sessions_
      ABSL_GUARDED_BY(mutex_);
};

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_SESSION_HOST_H_
