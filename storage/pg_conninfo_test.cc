#include "storage/pg_conninfo.h"

#include <libpq-fe.h>

#include <map>
#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace shopstream {
namespace {

// What libpq itself reads from a conninfo string: keyword -> value.
std::map<std::string, std::string> Parsed(const std::string& conninfo) {
  std::map<std::string, std::string> values;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
      PQconninfoParse(conninfo.c_str(), nullptr), &PQconninfoFree);
  if (options == nullptr) return values;
  for (PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val != nullptr) values[o->keyword] = o->val;
  }
  return values;
}

TEST(PgConninfoTest, AddsNetworkTimeoutsToKeywordStrings) {
  auto values = Parsed(WithNetworkTimeouts(
      "host=127.0.0.1 port=5432 user=postgres dbname=shopstream"));
  EXPECT_EQ(values["host"], "127.0.0.1");
  EXPECT_EQ(values["port"], "5432");
  EXPECT_EQ(values["user"], "postgres");
  EXPECT_EQ(values["dbname"], "shopstream");
  EXPECT_EQ(values["connect_timeout"], "5");
  EXPECT_EQ(values["keepalives"], "1");
  EXPECT_EQ(values["keepalives_idle"], "10");
  EXPECT_EQ(values["keepalives_interval"], "5");
  EXPECT_EQ(values["keepalives_count"], "3");
  EXPECT_EQ(values["tcp_user_timeout"], "20000");
}

TEST(PgConninfoTest, ReadsUrisAndKeepsTheCallersValues) {
  auto values = Parsed(WithNetworkTimeouts(
      "postgresql://app:s3cr%27t@db.internal:6432/shop?connect_timeout=30"
      "&sslmode=require"));
  EXPECT_EQ(values["host"], "db.internal");
  EXPECT_EQ(values["port"], "6432");
  EXPECT_EQ(values["user"], "app");
  EXPECT_EQ(values["password"], "s3cr't");  // quoted and escaped on the way
  EXPECT_EQ(values["dbname"], "shop");
  EXPECT_EQ(values["sslmode"], "require");
  EXPECT_EQ(values["connect_timeout"], "30");
  EXPECT_EQ(values["keepalives_idle"], "10");
}

TEST(PgConninfoTest, LeavesWhatLibpqCannotParse) {
  EXPECT_EQ(WithNetworkTimeouts("host=a nonsense_keyword=1"),
            "host=a nonsense_keyword=1");
  EXPECT_EQ(WithNetworkTimeouts("host='unterminated"), "host='unterminated");
}

}  // namespace
}  // namespace shopstream
