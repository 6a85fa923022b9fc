//! The words the server, the CLI and the browser share about recorded events:
//! which kinds of event there are, which of them the simulator judges, which
//! belong in the audit log, the time windows pages and simulations are scoped
//! to, and the audit log's filters. Each is defined here once (they were
//! string lists in six places), and here because the browser needs them too.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::model::Verdict;

/// A span kind as the JamJet SDKs send it (`kind` on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    LlmCall,
    ToolCall,
    McpToolCall,
    PolicyDecision,
    Approval,
    BudgetCheck,
    Error,
    Custom,
    AgentCall,
}

impl EventKind {
    /// Every kind, in the order error messages list them.
    pub const ALL: [EventKind; 9] = [
        EventKind::LlmCall,
        EventKind::ToolCall,
        EventKind::McpToolCall,
        EventKind::PolicyDecision,
        EventKind::Approval,
        EventKind::BudgetCheck,
        EventKind::Error,
        EventKind::Custom,
        EventKind::AgentCall,
    ];

    /// The calls a policy decides, and so the only kinds the simulator scans.
    pub const CALLS: [EventKind; 3] = [
        EventKind::ToolCall,
        EventKind::LlmCall,
        EventKind::McpToolCall,
    ];

    /// Kinds that belong in the audit log whatever their verdict.
    pub const AUDIT: [EventKind; 3] = [
        EventKind::PolicyDecision,
        EventKind::Approval,
        EventKind::BudgetCheck,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::LlmCall => "llm_call",
            EventKind::ToolCall => "tool_call",
            EventKind::McpToolCall => "mcp_tool_call",
            EventKind::PolicyDecision => "policy_decision",
            EventKind::Approval => "approval",
            EventKind::BudgetCheck => "budget_check",
            EventKind::Error => "error",
            EventKind::Custom => "custom",
            EventKind::AgentCall => "agent_call",
        }
    }

    /// The kind named `text`, if it is one.
    pub fn parse(text: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Is this a call a policy decides (tool, LLM or MCP tool)?
    pub fn is_call(self) -> bool {
        EventKind::CALLS.contains(&self)
    }

    /// Is every event of this kind an audit event?
    pub fn is_audit(self) -> bool {
        EventKind::AUDIT.contains(&self)
    }

    /// The accepted names, for error messages.
    pub fn expected() -> String {
        EventKind::ALL.map(EventKind::as_str).join(", ")
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventKind::parse(s).ok_or_else(|| {
            format!(
                "unknown kind {s:?}; expected one of {}",
                EventKind::expected()
            )
        })
    }
}

/// Is the stored kind `kind` (a string, as stored) a call the simulator judges?
pub fn is_call_kind(kind: &str) -> bool {
    EventKind::parse(kind).is_some_and(EventKind::is_call)
}

/// The audit log's rule, the one definition of it: an event is policy-relevant when
/// its kind is an audit kind, when its verdict is anything but `allowed`, or when it
/// carries recorded policy decisions (`has_decisions`).
pub fn policy_relevant(kind: &str, verdict: Verdict, has_decisions: bool) -> bool {
    EventKind::parse(kind).is_some_and(EventKind::is_audit)
        || verdict != Verdict::Allowed
        || has_decisions
}

const HOUR_MICROS: i64 = 3_600_000_000;
const DAY_MICROS: i64 = 24 * HOUR_MICROS;

/// A time window ending now (`?range=`, the simulator's window, the policies
/// page's preview), parsed in this one place.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TimeWindow {
    #[serde(rename = "1h")]
    Hour,
    #[default]
    #[serde(rename = "24h")]
    Day,
    #[serde(rename = "7d")]
    Week,
    #[serde(rename = "30d")]
    Month,
    #[serde(rename = "all")]
    All,
}

impl TimeWindow {
    pub const ALL: [TimeWindow; 5] = [
        TimeWindow::Hour,
        TimeWindow::Day,
        TimeWindow::Week,
        TimeWindow::Month,
        TimeWindow::All,
    ];

