-- Policy store (issue 5): named policies, immutable versions, activation history.
--
-- A saved document is a version that never changes: the text as the admin wrote it (YAML or
-- JSON), its canonical JSON (object keys sorted, compact) and the SHA-256 of that canonical
-- text. One version per policy is active (policies.active_version); every activation and
-- rollback is a row in policy_activations, which is append-only too. Activating ends with
-- NOTIFY warden_policies so every gateway sharing the database reloads.
--
-- The gateway connects as warden_gateway: it may read everything, add versions and
-- activations, and move the active pointer, but never alter or remove a version or a
-- history row. The triggers refuse that to every role, the owner included.

CREATE TABLE IF NOT EXISTS policies (
  name           text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_.-]{0,63}$'),
  created_at     timestamptz NOT NULL DEFAULT now(),
  active_version bigint,
  activated_at   timestamptz
);

CREATE TABLE IF NOT EXISTS policy_versions (
  name          text NOT NULL REFERENCES policies(name),
  version       bigint NOT NULL CHECK (version > 0),
  source        text NOT NULL,
  source_format text NOT NULL CHECK (source_format IN ('yaml', 'json')),
  canonical     text NOT NULL,
  content_hash  text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
  author        text NOT NULL CHECK (length(author) BETWEEN 1 AND 200),
  comment       text NOT NULL DEFAULT '' CHECK (length(comment) <= 2000),
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, version)
);

ALTER TABLE policies DROP CONSTRAINT IF EXISTS policies_active_version_fk;
ALTER TABLE policies ADD CONSTRAINT policies_active_version_fk
  FOREIGN KEY (name, active_version) REFERENCES policy_versions(name, version);

CREATE TABLE IF NOT EXISTS policy_activations (
  id               bigserial PRIMARY KEY,
  name             text NOT NULL REFERENCES policies(name),
  version          bigint NOT NULL,
  previous_version bigint,
  kind             text NOT NULL CHECK (kind IN ('activate', 'rollback')),
  actor            text NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
  activated_at     timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (name, version) REFERENCES policy_versions(name, version)
);
CREATE INDEX IF NOT EXISTS policy_activations_name_idx ON policy_activations (name, id);

CREATE OR REPLACE FUNCTION warden_refuse_policy_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are immutable (% refused)', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

DROP TRIGGER IF EXISTS policy_versions_immutable ON policy_versions;
CREATE TRIGGER policy_versions_immutable BEFORE UPDATE OR DELETE ON policy_versions
  FOR EACH ROW EXECUTE FUNCTION warden_refuse_policy_change();
DROP TRIGGER IF EXISTS policy_versions_no_truncate ON policy_versions;
CREATE TRIGGER policy_versions_no_truncate BEFORE TRUNCATE ON policy_versions
  FOR EACH STATEMENT EXECUTE FUNCTION warden_refuse_policy_change();
DROP TRIGGER IF EXISTS policy_activations_immutable ON policy_activations;
CREATE TRIGGER policy_activations_immutable BEFORE UPDATE OR DELETE ON policy_activations
  FOR EACH ROW EXECUTE FUNCTION warden_refuse_policy_change();
DROP TRIGGER IF EXISTS policy_activations_no_truncate ON policy_activations;
CREATE TRIGGER policy_activations_no_truncate BEFORE TRUNCATE ON policy_activations
  FOR EACH STATEMENT EXECUTE FUNCTION warden_refuse_policy_change();

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'warden_gateway') THEN
    CREATE ROLE warden_gateway LOGIN;
  END IF;
END
$$;

REVOKE ALL ON policies, policy_versions, policy_activations FROM PUBLIC;
REVOKE ALL ON policies, policy_versions, policy_activations FROM warden_gateway;
GRANT SELECT, INSERT ON policies, policy_versions, policy_activations TO warden_gateway;
GRANT UPDATE (active_version, activated_at) ON policies TO warden_gateway;
GRANT USAGE ON SEQUENCE policy_activations_id_seq TO warden_gateway;
