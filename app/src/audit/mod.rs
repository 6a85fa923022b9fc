//! The audit log (`/dashboard/audit`): every policy-relevant event, counts per verdict
//! and kind, filter chips (`policy::AuditView`) and pages. Its types and server
//! function (over `service::audit`, which the REST API and the CSV/JSONL export read
//! too) and, in the submodule, the page.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::{Counts, Scoped};
#[cfg(feature = "ssr")]
use crate::support;

pub mod changes;
pub mod page;

pub use policy::AuditView;

/// Audit rows per page.
pub const AUDIT_PAGE: u32 = 50;

/// One policy-relevant event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditItem {
    pub trace_id: String,
    pub span_id: String,
    pub kind: String,
    pub tool: String,
    pub agent: Option<String>,
    pub verdict: policy::Verdict,
    pub status: String,
    pub rule: Option<String>,
    pub ts_micros: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditLog {
    /// The filter as understood (`all` after a bad one).
    pub filter: String,
    pub filter_error: Option<String>,
    /// Every audit event per verdict.
    pub counts: Counts,
    pub approvals: i64,
    pub budget: i64,
    pub rows: Vec<AuditItem>,
    pub next_cursor: Option<String>,
    /// This is not the newest page.
    pub paged: bool,
}

/// An audit row out of a stored event (also the home page's recent errors).
#[cfg(feature = "ssr")]
pub fn audit_item(e: &store::StoredEvent) -> AuditItem {
    AuditItem {
        trace_id: e.trace_id.clone(),
        span_id: e.span_id.clone(),
        kind: e.kind.clone(),
        tool: service::audit::audit_tool(&e.kind, &e.tool, &e.payload),
        agent: e.agent_name.clone(),
        verdict: e.verdict,
        status: e.status.clone(),
        rule: service::audit::deciding_rule(&e.payload),
        ts_micros: e.ts_micros,
    }
}

#[server(prefix = "/api/read")]
pub async fn get_audit_log(
    project: Option<String>,
    filter: Option<String>,
    cursor: Option<String>,
) -> Result<Option<Scoped<AuditLog>>, ServerFnError> {
    let Some(ctx) = support::context(project).await? else {
        return Ok(None);
    };
    let log = service::audit::log(
        ctx.store(),
        &ctx.caller,
        filter.as_deref(),
        cursor,
        AUDIT_PAGE,
    )
    .await
    .map_err(crate::server::service_error)?;
    Ok(Some(support::scoped_some(
        &ctx,
        AuditLog {
            filter: log.view.as_str().to_string(),
            filter_error: log.filter_error,
            counts: log.counts.into(),
            approvals: log.approvals,
            budget: log.budget,
            rows: log.page.events.iter().map(audit_item).collect(),
            next_cursor: log.page.next_cursor,
            paged: log.paged,
        },
    )))
}
