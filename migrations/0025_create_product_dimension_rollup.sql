-- Per traffic dimension value, UTC day and product: what top products and
-- the most viewed product of an answer filtered on one dimension read
-- instead of the matching raw events. Folded like the other rollups
-- (rollups/rollup_schema.cc). Dimensions as in shop_dimension_day_rollup
-- but event_type (product_day_rollup holds each type) and product_id.
CREATE TABLE product_dimension_day_rollup (
  shop_id       text        NOT NULL,
  dimension     text        NOT NULL,
  value         text        NOT NULL,
  bucket_start  timestamptz NOT NULL,
  product_id    text        NOT NULL,
  page_views    bigint      NOT NULL,
  add_to_carts  bigint      NOT NULL,
  purchases     bigint      NOT NULL,
  revenue_cents numeric     NOT NULL,
  PRIMARY KEY (shop_id, dimension, value, bucket_start, product_id)
);

-- The events already folded, counted as the folder counts them (a test
-- holds the two together); later ones are the folder's.
INSERT INTO product_dimension_day_rollup
SELECT e.shop_id, d.dimension, d.value,
       date_bin('1 day', e.occurred_at, 'epoch'::timestamptz), e.product_id,
       count(*) FILTER (WHERE e.event_type = 1),
       count(*) FILTER (WHERE e.event_type = 2),
       count(*) FILTER (WHERE e.event_type = 3),
       coalesce(sum(e.order_amount_cents) FILTER (WHERE e.event_type = 3), 0)
FROM events e
CROSS JOIN LATERAL (VALUES
  ('page', e.page), ('referrer_host', e.referrer_host),
  ('utm_source', e.utm_source), ('utm_medium', e.utm_medium),
  ('utm_campaign', e.utm_campaign), ('device_class', e.device_class),
  ('browser', e.browser), ('os', e.os)) AS d(dimension, value)
WHERE e.product_id IS NOT NULL AND d.value <> ''
  AND (e.append_xid IS NULL
       OR (e.append_xid < (SELECT watermark FROM rollup_watermark)
           AND NOT EXISTS (SELECT 1 FROM rollup_pending p
                           WHERE p.shop_id = e.shop_id
                             AND e.append_xid >= p.xid_lo
                             AND e.append_xid < p.xid_hi)))
GROUP BY 1, 2, 3, 4, 5;
