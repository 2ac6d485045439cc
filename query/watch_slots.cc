#include "query/watch_slots.h"

#include "absl/strings/str_cat.h"

namespace shopstream {
namespace {

int Held(const absl::flat_hash_map<std::string, int>& counts,
         const std::string& name) {
  auto it = counts.find(name);
  return it == counts.end() ? 0 : it->second;
}

// Entries go when their count does, so ids that come and go leave nothing.
void Decrement(absl::flat_hash_map<std::string, int>& counts,
               const std::string& name) {
  auto it = counts.find(name);
  if (it != counts.end() && --it->second <= 0) counts.erase(it);
}

}  // namespace

absl::Status WatchSlots::Take(const std::string& shop_id,
                              const std::string& key_id) {
  if (taken_ >= limits_.total) {
    return absl::ResourceExhaustedError(
        absl::StrCat("at most ", limits_.total,
                     " summary watchers at a time; try again later"));
  }
  // The key before the shop: its own share is what its holder can change.
  if (!key_id.empty() && Held(per_key_, key_id) >= limits_.per_key) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "at most ", limits_.per_key, " summary watchers of API key ", key_id,
        " at a time; try again later"));
  }
  if (Held(per_shop_, shop_id) >= limits_.per_shop) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "at most ", limits_.per_shop,
        " summary watchers of one shop at a time; try again later"));
  }
  ++taken_;
  ++per_shop_[shop_id];
  if (!key_id.empty()) ++per_key_[key_id];
  return absl::OkStatus();
}

void WatchSlots::Release(const std::string& shop_id,
                         const std::string& key_id) {
  if (taken_ > 0) --taken_;
  Decrement(per_shop_, shop_id);
  if (!key_id.empty()) Decrement(per_key_, key_id);
}

}  // namespace shopstream
