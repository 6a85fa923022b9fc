//! Server functions of the operations pages: the home overview, the audit log,
//! approvals (decided here through the same store call as
//! `POST /v1/approvals/{id}/decision`) and settings (projects, API keys, retention).
//! Like [`crate::api`], each takes the page's `project` and resolves it on the server.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::{Counts, ProjectRef, Scoped, TraceRow};

/// Audit rows per page.
pub const AUDIT_PAGE: u32 = 50;
/// Most calls the home chart reads; beyond this it says it stopped early.
pub const OVERVIEW_SCAN_LIMIT: usize = 500_000;

/// One bar of the home chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bar {
    pub start_micros: i64,
    /// Calls per verdict, in `Verdict::ALL` order.
    pub counts: [i64; 5],
    pub cost_usd: f64,
}

/// A name and how often it occurred.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    pub name: String,
    pub count: i64,
}

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
pub struct ApprovalItem {
    pub id: String,
    pub action: String,
    pub status: String,
    /// The context's top-level fields as `(key, compact JSON or text)`.
    pub fields: Vec<(String, String)>,
    pub context: String,
    pub reason: Option<String>,
    pub decided_by: Option<String>,
    pub created_micros: i64,
    pub decided_micros: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    /// `24h`, `7d` or `30d`.
    pub range: String,
    pub range_error: Option<String>,
    /// Tool, LLM and MCP calls in the range, per verdict.
    pub counts: Counts,
    pub cost_usd: f64,
    pub bucket_micros: i64,
    pub bars: Vec<Bar>,
    /// The scan stopped at [`OVERVIEW_SCAN_LIMIT`] calls.
    pub truncated: bool,
    pub top_blocked: Vec<Tally>,
    pub top_held: Vec<Tally>,
    pub pending_count: usize,
    pub pending: Vec<ApprovalItem>,
    pub errors: Vec<AuditItem>,
    pub recent: Vec<TraceRow>,
    /// The project has no traces at all (the page shows how to send some).
    pub empty: bool,
    pub server_url: String,
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalQueue {
    /// `pending` or `decided`.
    pub tab: String,
    pub pending_count: usize,
    pub decided_count: usize,
    pub rows: Vec<ApprovalItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectItem {
    pub id: String,
    pub name: String,
    pub created_micros: i64,
    pub retention_days: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyItem {
    pub id: String,
    pub prefix: String,
    pub created_micros: i64,
    pub revoked_micros: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsData {
    pub projects: Vec<ProjectItem>,
    pub keys: Vec<KeyItem>,
    pub retention_days: Option<i64>,
    pub server_url: String,
}

/// A key just created: `key` is shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewKey {
    pub key: String,
    pub prefix: String,
    pub project: String,
}

#[cfg(feature = "ssr")]
mod support {
    use leptos::prelude::ServerFnError;

    use super::{ApprovalItem, AuditItem};
    use crate::model::{ProjectRef, Scoped};
    pub use crate::server::{context, require};
    use crate::server::{gone, store_error};

    pub fn scoped<T>(project: &store::Project, data: T) -> Scoped<T> {
        Scoped {
            project: ProjectRef::from(project),
            now_micros: store::now_micros(),
            data: Some(data),
        }
    }

    pub fn audit_item(e: &store::StoredEvent) -> AuditItem {
        AuditItem {
            trace_id: e.trace_id.clone(),
            span_id: e.span_id.clone(),
            kind: e.kind.clone(),
            tool: crate::ops::audit_tool(&e.kind, &e.tool, &e.payload),
            agent: e.agent_name.clone(),
            verdict: e.verdict,
            status: e.status.clone(),
            rule: crate::ops::deciding_rule(&e.payload),
            ts_micros: e.ts_micros,
        }
    }

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
            decided_by: a.decided_by,
            created_micros: a.created_at.micros(),
            decided_micros: a.decided_at.map(|t| t.micros()),
        }
    }

    pub fn name_taken(name: &str) -> impl Fn(store::StoreError) -> ServerFnError + '_ {
        move |e| match e {
            store::StoreError::Conflict(_) => {
                crate::server::conflict(format!("a project named {name:?} already exists"))
            }
            store::StoreError::Invalid(m) => crate::server::invalid(m),
            store::StoreError::NotFound => gone("that project no longer exists"),
            other => store_error(other),
        }
    }
}

