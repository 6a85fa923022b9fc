-- Replays read only a few columns of many events. Two covering indexes let PostgreSQL
-- answer them from the index alone (EXPLAIN ANALYZE at 1,000,000 events, BENCHMARKS.md):
-- * events_scan in time order, as SQLite's has been since 0001: a whole-project
--   replay becomes one ordered index-only scan, 306 ms, instead of a parallel
--   sequential scan and a sort of 600,000 rows (740 ms, spilling to disk);
-- * events_by_trace_scan for datasets, read trace by trace: index-only, 33 ms for a
--   1,000-trace dataset; it replaces events_by_trace_agent (same leading columns).
-- Keep in step with ../sqlite/0004_events_by_trace_scan.sql.
DROP INDEX events_scan;
CREATE INDEX events_scan ON events (project_id, ts_micros, id)
    INCLUDE (kind, tool, agent_name, cost_usd, verdict, trace_id, span_id, timestamp);
CREATE INDEX events_by_trace_scan ON events (project_id, trace_id, agent_name)
    INCLUDE (kind, ts_micros, id, tool, cost_usd, verdict, span_id, timestamp);
DROP INDEX events_by_trace_agent;
