-- Key scopes, and who changed what.
--
-- What an API key may call: `agent` is what the JamJet SDKs need (send events, read the
-- rules, ask for approvals and poll its own); `read` is an operator's script that reads
-- and simulates; `admin` is all of the project's /v1. Keys made before scopes existed
-- were handed to SDKs, so they become agent keys. Keep in step with
-- ../sqlite/0008_key_scopes.sql.

ALTER TABLE api_keys ADD COLUMN scope TEXT NOT NULL DEFAULT 'agent'
    CHECK (scope IN ('agent', 'read', 'admin'));

-- Who asked for an approval (`key:<prefix>` or an account's email): an agent key may
-- poll only what it asked for. Approvals made before this column stay unowned.
ALTER TABLE approvals ADD COLUMN requested_by TEXT;

-- Every change to what governs a project, with who made it (`key:<prefix>` or an
-- account's email): datasets and their traces, policy saves (restores included), approval
-- requests and decisions, keys, the project's name and retention. Shown on the audit
-- page and at GET /v1/audit/changes.
CREATE TABLE project_changes (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    actor      TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('dataset_created', 'dataset_renamed',
               'dataset_deleted', 'traces_pinned', 'trace_unpinned', 'policy_saved',
               'approval_requested', 'approval_decided', 'key_created', 'key_revoked',
               'project_renamed', 'retention_set')),
    -- What was changed, by id or name (a dataset, a version, an approval, a key prefix).
    subject    TEXT NOT NULL,
    -- A short description of the change (a new name, a decision, a count).
    detail     TEXT,
    changed_at BIGINT NOT NULL
);
CREATE INDEX project_changes_newest ON project_changes (project_id, id);

ALTER TABLE project_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE project_changes FORCE ROW LEVEL SECURITY;
CREATE POLICY project_changes_project_isolation ON project_changes
    USING (project_id = current_setting('app.project_id', true))
    WITH CHECK (project_id = current_setting('app.project_id', true));
