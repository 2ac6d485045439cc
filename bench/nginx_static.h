#ifndef SHOPSTREAM_BENCH_NGINX_STATIC_H_
#define SHOPSTREAM_BENCH_NGINX_STATIC_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "bench/child_process.h"

namespace shopstream::bench {

// What the REST ceiling's nginx answers: the gateway's 202 for an accepted
// event, with no work behind it.
inline constexpr char kAcceptedBody[] = R"({"status":"accepted"})";

struct NginxStaticConfig {
  // Directory of the configuration, pid file, logs and temporary files: an
  // unprivileged nginx cannot write Debian's defaults under /var.
  std::string prefix;
  int port = 0;
  // 0: "auto", one per CPU.
  int worker_processes = 0;
  std::string path = "/v1/events";
};

// An nginx.conf that answers POST `path` on 127.0.0.1:`port` with 202 and
// kAcceptedBody, in the foreground, with keep-alive connections that are
// never closed for their request count or idleness during a run.
std::string NginxStaticConfigText(const NginxStaticConfig& config);

// nginx serving NginxStaticConfigText on a free loopback port, as the
// benchmark's child, until Stop or destruction.
class NginxStaticServer {
 public:
  // `nginx`: the binary (a path, or a name looked up on PATH).
  explicit NginxStaticServer(std::string nginx) : nginx_(std::move(nginx)) {}

  // Writes the configuration into `prefix` (created if missing), starts
  // nginx and waits until it accepts connections.
  absl::Status Start(const std::string& prefix, int worker_processes);
  absl::Status Stop() { return process_.Stop(); }

  int port() const { return port_; }
  pid_t pid() const { return process_.pid(); }

 private:
  std::string nginx_;
  ChildProcess process_;
  int port_ = 0;
};

}  // namespace shopstream::bench

#endif  // SHOPSTREAM_BENCH_NGINX_STATIC_H_
