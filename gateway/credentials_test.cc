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

TEST(CredentialsTest, CredentialsLongerThanAnyKeyAreRefusedNamingWhere) {
  const std::string key = "ssk_0123456789abcdef_" + std::string(64, 'a');
  const std::string padded = std::string(9000, ' ') + key;
  EXPECT_EQ(OversizedCredential("Bearer " + key, key, "/x?key=" + key),
            std::nullopt);
  EXPECT_EQ(OversizedCredential(std::nullopt, std::nullopt, "/x"),
            std::nullopt);

  auto refusal = OversizedCredential("Bearer " + padded, std::nullopt, "/x");
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->http_status, 431);
  EXPECT_EQ(refusal->message.rfind("Authorization: ", 0), 0u);

  refusal = OversizedCredential(std::nullopt, padded, "/x");
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->http_status, 431);
  EXPECT_EQ(refusal->message.rfind("X-API-Key: ", 0), 0u);

  // Decoded, as the backend would get it: 3,000 "%20" are 3,000 bytes.
  std::string encoded;
  for (int i = 0; i < 3000; ++i) encoded += "%20";
  refusal = OversizedCredential(std::nullopt, std::nullopt,
                                "/x?a=1&key=" + encoded + key);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->http_status, 400);
  EXPECT_EQ(refusal->message.rfind("key: ", 0), 0u);
  EXPECT_EQ(OversizedCredential(std::nullopt, std::nullopt,
                                "/x?key=" + std::string(300, '%') + key),
            std::nullopt);
}

}  // namespace
}  // namespace shopstream::gateway
