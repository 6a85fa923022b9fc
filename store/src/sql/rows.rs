//! Result rows to model types, shared by both backends.

use std::str::FromStr;

use policy::Verdict;

use super::RowGet;
use crate::{
    ApiKeyInfo, Approval, Dataset, KeyScope, PolicyVersion, Project, Simulation, StoreError,
    StoredEvent, Timestamp, TraceSummary, VerdictCounts,
};

pub(crate) fn verdict(text: &str) -> Result<Verdict, StoreError> {
    Verdict::from_str(text)
        .map_err(|_| StoreError::Database(format!("unknown verdict {text:?} stored")))
}

pub(crate) const PROJECT_COLS: &str = "id, name, created_at, retention_days";

pub(crate) fn project(r: &impl RowGet) -> Result<Project, StoreError> {
    Ok(Project {
        id: r.text("id")?,
        name: r.text("name")?,
        created_at: Timestamp(r.int("created_at")?),
        retention_days: r.opt_int("retention_days")?,
    })
}

pub(crate) const KEY_COLS: &str = "id, project_id, prefix, scope, created_at, revoked_at";

/// The column's CHECK allows only the three words; anything else is a corrupt row.
pub(crate) fn key_scope(text: &str) -> Result<KeyScope, StoreError> {
    KeyScope::parse(text)
        .ok_or_else(|| StoreError::Database(format!("unknown key scope {text:?} stored")))
}

pub(crate) fn key_info(r: &impl RowGet) -> Result<ApiKeyInfo, StoreError> {
    Ok(ApiKeyInfo {
        id: r.text("id")?,
        project_id: r.text("project_id")?,
        prefix: r.text("prefix")?,
        scope: key_scope(&r.text("scope")?)?,
        created_at: Timestamp(r.int("created_at")?),
        revoked_at: r.opt_int("revoked_at")?.map(Timestamp),
    })
}

/// The event columns, in `StoredEvent` order.
pub(crate) const EVENT_COLS: &str =
    "trace_id, span_id, parent_span_id, kind, name, tool, sequence, \
     timestamp, ts_micros, status, verdict, duration_ms, model, input_tokens, output_tokens, \
     cost_usd, agent_name, session_id, environment, release_version, end_user_id, end_user_email, \
     approval_id, originating_trace_id, originating_span_id, originating_agent_name, \
     agent_card_uri, payload";

pub(crate) fn event(r: &impl RowGet) -> Result<StoredEvent, StoreError> {
    Ok(StoredEvent {
        trace_id: r.text("trace_id")?,
        span_id: r.text("span_id")?,
        parent_span_id: r.opt_text("parent_span_id")?,
        kind: r.text("kind")?,
        name: r.text("name")?,
        tool: r.text("tool")?,
        sequence: r.int("sequence")?,
        timestamp: r.text("timestamp")?,
        ts_micros: r.int("ts_micros")?,
        status: r.text("status")?,
        verdict: verdict(&r.text("verdict")?)?,
        duration_ms: r.opt_real("duration_ms")?,
        model: r.opt_text("model")?,
        input_tokens: r.opt_int("input_tokens")?,
        output_tokens: r.opt_int("output_tokens")?,
        cost_usd: r.opt_real("cost_usd")?,
        agent_name: r.opt_text("agent_name")?,
        session_id: r.opt_text("session_id")?,
        environment: r.opt_text("environment")?,
        release_version: r.opt_text("release_version")?,
        end_user_id: r.opt_text("end_user_id")?,
        end_user_email: r.opt_text("end_user_email")?,
        approval_id: r.opt_text("approval_id")?,
        originating_trace_id: r.opt_text("originating_trace_id")?,
        originating_span_id: r.opt_text("originating_span_id")?,
        originating_agent_name: r.opt_text("originating_agent_name")?,
        agent_card_uri: r.opt_text("agent_card_uri")?,
        payload: r.json("payload")?,
    })
}

/// Verdict count columns, named after the verdicts.
pub(crate) fn verdict_counts(r: &impl RowGet) -> Result<VerdictCounts, StoreError> {
    Ok(VerdictCounts {
        allowed: r.int("allowed")?,
        blocked: r.int("blocked")?,
        held: r.int("held")?,
        redacted: r.int("redacted")?,
        errored: r.int("errored")?,
    })
}

/// Columns of `traces t`; agents and tools are filled in afterwards.
pub(crate) const SUMMARY_COLS: &str = "t.trace_id, t.start_micros, t.end_micros, t.session_id, \
     t.event_count, t.cost_usd, t.allowed, t.blocked, t.held, t.redacted, t.errored";

pub(crate) fn summary(r: &impl RowGet) -> Result<TraceSummary, StoreError> {
    let start_micros = r.int("start_micros")?;
    let end_micros = r.int("end_micros")?;
    Ok(TraceSummary {
        trace_id: r.text("trace_id")?,
        start_micros,
        end_micros,
        duration_ms: end_micros.saturating_sub(start_micros) as f64 / 1000.0,
        agents: Vec::new(),
        session_id: r.opt_text("session_id")?,
        event_count: r.int("event_count")?,
        cost_usd: r.real("cost_usd")?,
        tools: Vec::new(),
        verdicts: verdict_counts(r)?,
    })
}

/// Columns of `datasets d` plus the item count.
pub(crate) const DATASET_COLS: &str = "d.id, d.project_id, d.name, d.description, d.created_at, d.version, \
     (SELECT COUNT(*) FROM dataset_items i WHERE i.project_id = d.project_id AND i.dataset_id = d.id) AS item_count";

pub(crate) fn dataset(r: &impl RowGet) -> Result<Dataset, StoreError> {
    Ok(Dataset {
        id: r.text("id")?,
        project_id: r.text("project_id")?,
        name: r.text("name")?,
        description: r.opt_text("description")?,
        item_count: r.int("item_count")?,
        created_at: Timestamp(r.int("created_at")?),
        version: r.int("version")?,
    })
}

pub(crate) const POLICY_COLS: &str = "version, precedence, rules, author, created_at, message";

pub(crate) fn policy_version(r: &impl RowGet) -> Result<PolicyVersion, StoreError> {
    Ok(PolicyVersion {
        version: r.int("version")?,
        precedence: r.text("precedence")?,
        rules: r.json("rules")?,
        author: r.text("author")?,
        created_at: Timestamp(r.int("created_at")?),
        message: r.opt_text("message")?,
    })
}

pub(crate) const SIMULATION_COLS: &str = "id, project_id, created_at, request, summary";

pub(crate) fn simulation(r: &impl RowGet) -> Result<Simulation, StoreError> {
    Ok(Simulation {
        id: r.text("id")?,
        project_id: r.text("project_id")?,
        created_at: Timestamp(r.int("created_at")?),
        request: r.json("request")?,
        summary: r.json("summary")?,
    })
}

pub(crate) const APPROVAL_COLS: &str =
    "id, project_id, action, context, status, reason, requested_by, decided_by, created_at, decided_at";

pub(crate) fn approval(r: &impl RowGet) -> Result<Approval, StoreError> {
    Ok(Approval {
        id: r.text("id")?,
        project_id: r.text("project_id")?,
        action: r.text("action")?,
        context: r.json("context")?,
        status: r.text("status")?,
        reason: r.opt_text("reason")?,
        requested_by: r.opt_text("requested_by")?,
        decided_by: r.opt_text("decided_by")?,
        created_at: Timestamp(r.int("created_at")?),
        decided_at: r.opt_int("decided_at")?.map(Timestamp),
    })
}
