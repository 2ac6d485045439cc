-- Unique sessions over a range of many days cannot be summed from per-day
-- counts (a session active on two days would count twice), and an exact
-- distinct count over shop_session_days reads one row per session and day.
-- One hll sketch per shop and UTC day merges instead: the union of a
-- range's sketches estimates its distinct sessions from a few KiB a day.
-- The hll extension (Debian and PGDG: postgresql-15-hll) must be installed
-- on the server; creating it needs a role that may (see docs/operations.md).
CREATE EXTENSION IF NOT EXISTS hll;

CREATE TABLE shop_session_sketches (
  shop_id  text        NOT NULL,
  day      timestamptz NOT NULL,
  sessions hll         NOT NULL,
  PRIMARY KEY (shop_id, day)
);

-- The events already folded, sketched as rollups/rollup_schema.cc sketches
-- them (a test holds the two together); later ones are the folder's.
INSERT INTO shop_session_sketches
SELECT e.shop_id, date_bin('1 day', e.occurred_at, 'epoch'::timestamptz),
       hll_add_agg(hll_hash_text(length(e.shop_id) || ':' || e.shop_id
                                 || e.session_id), 14, 5, -1, 1)
FROM events e
WHERE e.session_id IS NOT NULL
  AND (e.append_xid IS NULL
       OR (e.append_xid < (SELECT watermark FROM rollup_watermark)
           AND NOT EXISTS (SELECT 1 FROM rollup_pending p
                           WHERE p.shop_id = e.shop_id
                             AND e.append_xid >= p.xid_lo
                             AND e.append_xid < p.xid_hi)))
GROUP BY 1, 2;
