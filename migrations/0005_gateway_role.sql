-- The gateway's own role for everything it does at run time (migrations and operator
-- commands such as `warden audit prune` run as the owner). Keys and teams: read, create,
-- revoke a key, set a team's limits; nothing else. 0002 creates the role; audit and policy
-- grants are in 0002/0003.
REVOKE ALL ON teams, api_keys FROM warden_gateway;
GRANT SELECT, INSERT ON teams, api_keys TO warden_gateway;
GRANT UPDATE (revoked_at) ON api_keys TO warden_gateway;
GRANT UPDATE (requests_per_minute, tokens_per_minute) ON teams TO warden_gateway;

-- So `warden serve` connecting as warden_gateway can check that the schema is current.
GRANT SELECT ON schema_migrations TO warden_gateway;
