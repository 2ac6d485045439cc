-- Where an event happened, and custom events: every column optional, so
-- the case study's events keep their shape. Custom events (event_type 4)
-- carry a name and properties and count in no metric of the case study.
-- (0004 made the partitioned table beside the old one, whose constraint
-- kept the plain name.)
ALTER TABLE events DROP CONSTRAINT events_event_type_check1;
ALTER TABLE events ADD CONSTRAINT events_event_type_check
  CHECK (event_type BETWEEN 1 AND 4);
ALTER TABLE events
  ADD COLUMN page          text,
  ADD COLUMN referrer_host text,
  ADD COLUMN utm_source    text,
  ADD COLUMN utm_medium    text,
  ADD COLUMN utm_campaign  text,
  ADD COLUMN device_class  text,
  ADD COLUMN browser       text,
  ADD COLUMN os            text,
  ADD COLUMN event_name    text,
  ADD COLUMN properties    jsonb;
