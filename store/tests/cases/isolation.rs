//! Project A's handle on project B's ids must behave as if B's rows did not exist.
use futures::TryStreamExt;
use serde_json::json;
use store::{
    AuditFilter, DecideOutcome, EventScan, PageRequest, Store, StoreError, ThreadFilter,
    TraceFilter,
};

use crate::support::{ev, ids, EventExt};

pub async fn cross_project_isolation(s: &dyn Store) {
    let a = s.create_project("a").await.unwrap();
    let b = s.create_project("b").await.unwrap();
    // Both projects use the same trace, span and session ids.
    let batch = |agent: &str| {
        vec![
            ev("shared", "s1", 0)
                .agent(agent)
                .session("sess")
                .kind("approval"),
            ev("shared", "s2", 1).agent(agent).cost(1.0),
            ev(&format!("only-{agent}"), "s1", 2)
                .agent(agent)
                .session(&format!("sess-{agent}")),
        ]
    };
    s.upsert_events(&a.id, &batch("bot-a")).await.unwrap();
    s.upsert_events(&b.id, &batch("bot-b")).await.unwrap();
    let b_key = s
        .create_api_key(&b.id, store::KeyScope::Agent)
        .await
        .unwrap();
    let b_ds = s
        .create_dataset(&b.id, "b-set", None, "test")
        .await
        .unwrap();
    s.add_dataset_items(
        &b.id,
        &b_ds.id,
        &ids(&["shared", "only-bot-b"]),
        crate::support::PIN,
    )
    .await
    .unwrap();
    let b_sim = s
        .save_simulation(&b.id, json!({}), json!({}))
        .await
        .unwrap();
    let b_apr = s
        .create_approval(&b.id, "b.action", json!({}), "key:jj_b")
        .await
        .unwrap();
    s.save_policy(
        &b.id,
        "last_match",
        json!([{"action": "block", "pattern": "*"}]),
        "b",
        None,
    )
    .await
    .unwrap();

    // Keys and authentication.
    assert!(s.list_api_keys(&a.id).await.unwrap().is_empty());
    assert!(!s.revoke_api_key(&a.id, &b_key.info.id).await.unwrap());
    assert_eq!(
        s.authenticate(&b_key.key)
            .await
            .unwrap()
            .map(|g| g.project.id),
        Some(b.id.clone())
    );

    // Events and the read side: same ids, only A's rows.
    let a_events = s.trace_events(&a.id, "shared").await.unwrap();
    assert_eq!(a_events.len(), 2);
    assert!(a_events
        .iter()
        .all(|e| e.agent_name.as_deref() == Some("bot-a")));
    assert!(s
        .trace_events(&a.id, "only-bot-b")
        .await
        .unwrap()
        .is_empty());
    assert!(s
        .trace_events_page(&a.id, "only-bot-b", &super::all())
        .await
        .unwrap()
        .items
        .is_empty());
    for e in &a_events {
        let own = s.span_event(&a.id, "shared", &e.span_id).await.unwrap();
        assert_eq!(own.and_then(|o| o.agent_name).as_deref(), Some("bot-a"));
    }
    let b_spans = s.trace_events(&b.id, "only-bot-b").await.unwrap();
    assert!(!b_spans.is_empty());
    for e in &b_spans {
        assert!(s
            .span_event(&a.id, "only-bot-b", &e.span_id)
            .await
            .unwrap()
            .is_none());
    }
    assert!(s
        .trace_summaries(&a.id, &ids(&["only-bot-b"]))
        .await
        .unwrap()
        .is_empty());
    let shared = &s.trace_summaries(&a.id, &ids(&["shared"])).await.unwrap()[0];
    assert_eq!(shared.agents, ["bot-a"]);
    assert_eq!(shared.event_count, 2);
    let page = s
        .list_traces(
            &a.id,
            &TraceFilter {
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut listed: Vec<String> = page.traces.iter().map(|t| t.trace_id.clone()).collect();
    listed.sort();
    assert_eq!(listed, ["only-bot-a", "shared"]);
    let by_b_agent = TraceFilter {
        agent: Some("bot-b".into()),
        limit: 50,
        ..Default::default()
    };
    assert!(s
        .list_traces(&a.id, &by_b_agent)
        .await
        .unwrap()
        .traces
        .is_empty());
    let threads = s
        .list_threads(
            &a.id,
            &ThreadFilter {
                cursor: None,
                limit: 50,
            },
        )
        .await
        .unwrap();
    let mut sessions: Vec<String> = threads
        .threads
        .iter()
        .map(|t| t.session_id.clone())
        .collect();
    sessions.sort();
    assert_eq!(sessions, ["sess", "sess-bot-a"]);
    assert!(s.thread(&a.id, "sess-bot-b").await.unwrap().is_none());
    let (thread, _) = s.thread(&a.id, "sess").await.unwrap().unwrap();
    assert_eq!(
        (thread.turns, thread.agents.clone()),
        (1, vec!["bot-a".to_string()])
    );
    let audit = s
        .audit(
            &a.id,
            &AuditFilter {
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(audit.events.len(), 1);
    assert_eq!(audit.counts.total(), 1);
    assert_eq!(audit.events[0].agent_name.as_deref(), Some("bot-a"));

    // Scans and counts.
    let window = EventScan::Window {
        since_micros: None,
        until_micros: None,
    };
    let scanned: Vec<policy::Event> = s
        .scan_events(&a.id, window.clone())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(scanned.len(), 2);
    assert!(scanned.iter().all(|e| e.agent.as_deref() == Some("bot-a")));
    assert_eq!(s.count_events(&a.id, window).await.unwrap(), 2);
    let b_traces = EventScan::Traces(ids(&["only-bot-b"]));
    assert_eq!(s.count_events(&a.id, b_traces.clone()).await.unwrap(), 0);
    let none: Vec<policy::Event> = s.scan_events(&a.id, b_traces).try_collect().await.unwrap();
    assert!(none.is_empty());
    let b_dataset = EventScan::Dataset(b_ds.id.clone());
    assert_eq!(s.count_events(&a.id, b_dataset.clone()).await.unwrap(), 0);
    let none: Vec<policy::Event> = s.scan_events(&a.id, b_dataset).try_collect().await.unwrap();
    assert!(none.is_empty());

    // Datasets.
    assert!(s
        .list_datasets(&a.id, &super::all())
        .await
        .unwrap()
        .items
        .is_empty());
    assert!(matches!(
        s.dataset(&a.id, &b_ds.id, &super::all()).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(s.dataset_by_name(&a.id, "b-set").await.unwrap(), None);
    assert!(matches!(
        s.rename_dataset(&a.id, &b_ds.id, "mine").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.delete_dataset(&a.id, &b_ds.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.add_dataset_items(&a.id, &b_ds.id, &ids(&["shared"]), crate::support::PIN)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.remove_dataset_item(&a.id, &b_ds.id, "shared", "test")
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.dataset_versions(&a.id, &b_ds.id, &PageRequest::first(10))
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.dataset_members(&a.id, &b_ds.id, Some(1)).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.dataset_expectations(&a.id, &b_ds.id).await,
        Err(StoreError::NotFound)
    ));
    let a_ds = s
        .create_dataset(&a.id, "b-set", None, "test")
        .await
        .unwrap();
    let outcome = s
        .add_dataset_items(
            &a.id,
            &a_ds.id,
            &ids(&["shared", "only-bot-b"]),
            crate::support::PIN,
        )
        .await
        .unwrap();
    assert_eq!(outcome.added, ids(&["shared"]));
    assert_eq!(outcome.unknown, ids(&["only-bot-b"]));
    // B's dataset is untouched by all of the above.
    let b_detail = s.dataset(&b.id, &b_ds.id, &super::all()).await.unwrap();
    assert_eq!(
        (b_detail.dataset.name.as_str(), b_detail.dataset.item_count),
        ("b-set", 2)
    );

    // Policies, simulations, approvals.
    assert_eq!(s.active_policy(&a.id).await.unwrap().version, 0);
    assert!(s
        .policy_versions(&a.id, &super::all())
        .await
        .unwrap()
        .items
        .is_empty());
    assert_eq!(s.policy_version(&a.id, 1).await.unwrap(), None);
    assert!(matches!(
        s.simulation(&a.id, &b_sim.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.approval(&a.id, &b_apr.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(s
        .list_approvals(&a.id, None, &super::all())
        .await
        .unwrap()
        .items
        .is_empty());
    assert!(matches!(
        s.decide_approval(&a.id, &b_apr.id, "approved", None, "a")
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        s.approval(&b.id, &b_apr.id).await.unwrap().status,
        "pending"
    );
    assert!(matches!(
        s.decide_approval(&b.id, &b_apr.id, "rejected", None, "b")
            .await
            .unwrap(),
        DecideOutcome::Decided(_)
    ));

    // B's events were never touched by A's identical ids.
    let b_events = s.trace_events(&b.id, "shared").await.unwrap();
    assert!(b_events
        .iter()
        .all(|e| e.agent_name.as_deref() == Some("bot-b")));
    assert_eq!(
        s.count_events(&b.id, EventScan::Dataset(b_ds.id.clone()))
            .await
            .unwrap(),
        2
    );
}
