-- Rollups move off the acknowledgement path: the processor's append stores
-- only the raw event and its key; a folder adds committed events to the
-- rollups later, in large batches (rollups/rollup_folder.h).
--
-- Each appended event records the transaction that stored it
-- (pg_current_xact_id() as bigint). The folder's watermark is a transaction
-- id: every event whose append_xid is below it is counted in the rollups,
-- every event at or above it is not yet (the raw tail queries add). A fold
-- moves the watermark to the oldest transaction still running when its
-- snapshot was taken (pg_snapshot_xmin), so an append that commits late is
-- never skipped: its transaction id stays above the watermark until it has
-- ended. NULL: stored before this migration, by a writer that updated the
-- rollups in the same transaction.
ALTER TABLE events ADD COLUMN append_xid bigint;

-- Appends arrive in transaction order, so the heap is in append_xid order
-- and a block-range index finds the tail for a few bytes a block.
CREATE INDEX events_append_xid ON events USING brin (append_xid)
  WITH (pages_per_range = 16, autosummarize = on);

CREATE TABLE rollup_watermark (
  singleton boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
  watermark bigint      NOT NULL,
  folded_at timestamptz NOT NULL DEFAULT now()
);
-- Appends after this migration get a later transaction id than its own.
INSERT INTO rollup_watermark (watermark)
VALUES (pg_current_xact_id()::text::bigint);

-- A shop whose events of [xid_lo, xid_hi) could not be folded with the
-- others (its fold failed); they stay in its tail until a retry folds them.
CREATE TABLE rollup_pending (
  shop_id    text        NOT NULL,
  xid_lo     bigint      NOT NULL,
  xid_hi     bigint      NOT NULL,
  failures   integer     NOT NULL DEFAULT 1,
  last_error text        NOT NULL,
  retry_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (shop_id, xid_lo)
);

-- Money sums cannot overflow: one shop's revenue past 2^63 cents would fail
-- every fold of that shop.
ALTER TABLE shop_minute_rollup ALTER COLUMN revenue_cents TYPE numeric;
ALTER TABLE shop_hour_rollup ALTER COLUMN revenue_cents TYPE numeric;
ALTER TABLE shop_day_rollup ALTER COLUMN revenue_cents TYPE numeric;
ALTER TABLE product_day_rollup ALTER COLUMN revenue_cents TYPE numeric;
ALTER TABLE product_week_rollup ALTER COLUMN revenue_cents TYPE numeric;
ALTER TABLE product_totals ALTER COLUMN revenue_cents TYPE numeric;
ALTER TABLE shop_totals ALTER COLUMN revenue_cents TYPE numeric;
