#ifndef SHOPSTREAM_GATEWAY_CLIENT_STREAM_H_
#define SHOPSTREAM_GATEWAY_CLIENT_STREAM_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ssl/context.hpp"
#include "boost/beast/core/tcp_stream.hpp"
#include "boost/beast/ssl/ssl_stream.hpp"

namespace shopstream::gateway {

// A server-side TLS context from PEM files: TLS 1.2 and later only. Errors
// name the option whose file cannot be used.
absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> ServerTlsContext(
    const std::string& cert_file, const std::string& key_file);

// One client connection of the gateway: plain TCP, or TLS over it when
// built with a TLS context. Reads and writes go through TLS only then, so
// one session class serves both; timeouts and the socket stay those of the
// TCP stream underneath. An AsyncReadStream and AsyncWriteStream for Beast's
// algorithms (callback handlers).
class ClientStream {
 public:
  using executor_type = boost::beast::tcp_stream::executor_type;

  // `tls` null: plain HTTP.
  ClientStream(boost::asio::ip::tcp::socket socket,
               boost::asio::ssl::context* tls)
      : tcp_(std::move(socket)) {
    if (tls != nullptr) {
      tls_ =
          std::make_unique<boost::beast::ssl_stream<boost::beast::tcp_stream&>>(
              tcp_, *tls);
    }
  }
  ClientStream(const ClientStream&) = delete;
  ClientStream& operator=(const ClientStream&) = delete;

  bool tls() const { return tls_ != nullptr; }
  executor_type get_executor() { return tcp_.get_executor(); }
  boost::asio::ip::tcp::socket& socket() { return tcp_.socket(); }
  template <class Duration>
  void expires_after(Duration duration) {
    tcp_.expires_after(duration);
  }
  void expires_never() { tcp_.expires_never(); }

  // Only when tls(): the server side of the handshake.
  template <class Handler>
  void async_handshake(Handler&& handler) {
    tls_->async_handshake(boost::asio::ssl::stream_base::server,
                          std::forward<Handler>(handler));
  }

  // Only when tls(): sends close_notify and waits (bounded by the expiry)
  // for the client's, for streams whose end is the connection's end.
  template <class Handler>
  void async_shutdown(Handler&& handler) {
    tls_->async_shutdown(std::forward<Handler>(handler));
  }

  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    if (tls_ != nullptr) {
      tls_->async_read_some(buffers, std::forward<Handler>(handler));
    } else {
      tcp_.async_read_some(buffers, std::forward<Handler>(handler));
    }
  }

  template <class ConstBuffers, class Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    if (tls_ != nullptr) {
      tls_->async_write_some(buffers, std::forward<Handler>(handler));
    } else {
      tcp_.async_write_some(buffers, std::forward<Handler>(handler));
    }
  }

 private:
  boost::beast::tcp_stream tcp_;
  std::unique_ptr<boost::beast::ssl_stream<boost::beast::tcp_stream&>> tls_;
};

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_CLIENT_STREAM_H_
