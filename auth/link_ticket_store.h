#ifndef SHOPSTREAM_AUTH_LINK_TICKET_STORE_H_
#define SHOPSTREAM_AUTH_LINK_TICKET_STORE_H_

#include <atomic>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/pg_connection_pool.h"

namespace shopstream::auth {

// The scheme of the "authorization" metadata that carries a link ticket:
// "Ticket sst_<id>_<secret>".
inline constexpr char kTicketScheme[] = "Ticket";

struct IssuedTicket {
  std::string text;  // shown once; not stored
  std::string shop_id;
  absl::Time expires;
};

// What a redeemed ticket stands for: the key it was issued with, read-only,
// for one shop.
struct TicketGrant {
  std::string key_id;
  std::string shop_id;
};

// Link tickets (migrations/0014_create_link_tickets.sql): stand-ins for a
// read key in URLs, which end up in logs, histories and Referer headers.
// A ticket is good once, until it expires. Only a SHA-256 of its secret is
// stored, as for keys; PostgreSQL's clock decides expiry, so every query
// replica agrees. Thread-safe.
class LinkTicketStore {
 public:
  // Redemptions in flight beyond `max_redeeming` are refused (UNAVAILABLE),
  // so that made-up tickets, which cost a lookup each, cannot queue up
  // request threads behind `pool`.
  LinkTicketStore(PgConnectionPool* pool, int max_redeeming)
      : pool_(pool), max_redeeming_(max_redeeming) {}

  // A ticket for `shop_id` on behalf of `key_id`, good for `lifetime`.
  // Tickets that expired an hour ago go at the same time.
  absl::StatusOr<IssuedTicket> Issue(const std::string& key_id,
                                     const std::string& shop_id,
                                     absl::Duration lifetime);

  // Uses the ticket up and says what it grants. UNAUTHENTICATED: malformed,
  // unknown, used already or expired. PERMISSION_DENIED: issued for another
  // shop than `requested_shop` (empty: any); the ticket is then left
  // unused. UNAVAILABLE: PostgreSQL cannot be asked, or too many
  // redemptions are in flight.
  absl::StatusOr<TicketGrant> Redeem(absl::string_view ticket,
                                     absl::string_view requested_shop);

 private:
  PgConnectionPool* const pool_;
  const int max_redeeming_;
  std::atomic<int> redeeming_{0};
};

}  // namespace shopstream::auth

#endif  // SHOPSTREAM_AUTH_LINK_TICKET_STORE_H_