/// The store's audit filter for a chip (shared with the CSV/JSONL export route).
#[cfg(feature = "ssr")]
pub fn audit_filter(
    view: crate::ops::AuditView,
    cursor: Option<String>,
    limit: u32,
) -> store::AuditFilter {
    store::AuditFilter {
        verdict: view.verdict(),
        kinds: view.kinds(),
        cursor,
        limit,
    }
}

#[server]
pub async fn get_overview(
    project: Option<String>,
    range: Option<String>,
) -> Result<Option<Scoped<Overview>>, ServerFnError> {
    use std::collections::HashMap;

    use futures::StreamExt;
    use policy::Verdict;

    use crate::ops::Range;
    use crate::server::store_error;

    let Some((store, p)) = support::context(project).await? else {
        return Ok(None);
    };
    let (range, range_error) = match Range::parse(range.as_deref()) {
        Ok(r) => (r, None),
        Err(e) => (Range::Day, Some(e)),
    };
    let now = store::now_micros();
    let buckets = range.buckets();
    let mut bars: Vec<Bar> = (0..buckets.count)
        .map(|i| Bar {
            start_micros: buckets.bucket_start(now, i),
            counts: [0; 5],
            cost_usd: 0.0,
        })
        .collect();
    let mut counts = Counts::default();
    let mut cost_usd = 0.0;
    let mut blocked: HashMap<String, i64> = HashMap::new();
    let mut held: HashMap<String, i64> = HashMap::new();
    let mut truncated = false;
    {
        let mut stream = store.scan_events(
            &p.id,
            store::EventScan::Window {
                since_micros: Some(buckets.start(now)),
                until_micros: None,
            },
        );
        let mut seen = 0usize;
        while let Some(event) = stream.next().await {
            let event = event.map_err(store_error)?;
            seen += 1;
            if seen > OVERVIEW_SCAN_LIMIT {
                truncated = true;
                break;
            }
            let ts = event
                .timestamp
                .as_deref()
                .and_then(|t| {
                    store::Timestamp::parse_rfc3339(t)
                        .or_else(|| store::Timestamp::parse_rfc3339(&format!("{t}Z")))
                })
                .map(|t| t.micros())
                .unwrap_or(now);
            let v = event.recorded;
            counts.add(v, 1);
            let cost = event.cost_usd.filter(|c| c.is_finite()).unwrap_or(0.0);
            cost_usd += cost;
            if let Some(bar) = buckets
                .index(now, ts.min(now))
                .and_then(|i| bars.get_mut(i))
            {
                if let Some(slot) = Verdict::ALL
                    .iter()
                    .position(|x| *x == v)
                    .and_then(|i| bar.counts.get_mut(i))
                {
                    *slot += 1;
                }
                bar.cost_usd += cost;
            }
            match v {
                Verdict::Blocked => *blocked.entry(event.tool).or_default() += 1,
                Verdict::Held => *held.entry(event.tool).or_default() += 1,
                _ => {}
            }
        }
    }
    let top = |map: HashMap<String, i64>| {
        let mut list: Vec<Tally> = map
            .into_iter()
            .map(|(name, count)| Tally { name, count })
            .collect();
        list.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
        list.truncate(5);
        list
    };
    let pending_all = store
        .list_approvals(&p.id, Some("pending"))
        .await
        .map_err(store_error)?;
    let pending_count = pending_all.len();
    let pending = pending_all
        .into_iter()
        .take(5)
        .map(support::approval_item)
        .collect();
    let errors = store
        .audit(
            &p.id,
            &audit_filter(crate::ops::AuditView::Verdict(Verdict::Errored), None, 5),
        )
        .await
        .map_err(store_error)?;
    let recent = store
        .list_traces(
            &p.id,
            &store::TraceFilter {
                limit: 6,
                ..Default::default()
            },
        )
        .await
        .map_err(store_error)?;
    Ok(Some(support::scoped(
        &p,
        Overview {
            range: range.as_str().to_string(),
            range_error,
            counts,
            cost_usd,
            bucket_micros: buckets.width_micros,
            bars,
            truncated,
            top_blocked: top(blocked),
            top_held: top(held),
            pending_count,
            pending,
            errors: errors.events.iter().map(support::audit_item).collect(),
            empty: recent.traces.is_empty(),
            recent: recent.traces.into_iter().map(TraceRow::from).collect(),
            server_url: crate::server::server_url(),
        },
    )))
}

