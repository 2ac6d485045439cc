#include "useragent/uap_classifier.h"

#include <algorithm>
#include <exception>
#include <fstream>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/memory/memory.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "re2/filtered_re2.h"
#include "re2/re2.h"
#include "re2/set.h"
#include "yaml-cpp/yaml.h"

namespace shopstream {
namespace {

constexpr absl::string_view kOther = "Other";
// The spec allows $1..$9.
constexpr int kMaxGroups = 9;

re2::StringPiece Piece(absl::string_view s) {
  return re2::StringPiece(s.data(), s.size());
}

// Why RE2 and no second engine: every user_agent_parsers and os_parsers
// pattern of Debian 12's uap-core (0.16.0, 537 of them) compiles with RE2,
// none needs a lookaround or a backreference, and RE2 matches in time
// linear in the input whatever the pattern, so a hostile User-Agent
// cannot make a match backtrack. A file with a pattern RE2 rejects is
// refused at load rather than classified with a silent gap.
//
// Latin-1: the patterns are ASCII, and reading input bytewise means
// invalid UTF-8 in a User-Agent matches as the bytes it is.
RE2::Options MatchOptions() {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  options.set_log_errors(false);
  return options;
}

// Literals shorter than this are not used to rule a pattern out.
constexpr int kMinAtomBytes = 3;

// `replacement` with $1..$9 replaced by those groups (empty when a group
// took no part in the match), trimmed of whitespace as uap-core's
// reference parsers do.
std::string Substitute(absl::string_view replacement,
                       const re2::StringPiece* groups, int group_count) {
  std::string out;
  for (size_t i = 0; i < replacement.size(); ++i) {
    const char c = replacement[i];
    if (c == '$' && i + 1 < replacement.size() && replacement[i + 1] >= '1' &&
        replacement[i + 1] <= '9') {
      const int group = replacement[i + 1] - '0';
      if (group <= group_count && groups[group].data() != nullptr) {
        out.append(groups[group].data(), groups[group].size());
      }
      ++i;
      continue;
    }
    out.push_back(c);
  }
  return std::string(absl::StripAsciiWhitespace(out));
}

}  // namespace

// One of regexes.yaml's parser lists: which entry matches first, and the
// family it names.
class UapClassifier::ParserList {
 public:
  static absl::StatusOr<std::unique_ptr<ParserList>> Read(
      const YAML::Node& root, const char* section, const char* replacement_key,
      const std::string& path) {
    const YAML::Node entries = root[section];
    if (!entries || !entries.IsSequence() || entries.size() == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "uap-core regexes ", path, ": no list \"", section, "\""));
    }
    auto list = absl::WrapUnique(new ParserList);
    for (size_t i = 0; i < entries.size(); ++i) {
      const YAML::Node entry = entries[i];
      auto bad = [&](absl::string_view why) {
        return absl::InvalidArgumentError(absl::StrCat(
            "uap-core regexes ", path, ": ", section, "[", i, "]: ", why));
      };
      if (!entry.IsMap() || !entry["regex"] || !entry["regex"].IsScalar()) {
        return bad("no regex");
      }
      RE2::Options options = MatchOptions();
      // The spec's only flag, 'i': case-insensitive.
      if (const YAML::Node flag = entry["regex_flag"]; flag) {
        if (!flag.IsScalar() || flag.as<std::string>() != "i") {
          return bad("unknown regex_flag");
        }
        options.set_case_sensitive(false);
      }
      const std::string pattern = entry["regex"].as<std::string>();
      int id = -1;
      if (list->filter_.Add(Piece(pattern), options, &id) != RE2::NoError ||
          id != static_cast<int>(i)) {
        return bad(absl::StrCat("regex not supported: ",
                                RE2(pattern, options).error()));
      }
      std::string replacement;
      if (const YAML::Node r = entry[replacement_key]; r && !r.IsNull()) {
        if (!r.IsScalar()) return bad(absl::StrCat("bad ", replacement_key));
        replacement = r.as<std::string>();
      }
      list->replacements_.push_back(std::move(replacement));
    }
    std::vector<std::string> atoms;
    list->filter_.Compile(&atoms);
    list->atom_count_ = static_cast<int>(atoms.size());
    if (!atoms.empty()) {
      RE2::Options literal = MatchOptions();
      literal.set_literal(true);
      list->atoms_ = std::make_unique<RE2::Set>(literal, RE2::UNANCHORED);
      for (const std::string& atom : atoms) {
        if (list->atoms_->Add(atom, nullptr) < 0) {
          return absl::InternalError(
              absl::StrCat("uap-core regexes ", path, ": ", section,
                           ": cannot match literal \"", atom, "\""));
        }
      }
      if (!list->atoms_->Compile()) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "uap-core regexes ", path, ": ", section, " too large to compile"));
      }
    }
    return list;
  }

  size_t size() const { return replacements_.size(); }

  std::string Family(absl::string_view user_agent) const {
    const int first = FirstMatch(user_agent);
    if (first < 0) return std::string(kOther);
    const RE2& regex = filter_.GetRE2(first);
    const int group_count =
        std::min(regex.NumberOfCapturingGroups(), kMaxGroups);
    re2::StringPiece groups[kMaxGroups + 1];
    if (!regex.Match(Piece(user_agent), 0, user_agent.size(), RE2::UNANCHORED,
                     groups, group_count + 1)) {
      return std::string(kOther);  // FirstMatch said it matches; it does.
    }
    std::string family;
    if (const std::string& replacement = replacements_[first];
        !replacement.empty()) {
      family = Substitute(replacement, groups, group_count);
    } else if (group_count >= 1 && groups[1].data() != nullptr) {
      family = std::string(absl::StripAsciiWhitespace(
          absl::string_view(groups[1].data(), groups[1].size())));
    }
    if (family.empty()) return std::string(kOther);
    return family;
  }

 private:
  ParserList() : filter_(kMinAtomBytes) {}

  // The index of the first entry that matches, or -1.
  //
  // Trying hundreds of regexes in turn costs ~100 us per User-Agent, and
  // one RE2::Set of all patterns builds a DFA whose states cost ~0.5 ms
  // each to make and hundreds of MB to keep. FilteredRE2 is RE2's answer
  // for such lists: each pattern is reduced to literals ("atoms") that any
  // match must contain, a single pass of a set of the atoms (a small,
  // Aho-Corasick-like DFA) finds those present, and only patterns they
  // allow are tried, in order.
  int FirstMatch(absl::string_view user_agent) const {
    std::vector<int> matched;
    if (atoms_ != nullptr) {
      // Atoms are lower case, for patterns that ignore case.
      const std::string lower = absl::AsciiStrToLower(user_agent);
      RE2::Set::ErrorInfo error;
      if (!atoms_->Match(lower, &matched, &error) &&
          error.kind != RE2::Set::kNoError) {
        // The set's DFA ran out of room: every atom, the same answer slower.
        matched.resize(atom_count_);
        for (int i = 0; i < atom_count_; ++i) matched[i] = i;
      }
    }
    return filter_.FirstMatch(Piece(user_agent), matched);
  }

  re2::FilteredRE2 filter_;
  std::unique_ptr<RE2::Set> atoms_;
  int atom_count_ = 0;
  // Per pattern; empty: the first group names the family.
  std::vector<std::string> replacements_;
};

