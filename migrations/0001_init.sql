-- Teams, API keys and roles. Secrets are never stored: only a keyed BLAKE2b hash.
CREATE TABLE teams (
  name                text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
  requests_per_minute integer CHECK (requests_per_minute > 0),
  tokens_per_minute   bigint CHECK (tokens_per_minute > 0),
  created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  id                  text PRIMARY KEY,
  name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
  team                text NOT NULL REFERENCES teams(name),
  role                text NOT NULL CHECK (role IN ('user', 'admin', 'auditor')),
  secret_hash         bytea NOT NULL,
  requests_per_minute integer CHECK (requests_per_minute > 0),
  tokens_per_minute   bigint CHECK (tokens_per_minute > 0),
  created_at          timestamptz NOT NULL DEFAULT now(),
  revoked_at          timestamptz
);
CREATE INDEX api_keys_team ON api_keys (team);