#[server]
pub async fn get_audit_log(
    project: Option<String>,
    filter: Option<String>,
    cursor: Option<String>,
) -> Result<Option<Scoped<AuditLog>>, ServerFnError> {
    use crate::ops::AuditView;
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
    Ok(Some(support::scoped(
        &p,
        AuditLog {
            filter: view.as_str().to_string(),
            filter_error,
            counts: counts.into(),
            approvals,
            budget,
            rows: page.events.iter().map(support::audit_item).collect(),
            next_cursor: page.next_cursor,
            paged,
        },
    )))
}

#[server]
pub async fn get_approval_queue(
    project: Option<String>,
    tab: Option<String>,
) -> Result<Option<Scoped<ApprovalQueue>>, ServerFnError> {
    use crate::server::store_error;
    let Some((store, p)) = support::context(project).await? else {
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
    let all = store
        .list_approvals(&p.id, None)
        .await
        .map_err(store_error)?;
    let (pending, mut decided): (Vec<_>, Vec<_>) =
        all.into_iter().partition(|a| a.status == "pending");
    // Most recently decided first.
    decided.sort_by(|a, b| {
        b.decided_at
            .map(|t| t.micros())
            .cmp(&a.decided_at.map(|t| t.micros()))
    });
    let (pending_count, decided_count) = (pending.len(), decided.len());
    let rows = if tab == "pending" { pending } else { decided };
    Ok(Some(support::scoped(
        &p,
        ApprovalQueue {
            tab: tab.to_string(),
            pending_count,
            decided_count,
            rows: rows.into_iter().map(support::approval_item).collect(),
        },
    )))
}

/// Approves or rejects a pending request, once: the store call behind
/// `POST /v1/approvals/{id}/decision`, so an SDK polling `GET /v1/approvals/{id}`
/// sees the decision on its next poll.
#[server]
pub async fn decide_pending_approval(
    project: Option<String>,
    id: String,
    decision: String,
    reason: Option<String>,
) -> Result<ApprovalItem, ServerFnError> {
    use crate::server::{conflict, gone, invalid, store_error};
    let (store, p) = support::require(project).await?;
    // Recorded as who decided: the signed-in account.
    let decider = crate::server::current_user()?.email;
    if !matches!(decision.as_str(), "approved" | "rejected") {
        return Err(invalid(format!(
            "decision: unknown decision {decision:?}; expected approved or rejected"
        )));
    }
    let reason = reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if reason.as_ref().is_some_and(|r| r.chars().count() > 2000) {
        return Err(invalid("reason: longer than 2,000 characters"));
    }
    let outcome = store
        .decide_approval(&p.id, &id, &decision, reason.as_deref(), &decider)
        .await
        .map_err(|e| match e {
            store::StoreError::NotFound => gone("that approval request no longer exists"),
            store::StoreError::Invalid(m) => invalid(m),
            other => store_error(other),
        })?;
    match outcome {
        store::DecideOutcome::Decided(a) => Ok(support::approval_item(a)),
        store::DecideOutcome::AlreadyDecided(a) => Err(conflict(format!(
            "already {} by {}",
            a.status,
            a.decided_by.as_deref().unwrap_or("someone else")
        ))),
    }
}

#[server]
pub async fn get_settings(
    project: Option<String>,
) -> Result<Option<Scoped<SettingsData>>, ServerFnError> {
    use crate::server::store_error;
    let Some((store, p)) = support::context(project).await? else {
        return Ok(None);
    };
    let projects = crate::server::visible_projects().await?;
    let keys = store.list_api_keys(&p.id).await.map_err(store_error)?;
    Ok(Some(support::scoped(
        &p,
        SettingsData {
            projects: projects
                .iter()
                .map(|q| ProjectItem {
                    id: q.id.clone(),
                    name: q.name.clone(),
                    created_micros: q.created_at.micros(),
                    retention_days: q.retention_days,
                })
                .collect(),
            keys: keys
                .into_iter()
                .map(|k| KeyItem {
                    id: k.id,
                    prefix: k.prefix,
                    created_micros: k.created_at.micros(),
                    revoked_micros: k.revoked_at.map(|t| t.micros()),
                })
                .collect(),
            retention_days: p.retention_days,
            server_url: crate::server::server_url(),
        },
    )))
}

/// Creates a project and opens its settings (to create its first key).
#[server]
pub async fn create_project_named(name: String) -> Result<ProjectRef, ServerFnError> {
    let store = crate::server::use_store()?;
    let name = valid_project_name(&name)?;
    let created = store
        .create_project(&name)
        .await
        .map_err(support::name_taken(&name))?;
    leptos_axum::redirect(&crate::format::href(
        "/dashboard/settings",
        &created.id,
        &[],
    ));
    Ok(ProjectRef::from(&created))
}

#[server]
pub async fn rename_project_to(id: String, name: String) -> Result<ProjectRef, ServerFnError> {
    let store = crate::server::use_store()?;
    let name = valid_project_name(&name)?;
    let renamed = store
        .rename_project(&id, &name)
        .await
        .map_err(support::name_taken(&name))?;
    Ok(ProjectRef::from(&renamed))
}

#[cfg(feature = "ssr")]
fn valid_project_name(name: &str) -> Result<String, ServerFnError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(crate::server::invalid("name: must not be empty"));
    }
    if name.chars().count() > 100 {
        return Err(crate::server::invalid("name: longer than 100 characters"));
    }
    Ok(name.to_string())
}

