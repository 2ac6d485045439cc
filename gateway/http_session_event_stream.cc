#include <sstream>
#include <utility>

#include "boost/asio/bind_executor.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/write.hpp"
#include "common/caller_status.h"
#include "common/request_id.h"
#include "gateway/event_stream.h"
#include "gateway/http_session.h"
#include "gateway/session_host.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/impl/codegen/proto_utils.h"

namespace shopstream::gateway {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using google::protobuf::Message;

namespace {

// How long an event stream's end over TLS waits for the client's
// close_notify before the connection is closed anyway.
constexpr auto kCloseNotifyTimeout = std::chrono::seconds(5);

}  // namespace

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
class HttpSession::EventStreamCall
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

void HttpSession::StartEventStream(BackendRequest backend_request) {
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
      &call->context, route->grpc_method_path, grpc::StubOptions(), call.get());
  call->StartWriteLast(&call->request, grpc::WriteOptions());
  // Reads are started from the connection's thread, outside gRPC's
  // reactions; the hold keeps OnDone away until the last read has failed.
  call->AddHold();
  call->StartRead(&call->response);
  call->StartCall();
  WatchForClientGone();
  ScheduleKeepAlive();
}

// An event stream would never end by itself: a stop cancels its call.
void HttpSession::CancelEventStream() { event_stream_->context.TryCancel(); }

// The client sends nothing more on an event stream; a read that ends
// means it went away, and the backend call goes with it.
void HttpSession::WatchForClientGone() {
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
void HttpSession::ReadNextMessage() {
  if (event_stream_ != nullptr) {
    event_stream_->StartRead(&event_stream_->response);
  }
}

// The client is gone or cannot be written to: cancel the backend call and
// drop what was waiting to be written.
void HttpSession::AbandonEventStream() {
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

void HttpSession::ScheduleKeepAlive() {
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

void HttpSession::OnEventStreamMessage(grpc::ByteBuffer* message) {
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

void HttpSession::OnEventStreamDone(grpc::Status status) {
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

void HttpSession::QueueEventStreamText(std::string text, bool then_read) {
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

std::string HttpSession::EventStreamHeaders() const {
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

void HttpSession::WriteEventStream() {
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

void HttpSession::EndEventStream() {
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

}  // namespace shopstream::gateway
