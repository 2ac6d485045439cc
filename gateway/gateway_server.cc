#include "gateway/gateway_server.h"

#include <chrono>
#include <deque>
#include <exception>
#include <optional>
#include <sstream>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "boost/asio/dispatch.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "common/caller_status.h"
#include "common/grpc_status.h"
#include "common/internal_rpc_auth.h"
#include "common/keepalive.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/request_id.h"
#include "gateway/backends.h"
#include "gateway/browser_collect.h"
#include "gateway/client_stream.h"
#include "gateway/credentials.h"
#include "gateway/event_stream.h"
#include "gateway/http_status.h"
#include "gateway/page_security.h"
#include "gateway/path_template.h"
#include "gateway/request_framing.h"
#include "gateway/static_files.h"
#include "gateway/tls_context_reloader.h"
#include "google/api/httpbody.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/security/credentials.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace shopstream::gateway {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using google::protobuf::Message;

namespace {

// The gateway's own endpoints, answered without a backend call.
constexpr char kLivenessPath[] = "/healthz";
constexpr char kReadinessPath[] = "/readyz";
// The route label of requests no route matched (and of preflights).
constexpr char kOtherRoute[] = "other";
// After a 413 the client may still be sending its body; reading (and
// dropping) some of it lets the client see the response instead of a reset.
constexpr size_t kMaxDrainBytes = 8 << 20;
constexpr auto kDrainTimeout = std::chrono::seconds(5);
constexpr auto kWriteTimeout = std::chrono::seconds(30);
// How long an event stream's end over TLS waits for the client's
// close_notify before the connection is closed anyway.
constexpr auto kCloseNotifyTimeout = std::chrono::seconds(5);
constexpr size_t kFirstReadBytes = 4096;
// Enough for any real browser's; classification reads no further.
constexpr size_t kMaxForwardedUserAgentBytes = 512;

std::chrono::steady_clock::duration ToChrono(absl::Duration duration) {
  return absl::ToChronoNanoseconds(duration);
}

}  // namespace

// ---- GatewayServer ----

class HttpSession;

