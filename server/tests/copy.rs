//! `preflight copy` from SQLite to PostgreSQL and back: everything travels (projects,
//! events, datasets with versions, policies, stored runs, approvals, accounts and their
//! sessions, keys), counts and row digests are verified, a second run adds nothing, the
//! PostgreSQL copy serves the same answers, permalinks and keys, and takes new events.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::{json, Value};
use support::{preflight, scratch, sqlite_url, stderr, stdout, Api, Server};

fn meta(page: &str, key: &str) -> Option<String> {
    page.split("<meta").skip(1).find_map(|tag| {
        let tag = &tag[..tag.find('>')?];
        let names_it = tag.contains(&format!("property=\"{key}\""));
        let content = tag.split("content=\"").nth(1)?;
        names_it.then(|| content[..content.find('"').unwrap_or(content.len())].to_string())
    })
}

fn copy(from: &str, to: &str) -> String {
    let out = preflight(from, &["copy", "--from", from, "--to", to]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let printed = stdout(&out);
    assert!(
        printed.contains("copied and verified 18 tables"),
        "{printed}"
    );
    printed
}

/// What both copies must answer alike.
fn answers(api: &Api, run: &str) -> Vec<Value> {
    let mut got = Vec::new();
    for path in [
        "/v1/traces?limit=1000".to_string(),
        format!("/v1/policy/simulations/{run}"),
        "/v1/datasets".to_string(),
        "/v1/approvals".to_string(),
        "/v1/policies/versions".to_string(),
    ] {
        let (status, body) = api.get(&path);
        assert_eq!(status, 200, "{path}: {body}");
        got.push(body);
    }
    got
}

#[test]
fn a_project_moves_from_sqlite_to_postgres_and_back() {
    let dir = scratch("copy");
    let sqlite = sqlite_url(&dir);
    let demo = preflight(&sqlite, &["demo"]);
    assert!(demo.status.success(), "{}", stderr(&demo));
    let admin = support::create_key(&sqlite, "demo", "admin");

    // A stored run, a dataset version and a signed-in session on the SQLite original.
    let original = Server::start(&sqlite);
    let cookie = original.dashboard_cookie();
    let api = Api::new(&original.url, &admin);
    let (_, datasets) = api.get("/v1/datasets");
    let dataset = datasets["datasets"][0]["id"].as_str().unwrap().to_string();
    let (status, run) = api.post(
        "/v1/policy/simulate/batch",
        &json!({"draft": {"kind": "block", "pattern": "payments.*"}, "dataset_id": dataset}),
    );
    assert_eq!(status, 200, "{run}");
    let run = run["simulation_id"].as_str().unwrap().to_string();
    let before = answers(&api, &run);
    let permalink = format!("/dashboard/simulations/{run}");
    let (status, page) = api.get_page(&permalink, &cookie);
    assert_eq!(status, 200);
    let unfurl = meta(&String::from_utf8_lossy(&page), "og:description").unwrap();
    drop(original);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let postgres = runtime.block_on(store::testing::fresh_postgres_url());
    let first = copy(&sqlite, &postgres);
    assert!(first.contains("events: "), "{first}");
    // Run again: nothing new, still verified.
    let again = copy(&sqlite, &postgres);
    for line in again.lines().filter(|l| l.contains(" rows read, ")) {
        assert!(
            line.ends_with(", 0 new"),
            "a second copy added rows: {line}"
        );
    }

    let check = preflight(&postgres, &["rollups", "check"]);
    assert!(
        check.status.success(),
        "{}{}",
        stdout(&check),
        stderr(&check)
    );
    let copy_server = Server::start(&postgres);
    let api = Api::new(&copy_server.url, &admin);
    assert_eq!(
        answers(&api, &run),
        before,
        "the copy answers as the original did"
    );
    // The same session and the same permalink, saying the same thing.
    let (status, page) = api.get_page(&permalink, &cookie);
    assert_eq!(status, 200, "the session travelled");
    assert_eq!(
        meta(&String::from_utf8_lossy(&page), "og:description").unwrap(),
        unfurl
    );
    // New events get new ids after the copied ones.
    let (status, body) = api.post(
        "/v1/events/ingest",
        &json!({"events": [{"type": "span", "trace_id": "after-copy", "span_id": "a",
            "kind": "tool_call", "name": "payments.refund", "timestamp": "2026-12-07T10:00:00Z",
            "status": "ok"}]}),
    );
    assert_eq!(
        (status, body["accepted"].clone()),
        (200, json!(1)),
        "{body}"
    );
    drop(copy_server);

    // A row that differs between the two (here changed in the copy, so copying back
    // keeps the original's) is found by the digests, counts alike, and reported.
    runtime.block_on(async {
        use sqlx::{Connection, Executor};
        let mut conn = sqlx::PgConnection::connect(&postgres).await.unwrap();
        let mut tx = conn.begin().await.unwrap();
        let project: String = sqlx::query_scalar("SELECT id FROM projects LIMIT 1")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        tx.execute(sqlx::query("SELECT set_config('app.project_id', $1, true)").bind(&project))
            .await
            .unwrap();
        tx.execute("UPDATE events SET tool = 'tampered' WHERE id = (SELECT MIN(id) FROM events)")
            .await
            .unwrap();
        tx.commit().await.unwrap();
    });
    let mismatch = preflight(&postgres, &["copy", "--from", &postgres, "--to", &sqlite]);
    assert_eq!(mismatch.status.code(), Some(1), "{}", stdout(&mismatch));
    assert!(
        stdout(&mismatch).contains("MISMATCH events:"),
        "{}",
        stdout(&mismatch)
    );
    assert!(
        stderr(&mismatch).contains("differs from the source in events"),
        "{}",
        stderr(&mismatch)
    );

    // And back into a new SQLite database.
    let back = sqlite_url(&scratch("copy-back"));
    copy(&postgres, &back);
    let refused = preflight(&sqlite, &["copy", "--from", &sqlite, "--to", &back]);
    assert_eq!(
        refused.status.code(),
        Some(1),
        "SQLite to SQLite is refused"
    );
    assert!(
        stderr(&refused).contains("between SQLite and PostgreSQL"),
        "{}",
        stderr(&refused)
    );
    runtime.block_on(store::testing::drop_postgres_database(&postgres));
}
