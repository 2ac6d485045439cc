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
-- over many days (as shop_session_sketches, at a lower precision: one row
-- per value and day).
CREATE TABLE shop_dimension_day_rollup (
  LIKE shop_dimension_hour_rollup INCLUDING ALL,
  sessions hll NOT NULL
);
