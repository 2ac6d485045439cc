#include "auth/api_key_store.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/event_validator.h"

namespace shopstream::auth {
namespace {

constexpr char kColumns[] =
    "key_id, shop_id, scope, secret_sha256, description, "
    "extract(epoch FROM created_at)::float8, "
    "extract(epoch FROM revoked_at)::float8, "
    "array_to_string(allowed_origins, ' ')";

ApiKeyRecord FromRow(const pqxx::row& row) {
  ApiKeyRecord record;
  record.key_id = row[0].as<std::string>();
  record.shop_id = row[1].as<std::string>();
  // The table's CHECK allows only the scopes' names.
  record.scope = ParseScope(row[2].as<std::string>()).value_or(Scope::kRead);
  record.secret_sha256 = row[3].as<std::string>();
  record.description = row[4].as<std::string>();
  record.created_at =
      absl::FromUnixMicros(static_cast<int64_t>(row[5].as<double>() * 1e6));
  if (!row[6].is_null()) {
    record.revoked_at =
        absl::FromUnixMicros(static_cast<int64_t>(row[6].as<double>() * 1e6));
  }
  // Origins hold no spaces (ParseOrigin).
  record.allowed_origins =
      absl::StrSplit(row[7].as<std::string>(), ' ', absl::SkipEmpty());
  return record;
}

}  // namespace

absl::StatusOr<CreatedApiKey> ApiKeyStore::Create(
    const std::string& shop_id, Scope scope, const std::string& description,
    const std::vector<std::string>& allowed_origins) {
  if (shop_id.empty() || shop_id.size() > kMaxShopIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("shop: 1 to ", kMaxShopIdBytes, " bytes"));
  }
  std::vector<std::string> origins;
  for (const std::string& text : allowed_origins) {
    absl::StatusOr<std::string> origin = ParseOrigin(text);
    if (!origin.ok()) return origin.status();
    origins.push_back(*std::move(origin));
  }
  if (scope == Scope::kCollect && origins.empty()) {
    return absl::InvalidArgumentError(
        "origin: a collect key needs the origins of the pages that may use "
        "it");
  }
  if (scope != Scope::kCollect && !origins.empty()) {
    return absl::InvalidArgumentError("origin: only collect keys have origins");
  }
  NewApiKey key = GenerateApiKey();
  CreatedApiKey created;
  created.text = key.text;
  absl::Status status = pool_->Run([&](pqxx::connection& c) {
    pqxx::work tx(c);
    pqxx::result rows = tx.exec_params(
        absl::StrCat("INSERT INTO api_keys (key_id, shop_id, scope, "
                     "secret_sha256, description, allowed_origins) VALUES "
                     "($1, $2, $3, $4, $5, string_to_array($6, ' ')) "
                     "RETURNING ",
                     kColumns),
        key.parts.key_id, shop_id, std::string(ScopeName(scope)),
        HashSecret(key.parts.secret), description, absl::StrJoin(origins, " "));
    created.record = FromRow(rows[0]);
    tx.commit();
  });
  if (!status.ok()) return status;
  return created;
}

absl::StatusOr<std::vector<ApiKeyRecord>> ApiKeyStore::List(
    const std::optional<std::string>& shop_id) {
  std::vector<ApiKeyRecord> records;
  absl::Status status = pool_->Run([&](pqxx::connection& c) {
    pqxx::work tx(c);
    const std::string sql =
        absl::StrCat("SELECT ", kColumns,
                     " FROM api_keys WHERE ($1::text IS NULL OR shop_id = $1) "
                     "ORDER BY created_at, key_id");
    pqxx::result rows =
        shop_id ? tx.exec_params(sql, *shop_id) : tx.exec_params(sql, nullptr);
    for (const pqxx::row& row : rows) records.push_back(FromRow(row));
  });
  if (!status.ok()) return status;
  return records;
}

absl::Status ApiKeyStore::Revoke(const std::string& key_id) {
  bool found = false;
  absl::Status status = pool_->Run([&](pqxx::connection& c) {
    pqxx::work tx(c);
    pqxx::result rows = tx.exec_params(
        "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) "
        "WHERE key_id = $1 RETURNING key_id",
        key_id);
    found = !rows.empty();
    tx.commit();
  });
  if (!status.ok()) return status;
  if (!found) return absl::NotFoundError(absl::StrCat("no key ", key_id));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<ApiKeyRecord>> ApiKeyStore::Find(
    const std::string& key_id) {
  std::optional<ApiKeyRecord> record;
  absl::Status status = pool_->Run([&](pqxx::connection& c) {
    pqxx::work tx(c);
    pqxx::result rows = tx.exec_params(
        absl::StrCat("SELECT ", kColumns, " FROM api_keys WHERE key_id = $1"),
        key_id);
    if (!rows.empty()) record = FromRow(rows[0]);
  });
  if (!status.ok()) return status;
  return record;
}

}  // namespace shopstream::auth
