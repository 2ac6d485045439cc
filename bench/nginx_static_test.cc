#include "bench/nginx_static.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <filesystem>
#include <string>

namespace shopstream::bench {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using ::testing::HasSubstr;
using ::testing::Not;

// Debian's nginx-light, as make bench uses it.
constexpr char kNginx[] = "/usr/sbin/nginx";

TEST(NginxStaticConfigTest, NamesItsPortWorkersAndAnswer) {
  const std::string text = NginxStaticConfigText(
      {.prefix = "/state/nginx", .port = 18123, .worker_processes = 3});
  EXPECT_THAT(text, HasSubstr("listen 127.0.0.1:18123;"));
  EXPECT_THAT(text, HasSubstr("worker_processes 3;"));
  EXPECT_THAT(text, HasSubstr("location = /v1/events {"));
  EXPECT_THAT(text, HasSubstr("return 202 '{\"status\":\"accepted\"}';"));
  EXPECT_THAT(text, HasSubstr("daemon off;"));
  EXPECT_THAT(text, HasSubstr("pid /state/nginx/nginx.pid;"));
  // nginx's own variable is left alone by the template.
  EXPECT_THAT(text, HasSubstr("if ($request_method != POST)"));
  EXPECT_THAT(text, Not(HasSubstr("$PORT")));
}

TEST(NginxStaticConfigTest, NoWorkerCountMeansOnePerCpu) {
  EXPECT_THAT(NginxStaticConfigText({.prefix = "/p", .port = 1}),
              HasSubstr("worker_processes auto;"));
}

// One keep-alive connection to the server.
class Client {
 public:
  explicit Client(int port) : socket_(io_) {
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"),
                     static_cast<uint16_t>(port)});
  }

  http::response<http::string_body> Send(http::verb method,
                                         const std::string& body) {
    http::request<http::string_body> request(method, "/v1/events", 11);
    request.set(http::field::host, "127.0.0.1");
    request.set(http::field::content_type, "application/json");
    request.body() = body;
    request.prepare_payload();
    http::write(socket_, request);
    http::response<http::string_body> response;
    http::read(socket_, buffer_, response);
    return response;
  }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  beast::flat_buffer buffer_;
};

TEST(NginxStaticServerTest, AnswersEveryEventOnOneConnectionAndStops) {
  const std::string prefix = ::testing::TempDir() + "/nginx-static-test";
  NginxStaticServer nginx(kNginx);
  ASSERT_TRUE(nginx.Start(prefix, 1).ok());
  ASSERT_TRUE(std::filesystem::exists(prefix + "/nginx.conf"));
  {
    Client client(nginx.port());
    for (int i = 0; i < 3; ++i) {
      http::response<http::string_body> answer =
          client.Send(http::verb::post, R"({"event_id":"e1"})");
      EXPECT_EQ(answer.result_int(), 202);
      EXPECT_EQ(answer.body(), kAcceptedBody);
      EXPECT_TRUE(answer.keep_alive());
    }
    EXPECT_EQ(client.Send(http::verb::get, "").result_int(), 405);
  }
  EXPECT_TRUE(nginx.Stop().ok());
  EXPECT_FALSE(std::filesystem::exists(prefix + "/nginx.pid"));
}

TEST(NginxStaticServerTest, AMissingBinaryIsAnError) {
  NginxStaticServer nginx("/nonexistent/nginx");
  EXPECT_FALSE(nginx.Start(::testing::TempDir() + "/nginx-missing", 1).ok());
}

}  // namespace
}  // namespace shopstream::bench
