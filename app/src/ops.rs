//! Pure logic behind the operations pages (home, audit, approvals, settings): time
//! ranges and the chart's buckets and scale, the audit log's filters, and what an
//! audit row shows as its tool and deciding rule. No IO, so the server, the browser
//! and the export route compute the same thing, and it is tested here.
use policy::Verdict;
use serde_json::Value;

const HOUR: i64 = 3_600_000_000;
const DAY: i64 = 24 * HOUR;

/// The home page's time range (`?range=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Range {
    #[default]
    Day,
    Week,
    Month,
}

impl Range {
    pub const ALL: [Range; 3] = [Range::Day, Range::Week, Range::Month];

    /// `24h` (also the default for a missing or empty value), `7d`, `30d`.
    pub fn parse(value: Option<&str>) -> Result<Range, String> {
        match value.map(str::trim).unwrap_or("") {
            "" | "24h" => Ok(Range::Day),
            "7d" => Ok(Range::Week),
            "30d" => Ok(Range::Month),
            other => Err(format!(
                "range: unknown range {other:?}; expected 24h, 7d or 30d"
            )),
        }
    }

    /// The value in URLs; the traces page understands the same words.
    pub fn as_str(self) -> &'static str {
        match self {
            Range::Day => "24h",
            Range::Week => "7d",
            Range::Month => "30d",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Range::Day => "last 24 hours",
            Range::Week => "last 7 days",
            Range::Month => "last 30 days",
        }
    }

    pub fn span_micros(self) -> i64 {
        match self {
            Range::Day => DAY,
            Range::Week => 7 * DAY,
            Range::Month => 30 * DAY,
        }
    }

    /// Bars in the chart: an hour each over a day, six hours over a week, a day over
    /// a month.
    pub fn buckets(self) -> Buckets {
        match self {
            Range::Day => Buckets::new(HOUR, 24),
            Range::Week => Buckets::new(6 * HOUR, 28),
            Range::Month => Buckets::new(DAY, 30),
        }
    }
}

/// Equal time buckets ending at `now`: bucket `i` covers
/// `[now - (count - i) × width, now - (count - i - 1) × width)`, the last one ending
/// just after `now`. Not aligned to the clock, so the chart covers exactly the range the
/// counts (and the traces page's `range=`) cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buckets {
    pub width_micros: i64,
    pub count: usize,
}

impl Buckets {
    pub fn new(width_micros: i64, count: usize) -> Self {
        Buckets {
            width_micros: width_micros.max(1),
            count: count.max(1),
        }
    }

    fn span(self) -> i64 {
        self.width_micros
            .saturating_mul(i64::try_from(self.count).unwrap_or(i64::MAX))
    }

    /// Start of the first bucket (inclusive).
    pub fn start(self, now_micros: i64) -> i64 {
        now_micros.saturating_add(1).saturating_sub(self.span())
    }

    /// The bucket holding `ts`, or `None` outside `[start, now]`.
    pub fn index(self, now_micros: i64, ts_micros: i64) -> Option<usize> {
        let start = self.start(now_micros);
        if ts_micros < start || ts_micros > now_micros {
            return None;
        }
        let i = usize::try_from((ts_micros - start) / self.width_micros).ok()?;
        Some(i.min(self.count - 1))
    }

    /// Start of bucket `i`.
    pub fn bucket_start(self, now_micros: i64, i: usize) -> i64 {
        let i = i64::try_from(i).unwrap_or(i64::MAX);
        self.start(now_micros)
            .saturating_add(self.width_micros.saturating_mul(i))
    }
}

/// The top of a chart's y axis: the smallest 1, 2 or 5 × 10ⁿ at or above `max` (at
/// least 1), so gridlines fall on round numbers.
pub fn nice_ceiling(max: f64) -> f64 {
    if !max.is_finite() || max <= 1.0 {
        return 1.0;
    }
    let mut step = 1.0;
    loop {
        for m in [1.0, 2.0, 5.0] {
            if m * step >= max * (1.0 - 1e-9) {
                return m * step;
            }
        }
        step *= 10.0;
        if step > 1e15 {
            return max;
        }
    }
}

