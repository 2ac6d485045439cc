-- Each session once per UTC day it was active in, so unique sessions over
-- whole days read one row per session and day instead of every raw event.
CREATE TABLE shop_session_days (
  shop_id    text        NOT NULL,
  day        timestamptz NOT NULL,
  session_id text        NOT NULL,
  PRIMARY KEY (shop_id, day, session_id)
);

INSERT INTO shop_session_days
SELECT DISTINCT shop_id, date_bin('1 day', occurred_at, 'epoch'::timestamptz),
       session_id
FROM events WHERE session_id IS NOT NULL;
