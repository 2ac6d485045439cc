#include "tests/event_stream_client.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/write.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace shopstream::testing {

namespace net = boost::asio;
using tcp = net::ip::tcp;

EventStreamClient::EventStreamClient(int port, const std::string& target)
    : socket_(io_) {
  socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  const std::string request =
      absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                   "Accept: text/event-stream\r\n\r\n");
  net::write(socket_, net::buffer(request));
  timeval timeout{10, 0};  // no read may hang the test
  setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout,
             sizeof(timeout));
}

std::optional<std::string> EventStreamClient::NextData() {
  while (true) {
    const size_t end = received_.find("\n\n", consumed_);
    if (end != std::string::npos) {
      const std::string event = received_.substr(consumed_, end - consumed_);
      consumed_ = end + 2;
      if (absl::StartsWith(event, "data: ")) return event.substr(6);
      continue;  // headers, comments
    }
    char buffer[4096];
    boost::system::error_code error;
    const size_t n = socket_.read_some(net::buffer(buffer), error);
    if (error) return std::nullopt;
    received_.append(buffer, n);
    // The headers end in CRLF CRLF; events start after them.
    if (consumed_ == 0) {
      const size_t headers_end = received_.find("\r\n\r\n");
      if (headers_end == std::string::npos) continue;
      headers_ = received_.substr(0, headers_end);
      consumed_ = headers_end + 4;
    }
  }
}

const std::string& EventStreamClient::ReadHeaders() {
  while (consumed_ == 0) {
    char buffer[4096];
    boost::system::error_code error;
    const size_t n = socket_.read_some(net::buffer(buffer), error);
    if (error) break;
    received_.append(buffer, n);
    const size_t headers_end = received_.find("\r\n\r\n");
    if (headers_end == std::string::npos) continue;
    headers_ = received_.substr(0, headers_end);
    consumed_ = headers_end + 4;
  }
  return headers_;
}

void EventStreamClient::Close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

}  // namespace shopstream::testing
