//! Approvals (`/dashboard/approvals`): requests held by `require_approval` rules, the
//! pending queue and the decided ones. Its types and server functions (deciding goes
//! through the same store call as `POST /v1/approvals/{id}/decision`) and, in
//! [`page`], the page.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::Scoped;
#[cfg(feature = "ssr")]
use crate::support;

pub mod page;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalItem {
    pub id: String,
    pub action: String,
    pub status: String,
    /// The context's top-level fields as `(key, compact JSON or text)`.
    pub fields: Vec<(String, String)>,
    pub context: String,
    pub reason: Option<String>,
    /// `key:<prefix>` or an account's email; `None` for requests older than scopes.
    pub requested_by: Option<String>,
    pub decided_by: Option<String>,
    pub created_micros: i64,
    pub decided_micros: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalQueue {
    /// `pending` or `decided`.
    pub tab: String,
    pub pending_count: usize,
    pub decided_count: usize,
    pub rows: Vec<ApprovalItem>,
}

/// A stored approval request as the pages show it (also the home page's pending ones).
#[cfg(feature = "ssr")]
pub fn approval_item(a: store::Approval) -> ApprovalItem {
    let fields = match &a.context {
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), text)
            })
            .collect(),
        serde_json::Value::Null => Vec::new(),
        other => vec![("context".to_string(), other.to_string())],
    };
    ApprovalItem {
        context: serde_json::to_string_pretty(&a.context).unwrap_or_default(),
        fields,
        id: a.id,
        action: a.action,
        status: a.status,
        reason: a.reason,
        requested_by: a.requested_by,
        decided_by: a.decided_by,
        created_micros: a.created_at.micros(),
        decided_micros: a.decided_at.map(|t| t.micros()),
    }
}

#[server(prefix = "/api/read")]
pub async fn get_approval_queue(
    project: Option<String>,
    tab: Option<String>,
) -> Result<Option<Scoped<ApprovalQueue>>, ServerFnError> {
    let Some(ctx) = support::context(project).await? else {
        return Ok(None);
    };
    let tab = match tab.as_deref().map(str::trim).unwrap_or("") {
        "" | "pending" => "pending",
        "decided" => "decided",
        other => {
            return Err(crate::server::invalid(format!(
                "tab: unknown tab {other:?}; expected pending or decided"
            )))
        }
    };
    let (pending, decided) =
        service::approvals::queue(ctx.store(), &ctx.caller, service::paging::LISTS.max)
            .await
            .map_err(crate::server::service_error)?;
    let count = |t: &service::approvals::QueueTab| usize::try_from(t.count).unwrap_or(usize::MAX);
    let (pending_count, decided_count) = (count(&pending), count(&decided));
    let rows = if tab == "pending" {
        pending.rows
    } else {
        decided.rows
    };
    Ok(Some(support::scoped_some(
        &ctx,
        ApprovalQueue {
            tab: tab.to_string(),
            pending_count,
            decided_count,
            rows: rows.into_iter().map(approval_item).collect(),
        },
    )))
}

/// Approves or rejects a pending request, once, recording the signed-in account as
/// who decided: `service::approvals::decide`, as `POST /v1/approvals/{id}/decision`,
/// so an SDK polling `GET /v1/approvals/{id}` sees the decision on its next poll.
#[server]
pub async fn decide_pending_approval(
    project: Option<String>,
    id: String,
    decision: String,
    reason: Option<String>,
) -> Result<ApprovalItem, ServerFnError> {
    use crate::server::service_error;
    let ctx = support::require(project).await?;
    let decision = service::approvals::Decision::parse(&decision).map_err(service_error)?;
    let decided = service::approvals::decide(ctx.store(), &ctx.caller, &id, decision, reason)
        .await
        .map_err(service_error)?;
    Ok(approval_item(decided))
}
