//! `preflight policy test | eval | simulate`, run as a user would: the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn preflight(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args(args)
        .output()
        .expect("run preflight")
}

fn corpus_files() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policy/tests/cases");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().to_string())
        .filter(|p| p.ends_with(".yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus files");
    files
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("preflight-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn policy_test_passes_the_whole_corpus() {
    let files = corpus_files();
    let mut args = vec!["policy", "test"];
    args.extend(files.iter().map(String::as_str));
    let out = preflight(&args);
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = text.lines().last().unwrap();
    let passed: usize = last.split(' ').next().unwrap().parse().unwrap();
    assert!(passed >= 50, "{last}");
    assert!(last.ends_with(" passed, 0 failed"), "{last}");
}

#[test]
fn policy_test_reports_failures_and_exits_1() {
    let cases = temp_file(
        "failing.yaml",
        r#"
cases:
  - id: right
    policy: {version: 1, rules: [{match: "payments.*", action: block}]}
    tool: payments.refund
    expect: {decision: BLOCKED, rule: "payments.*", rule_kind: block}
  - id: wrong-on-purpose
    policy: {version: 1, rules: [{match: "payments.*", action: block}]}
    tool: payments.refund
    expect: {decision: ALLOWED, rule: null, rule_kind: null}
"#,
    );
    let out = preflight(&["policy", "test", cases.to_str().unwrap()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("wrong-on-purpose"), "{text}");
    assert!(text.contains("BLOCKED"), "got side printed: {text}");
    assert_eq!(text.lines().last().unwrap(), "1 passed, 1 failed");
}

#[test]
fn policy_test_honours_first_match_for_jamjet_suites() {
    let cases = temp_file(
        "jamjet.yaml",
        r#"
cases:
  - id: first-match-wins
    policy: {version: 1, rules: [{match: "*", action: allow}, {match: "*delete*", action: block}]}
    tool: database.delete_x
    expect: {decision: ALLOWED, rule: "*", rule_kind: allow}
"#,
    );
    let path = cases.to_str().unwrap();
    assert_eq!(
        preflight(&["policy", "test", path]).status.code(),
        Some(1),
        "last_match is the default"
    );
    let out = preflight(&[
        "policy",
        "test",
        "--default-precedence",
        "first_match",
        path,
    ]);
    assert!(out.status.success(), "{}", stdout(&out));
}

#[test]
fn policy_test_exits_2_on_unreadable_files() {
    let out = preflight(&["policy", "test", "/nonexistent/cases.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
    let garbage = temp_file("garbage.yaml", "cases: [unclosed");
    assert_eq!(
        preflight(&["policy", "test", garbage.to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn policy_eval_prints_one_verdict_per_event() {
    let policy = temp_file(
        "policy.yaml",
        "version: 1\nrules:\n  - {match: \"payments.*\", action: block}\n  - {match: payments.read, action: allow}\n",
    );
    let events = temp_file(
        "events.jsonl",
        "{\"tool\": \"payments.read\"}\n\n{\"name\": \"payments.delete\", \"agent_name\": \"bot\"}\n{\"tool\": \"search\"}\n",
    );
    let out = preflight(&[
        "policy",
        "eval",
        "--policy",
        policy.to_str().unwrap(),
        "--events",
        events.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["verdict"], "allowed");
    assert_eq!(lines[0]["rule"]["pattern"], "payments.read");
    assert_eq!(lines[1]["verdict"], "blocked");
    assert_eq!(lines[1]["decision"], "BLOCKED");
    assert_eq!(lines[2]["rule"], serde_json::Value::Null);
}

#[test]
fn policy_simulate_prints_the_summary() {
    let draft = temp_file(
        "draft.json",
        r#"{"kind": "block", "pattern": "openai.gpt-4o-mini"}"#,
    );
    let events = temp_file(
        "recorded.jsonl",
        concat!(
            r#"{"kind": "llm_call", "tool": "openai.gpt-4o-mini", "trace_id": "t1", "span_id": "s1", "recorded": "allowed"}"#,
            "\n",
            r#"{"kind": "tool_call", "tool": "payments.refund", "trace_id": "t2", "span_id": "s2", "recorded": "allowed"}"#,
            "\n",
        ),
    );
    let out = preflight(&[
        "policy",
        "simulate",
        "--draft",
        draft.to_str().unwrap(),
        "--events",
        events.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(summary["events_scanned"], 2);
    assert_eq!(summary["events_matched"], 1);
    assert_eq!(summary["events_would_have_changed"], 1);
    assert_eq!(summary["transitions"]["allowed->blocked"], 1);
}

#[test]
fn bad_drafts_and_events_are_explained() {
    let draft = temp_file("bad-draft.json", r#"{"kind": "deny", "pattern": "x"}"#);
    let events = temp_file("ok.jsonl", "");
    let out = preflight(&[
        "policy",
        "simulate",
        "--draft",
        draft.to_str().unwrap(),
        "--events",
        events.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("kind: unknown kind \"deny\""));
    let good = temp_file("good-draft.json", r#"{"kind": "block", "pattern": "x"}"#);
    let broken = temp_file("broken.jsonl", "{\"tool\": \"x\"}\nnot json\n");
    let out = preflight(&[
        "policy",
        "simulate",
        "--draft",
        good.to_str().unwrap(),
        "--events",
        broken.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.jsonl:2"));

    // `name` and `tool` that disagree (with no payload saying which tool was called)
    // are refused, naming the line and both values.
    let ambiguous = temp_file(
        "ambiguous.jsonl",
        "{\"name\": \"x\", \"tool\": \"x\"}\n{\"kind\": \"tool_call\", \"name\": \"shell.exec\", \"tool\": \"x\"}\n",
    );
    let out = preflight(&[
        "policy",
        "simulate",
        "--draft",
        good.to_str().unwrap(),
        "--events",
        ambiguous.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ambiguous.jsonl:2"), "{stderr}");
    assert!(!stderr.contains("ambiguous.jsonl:1"), "{stderr}");
    assert!(
        stderr.contains("`name` (\"shell.exec\") and `tool` (\"x\") disagree"),
        "{stderr}"
    );
}

#[test]
fn projects_and_keys_from_the_command_line() {
    let db = format!("sqlite://{}", temp_file("admin.db", "").display());
    std::fs::remove_file(db.trim_start_matches("sqlite://")).unwrap();
    let out = preflight(&["project", "create", "support", "--database-url", &db]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first_key = stdout(&out).lines().last().unwrap().to_string();
    assert!(first_key.starts_with("jj_"), "{first_key}");

    let again = preflight(&["project", "create", "support", "--database-url", &db]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let out = preflight(&[
        "key",
        "create",
        "--project",
        "support",
        "--database-url",
        &db,
    ]);
    assert!(out.status.success());
    let second_key = stdout(&out).lines().last().unwrap().to_string();
    assert_ne!(first_key, second_key);

    let listed = stdout(&preflight(&[
        "key",
        "list",
        "--project",
        "support",
        "--database-url",
        &db,
    ]));
    let rows: Vec<&str> = listed.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{listed}");
    assert!(
        !listed.contains(&first_key),
        "keys are listed by prefix only"
    );
    assert!(listed.contains(&first_key[..10]), "{listed}");

    let key_id = rows[0].split('\t').next().unwrap();
    let out = preflight(&[
        "key",
        "revoke",
        "--project",
        "support",
        key_id,
        "--database-url",
        &db,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = stdout(&preflight(&[
        "key",
        "list",
        "--project",
        "support",
        "--database-url",
        &db,
    ]));
    assert_eq!(
        listed.lines().filter(|l| l.ends_with("\t-")).count(),
        1,
        "one key left active: {listed}"
    );

    let missing = preflight(&["key", "list", "--project", "nope", "--database-url", &db]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no project named"));
}

#[test]
fn dashboard_accounts_from_the_command_line() {
    let db = format!("sqlite://{}", temp_file("users.db", "").display());
    std::fs::remove_file(db.trim_start_matches("sqlite://")).unwrap();
    assert!(
        preflight(&["project", "create", "support", "--database-url", &db])
            .status
            .success()
    );
    let out = preflight(&[
        "user",
        "create",
        "--email",
        "Vic@Example.com",
        "--role",
        "viewer",
        "--project",
        "support",
        "--database-url",
        &db,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    let generated = text.lines().last().unwrap();
    assert!(generated.len() >= 20, "a generated password: {text}");
    assert!(text.contains("shown once"));

    let again = preflight(&[
        "user",
        "create",
        "--email",
        "vic@example.com",
        "--database-url",
        &db,
    ]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));

    let unknown_project = preflight(&[
        "user",
        "create",
        "--email",
        "x@example.com",
        "--project",
        "nope",
        "--database-url",
        &db,
    ]);
    assert!(!unknown_project.status.success());
    assert!(String::from_utf8_lossy(&unknown_project.stderr).contains("no project named"));

    let mut short = Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args([
            "user",
            "create",
            "--email",
            "y@example.com",
            "--password-stdin",
        ])
        .args(["--database-url", &db])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(short.stdin.as_mut().unwrap(), b"short\n").unwrap();
    let short = short.wait_with_output().unwrap();
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));

    let listed = stdout(&preflight(&["user", "list", "--database-url", &db]));
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(
        listed.contains("vic@example.com\tviewer\tproj_"),
        "{listed}"
    );
}

#[test]
fn policy_test_runs_conformance_shaped_files_unchanged() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/conformance-shape.yaml");
    let path = path.to_str().unwrap();
    let out = preflight(&[
        "policy",
        "test",
        "--precedence",
        "first_match",
        "--mcp-prefix-strip",
        path,
    ]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert_eq!(text.lines().last().unwrap(), "9 passed, 0 failed");

    // Without the flag the adapter case is skipped, never passed.
    let out = preflight(&["policy", "test", "--precedence", "first_match", path]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("SKIP") && text.contains("mcp-prefix-stripped-before-matching"),
        "{text}"
    );
    assert_eq!(
        text.lines().last().unwrap(),
        "8 passed, 0 failed, 1 skipped"
    );

    // The suite assumes first match: under the documented default it fails.
    let out = preflight(&["policy", "test", "--mcp-prefix-strip", path]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("earlier-allow-beats-later-block"));
}

#[test]
fn policy_simulate_reports_coverage_on_request() {
    let draft = temp_file(
        "coverage-draft.yaml",
        "version: 1\nrules:\n  - {match: \"payments.*\", action: block}\n  - {match: payments.read, action: allow}\n  - {match: \"never.*\", action: block}\n",
    );
    let events = temp_file(
        "coverage-events.jsonl",
        "{\"tool\": \"payments.refund\", \"trace_id\": \"t\", \"span_id\": \"a\"}\n{\"tool\": \"payments.read\", \"trace_id\": \"t\", \"span_id\": \"b\"}\n{\"tool\": \"search\", \"trace_id\": \"t\", \"span_id\": \"c\"}\n",
    );
    let (draft, events) = (draft.to_str().unwrap(), events.to_str().unwrap());
    let args = ["policy", "simulate", "--draft", draft, "--events", events];
    let plain: serde_json::Value = serde_json::from_str(&stdout(&preflight(&args))).unwrap();
    assert!(plain.get("coverage").is_none(), "only on request: {plain}");

    let out = preflight(&[&args[..], &["--coverage"]].concat());
    assert!(out.status.success());
    let summary: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let rules = summary["coverage"]["rules"].as_array().unwrap();
    let counts: Vec<(u64, u64)> = rules
        .iter()
        .map(|r| {
            (
                r["decided"].as_u64().unwrap(),
                r["overridden"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counts, [(1, 1), (1, 0), (0, 0)], "{summary}");

    let out = preflight(&[&args[..], &["--coverage", "--format", "table"]].concat());
    let table = stdout(&out);
    assert!(
        table.contains("Coverage: 2 of 3 rules decided events in scope"),
        "{table}"
    );
    let idle = table.lines().find(|l| l.contains("never.*")).unwrap();
    assert_eq!(
        idle.split_whitespace().collect::<Vec<_>>(),
        ["#2", "block", "never.*", "nothing", "0"],
        "{table}"
    );
}

#[test]
fn rollups_check_finds_drift_and_repairs_it() {
    let db = format!("sqlite://{}", temp_file("rollups.db", "").display());
    std::fs::remove_file(db.trim_start_matches("sqlite://")).unwrap();
    let demo = preflight(&["demo", "--database-url", &db]);
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let check = |extra: &[&str]| {
        let mut args = vec!["rollups", "check", "--database-url", db.as_str()];
        args.extend_from_slice(extra);
        preflight(&args)
    };
    let clean = check(&[]);
    assert!(
        clean.status.success(),
        "{}",
        String::from_utf8_lossy(&clean.stderr)
    );
    assert!(
        stdout(&clean).contains("rollups agree with the events"),
        "{}",
        stdout(&clean)
    );

    // Counts changed behind the store's back are found, then rebuilt from the events.
    let path = db.trim_start_matches("sqlite://").to_string();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::{Connection, Executor};
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{path}"))
            .await
            .unwrap();
        conn.execute("UPDATE event_rollups SET events = events + 5 WHERE rowid IN (SELECT rowid FROM event_rollups LIMIT 2)")
            .await
            .unwrap();
        conn.close().await.unwrap();
    });
    let drifted = check(&[]);
    assert_eq!(drifted.status.code(), Some(1));
    assert!(
        stdout(&drifted).contains("2 rollup rows disagree"),
        "{}",
        stdout(&drifted)
    );
    assert!(String::from_utf8_lossy(&drifted.stderr).contains("--repair"));
    let repaired = check(&["--repair"]);
    assert!(
        repaired.status.success(),
        "{}",
        String::from_utf8_lossy(&repaired.stderr)
    );
    assert!(check(&[]).status.success());
}
