#include "storage/pg_status.h"

#include <pqxx/except>

#include "gtest/gtest.h"

namespace shopstream {
namespace {

TEST(PgStatusTest, DeadlocksAndSerializationFailuresAreRetried) {
  // As libpqxx throws them: the type carries the meaning, not the SQLSTATE.
  const absl::Status deadlock = StatusFromPgException(
      pqxx::deadlock_detected("ERROR:  deadlock detected"));
  EXPECT_EQ(deadlock.code(), absl::StatusCode::kAborted) << deadlock;
  EXPECT_TRUE(IsTransientPgStatus(deadlock));
  const absl::Status serialization = StatusFromPgException(
      pqxx::serialization_failure("ERROR:  could not serialize access"));
  EXPECT_TRUE(IsTransientPgStatus(serialization)) << serialization;
  EXPECT_TRUE(IsTransientPgStatus(
      StatusFromPgException(pqxx::sql_error("deadlock", "UPDATE", "40P01"))));
}

TEST(PgStatusTest, BadDataIsNotRetried) {
  const absl::Status status = StatusFromPgException(
      pqxx::sql_error("check violation", "INSERT", "23514"));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(IsTransientPgStatus(status));
}

}  // namespace
}  // namespace shopstream
