-- Key scopes: what an API key may call. `agent` is what the JamJet SDKs need (send
-- events, read the rules, ask for approvals and poll its own); `read` is an operator's
-- script that reads and simulates; `admin` is all of the project's /v1. Keys made
-- before scopes existed were handed to SDKs, so they become agent keys. Keep in step
-- with ../sqlite/0008_key_scopes.sql.

ALTER TABLE api_keys ADD COLUMN scope TEXT NOT NULL DEFAULT 'agent'
    CHECK (scope IN ('agent', 'read', 'admin'));

-- Who asked for an approval (`key:<prefix>` or an account's email): an agent key may
-- poll only what it asked for. Approvals made before this column stay unowned.
ALTER TABLE approvals ADD COLUMN requested_by TEXT;
