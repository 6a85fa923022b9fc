-- Replays of a dataset read its traces' events trace by trace. events_by_trace_agent
-- served that but is not covering, so each of a dataset's events cost a lookup in the
-- (payload-heavy) table: 44 ms for a 1,000-trace dataset among 1,000,000 events, 25 ms
-- with this index (BENCHMARKS.md). It keeps agent_name right after trace_id, so it
-- still answers "the agents of these traces" in order, and replaces the old index.
-- Costs ~90 MB more per million events. Keep in step with ../postgres/0004_events_by_trace_scan.sql.
CREATE INDEX events_by_trace_scan ON events (
    project_id, trace_id, agent_name, kind, ts_micros, id, tool, cost_usd, verdict, span_id, timestamp
);
DROP INDEX events_by_trace_agent;
