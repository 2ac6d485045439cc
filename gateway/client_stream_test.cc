#include "gateway/client_stream.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shopstream::gateway {
namespace {

using ::testing::HasSubstr;

TEST(ServerTlsContextTest, NeedsBothFiles) {
  auto no_key = ServerTlsContext("gateway.pem", "");
  EXPECT_TRUE(absl::IsInvalidArgument(no_key.status()));
  EXPECT_THAT(no_key.status().message(),
              HasSubstr("--tls_key_file: needed with --tls_cert_file"));
  auto no_cert = ServerTlsContext("", "gateway.key");
  EXPECT_TRUE(absl::IsInvalidArgument(no_cert.status()));
  EXPECT_THAT(no_cert.status().message(),
              HasSubstr("--tls_cert_file: needed with --tls_key_file"));
}

TEST(ServerTlsContextTest, NamesTheFileItCannotUse) {
  auto missing = ServerTlsContext("no-such-gateway.pem", "no-such-gateway.key");
  EXPECT_TRUE(absl::IsInvalidArgument(missing.status()));
  EXPECT_THAT(
      missing.status().message(),
      HasSubstr(R"(--tls_cert_file: cannot use "no-such-gateway.pem")"));
}

}  // namespace
}  // namespace shopstream::gateway
