-- Events PostgreSQL refused for their content, kept for operators. The
-- payload is the exact stored form (protobuf shopstream.internal.v1.
-- StoredEvent); the text columns are escaped copies for reading.
CREATE TABLE dead_letter_events (
  id               bigserial   PRIMARY KEY,
  shop_id          text        NOT NULL,
  event_id         text        NOT NULL,
  event_text       text        NOT NULL,
  payload          bytea       NOT NULL,
  reason           text        NOT NULL,
  dead_lettered_at timestamptz NOT NULL DEFAULT now()
);