    /// The value in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeWindow::Hour => "1h",
            TimeWindow::Day => "24h",
            TimeWindow::Week => "7d",
            TimeWindow::Month => "30d",
            TimeWindow::All => "all",
        }
    }

    /// The window named `text` (`1h`, `24h`, `7d`, `30d`, `all`); the error says
    /// which were expected, naming `field`.
    pub fn parse(field: &str, text: &str) -> Result<TimeWindow, String> {
        let text = text.trim();
        TimeWindow::ALL
            .into_iter()
            .find(|w| w.as_str() == text)
            .ok_or_else(|| {
                format!("{field}: unknown {field} {text:?}; expected 1h, 24h, 7d, 30d or all")
            })
    }

    /// "the last 7 days", for headlines.
    pub fn label(self) -> &'static str {
        match self {
            TimeWindow::Hour => "the last hour",
            TimeWindow::Day => "the last 24 hours",
            TimeWindow::Week => "the last 7 days",
            TimeWindow::Month => "the last 30 days",
            TimeWindow::All => "all recorded time",
        }
    }

    /// How long the window is; `None` for `all`.
    pub fn span_micros(self) -> Option<i64> {
        match self {
            TimeWindow::Hour => Some(HOUR_MICROS),
            TimeWindow::Day => Some(DAY_MICROS),
            TimeWindow::Week => Some(7 * DAY_MICROS),
            TimeWindow::Month => Some(30 * DAY_MICROS),
            TimeWindow::All => None,
        }
    }

    /// The window's start when it ends at `now_micros`; `None` for `all`.
    pub fn since(self, now_micros: i64) -> Option<i64> {
        self.span_micros().map(|s| now_micros.saturating_sub(s))
    }
}

impl fmt::Display for TimeWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The audit log's filter chips (`?filter=`), shared by the page, its export and
/// the service that reads the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
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

    /// The verdict this view filters on.
    pub fn verdict(self) -> Option<Verdict> {
        match self {
            AuditView::Verdict(v) => Some(v),
            _ => None,
        }
    }

    /// The kind this view filters on.
    pub fn kind(self) -> Option<EventKind> {
        match self {
            AuditView::Approvals => Some(EventKind::Approval),
            AuditView::Budget => Some(EventKind::BudgetCheck),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_classify() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
            assert_eq!(k.as_str().parse::<EventKind>(), Ok(k));
            let json = serde_json::to_value(k).unwrap_or_default();
            assert_eq!(json, serde_json::json!(k.as_str()));
        }
        assert!(EventKind::parse("tool").is_none());
        assert!("span"
            .parse::<EventKind>()
            .is_err_and(|e| e.contains("expected one of llm_call")));
        assert!(is_call_kind("mcp_tool_call"));
        assert!(!is_call_kind("policy_decision"));
        assert!(!is_call_kind("anything"));
    }

    #[test]
    fn the_audit_rule() {
        assert!(policy_relevant("approval", Verdict::Allowed, false));
        assert!(policy_relevant("budget_check", Verdict::Allowed, false));
        assert!(policy_relevant("tool_call", Verdict::Held, false));
        assert!(policy_relevant("tool_call", Verdict::Allowed, true));
        assert!(!policy_relevant("tool_call", Verdict::Allowed, false));
        assert!(!policy_relevant("not_a_kind", Verdict::Allowed, false));
    }

    #[test]
    fn windows() {
        for w in TimeWindow::ALL {
            assert_eq!(TimeWindow::parse("range", w.as_str()), Ok(w));
            let json = serde_json::to_value(w).unwrap_or_default();
            assert_eq!(json, serde_json::json!(w.as_str()));
        }
        assert_eq!(TimeWindow::parse("range", " 7d "), Ok(TimeWindow::Week));
        let err = TimeWindow::parse("window", "1y").unwrap_err();
        assert!(err.starts_with("window: unknown window \"1y\""), "{err}");
        assert_eq!(TimeWindow::All.since(100), None);
        assert_eq!(TimeWindow::Hour.since(HOUR_MICROS + 5), Some(5));
        assert_eq!(TimeWindow::Month.span_micros(), Some(30 * DAY_MICROS));
    }

    #[test]
    fn audit_views() {
        assert_eq!(AuditView::parse(None), Ok(AuditView::All));
        for chip in AuditView::CHIPS {
            assert_eq!(AuditView::parse(Some(chip.as_str())), Ok(chip));
        }
        assert_eq!(
            AuditView::parse(Some("blocked")).map(AuditView::verdict),
            Ok(Some(Verdict::Blocked))
        );
        assert_eq!(AuditView::Budget.kind(), Some(EventKind::BudgetCheck));
        assert_eq!(AuditView::Approvals.verdict(), None);
        let err = AuditView::parse(Some("denied")).unwrap_err();
        assert!(err.contains("unknown filter \"denied\""), "{err}");
    }
}
