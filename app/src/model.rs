//! What the server functions send to the pages. Plain serde types: the browser bundle
//! never links the store (or SQL), so rows are mirrored here and converted on the
//! server (`From` impls under `ssr`).
use policy::{SimulationSummary, Verdict};
use serde::{Deserialize, Serialize};

/// The project a page is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectRef {
    pub id: String,
    pub name: String,
}

/// A page's data, with the project it was resolved for and the server's clock (so
/// relative times render identically on the server and in the browser).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scoped<T> {
    pub project: ProjectRef,
    pub now_micros: i64,
    /// `None`: the thing asked for does not exist in this project.
    pub data: Option<T>,
}

/// How many events had each verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub allowed: i64,
    pub blocked: i64,
    pub held: i64,
    pub redacted: i64,
    pub errored: i64,
}

impl Counts {
    pub fn get(&self, verdict: Verdict) -> i64 {
        match verdict {
            Verdict::Allowed => self.allowed,
            Verdict::Blocked => self.blocked,
            Verdict::Held => self.held,
            Verdict::Redacted => self.redacted,
            Verdict::Errored => self.errored,
        }
    }

    pub fn add(&mut self, verdict: Verdict, n: i64) {
        match verdict {
            Verdict::Allowed => self.allowed += n,
            Verdict::Blocked => self.blocked += n,
            Verdict::Held => self.held += n,
            Verdict::Redacted => self.redacted += n,
            Verdict::Errored => self.errored += n,
        }
    }

