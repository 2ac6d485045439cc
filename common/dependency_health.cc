#include "common/dependency_health.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/grpc_status.h"
#include "common/log.h"

namespace shopstream {

grpc::Status HealthAnswer(const DependencyStates& states,
                          v1::HealthResponse* response) {
  std::vector<std::string> down;
  for (const auto& [name, up] : states) {
    (*response->mutable_dependencies())[name] = up ? "up" : "down";
    if (!up) down.push_back(name);
  }
  if (down.empty()) {
    response->set_status("healthy");
    return grpc::Status::OK;
  }
  response->set_status("unhealthy");
  return ToGrpcStatus(
      WithMessageDetail(absl::UnavailableError(absl::StrCat(
                            "unhealthy: ", absl::StrJoin(down, ", "),
                            down.size() == 1 ? " is down" : " are down")),
                        *response));
}

DependencyHealth::DependencyHealth(std::vector<Dependency> dependencies,
                                   absl::Duration interval, const Clock& clock)
    : dependencies_(std::move(dependencies)),
      interval_(interval),
      clock_(clock) {
  for (const Dependency& dependency : dependencies_) {
    states_.emplace_back(dependency.name, false);
  }
  thread_ = std::thread([this] { Loop(); });
}

DependencyHealth::~DependencyHealth() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

DependencyStates DependencyHealth::States() const {
  absl::MutexLock lock(&mu_);
  return states_;
}

void DependencyHealth::Loop() {
  while (true) {
    for (size_t i = 0; i < dependencies_.size(); ++i) {
      const absl::Status status = dependencies_[i].check();
      absl::MutexLock lock(&mu_);
      bool& up = states_[i].second;
      if (status.ok() != up || !checked_once_) {
        if (status.ok()) {
          LogInfo("dependency up", {{"dependency", dependencies_[i].name}});
        } else {
          LogWarning("dependency down",
                     {{"dependency", dependencies_[i].name},
                      {"error", std::string(status.message())}});
        }
      }
      up = status.ok();
    }
    absl::MutexLock lock(&mu_);
    checked_once_ = true;
    const auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_;
    };
    if (clock_.AwaitWithDeadline(mu_, absl::Condition(&stopping),
                                 clock_.Now() + interval_)) {
      return;
    }
  }
}

}  // namespace shopstream
