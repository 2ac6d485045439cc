#include "gateway/gateway_server.h"

#include <exception>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/beast/core.hpp"
#include "common/log.h"
#include "gateway/backends.h"
#include "gateway/http_session.h"
#include "gateway/page_security.h"
#include "gateway/session_host.h"
#include "gateway/static_files.h"
#include "gateway/tls_context_reloader.h"

namespace shopstream::gateway {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

// ---- GatewayServer ----

// The server's lifecycle: TLS, backends, the listener, the io threads and
// the stop. What its connections share is the SessionHost it builds on.
class GatewayServer::Impl : public SessionHost,
                            public std::enable_shared_from_this<Impl> {
 public:
  Impl(GatewayOptions options, RouteTable routes,
       std::optional<StaticFiles> static_files)
      : SessionHost(std::move(options), std::move(routes),
                    std::move(static_files)),
        io_contexts_(MakeIoContexts(options_.io_threads)),
        acceptor_(*io_contexts_.front()) {}

  absl::Status LoadTls();
  absl::Status Listen();
  void RunThreads();
  void Stop();

  uint16_t port() const { return port_; }

  absl::Status ConnectBackends();

 private:
  // One io_context per thread, each run by that thread alone, connections
  // dealt out in turn: a connection's handlers never wait for another
  // thread's lock or wake-up and need no strand. Two threads sharing one
  // io_context, each connection on a strand, cost 10-20% more CPU per
  // request.
  static std::vector<std::unique_ptr<net::io_context>> MakeIoContexts(
      int threads);

  void Accept();
  void OnAccept(beast::error_code error, tcp::socket socket,
                net::io_context& io_context);

  absl::Mutex stop_mutex_;  // serializes Stop() callers
  bool stopped_ ABSL_GUARDED_BY(stop_mutex_) = false;

  // Declared after what sessions use (the SessionHost base is destroyed
  // last), so that handlers the io_contexts still hold at destruction may
  // destroy sessions safely.
  std::vector<std::unique_ptr<net::io_context>> io_contexts_;
  // Keep the threads of io_contexts without connections running until
  // Stop().
  std::vector<net::executor_work_guard<net::io_context::executor_type>>
      idle_work_;
  size_t next_io_context_ = 0;  // round robin; only the acceptor's thread
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::vector<std::thread> threads_;
};

absl::Status GatewayServer::Impl::ConnectBackends() {
  absl::StatusOr<std::unique_ptr<Backends>> backends =
      Backends::Connect({.targets = options_.backends,
                         .timeout = options_.backend_timeout,
                         .ingest_stream = options_.ingest_stream,
                         .credentials = options_.backend_credentials,
                         .service_token = options_.service_token,
                         .keepalive = options_.backend_keepalive,
                         .clock = options_.clock},
                        &transcoder_);
  if (!backends.ok()) return backends.status();
  backends_ = *std::move(backends);
  return absl::OkStatus();
}

absl::Status GatewayServer::Impl::LoadTls() {
  if (options_.tls_cert_file.empty() && options_.tls_key_file.empty()) {
    return absl::OkStatus();
  }
  absl::StatusOr<std::unique_ptr<TlsContextReloader>> reloader =
      TlsContextReloader::Load(options_.tls_cert_file, options_.tls_key_file,
                               options_.tls_check_interval, *options_.clock);
  if (!reloader.ok()) return reloader.status();
  tls_reloader_ = *std::move(reloader);
  return absl::OkStatus();
}

absl::Status GatewayServer::Impl::Listen() {
  beast::error_code error;
  const net::ip::address address =
      net::ip::make_address(options_.http_address, error);
  if (error) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad HTTP address \"", options_.http_address, "\": ", error.message()));
  }
  const tcp::endpoint endpoint(address, options_.http_port);
  auto failed = [&](absl::string_view step) {
    return absl::UnavailableError(
        absl::StrCat("cannot ", step, " ", options_.http_address, ":",
                     options_.http_port, ": ", error.message()));
  };
  if (acceptor_.open(endpoint.protocol(), error)) return failed("open");
  if (acceptor_.set_option(net::socket_base::reuse_address(true), error)) {
    return failed("configure");
  }
  if (acceptor_.bind(endpoint, error)) return failed("bind");
  if (acceptor_.listen(net::socket_base::max_listen_connections, error)) {
    return failed("listen on");
  }
  port_ = acceptor_.local_endpoint(error).port();
  if (error) return failed("read the port of");
  Accept();
  return absl::OkStatus();
}

