#ifndef SHOPSTREAM_AUTH_API_KEY_H_
#define SHOPSTREAM_AUTH_API_KEY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace shopstream::auth {

// What a key may do: write (ingest events), read (analytics), or collect:
// write from a storefront's page through the collect endpoint only, from
// the origins listed with the key (it is published in the page). Admin
// reads what a read key reads and runs the shop's AdminService (dead
// letters, keys, audit); it writes no events.
enum class Scope { kWrite, kRead, kCollect, kAdmin };

absl::string_view ScopeName(Scope scope);
absl::StatusOr<Scope> ParseScope(absl::string_view name);

// Whether a key of scope `held` may make a call that needs `needed`.
bool ScopeAllows(Scope held, Scope needed);

// An origin as browsers send it: "scheme://host[:port]", lower case, with
// no path; http or https. The error names `origin`.
absl::StatusOr<std::string> ParseOrigin(absl::string_view text);

// A key as clients hold it: "ssk_<key id>_<secret>". The key id is public
// (it names the key in lists and logs); only a hash of the secret is stored.
struct ApiKeyParts {
  std::string key_id;  // 16 lower-case hex digits
  std::string secret;  // 64 lower-case hex digits (256 random bits)
};

// A fresh key from the operating system's random source.
struct NewApiKey {
  std::string text;  // what the client sends
  ApiKeyParts parts;
};
NewApiKey GenerateApiKey();

// Splits a key a client sent; UNAUTHENTICATED when it is not shaped like one.
absl::StatusOr<ApiKeyParts> ParseApiKey(absl::string_view text);

// Keys and link tickets share one shape, "<prefix><id>_<secret>", and differ
// in the prefix, so that neither can pass for the other. `what` names the
// credential in errors.
NewApiKey GenerateCredential(absl::string_view prefix);
absl::StatusOr<ApiKeyParts> ParseCredential(absl::string_view text,
                                            absl::string_view prefix,
                                            absl::string_view what);

// SHA-256 of the secret, as 64 lower-case hex digits. Keys carry 256 random
// bits, so a fast hash suffices: there is no password to guess.
std::string HashSecret(absl::string_view secret);

// Compares without leaking where two equal-length strings differ.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace shopstream::auth

#endif  // SHOPSTREAM_AUTH_API_KEY_H_
