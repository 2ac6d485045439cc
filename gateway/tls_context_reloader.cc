#include "gateway/tls_context_reloader.h"

#include <sys/stat.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "gateway/client_stream.h"

namespace shopstream::gateway {

absl::StatusOr<std::unique_ptr<TlsContextReloader>> TlsContextReloader::Load(
    std::string cert_file, std::string key_file, absl::Duration check_interval,
    const Clock& clock) {
  std::unique_ptr<TlsContextReloader> reloader(new TlsContextReloader(
      std::move(cert_file), std::move(key_file), check_interval, clock));
  const PairVersion version =
      VersionOf(reloader->cert_file_, reloader->key_file_);
  absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> context =
      ServerTlsContext(reloader->cert_file_, reloader->key_file_);
  if (!context.ok()) return context.status();
  absl::MutexLock lock(&reloader->mu_);
  reloader->context_ = *std::move(context);
  reloader->loaded_ = version;
  return reloader;
}

TlsContextReloader::TlsContextReloader(std::string cert_file,
                                       std::string key_file,
                                       absl::Duration check_interval,
                                       const Clock& clock)
    : cert_file_(std::move(cert_file)),
      key_file_(std::move(key_file)),
      check_interval_(check_interval),
      clock_(clock),
      next_check_(clock.Now() + check_interval) {}

TlsContextReloader::PairVersion TlsContextReloader::VersionOf(
    const std::string& cert_file, const std::string& key_file) {
  // stat follows symlinks: a Kubernetes secret volume swaps its files by
  // pointing a symlink at a new directory.
  auto version_of = [](const std::string& path) {
    FileVersion version;
    struct stat info;
    if (stat(path.c_str(), &info) == 0) {
      version.device = info.st_dev;
      version.inode = info.st_ino;
      version.size = info.st_size;
      version.mtime_ns =
          int64_t{info.st_mtim.tv_sec} * 1000000000 + info.st_mtim.tv_nsec;
    }
    return version;
  };
  return {version_of(cert_file), version_of(key_file)};
}

std::shared_ptr<boost::asio::ssl::context> TlsContextReloader::Current() {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  if (now < next_check_) return context_;
  next_check_ = now + check_interval_;
  const PairVersion version = VersionOf(cert_file_, key_file_);
  if (version == loaded_ || version == refused_) return context_;
  absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> context =
      ServerTlsContext(cert_file_, key_file_);
  if (!context.ok()) {
    refused_ = version;
    LogWarning(
        "TLS certificate changed but cannot be used; keeping the "
        "previous one",
        {{"error", std::string(context.status().message())}});
    return context_;
  }
  context_ = *std::move(context);
  loaded_ = version;
  ++reloads_;
  LogInfo("TLS certificate reloaded", {{"cert_file", cert_file_}});
  return context_;
}

int TlsContextReloader::reloads() const {
  absl::MutexLock lock(&mu_);
  return reloads_;
}

}  // namespace shopstream::gateway