std::vector<std::unique_ptr<net::io_context>>
GatewayServer::Impl::MakeIoContexts(int threads) {
  if (threads <= 0) {
    threads = static_cast<int>(std::thread::hardware_concurrency());
  }
  if (threads <= 0) threads = 1;
  std::vector<std::unique_ptr<net::io_context>> contexts;
  for (int i = 0; i < threads; ++i) {
    contexts.push_back(std::make_unique<net::io_context>(1));
  }
  return contexts;
}

void GatewayServer::Impl::Accept() {
  net::io_context& target = *io_contexts_[next_io_context_];
  next_io_context_ = (next_io_context_ + 1) % io_contexts_.size();
  acceptor_.async_accept(target.get_executor(),
                         [self = shared_from_this(), &target](
                             beast::error_code error, tcp::socket socket) {
                           self->OnAccept(error, std::move(socket), target);
                         });
}

void GatewayServer::Impl::OnAccept(beast::error_code error, tcp::socket socket,
                                   net::io_context& io_context) {
  if (!acceptor_.is_open()) return;
  if (error) {
    LogWarning("accept failed", {{"error", error.message()}});
  } else {
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::make_shared<HttpSession>(std::move(socket), io_context, *this)
        ->Start();
  }
  Accept();
}

void GatewayServer::Impl::RunThreads() {
  for (const auto& context : io_contexts_) {
    idle_work_.push_back(net::make_work_guard(*context));
  }
  for (const auto& context : io_contexts_) {
    threads_.emplace_back([context = context.get()] {
      // A handler that throws must not take the process down with it.
      while (true) {
        try {
          context->run();
          return;
        } catch (const std::exception& e) {
          LogError("unexpected exception in an HTTP handler",
                   {{"error", e.what()}});
        }
      }
    });
  }
}

void GatewayServer::Impl::Stop() {
  absl::MutexLock stop_lock(&stop_mutex_);
  if (stopped_) return;
  stopped_ = true;
  std::vector<std::shared_ptr<HttpSession>> sessions;
  {
    absl::MutexLock lock(&mutex_);
    stopping_ = true;
    for (const auto& [pointer, weak] : sessions_) {
      if (auto session = weak.lock()) sessions.push_back(std::move(session));
    }
  }
  // The idle guards keep every io_context running through the posts below,
  // so none is left unrun.
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ignored;
    self->acceptor_.close(ignored);
  });
  for (const auto& session : sessions) session->Shutdown();
  sessions.clear();
  for (auto& work : idle_work_) work.reset();
  // The threads return once nothing is left to do: no acceptor, no
  // connection, no backend call in flight.
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  // Nothing is in flight any more: every call held the io_context open.
  backends_->Stop();
}

absl::StatusOr<std::unique_ptr<GatewayServer>> GatewayServer::Start(
    GatewayOptions options) {
  std::vector<std::string> services;
  for (const auto& [service, target] : options.backends) {
    services.push_back(service);
  }
  absl::StatusOr<RouteTable> routes = RouteTable::Build(services);
  if (!routes.ok()) return routes.status();
  std::optional<StaticFiles> static_files;
  if (!options.static_dir.empty()) {
    absl::StatusOr<HeaderList> page_headers =
        DashboardSecurityHeaders(options.dashboard_api_origins);
    if (!page_headers.ok()) return page_headers.status();
    absl::StatusOr<StaticFiles> opened =
        StaticFiles::Open(options.static_dir, *std::move(page_headers));
    if (!opened.ok()) return opened.status();
    static_files = *std::move(opened);
  }
  auto impl = std::make_shared<Impl>(std::move(options), *std::move(routes),
                                     std::move(static_files));
  if (absl::Status status = impl->LoadTls(); !status.ok()) return status;
  if (absl::Status status = impl->ConnectBackends(); !status.ok()) {
    return status;
  }
  if (absl::Status status = impl->Listen(); !status.ok()) return status;
  impl->RunThreads();
  return std::unique_ptr<GatewayServer>(new GatewayServer(std::move(impl)));
}

GatewayServer::GatewayServer(std::shared_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

GatewayServer::~GatewayServer() { Stop(); }

uint16_t GatewayServer::port() const { return impl_->port(); }

const RouteTable& GatewayServer::routes() const {
  return impl_->transcoder().routes();
}

void GatewayServer::Stop() { impl_->Stop(); }

}  // namespace shopstream::gateway
