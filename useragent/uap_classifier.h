#ifndef SHOPSTREAM_USERAGENT_UAP_CLASSIFIER_H_
#define SHOPSTREAM_USERAGENT_UAP_CLASSIFIER_H_

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/traffic_context.h"

namespace re2 {
class RE2;
class Set;
}  // namespace re2

namespace shopstream {

// Browser and OS families by the uap-core regex set (regexes.yaml, as
// Debian's uap-core package installs it), following its specification:
// the first `user_agent_parsers` / `os_parsers` entry that matches wins,
// `family_replacement` / `os_replacement` may name groups as $1..$9, and
// an unmatched User-Agent is "Other". Device parsers are not read.
//
// Answers are kept in a bounded cache keyed by the User-Agent, so a
// repeated one costs a hash lookup. Thread-safe.
class UapClassifier final : public UserAgentClassifier {
 public:
  // Only this much of a User-Agent is looked at (and kept as a cache key):
  // real ones are shorter, and the cost of a match grows with the input.
  static constexpr size_t kMaxUserAgentBytes = 512;
  static constexpr size_t kDefaultCacheEntries = 4096;

  // Reads `regexes_path`; the error names the file and, for a bad entry,
  // which one. `cache_entries` 0 turns the cache off.
  static absl::StatusOr<std::unique_ptr<UapClassifier>> Load(
      const std::string& regexes_path,
      size_t cache_entries = kDefaultCacheEntries);

  ~UapClassifier() override;
  UapClassifier(const UapClassifier&) = delete;
  UapClassifier& operator=(const UapClassifier&) = delete;

  Families Classify(absl::string_view user_agent) const override;

  // What Classify answers, without the cache (for measuring a miss).
  Families ClassifyUncached(absl::string_view user_agent) const;

  // How many parsers of each kind were read.
  size_t browser_parsers() const;
  size_t os_parsers() const;

 private:
  class ParserList;

  // One shard of the cache: a clock (second chance) over a fixed number
  // of slots, so that eviction is O(1) amortised and a hit only sets a bit.
  struct Shard {
    struct Slot {
      std::string user_agent;
      Families families;
      bool referenced = false;
    };
    absl::Mutex mu;
    absl::flat_hash_map<std::string, size_t> index ABSL_GUARDED_BY(mu);
    std::vector<Slot> slots ABSL_GUARDED_BY(mu);
    size_t hand ABSL_GUARDED_BY(mu) = 0;
  };
  // Shards keep threads that classify different User-Agents from waiting
  // on one mutex.
  static constexpr size_t kShards = 16;

  UapClassifier(std::unique_ptr<ParserList> browsers,
                std::unique_ptr<ParserList> oses, size_t cache_entries);

  Shard& ShardFor(absl::string_view user_agent) const;
  void Remember(Shard& shard, absl::string_view user_agent,
                const Families& families) const;

  std::unique_ptr<ParserList> browsers_;
  std::unique_ptr<ParserList> oses_;
  const size_t slots_per_shard_;
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_USERAGENT_UAP_CLASSIFIER_H_
