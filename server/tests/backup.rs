//! `preflight backup` while the server is serving and writing, then `preflight restore`
//! into a new database: every batch acknowledged before the snapshot is in the copy,
//! no batch is in it by halves, the copy serves with the same keys, and its rollups
//! agree with its events. Backups never overwrite; restores never clobber data.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{preflight, scratch, sqlite_url, stderr, stdout, Api, Server};

const PER_BATCH: usize = 20;

fn batch(i: usize) -> Value {
    let events: Vec<Value> = (0..PER_BATCH)
        .map(|s| {
            json!({"type": "span", "trace_id": format!("w{i}"), "span_id": format!("s{s}"),
                   "kind": "tool_call", "name": format!("tool{}", s % 3),
                   "timestamp": "2026-12-07T10:00:00Z", "status": "ok", "cost_usd": 0.01})
        })
        .collect();
    json!({ "events": events })
}

#[test]
fn a_backup_taken_mid_stream_holds_everything_acknowledged_before_it() {
    let dir = scratch("backup");
    let db = sqlite_url(&dir);
    let key = support::create_project(&db, "live");
    let admin = support::create_key(&db, "live", "admin");
    let server = Server::start(&db);

    // One writer, acknowledging batches as fast as the server takes them.
    let acked = Arc::new(Mutex::new(Vec::<usize>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (acked, stop, url, key) =
            (acked.clone(), stop.clone(), server.url.clone(), key.clone());
        std::thread::spawn(move || {
            let api = Api::new(&url, &key);
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                let (status, body) = api.post("/v1/events/ingest", &batch(i));
                assert_eq!(status, 200, "{body}");
                assert_eq!(body["accepted"], PER_BATCH, "{body}");
                acked.lock().unwrap().push(i);
                i += 1;
            }
        })
    };
    let started = Instant::now();
    while acked.lock().unwrap().len() < 30 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the writer is stuck"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let before: Vec<usize> = acked.lock().unwrap().clone();
    let snapshot = dir.join("snapshot.db");
    let out = preflight(&db, &["backup", "--to", snapshot.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("backed up 1 projects"),
        "{}",
        stdout(&out)
    );
    // The writer went on during the backup.
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    let all = acked.lock().unwrap().len();
    assert!(
        all > before.len(),
        "no batch was written during or after the backup"
    );

    // Never over an existing file, and a restore never over data.
    let again = preflight(&db, &["backup", "--to", snapshot.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("never overwrites"),
        "{}",
        stderr(&again)
    );
    let onto_live = preflight(&db, &["restore", "--from", snapshot.to_str().unwrap()]);
    assert_eq!(onto_live.status.code(), Some(1));
    assert!(
        stderr(&onto_live).contains("already holds data"),
        "{}",
        stderr(&onto_live)
    );
    let pg = preflight(
        "postgres://localhost/x",
        &["backup", "--to", "/tmp/never.db"],
    );
    assert_eq!(pg.status.code(), Some(1));
    assert!(stderr(&pg).contains("pg_dump"), "{}", stderr(&pg));
    drop(server);

    let restored_dir = scratch("backup-restored");
    let restored = sqlite_url(&restored_dir);
    let out = preflight(
        &restored,
        &["restore", "--from", snapshot.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let check = preflight(&restored, &["rollups", "check"]);
    assert!(
        check.status.success(),
        "{}{}",
        stdout(&check),
        stderr(&check)
    );

    // The copy serves, with the same keys (their hashes were copied).
    let copy = Server::start(&restored);
    let api = Api::new(&copy.url, &admin);
    for i in &before {
        let (status, trace) = api.get(&format!("/v1/traces/w{i}"));
        assert_eq!(
            status, 200,
            "batch {i} was acknowledged before the backup: {trace}"
        );
        assert_eq!(trace["events"].as_array().unwrap().len(), PER_BATCH);
    }
    let (status, listed) = api.get("/v1/traces?limit=1000");
    assert_eq!(status, 200, "{listed}");
    let traces = listed["traces"].as_array().unwrap();
    assert!(
        traces.len() >= before.len() && traces.len() <= all,
        "{}",
        traces.len()
    );
    for t in traces {
        assert_eq!(
            t["event_count"], PER_BATCH,
            "a batch is in the copy whole or not at all: {t}"
        );
    }
}
