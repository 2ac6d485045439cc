#include "gateway/page_security.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shopstream::gateway {
namespace {

using ::testing::HasSubstr;

std::string PolicyOf(const HeaderList& headers) {
  for (const auto& [name, value] : headers) {
    if (name == "Content-Security-Policy") return value;
  }
  return "";
}

TEST(PageSecurityTest, PolicyAllowsOnlyTheDashboardsOwnCodeAndApis) {
  absl::StatusOr<HeaderList> headers = DashboardSecurityHeaders({});
  ASSERT_TRUE(headers.ok()) << headers.status();
  EXPECT_EQ(PolicyOf(*headers),
            "default-src 'self'; script-src 'self'; style-src 'self'; "
            "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  EXPECT_THAT(*headers, ::testing::Contains(std::pair<std::string, std::string>(
                            "Referrer-Policy", "no-referrer")));

  headers = DashboardSecurityHeaders({"https://API.example.com:8443/",
                                      "http://10.0.0.7:8080", "http://[::1]"});
  ASSERT_TRUE(headers.ok()) << headers.status();
  EXPECT_THAT(PolicyOf(*headers),
              HasSubstr("connect-src 'self' https://api.example.com:8443 "
                        "http://10.0.0.7:8080 http://[::1]; "));
}

TEST(PageSecurityTest, AnythingButAnOriginIsRefused) {
  // Each would let the flag's value rewrite the policy or allow more than
  // one origin.
  for (const char* bad :
       {"", "example.com", "ftp://example.com", "https://", "https://a.com/x",
        "https://a.com; script-src *", "https://a.com 'unsafe-inline'",
        "https://*.a.com", "https://a.com:0", "https://a.com:99999",
        "https://a.com:80x", "https://user@a.com", "https://a.com\r\nX: y",
        "https://[::1", "https://a.com?x", "'self'"}) {
    SCOPED_TRACE(bad);
    absl::StatusOr<HeaderList> headers = DashboardSecurityHeaders({bad});
    ASSERT_FALSE(headers.ok());
    EXPECT_THAT(std::string(headers.status().message()),
                HasSubstr("dashboard_api_origins"));
  }
}

}  // namespace
}  // namespace shopstream::gateway
