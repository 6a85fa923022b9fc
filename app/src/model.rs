//! The types every feature's server functions and pages share: the project a page is
//! about, page data scoped to it, verdict counts, a trace's summary row and a dataset
//! reference. Plain serde types: the browser bundle never links the store (or SQL), so
//! rows are mirrored here and converted on the server (`From` impls under `ssr`). Each
//! feature keeps its own types beside its server functions.
use policy::Verdict;
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

    impl From<&store::Dataset> for DatasetRef {
        fn from(d: &store::Dataset) -> Self {
            DatasetRef {
                id: d.id.clone(),
                name: d.name.clone(),
            }
        }
    }
}
