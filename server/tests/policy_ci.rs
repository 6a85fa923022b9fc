//! Policy CI from the command line, as a pipeline would run it: a real server, then
//! `preflight dataset export` → `dataset import` elsewhere → `policy simulate` locally
//! and against both servers, which must agree number for number.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::Command;

use serde_json::{json, Value};
use support::{
    create_key, create_project, preflight, scratch, sqlite_url, stderr, stdout, Api, Server,
};

fn span(trace: &str, span: &str, kind: &str, name: &str, second: u32, extra: Value) -> Value {
    let mut event = json!({
        "type": "span", "trace_id": trace, "span_id": span, "kind": kind, "name": name,
        "sequence": 1, "timestamp": format!("2026-11-01T10:00:{second:02}.250Z"), "status": "ok",
        "agent_name": "support-bot", "session_id": format!("sess-{trace}"),
    });
    for (k, v) in extra.as_object().unwrap() {
        event[k] = v.clone();
    }
    event
}

fn recorded_events() -> Value {
    json!({"events": [
        span("t1", "a", "agent_call", "support-bot", 0, json!({"sequence": 0})),
        span("t1", "b", "llm_call", "openai.gpt-4o-mini", 1, json!({"parent_span_id": "a", "cost_usd": 0.002,
            "model": "gpt-4o-mini", "input_tokens": 100, "output_tokens": 20})),
        span("t1", "c", "tool_call", "call_tool", 2, json!({"parent_span_id": "a",
            "payload": {"tool": "payments.refund", "tool_input": {"amount": 20}}, "cost_usd": 0.0})),
        span("t2", "d", "tool_call", "payments.refund", 3, json!({"status": "blocked", "agent_name": "billing-bot"})),
        span("t2", "e", "tool_call", "crm.lookup", 4, json!({"status": "error"})),
        span("t2", "f", "mcp_tool_call", "payments.read", 5, json!({"end_user_email": "a@example.com"})),
        span("t3", "g", "tool_call", "payments.refund", 6, json!({})),
    ]})
}

fn write(dir: &std::path::Path, name: &str, contents: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_string_lossy().to_string()
}

/// `policy simulate` against a server; the key from the environment.
fn simulate_remote(server: &str, key: &str, draft: &str, extra: &[&str]) -> std::process::Output {
    Command::new(support::bin())
        .args([
            "policy",
            "simulate",
            "--draft",
            draft,
            "--server",
            server,
            "--dataset",
            "refunds",
        ])
        .args(extra)
        .env("PREFLIGHT_API_KEY", key)
        .output()
        .unwrap()
}

fn summary(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}\n{}\n{}",
        out.status.code(),
        stdout(out),
        stderr(out)
    );
    serde_json::from_str(&stdout(out)).unwrap()
}

/// What must be identical wherever a draft is replayed.
fn numbers(summary: &Value) -> Value {
    json!({
        "events_scanned": summary["events_scanned"],
        "events_matched": summary["events_matched"],
        "events_would_have_changed": summary["events_would_have_changed"],
        "transitions": summary["transitions"],
        "sample_matches": summary["sample_matches"],
    })
}

