-- Preflight schema, PostgreSQL flavour. Times are BIGINT microseconds since the Unix
-- epoch; JSON is JSONB. Keep in step with ../sqlite/0001_init.sql.
--
-- Project isolation: every project-owned table carries project_id and has row-level
-- security ENABLED and FORCED (so the owning role, which runs these migrations and the
-- application, is bound too). Policies compare project_id with the transaction-local
-- setting app.project_id, which the store sets first thing in every project-scoped
-- transaction. The application also filters by project_id in every query: RLS is the
-- second wall, not the only one.

-- The directory of tenants. Not project-owned (the console operator lists all
-- projects, and authentication must find a project before one is known), so no RLS.
CREATE TABLE projects (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    created_at     BIGINT NOT NULL,
    retention_days BIGINT
);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    key_hash   TEXT NOT NULL UNIQUE,
    prefix     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX api_keys_by_project ON api_keys (project_id, created_at);

CREATE TABLE events (
    id                     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id             TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    trace_id               TEXT NOT NULL,
    span_id                TEXT NOT NULL,
    parent_span_id         TEXT,
    kind                   TEXT NOT NULL,
    name                   TEXT NOT NULL,
    tool                   TEXT NOT NULL,
    sequence               BIGINT NOT NULL,
    timestamp              TEXT NOT NULL,
    ts_micros              BIGINT NOT NULL,
    status                 TEXT NOT NULL,
    verdict                TEXT NOT NULL,
    duration_ms            DOUBLE PRECISION,
    model                  TEXT,
    input_tokens           BIGINT,
    output_tokens          BIGINT,
    cost_usd               DOUBLE PRECISION,
    agent_name             TEXT,
    session_id             TEXT,
    environment            TEXT,
    release_version        TEXT,
    end_user_id            TEXT,
    end_user_email         TEXT,
    approval_id            TEXT,
    originating_trace_id   TEXT,
    originating_span_id    TEXT,
    originating_agent_name TEXT,
    agent_card_uri         TEXT,
    payload                JSONB NOT NULL,
    policy_relevant        BOOLEAN NOT NULL,
    UNIQUE (project_id, trace_id, span_id)
);
CREATE INDEX events_scan ON events (project_id, ts_micros, id);
CREATE INDEX events_audit ON events (project_id, ts_micros, id) WHERE policy_relevant;
CREATE INDEX events_by_agent ON events (project_id, agent_name, trace_id);

CREATE TABLE traces (
    project_id   TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    trace_id     TEXT NOT NULL,
    start_micros BIGINT NOT NULL,
    end_micros   BIGINT NOT NULL,
    session_id   TEXT,
    event_count  BIGINT NOT NULL,
    cost_usd     DOUBLE PRECISION NOT NULL,
    allowed      BIGINT NOT NULL,
    blocked      BIGINT NOT NULL,
    held         BIGINT NOT NULL,
    redacted     BIGINT NOT NULL,
    errored      BIGINT NOT NULL,
    PRIMARY KEY (project_id, trace_id)
);
CREATE INDEX traces_recent ON traces (project_id, start_micros, trace_id);
CREATE INDEX traces_by_session ON traces (project_id, session_id, start_micros);
CREATE INDEX traces_by_end ON traces (project_id, end_micros);

CREATE TABLE datasets (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT,
    created_at  BIGINT NOT NULL,
    UNIQUE (project_id, name),
    UNIQUE (project_id, id)
);

CREATE TABLE dataset_items (
    project_id TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    trace_id   TEXT NOT NULL,
    added_at   BIGINT NOT NULL,
    PRIMARY KEY (dataset_id, trace_id),
    FOREIGN KEY (project_id, dataset_id) REFERENCES datasets (project_id, id) ON DELETE CASCADE
);
CREATE INDEX dataset_items_by_trace ON dataset_items (project_id, trace_id);

CREATE TABLE policy_versions (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    version    BIGINT NOT NULL,
    precedence TEXT NOT NULL,
    rules      JSONB NOT NULL,
    author     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    message    TEXT,
    PRIMARY KEY (project_id, version)
);

CREATE TABLE simulations (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    request    JSONB NOT NULL,
    summary    JSONB NOT NULL
);
CREATE INDEX simulations_by_project ON simulations (project_id, created_at);

CREATE TABLE approvals (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    action     TEXT NOT NULL,
    context    JSONB NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    reason     TEXT,
    decided_by TEXT,
    created_at BIGINT NOT NULL,
    decided_at BIGINT
);
CREATE INDEX approvals_by_project ON approvals (project_id, status, created_at);

-- Row-level security. `current_setting(name, true)` is NULL when the setting was never
-- made, so a transaction that forgot to set it sees nothing and can write nothing.
DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['api_keys', 'events', 'traces', 'datasets', 'dataset_items',
                             'policy_versions', 'simulations', 'approvals']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY %I ON %I
                 USING (project_id = current_setting(''app.project_id'', true))
                 WITH CHECK (project_id = current_setting(''app.project_id'', true))',
            t || '_project_isolation', t);
    END LOOP;
END
$$;

-- Authentication has to find a key's project before any project is known. Instead of
-- a SECURITY DEFINER function (which would need a second, RLS-exempt role that a
-- non-superuser cannot create), the authenticate transaction sets app.auth_lookup to
-- the SHA-256 hash of the presented key, and this read-only policy reveals exactly the
-- row with that hash: seeing a row requires already knowing its key's hash. It grants
-- no INSERT, UPDATE or DELETE, and no other table honours app.auth_lookup.
CREATE POLICY api_keys_auth_lookup ON api_keys FOR SELECT
    USING (key_hash = current_setting('app.auth_lookup', true));