class GatewayServer::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(GatewayOptions options, RouteTable routes,
       std::optional<StaticFiles> static_files)
      : options_(std::move(options)),
        transcoder_(std::move(routes), options_.strict_fields),
        collect_limiter_(options_.collect_requests_per_address, Clock::Real()),
        static_files_(std::move(static_files)),
        other_metrics_(kOtherRoute),
        liveness_metrics_(kLivenessPath),
        readiness_metrics_(kReadinessPath),
        io_contexts_(MakeIoContexts(options_.io_threads)),
        acceptor_(*io_contexts_.front()) {
    for (const Route& route : transcoder_.routes().routes()) {
      metrics_by_route_[&route] =
          std::make_unique<HttpRouteMetrics>(route.path_template.text());
    }
    if (!options_.static_accept_path.empty()) {
      static_metrics_ =
          std::make_unique<HttpRouteMetrics>(options_.static_accept_path);
    }
  }

  absl::Status LoadTls();
  absl::Status Listen();
  void RunThreads();
  void Stop();

  // False once stopping: the new connection is then closed at once.
  bool Register(const std::shared_ptr<HttpSession>& session);
  void Unregister(HttpSession* session);

  uint16_t port() const { return port_; }
  const GatewayOptions& options() const { return options_; }
  AddressRateLimiter& collect_limiter() { return collect_limiter_; }
  const RestTranscoder& transcoder() const { return transcoder_; }
  const StaticFiles* static_files() const {
    return static_files_.has_value() ? &*static_files_ : nullptr;
  }
  // For a new connection; null when the gateway speaks plain HTTP.
  std::shared_ptr<net::ssl::context> tls_context() const {
    return tls_reloader_ == nullptr ? nullptr
                                    : tls_reloader_->Current(absl::Now());
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
  absl::Mutex stop_mutex_;  // serializes Stop() callers
  bool stopped_ ABSL_GUARDED_BY(stop_mutex_) = false;

  // Declared after what sessions use, so that handlers the io_contexts
  // still hold at destruction may destroy sessions safely.
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

// One client connection: reads a request, transcodes it, waits for the
// backend without holding a thread, writes the response, repeats while the
// client keeps the connection alive. All handlers run on the one thread of
// the io_context the connection was accepted onto, so they never overlap
// and need no strand; callbacks from other threads post to that io_context.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket socket, net::io_context& io_context,
              GatewayServer::Impl& server)
      : tls_context_(server.tls_context()),
        stream_(std::move(socket), tls_context_.get()),
        io_context_(io_context),
        server_(server) {}

  ~HttpSession() { server_.Unregister(this); }

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->server_.Register(self)) {
        self->Close();
        return;
      }
      if (self->stream_.tls()) {
        self->Handshake();
      } else {
        self->ReadRequest();
      }
    });
  }

  // For a graceful stop: an idle connection closes now, a busy one after
  // its response.
  void Shutdown() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      self->stopping_ = true;
      // An event stream would never end by itself.
      if (self->event_stream_ != nullptr) {
        self->event_stream_->context.TryCancel();
      } else if (!self->busy_) {
        self->Close();
      }
    });
  }

 private:
  // Bounded like reading a request: a client that connects and stays silent
  // or speaks plain HTTP is disconnected.
  void Handshake() {
    stream_.expires_after(ToChrono(server_.options().read_timeout));
    stream_.async_handshake(
        [self = shared_from_this()](beast::error_code error) {
          if (error) {
            self->Close();
            return;
          }
          self->ReadRequest();
        });
  }

  // Waits up to the idle timeout for a request to begin, then up to the
  // read timeout for all of it.
  void ReadRequest() {
    parser_.emplace();
    parser_->body_limit(server_.options().max_body_bytes);
    parser_->header_limit(
        static_cast<std::uint32_t>(server_.options().max_header_bytes));
    if (buffer_.size() > 0) {  // pipelined: the next request has begun
      ReadRestOfRequest();
      return;
    }
    stream_.expires_after(ToChrono(server_.options().idle_timeout));
    stream_.async_read_some(
        buffer_.prepare(kFirstReadBytes),
        [self = shared_from_this()](beast::error_code error, size_t bytes) {
          self->buffer_.commit(bytes);
          if (error) {
            self->OnRead(error, 0);
            return;
          }
          self->ReadRestOfRequest();
        });
  }

  void ReadRestOfRequest() {
    stream_.expires_after(ToChrono(server_.options().read_timeout));
    ReadHeaderBlock();
  }

  // The header block is checked as received, before Beast's parser takes it
  // (see request_framing.h); Beast then parses it and reads the body.
  void ReadHeaderBlock() {
    const absl::string_view received(
        static_cast<const char*>(buffer_.data().data()), buffer_.size());
    const size_t header_length = HeaderBlockLength(received);
    if (header_length == 0 &&
        received.size() <= server_.options().max_header_bytes) {
      stream_.async_read_some(
          buffer_.prepare(kFirstReadBytes),
          [self = shared_from_this()](beast::error_code error, size_t bytes) {
            self->buffer_.commit(bytes);
            if (!error) {
              self->ReadHeaderBlock();
            } else if (error == net::error::eof && self->buffer_.size() > 0) {
              // A request cut short is Beast's to report.
              self->ParseRequest();
            } else {
              self->OnRead(error, 0);
            }
          });
      return;
    }
    // No end within the header limit: Beast answers 431.
    if (header_length > 0) {
      if (absl::Status framing =
              CheckRequestFraming(received.substr(0, header_length));
          !framing.ok()) {
        RefuseFraming(framing);
        return;
      }
    }
    ParseRequest();
  }

  void ParseRequest() {
    http::async_read(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&HttpSession::OnRead, shared_from_this()));
  }

  // Answered and closed without reading on: the rest of what was sent might
  // be taken for a request of its own.
  void RefuseFraming(const absl::Status& fault) {
    StartAnswer();
    busy_ = true;
    drain_after_write_ = true;
    SendResponse(RestTranscoder::ErrorResponse(
                     HttpStatusForStatusCode(fault.code()), fault.message()),
                 /*keep_alive=*/false);
  }

  void StartAnswer() {
    request_started_ = absl::Now();
    observed_ = false;
    route_metrics_ = &server_.other_metrics();
    request_id_.clear();
  }

  void OnRead(beast::error_code error, size_t /*bytes*/) {
    StartAnswer();
    if (!error) {
      HandleRequest();
      return;
    }
    if (error == http::error::header_limit) {
      busy_ = true;
      SendResponse(
          RestTranscoder::ErrorResponse(
              431, absl::StrCat("request headers are larger than ",
                                server_.options().max_header_bytes, " bytes")),
          /*keep_alive=*/false);
      return;
    }
    if (error == http::error::body_limit) {
      busy_ = true;
      drain_after_write_ = true;
      SendResponse(
          RestTranscoder::ErrorResponse(
              413, absl::StrCat("request body is larger than ",
                                server_.options().max_body_bytes, " bytes")),
          /*keep_alive=*/false);
      return;
    }
    if (error == http::error::end_of_stream || error == net::error::eof ||
        error == net::error::operation_aborted ||
        error == beast::error::timeout ||
        error.category() == net::error::get_system_category()) {
      Close();
      return;
    }
    // Anything else is a request we cannot parse; what follows it is
    // dropped, so the client sees the answer rather than a reset.
    busy_ = true;
    drain_after_write_ = true;
    SendResponse(
        RestTranscoder::ErrorResponse(
            400, absl::StrCat("malformed HTTP request: ", error.message())),
        /*keep_alive=*/false);
  }

  static absl::string_view ContentTypeOf(
      const http::request<http::string_body>& request) {
    auto it = request.find(http::field::content_type);
    if (it == request.end()) return {};
    return absl::string_view(it->value().data(), it->value().size());
  }

  void HandleRequest() {
    busy_ = true;
    const http::request<http::string_body>& request = parser_->get();
    request_version_ = request.version();
    head_request_ = request.method() == http::verb::head;
    const bool keep_alive = request.keep_alive();
    const RestRequest rest_request{
        absl::string_view(request.method_string().data(),
                          request.method_string().size()),
        absl::string_view(request.target().data(), request.target().size()),
        request.body(), ContentTypeOf(request)};
    const std::string& static_path = server_.options().static_accept_path;
    if (!static_path.empty() && rest_request.target == static_path) {
      route_metrics_ = &server_.static_metrics();
      SendResponse({202, R"({"status":"accepted"})", {}}, keep_alive);
      return;
    }
    auto request_id = request.find(kRequestIdKey);
    if (request_id != request.end() &&
        IsUsableRequestId(absl::string_view(request_id->value().data(),
                                            request_id->value().size()))) {
      request_id_ = std::string(request_id->value());
    } else {
      request_id_ = NewRequestId();
    }
    collect_origin_.reset();
    if (std::optional<RestResponse> own = OwnEndpoint(rest_request)) {
      SendResponse(*std::move(own), keep_alive);
      return;
    }
    if (std::optional<RestResponse> file = StaticFile(rest_request)) {
      SendResponse(*std::move(file), keep_alive);
      return;
    }
    std::variant<BackendRequest, RestResponse> transcoded =
        server_.transcoder().TranscodeRequest(rest_request);
    if (auto* response = std::get_if<RestResponse>(&transcoded)) {
      route_metrics_ =
          &server_.MetricsFor(rest_request.method, rest_request.target);
      SendResponse(std::move(*response), keep_alive);
      return;
    }
    BackendRequest& backend_request = std::get<BackendRequest>(transcoded);
    route_metrics_ = &server_.MetricsFor(backend_request.route);
    if (!backend_request.ignored_fields.empty()) {
      route_metrics_->CountIgnoredFields(backend_request.ignored_fields.size());
    }
    if (backend_request.route->browser_collect) {
      if (std::optional<RestResponse> refusal = AdmitCollect()) {
        SendResponse(*std::move(refusal), keep_alive);
        return;
      }
    }
    if (std::optional<CredentialRefusal> refusal = OversizedCredential(
            Header(http::field::authorization),
            Header(beast::string_view("x-api-key")), Target())) {
      SendResponse(
          RestTranscoder::ErrorResponse(refusal->http_status, refusal->message),
          keep_alive);
      return;
    }
    if (backend_request.route->server_streaming) {
      StartEventStream(std::move(backend_request));
      return;
    }
    CallBackend(std::move(backend_request), keep_alive);
  }

  // A browser_collect route: the page's Origin is required (the backend
  // checks it against the key's), and each client address has its share.
  // The answer names the origin for CORS only once the backend allowed it.
  std::optional<RestResponse> AdmitCollect() {
    absl::StatusOr<std::string> origin =
        CollectOrigin(Header(http::field::origin));
    if (!origin.ok()) {
      RestResponse refusal =
          RestTranscoder::ErrorResponse(403, origin.status().message());
      refusal.any_origin = false;
      return refusal;
    }
    collect_origin_ = *std::move(origin);
    if (server_.options().collect_requests_per_address > 0) {
      beast::error_code ignored;
      const tcp::endpoint peer = stream_.socket().remote_endpoint(ignored);
      const std::string address = CollectClientAddress(
          peer.address().to_string(),
          Header(beast::string_view("x-forwarded-for")),
          server_.options().collect_address_from_forwarded_for);
      if (std::optional<absl::Duration> wait =
              server_.collect_limiter().Admit(address)) {
        RestResponse refusal = RestTranscoder::ErrorResponse(
            429, "too many requests from this address; retry later");
        refusal.headers.emplace_back(
            "Retry-After",
            absl::StrCat(std::max<int64_t>(
                1, absl::ToInt64Seconds(absl::Ceil(*wait, absl::Seconds(1))))));
        refusal.any_origin = false;
        return refusal;
      }
    }
    return std::nullopt;
  }

  // /healthz: the gateway runs. /readyz: every backend's health service
  // says SERVING, so requests can be answered. Plain endpoints of the
  // gateway, not routes of a backend.
  std::optional<RestResponse> OwnEndpoint(const RestRequest& request) {
    const absl::string_view path =
        request.target.substr(0, request.target.find('?'));
    if (path != kLivenessPath && path != kReadinessPath) return std::nullopt;
    if (request.method != "GET" && request.method != "HEAD") {
      RestResponse response = RestTranscoder::ErrorResponse(
          405,
          absl::StrCat("method ", request.method, " not allowed for ", path));
      response.headers.emplace_back("Allow", "GET, HEAD");
      return response;
    }
    if (path == kLivenessPath) {
      route_metrics_ = &server_.liveness_metrics();
      return RestResponse{200, R"({"status":"alive"})", {}};
    }
    route_metrics_ = &server_.readiness_metrics();
    const std::vector<std::string> waiting = server_.backends().NotServing();
    if (waiting.empty()) return RestResponse{200, R"({"status":"ready"})", {}};
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.StartObject();
    writer.Key("status");
    writer.String("not ready");
    writer.Key("not_serving");
    writer.StartArray();
    for (const std::string& service : waiting) writer.String(service.c_str());
    writer.EndArray();
    writer.EndObject();
    return RestResponse{
        503, buffer.GetString(), {{"Retry-After", kRetryAfterSeconds}}};
  }

  void CallBackend(BackendRequest backend_request, bool keep_alive) {
    // The backend may take up to its deadline; that is not idle time.
    stream_.expires_never();
    gateway::Caller caller = Caller(*backend_request.route);
    // A browser_collect route names the page's origin for CORS once the
    // backend has allowed it, and no other.
    std::optional<std::string> collect_origin;
    if (backend_request.route->browser_collect) {
      collect_origin = collect_origin_.value_or("");
    }
    const bool on_stream = server_.backends().Call(
        std::move(backend_request), std::move(caller),
        [self = shared_from_this(), work = net::make_work_guard(io_context_),
         keep_alive, collect_origin = std::move(collect_origin)](
            RestResponse response) mutable {
          if (collect_origin.has_value()) {
            response.any_origin = false;
            if (response.status < 300 && !collect_origin->empty()) {
              response.headers.emplace_back("Access-Control-Allow-Origin",
                                            *std::move(collect_origin));
            }
          }
          // gRPC's thread must not touch the stream: hop back onto the
          // connection's thread. Everything is moved out, and the hop goes
          // through the io_context (a plain reference) rather than a copy
          // of an executor, so that nothing gRPC's thread destroys
          // afterwards refers to the io_context, which may be gone by then.
          net::io_context& io_context = self->io_context_;
          net::post(io_context,
                    [self = std::move(self), work = std::move(work),
                     response = std::move(response), keep_alive]() mutable {
                      self->SendResponse(std::move(response), keep_alive);
                    });
        });
    if (on_stream) FlushIngestStreamLater();
  }

  // Once per turn of this thread's event loop: the events of every
  // connection whose request was read in this turn leave in one message.
  void FlushIngestStreamLater() {
    static thread_local bool flush_posted = false;
    if (flush_posted) return;
    flush_posted = true;
    net::post(io_context_, [&backends = server_.backends()] {
      flush_posted = false;
      backends.FlushIngestStream();
    });
  }

  // API routes come first: a file answers only for paths no route claims.
  std::optional<RestResponse> StaticFile(const RestRequest& rest_request) {
    const StaticFiles* files = server_.static_files();
    if (files == nullptr) return std::nullopt;
    const absl::string_view path =
        rest_request.target.substr(0, rest_request.target.find('?'));
    if (!server_.transcoder().routes().AllowedMethods(path).empty()) {
      return std::nullopt;
    }
    const http::request<http::string_body>& request = parser_->get();
    auto if_none_match = request.find(http::field::if_none_match);
    std::optional<StaticResponse> file =
        files->Respond(rest_request.method, path,
                       if_none_match == request.end()
                           ? absl::string_view()
                           : absl::string_view(if_none_match->value().data(),
                                               if_none_match->value().size()));
    if (!file.has_value()) return std::nullopt;
    return RestResponse{file->status, std::move(file->body),
                        std::move(file->headers),
                        std::move(file->content_type)};
  }

  // Who the request comes from, as the backend hears it: the request id
  // and the credential from the headers or the query (a link ticket only
  // on link routes).
  gateway::Caller Caller(const Route& route) const {
    gateway::Caller caller{
        request_id_, AuthorizationFor(Header(http::field::authorization),
                                      Header(beast::string_view("x-api-key")),
                                      Target(), IsLinkRoute(route))};
    if (route.browser_collect && collect_origin_.has_value()) {
      caller.metadata.emplace_back(kCollectOriginMetadata, *collect_origin_);
      if (std::optional<absl::string_view> agent =
              Header(http::field::user_agent)) {
        caller.metadata.emplace_back(
            kCollectUserAgentMetadata,
            std::string(agent->substr(0, kMaxForwardedUserAgentBytes)));
      }
    }
    return caller;
  }

  template <typename Name>
  std::optional<absl::string_view> Header(Name name) const {
    const http::request<http::string_body>& request = parser_->get();
    auto it = request.find(name);
    if (it == request.end()) return std::nullopt;
    return absl::string_view(it->value().data(), it->value().size());
  }
  absl::string_view Target() const {
    const http::request<http::string_body>& request = parser_->get();
    return absl::string_view(request.target().data(), request.target().size());
  }

  // ---- Server-Sent Events for server-streaming routes ----
  //
  // The HTTP status waits for the stream's first message (or the first
  // keep-alive), so a stream refused at once (bad request, too many
  // watchers) gets a plain error response with its HTTP status. After that
  // each message is one "data:" event; the next message is read from the
  // backend only once the previous one is written, so a slow client slows
  // the stream instead of filling memory. The connection is not reused.

  // One backend stream. Its callbacks hop onto the session's thread; it
  // keeps the session (and the io threads) alive until gRPC is done with it.
  class EventStreamCall
      : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
   public:
    EventStreamCall(std::shared_ptr<HttpSession> session, const Route* route)
        : route(route),
          session_(std::move(session)),
          work_(session_->io_context_.get_executor()) {}

    void OnReadDone(bool ok) override {
      // The stream ended: no more reads, so the hold goes and OnDone can
      // follow.
      if (!ok) {
        RemoveHold();
        return;
      }
      grpc::ByteBuffer message;
      message.Swap(&response);
      Hop([message = std::move(message)](HttpSession& session) mutable {
        session.OnEventStreamMessage(&message);
      });
    }

    void OnDone(const grpc::Status& status) override {
      // Keeps this object alive until OnDone returns, whoever lets go last.
      std::shared_ptr<EventStreamCall> self = std::move(self_);
      Hop([status, work = std::move(work_)](HttpSession& session) {
        session.OnEventStreamDone(status);
      });
      session_.reset();
    }

    grpc::ClientContext context;
    grpc::ByteBuffer request;
    grpc::ByteBuffer response;
    const Route* const route;
    std::shared_ptr<EventStreamCall> self_;

   private:
    // As for unary calls: post through the io_context, so nothing gRPC's
    // thread keeps refers to an executor.
    template <typename Fn>
    void Hop(Fn fn) {
      net::io_context& io_context = session_->io_context_;
      net::post(io_context, [session = session_, fn = std::move(fn)]() mutable {
        fn(*session);
      });
    }

    std::shared_ptr<HttpSession> session_;
    net::executor_work_guard<net::io_context::executor_type> work_;
  };

  void StartEventStream(BackendRequest backend_request) {
    const Route* route = backend_request.route;
    auto call = std::make_shared<EventStreamCall>(shared_from_this(), route);
    Caller(*route).AddTo(call->context);
    bool own_buffer = false;
    if (!grpc::SerializationTraits<Message>::Serialize(
             *backend_request.message, &call->request, &own_buffer)
             .ok()) {
      SendResponse(
          RestTranscoder::ErrorResponse(500, "cannot serialize the request"),
          /*keep_alive=*/false);
      return;
    }
    call->self_ = call;
    event_stream_ = call;
    // A stream may stay quiet for long; that is not idle time.
    stream_.expires_never();
    server_.backends().StubFor(route)->PrepareBidiStreamingCall(
        &call->context, route->grpc_method_path, grpc::StubOptions(),
        call.get());
    call->StartWriteLast(&call->request, grpc::WriteOptions());
    // Reads are started from the connection's thread, outside gRPC's
    // reactions; the hold keeps OnDone away until the last read has failed.
    call->AddHold();
    call->StartRead(&call->response);
    call->StartCall();
    WatchForClientGone();
    ScheduleKeepAlive();
  }

  // The client sends nothing more on an event stream; a read that ends
  // means it went away, and the backend call goes with it.
  void WatchForClientGone() {
    client_probe_.resize(512);
    stream_.async_read_some(
        net::buffer(client_probe_),
        net::bind_executor(
            stream_.get_executor(),
            [self = shared_from_this()](beast::error_code error, size_t) {
              if (!error) {
                self->WatchForClientGone();
                return;
              }
              self->AbandonEventStream();
            }));
  }

  // Every message read must be followed by one more read, even on a call
  // that is being cancelled (it fails at once), or the hold never goes.
  void ReadNextMessage() {
    if (event_stream_ != nullptr) {
      event_stream_->StartRead(&event_stream_->response);
    }
  }

  // The client is gone or cannot be written to: cancel the backend call and
  // drop what was waiting to be written.
  void AbandonEventStream() {
    // A client that left before the stream opened got no status; it is
    // counted as nginx logs it, 499.
    if (!event_stream_started_) Observe(499);
    client_gone_ = true;
    if (event_stream_ != nullptr) event_stream_->context.TryCancel();
    for (const EventStreamChunk& chunk : event_stream_outbox_) {
      if (chunk.then_read) ReadNextMessage();
    }
    event_stream_outbox_.clear();
    Close();
  }

  void ScheduleKeepAlive() {
    if (!keep_alive_timer_) keep_alive_timer_.emplace(stream_.get_executor());
    keep_alive_timer_->expires_after(
        ToChrono(server_.options().event_stream_keep_alive));
    keep_alive_timer_->async_wait([self = shared_from_this()](
                                      beast::error_code error) {
      if (error || self->event_stream_ == nullptr) return;
      if (!self->event_stream_writing_ && self->event_stream_outbox_.empty()) {
        self->QueueEventStreamText(kEventStreamKeepAlive,
                                   /*then_read=*/false);
      }
      self->ScheduleKeepAlive();
    });
  }

  void OnEventStreamMessage(grpc::ByteBuffer* message) {
    if (client_gone_ || stream_failure_) {
      ReadNextMessage();
      return;
    }
    absl::StatusOr<std::string> event =
        server_.transcoder().EventStreamMessage(*event_stream_->route, message);
    if (!event.ok()) {
      stream_failure_ = grpc::Status(grpc::StatusCode::INTERNAL,
                                     std::string(event.status().message()));
      event_stream_->context.TryCancel();
      ReadNextMessage();
      return;
    }
    QueueEventStreamText(*std::move(event), /*then_read=*/true);
  }

  void OnEventStreamDone(grpc::Status status) {
    const Route* route = event_stream_->route;
    event_stream_.reset();
    if (keep_alive_timer_) keep_alive_timer_->cancel();
    if (client_gone_) return;
    if (stream_failure_) status = *stream_failure_;
    status = ForCaller(status, request_id_);
    if (stopping_ && status.error_code() == grpc::StatusCode::CANCELLED) {
      status = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            "the gateway is shutting down");
    }
    if (!event_stream_started_ && !status.ok()) {
      SendResponse(
          server_.transcoder().TranscodeResponse(
              *route, status, static_cast<google::protobuf::Message*>(nullptr)),
          /*keep_alive=*/false);
      return;
    }
    if (!status.ok()) {
      QueueEventStreamText(RestTranscoder::EventStreamError(status),
                           /*then_read=*/false);
    } else if (!event_stream_started_) {
      QueueEventStreamText("", /*then_read=*/false);  // just the headers
    }
    event_stream_closing_ = true;
    if (!event_stream_writing_) EndEventStream();
  }

  void QueueEventStreamText(std::string text, bool then_read) {
    if (!event_stream_started_) {
      event_stream_started_ = true;
      // Counted once, as the 200 goes out: the duration is the time to open
      // the stream, not its open-ended life.
      Observe(200);
      event_stream_outbox_.push_back({EventStreamHeaders(), false});
    }
    if (!text.empty() || then_read) {
      event_stream_outbox_.push_back({std::move(text), then_read});
    }
    WriteEventStream();
  }

  std::string EventStreamHeaders() const {
    http::response<http::empty_body> headers;
    headers.version(request_version_);
    headers.result(http::status::ok);
    headers.set(http::field::content_type, kEventStreamContentType);
    headers.set(http::field::cache_control, "no-cache");
    headers.set(http::field::access_control_allow_origin, "*");
    if (!request_id_.empty()) headers.set(kRequestIdKey, request_id_);
    // Tells nginx-style proxies not to buffer the stream.
    headers.set("X-Accel-Buffering", "no");
    // The stream ends with the connection, so no length or chunking.
    headers.keep_alive(false);
    std::ostringstream text;
    text << headers.base();
    return text.str();
  }

  void WriteEventStream() {
    if (event_stream_writing_ || client_gone_) return;
    if (event_stream_outbox_.empty()) {
      if (event_stream_closing_) EndEventStream();
      return;
    }
    event_stream_writing_ = true;
    event_stream_in_flight_ = std::move(event_stream_outbox_.front());
    event_stream_outbox_.pop_front();
    stream_.expires_after(kWriteTimeout);
    net::async_write(
        stream_, net::buffer(event_stream_in_flight_.text),
        [self = shared_from_this()](beast::error_code error, size_t) {
          self->event_stream_writing_ = false;
          if (self->event_stream_in_flight_.then_read) self->ReadNextMessage();
          self->event_stream_in_flight_ = {};
          if (error) {
            self->AbandonEventStream();
            return;
          }
          self->WriteEventStream();
        });
  }

  void EndEventStream() {
    if (stream_.tls()) {
      // Over TLS the end needs a close_notify, or clients see a truncation.
      // The stream's expiry does not bound the wait for the client's own
      // close_notify, which sits behind the pending client-gone read, so a
      // timer of its own does: a client that stops answering cannot hold
      // the connection, or a gateway that is stopping.
      close_timer_.emplace(stream_.get_executor());
      close_timer_->expires_after(kCloseNotifyTimeout);
      close_timer_->async_wait(
          [self = shared_from_this()](beast::error_code error) {
            if (!error) self->Close();
          });
      stream_.expires_after(kWriteTimeout);
      stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
        self->close_timer_->cancel();
        self->Close();
      });
      return;
    }
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    Close();
  }

  void SendResponse(RestResponse rest_response, bool keep_alive) {
    response_ = {};
    response_.version(request_version_);
    response_.result(rest_response.status);
    response_.set(http::field::content_type, rest_response.content_type);
    if (rest_response.any_origin) {
      response_.set(http::field::access_control_allow_origin, "*");
    } else {
      response_.set(http::field::vary, "Origin");
    }
    if (!request_id_.empty()) response_.set(kRequestIdKey, request_id_);
    for (auto& [name, value] : rest_response.headers) {
      response_.set(name, value);
    }
    Observe(rest_response.status);
    response_.body() = std::move(rest_response.body);
    response_.keep_alive(keep_alive && !stopping_);
    response_.prepare_payload();
    if (head_request_) {
      // HEAD: the length of what GET would send, and no body.
      const size_t length = response_.body().size();
      response_.body().clear();
      response_.content_length(length);
    }
    stream_.expires_after(kWriteTimeout);
    http::async_write(
        stream_, response_,
        beast::bind_front_handler(&HttpSession::OnWrite, shared_from_this()));
  }

  // Counts the answer under its route and logs it when asked to (or when
  // the gateway or a backend failed).
  void Observe(int status) {
    // An event stream's end may race its error response; count one.
    if (observed_) return;
    observed_ = true;
    const absl::Duration elapsed = absl::Now() - request_started_;
    const http::request<http::string_body>& request = parser_->get();
    const absl::string_view method(request.method_string().data(),
                                   request.method_string().size());
    route_metrics_->Record(method, status, elapsed);
    if (LogRequests() || status >= 500) {
      const absl::string_view target(request.target().data(),
                                     request.target().size());
      Log(status >= 500 ? LogLevel::kWarning : LogLevel::kInfo, "http",
          {{"request_id", request_id_},
           {"method", std::string(method)},
           {"path", std::string(target.substr(0, target.find('?')))},
           {"status", absl::StrCat(status)},
           {"duration_ms", absl::StrCat(absl::ToDoubleMilliseconds(elapsed))}});
    }
  }

  void OnWrite(beast::error_code error, size_t /*bytes*/) {
    busy_ = false;
    if (error) {
      Close();
      return;
    }
    if (drain_after_write_) {
      Drain();
      return;
    }
    if (!response_.keep_alive() || stopping_) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      Close();
      return;
    }
    ReadRequest();
  }

  void Drain() {
    if (drained_bytes_ == 0) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      stream_.expires_after(kDrainTimeout);
    }
    if (drained_bytes_ >= kMaxDrainBytes) {
      Close();
      return;
    }
    drain_buffer_.resize(64 * 1024);
    stream_.async_read_some(
        net::buffer(drain_buffer_),
        [self = shared_from_this()](beast::error_code error, size_t bytes) {
          if (error) {
            self->Close();
            return;
          }
          self->drained_bytes_ += bytes;
          self->Drain();
        });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().close(ignored);
  }

  // Kept for the connection's life: the listener may move on to a renewed
  // certificate meanwhile.
  const std::shared_ptr<net::ssl::context> tls_context_;
  ClientStream stream_;
  net::io_context& io_context_;
  GatewayServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  unsigned request_version_ = 11;
  absl::Time request_started_;
  HttpRouteMetrics* route_metrics_ = nullptr;
  bool observed_ = false;   // the current request is counted
  std::string request_id_;  // empty until the request's headers are read
  // A browser_collect request's Origin.
  std::optional<std::string> collect_origin_;
  bool head_request_ = false;
  bool busy_ = false;  // from a complete request until its response is out
  bool stopping_ = false;
  bool drain_after_write_ = false;
  size_t drained_bytes_ = 0;
  std::vector<char> drain_buffer_;

  // Event streams only.
  struct EventStreamChunk {
    std::string text;
    bool then_read = false;  // read the next message once this is written
  };
  std::shared_ptr<EventStreamCall> event_stream_;
  std::deque<EventStreamChunk> event_stream_outbox_;
  EventStreamChunk event_stream_in_flight_;
  bool event_stream_started_ = false;  // headers queued
  bool event_stream_writing_ = false;
  bool event_stream_closing_ = false;
  bool client_gone_ = false;
  std::optional<grpc::Status> stream_failure_;
  std::optional<net::steady_timer> keep_alive_timer_;
  std::optional<net::steady_timer> close_timer_;  // ending over TLS
  std::vector<char> client_probe_;
};

absl::Status GatewayServer::Impl::ConnectBackends() {
  absl::StatusOr<std::unique_ptr<Backends>> backends =
      Backends::Connect({.targets = options_.backends,
                         .timeout = options_.backend_timeout,
                         .ingest_stream = options_.ingest_stream,
                         .credentials = options_.backend_credentials,
                         .service_token = options_.service_token,
                         .keepalive = options_.backend_keepalive},
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
                               options_.tls_check_interval);
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

bool GatewayServer::Impl::Register(
    const std::shared_ptr<HttpSession>& session) {
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

void GatewayServer::Impl::Unregister(HttpSession* session) {
  absl::MutexLock lock(&mutex_);
  sessions_.erase(session);
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
