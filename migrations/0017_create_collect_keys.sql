-- Collect keys: published in a storefront's page, so they may only write,
-- and only from the origins listed with them (scheme://host[:port]).
ALTER TABLE api_keys DROP CONSTRAINT api_keys_scope_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scope_check
  CHECK (scope IN ('write', 'read', 'collect'));
ALTER TABLE api_keys ADD COLUMN allowed_origins text[] NOT NULL DEFAULT '{}';
ALTER TABLE api_keys ADD CONSTRAINT api_keys_collect_origins_check
  CHECK (scope <> 'collect' OR cardinality(allowed_origins) > 0);
