#include "gateway/session_host.h"

#include <memory>
#include <optional>
#include <utility>

#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "gateway/http_session.h"
#include "gtest/gtest.h"

namespace shopstream::gateway {
namespace {

// The connection limit, held without a listener: before the host was a
// class of its own only real connections to a running server reached it.
TEST(SessionHostTest, RefusesConnectionsPastTheLimitUntilOneCloses) {
  absl::StatusOr<RouteTable> routes = RouteTable::Build({});
  ASSERT_TRUE(routes.ok()) << routes.status();
  GatewayOptions options;
  options.max_connections = 2;
  SessionHost host(std::move(options), *std::move(routes), std::nullopt);
  boost::asio::io_context io_context;
  auto session = [&] {
    return std::make_shared<HttpSession>(
        boost::asio::ip::tcp::socket(io_context), io_context, host);
  };

  std::shared_ptr<HttpSession> first = session();
  std::shared_ptr<HttpSession> second = session();
  std::shared_ptr<HttpSession> third = session();
  EXPECT_TRUE(host.Register(first));
  EXPECT_TRUE(host.Register(second));
  EXPECT_FALSE(host.Register(third));

  // A session leaves the registry as it is destroyed.
  first.reset();
  EXPECT_TRUE(host.Register(third));
}

}  // namespace
}  // namespace shopstream::gateway
