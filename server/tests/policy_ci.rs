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
        stderr(&out)
            .contains("Imported 6 events in 2 traces and 0 expectations as dataset \"refunds\""),
        "{}",
        stderr(&out)
    );
    // Progress goes to stderr too: off a terminal only the stage's last line, with
    // the count (no bar, nothing redrawn).
    assert!(
        stderr(&out).contains("importing: 6 events in "),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains('\r'), "{:?}", stderr(&out));
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

/// Datasets as fixtures, end to end: expectations set over the API travel with the
/// export, `--fail-on-regression` fails only on a broken one (locally and against the
/// server alike), a run's receipt verifies offline against its exported events and
/// stops verifying when they change, editing the dataset leaves the receipt as it was,
/// and a run can pin an older dataset version or be run again.
#[test]
fn expectations_regressions_and_receipts() {
    let dir = scratch("fixtures-ci");
    let db = sqlite_url(&dir);
    create_project(&db, "support");
    let key = create_key(&db, "support", "admin");
    let server = Server::start(&db);
    let api = Api::new(&server.url, &key);
    let (status, body) = api.post("/v1/events/ingest", &recorded_events());
    assert_eq!(status, 200, "{body}");
    let (_, ds) = api.post("/v1/datasets", &json!({"name": "refunds"}));
    let ds = ds["id"].as_str().unwrap().to_string();
    api.post(
        &format!("/v1/datasets/{ds}/items"),
        &json!({"trace_ids": ["t1", "t2"]}),
    );
    // t2's refund must stay blocked; t1 must keep every recorded verdict.
    for (trace, pattern, verdict) in [
        ("t2", "payments.refund", "blocked"),
        ("t1", "*", "recorded"),
    ] {
        let (status, body) = api.put(
            &format!("/v1/datasets/{ds}/expectations"),
            &json!({"trace_id": trace, "pattern": pattern, "verdict": verdict}),
        );
        assert_eq!(status, 200, "{body}");
        assert!(body["id"].as_str().unwrap().starts_with("exp_"));
    }
    // Not pinned, or not a verdict: a 422 naming the problem.
    let (status, body) = api.put(
        &format!("/v1/datasets/{ds}/expectations"),
        &json!({"trace_id": "t3", "pattern": "*", "verdict": "blocked"}),
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("not pinned"), "{body}");
    let (status, _) = api.put(
        &format!("/v1/datasets/{ds}/expectations"),
        &json!({"trace_id": "t2", "pattern": "*", "verdict": "denied"}),
    );
    assert_eq!(status, 422);

    let allow = write(
        &dir,
        "allow.json",
        r#"{"kind": "allow", "pattern": "payments.*"}"#,
    );
    let block_crm = write(&dir, "crm.json", r#"{"kind": "block", "pattern": "crm.*"}"#);
    // Allowing payments breaks t2's expectation: a regression, the run fails.
    let out = simulate_remote(
        &server.url,
        &key,
        &allow,
        &["--fail-on-regression", "--format", "table"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("1 expectation broken")
            && stderr(&out).contains("t2 payments.refund -> blocked"),
        "{}",
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("Expectations: 1 broken, 1 kept"),
        "{}",
        stdout(&out)
    );
    // Blocking crm.* changes t2's errored lookup, which no expectation covers: it passes
    // --fail-on-regression, and --fail-on-change still catches it.
    let out = simulate_remote(&server.url, &key, &block_crm, &["--fail-on-regression"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let crm: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(crm["expectations"]["unreviewed_changes"], 1, "{crm}");
    let out = simulate_remote(&server.url, &key, &block_crm, &["--fail-on-change"]);
    assert_eq!(out.status.code(), Some(1));

    // The export carries the expectations; the local run agrees with the server's.
    let out = preflight(&db, &["dataset", "export", "refunds"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let export = stdout(&out);
    assert_eq!(
        export
            .lines()
            .filter(|l| l.contains("\"expectation\""))
            .count(),
        2,
        "{export}"
    );
    let export_path = write(&dir, "refunds.jsonl", &export);
    let local = preflight(
        &db,
        &[
            "policy",
            "simulate",
            "--draft",
            &allow,
            "--events",
            &export_path,
            "--fail-on-regression",
        ],
    );
    assert_eq!(local.status.code(), Some(1), "{}", stderr(&local));
    let local: Value = serde_json::from_str(&stdout(&local)).unwrap();
    let remote = summary(&simulate_remote(&server.url, &key, &allow, &[]));
    assert_eq!(local["expectations"], remote["expectations"]);
    assert_eq!(numbers(&local), numbers(&remote));
    // And an import recreates them.
    let db_b = sqlite_url(&dir.join("b"));
    std::fs::create_dir_all(dir.join("b")).unwrap();
    create_project(&db_b, "ci");
    let out = preflight(&db_b, &["dataset", "import", &export_path]);
    assert!(
        stderr(&out).contains("and 2 expectations as dataset"),
        "{}",
        stderr(&out)
    );
    let out = preflight(&db_b, &["dataset", "export", "refunds"]);
    assert_eq!(stdout(&out), export, "a round trip keeps everything");

    // A receipt verifies offline against its own events...
    let (status, run) = api.post(
        "/v1/policy/simulate/batch",
        &json!({"draft": {"kind": "allow", "pattern": "payments.*"}, "dataset_id": ds}),
    );
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["dataset_version"], 2);
    assert_eq!(run["traces_in_scope"], 2);
    let id = run["simulation_id"].as_str().unwrap().to_string();
    let (_, receipt) = api.get_raw(&format!("/v1/policy/simulations/{id}"));
    let (status, events) = api.get_raw(&format!("/v1/policy/simulations/{id}/events"));
    assert_eq!(status, 200);
    let receipt_path = write(
        &dir,
        "receipt.json",
        &String::from_utf8(receipt.clone()).unwrap(),
    );
    let events_text = String::from_utf8(events).unwrap();
    assert_eq!(events_text.lines().count(), 5, "{events_text}");
    let events_path = write(&dir, "events.jsonl", &events_text);
    let verify = |events: &str| {
        preflight(
            &db,
            &[
                "simulation",
                "verify",
                "--receipt",
                &receipt_path,
                "--events",
                events,
            ],
        )
    };
    let out = verify(&events_path);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains(&format!("receipt {id} holds: 5 events")),
        "{}",
        stdout(&out)
    );
    // ... and says what differs when they are not the same events.
    let edited = events_text.replacen("\"recorded\":\"blocked\"", "\"recorded\":\"allowed\"", 1);
    assert_ne!(edited, events_text);
    let out = verify(&write(&dir, "edited.jsonl", &edited));
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("does not hold") && stdout(&out).contains("digest"),
        "{}",
        stdout(&out)
    );

    // Editing the dataset leaves the receipt as it was.
    assert_eq!(api.delete(&format!("/v1/datasets/{ds}/items/t1")), 204);
    let (_, again) = api.get_raw(&format!("/v1/policy/simulations/{id}"));
    assert_eq!(again, receipt);
    // Versions: created (1), pinned (2), unpinned (3); version 2 can still be run.
    let (_, versions) = api.get(&format!("/v1/datasets/{ds}/versions"));
    let changes: Vec<&str> = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["change"].as_str().unwrap())
        .collect();
    assert_eq!(changes, ["unpinned", "pinned", "created"]);
    let (_, old) = api.post(
        "/v1/policy/simulate/batch",
        &json!({"draft": {"kind": "allow", "pattern": "payments.*"}, "dataset_id": ds, "dataset_version": 2}),
    );
    assert_eq!(
        old["digest"], run["digest"],
        "the same version, the same receipt digest"
    );
    let (status, body) = api.post(
        "/v1/policy/simulate/batch",
        &json!({"draft": {"kind": "allow", "pattern": "x"}, "dataset_id": ds, "dataset_version": 9}),
    );
    assert_eq!(status, 404, "{body}");
    // Run again: the dataset as it is now, linked to the first run.
    let (status, rerun) = api.post(&format!("/v1/policy/simulations/{id}/rerun"), &json!({}));
    assert_eq!(status, 200, "{rerun}");
    assert_eq!(rerun["rerun_of"], json!(id));
    assert_eq!(rerun["dataset_version"], 3);
    assert_eq!(rerun["traces_in_scope"], 1);
}

/// What the server exports, the CLI reads: a trace's replay bundle fed to `policy
/// simulate` gives the numbers `simulate/batch` gives on that trace.
#[test]
fn a_replay_bundle_simulates_as_the_server_does() {
    let dir = scratch("policy-ci-replay");
    let db = sqlite_url(&dir);
    create_project(&db, "support");
    let key = create_key(&db, "support", "admin");
    let server = Server::start(&db);
    let api = Api::new(&server.url, &key);
    let (status, body) = api.post("/v1/events/ingest", &recorded_events());
    assert_eq!(status, 200, "{body}");

    let (status, bundle) = api.get_raw("/v1/traces/t1/replay");
    assert_eq!(status, 200);
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bundle.as_slice()));
    let mut events_jsonl = None;
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().ends_with("events.jsonl") {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
            events_jsonl = Some(text);
        }
    }
    let events_jsonl = events_jsonl.expect("events.jsonl in the bundle");
    assert!(events_jsonl.contains("\"name\"") && events_jsonl.contains("\"tool\""));
    let events_path = write(&dir, "events.jsonl", &events_jsonl);

    for (name, draft) in [
        ("block", json!({"kind": "block", "pattern": "payments.*"})),
        (
            "models",
            json!({"kind": "require_approval", "pattern": "openai.*"}),
        ),
        (
            "agent",
            json!({"kind": "block", "pattern": "*", "agent_pattern": "support-*"}),
        ),
    ] {
        let draft_path = write(&dir, &format!("{name}.json"), &draft.to_string());
        let out = preflight(
            &db,
            &[
                "policy",
                "simulate",
                "--draft",
                &draft_path,
                "--events",
                &events_path,
            ],
        );
        let local = summary(&out);
        let (status, remote) = api.post(
            "/v1/policy/simulate/batch",
            &json!({"draft": draft, "trace_ids": ["t1"]}),
        );
        assert_eq!(status, 200, "{remote}");
        assert_eq!(numbers(&local), numbers(&remote), "draft {name}");
        assert_eq!(
            local["events_scanned"], 2,
            "t1 has two calls (its agent_call is not scanned)"
        );
    }
    assert!(
        numbers(&summary(&preflight(
            &db,
            &[
                "policy",
                "simulate",
                "--draft",
                &write(
                    &dir,
                    "b.json",
                    r#"{"kind": "block", "pattern": "payments.*"}"#
                ),
                "--events",
                &events_path
            ],
        )))["events_matched"]
            == 1,
        "the called tool inside call_tool is what matches"
    );
}
