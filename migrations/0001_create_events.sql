-- Raw events, one row per (shop, event id): the key is what makes a
-- client's retry count once.
CREATE TABLE events (
  shop_id            text        NOT NULL,
  event_id           text        NOT NULL,
  event_type         smallint    NOT NULL CHECK (event_type BETWEEN 1 AND 3),
  occurred_at        timestamptz NOT NULL,
  product_id         text,
  session_id         text,
  -- Money is exact: whole cents, summed as integers.
  order_amount_cents bigint      CHECK (order_amount_cents >= 0),
  received_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (shop_id, event_id)
);

CREATE INDEX events_shop_occurred_at ON events (shop_id, occurred_at);