    pub fn total(&self) -> i64 {
        Verdict::ALL.iter().map(|v| self.get(*v)).sum()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceRow {
    pub trace_id: String,
    pub start_micros: i64,
    pub duration_ms: f64,
    pub agents: Vec<String>,
    pub session_id: Option<String>,
    pub event_count: i64,
    pub cost_usd: f64,
    pub tools: Vec<String>,
    pub verdicts: Counts,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TraceQuery {
    pub agent: Option<String>,
    pub verdict: Option<String>,
    pub session: Option<String>,
    pub tool: Option<String>,
    /// `1h`, `24h`, `7d`, `30d`, or empty for all time.
    pub range: Option<String>,
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TracesPage {
    pub traces: Vec<TraceRow>,
    pub next_cursor: Option<String>,
    pub datasets: Vec<DatasetRef>,
    /// The filter could not be applied (e.g. an unknown verdict); explained to the user.
    pub filter_error: Option<String>,
    /// This server's base URL, for the empty state's SDK snippet.
    pub server_url: String,
}

/// One span of a trace, without its payload (fetched for the selected span only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    pub span_id: String,
    pub parent_span_id: Option<String>,
    pub kind: String,
    pub name: String,
    pub tool: String,
    pub ts_micros: i64,
    pub duration_ms: Option<f64>,
    pub status: String,
    pub verdict: Verdict,
    pub agent: Option<String>,
    pub model: Option<String>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub cost_usd: Option<f64>,
    /// For `policy_decision` spans: the tool the decision was about (`payload.tool_name`).
    pub evaluates: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceDetail {
    pub summary: TraceRow,
    pub events: Vec<EventRow>,
    pub datasets: Vec<DatasetRef>,
}

/// The selected span in full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpanDetail {
    pub span_id: String,
    pub kind: String,
    pub name: String,
    pub timestamp: String,
    pub status: String,
    pub verdict: Verdict,
    /// Other columns worth showing (session, environment, approval id, ...), as pairs.
    pub fields: Vec<(String, String)>,
    /// The payload, pretty-printed.
    pub payload: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadRow {
    pub session_id: String,
    pub turns: i64,
    pub first_micros: i64,
    pub last_micros: i64,
    pub agents: Vec<String>,
    pub cost_usd: f64,
    pub verdicts: Counts,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadsPage {
    pub threads: Vec<ThreadRow>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadDetail {
    pub thread: ThreadRow,
    pub turns: Vec<TraceRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetRow {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub item_count: i64,
    pub created_micros: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetItemRow {
    pub trace_id: String,
    pub added_micros: i64,
    /// `None` when the trace has no events any more (pruned).
    pub trace: Option<TraceRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetDetail {
    pub dataset: DatasetRow,
    pub items: Vec<DatasetItemRow>,
}

/// What a draft is replayed over.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DraftScope {
    Dataset(String),
    Traces(Vec<String>),
}

/// The events of a scope for the in-browser preview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewEvents {
    pub events: Vec<policy::Event>,
    /// More events than the preview loads; the numbers cover only the first ones.
    pub truncated: bool,
}

/// `add_to_dataset`'s answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddOutcome {
    pub dataset: DatasetRef,
    pub created: bool,
    pub added: usize,
    pub already_present: usize,
    pub unknown: usize,
}

/// A server simulation run, as the modal and the permalink show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulationView {
    pub id: String,
    pub created_micros: i64,
    /// The draft as sent, pretty-printed JSON.
    pub draft: String,
    pub dataset: Option<DatasetRef>,
    /// The dataset id when the dataset no longer exists.
    pub dataset_id: Option<String>,
    pub trace_ids: Option<Vec<String>>,
    pub baseline: String,
    pub summary: SimulationSummary,
    /// How many traces were in scope (dataset items or listed ids).
    pub trace_count: usize,
    /// Start of the time window of a run over recorded events (RFC 3339), if any.
    #[serde(default)]
    pub since: Option<String>,
    /// This server's base URL as the browser reached it, for the shareable link.
    pub base_url: String,
}

/// A draft the server refused, with the field at fault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftProblem {
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SimulateOutcome {
    Ran(Box<SimulationView>),
    Invalid(Vec<DraftProblem>),
}

/// Everything the layout needs: projects for the switcher, the current one, theme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShellData {
    pub projects: Vec<ProjectRef>,
    pub current: Option<ProjectRef>,
    pub dark: bool,
    /// The signed-in account.
    pub user_email: String,
    /// `admin` or `viewer`.
    pub user_role: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleRow {
    pub pattern: String,
    pub action: String,
    pub agent_pattern: Option<String>,
    pub cost_max_usd: Option<f64>,
}

#[cfg(feature = "ssr")]
mod convert {
    use super::*;

    impl From<store::VerdictCounts> for Counts {
        fn from(c: store::VerdictCounts) -> Self {
            Counts {
                allowed: c.allowed,
                blocked: c.blocked,
                held: c.held,
                redacted: c.redacted,
                errored: c.errored,
            }
        }
    }

    impl From<&store::Project> for ProjectRef {
        fn from(p: &store::Project) -> Self {
            ProjectRef {
                id: p.id.clone(),
                name: p.name.clone(),
            }
        }
    }

    impl From<store::TraceSummary> for TraceRow {
        fn from(t: store::TraceSummary) -> Self {
            TraceRow {
                trace_id: t.trace_id,
                start_micros: t.start_micros,
                duration_ms: t.duration_ms,
                agents: t.agents,
                session_id: t.session_id,
                event_count: t.event_count,
                cost_usd: t.cost_usd,
                tools: t.tools,
                verdicts: t.verdicts.into(),
            }
        }
    }

    impl From<store::ThreadSummary> for ThreadRow {
        fn from(t: store::ThreadSummary) -> Self {
            ThreadRow {
                session_id: t.session_id,
                turns: t.turns,
                first_micros: t.first_micros,
                last_micros: t.last_micros,
                agents: t.agents,
                cost_usd: t.cost_usd,
                verdicts: t.verdicts.into(),
            }
        }
    }

    impl From<&store::Dataset> for DatasetRef {
        fn from(d: &store::Dataset) -> Self {
            DatasetRef {
                id: d.id.clone(),
                name: d.name.clone(),
            }
        }
    }

    impl From<store::Dataset> for DatasetRow {
        fn from(d: store::Dataset) -> Self {
            DatasetRow {
                id: d.id,
                name: d.name,
                description: d.description,
                item_count: d.item_count,
                created_micros: d.created_at.micros(),
            }
        }
    }

    impl From<&store::StoredEvent> for EventRow {
        fn from(e: &store::StoredEvent) -> Self {
            let evaluates = (e.kind == "policy_decision")
                .then(|| {
                    e.payload
                        .get("tool_name")
                        .and_then(serde_json::Value::as_str)
                        .map(str::to_string)
                })
                .flatten();
            EventRow {
                span_id: e.span_id.clone(),
                parent_span_id: e.parent_span_id.clone(),
                kind: e.kind.clone(),
                name: e.name.clone(),
                tool: e.tool.clone(),
                ts_micros: e.ts_micros,
                duration_ms: e.duration_ms,
                status: e.status.clone(),
                verdict: e.verdict,
                agent: e.agent_name.clone(),
                model: e.model.clone(),
                input_tokens: e.input_tokens,
                output_tokens: e.output_tokens,
                cost_usd: e.cost_usd,
                evaluates,
            }
        }
    }

    impl From<&store::StoredEvent> for SpanDetail {
        fn from(e: &store::StoredEvent) -> Self {
            let optional = [
                ("trace", Some(e.trace_id.clone())),
                ("parent span", e.parent_span_id.clone()),
                ("tool", Some(e.tool.clone())),
                ("agent", e.agent_name.clone()),
                ("model", e.model.clone()),
                ("duration", e.duration_ms.map(|d| format!("{d} ms"))),
                ("input tokens", e.input_tokens.map(|t| t.to_string())),
                ("output tokens", e.output_tokens.map(|t| t.to_string())),
                ("cost", e.cost_usd.map(|c| format!("${c:.6}"))),
                ("session", e.session_id.clone()),
                ("environment", e.environment.clone()),
                ("release", e.release_version.clone()),
                ("end user", e.end_user_id.clone()),
                ("end user email", e.end_user_email.clone()),
                ("approval", e.approval_id.clone()),
                ("originating trace", e.originating_trace_id.clone()),
                ("originating span", e.originating_span_id.clone()),
                ("originating agent", e.originating_agent_name.clone()),
                ("agent card", e.agent_card_uri.clone()),
                ("sequence", Some(e.sequence.to_string())),
            ];
            SpanDetail {
                span_id: e.span_id.clone(),
                kind: e.kind.clone(),
                name: e.name.clone(),
                timestamp: e.timestamp.clone(),
                status: e.status.clone(),
                verdict: e.verdict,
                fields: optional
                    .into_iter()
                    .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
                    .collect(),
                payload: serde_json::to_string_pretty(&e.payload)
                    .unwrap_or_else(|_| e.payload.to_string()),
            }
        }
    }
}
