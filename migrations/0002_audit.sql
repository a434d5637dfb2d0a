-- Audit records (issue 6): append-only, hash-chained, encrypted payloads.
-- The gateway connects as role warden_gateway, which may INSERT and SELECT but never
-- UPDATE, DELETE or TRUNCATE audit rows. Pruning runs as the owner (the migrating role).

CREATE TABLE IF NOT EXISTS audit_records (
  seq            bigint PRIMARY KEY,
  record_id      text NOT NULL UNIQUE,
  time_us        bigint NOT NULL,
  recorded_at    timestamptz NOT NULL,
  kind           text NOT NULL,
  action         text NOT NULL,
  key_id         text NOT NULL,
  team           text NOT NULL,
  role           text NOT NULL,
  route          text NOT NULL,
  model          text NOT NULL,
  policy_name    text NOT NULL,
  policy_version bigint NOT NULL,
  decision       text NOT NULL,
  entity_types   text[] NOT NULL,
  http_status    bigint NOT NULL,
  header         text NOT NULL,   -- canonical header JSON: hashed, and the AEAD associated data
  nonce          bytea NOT NULL,
  ciphertext     bytea NOT NULL,
  sealed_keys    text NOT NULL,   -- JSON list of {kid, sealed}
  prev_hash      bytea NOT NULL,
  hash           bytea NOT NULL
);

-- Ciphertext does not compress: store it out of line without trying.
ALTER TABLE audit_records ALTER COLUMN ciphertext SET STORAGE EXTERNAL;

CREATE INDEX IF NOT EXISTS audit_records_time_idx ON audit_records (recorded_at);
CREATE INDEX IF NOT EXISTS audit_records_key_idx ON audit_records (key_id, recorded_at);
CREATE INDEX IF NOT EXISTS audit_records_team_idx ON audit_records (team, recorded_at);
CREATE INDEX IF NOT EXISTS audit_records_decision_idx ON audit_records (decision, recorded_at);
CREATE INDEX IF NOT EXISTS audit_records_policy_idx ON audit_records (policy_name, policy_version);
CREATE INDEX IF NOT EXISTS audit_records_entity_idx ON audit_records USING gin (entity_types);

CREATE TABLE IF NOT EXISTS audit_checkpoints (
  seq            bigint NOT NULL,
  kind           text NOT NULL,   -- periodic | shutdown | prune
  head_hash      bytea NOT NULL,
  time_us        bigint NOT NULL,
  signing_key_id text NOT NULL,
  signature      bytea NOT NULL,
  PRIMARY KEY (seq, kind)
);

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'warden_gateway') THEN
    CREATE ROLE warden_gateway LOGIN;
  END IF;
END
$$;

REVOKE ALL ON audit_records, audit_checkpoints FROM PUBLIC;
REVOKE ALL ON audit_records, audit_checkpoints FROM warden_gateway;
GRANT SELECT, INSERT ON audit_records, audit_checkpoints TO warden_gateway;
