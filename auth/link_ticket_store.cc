#include "auth/link_ticket_store.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "auth/api_key.h"
#include "common/grpc_status.h"

namespace shopstream::auth {
namespace {

constexpr absl::string_view kTicketPrefix = "sst_";

absl::Time FromEpochSeconds(double seconds) {
  return absl::FromUnixMicros(static_cast<int64_t>(seconds * 1e6));
}

}  // namespace

absl::StatusOr<IssuedTicket> LinkTicketStore::Issue(const std::string& key_id,
                                                    const std::string& shop_id,
                                                    absl::Duration lifetime) {
  NewApiKey ticket = GenerateCredential(kTicketPrefix);
  IssuedTicket issued{ticket.text, shop_id, absl::InfinitePast()};
  absl::Status status = pool_->Run([&](pqxx::connection& c) {
    pqxx::work tx(c);
    // Kept a while after expiry, so that a late use hears "expired".
    tx.exec(
        "DELETE FROM link_tickets "
        "WHERE expires_at < statement_timestamp() - interval '1 hour'");
    pqxx::result rows = tx.exec_params(
        "INSERT INTO link_tickets (ticket_id, secret_sha256, key_id, shop_id, "
        "expires_at) VALUES ($1, $2, $3, $4, statement_timestamp() + "
        "$5 * interval '1 millisecond') "
        "RETURNING extract(epoch FROM expires_at)::float8",
        /*ticket_id=*/ticket.parts.key_id, HashSecret(ticket.parts.secret),
        key_id, shop_id, absl::ToInt64Milliseconds(lifetime));
    issued.expires = FromEpochSeconds(rows[0][0].as<double>());
    tx.commit();
  });
  if (!status.ok()) return status;
  return issued;
}

absl::StatusOr<TicketGrant> LinkTicketStore::Redeem(
    absl::string_view ticket, absl::string_view requested_shop) {
  absl::StatusOr<ApiKeyParts> parts =
      ParseCredential(ticket, kTicketPrefix, "link ticket");
  if (!parts.ok()) return parts.status();
  const std::string& ticket_id = parts->key_id;  // the shape keys have
  if (redeeming_.fetch_add(1) >= max_redeeming_) {
    redeeming_.fetch_sub(1);
    return WithRetryDelay(
        absl::UnavailableError(
            "too many link tickets are being checked; retry in 1 s"),
        absl::Seconds(1));
  }
  absl::Status refused;
  TicketGrant grant;
  absl::Status status = pool_->Run([&](pqxx::connection& c) {
    pqxx::work tx(c);
    pqxx::result rows = tx.exec_params(
        "SELECT secret_sha256, key_id, shop_id, used_at IS NOT NULL, "
        "expires_at <= statement_timestamp() "
        "FROM link_tickets WHERE ticket_id = $1 FOR UPDATE",
        ticket_id);
    if (rows.empty() || !ConstantTimeEquals(HashSecret(parts->secret),
                                            rows[0][0].as<std::string>())) {
      refused = absl::UnauthenticatedError("link ticket is not valid");
      return;
    }
    grant = {rows[0][1].as<std::string>(), rows[0][2].as<std::string>()};
    if (rows[0][3].as<bool>()) {
      refused = absl::UnauthenticatedError(
          "link ticket was used already; ask for a new one");
    } else if (rows[0][4].as<bool>()) {
      refused =
          absl::UnauthenticatedError("link ticket expired; ask for a new one");
    } else if (!requested_shop.empty() && requested_shop != grant.shop_id) {
      refused = absl::PermissionDeniedError(absl::StrCat(
          "shop_id: the link ticket is not for shop \"", requested_shop, "\""));
    }
    if (!refused.ok()) return;
    tx.exec_params(
        "UPDATE link_tickets SET used_at = statement_timestamp() "
        "WHERE ticket_id = $1",
        ticket_id);
    tx.commit();
  });
  redeeming_.fetch_sub(1);
  if (!status.ok()) return status;
  if (!refused.ok()) return refused;
  return grant;
}

}  // namespace shopstream::auth