#[server]
pub async fn create_project_key(project: Option<String>) -> Result<NewKey, ServerFnError> {
    use crate::server::store_error;
    let (store, p) = support::require(project).await?;
    let created = store.create_api_key(&p.id).await.map_err(store_error)?;
    Ok(NewKey {
        key: created.key,
        prefix: created.info.prefix,
        project: p.name,
    })
}

#[server]
pub async fn revoke_project_key(
    project: Option<String>,
    key_id: String,
) -> Result<bool, ServerFnError> {
    use crate::server::store_error;
    let (store, p) = support::require(project).await?;
    let found = store
        .revoke_api_key(&p.id, &key_id)
        .await
        .map_err(store_error)?;
    if !found {
        return Err(crate::server::gone("no such key in this project"));
    }
    Ok(true)
}

/// `days` as typed: blank keeps events forever (or the server-wide default).
#[server]
pub async fn set_project_retention(
    project: Option<String>,
    days: String,
) -> Result<Option<i64>, ServerFnError> {
    let (store, p) = support::require(project).await?;
    let days = parse_retention(&days).map_err(crate::server::invalid)?;
    let updated = store
        .set_retention(&p.id, days)
        .await
        .map_err(|e| match e {
            store::StoreError::Invalid(m) => crate::server::invalid(m),
            other => crate::server::store_error(other),
        })?;
    Ok(updated.retention_days)
}

/// Retention as typed in the form: blank is `None`; otherwise whole days, 1 to 36,500.
pub fn parse_retention(text: &str) -> Result<Option<i64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<i64>() {
        Ok(d) if (1..=36_500).contains(&d) => Ok(Some(d)),
        Ok(_) => Err("days: must be between 1 and 36,500".to_string()),
        Err(_) => Err(format!(
            "days: {text:?} is not a whole number of days (leave it blank to keep events forever)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_retention;

    #[test]
    fn retention_as_typed() {
        assert_eq!(parse_retention(""), Ok(None));
        assert_eq!(parse_retention("  30 "), Ok(Some(30)));
        assert!(parse_retention("0").unwrap_err().contains("between 1"));
        assert!(parse_retention("-3").unwrap_err().contains("between 1"));
        assert!(parse_retention("1.5")
            .unwrap_err()
            .contains("not a whole number"));
    }
}
