#ifndef SHOPSTREAM_ROLLUPS_ROLLUP_FOLDER_H_
#define SHOPSTREAM_ROLLUPS_ROLLUP_FOLDER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <pqxx/connection>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace shopstream::rollups {

struct FolderOptions {
  std::string conninfo;
  // At most this many append transactions per fold, so a backlog is folded
  // in steps that each commit in bounded time.
  int64_t max_transactions = 1000;
  // Pause between folds while there is nothing more to fold.
  absl::Duration interval = absl::Milliseconds(200);
  // A shop whose events could not be folded is tried again after this,
  // doubling up to a minute.
  absl::Duration retry_pause = absl::Seconds(1);
};

// What one fold did.
struct FoldResult {
  bool leader = false;    // took the fold lock (else another folder held it)
  int64_t events = 0;     // events added to the rollups
  int64_t watermark = 0;  // the watermark after it
  // Events of these many shops were set aside (rollup_pending).
  int64_t shops_set_aside = 0;
  // Whether the fold stopped at max_transactions with more committed.
  bool more = false;
  // How long the oldest folded event waited since it was appended.
  std::optional<absl::Duration> oldest_wait;
};

// Adds committed events to the rollups behind the appends, exactly once:
// each fold takes the events appended by transactions in
// [watermark, oldest transaction still running) and, in the same
// transaction, adds them to every rollup and moves the watermark. A
// transaction still running keeps the watermark below its id, so its
// events are folded once it has committed, never skipped; a fold that does
// not commit changes nothing. One fold runs at a time, of any processor
// (an advisory lock, which a rollup rebuild takes too); the watermark
// update is also conditional on the value the fold started from.
//
// When the fold of the whole range fails for its data (not for a lost
// connection), each shop is folded on its own: the shops that still fail
// are recorded in rollup_pending with their range and retried alone later,
// so one shop's failure holds no other shop back.
class RollupFolder {
 public:
  explicit RollupFolder(FolderOptions options);
  ~RollupFolder();

  // One fold step; UNAVAILABLE when PostgreSQL cannot be reached.
  absl::StatusOr<FoldResult> FoldOnce();

  // Retries the shops set aside whose pause has passed; returns how many
  // were folded.
  absl::StatusOr<int> RetrySetAside();

  // Folds until `stop` is notified: at once while there is more, then
  // every interval.
  void Run(absl::Notification& stop);

 private:
  class FoldLock;
  absl::Status EnsureConnected();

  const FolderOptions options_;
  std::unique_ptr<pqxx::connection> conn_;
};

}  // namespace shopstream::rollups

#endif  // SHOPSTREAM_ROLLUPS_ROLLUP_FOLDER_H_
