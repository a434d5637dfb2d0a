-- One audit hash chain per writer (per gateway process), so that several gateways can
-- share one database: records and checkpoints belong to a named chain, and sequence numbers
-- count within a chain. Rows written before this migration form chain 'main' and keep
-- verifying (their headers carry no chain: the verifier reads them as chain 'main').
-- Grants are unchanged: warden_gateway may INSERT and SELECT audit rows, nothing more.

ALTER TABLE audit_records ADD COLUMN IF NOT EXISTS chain text NOT NULL DEFAULT 'main';
ALTER TABLE audit_checkpoints ADD COLUMN IF NOT EXISTS chain text NOT NULL DEFAULT 'main';

ALTER TABLE audit_records DROP CONSTRAINT IF EXISTS audit_records_pkey;
ALTER TABLE audit_records ADD CONSTRAINT audit_records_pkey PRIMARY KEY (chain, seq);
ALTER TABLE audit_checkpoints DROP CONSTRAINT IF EXISTS audit_checkpoints_pkey;
ALTER TABLE audit_checkpoints ADD CONSTRAINT audit_checkpoints_pkey PRIMARY KEY (chain, seq, kind);

-- Reviewers page through records in (time_us, chain, seq) order, a total order over all
-- chains; the filtered searches use the same order behind their filter column.
DROP INDEX IF EXISTS audit_records_key_idx;
DROP INDEX IF EXISTS audit_records_team_idx;
DROP INDEX IF EXISTS audit_records_decision_idx;
CREATE INDEX IF NOT EXISTS audit_records_order_idx ON audit_records (time_us, chain, seq);
CREATE INDEX IF NOT EXISTS audit_records_key_time_idx ON audit_records (key_id, time_us, chain, seq);
CREATE INDEX IF NOT EXISTS audit_records_team_time_idx ON audit_records (team, time_us, chain, seq);
CREATE INDEX IF NOT EXISTS audit_records_decision_time_idx ON audit_records (decision, time_us, chain, seq);
