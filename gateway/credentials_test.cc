#include "gateway/credentials.h"

#include "gtest/gtest.h"

namespace shopstream::gateway {
namespace {

TEST(CredentialsTest, HeadersAndQueryBecomeBearerAuthorization) {
  EXPECT_EQ(AuthorizationFor("Bearer abc", std::nullopt, "/v1/events"),
            "Bearer abc");
  EXPECT_EQ(AuthorizationFor(std::nullopt, "abc", "/v1/events"), "Bearer abc");
  EXPECT_EQ(AuthorizationFor(std::nullopt, std::nullopt,
                             "/v1/shops/a/summary:watch?key=ssk_1_2&from=x"),
            "Bearer ssk_1_2");
  EXPECT_EQ(AuthorizationFor(std::nullopt, std::nullopt, "/x?a=1&key=k%2Bv"),
            "Bearer k+v");
  // The header wins over the query.
  EXPECT_EQ(AuthorizationFor("Bearer h", "x", "/x?key=q"), "Bearer h");
  EXPECT_EQ(AuthorizationFor(std::nullopt, "x", "/x?key=q"), "Bearer x");
  EXPECT_EQ(AuthorizationFor(std::nullopt, std::nullopt, "/x?keys=q&akey=r"),
            std::nullopt);
  EXPECT_EQ(AuthorizationFor(std::nullopt, std::nullopt, "/x"), std::nullopt);
}

}  // namespace
}  // namespace shopstream::gateway
