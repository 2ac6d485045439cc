#ifndef SHOPSTREAM_GATEWAY_HTTP_SESSION_H_
#define SHOPSTREAM_GATEWAY_HTTP_SESSION_H_

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "common/metrics.h"
#include "gateway/backends.h"
#include "gateway/client_stream.h"
#include "gateway/rest_transcoder.h"
#include "gateway/route_table.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/status.h"

namespace shopstream::gateway {

class SessionHost;

// One client connection: reads a request, transcodes it, waits for the
// backend without holding a thread, writes the response, repeats while the
// client keeps the connection alive. All handlers run on the one thread of
// the io_context the connection was accepted onto, so they never overlap
// and need no strand; callbacks from other threads post to that io_context.
// Server-streaming routes answer as Server-Sent Events; that part is in
// http_session_event_stream.cc.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket,
              boost::asio::io_context& io_context, SessionHost& server);
  ~HttpSession();

  void Start();

  // For a graceful stop: an idle connection closes now, a busy one after
  // its response.
  void Shutdown();

 private:
  // Server-Sent Events only: one backend stream.
  class EventStreamCall;
  struct EventStreamChunk {
    std::string text;
    bool then_read = false;  // read the next message once this is written
  };

  static constexpr auto kWriteTimeout = std::chrono::seconds(30);
  static std::chrono::steady_clock::duration ToChrono(absl::Duration duration);

  // Reading a request.
  void Handshake();
  void ReadRequest();
  void ReadRestOfRequest();
  void ReadHeaderBlock();
  void ParseRequest();
  void RefuseFraming(const absl::Status& fault);
  void StartAnswer();
  void OnRead(boost::beast::error_code error, size_t /*bytes*/);

  // Answering it.
  static absl::string_view ContentTypeOf(
      const boost::beast::http::request<boost::beast::http::string_body>&
          request);
  void HandleRequest();
  std::optional<RestResponse> AdmitCollect();
  std::optional<RestResponse> OwnEndpoint(const RestRequest& request);
  void CallBackend(BackendRequest backend_request, bool keep_alive);
  void FlushIngestStreamLater();
  std::optional<RestResponse> StaticFile(const RestRequest& rest_request);
  gateway::Caller Caller(const Route& route) const;
  template <typename Name>
  std::optional<absl::string_view> Header(Name name) const;
  absl::string_view Target() const;

  // Server-Sent Events for server-streaming routes
  // (http_session_event_stream.cc).
  void StartEventStream(BackendRequest backend_request);
  void CancelEventStream();
  void WatchForClientGone();
  void ReadNextMessage();
  void AbandonEventStream();
  void ScheduleKeepAlive();
  void OnEventStreamMessage(grpc::ByteBuffer* message);
  void OnEventStreamDone(grpc::Status status);
  void QueueEventStreamText(std::string text, bool then_read);
  std::string EventStreamHeaders() const;
  void WriteEventStream();
  void EndEventStream();

  // Writing the answer, and closing.
  void SendResponse(RestResponse rest_response, bool keep_alive);
  void Observe(int status);
  void OnWrite(boost::beast::error_code error, size_t /*bytes*/);
  void Drain();
  void Close();

  // Kept for the connection's life: the listener may move on to a renewed
  // certificate meanwhile.
  const std::shared_ptr<boost::asio::ssl::context> tls_context_;
  ClientStream stream_;
  boost::asio::io_context& io_context_;
  SessionHost& server_;
  boost::beast::flat_buffer buffer_;
  std::optional<
      boost::beast::http::request_parser<boost::beast::http::string_body>>
      parser_;
  boost::beast::http::response<boost::beast::http::string_body> response_;
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
  std::shared_ptr<EventStreamCall> event_stream_;
  std::deque<EventStreamChunk> event_stream_outbox_;
  EventStreamChunk event_stream_in_flight_;
  bool event_stream_started_ = false;  // headers queued
  bool event_stream_writing_ = false;
  bool event_stream_closing_ = false;
  bool client_gone_ = false;
  std::optional<grpc::Status> stream_failure_;
  std::optional<boost::asio::steady_timer> keep_alive_timer_;
  std::optional<boost::asio::steady_timer> close_timer_;  // ending over TLS
  std::vector<char> client_probe_;
};

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_HTTP_SESSION_H_
