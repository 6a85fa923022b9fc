-- Datasets as fixtures: versions of a dataset's membership, and expected verdicts.
--
-- Every change of which traces a dataset pins (created, pinned, unpinned, imported)
-- makes a new version, with who made it and when. `dataset_membership` keeps every
-- trace's time in the dataset as a range of versions, so the members of any version
-- can be read back (a simulation pins the version it ran on and can run on an older
-- one); `dataset_items` stays the current membership. Keep in step with
-- ../postgres/0009_dataset_versions.sql.

ALTER TABLE datasets ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

CREATE TABLE dataset_versions (
    project_id TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    version    INTEGER NOT NULL,
    change     TEXT NOT NULL CHECK (change IN ('created', 'pinned', 'unpinned', 'imported')),
    author     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    added      INTEGER NOT NULL,
    removed    INTEGER NOT NULL,
    -- Members once this version was made.
    traces     INTEGER NOT NULL,
    PRIMARY KEY (dataset_id, version),
    FOREIGN KEY (project_id, dataset_id) REFERENCES datasets (project_id, id) ON DELETE CASCADE
);

-- A trace is a member of versions `added_version` up to, not including,
-- `removed_version` (NULL: still a member).
CREATE TABLE dataset_membership (
    project_id      TEXT NOT NULL,
    dataset_id      TEXT NOT NULL,
    trace_id        TEXT NOT NULL,
    added_version   INTEGER NOT NULL,
    removed_version INTEGER,
    PRIMARY KEY (dataset_id, trace_id, added_version),
    FOREIGN KEY (project_id, dataset_id) REFERENCES datasets (project_id, id) ON DELETE CASCADE
);

-- What a pinned trace must keep doing: its events whose tool or model name matches
-- `pattern` (an fnmatch glob) must get `verdict`, or, for 'recorded', the verdict they
-- were recorded with.
CREATE TABLE dataset_expectations (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    trace_id   TEXT NOT NULL,
    pattern    TEXT NOT NULL,
    verdict    TEXT NOT NULL CHECK (verdict IN ('allowed', 'blocked', 'held', 'redacted',
               'errored', 'recorded')),
    author     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (dataset_id, trace_id, pattern),
    FOREIGN KEY (project_id, dataset_id) REFERENCES datasets (project_id, id) ON DELETE CASCADE
);

-- Datasets made before versions: their current members are version 1.
INSERT INTO dataset_versions (project_id, dataset_id, version, change, author, created_at,
                              added, removed, traces)
SELECT d.project_id, d.id, 1, 'created', 'migration', d.created_at,
       (SELECT COUNT(*) FROM dataset_items i WHERE i.dataset_id = d.id), 0,
       (SELECT COUNT(*) FROM dataset_items i WHERE i.dataset_id = d.id)
FROM datasets d;
INSERT INTO dataset_membership (project_id, dataset_id, trace_id, added_version)
SELECT project_id, dataset_id, trace_id, 1 FROM dataset_items;

-- The project_changes kinds gain expectation changes; SQLite cannot alter a CHECK, so
-- the table is rebuilt.
CREATE TABLE project_changes_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    actor      TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('dataset_created', 'dataset_renamed',
               'dataset_deleted', 'traces_pinned', 'trace_unpinned', 'policy_saved',
               'approval_requested', 'approval_decided', 'key_created', 'key_revoked',
               'project_renamed', 'retention_set', 'expectation_set',
               'expectation_removed')),
    subject    TEXT NOT NULL,
    detail     TEXT,
    changed_at INTEGER NOT NULL
);
INSERT INTO project_changes_new SELECT id, project_id, actor, kind, subject, detail, changed_at
FROM project_changes;
DROP TABLE project_changes;
ALTER TABLE project_changes_new RENAME TO project_changes;
CREATE INDEX project_changes_newest ON project_changes (project_id, id);

-- Calls with an approval: a simulation finds the decided ones in its scope (approvals
-- as reviewers' labels) through their approvals, without scanning the scope twice.
CREATE INDEX events_by_approval ON events (project_id, approval_id) WHERE approval_id IS NOT NULL;
