-- Product sums per week (Monday 00:00 UTC), so top products over a month
-- read about 4 weeks and a few days of rows per product instead of 30 days.
-- The same columns and key as the day rollup.
CREATE TABLE product_week_rollup (LIKE product_day_rollup INCLUDING ALL);

INSERT INTO product_week_rollup
SELECT shop_id, date_bin('7 days', bucket_start, '1970-01-05 00:00:00+00'),
       product_id, sum(page_views), sum(add_to_carts), sum(purchases),
       sum(revenue_cents)
FROM product_day_rollup GROUP BY 1, 2, 3;
