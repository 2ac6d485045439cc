#ifndef SHOPSTREAM_TESTS_EVENT_STREAM_CLIENT_H_
#define SHOPSTREAM_TESTS_EVENT_STREAM_CLIENT_H_

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <optional>
#include <string>

namespace shopstream::testing {

// A raw HTTP client for a Server-Sent Events stream through the gateway, as
// EventSource opens one: a GET without credential headers. No read waits
// longer than 10 s.
class EventStreamClient {
 public:
  EventStreamClient(int port, const std::string& target);

  // The next "data:" event's JSON; nullopt when the stream ends first.
  std::optional<std::string> NextData();

  // The status line and headers, once they arrived.
  const std::string& headers() const { return headers_; }
  // Reads until the status line and headers are in; empty when the
  // connection ends first. A refused stream's headers come at once, an
  // accepted one's with its first event.
  const std::string& ReadHeaders();
  void Close();

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  std::string received_;
  std::string headers_;
  size_t consumed_ = 0;
};

}  // namespace shopstream::testing

#endif  // SHOPSTREAM_TESTS_EVENT_STREAM_CLIENT_H_
