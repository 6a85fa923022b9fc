//! Filters, pages and aggregates for the read side.

use policy::Verdict;
use serde::{Deserialize, Serialize};

use crate::StoredEvent;

/// How many events had each verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct VerdictCounts {
    pub allowed: i64,
    pub blocked: i64,
    pub held: i64,
    pub redacted: i64,
    pub errored: i64,
}

impl VerdictCounts {
    pub fn get(&self, verdict: Verdict) -> i64 {
        match verdict {
            Verdict::Allowed => self.allowed,
            Verdict::Blocked => self.blocked,
            Verdict::Held => self.held,
            Verdict::Redacted => self.redacted,
            Verdict::Errored => self.errored,
        }
    }

    pub(crate) fn add(&mut self, verdict: Verdict, n: i64) {
        match verdict {
            Verdict::Allowed => self.allowed += n,
            Verdict::Blocked => self.blocked += n,
            Verdict::Held => self.held += n,
            Verdict::Redacted => self.redacted += n,
            Verdict::Errored => self.errored += n,
        }
    }

    /// Adds another set of counts to these.
    pub fn merge(&mut self, other: &VerdictCounts) {
        for v in Verdict::ALL {
            self.add(v, other.get(v));
        }
    }

    pub fn total(&self) -> i64 {
        self.allowed + self.blocked + self.held + self.redacted + self.errored
    }
}

/// One trace at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceSummary {
    pub trace_id: String,
    /// Earliest event timestamp.
    pub start_micros: i64,
    /// Latest event timestamp plus its duration.
    pub end_micros: i64,
    pub duration_ms: f64,
    /// Distinct agent names, sorted.
    pub agents: Vec<String>,
    pub session_id: Option<String>,
    pub event_count: i64,
    pub cost_usd: f64,
    /// The most frequent names among tool, LLM and MCP calls (at most five).
    pub tools: Vec<String>,
    pub verdicts: VerdictCounts,
}

/// `list_traces` arguments. Time bounds apply to a trace's start: `since` inclusive,
/// `until` exclusive.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TraceFilter {
    /// Some event of the trace has this agent name.
    pub agent: Option<String>,
    pub session: Option<String>,
    /// Some event of the trace has this verdict.
    pub verdict: Option<Verdict>,
    /// Case-insensitive substring of some event's name (or matching tool name).
    pub tool: Option<String>,
    pub since_micros: Option<i64>,
    pub until_micros: Option<i64>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Page size; clamped to 1..=1000.
    pub limit: u32,
}

/// Newest trace first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TracePage {
    pub traces: Vec<TraceSummary>,
    pub next_cursor: Option<String>,
}

/// A conversation: the traces sharing a `session_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadSummary {
    pub session_id: String,
    /// Number of traces.
    pub turns: i64,
    pub first_micros: i64,
    pub last_micros: i64,
    pub agents: Vec<String>,
    pub cost_usd: f64,
    pub verdicts: VerdictCounts,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ThreadFilter {
    pub cursor: Option<String>,
    pub limit: u32,
}

/// Most recently active thread first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadPage {
    pub threads: Vec<ThreadSummary>,
    pub next_cursor: Option<String>,
}

/// `audit` arguments. The audit log holds the policy-relevant events: kinds
/// `policy_decision`, `approval`, `budget_check`, any event whose verdict is not
/// `allowed`, and any whose payload carries `policy_decisions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditFilter {
    pub verdict: Option<Verdict>,
    pub kinds: Option<Vec<String>>,
    pub cursor: Option<String>,
    pub limit: u32,
}

/// Newest event first. `counts` covers every audit event matching `kinds` (not just
/// this page, and regardless of `verdict`), so a UI can label its verdict tabs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub events: Vec<StoredEvent>,
    pub counts: VerdictCounts,
    pub next_cursor: Option<String>,
}

/// Which events a replay reads. Only kinds `tool_call`, `llm_call` and
/// `mcp_tool_call` are ever returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EventScan {
    Traces(Vec<String>),
    /// The traces pinned in this dataset.
    Dataset(String),
    /// The traces a version of this dataset pinned.
    DatasetVersion {
        id: String,
        version: i64,
    },
    /// By event timestamp: `since` inclusive, `until` exclusive.
    Window {
        since_micros: Option<i64>,
        until_micros: Option<i64>,
    },
}

/// Which page of a keyed listing to read: at most `limit` rows (clamped by each
/// method to its own ceiling, at least 1), continuing after `cursor` (the previous
/// page's [`Page::next_cursor`]; `None` for the first page).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    pub cursor: Option<String>,
    pub limit: u32,
}

impl PageRequest {
    /// The first `limit` rows.
    pub fn first(limit: u32) -> Self {
        PageRequest {
            cursor: None,
            limit,
        }
    }

    /// The `limit` rows after the page that gave `cursor`.
    pub fn after(cursor: impl Into<String>, limit: u32) -> Self {
        PageRequest {
            cursor: Some(cursor.into()),
            limit,
        }
    }
}

/// One page of a listing, in the listing's order. `next_cursor` is `Some` exactly
/// when rows follow this page: pass it back to read them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}
