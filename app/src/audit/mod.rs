//! The audit log (`/dashboard/audit`): every policy-relevant event, counts per verdict
//! and kind, filter chips and pages. Its types and server function, the store filter
//! the CSV/JSONL export route shares ([`audit_filter`]), and, in the submodules, the
//! filters ([`view`]) and the page.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::{Counts, Scoped};
#[cfg(feature = "ssr")]
use crate::support;

pub mod page;
pub mod view;

pub use view::{audit_tool, deciding_rule, AuditView};

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
        tool: view::audit_tool(&e.kind, &e.tool, &e.payload),
        agent: e.agent_name.clone(),
        verdict: e.verdict,
        status: e.status.clone(),
        rule: view::deciding_rule(&e.payload),
        ts_micros: e.ts_micros,
    }
}

/// The store's audit filter for a chip (shared with the CSV/JSONL export route).
#[cfg(feature = "ssr")]
pub fn audit_filter(view: AuditView, cursor: Option<String>, limit: u32) -> store::AuditFilter {
    store::AuditFilter {
        verdict: view.verdict(),
        kinds: view.kinds(),
        cursor,
        limit,
    }
}

#[server]
pub async fn get_audit_log(
    project: Option<String>,
    filter: Option<String>,
    cursor: Option<String>,
) -> Result<Option<Scoped<AuditLog>>, ServerFnError> {
    use crate::server::store_error;

    let Some((store, p)) = support::context(project).await? else {
        return Ok(None);
    };
    let (view, mut filter_error) = match AuditView::parse(filter.as_deref()) {
        Ok(v) => (v, None),
        Err(e) => (AuditView::All, Some(e)),
    };
    let cursor = cursor.filter(|c| !c.trim().is_empty());
    let paged = cursor.is_some();
    let page = match store
        .audit(&p.id, &audit_filter(view, cursor, AUDIT_PAGE))
        .await
    {
        Ok(page) => page,
        Err(store::StoreError::Invalid(message)) => {
            // A stale or hand-edited cursor: say so and show the newest page.
            filter_error = Some(format!("cursor: {message}"));
            store
                .audit(&p.id, &audit_filter(view, None, AUDIT_PAGE))
                .await
                .map_err(store_error)?
        }
        Err(e) => return Err(store_error(e)),
    };
    // The header counts cover the whole log; kind chips count their kind. One grouped
    // pass gives both (a page per chip read the log again for each).
    let by_kind = store
        .audit_counts_by_kind(&p.id)
        .await
        .map_err(store_error)?;
    let counts = if view.kinds().is_some() {
        let mut all = store::VerdictCounts::default();
        for kind in by_kind.values() {
            all.merge(kind);
        }
        all
    } else {
        page.counts
    };
    let kind_total = |v: AuditView| -> i64 {
        v.kinds()
            .unwrap_or_default()
            .iter()
            .filter_map(|k| by_kind.get(k))
            .map(store::VerdictCounts::total)
            .sum()
    };
    let approvals = kind_total(AuditView::Approvals);
    let budget = kind_total(AuditView::Budget);
    Ok(Some(support::scoped_some(
        &p,
        AuditLog {
            filter: view.as_str().to_string(),
            filter_error,
            counts: counts.into(),
            approvals,
            budget,
            rows: page.events.iter().map(audit_item).collect(),
            next_cursor: page.next_cursor,
            paged,
        },
    )))
}
