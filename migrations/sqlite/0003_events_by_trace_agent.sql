-- Trace summaries list each trace's agents. Without this index SQLite's planner
-- answered that from events_by_agent (project_id, agent_name, trace_id), scanning
-- every event of the project for a single trace: 840 ms per trace page at 940,000
-- events (bench/load/run). Keep in step with ../postgres/0003_events_by_trace_agent.sql.
CREATE INDEX events_by_trace_agent ON events (project_id, trace_id, agent_name);
