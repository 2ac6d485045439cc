#include "auth/api_key.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <stdexcept>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace shopstream::auth {
namespace {

constexpr absl::string_view kPrefix = "ssk_";
constexpr size_t kKeyIdBytes = 8;
constexpr size_t kSecretBytes = 32;

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()),
                 static_cast<int>(raw.size())) != 1) {
    // Without randomness no key can be made safely; there is no fallback.
    throw std::runtime_error("RAND_bytes failed");
  }
  return absl::BytesToHexString(raw);
}

bool IsLowerHex(absl::string_view text, size_t length) {
  if (text.size() != length) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

absl::string_view ScopeName(Scope scope) {
  switch (scope) {
    case Scope::kWrite:
      return "write";
    case Scope::kCollect:
      return "collect";
    case Scope::kAdmin:
      return "admin";
    case Scope::kRead:
      break;
  }
  return "read";
}

absl::StatusOr<Scope> ParseScope(absl::string_view name) {
  if (name == "write") return Scope::kWrite;
  if (name == "read") return Scope::kRead;
  if (name == "collect") return Scope::kCollect;
  if (name == "admin") return Scope::kAdmin;
  return absl::InvalidArgumentError(
      absl::StrCat("scope: must be \"write\", \"read\", \"collect\" or "
                   "\"admin\", not \"",
                   name, "\""));
}

bool ScopeAllows(Scope held, Scope needed) {
  return held == needed || (held == Scope::kAdmin && needed == Scope::kRead);
}

absl::StatusOr<std::string> ParseOrigin(absl::string_view text) {
  const std::string origin = absl::AsciiStrToLower(text);
  absl::string_view host;
  if (absl::StartsWith(origin, "https://")) {
    host = absl::string_view(origin).substr(8);
  } else if (absl::StartsWith(origin, "http://")) {
    host = absl::string_view(origin).substr(7);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("origin: \"", absl::CHexEscape(text.substr(0, 100)),
                     "\" is not http:// or https:// followed by a host"));
  }
  if (host.empty() || host.size() > 260) {
    return absl::InvalidArgumentError("origin: no host, or too long");
  }
  for (char c : host) {
    const bool ok = absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                    c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("origin: \"", absl::CHexEscape(text.substr(0, 100)),
                       "\" has a path or a character no host has (an origin is "
                       "scheme://host[:port])"));
    }
  }
  return origin;
}

NewApiKey GenerateApiKey() { return GenerateCredential(kPrefix); }

absl::StatusOr<ApiKeyParts> ParseApiKey(absl::string_view text) {
  return ParseCredential(text, kPrefix, "API key");
}

NewApiKey GenerateCredential(absl::string_view prefix) {
  NewApiKey key;
  key.parts.key_id = RandomHex(kKeyIdBytes);
  key.parts.secret = RandomHex(kSecretBytes);
  key.text = absl::StrCat(prefix, key.parts.key_id, "_", key.parts.secret);
  return key;
}

absl::StatusOr<ApiKeyParts> ParseCredential(absl::string_view text,
                                            absl::string_view prefix,
                                            absl::string_view what) {
  const absl::Status malformed =
      absl::UnauthenticatedError(absl::StrCat(what, " is malformed"));
  if (!absl::ConsumePrefix(&text, prefix)) return malformed;
  const size_t separator = text.find('_');
  if (separator == absl::string_view::npos) return malformed;
  ApiKeyParts parts{std::string(text.substr(0, separator)),
                    std::string(text.substr(separator + 1))};
  if (!IsLowerHex(parts.key_id, 2 * kKeyIdBytes) ||
      !IsLowerHex(parts.secret, 2 * kSecretBytes)) {
    return malformed;
  }
  return parts;
}

std::string HashSecret(absl::string_view secret) {
  std::string digest(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
         reinterpret_cast<unsigned char*>(digest.data()));
  return absl::BytesToHexString(digest);
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace shopstream::auth
