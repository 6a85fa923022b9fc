//! `--format table`: a simulation summary for people (a CI log, a terminal).
//!
//! ```text
//! 12 events scanned, 4 matched by the draft, 2 would change verdict
//!   allowed -> blocked   2
//!
//! TRACE  SPAN  KIND       TOOL             AGENT        RECORDED -> SIMULATED  RULE
//! t1     s1    tool_call  payments.refund  support-bot  allowed  -> blocked    #0 block payments.*
//! ```
//!
//! The rows are the summary's sample of changed events (at most 20, spread over
//! traces); a last line says how many more changed events there are.
use std::fmt::Write as _;

use serde_json::Value;

/// Cells longer than this are cut, with an ellipsis.
const MAX_CELL: usize = 48;

fn cell(value: &Value) -> String {
    let text = match value {
        Value::Null => "-".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > MAX_CELL {
        let cut: String = text.chars().take(MAX_CELL - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}

fn rule(sample: &Value) -> String {
    let rule = &sample["rule"];
    if rule.is_null() {
        return "-".to_string();
    }
    let text = format!(
        "#{} {} {}",
        cell(&rule["index"]),
        cell(&rule["action"]),
        cell(&rule["pattern"])
    );
    cell(&Value::String(text))
}

fn count(summary: &Value, key: &str) -> u64 {
    summary[key].as_u64().unwrap_or(0)
}

/// Renders rows as left-aligned columns separated by two spaces.
fn columns(rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..rows.first().map_or(0, Vec::len))
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    out
}

pub fn render(summary: &Value) -> String {
    let scanned = count(summary, "events_scanned");
    let matched = count(summary, "events_matched");
    let changed = count(summary, "events_would_have_changed");
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{scanned} event{} scanned, {matched} matched by the draft, {changed} would change verdict",
        if scanned == 1 { "" } else { "s" }
    );
    if let Some(id) = summary["simulation_id"].as_str() {
        let _ = writeln!(out, "simulation {id}");
    }
    if let Some(transitions) = summary["transitions"].as_object() {
        let rows: Vec<Vec<String>> = transitions
            .iter()
            .map(|(k, v)| vec![format!("  {}", k.replace("->", " -> ")), cell(v)])
            .collect();
        out.push_str(&columns(&rows));
    }
    expectations(&mut out, &summary["expectations"]);
    coverage(&mut out, &summary["coverage"]);
    blast_radius(&mut out, &summary["blast_radius"]);
    let flips: Vec<&Value> = summary["sample_matches"]
        .as_array()
        .map(|samples| {
            samples
                .iter()
                .filter(|s| s["recorded"] != s["simulated"])
                .collect()
        })
        .unwrap_or_default();
    if changed == 0 {
        let _ = writeln!(out, "\nNo verdict would change.");
        return out;
    }
    let mut rows = vec![vec![
        "TRACE".to_string(),
        "SPAN".to_string(),
        "TOOL".to_string(),
        "AGENT".to_string(),
        "RECORDED -> SIMULATED".to_string(),
        "RULE".to_string(),
    ]];
    for s in &flips {
        rows.push(vec![
            cell(&s["trace_id"]),
            cell(&s["span_id"]),
            cell(&s["tool"]),
            cell(&s["agent"]),
            format!("{} -> {}", cell(&s["recorded"]), cell(&s["simulated"])),
            rule(s),
        ]);
    }
    out.push('\n');
    out.push_str(&columns(&rows));
    let shown = flips.len() as u64;
    if changed > shown {
        let _ = writeln!(
            out,
            "... and {} more changed event{} (the summary samples at most {})",
            changed - shown,
            if changed - shown == 1 { "" } else { "s" },
            policy::SAMPLE_LIMIT
        );
    }
    out
}

/// Beyond the scope (server runs): the names seen lately whose verdict would change.
fn blast_radius(out: &mut String, report: &Value) {
    if report.is_null() {
        return;
    }
    let _ = writeln!(
        out,
        "\nBlast radius: {} of {} names seen in the last {} days would change verdict ({} of {} events)",
        count(report, "names_changed"),
        count(report, "names_seen"),
        count(report, "window_days"),
        count(report, "events_changed"),
        count(report, "events_seen")
    );
    let Some(changes) = report["changes"].as_array().filter(|c| !c.is_empty()) else {
        return;
    };
    let mut rows = vec![vec![
        "  NAME".to_string(),
        "AGENT".to_string(),
        "BEFORE -> AFTER".to_string(),
        "EVENTS".to_string(),
    ]];
    for c in changes {
        let events = count(c, "events").to_string();
        rows.push(vec![
            format!("  {}", cell(&c["tool"])),
            cell(&c["agent"]),
            format!("{} -> {}", cell(&c["from"]), cell(&c["to"])),
            if c["depends_on_cost"].as_bool() == Some(true) {
                format!("up to {events}")
            } else {
                events
            },
        ]);
    }
    out.push_str(&columns(&rows));
}

/// Per rule: what it decided and what it matched but another rule decided.
fn coverage(out: &mut String, report: &Value) {
    let Some(rules) = report["rules"].as_array() else {
        return;
    };
    let idle = rules.iter().filter(|r| count(r, "decided") == 0).count();
    let _ = writeln!(
        out,
        "\nCoverage: {} of {} rule{} decided events in scope",
        rules.len() - idle,
        rules.len(),
        if rules.len() == 1 { "" } else { "s" }
    );
    let mut rows = vec![vec![
        "  RULE".to_string(),
        "DECIDED".to_string(),
        "OVERRIDDEN".to_string(),
    ]];
    for r in rules {
        let decided = count(r, "decided");
        rows.push(vec![
            format!(
                "  #{} {} {}",
                cell(&r["index"]),
                cell(&r["action"]),
                cell(&r["pattern"])
            ),
            if decided == 0 {
                "nothing".to_string()
            } else {
                decided.to_string()
            },
            count(r, "overridden").to_string(),
        ]);
    }
    out.push_str(&columns(&rows));
}

/// Expectations first: the broken ones with the events that broke them and the rule
/// that decided each, then how many were kept, then changes none covers.
fn expectations(out: &mut String, report: &Value) {
    let Some(all) = report["expectations"].as_array() else {
        return;
    };
    let broken = all.iter().filter(|o| count(o, "broken") > 0).count();
    let kept = all
        .iter()
        .filter(|o| count(o, "broken") == 0 && count(o, "events") > 0)
        .count();
    let _ = writeln!(
        out,
        "\nExpectations: {broken} broken, {kept} kept, {} with nothing in scope",
        all.len() - broken - kept
    );
    let regressions = report["regressions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if !regressions.is_empty() {
        let mut rows = vec![vec![
            "REGRESSION".to_string(),
            "TRACE".to_string(),
            "SPAN".to_string(),
            "TOOL".to_string(),
            "EXPECTED".to_string(),
            "GOT".to_string(),
            "BROKEN BY".to_string(),
        ]];
        for r in &regressions {
            rows.push(vec![
                cell(&r["expectation_pattern"]),
                cell(&r["trace_id"]),
                cell(&r["span_id"]),
                cell(&r["tool"]),
                cell(&r["expected"]),
                cell(&r["simulated"]),
                rule(r),
            ]);
        }
        out.push_str(&columns(&rows));
    }
    let unreviewed = count(report, "unreviewed_changes");
    if unreviewed > 0 {
        let _ = writeln!(
            out,
            "{unreviewed} changed event{} no expectation covers (intended, or not yet reviewed)",
            if unreviewed == 1 { "" } else { "s" }
        );
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn flips_are_listed_and_unchanged_matches_are_not() {
        let summary = json!({
            "events_scanned": 3, "events_matched": 2, "events_would_have_changed": 1,
            "transitions": {"allowed->blocked": 1},
            "sample_matches": [
                {"trace_id": "t1", "span_id": "s1", "tool": "payments.refund", "agent": "support-bot",
                 "recorded": "allowed", "simulated": "blocked",
                 "rule": {"index": 0, "action": "block", "pattern": "payments.*"}},
                {"trace_id": "t2", "span_id": "s9", "tool": "payments.read", "agent": null,
                 "recorded": "blocked", "simulated": "blocked",
                 "rule": {"index": 0, "action": "block", "pattern": "payments.*"}}
            ]
        });
        let text = render(&summary);
        assert!(
            text.starts_with("3 events scanned, 2 matched by the draft, 1 would change verdict\n"),
            "{text}"
        );
        assert!(text.contains("  allowed -> blocked  1"), "{text}");
        let row = text.lines().find(|l| l.starts_with("t1")).unwrap();
        assert!(row.contains("payments.refund"), "{row}");
        assert!(row.contains("support-bot"), "{row}");
        assert!(row.contains("allowed -> blocked"), "{row}");
        assert!(row.ends_with("#0 block payments.*"), "{row}");
        assert!(
            !text.contains("s9"),
            "unchanged matches are not flips: {text}"
        );
    }

    #[test]
    fn the_blast_radius_lists_names_beyond_the_scope() {
        let text = render(&json!({"events_scanned": 1, "events_matched": 1,
            "events_would_have_changed": 0, "transitions": {}, "sample_matches": [],
            "blast_radius": {"window_days": 30, "names_seen": 9, "events_seen": 500,
                "names_changed": 1, "events_changed": 42, "changes": [
                    {"tool": "wire_transfer", "agent": "bot", "from": "allowed", "to": "blocked",
                     "events": 40, "depends_on_cost": false},
                    {"tool": "wire_transfer", "agent": null, "from": "held", "to": "blocked",
                     "events": 2, "depends_on_cost": true}]}}));
        assert!(
            text.contains("Blast radius: 1 of 9 names seen in the last 30 days would change verdict (42 of 500 events)"),
            "{text}"
        );
        let row = text
            .lines()
            .find(|l| l.contains("held -> blocked"))
            .unwrap();
        assert!(row.ends_with("up to 2"), "{row}");
    }

    #[test]
    fn nothing_changes() {
        let text = render(&json!({"events_scanned": 1, "events_matched": 0,
            "events_would_have_changed": 0, "transitions": {}, "sample_matches": []}));
        assert!(text.contains("No verdict would change."), "{text}");
    }

    #[test]
    fn regressions_come_first_with_the_rule_that_broke_them() {
        let summary = json!({"events_scanned": 2, "events_matched": 2,
            "events_would_have_changed": 2, "transitions": {"blocked->allowed": 2},
            "sample_matches": [],
            "expectations": {
                "expectations": [
                    {"trace_id": "t1", "pattern": "wire_*", "verdict": "blocked", "events": 1, "kept": 0, "broken": 1},
                    {"trace_id": "t2", "pattern": "*", "verdict": "recorded", "events": 3, "kept": 3, "broken": 0}
                ],
                "events_checked": 4, "events_broken": 1,
                "regressions": [{"trace_id": "t1", "span_id": "s1", "tool": "wire_transfer",
                    "recorded": "blocked", "simulated": "allowed", "expected": "blocked",
                    "expectation_pattern": "wire_*",
                    "rule": {"index": 0, "action": "allow", "pattern": "wire_*"}}],
                "unreviewed_changes": 1, "unreviewed_samples": []
            }
        });
        let text = render(&summary);
        let expectations = text.find("Expectations: 1 broken, 1 kept, 0 with nothing in scope");
        let changes = text.find("TRACE  SPAN  TOOL");
        assert!(expectations.is_some(), "{text}");
        assert!(expectations < changes, "expectations come first: {text}");
        let row = text.lines().find(|l| l.starts_with("wire_*")).unwrap();
        assert!(
            row.contains("t1") && row.contains("blocked") && row.contains("allowed"),
            "{row}"
        );
        assert!(row.ends_with("#0 allow wire_*"), "{row}");
        assert!(
            text.contains("1 changed event no expectation covers"),
            "{text}"
        );
    }
}
