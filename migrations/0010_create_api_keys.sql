-- API keys. Only a SHA-256 of each key's secret part is kept; the key
-- itself is shown once, when it is created. A key belongs to one shop and
-- has one scope: 'write' (ingest) or 'read' (analytics).
CREATE TABLE api_keys (
  key_id        text PRIMARY KEY,
  shop_id       text NOT NULL,
  scope         text NOT NULL CHECK (scope IN ('write', 'read')),
  secret_sha256 text NOT NULL,  -- hex
  description   text NOT NULL DEFAULT '',
  created_at    timestamptz NOT NULL DEFAULT now(),
  revoked_at    timestamptz
);

CREATE INDEX api_keys_shop_id ON api_keys (shop_id);
