#ifndef SHOPSTREAM_STORAGE_PG_STATUS_H_
#define SHOPSTREAM_STORAGE_PG_STATUS_H_

#include <exception>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace shopstream {

// libpqxx reports failure by exception; everything above storage/ speaks
// absl::Status. This is the one place the two meet.
//
// Connection loss and server shutdown become UNAVAILABLE (worth a retry on a
// new connection), serialization failures and deadlocks ABORTED (worth a
// retry), bad data INVALID_ARGUMENT (never worth a retry), the rest INTERNAL.
absl::Status StatusFromPgException(const std::exception& e);

// True for the codes a caller should retry after a pause.
bool IsTransientPgStatus(const absl::Status& status);

// Runs `fn`, turning any libpqxx exception into a Status.
template <typename Fn>
auto RunPg(Fn&& fn) -> absl::StatusOr<decltype(fn())> {
  try {
    return std::forward<Fn>(fn)();
  } catch (const std::exception& e) {
    return StatusFromPgException(e);
  }
}

template <typename Fn>
absl::Status RunPgVoid(Fn&& fn) {
  try {
    std::forward<Fn>(fn)();
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return StatusFromPgException(e);
  }
}

}  // namespace shopstream

#endif  // SHOPSTREAM_STORAGE_PG_STATUS_H_
