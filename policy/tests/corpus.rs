//! Runs every case file in `tests/cases/` (the corpus the Node test reads
//! too) and lists each failing case.
#![cfg(feature = "yaml")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;

use policy::cases::{run_case_file, strip_mcp_prefix, CaseOptions, CaseStatus};

#[test]
fn case_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("tests/cases exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    let mut total = 0;
    let mut failures = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = fs::read_to_string(file).unwrap();
        match run_case_file(&text, &CaseOptions::default()) {
            Ok(outcomes) => {
                println!("{name}: {} cases", outcomes.len());
                total += outcomes.len();
                for o in outcomes.into_iter().filter(|o| !o.passed()) {
                    failures.push(format!(
                        "{name} / {}\n    expected: {}\n    got:      {}",
                        o.id, o.expected, o.got
                    ));
                }
            }
            Err(e) => failures.push(format!("{name}: unreadable: {e}")),
        }
    }
    println!("{total} cases in {} files", files.len());
    assert!(total > 0, "no cases found in {}", dir.display());
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn driver_reports_failures_and_bad_files() {
    let yaml = r#"
cases:
  - id: wrong
    policy: [{pattern: "a", action: block}]
    tool: a
    expect: {decision: ALLOWED, rule: null}
  - id: ok
    policy: [{pattern: "a", action: audit}]
    tool: a
    expect: {decision: AUDIT, rule: a, rule_kind: audit}
  - id: typo
    policy: []
    tol: a
    expect: {decision: ALLOWED}
"#;
    let outcomes = run_case_file(yaml, &CaseOptions::default()).unwrap();
    let passed: Vec<bool> = outcomes.iter().map(|o| o.passed()).collect();
    assert_eq!(passed, vec![false, true, false]);
    assert!(outcomes[0].got.contains("decision=BLOCKED"));
    assert!(outcomes[2].got.contains("unknown field `tol`"));
    assert!(run_case_file("cases: {", &CaseOptions::default()).is_err());
    assert!(run_case_file("tests: []", &CaseOptions::default()).is_err());
}

#[test]
fn default_precedence_applies_only_when_unstated() {
    let yaml = r#"
cases:
  - id: unstated
    policy: [{pattern: "*", action: block}, {pattern: "a", action: allow}]
    tool: a
    expect: {decision: BLOCKED, rule_index: 0}
  - id: stated
    policy: {precedence: last_match, rules: [{pattern: "*", action: block}, {pattern: "a", action: allow}]}
    tool: a
    expect: {decision: ALLOWED}
"#;
    let outcomes = run_case_file(
        yaml,
        &CaseOptions {
            default_precedence: Some(policy::Precedence::FirstMatch),
            mcp_prefix_strip: false,
        },
    )
    .unwrap();
    assert!(outcomes.iter().all(|o| o.passed()), "{outcomes:#?}");
}

#[test]
fn conformance_files_read_unchanged() {
    // The shape of JamJet's conformance suite: a top-level version, first-match
    // policies that do not say so, and adapter cases behind a flag.
    let yaml = r#"
version: 1
cases:
  - id: first-wins
    policy: {version: 1, rules: [{match: "*", action: allow}, {match: "*drop*", action: block}]}
    tool: db.drop_table
    expect: {decision: ALLOWED, rule: "*", rule_kind: allow}
  - id: adapter-strips-prefix
    requires_mcp_prefix_strip: true
    policy: {version: 1, rules: [{match: "files.*", action: block}]}
    tool: mcp__disk__files.remove
    expect: {decision: BLOCKED, rule: "files.*", rule_kind: block}
"#;
    let statuses = |options: CaseOptions| -> Vec<CaseStatus> {
        run_case_file(yaml, &options)
            .unwrap()
            .iter()
            .map(|o| o.status)
            .collect()
    };
    assert_eq!(
        statuses(CaseOptions::default()),
        vec![CaseStatus::Failed, CaseStatus::Skipped],
        "last_match by default; the adapter case is skipped, never passed"
    );
    assert_eq!(
        statuses(CaseOptions {
            default_precedence: Some(policy::Precedence::FirstMatch),
            mcp_prefix_strip: true,
        }),
        vec![CaseStatus::Passed, CaseStatus::Passed]
    );
    let err = run_case_file("version: 2\ncases: []", &CaseOptions::default()).unwrap_err();
    assert!(err.contains("unsupported case file version 2"), "{err}");
    let bad = "cases:\n  - {id: x, requires_mcp_prefix_strip: yes please, policy: [], tool: a, expect: {decision: ALLOWED}}";
    let outcome = &run_case_file(bad, &CaseOptions::default()).unwrap()[0];
    assert_eq!(outcome.status, CaseStatus::Failed);
    assert!(
        outcome.got.contains("must be true or false"),
        "{}",
        outcome.got
    );
}

#[test]
fn mcp_prefixes_strip_only_when_well_formed() {
    assert_eq!(
        strip_mcp_prefix("mcp__postgres__database.delete_x"),
        "database.delete_x"
    );
    assert_eq!(strip_mcp_prefix("mcp__a__b__c"), "b__c");
    for unchanged in [
        "database.read",
        "mcp__",
        "mcp____x",
        "mcp__server__",
        "mcp_x__y",
        "MCP__a__b",
    ] {
        assert_eq!(strip_mcp_prefix(unchanged), unchanged);
    }
}
