use futures::TryStreamExt;
use policy::Verdict;
use store::{EventScan, Store};

use crate::support::{ev, ids, EventExt, SEC, T0};

async fn scan(s: &dyn Store, project: &str, scope: EventScan) -> Vec<policy::Event> {
    let events: Vec<policy::Event> = s
        .scan_events(project, scope.clone())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        s.count_events(project, scope).await.unwrap(),
        events.len() as u64
    );
    events
}

fn spans(events: &[policy::Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| format!("{}/{}", e.trace_id, e.span_id))
        .collect()
}

pub async fn scan_and_count(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    let batch = vec![
        ev("t1", "a", 0).tool("search").agent("bot").cost(0.5),
        ev("t1", "b", 1)
            .kind("llm_call")
            .tool("gpt")
            .verdict(Verdict::Blocked),
        ev("t1", "c", 2).kind("mcp_tool_call").tool("fs.read"),
        ev("t1", "d", 3).kind("policy_decision"),
        ev("t1", "e", 4).kind("agent_call"),
        ev("t2", "a", 10).tool("mail"),
        ev("t2", "b", 11).kind("approval"),
        ev("t3", "a", 20).tool("pay"),
    ];
    s.upsert_events(&p.id, &batch).await.unwrap();

    let window = scan(
        s,
        &p.id,
        EventScan::Window {
            since_micros: None,
            until_micros: None,
        },
    )
    .await;
    assert_eq!(spans(&window), ["t1/a", "t1/b", "t1/c", "t2/a", "t3/a"]);
    let first = &window[0];
    assert_eq!(first.kind, "tool_call");
    assert_eq!(first.tool, "search");
    assert_eq!(first.agent.as_deref(), Some("bot"));
    assert_eq!(first.cost_usd, Some(0.5));
    assert_eq!(
        first.timestamp.as_deref(),
        Some(batch[0].timestamp.as_str())
    );
    assert_eq!(first.recorded, Verdict::Allowed);
    assert_eq!(window[1].recorded, Verdict::Blocked);
    assert_eq!(window[1].agent, None);

    let bounded = EventScan::Window {
        since_micros: Some(T0 + SEC),
        until_micros: Some(T0 + 20 * SEC),
    };
    assert_eq!(
        spans(&scan(s, &p.id, bounded).await),
        ["t1/b", "t1/c", "t2/a"]
    );

    let traces = EventScan::Traces(ids(&["t3", "t2", "nope"]));
    assert_eq!(spans(&scan(s, &p.id, traces).await), ["t2/a", "t3/a"]);
    assert!(scan(s, &p.id, EventScan::Traces(vec![])).await.is_empty());

    // A dataset yields exactly its traces' events of the three kinds.
    let ds = s
        .create_dataset(&p.id, "golden", None, "test")
        .await
        .unwrap();
    s.add_dataset_items(&p.id, &ds.id, &ids(&["t1", "t3"]), crate::support::PIN)
        .await
        .unwrap();
    assert_eq!(
        spans(&scan(s, &p.id, EventScan::Dataset(ds.id.clone())).await),
        ["t1/a", "t1/b", "t1/c", "t3/a"]
    );
    assert!(scan(s, &p.id, EventScan::Dataset("ds_nope".into()))
        .await
        .is_empty());

    // Dropping a stream half-way leaves the store usable.
    {
        let mut stream = s.scan_events(
            &p.id,
            EventScan::Window {
                since_micros: None,
                until_micros: None,
            },
        );
        assert!(stream.try_next().await.unwrap().is_some());
    }
    assert_eq!(
        s.list_datasets(&p.id, &super::all())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

/// Calls with a decided approval are found in a scope with their decision; pending
/// ones, other scopes and other projects are not.
pub async fn reviewed_events(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    let other = s.create_project("other").await.unwrap();
    let mut events = Vec::new();
    let mut approvals = Vec::new();
    for (i, decision) in [Some("approved"), Some("rejected"), None]
        .into_iter()
        .enumerate()
    {
        let approval = s
            .create_approval(&p.id, "payments.refund", serde_json::json!({}), "key:jj_x")
            .await
            .unwrap();
        if let Some(decision) = decision {
            s.decide_approval(&p.id, &approval.id, decision, None, "ana@example.com")
                .await
                .unwrap();
        }
        let mut event = ev(&format!("t{i}"), "held", i as i64);
        event.approval_id = Some(approval.id.clone());
        events.push(event);
        approvals.push(approval);
    }
    events.push(ev("t0", "plain", 9));
    s.upsert_events(&p.id, &events).await.unwrap();
    // The same approval id in another project means nothing here.
    let mut theirs = ev("t1", "held", 1);
    theirs.approval_id = Some(approvals[0].id.clone());
    s.upsert_events(&other.id, &[theirs]).await.unwrap();

    let all = EventScan::Window {
        since_micros: None,
        until_micros: None,
    };
    let mut found = s.reviewed_events(&p.id, all.clone()).await.unwrap();
    found.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    assert_eq!(
        found,
        vec![
            (
                "t0".to_string(),
                "held".to_string(),
                policy::Review::Approved
            ),
            (
                "t1".to_string(),
                "held".to_string(),
                policy::Review::Rejected
            ),
        ]
    );
    let one = s
        .reviewed_events(&p.id, EventScan::Traces(ids(&["t1", "t2"])))
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    assert!(s.reviewed_events(&other.id, all).await.unwrap().is_empty());
}

pub async fn seen_calls(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    let other = s.create_project("other").await.unwrap();
    let batch = vec![
        ev("t1", "a", 0).tool("search").agent("bot").cost(0.5),
        ev("t1", "b", 1).tool("search").agent("bot").cost(0.1),
        ev("t1", "c", 2).tool("search").agent("bot"),
        ev("t1", "d", 3)
            .tool("search")
            .agent("bot")
            .verdict(Verdict::Blocked),
        ev("t2", "a", 4).kind("llm_call").tool("gpt"),
        ev("t2", "b", 5).kind("agent_call").tool("bot"),
        ev("t0", "old", -100).tool("search").agent("bot"),
    ];
    s.upsert_events(&p.id, &batch).await.unwrap();
    s.upsert_events(&other.id, &[ev("t1", "a", 0).tool("theirs")])
        .await
        .unwrap();

    let seen = s.seen_calls(&p.id, T0, 100).await.unwrap();
    let rows: Vec<(
        String,
        Option<String>,
        Verdict,
        u64,
        Option<f64>,
        Option<f64>,
        u64,
    )> = seen
        .iter()
        .map(|c| {
            (
                c.tool.clone(),
                c.agent.clone(),
                c.recorded,
                c.events,
                c.min_cost_usd,
                c.max_cost_usd,
                c.uncosted,
            )
        })
        .collect();
    let bot = Some("bot".to_string());
    assert_eq!(
        rows,
        vec![
            (
                "search".into(),
                bot.clone(),
                Verdict::Allowed,
                3,
                Some(0.1),
                Some(0.5),
                1
            ),
            ("gpt".into(), None, Verdict::Allowed, 1, None, None, 1),
            ("search".into(), bot, Verdict::Blocked, 1, None, None, 1),
        ],
        "busiest first; calls only; the window (from T0's hour) excludes t0, 100 s before; \
         other projects' not counted"
    );
    assert_eq!(s.seen_calls(&p.id, T0, 1).await.unwrap().len(), 1);
    assert_eq!(
        s.seen_calls(&p.id, T0 - 200 * SEC, 100).await.unwrap()[0].events,
        4,
        "a window starting 200 s before T0 reads that whole hour"
    );
    assert!(s
        .seen_calls(&other.id, T0 + 3600 * SEC, 100)
        .await
        .unwrap()
        .is_empty());
}
