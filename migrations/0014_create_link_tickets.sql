-- Link tickets: short-lived, single-use stand-ins for a read key where a URL
-- must carry the credential (EventSource, download links), since URLs end
-- up in logs and histories. As for keys, only a SHA-256 of the secret is
-- kept. A ticket reads one shop's live stream or CSV exports, once, until
-- expires_at.
CREATE TABLE link_tickets (
  ticket_id     text PRIMARY KEY,
  secret_sha256 text NOT NULL,  -- hex
  key_id        text NOT NULL REFERENCES api_keys (key_id),
  shop_id       text NOT NULL,
  expires_at    timestamptz NOT NULL,
  used_at       timestamptz
);

CREATE INDEX link_tickets_expires_at ON link_tickets (expires_at);