/// One bar's segments, bottom up in the fixed verdict order: `(verdict, y, height)` in
/// a plot `height` tall whose top stands for `ceiling` events. Zero counts draw nothing.
pub fn stack(counts: &[i64; 5], ceiling: f64, height: f64) -> Vec<(Verdict, f64, f64)> {
    let mut out = Vec::new();
    if ceiling <= 0.0 {
        return out;
    }
    let mut bottom = height;
    for (v, n) in Verdict::ALL.into_iter().zip(counts.iter()) {
        if *n <= 0 {
            continue;
        }
        let h = (*n as f64) / ceiling * height;
        bottom -= h;
        out.push((v, bottom, h));
    }
    out
}

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
    fn ranges_parse_and_round_trip() {
        assert_eq!(Range::parse(None), Ok(Range::Day));
        assert_eq!(Range::parse(Some("")), Ok(Range::Day));
        for r in Range::ALL {
            assert_eq!(Range::parse(Some(r.as_str())), Ok(r));
        }
        let err = Range::parse(Some("1y")).unwrap_err();
        assert!(err.starts_with("range: unknown range \"1y\""), "{err}");
        assert_eq!(Range::Week.span_micros(), 7 * DAY);
    }

    #[test]
    fn buckets_cover_exactly_the_range() {
        let now = 1_700_000_000_000_000;
        for r in Range::ALL {
            let b = r.buckets();
            assert_eq!(
                b.width_micros * i64::try_from(b.count).unwrap(),
                r.span_micros()
            );
            // The range's first and last microseconds land in the first and last bucket.
            let since = now - r.span_micros() + 1;
            assert_eq!(b.start(now), since);
            assert_eq!(b.index(now, since), Some(0));
            assert_eq!(b.index(now, now), Some(b.count - 1));
            assert_eq!(b.index(now, since - 1), None);
            assert_eq!(b.index(now, now + 1), None);
        }
        let b = Range::Day.buckets();
        assert_eq!(b.count, 24);
        // Half an hour ago is in the last hourly bucket, 90 minutes ago in the one before.
        assert_eq!(b.index(now, now - HOUR / 2), Some(23));
        assert_eq!(b.index(now, now - 3 * HOUR / 2), Some(22));
        assert_eq!(b.bucket_start(now, 23), now + 1 - HOUR);
        assert_eq!(Range::Week.buckets().count, 28);
        assert_eq!(Range::Month.buckets().count, 30);
    }

    #[test]
    fn degenerate_buckets_do_not_panic() {
        let b = Buckets::new(0, 0);
        assert_eq!(b.count, 1);
        assert_eq!(b.index(10, 10), Some(0));
        assert_eq!(b.index(i64::MAX, i64::MIN), None);
    }

    #[test]
    fn nice_ceilings() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(f64::NAN), 1.0);
        assert_eq!(nice_ceiling(1.0), 1.0);
        assert_eq!(nice_ceiling(1.5), 2.0);
        assert_eq!(nice_ceiling(3.0), 5.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(10.0), 10.0);
        assert_eq!(nice_ceiling(11.0), 20.0);
        assert_eq!(nice_ceiling(480.0), 500.0);
        assert_eq!(nice_ceiling(501.0), 1000.0);
    }

    #[test]
    fn bars_stack_bottom_up_in_verdict_order() {
        // 4 allowed, 0 blocked, 1 held on a 10-event axis 100 px tall.
        let segs = stack(&[4, 0, 1, 0, 0], 10.0, 100.0);
        assert_eq!(segs.len(), 2);
        assert_eq!(segs[0], (Verdict::Allowed, 60.0, 40.0));
        assert_eq!(segs[1], (Verdict::Held, 50.0, 10.0));
        assert!(stack(&[0; 5], 10.0, 100.0).is_empty());
        assert!(stack(&[3; 5], 0.0, 100.0).is_empty());
        // A full bar reaches the top exactly.
        let full = stack(&[2, 3, 0, 0, 5], 10.0, 80.0);
        assert!(full.last().is_some_and(|s| s.1.abs() < 1e-9));
    }

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
