#include "gateway/http_session.h"

#include <algorithm>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "boost/asio/dispatch.hpp"
#include "boost/asio/post.hpp"
#include "common/log.h"
#include "common/request_id.h"
#include "gateway/browser_collect.h"
#include "gateway/credentials.h"
#include "gateway/http_status.h"
#include "gateway/request_framing.h"
#include "gateway/session_host.h"
#include "gateway/static_files.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace shopstream::gateway {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

// After a 413 the client may still be sending its body; reading (and
// dropping) some of it lets the client see the response instead of a reset.
constexpr size_t kMaxDrainBytes = 8 << 20;
constexpr auto kDrainTimeout = std::chrono::seconds(5);
constexpr size_t kFirstReadBytes = 4096;
// Enough for any real browser's; classification reads no further.
constexpr size_t kMaxForwardedUserAgentBytes = 512;

}  // namespace

HttpSession::HttpSession(tcp::socket socket, net::io_context& io_context,
                         SessionHost& server)
    : tls_context_(server.tls_context()),
      stream_(std::move(socket), tls_context_.get()),
      io_context_(io_context),
      server_(server) {}

HttpSession::~HttpSession() { server_.Unregister(this); }

std::chrono::steady_clock::duration HttpSession::ToChrono(
    absl::Duration duration) {
  return absl::ToChronoNanoseconds(duration);
}

void HttpSession::Start() {
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
void HttpSession::Shutdown() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    self->stopping_ = true;
    // An event stream would never end by itself.
    if (self->event_stream_ != nullptr) {
      self->CancelEventStream();
    } else if (!self->busy_) {
      self->Close();
    }
  });
}

// Bounded like reading a request: a client that connects and stays silent
// or speaks plain HTTP is disconnected.
void HttpSession::Handshake() {
  stream_.expires_after(ToChrono(server_.options().read_timeout));
  stream_.async_handshake([self = shared_from_this()](beast::error_code error) {
    if (error) {
      self->Close();
      return;
    }
    self->ReadRequest();
  });
}

// Waits up to the idle timeout for a request to begin, then up to the
// read timeout for all of it.
void HttpSession::ReadRequest() {
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

void HttpSession::ReadRestOfRequest() {
  stream_.expires_after(ToChrono(server_.options().read_timeout));
  ReadHeaderBlock();
}

// The header block is checked as received, before Beast's parser takes it
// (see request_framing.h); Beast then parses it and reads the body.
void HttpSession::ReadHeaderBlock() {
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

void HttpSession::ParseRequest() {
  http::async_read(
      stream_, buffer_, *parser_,
      beast::bind_front_handler(&HttpSession::OnRead, shared_from_this()));
}

// Answered and closed without reading on: the rest of what was sent might
// be taken for a request of its own.
void HttpSession::RefuseFraming(const absl::Status& fault) {
  StartAnswer();
  busy_ = true;
  drain_after_write_ = true;
  SendResponse(RestTranscoder::ErrorResponse(
                   HttpStatusForStatusCode(fault.code()), fault.message()),
               /*keep_alive=*/false);
}

void HttpSession::StartAnswer() {
  // A latency for the metrics and the log: the machine's clock, not a
  // Clock.
  request_started_ = absl::Now();
  observed_ = false;
  route_metrics_ = &server_.other_metrics();
  request_id_.clear();
}

void HttpSession::OnRead(beast::error_code error, size_t /*bytes*/) {
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

template <typename Name>
std::optional<absl::string_view> HttpSession::Header(Name name) const {
  const http::request<http::string_body>& request = parser_->get();
  auto it = request.find(name);
  if (it == request.end()) return std::nullopt;
  return absl::string_view(it->value().data(), it->value().size());
}

absl::string_view HttpSession::Target() const {
  const http::request<http::string_body>& request = parser_->get();
  return absl::string_view(request.target().data(), request.target().size());
}

absl::string_view HttpSession::ContentTypeOf(
    const http::request<http::string_body>& request) {
  auto it = request.find(http::field::content_type);
  if (it == request.end()) return {};
  return absl::string_view(it->value().data(), it->value().size());
}

void HttpSession::HandleRequest() {
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
std::optional<RestResponse> HttpSession::AdmitCollect() {
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
std::optional<RestResponse> HttpSession::OwnEndpoint(
    const RestRequest& request) {
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

void HttpSession::CallBackend(BackendRequest backend_request, bool keep_alive) {
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
void HttpSession::FlushIngestStreamLater() {
  static thread_local bool flush_posted = false;
  if (flush_posted) return;
  flush_posted = true;
  net::post(io_context_, [&backends = server_.backends()] {
    flush_posted = false;
    backends.FlushIngestStream();
  });
}

// API routes come first: a file answers only for paths no route claims.
std::optional<RestResponse> HttpSession::StaticFile(
    const RestRequest& rest_request) {
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
                      std::move(file->headers), std::move(file->content_type)};
}

// Who the request comes from, as the backend hears it: the request id
// and the credential from the headers or the query (a link ticket only
// on link routes).
gateway::Caller HttpSession::Caller(const Route& route) const {
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

void HttpSession::SendResponse(RestResponse rest_response, bool keep_alive) {
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
void HttpSession::Observe(int status) {
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

void HttpSession::OnWrite(beast::error_code error, size_t /*bytes*/) {
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

void HttpSession::Drain() {
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

void HttpSession::Close() {
  beast::error_code ignored;
  stream_.socket().close(ignored);
}

}  // namespace shopstream::gateway
