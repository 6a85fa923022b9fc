//! Runs every case file in `tests/cases/` (the corpus the Node test reads
//! too) and lists each failing case.
#![cfg(feature = "yaml")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;

use policy::cases::run_case_file;

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
        match run_case_file(&text, None) {
            Ok(outcomes) => {
                println!("{name}: {} cases", outcomes.len());
                total += outcomes.len();
                for o in outcomes.into_iter().filter(|o| !o.passed) {
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
    let outcomes = run_case_file(yaml, None).unwrap();
    let passed: Vec<bool> = outcomes.iter().map(|o| o.passed).collect();
    assert_eq!(passed, vec![false, true, false]);
    assert!(outcomes[0].got.contains("decision=BLOCKED"));
    assert!(outcomes[2].got.contains("unknown field `tol`"));
    assert!(run_case_file("cases: {", None).is_err());
    assert!(run_case_file("tests: []", None).is_err());
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
    let outcomes = run_case_file(yaml, Some(policy::Precedence::FirstMatch)).unwrap();
    assert!(outcomes.iter().all(|o| o.passed), "{outcomes:#?}");
}
