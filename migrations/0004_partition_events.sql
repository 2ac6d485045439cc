-- Raw events partitioned by UTC month of occurred_at, so retention drops
-- whole partitions while the rollups stay. A partitioned table can only
-- enforce keys that include the partition key, so the key that makes a
-- retry count once, (shop_id, event_id), moves to event_keys: one
-- unpartitioned row per stored event, claimed in the same transaction.
ALTER TABLE events RENAME TO events_unpartitioned;
ALTER INDEX events_shop_occurred_at RENAME TO events_unpartitioned_shop_occurred_at;
ALTER TABLE events_unpartitioned RENAME CONSTRAINT events_pkey TO events_unpartitioned_pkey;

CREATE TABLE event_keys (
  shop_id     text        NOT NULL,
  event_id    text        NOT NULL,
  occurred_at timestamptz NOT NULL,
  PRIMARY KEY (shop_id, event_id)
);

CREATE TABLE events (
  shop_id            text        NOT NULL,
  event_id           text        NOT NULL,
  event_type         smallint    NOT NULL CHECK (event_type BETWEEN 1 AND 3),
  occurred_at        timestamptz NOT NULL,
  product_id         text,
  session_id         text,
  order_amount_cents bigint      CHECK (order_amount_cents >= 0),
  received_at        timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (occurred_at);

CREATE INDEX events_shop_occurred_at ON events (shop_id, occurred_at);

-- Raw events before `horizon` are dropped and no partition is made for
-- them again: a late event for that time is refused (dead-lettered), so
-- forgetting its key cannot let it be counted twice. NULL: keep all.
CREATE TABLE event_retention (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  horizon   timestamptz
);
INSERT INTO event_retention VALUES (true, NULL);

-- The partition for the UTC month starting at `month_start`, named
-- events_YYYYMM.
CREATE FUNCTION create_event_partition(month_start timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format(
    'CREATE TABLE IF NOT EXISTS %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
    'events_' || to_char(month_start AT TIME ZONE 'UTC', 'YYYYMM'),
    month_start,
    (month_start AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC');
END $$;

DO $$
DECLARE
  m timestamptz;
BEGIN
  FOR m IN SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
           FROM events_unpartitioned LOOP
    PERFORM create_event_partition(m);
  END LOOP;
END $$;

INSERT INTO event_keys SELECT shop_id, event_id, occurred_at FROM events_unpartitioned;
INSERT INTO events SELECT * FROM events_unpartitioned;
DROP TABLE events_unpartitioned;