#[test]
fn export_import_and_simulate_agree_everywhere() {
    let dir = scratch("policy-ci");
    let db_a = sqlite_url(&dir.join("a"));
    std::fs::create_dir_all(dir.join("a")).unwrap();
    create_project(&db_a, "support");
    let key_a = create_key(&db_a, "support", "admin");
    let server_a = Server::start(&db_a);
    let api = Api::new(&server_a.url, &key_a);
    let (status, body) = api.post("/v1/events/ingest", &recorded_events());
    assert_eq!((status, &body["accepted"]), (200, &json!(7)), "{body}");
    let (status, ds) = api.post("/v1/datasets", &json!({"name": "refunds"}));
    assert_eq!(status, 201, "{ds}");
    let ds = ds["id"].as_str().unwrap();
    let (status, _) = api.post(
        &format!("/v1/datasets/{ds}/items"),
        &json!({"trace_ids": ["t1", "t2"]}),
    );
    assert_eq!(status, 200);

    // Export: one fixture per event of the pinned traces, in time order.
    let out = preflight(&db_a, &["dataset", "export", "refunds"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let fixtures_text = stdout(&out);
    let fixtures: Vec<Value> = fixtures_text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(fixtures.len(), 6, "t3 is not pinned:\n{fixtures_text}");
    let spans: Vec<&str> = fixtures
        .iter()
        .map(|f| f["span_id"].as_str().unwrap())
        .collect();
    assert_eq!(spans, ["a", "b", "c", "d", "e", "f"]);
    let refund = &fixtures[2];
    assert_eq!(refund["tool"], "payments.refund");
    assert_eq!(refund["span_name"], "call_tool");
    assert_eq!(refund["parent_span_id"], "a");
    assert_eq!(refund["dataset"], "refunds");
    assert_eq!(refund["payload"]["tool_input"]["amount"], 20);
    assert_eq!(fixtures[3]["recorded"], "blocked");
    assert_eq!(fixtures[3]["agent"], "billing-bot");
    assert_eq!(fixtures[4]["recorded"], "errored");
    assert!(
        stderr(&out).contains("Exported 6 events from 2 traces"),
        "{}",
        stderr(&out)
    );
    let fixtures_path = write(&dir, "fixtures.jsonl", &fixtures_text);

    // Import into another database's project.
    let db_b = sqlite_url(&dir.join("b"));
    std::fs::create_dir_all(dir.join("b")).unwrap();
    create_project(&db_b, "ci");
    let key_b = create_key(&db_b, "ci", "read");
    let out = preflight(&db_b, &["dataset", "import", &fixtures_path]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Imported 6 events in 2 traces as dataset \"refunds\""),
        "{}",
        stderr(&out)
    );
    // Re-exporting the import gives the same fixtures, byte for byte.
    let out = preflight(&db_b, &["dataset", "export", "refunds", "--project", "ci"]);
    assert_eq!(stdout(&out), fixtures_text);
    // The name is taken now.
    let out = preflight(&db_b, &["dataset", "import", &fixtures_path]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("already has a dataset named \"refunds\""),
        "{}",
        stderr(&out)
    );
    let server_b = Server::start(&db_b);

    for (draft_name, draft) in [
        ("rule.json", r#"{"kind": "block", "pattern": "payments.*"}"#),
        ("set.yaml", "version: 1\nrules:\n  - {match: \"crm.*\", action: allow}\n  - {match: \"openai.*\", action: require_approval}\n"),
        ("agent.json", r#"{"kind": "block", "pattern": "*", "agent_pattern": "billing-*"}"#),
    ] {
        let draft_path = write(&dir, draft_name, draft);
        let local = summary(&preflight(
            &db_a,
            &["policy", "simulate", "--draft", &draft_path, "--events", &fixtures_path],
        ));
        let remote_a = summary(&simulate_remote(&server_a.url, &key_a, &draft_path, &[]));
        let remote_b = summary(&simulate_remote(&server_b.url, &key_b, &draft_path, &[]));
        assert_eq!(numbers(&local), numbers(&remote_a), "{draft_name}: local vs original server");
        assert_eq!(numbers(&remote_b), numbers(&remote_a), "{draft_name}: imported vs original");
        assert!(remote_a["simulation_id"].is_string());
        assert!(local["events_scanned"].as_u64().unwrap() == 5, "{draft_name}: {local}");
    }

    // As a CI step: a draft that flips verdicts fails, and says what flips.
    let draft_path = write(
        &dir,
        "block-refunds.json",
        r#"{"kind": "block", "pattern": "payments.refund"}"#,
    );
    let out = simulate_remote(
        &server_a.url,
        &key_a,
        &draft_path,
        &["--fail-on-change", "--format", "table"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let table = stdout(&out);
    assert!(
        table.starts_with("5 events scanned, 2 matched by the draft, 1 would change verdict"),
        "{table}"
    );
    assert!(table.contains("  allowed -> blocked  1"), "{table}");
    let header = table.lines().find(|l| l.starts_with("TRACE")).unwrap();
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        [
            "TRACE",
            "SPAN",
            "TOOL",
            "AGENT",
            "RECORDED",
            "->",
            "SIMULATED",
            "RULE"
        ]
    );
    let row = table.lines().find(|l| l.starts_with("t1")).unwrap();
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>(),
        [
            "t1",
            "c",
            "payments.refund",
            "support-bot",
            "allowed",
            "->",
            "blocked",
            "#0",
            "block",
            "payments.refund"
        ],
        "{table}"
    );
    assert!(
        !table.contains("\nt2"),
        "t2's refund was already blocked: {table}"
    );
    assert!(
        stderr(&out).contains("1 event would change verdict"),
        "{}",
        stderr(&out)
    );
    // The same locally.
    let out = preflight(
        &db_a,
        &[
            "policy",
            "simulate",
            "--draft",
            &draft_path,
            "--events",
            &fixtures_path,
            "--fail-on-change",
            "--format",
            "table",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out)
            .lines()
            .filter(|l| l.starts_with("t1 "))
            .count(),
        1
    );
    // A draft that changes nothing passes.
    let quiet = write(
        &dir,
        "quiet.json",
        r#"{"kind": "block", "pattern": "nothing.here"}"#,
    );
    let out = simulate_remote(&server_a.url, &key_a, &quiet, &["--fail-on-change"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Mistakes are exit 2 with a reason: unknown dataset, bad key, no key.
    let out = Command::new(support::bin())
        .args([
            "policy",
            "simulate",
            "--draft",
            &quiet,
            "--server",
            &server_a.url,
            "--dataset",
            "nope",
        ])
        .args(["--api-key", &key_a])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no dataset named \"nope\"; this project has: refunds"),
        "{}",
        stderr(&out)
    );
    let out = simulate_remote(&server_a.url, "jj_not_a_key", &quiet, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("401"), "{}", stderr(&out));
    let out = Command::new(support::bin())
        .args([
            "policy",
            "simulate",
            "--draft",
            &quiet,
            "--server",
            &server_a.url,
            "--dataset",
            "refunds",
        ])
        .env_remove("PREFLIGHT_API_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("PREFLIGHT_API_KEY"),
        "{}",
        stderr(&out)
    );
    // --events and --server are alternatives.
    let out = preflight(&db_a, &["policy", "simulate", "--draft", &quiet]);
    assert_eq!(out.status.code(), Some(2), "clap usage error");
    drop(server_a);
    drop(server_b);
}

#[test]
fn fixtures_need_a_dataset_name_and_valid_events() {
    let dir = scratch("import-errors");
    let db = sqlite_url(&dir);
    create_project(&db, "p1");
    let nameless = write(
        &dir,
        "nameless.jsonl",
        r#"{"kind": "tool_call", "tool": "x", "timestamp": "2026-11-01T10:00:00Z", "trace_id": "t", "span_id": "s"}"#,
    );
    let out = preflight(&db, &["dataset", "import", &nameless]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("pass --name"), "{}", stderr(&out));
    let out = preflight(
        &db,
        &["dataset", "import", &nameless, "--name", "hand-written"],
    );
    assert!(out.status.success(), "{}", stderr(&out));

    let bad = write(
        &dir,
        "bad.jsonl",
        "{\"kind\": \"tool_call\", \"tool\": \"x\", \"timestamp\": \"2026-11-01T10:00:00Z\", \"trace_id\": \"t\", \"span_id\": \"s\"}\nnot json\n",
    );
    let out = preflight(&db, &["dataset", "import", &bad, "--name", "bad"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("bad.jsonl:2:"), "{}", stderr(&out));

    // With two projects the project must be named.
    create_project(&db, "p2");
    let out = preflight(&db, &["dataset", "export", "hand-written"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--project"), "{}", stderr(&out));
    let out = preflight(
        &db,
        &["dataset", "export", "hand-written", "--project", "p1"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 1);
    let out = preflight(
        &db,
        &["dataset", "export", "hand-written", "--project", "p2"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no dataset named \"hand-written\""),
        "{}",
        stderr(&out)
    );
}
