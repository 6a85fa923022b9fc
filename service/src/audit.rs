//! The audit log: every policy-relevant event (the rule is `policy::policy_relevant`,
//! kept by the store as a column), newest first, with counts per verdict and kind.
//! One reading for `/v1/audit`, the audit page, its CSV/JSONL export and the home
//! page's recent errors.
use policy::{AuditView, EventKind, Verdict};
use serde_json::Value;

use crate::{Caller, Permission, ServiceError, ServiceResult, Store};

/// The store filter for one of the audit page's chips.
pub fn filter_for(view: AuditView, cursor: Option<String>, limit: u32) -> store::AuditFilter {
    store::AuditFilter {
        verdict: view.verdict(),
        kinds: view.kind().map(|k| vec![k.as_str().to_string()]),
        cursor,
        limit,
    }
}

/// One page of the log.
pub async fn page(
    store: &Store,
    caller: &Caller,
    filter: &store::AuditFilter,
) -> ServiceResult<store::AuditPage> {
    caller.require(Permission::Read)?;
    Ok(store.audit(caller.project_id(), filter).await?)
}

/// Kinds as given to `/v1/audit?kind=` (comma-separated); unknown kinds are refused.
pub fn parse_kinds(field: &str, text: &str) -> ServiceResult<Vec<String>> {
    text.split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| {
            k.parse::<EventKind>()
                .map(|k| k.as_str().to_string())
                .map_err(|e| ServiceError::invalid(field, e))
        })
        .collect()
}

/// The audit page: one page of a chip's rows and the counts its chips show.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditLog {
    /// The chip as understood (`All` after a bad one).
    pub view: AuditView,
    /// What was wrong with the filter or the cursor, if anything.
    pub filter_error: Option<String>,
    pub page: store::AuditPage,
    /// Every audit event, per verdict.
    pub counts: store::VerdictCounts,
    /// Events of the approvals and budget chips.
    pub approvals: i64,
    pub budget: i64,
    /// Not the newest page.
    pub paged: bool,
}

/// The audit page's data for `filter` (a chip's name) from `cursor`. A bad filter or a
/// stale cursor is reported and the newest page of `All` (or the chip) shown.
pub async fn log(
    store: &Store,
    caller: &Caller,
    filter: Option<&str>,
    cursor: Option<String>,
    limit: u32,
) -> ServiceResult<AuditLog> {
    caller.require(Permission::Read)?;
    let (view, mut filter_error) = match AuditView::parse(filter) {
        Ok(v) => (v, None),
        Err(e) => (AuditView::All, Some(e)),
    };
    let cursor = cursor.filter(|c| !c.trim().is_empty());
    let paged = cursor.is_some();
    let page = match store
        .audit(caller.project_id(), &filter_for(view, cursor, limit))
        .await
    {
        Ok(page) => page,
        Err(store::StoreError::Invalid(message)) => {
            // A stale or hand-edited cursor: say so and show the newest page.
            filter_error = Some(format!("cursor: {message}"));
            store
                .audit(caller.project_id(), &filter_for(view, None, limit))
                .await?
        }
        Err(e) => return Err(e.into()),
    };
    // The header counts cover the whole log; kind chips count their kind. One grouped
    // pass gives both (a page per chip read the log again for each).
    let by_kind = store.audit_counts_by_kind(caller.project_id()).await?;
    let counts = if view.kind().is_some() {
        let mut all = store::VerdictCounts::default();
        for kind in by_kind.values() {
            all.merge(kind);
        }
        all
    } else {
        page.counts
    };
    let kind_total = |v: AuditView| -> i64 {
        v.kind()
            .and_then(|k| by_kind.get(k.as_str()))
            .map_or(0, store::VerdictCounts::total)
    };
    Ok(AuditLog {
        view,
        filter_error,
        counts,
        approvals: kind_total(AuditView::Approvals),
        budget: kind_total(AuditView::Budget),
        page,
        paged,
    })
}

/// The newest errored audit events (the home page's "recent errors").
pub async fn recent_errors(
    store: &Store,
    caller: &Caller,
    limit: u32,
) -> ServiceResult<Vec<store::StoredEvent>> {
    caller.require(Permission::Read)?;
    let filter = filter_for(AuditView::Verdict(Verdict::Errored), None, limit);
    Ok(page(store, caller, &filter).await?.events)
}

/// The tool an audit event concerns: a policy decision names the tool it judged in
/// its payload (`tool_name`); other events are their own tool.
pub fn audit_tool(kind: &str, tool: &str, payload: &Value) -> String {
    if kind == EventKind::PolicyDecision.as_str() {
        if let Some(t) = payload.get("tool_name").and_then(Value::as_str) {
            if !t.is_empty() {
                return t.to_string();
            }
        }
    }
    tool.to_string()
}

/// The rule that decided an event, as `action pattern` (`block payments.*`), from a
/// policy decision's payload (`policy_kind`, `pattern`) or a call's
/// `policy_decisions` (the first that names a pattern). `None` when nothing names one.
pub fn deciding_rule(payload: &Value) -> Option<String> {
    fn describe(d: &Value) -> Option<String> {
        let pattern = d
            .get("pattern")
            .or_else(|| d.get("rule"))
            .and_then(Value::as_str)
            .filter(|p| !p.is_empty())?;
        let kind = d
            .get("policy_kind")
            .or_else(|| d.get("action"))
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty());
        Some(match kind {
            Some(kind) => format!("{kind} {pattern}"),
            None => pattern.to_string(),
        })
    }
    if let Some(found) = describe(payload) {
        return Some(found);
    }
    payload
        .get("policy_decisions")
        .and_then(Value::as_array)
        .and_then(|ds| ds.iter().find_map(describe))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn chips_become_store_filters() {
        let f = filter_for(AuditView::Budget, Some("c".into()), 5);
        assert_eq!(f.kinds, Some(vec!["budget_check".to_string()]));
        assert_eq!(f.verdict, None);
        let f = filter_for(AuditView::Verdict(Verdict::Held), None, 5);
        assert_eq!(f.verdict, Some(Verdict::Held));
        assert_eq!(f.kinds, None);
    }

    #[test]
    fn kinds_are_checked() {
        assert_eq!(
            parse_kinds("kind", "approval, budget_check,").ok(),
            Some(vec!["approval".to_string(), "budget_check".to_string()])
        );
        assert!(parse_kinds("kind", "approval,nope").is_err());
    }

    #[test]
    fn deciding_rules_and_tools() {
        let decision =
            json!({"tool_name": "wire_transfer", "policy_kind": "block", "pattern": "wire_*"});
        assert_eq!(deciding_rule(&decision).as_deref(), Some("block wire_*"));
        assert_eq!(
            audit_tool("policy_decision", "policy.check", &decision),
            "wire_transfer"
        );
        assert_eq!(
            audit_tool("tool_call", "shell.exec", &decision),
            "shell.exec"
        );
        let call = json!({"tool": "x", "policy_decisions": [{"policy_kind": "allow"}, {"policy_kind": "block", "pattern": "x*"}]});
        assert_eq!(deciding_rule(&call).as_deref(), Some("block x*"));
        assert_eq!(
            deciding_rule(&json!({"policy_kind": "allow", "pattern": null})),
            None
        );
        assert_eq!(deciding_rule(&json!("text")), None);
    }
}
