#include "gateway/session_host.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace shopstream::gateway {

SessionHost::SessionHost(GatewayOptions options, RouteTable routes,
                         std::optional<StaticFiles> static_files)
    : options_(std::move(options)),
      transcoder_(std::move(routes), options_.strict_fields),
      collect_limiter_(options_.collect_requests_per_address, *options_.clock),
      static_files_(std::move(static_files)),
      other_metrics_(kOtherRoute),
      liveness_metrics_(kLivenessPath),
      readiness_metrics_(kReadinessPath) {
  for (const Route& route : transcoder_.routes().routes()) {
    metrics_by_route_[&route] =
        std::make_unique<HttpRouteMetrics>(route.path_template.text());
  }
  if (!options_.static_accept_path.empty()) {
    static_metrics_ =
        std::make_unique<HttpRouteMetrics>(options_.static_accept_path);
  }
}

bool SessionHost::Register(const std::shared_ptr<HttpSession>& session) {
  absl::MutexLock lock(&mutex_);
  if (stopping_) return false;
  if (sessions_.size() >= options_.max_connections) {
    LogWarning("too many connections; closing a new one",
               {{"limit", absl::StrCat(options_.max_connections)}});
    return false;
  }
  sessions_[session.get()] = session;
  return true;
}

void SessionHost::Unregister(HttpSession* session) {
  absl::MutexLock lock(&mutex_);
  sessions_.erase(session);
}

}  // namespace shopstream::gateway
