#include "admin/key_admin.h"

#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "auth/api_key_verifier.h"

namespace shopstream::admin {
namespace {

constexpr char kUsage[] =
    "usage: shopstream-admin keys create --shop S --scope write|read|admin "
    "[--description D]\n"
    "       shopstream-admin keys create --shop S --scope collect "
    "--origin https://shop.example[,...] [--description D]\n"
    "       shopstream-admin keys list [--shop S]\n"
    "       shopstream-admin keys revoke --key_id ID\n"
    "       shopstream-admin keys verify --key K\n";

std::string IsoTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

}  // namespace

int KeyAdmin::Run(const std::vector<std::string>& command,
                  const KeyCommandOptions& options, std::ostream& out,
                  std::ostream& err) {
  if (command.size() != 2 || command[0] != "keys") {
    err << kUsage;
    return 2;
  }
  if (command[1] == "create") return Create(options, out, err);
  if (command[1] == "list") return List(options, out, err);
  if (command[1] == "revoke") return Revoke(options, out, err);
  if (command[1] == "verify") return Verify(options, out, err);
  err << kUsage;
  return 2;
}

int KeyAdmin::Create(const KeyCommandOptions& options, std::ostream& out,
                     std::ostream& err) {
  if (options.shop.empty()) {
    err << "keys create: --shop is required\n" << kUsage;
    return 2;
  }
  absl::StatusOr<auth::Scope> scope = auth::ParseScope(options.scope);
  if (!scope.ok()) {
    err << "keys create: --" << scope.status().message() << "\n";
    return 2;
  }
  absl::StatusOr<auth::CreatedApiKey> created = store_->Create(
      options.shop, *scope, options.description, options.origins);
  if (!created.ok()) {
    const bool usage =
        created.status().code() == absl::StatusCode::kInvalidArgument;
    err << "keys create: " << (usage ? "--" : "") << created.status().message()
        << "\n";
    return usage ? 2 : 1;
  }
  out << created->text << "\n";
  err << "created key " << created->record.key_id << " for shop \""
      << created->record.shop_id << "\", scope "
      << auth::ScopeName(created->record.scope)
      << "; it is shown only this once\n";
  return 0;
}

int KeyAdmin::List(const KeyCommandOptions& options, std::ostream& out,
                   std::ostream& err) {
  absl::StatusOr<std::vector<auth::ApiKeyRecord>> records = store_->List(
      options.shop.empty() ? std::nullopt
                           : std::optional<std::string>(options.shop));
  if (!records.ok()) {
    err << "keys list: " << records.status().message() << "\n";
    return 1;
  }
  out << "key_id\tshop\tscope\tcreated\trevoked\tdescription\torigins\n";
  for (const auth::ApiKeyRecord& r : *records) {
    out << absl::StrJoin(
               std::vector<std::string>{
                   r.key_id, r.shop_id, std::string(auth::ScopeName(r.scope)),
                   IsoTime(r.created_at),
                   r.revoked_at ? IsoTime(*r.revoked_at) : std::string("-"),
                   r.description,
                   r.allowed_origins.empty()
                       ? std::string("-")
                       : absl::StrJoin(r.allowed_origins, ",")},
               "\t")
        << "\n";
  }
  return 0;
}

int KeyAdmin::Revoke(const KeyCommandOptions& options, std::ostream& out,
                     std::ostream& err) {
  if (options.key_id.empty()) {
    err << "keys revoke: --key_id is required\n" << kUsage;
    return 2;
  }
  absl::Status status = store_->Revoke(options.key_id);
  if (!status.ok()) {
    err << "keys revoke: " << status.message() << "\n";
    return 1;
  }
  out << "revoked " << options.key_id
      << " (services stop accepting it within their --api_key_cache_ttl_ms)\n";
  return 0;
}

int KeyAdmin::Verify(const KeyCommandOptions& options, std::ostream& out,
                     std::ostream& err) {
  auth::ApiKeyVerifier verifier(
      [this](const std::string& id) { return store_->Find(id); },
      {.cache_ttl = absl::ZeroDuration()});
  absl::StatusOr<auth::Principal> principal = verifier.Verify(options.key);
  if (!principal.ok()) {
    err << "keys verify: " << principal.status().message() << "\n";
    return 1;
  }
  out << principal->key_id << "\t" << principal->shop_id << "\t"
      << auth::ScopeName(principal->scope) << "\n";
  return 0;
}

}  // namespace shopstream::admin
