-- What an operator sets per shop (shopstream-admin shops set).
CREATE TABLE shop_settings (
  shop_id            text PRIMARY KEY,
  -- Raw events older than this many days are deleted (whole UTC days);
  -- rollups stay. NULL: only the processor's --raw_retention_days applies.
  raw_retention_days integer CHECK (raw_retention_days > 0),
  -- The shop's raw events before this are gone; answers that would need
  -- them are refused, as before event_retention.horizon.
  raw_horizon        timestamptz
);
