-- Hourly rollups of events, kept by ingest and retention in the same transaction as the
-- events they count, so dashboard counts and the blast radius read a few hundred rows
-- per hour of history instead of every event. One row per (hour, kind, tool, agent,
-- recorded verdict); `agent` is '' for events without an agent name. `min_cost` and
-- `max_cost` are bounds: they widen as events arrive and are not narrowed when events
-- leave. `preflight rollups check` recomputes every row from the events and compares.
-- Keep in step with ../sqlite/0010_event_rollups.sql.

CREATE TABLE event_rollups (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    hour       BIGINT NOT NULL, -- start of the UTC hour, microseconds
    kind       TEXT NOT NULL,
    tool       TEXT NOT NULL,
    agent      TEXT NOT NULL,
    verdict    TEXT NOT NULL,
    events     BIGINT NOT NULL,
    cost_usd   DOUBLE PRECISION NOT NULL,
    uncosted   BIGINT NOT NULL,
    min_cost   DOUBLE PRECISION,
    max_cost   DOUBLE PRECISION,
    PRIMARY KEY (project_id, hour, kind, tool, agent, verdict)
);

ALTER TABLE event_rollups ENABLE ROW LEVEL SECURITY;
ALTER TABLE event_rollups FORCE ROW LEVEL SECURITY;
CREATE POLICY event_rollups_project_isolation ON event_rollups
    USING (project_id = current_setting('app.project_id', true))
    WITH CHECK (project_id = current_setting('app.project_id', true));

-- Existing events, project by project under each project's setting (row-level
-- security binds the migrating role too).
DO $$
DECLARE
    p TEXT;
BEGIN
    FOR p IN SELECT id FROM projects LOOP
        PERFORM set_config('app.project_id', p, true);
        INSERT INTO event_rollups (project_id, hour, kind, tool, agent, verdict, events,
                                   cost_usd, uncosted, min_cost, max_cost)
        SELECT project_id, (ts_micros / 3600000000) * 3600000000, kind, tool,
               COALESCE(agent_name, ''), verdict, COUNT(*), COALESCE(SUM(cost_usd), 0.0),
               SUM(CASE WHEN cost_usd IS NULL THEN 1 ELSE 0 END), MIN(cost_usd), MAX(cost_usd)
        FROM events WHERE project_id = p
        GROUP BY project_id, (ts_micros / 3600000000) * 3600000000, kind, tool,
                 COALESCE(agent_name, ''), verdict;
    END LOOP;
END
$$;
