-- Sessions and how they went (rollups/engagement_schema.h): bounce rate,
-- session durations and pages per session, for sessions counted on the day
-- their first event happened and measured whole. Folded like the other
-- rollups, from committed events behind the watermark.

-- One row per session: a later fold extends it, or moves its start when an
-- event earlier than its first arrives late.
CREATE TABLE shop_session_stats (
  shop_id      text        NOT NULL,
  session_id   text        NOT NULL,
  started_at   timestamptz NOT NULL,
  last_at      timestamptz NOT NULL,
  page_views   bigint      NOT NULL,
  other_events bigint      NOT NULL,
  PRIMARY KEY (shop_id, session_id)
);
CREATE INDEX shop_session_stats_started
  ON shop_session_stats (shop_id, started_at);

-- Per shop and UTC day of the sessions' start. A day whose sessions all
-- moved to an earlier day keeps a row of zeros.
CREATE TABLE shop_engagement_day_rollup (
  shop_id         text        NOT NULL,
  day             timestamptz NOT NULL,
  sessions        bigint      NOT NULL,
  -- Exactly one page view and no other event.
  bounces         bigint      NOT NULL,
  -- Sum of last event time minus first event time.
  duration_micros bigint      NOT NULL,
  page_views      bigint      NOT NULL,
  PRIMARY KEY (shop_id, day)
);

-- The same sessions by duration bucket, for the median of many days.
CREATE TABLE shop_session_duration_buckets (
  shop_id  text        NOT NULL,
  day      timestamptz NOT NULL,
  bucket   smallint    NOT NULL,
  sessions bigint      NOT NULL,
  PRIMARY KEY (shop_id, day, bucket)
);

-- The events already folded, as the folder folds them (a test holds the
-- two together); later ones are the folder's.
INSERT INTO shop_session_stats
SELECT e.shop_id, e.session_id, min(e.occurred_at), max(e.occurred_at),
       count(*) FILTER (WHERE e.event_type = 1),
       count(*) FILTER (WHERE e.event_type <> 1)
FROM events e
WHERE e.session_id IS NOT NULL
  AND (e.append_xid IS NULL
       OR (e.append_xid < (SELECT watermark FROM rollup_watermark)
           AND NOT EXISTS (SELECT 1 FROM rollup_pending p
                           WHERE p.shop_id = e.shop_id
                             AND e.append_xid >= p.xid_lo
                             AND e.append_xid < p.xid_hi)))
GROUP BY 1, 2;

INSERT INTO shop_engagement_day_rollup
SELECT shop_id, date_bin('1 day', started_at, 'epoch'::timestamptz),
       count(*),
       count(*) FILTER (WHERE page_views = 1 AND other_events = 0),
       sum((extract(epoch FROM last_at - started_at) * 1000000)::bigint),
       sum(page_views)
FROM shop_session_stats GROUP BY 1, 2;

INSERT INTO shop_session_duration_buckets
SELECT shop_id, date_bin('1 day', started_at, 'epoch'::timestamptz),
       (CASE WHEN d <= 0 THEN 0 WHEN d < 1000000 THEN 1
        ELSE least(2 + floor(4 * log(2, d::numeric / 1000000)), 81)
        END)::smallint,
       count(*)
FROM (SELECT shop_id, started_at,
             (extract(epoch FROM last_at - started_at) * 1000000)::bigint
               AS d
      FROM shop_session_stats) s
GROUP BY 1, 2, 3;
