//! The audit log's filter chips (`?filter=`) and what an audit row shows as its tool
//! and deciding rule. Pure, so the page and the CSV/JSONL export compute the same thing.
use policy::Verdict;
use serde_json::Value;

/// The audit log's filter chips (`?filter=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuditView {
    #[default]
    All,
    Verdict(Verdict),
    /// Approval events (kind `approval`).
    Approvals,
    /// Budget checks (kind `budget_check`).
    Budget,
}

impl AuditView {
    /// The chips, in the order shown.
    pub const CHIPS: [AuditView; 7] = [
        AuditView::All,
        AuditView::Verdict(Verdict::Blocked),
        AuditView::Verdict(Verdict::Held),
        AuditView::Verdict(Verdict::Redacted),
        AuditView::Verdict(Verdict::Errored),
        AuditView::Approvals,
        AuditView::Budget,
    ];

    /// `all` (or empty), a verdict (`allowed` too, though it has no chip),
    /// `approvals`, `budget`.
    pub fn parse(value: Option<&str>) -> Result<AuditView, String> {
        match value.map(str::trim).unwrap_or("") {
            "" | "all" => Ok(AuditView::All),
            "approvals" => Ok(AuditView::Approvals),
            "budget" => Ok(AuditView::Budget),
            other => other.parse::<Verdict>().map(AuditView::Verdict).map_err(|_| {
                format!(
                    "filter: unknown filter {other:?}; expected all, blocked, held, redacted, errored, approvals or budget"
                )
            }),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AuditView::All => "all",
            AuditView::Verdict(v) => v.as_str(),
            AuditView::Approvals => "approvals",
            AuditView::Budget => "budget",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AuditView::All => "All",
            AuditView::Verdict(Verdict::Allowed) => "Allowed",
            AuditView::Verdict(Verdict::Blocked) => "Blocked",
            AuditView::Verdict(Verdict::Held) => "Held",
            AuditView::Verdict(Verdict::Redacted) => "Redacted",
            AuditView::Verdict(Verdict::Errored) => "Errored",
            AuditView::Approvals => "Approvals",
            AuditView::Budget => "Budget",
        }
    }

    /// The store filter's verdict.
    pub fn verdict(self) -> Option<Verdict> {
        match self {
            AuditView::Verdict(v) => Some(v),
            _ => None,
        }
    }

    /// The store filter's kinds.
    pub fn kinds(self) -> Option<Vec<String>> {
        match self {
            AuditView::Approvals => Some(vec!["approval".to_string()]),
            AuditView::Budget => Some(vec!["budget_check".to_string()]),
            _ => None,
        }
    }
}

/// The tool an audit event concerns: a policy decision names the tool it judged in
/// its payload (`tool_name`); other events are their own tool.
pub fn audit_tool(kind: &str, tool: &str, payload: &Value) -> String {
    if kind == "policy_decision" {
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
    fn audit_filters() {
        assert_eq!(AuditView::parse(None), Ok(AuditView::All));
        for chip in AuditView::CHIPS {
            assert_eq!(AuditView::parse(Some(chip.as_str())), Ok(chip));
        }
        assert_eq!(
            AuditView::parse(Some("blocked")).map(AuditView::verdict),
            Ok(Some(Verdict::Blocked))
        );
        assert_eq!(
            AuditView::Budget.kinds(),
            Some(vec!["budget_check".to_string()])
        );
        assert_eq!(AuditView::Approvals.verdict(), None);
        let err = AuditView::parse(Some("denied")).unwrap_err();
        assert!(err.contains("unknown filter \"denied\""), "{err}");
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
        // No rule matched: nothing to name.
        assert_eq!(
            deciding_rule(&json!({"policy_kind": "allow", "pattern": null})),
            None
        );
        assert_eq!(deciding_rule(&json!("text")), None);
    }
}
