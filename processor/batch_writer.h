#ifndef SHOPSTREAM_PROCESSOR_BATCH_WRITER_H_
#define SHOPSTREAM_PROCESSOR_BATCH_WRITER_H_

#include <memory>
#include <pqxx/connection>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "shopstream/internal/v1/pipeline.pb.h"

namespace shopstream {

// Appends batches of events to PostgreSQL over one connection: in one
// prepared statement (one transaction), claim each event's key in
// event_keys (INSERT ... ON CONFLICT DO NOTHING) and store the claimed
// events in their monthly partition of events, marked with the appending
// transaction's id for the folder (rollups/rollup_folder.h). A batch is all
// stored or not at all; no rollup is touched before its acknowledgement.
class BatchWriter {
 public:
  explicit BatchWriter(std::string conninfo);
  ~BatchWriter();

  // Per event, in order: true when (shop_id, event_id) was stored before
  // (by an earlier batch, or earlier in this one) and so was not stored
  // again. UNAVAILABLE when the connection broke; it is reopened on the
  // next call.
  absl::StatusOr<std::vector<bool>> Write(
      const std::vector<const internal::v1::StoredEvent*>& events);

  // Keeps an event PostgreSQL refused in dead_letter_events, with why.
  absl::Status DeadLetter(const internal::v1::StoredEvent& event,
                          const std::string& reason);

 private:
  void EnsureConnected();

  const std::string conninfo_;
  std::unique_ptr<pqxx::connection> conn_;
  // Month starts whose partition this writer has made sure of.
  absl::flat_hash_set<int64_t> partitions_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_PROCESSOR_BATCH_WRITER_H_
