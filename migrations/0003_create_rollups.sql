-- Pre-aggregated counts, maintained by the processor in the transaction
-- that stores the raw events, from exactly the rows it inserted: a rollup
-- always equals an aggregate of the raw rows. Bucket starts are UTC
-- instants (minute, hour and 24-hour day edges since the epoch).
-- Purchase maxima and minima are NULL while a bucket has no purchase.
CREATE TABLE shop_minute_rollup (
  shop_id            text        NOT NULL,
  bucket_start       timestamptz NOT NULL,
  page_views         bigint      NOT NULL,
  add_to_carts       bigint      NOT NULL,
  purchases          bigint      NOT NULL,
  revenue_cents      bigint      NOT NULL,
  max_purchase_cents bigint,
  min_purchase_cents bigint,
  PRIMARY KEY (shop_id, bucket_start)
);

CREATE TABLE shop_hour_rollup (LIKE shop_minute_rollup INCLUDING ALL);
CREATE TABLE shop_day_rollup (LIKE shop_minute_rollup INCLUDING ALL);

-- Per product and UTC day; partial days at a range's edges come from raw
-- events.
CREATE TABLE product_day_rollup (
  shop_id       text        NOT NULL,
  bucket_start  timestamptz NOT NULL,
  product_id    text        NOT NULL,
  page_views    bigint      NOT NULL,
  add_to_carts  bigint      NOT NULL,
  purchases     bigint      NOT NULL,
  revenue_cents bigint      NOT NULL,
  PRIMARY KEY (shop_id, bucket_start, product_id)
);

-- All-time figures, so a summary over everything reads one row per shop
-- and its products, whatever the number of stored events.
CREATE TABLE shop_totals (
  shop_id            text        PRIMARY KEY,
  first_event_at     timestamptz NOT NULL,
  last_event_at      timestamptz NOT NULL,
  page_views         bigint      NOT NULL,
  add_to_carts       bigint      NOT NULL,
  purchases          bigint      NOT NULL,
  revenue_cents      bigint      NOT NULL,
  max_purchase_cents bigint,
  min_purchase_cents bigint,
  -- Rows of shop_sessions for the shop.
  sessions           bigint      NOT NULL,
  -- The most viewed product (ties to the smallest id in byte order) and
  -- its views. Counts only grow, so each batch offers its most viewed
  -- product, with that product's new total, and the larger pair wins.
  top_product_id     text,
  top_product_views  bigint      NOT NULL DEFAULT 0
);

CREATE TABLE product_totals (
  shop_id       text   NOT NULL,
  product_id    text   NOT NULL,
  page_views    bigint NOT NULL,
  add_to_carts  bigint NOT NULL,
  purchases     bigint NOT NULL,
  revenue_cents bigint NOT NULL,
  PRIMARY KEY (shop_id, product_id)
);

-- Every session id a shop has seen; a new row counts one more session.
CREATE TABLE shop_sessions (
  shop_id    text NOT NULL,
  session_id text NOT NULL,
  PRIMARY KEY (shop_id, session_id)
);

-- Events stored before this migration, counted once.
INSERT INTO shop_minute_rollup
SELECT shop_id, date_bin('1 minute', occurred_at, 'epoch'::timestamptz),
       count(*) FILTER (WHERE event_type = 1),
       count(*) FILTER (WHERE event_type = 2),
       count(*) FILTER (WHERE event_type = 3),
       coalesce(sum(order_amount_cents) FILTER (WHERE event_type = 3), 0),
       max(order_amount_cents) FILTER (WHERE event_type = 3),
       min(order_amount_cents) FILTER (WHERE event_type = 3)
FROM events GROUP BY 1, 2;

INSERT INTO shop_hour_rollup
SELECT shop_id, date_bin('1 hour', bucket_start, 'epoch'::timestamptz),
       sum(page_views), sum(add_to_carts), sum(purchases), sum(revenue_cents),
       max(max_purchase_cents), min(min_purchase_cents)
FROM shop_minute_rollup GROUP BY 1, 2;

INSERT INTO shop_day_rollup
SELECT shop_id, date_bin('1 day', bucket_start, 'epoch'::timestamptz),
       sum(page_views), sum(add_to_carts), sum(purchases), sum(revenue_cents),
       max(max_purchase_cents), min(min_purchase_cents)
FROM shop_hour_rollup GROUP BY 1, 2;

INSERT INTO product_day_rollup
SELECT shop_id, date_bin('1 day', occurred_at, 'epoch'::timestamptz), product_id,
       count(*) FILTER (WHERE event_type = 1),
       count(*) FILTER (WHERE event_type = 2),
       count(*) FILTER (WHERE event_type = 3),
       coalesce(sum(order_amount_cents) FILTER (WHERE event_type = 3), 0)
FROM events WHERE product_id IS NOT NULL GROUP BY 1, 2, 3;

INSERT INTO product_totals
SELECT shop_id, product_id, sum(page_views), sum(add_to_carts), sum(purchases),
       sum(revenue_cents)
FROM product_day_rollup GROUP BY 1, 2;

INSERT INTO shop_sessions
SELECT DISTINCT shop_id, session_id FROM events WHERE session_id IS NOT NULL;

INSERT INTO shop_totals
SELECT e.shop_id, min(occurred_at), max(occurred_at),
       count(*) FILTER (WHERE event_type = 1),
       count(*) FILTER (WHERE event_type = 2),
       count(*) FILTER (WHERE event_type = 3),
       coalesce(sum(order_amount_cents) FILTER (WHERE event_type = 3), 0),
       max(order_amount_cents) FILTER (WHERE event_type = 3),
       min(order_amount_cents) FILTER (WHERE event_type = 3),
       (SELECT count(*) FROM shop_sessions s WHERE s.shop_id = e.shop_id),
       (SELECT product_id FROM product_totals p WHERE p.shop_id = e.shop_id
        AND p.page_views > 0
        ORDER BY p.page_views DESC, p.product_id COLLATE "C" LIMIT 1),
       coalesce((SELECT max(page_views) FROM product_totals p
                 WHERE p.shop_id = e.shop_id), 0)
FROM events e GROUP BY e.shop_id;
