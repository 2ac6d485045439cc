-- How far each session went through the funnel (page view, then add to
-- cart, then purchase), so the funnel is read from the session rollups
-- instead of every raw event of its range (rollups/engagement_schema.h).
ALTER TABLE shop_session_stats
  ADD COLUMN viewed_at         timestamptz,
  ADD COLUMN carts_before_view timestamptz[] NOT NULL DEFAULT '{}',
  ADD COLUMN carted_at         timestamptz,
  ADD COLUMN last_purchase_at  timestamptz;

ALTER TABLE shop_engagement_day_rollup
  ADD COLUMN viewed_sessions bigint NOT NULL DEFAULT 0,
  ADD COLUMN carted_sessions bigint NOT NULL DEFAULT 0,
  ADD COLUMN bought_sessions bigint NOT NULL DEFAULT 0;

-- The sessions already folded, from their folded events, as the folder
-- computes them (a test holds the two together).
UPDATE shop_session_stats s
SET viewed_at = g.viewed_at,
    carts_before_view = ARRAY(SELECT x FROM unnest(g.carts) x
                              WHERE x IS NOT NULL
                                AND (g.viewed_at IS NULL OR x < g.viewed_at)
                              ORDER BY x)::timestamptz[],
    carted_at = (SELECT min(x) FROM unnest(g.carts) x WHERE x >= g.viewed_at),
    last_purchase_at = g.last_purchase_at
FROM (SELECT e.shop_id, e.session_id,
             min(e.occurred_at) FILTER (WHERE e.event_type = 1) AS viewed_at,
             array_agg(e.occurred_at) FILTER (WHERE e.event_type = 2) AS carts,
             max(e.occurred_at) FILTER (WHERE e.event_type = 3)
               AS last_purchase_at
      FROM events e
      WHERE e.session_id IS NOT NULL
        AND (e.append_xid IS NULL
             OR (e.append_xid < (SELECT watermark FROM rollup_watermark)
                 AND NOT EXISTS (SELECT 1 FROM rollup_pending p
                                 WHERE p.shop_id = e.shop_id
                                   AND e.append_xid >= p.xid_lo
                                   AND e.append_xid < p.xid_hi)))
      GROUP BY 1, 2) g
WHERE s.shop_id = g.shop_id AND s.session_id = g.session_id;

UPDATE shop_engagement_day_rollup r
SET viewed_sessions = d.viewed, carted_sessions = d.carted,
    bought_sessions = d.bought
FROM (SELECT shop_id, date_bin('1 day', started_at, 'epoch'::timestamptz) AS day,
             count(*) FILTER (WHERE viewed_at IS NOT NULL) AS viewed,
             count(*) FILTER (WHERE carted_at IS NOT NULL) AS carted,
             count(*) FILTER (WHERE last_purchase_at >= carted_at) AS bought
      FROM shop_session_stats GROUP BY 1, 2) d
WHERE r.shop_id = d.shop_id AND r.day = d.day;
