-- Product sums per week (Monday 00:00 UTC), so top products over a month
-- read about 4 weeks and a few days of rows per product instead of 30 days.
CREATE TABLE product_week_rollup (
  shop_id       text        NOT NULL,
  bucket_start  timestamptz NOT NULL,
  product_id    text        NOT NULL,
  page_views    bigint      NOT NULL,
  add_to_carts  bigint      NOT NULL,
  purchases     bigint      NOT NULL,
  revenue_cents bigint      NOT NULL,
  PRIMARY KEY (shop_id, bucket_start, product_id)
);

INSERT INTO product_week_rollup
SELECT shop_id, date_bin('7 days', bucket_start, '1970-01-05 00:00:00+00'),
       product_id, sum(page_views), sum(add_to_carts), sum(purchases),
       sum(revenue_cents)
FROM product_day_rollup GROUP BY 1, 2, 3;
