#ifndef SHOPSTREAM_QUERY_WATCH_SLOTS_H_
#define SHOPSTREAM_QUERY_WATCH_SLOTS_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"

namespace shopstream {

// The WatchSummary streams a query process holds at once: at most `total`,
// at most `per_shop` of one shop (all its keys together), and at most
// `per_key` of one API key, so that neither one shop nor one leaked or
// runaway key of a shop can take every slot of the others. Not
// thread-safe; SummaryWatchers calls it under its lock.
class WatchSlots {
 public:
  struct Limits {
    int total = 1000;
    int per_shop = 100;
    int per_key = 10;
  };

  explicit WatchSlots(Limits limits) : limits_(limits) {}

  // A slot for a watcher of `shop_id` with `key_id` (empty: no key, as with
  // authentication off, when only the other limits apply);
  // RESOURCE_EXHAUSTED naming the limit reached.
  absl::Status Take(const std::string& shop_id, const std::string& key_id);
  // Gives back a slot that Take gave.
  void Release(const std::string& shop_id, const std::string& key_id);

  int taken() const { return taken_; }

 private:
  const Limits limits_;
  int taken_ = 0;
  absl::flat_hash_map<std::string, int> per_shop_;
  absl::flat_hash_map<std::string, int> per_key_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_WATCH_SLOTS_H_
