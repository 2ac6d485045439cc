#include "auth/request_authorizer.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace shopstream::auth {
namespace {

TEST(RequestAuthorizerTest, TicketsWithoutAuthenticationExpireByTheClock) {
  const absl::Time now = absl::FromUnixSeconds(1800000000);
  const RequestAuthorizer authorizer(nullptr, nullptr, absl::Seconds(30),
                                     [now] { return now; });
  absl::StatusOr<IssuedTicket> ticket =
      authorizer.IssueLinkTicket(Caller{.shop_id = "shop-a"});
  ASSERT_TRUE(ticket.ok()) << ticket.status();
  EXPECT_EQ(ticket->text, "");
  EXPECT_EQ(ticket->shop_id, "shop-a");
  EXPECT_EQ(ticket->expires, now + absl::Seconds(30));
}

}  // namespace
}  // namespace shopstream::auth
