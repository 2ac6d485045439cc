#ifndef SHOPSTREAM_INGEST_DEAD_LETTER_STORE_H_
#define SHOPSTREAM_INGEST_DEAD_LETTER_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "shopstream/internal/v1/pipeline.pb.h"
#include "storage/pg_connection_pool.h"

namespace shopstream {

// A row of dead_letter_events (migrations/0002, 0022).
struct DeadLetterRecord {
  int64_t id = 0;
  // From the payload; the row's own copies are escaped.
  internal::v1::StoredEvent event;
  // False when the payload did not parse: `event` then holds the row's
  // escaped event id alone.
  bool payload_parsed = false;
  std::string reason;
  absl::Time dead_lettered_at;
  std::optional<absl::Time> replayed_at;
  std::string replayed_by;
};

struct DeadLetterPage {
  std::vector<DeadLetterRecord> records;
  // The id to pass as `before_id` for the next page; none on the last.
  std::optional<int64_t> next_before_id;
};

// A shop's dead letters. The processor writes the rows with their shop id
// escaped (absl::CEscape), so a shop is matched in that form. Every
// statement is parameterised.
class DeadLetterStore {
 public:
  explicit DeadLetterStore(PgConnectionPool* pool) : pool_(pool) {}

  // Newest first: rows with an id below `before_id` (all when none).
  absl::StatusOr<DeadLetterPage> List(const std::string& shop,
                                      bool include_replayed, int page_size,
                                      std::optional<int64_t> before_id);

  // Stores a dead letter again: `store_again` gets its event and answers
  // once the event is committed (or why not). The row stays locked until
  // then, so a concurrent replay of the same dead letter waits and finds it
  // replayed; on success it is marked replayed by `actor`, in the same
  // transaction. NOT_FOUND: no such dead letter in the shop;
  // FAILED_PRECONDITION: already replayed; INVALID_ARGUMENT: its payload
  // does not parse; otherwise what `store_again` answered. Nothing changes
  // unless it succeeds.
  using StoreAgain =
      std::function<absl::Status(const internal::v1::StoredEvent& event)>;
  absl::StatusOr<DeadLetterRecord> Replay(const std::string& shop, int64_t id,
                                          const std::string& actor,
                                          const StoreAgain& store_again);

 private:
  PgConnectionPool* pool_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_INGEST_DEAD_LETTER_STORE_H_
