use policy::Verdict;
use serde_json::json;
use store::{Store, StoreError, TraceFilter};

use crate::support::{ev, EventExt};

fn filter(limit: u32) -> TraceFilter {
    TraceFilter {
        limit,
        ..TraceFilter::default()
    }
}

pub async fn idempotent_reingest(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    let batch = vec![
        ev("t1", "a", 0).agent("bot").cost(0.5).duration(250.0),
        ev("t1", "b", 1).kind("llm_call").tool("openai.gpt-4o"),
        ev("t2", "a", 2)
            .session("s1")
            .verdict(Verdict::Blocked)
            .status("blocked"),
    ];
    assert_eq!(s.upsert_events(&p.id, &batch).await.unwrap(), 3);
    let events_before = s.trace_events(&p.id, "t1").await.unwrap();
    let traces_before = s.list_traces(&p.id, &filter(10)).await.unwrap();

    // The same batch again changes nothing.
    assert_eq!(s.upsert_events(&p.id, &batch).await.unwrap(), 0);
    assert_eq!(s.trace_events(&p.id, "t1").await.unwrap(), events_before);
    assert_eq!(
        s.list_traces(&p.id, &filter(10)).await.unwrap(),
        traces_before
    );
    assert_eq!(traces_before.traces.len(), 2);

    // What comes back is what went in.
    assert_eq!(events_before, batch[..2].to_vec());
    assert_eq!(
        s.trace_events(&p.id, "t2").await.unwrap(),
        batch[2..].to_vec()
    );
    assert_eq!(s.upsert_events(&p.id, &[]).await.unwrap(), 0);
    assert!(matches!(
        s.upsert_events(&p.id, &[ev("", "a", 0)]).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        s.upsert_events("proj_nope", &batch).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn pending_then_ok(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    let pending = ev("t1", "a", 0)
        .kind("approval")
        .status("pending")
        .verdict(Verdict::Held);
    assert_eq!(
        s.upsert_events(&p.id, std::slice::from_ref(&pending))
            .await
            .unwrap(),
        1
    );
    let summary = &s.trace_summaries(&p.id, &["t1".into()]).await.unwrap()[0];
    assert_eq!(summary.verdicts.held, 1);

    let mut done = ev("t1", "a", 0)
        .kind("approval")
        .duration(1500.0)
        .cost(0.25);
    done.payload = json!({"decision": "approved"});
    assert_eq!(s.upsert_events(&p.id, &[done.clone()]).await.unwrap(), 1);
    assert_eq!(
        s.trace_events(&p.id, "t1").await.unwrap(),
        vec![done.clone()]
    );
    let summary = &s.trace_summaries(&p.id, &["t1".into()]).await.unwrap()[0];
    assert_eq!(summary.event_count, 1);
    assert_eq!(summary.verdicts.held, 0);
    assert_eq!(summary.verdicts.allowed, 1);
    assert_eq!(summary.cost_usd, 0.25);
    assert_eq!(summary.end_micros - summary.start_micros, 1_500_000);

    // A late re-send of the pending copy does not undo the finished span.
    assert_eq!(s.upsert_events(&p.id, &[pending]).await.unwrap(), 0);
    assert_eq!(s.trace_events(&p.id, "t1").await.unwrap(), vec![done]);
}

pub async fn duplicate_spans_in_one_batch(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    let first = ev("t1", "a", 0).status("pending");
    let last = ev("t1", "a", 0).cost(1.0);
    let n = s
        .upsert_events(&p.id, &[first, ev("t1", "b", 1), last.clone()])
        .await
        .unwrap();
    assert_eq!(n, 2);
    let events = s.trace_events(&p.id, "t1").await.unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0], last);
}

pub async fn large_batch_in_chunks(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    // More rows than one statement takes, spread over many traces.
    let batch: Vec<_> = (0..1234)
        .map(|i| {
            ev(&format!("t{}", i % 40), &format!("s{i}"), i)
                .seq(i)
                .cost(0.01)
        })
        .collect();
    assert_eq!(s.upsert_events(&p.id, &batch).await.unwrap(), 1234);
    assert_eq!(s.upsert_events(&p.id, &batch).await.unwrap(), 0);
    let page = s.list_traces(&p.id, &filter(100)).await.unwrap();
    assert_eq!(page.traces.len(), 40);
    assert_eq!(page.traces.iter().map(|t| t.event_count).sum::<i64>(), 1234);
    let t0 = page.traces.iter().find(|t| t.trace_id == "t0").unwrap();
    assert_eq!(t0.event_count, 31);
    assert!((t0.cost_usd - 0.31).abs() < 1e-9);
}

pub async fn nul_characters_are_replaced(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    let mut e = ev("t\0", "a", 0).tool("to\0ol").agent("a\0");
    e.payload = json!({"k\u{0}": ["v\u{0}", 1]});
    assert_eq!(s.upsert_events(&p.id, &[e]).await.unwrap(), 1);
    // Looked up by the same (NUL-carrying) id, as a client would.
    let stored = s.trace_events(&p.id, "t\0").await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].trace_id, "t\u{FFFD}");
    assert_eq!(stored[0].tool, "to\u{FFFD}ol");
    assert_eq!(stored[0].agent_name.as_deref(), Some("a\u{FFFD}"));
    assert_eq!(stored[0].payload, json!({"k\u{FFFD}": ["v\u{FFFD}", 1]}));
    // Its trace is listed under the stored id.
    let listed = s.list_traces(&p.id, &filter(10)).await.unwrap();
    let ids: Vec<&str> = listed.traces.iter().map(|t| t.trace_id.as_str()).collect();
    assert_eq!(ids, ["t\u{FFFD}"]);
}
