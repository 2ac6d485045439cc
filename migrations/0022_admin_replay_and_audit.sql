-- Admin keys: everything a read key reads, plus the shop's AdminService.
ALTER TABLE api_keys DROP CONSTRAINT api_keys_scope_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scope_check
  CHECK (scope IN ('write', 'read', 'collect', 'admin'));

-- A dead letter stays after it is replayed, marked, so a second replay is
-- refused and the list says who stored it again.
ALTER TABLE dead_letter_events ADD COLUMN replayed_at timestamptz;
ALTER TABLE dead_letter_events ADD COLUMN replayed_by text;
-- Admin lists a shop's dead letters newest first. shop_id is stored
-- escaped (absl::CEscape), as the processor writes it.
CREATE INDEX dead_letter_events_shop_id ON dead_letter_events (shop_id, id);

-- What admin keys did: replays, key creations and revocations, refused
-- ones too.
CREATE TABLE admin_audit (
  id      bigserial   PRIMARY KEY,
  at      timestamptz NOT NULL DEFAULT now(),
  shop_id text        NOT NULL,
  actor   text        NOT NULL,  -- key id of the caller
  action  text        NOT NULL,
  target  text        NOT NULL,
  outcome text        NOT NULL   -- 'ok' or the refusal's message
);
CREATE INDEX admin_audit_shop_id ON admin_audit (shop_id, id);