absl::StatusOr<std::unique_ptr<UapClassifier>> UapClassifier::Load(
    const std::string& regexes_path, size_t cache_entries) {
  std::ifstream file(regexes_path);
  if (!file) {
    return absl::NotFoundError(
        absl::StrCat("uap-core regexes ", regexes_path, ": cannot open"));
  }
  // yaml-cpp reports errors by throwing; none leaves this function.
  try {
    const YAML::Node root = YAML::Load(file);
    if (!root.IsMap()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "uap-core regexes ", regexes_path, ": not a YAML mapping"));
    }
    auto browsers = ParserList::Read(root, "user_agent_parsers",
                                     "family_replacement", regexes_path);
    if (!browsers.ok()) return browsers.status();
    auto oses =
        ParserList::Read(root, "os_parsers", "os_replacement", regexes_path);
    if (!oses.ok()) return oses.status();
    return absl::WrapUnique(new UapClassifier(*std::move(browsers),
                                              *std::move(oses), cache_entries));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("uap-core regexes ", regexes_path, ": ", e.what()));
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("uap-core regexes ", regexes_path, ": ", e.what()));
  }
}

UapClassifier::UapClassifier(std::unique_ptr<ParserList> browsers,
                             std::unique_ptr<ParserList> oses,
                             size_t cache_entries)
    : browsers_(std::move(browsers)),
      oses_(std::move(oses)),
      slots_per_shard_((cache_entries + kShards - 1) / kShards) {}

UapClassifier::~UapClassifier() = default;

size_t UapClassifier::browser_parsers() const { return browsers_->size(); }
size_t UapClassifier::os_parsers() const { return oses_->size(); }

UserAgentClassifier::Families UapClassifier::ClassifyUncached(
    absl::string_view user_agent) const {
  user_agent = user_agent.substr(0, kMaxUserAgentBytes);
  return Families{browsers_->Family(user_agent), oses_->Family(user_agent)};
}

UserAgentClassifier::Families UapClassifier::Classify(
    absl::string_view user_agent) const {
  user_agent = user_agent.substr(0, kMaxUserAgentBytes);
  if (slots_per_shard_ == 0) return ClassifyUncached(user_agent);
  Shard& shard = ShardFor(user_agent);
  {
    absl::MutexLock lock(&shard.mu);
    if (auto it = shard.index.find(user_agent); it != shard.index.end()) {
      Shard::Slot& slot = shard.slots[it->second];
      slot.referenced = true;
      return slot.families;
    }
  }
  // Classified outside the lock; two threads missing on one User-Agent at
  // once both classify it, and the second keeps the first's entry.
  Families families = ClassifyUncached(user_agent);
  Remember(shard, user_agent, families);
  return families;
}

UapClassifier::Shard& UapClassifier::ShardFor(
    absl::string_view user_agent) const {
  // The top bits: the map inside the shard uses the low ones.
  const size_t hash = absl::Hash<absl::string_view>{}(user_agent);
  return shards_[(hash >> (sizeof(size_t) * 8 - 4)) % kShards];
}

void UapClassifier::Remember(Shard& shard, absl::string_view user_agent,
                             const Families& families) const {
  absl::MutexLock lock(&shard.mu);
  if (shard.index.contains(user_agent)) return;
  size_t slot;
  if (shard.slots.size() < slots_per_shard_) {
    slot = shard.slots.size();
    shard.slots.emplace_back();
  } else {
    // A new entry starts unreferenced, so a flood of User-Agents seen once
    // replaces each other before it displaces ones seen again.
    while (shard.slots[shard.hand].referenced) {
      shard.slots[shard.hand].referenced = false;
      shard.hand = (shard.hand + 1) % shard.slots.size();
    }
    slot = shard.hand;
    shard.hand = (shard.hand + 1) % shard.slots.size();
    shard.index.erase(shard.slots[slot].user_agent);
  }
  shard.slots[slot] = Shard::Slot{std::string(user_agent), families, false};
  shard.index.emplace(shard.slots[slot].user_agent, slot);
}

}  // namespace shopstream
