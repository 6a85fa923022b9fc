//! The retention task prunes on start-up with the server-wide default, and keeps
//! traces pinned in a dataset.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

fn event(trace: &str, age_days: i64) -> serde_json::Value {
    let when = chrono::Utc::now() - chrono::Duration::days(age_days);
    serde_json::json!({
        "type": "span", "trace_id": trace, "span_id": "s1", "kind": "tool_call",
        "name": "payments.refund", "timestamp": when.to_rfc3339(), "status": "ok",
    })
}

#[tokio::test]
async fn retention_prunes_old_unpinned_traces_at_start() {
    let store = store::open(
        &store::testing::fresh_sqlite_url(),
        store::StoreOptions::default(),
    )
    .await
    .unwrap();
    let project = store.create_project("retention").await.unwrap();
    let events: Vec<store::StoredEvent> =
        [event("old", 30), event("old-pinned", 30), event("fresh", 1)]
            .iter()
            .map(|e| service::ingest::decode_event(e).unwrap())
            .collect();
    store.upsert_events(&project.id, &events).await.unwrap();
    let ds = store
        .create_dataset(&project.id, "fixtures", None, "test")
        .await
        .unwrap();
    store
        .add_dataset_items(
            &project.id,
            &ds.id,
            &["old-pinned".to_string()],
            store::MembershipChange {
                kind: store::DatasetChangeKind::Pinned,
                author: "test",
            },
        )
        .await
        .unwrap();

    let task = preflight::retention::spawn(store.clone(), Some(7));
    let mut gone = false;
    for _ in 0..100 {
        if store
            .trace_events(&project.id, "old")
            .await
            .unwrap()
            .is_empty()
        {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    task.abort();
    assert!(
        gone,
        "the 30-day-old trace should be pruned under a 7-day retention"
    );
    assert_eq!(
        store
            .trace_events(&project.id, "old-pinned")
            .await
            .unwrap()
            .len(),
        1,
        "pinned traces are exempt"
    );
    assert_eq!(
        store
            .trace_events(&project.id, "fresh")
            .await
            .unwrap()
            .len(),
        1
    );
}
