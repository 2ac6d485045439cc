#ifndef SHOPSTREAM_GATEWAY_TLS_CONTEXT_RELOADER_H_
#define SHOPSTREAM_GATEWAY_TLS_CONTEXT_RELOADER_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "boost/asio/ssl/context.hpp"
#include "common/clock.h"

namespace shopstream::gateway {

// The HTTPS listener's TLS context, built again when its certificate or key
// file changes (a renewed certificate, a Kubernetes secret swapped in
// place), so new connections get the new certificate without a restart.
// Open connections keep the context they shook hands with.
class TlsContextReloader {
 public:
  // Loads the pair now; errors name the flag whose file cannot be used.
  // The check interval is counted on `clock`.
  static absl::StatusOr<std::unique_ptr<TlsContextReloader>> Load(
      std::string cert_file, std::string key_file,
      absl::Duration check_interval, const Clock& clock = Clock::Real());

  // The context for a new connection. The files are looked at no more than
  // once per check interval. A changed pair that cannot be used (a key that
  // does not match the certificate yet, a file half written) is logged once
  // and the last good context kept, so the listener never stops serving.
  std::shared_ptr<boost::asio::ssl::context> Current();

  // Contexts built after the first; for tests.
  int reloads() const;

 private:
  // What tells a rewritten or swapped file from the one loaded.
  struct FileVersion {
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = -1;
    int64_t mtime_ns = 0;
    bool operator==(const FileVersion&) const = default;
  };
  struct PairVersion {
    FileVersion cert;
    FileVersion key;
    bool operator==(const PairVersion&) const = default;
  };
  static PairVersion VersionOf(const std::string& cert_file,
                               const std::string& key_file);

  TlsContextReloader(std::string cert_file, std::string key_file,
                     absl::Duration check_interval, const Clock& clock);

  const std::string cert_file_;
  const std::string key_file_;
  const absl::Duration check_interval_;
  const Clock& clock_;

  mutable absl::Mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> context_ ABSL_GUARDED_BY(mu_);
  PairVersion loaded_ ABSL_GUARDED_BY(mu_);
  // The last changed pair that could not be used (logged once); a missing
  // file counts as a version too, so its removal is logged.
  std::optional<PairVersion> refused_ ABSL_GUARDED_BY(mu_);
  absl::Time next_check_ ABSL_GUARDED_BY(mu_);
  int reloads_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_TLS_CONTEXT_RELOADER_H_
