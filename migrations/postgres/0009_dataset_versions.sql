-- Datasets as fixtures: versions of a dataset's membership, and expected verdicts.
--
-- Every change of which traces a dataset pins (created, pinned, unpinned, imported)
-- makes a new version, with who made it and when. `dataset_membership` keeps every
-- trace's time in the dataset as a range of versions, so the members of any version
-- can be read back (a simulation pins the version it ran on and can run on an older
-- one); `dataset_items` stays the current membership. Keep in step with
-- ../sqlite/0009_dataset_versions.sql.

ALTER TABLE datasets ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

CREATE TABLE dataset_versions (
    project_id TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    version    BIGINT NOT NULL,
    change     TEXT NOT NULL CHECK (change IN ('created', 'pinned', 'unpinned', 'imported')),
    author     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    added      BIGINT NOT NULL,
    removed    BIGINT NOT NULL,
    -- Members once this version was made.
    traces     BIGINT NOT NULL,
    PRIMARY KEY (dataset_id, version),
    FOREIGN KEY (project_id, dataset_id) REFERENCES datasets (project_id, id) ON DELETE CASCADE
);

-- A trace is a member of versions `added_version` up to, not including,
-- `removed_version` (NULL: still a member).
CREATE TABLE dataset_membership (
    project_id      TEXT NOT NULL,
    dataset_id      TEXT NOT NULL,
    trace_id        TEXT NOT NULL,
    added_version   BIGINT NOT NULL,
    removed_version BIGINT,
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
    created_at BIGINT NOT NULL,
    UNIQUE (dataset_id, trace_id, pattern),
    FOREIGN KEY (project_id, dataset_id) REFERENCES datasets (project_id, id) ON DELETE CASCADE
);

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['dataset_versions', 'dataset_membership', 'dataset_expectations']
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

-- Datasets made before versions: their current members are version 1. Migrations run
-- as the application's role, which row-level security binds too (FORCE), so the rows
-- are copied project by project under each project's setting.
DO $$
DECLARE
    p TEXT;
BEGIN
    FOR p IN SELECT id FROM projects LOOP
        PERFORM set_config('app.project_id', p, true);
        INSERT INTO dataset_versions (project_id, dataset_id, version, change, author,
                                      created_at, added, removed, traces)
        SELECT d.project_id, d.id, 1, 'created', 'migration', d.created_at,
               (SELECT COUNT(*) FROM dataset_items i WHERE i.dataset_id = d.id), 0,
               (SELECT COUNT(*) FROM dataset_items i WHERE i.dataset_id = d.id)
        FROM datasets d WHERE d.project_id = p;
        INSERT INTO dataset_membership (project_id, dataset_id, trace_id, added_version)
        SELECT project_id, dataset_id, trace_id, 1 FROM dataset_items WHERE project_id = p;
    END LOOP;
    PERFORM set_config('app.project_id', '', true);
END
$$;

ALTER TABLE project_changes DROP CONSTRAINT IF EXISTS project_changes_kind_check;
ALTER TABLE project_changes ADD CONSTRAINT project_changes_kind_check CHECK (kind IN (
    'dataset_created', 'dataset_renamed', 'dataset_deleted', 'traces_pinned',
    'trace_unpinned', 'policy_saved', 'approval_requested', 'approval_decided',
    'key_created', 'key_revoked', 'project_renamed', 'retention_set', 'expectation_set',
    'expectation_removed'));

-- Calls with an approval: a simulation finds the decided ones in its scope (approvals
-- as reviewers' labels) through their approvals, without scanning the scope twice.
CREATE INDEX events_by_approval ON events (project_id, approval_id) WHERE approval_id IS NOT NULL;
