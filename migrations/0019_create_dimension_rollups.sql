-- Per traffic dimension and value: what breakdowns (top pages, referrers,
-- UTM, devices, browsers, OSes) and answers filtered on one dimension read
-- instead of raw events. Folded like the shop rollups (rollups/
-- rollup_folder.h), from committed events behind the watermark.
--
-- dimension: 'event_type' (values page_view, add_to_cart, purchase,
-- custom), 'product_id', 'page', 'referrer_host', 'utm_source',
-- 'utm_medium', 'utm_campaign', 'device_class', 'browser', 'os'. An event
-- without a value for a dimension has no row there.
CREATE TABLE shop_dimension_hour_rollup (
  shop_id            text        NOT NULL,
  dimension          text        NOT NULL,
  value              text        NOT NULL,
  bucket_start       timestamptz NOT NULL,
  page_views         bigint      NOT NULL,
  add_to_carts       bigint      NOT NULL,
  purchases          bigint      NOT NULL,
  custom_events      bigint      NOT NULL,
  revenue_cents      numeric     NOT NULL,
  max_purchase_cents bigint,
  min_purchase_cents bigint,
  PRIMARY KEY (shop_id, dimension, value, bucket_start)
);

-- Whole UTC days, with a sketch of the day's sessions for distinct counts
-- over many days (hashed as shop_session_sketches, at a lower precision
-- since there is one per value and day: 2^11 registers, 2.3% relative
-- standard error). A value's events without a session leave it empty.
CREATE TABLE shop_dimension_day_rollup (
  LIKE shop_dimension_hour_rollup INCLUDING ALL,
  sessions hll NOT NULL
);

-- The events already folded, counted as rollups/rollup_schema.cc counts
-- them (a test holds the two together); later ones are the folder's.
CREATE TEMP TABLE folded_dimensions ON COMMIT DROP AS
SELECT e.shop_id, d.dimension, d.value, e.occurred_at, e.event_type,
       e.order_amount_cents, e.session_id
FROM events e
CROSS JOIN LATERAL (VALUES
  ('event_type', CASE e.event_type WHEN 1 THEN 'page_view'
                 WHEN 2 THEN 'add_to_cart' WHEN 3 THEN 'purchase'
                 WHEN 4 THEN 'custom' END),
  ('product_id', e.product_id), ('page', e.page),
  ('referrer_host', e.referrer_host), ('utm_source', e.utm_source),
  ('utm_medium', e.utm_medium), ('utm_campaign', e.utm_campaign),
  ('device_class', e.device_class), ('browser', e.browser), ('os', e.os))
  AS d(dimension, value)
WHERE d.value <> ''
  AND (e.append_xid IS NULL
       OR (e.append_xid < (SELECT watermark FROM rollup_watermark)
           AND NOT EXISTS (SELECT 1 FROM rollup_pending p
                           WHERE p.shop_id = e.shop_id
                             AND e.append_xid >= p.xid_lo
                             AND e.append_xid < p.xid_hi)));

INSERT INTO shop_dimension_hour_rollup
SELECT shop_id, dimension, value,
       date_bin('1 hour', occurred_at, 'epoch'::timestamptz),
       count(*) FILTER (WHERE event_type = 1),
       count(*) FILTER (WHERE event_type = 2),
       count(*) FILTER (WHERE event_type = 3),
       count(*) FILTER (WHERE event_type = 4),
       coalesce(sum(order_amount_cents) FILTER (WHERE event_type = 3), 0),
       max(order_amount_cents) FILTER (WHERE event_type = 3),
       min(order_amount_cents) FILTER (WHERE event_type = 3)
FROM folded_dimensions GROUP BY 1, 2, 3, 4;

INSERT INTO shop_dimension_day_rollup
SELECT shop_id, dimension, value,
       date_bin('1 day', occurred_at, 'epoch'::timestamptz),
       count(*) FILTER (WHERE event_type = 1),
       count(*) FILTER (WHERE event_type = 2),
       count(*) FILTER (WHERE event_type = 3),
       count(*) FILTER (WHERE event_type = 4),
       coalesce(sum(order_amount_cents) FILTER (WHERE event_type = 3), 0),
       max(order_amount_cents) FILTER (WHERE event_type = 3),
       min(order_amount_cents) FILTER (WHERE event_type = 3),
       coalesce(hll_add_agg(hll_hash_text(length(shop_id) || ':' || shop_id
                                          || session_id), 11, 5, -1, 1)
                FILTER (WHERE session_id IS NOT NULL),
                hll_empty(11, 5, -1, 1))
FROM folded_dimensions GROUP BY 1, 2, 3, 4;
DROP TABLE folded_dimensions;
