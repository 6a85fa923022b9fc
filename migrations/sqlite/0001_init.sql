-- Preflight schema, SQLite flavour. Times are INTEGER microseconds since the Unix
-- epoch; JSON is stored as TEXT. Keep in step with ../postgres/0001_init.sql.

-- The directory of tenants. Not project-owned: the console operator lists it.
CREATE TABLE projects (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    created_at     INTEGER NOT NULL,
    retention_days INTEGER
);

-- Only a SHA-256 hash of each key is kept; `prefix` lets people recognise a key.
CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    key_hash   TEXT NOT NULL UNIQUE,
    prefix     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX api_keys_by_project ON api_keys (project_id, created_at);

-- One row per span; a re-sent span updates its row in place.
CREATE TABLE events (
    id                     INTEGER PRIMARY KEY, -- insertion order: cursor tie-breaker
    project_id             TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    trace_id               TEXT NOT NULL,
    span_id                TEXT NOT NULL,
    parent_span_id         TEXT,
    kind                   TEXT NOT NULL,
    name                   TEXT NOT NULL,
    tool                   TEXT NOT NULL,
    sequence               INTEGER NOT NULL,
    timestamp              TEXT NOT NULL,
    ts_micros              INTEGER NOT NULL,
    status                 TEXT NOT NULL,
    verdict                TEXT NOT NULL,
    duration_ms            REAL,
    model                  TEXT,
    input_tokens           INTEGER,
    output_tokens          INTEGER,
    cost_usd               REAL,
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
    payload                TEXT NOT NULL,
    -- Derived at ingest: belongs in the audit log (see the crate docs).
    policy_relevant        INTEGER NOT NULL,
    UNIQUE (project_id, trace_id, span_id)
);
-- Replay scans read only these columns, in time order: covering, so a million-row
-- scan never touches the (payload-heavy) table rows.
CREATE INDEX events_scan ON events (
    project_id, ts_micros, id, kind, tool, agent_name, cost_usd, verdict, trace_id, span_id, timestamp
);
CREATE INDEX events_audit ON events (project_id, ts_micros, id) WHERE policy_relevant;
CREATE INDEX events_by_agent ON events (project_id, agent_name, trace_id);

-- Per-trace aggregates, recomputed for the traces each ingest batch touches, so
-- listing traces never groups the whole events table.
CREATE TABLE traces (
    project_id   TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    trace_id     TEXT NOT NULL,
    start_micros INTEGER NOT NULL,
    end_micros   INTEGER NOT NULL,
    session_id   TEXT,
    event_count  INTEGER NOT NULL,
    cost_usd     REAL NOT NULL,
    allowed      INTEGER NOT NULL,
    blocked      INTEGER NOT NULL,
    held         INTEGER NOT NULL,
    redacted     INTEGER NOT NULL,
    errored      INTEGER NOT NULL,
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
    created_at  INTEGER NOT NULL,
    UNIQUE (project_id, name),
    UNIQUE (project_id, id)
);

-- Pins a trace by id; no foreign key to events, which a dataset never deletes.
-- The composite key keeps an item in its dataset's project.
CREATE TABLE dataset_items (
    project_id TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    trace_id   TEXT NOT NULL,
    added_at   INTEGER NOT NULL,
    PRIMARY KEY (dataset_id, trace_id),
    FOREIGN KEY (project_id, dataset_id) REFERENCES datasets (project_id, id) ON DELETE CASCADE
);
CREATE INDEX dataset_items_by_trace ON dataset_items (project_id, trace_id);

CREATE TABLE policy_versions (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    precedence TEXT NOT NULL,
    rules      TEXT NOT NULL,
    author     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    message    TEXT,
    PRIMARY KEY (project_id, version)
);

CREATE TABLE simulations (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    request    TEXT NOT NULL,
    summary    TEXT NOT NULL
);
CREATE INDEX simulations_by_project ON simulations (project_id, created_at);

CREATE TABLE approvals (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    action     TEXT NOT NULL,
    context    TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    reason     TEXT,
    decided_by TEXT,
    created_at INTEGER NOT NULL,
    decided_at INTEGER
);
CREATE INDEX approvals_by_project ON approvals (project_id, status, created_at);
