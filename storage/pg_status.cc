#include "storage/pg_status.h"

#include <pqxx/except>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/metrics.h"

namespace shopstream {

namespace {

absl::Status Classify(const std::exception& e) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
    return absl::UnavailableError(absl::StrCat("postgres: ", e.what()));
  }
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) {
    return absl::UnavailableError(
        absl::StrCat("postgres: commit outcome unknown: ", e.what()));
  }
  // libpqxx 6.4 throws deadlock_detected and serialization_failure (both
  // transaction_rollback) without their SQLSTATE, so the type decides.
  if (dynamic_cast<const pqxx::transaction_rollback*>(&e) != nullptr) {
    return absl::AbortedError(absl::StrCat("postgres: ", e.what()));
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    const std::string state = sql->sqlstate();
    const std::string message =
        absl::StrCat("postgres ", state, ": ", e.what());
    // Class 08: connection exception; 57P0x: server shutting down; 53:
    // insufficient resources.
    if (absl::StartsWith(state, "08") || absl::StartsWith(state, "57P") ||
        absl::StartsWith(state, "53")) {
      return absl::UnavailableError(message);
    }
    if (state == "40001" || state == "40P01") {
      return absl::AbortedError(message);
    }
    // Class 22: data exception; 23: integrity constraint violation.
    if (absl::StartsWith(state, "22") || absl::StartsWith(state, "23")) {
      return absl::InvalidArgumentError(message);
    }
    return absl::InternalError(message);
  }
  if (absl::StrContains(e.what(), "connection") ||
      absl::StrContains(e.what(), "Connection")) {
    return absl::UnavailableError(absl::StrCat("postgres: ", e.what()));
  }
  return absl::InternalError(absl::StrCat("postgres: ", e.what()));
}

}  // namespace

absl::Status StatusFromPgException(const std::exception& e) {
  absl::Status status = Classify(e);
  // Every libpqxx failure passes here, so this is where they are counted.
  PostgresErrors(status.code()).Increment();
  return status;
}

bool IsTransientPgStatus(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kAborted;
}

}  // namespace shopstream
