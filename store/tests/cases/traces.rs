use std::collections::HashSet;

use policy::Verdict;
use store::{Store, StoreError, TraceFilter, VerdictCounts};

use crate::support::{ev, ids, EventExt, SEC, T0};

pub async fn trace_aggregation(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    let batch = vec![
        ev("t1", "root", 10)
            .kind("agent_call")
            .tool("planner")
            .agent("zed")
            .session("s1"),
        ev("t1", "c1", 11)
            .tool("search")
            .agent("alpha")
            .cost(0.25)
            .duration(500.0),
        ev("t1", "c2", 12)
            .tool("search")
            .agent("alpha")
            .cost(0.5)
            .verdict(Verdict::Blocked),
        ev("t1", "c3", 13)
            .kind("llm_call")
            .tool("gpt")
            .cost(1.25)
            .duration(4000.0),
        ev("t1", "c4", 14)
            .kind("mcp_tool_call")
            .tool("fs.read")
            .verdict(Verdict::Redacted),
        ev("t1", "c5", 15).tool("search").verdict(Verdict::Held),
        ev("t1", "c6", 15)
            .kind("error")
            .tool("boom")
            .verdict(Verdict::Errored)
            .seq(2),
        ev("t1", "c7", 15).tool("mail").seq(1),
        ev("t2", "a", 20).tool("other"),
    ];
    s.upsert_events(&p.id, &batch).await.unwrap();

    let sums = s
        .trace_summaries(&p.id, &ids(&["t2", "nope", "t1", "t2"]))
        .await
        .unwrap();
    assert_eq!(
        sums.iter().map(|t| t.trace_id.as_str()).collect::<Vec<_>>(),
        ["t2", "t1"]
    );
    let t1 = &sums[1];
    assert_eq!(t1.start_micros, T0 + 10 * SEC);
    // The LLM call at 13 s lasting 4 s ends last.
    assert_eq!(t1.end_micros, T0 + 17 * SEC);
    assert_eq!(t1.duration_ms, 7000.0);
    assert_eq!(t1.agents, ["alpha", "zed"]);
    assert_eq!(t1.session_id.as_deref(), Some("s1"));
    assert_eq!(t1.event_count, 8);
    assert!((t1.cost_usd - 2.0).abs() < 1e-9);
    // Tool, LLM and MCP calls only; most used first, then by name.
    assert_eq!(t1.tools, ["search", "fs.read", "gpt", "mail"]);
    assert_eq!(
        t1.verdicts,
        VerdictCounts {
            allowed: 4,
            blocked: 1,
            held: 1,
            redacted: 1,
            errored: 1
        }
    );
    assert_eq!(sums[0].cost_usd, 0.0);
    assert_eq!(sums[0].agents, Vec::<String>::new());
    assert_eq!(sums[0].session_id, None);

    // Events by timestamp, then sequence.
    let spans: Vec<String> = s
        .trace_events(&p.id, "t1")
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.span_id)
        .collect();
    assert_eq!(spans, ["root", "c1", "c2", "c3", "c4", "c5", "c7", "c6"]);
    assert!(s.trace_events(&p.id, "nope").await.unwrap().is_empty());
    let first = s
        .trace_events_page(&p.id, "t1", &store::PageRequest::first(3))
        .await
        .unwrap();
    let spans_of = |events: &[store::StoredEvent]| -> Vec<String> {
        events.iter().map(|e| e.span_id.clone()).collect()
    };
    assert_eq!(spans_of(&first.items), ["root", "c1", "c2"]);
    let cursor = first.next_cursor.expect("more events follow");
    let rest = s
        .trace_events_page(&p.id, "t1", &store::PageRequest::after(cursor, 5))
        .await
        .unwrap();
    assert_eq!(spans_of(&rest.items), ["c3", "c4", "c5", "c7", "c6"]);
    assert_eq!(rest.next_cursor, None, "the last page says so");
    let c6 = s.span_event(&p.id, "t1", "c6").await.unwrap().unwrap();
    assert_eq!((c6.trace_id.as_str(), c6.span_id.as_str()), ("t1", "c6"));
    assert!(s.span_event(&p.id, "t1", "nope").await.unwrap().is_none());
    assert!(s.span_event(&p.id, "nope", "c6").await.unwrap().is_none());
    assert!(s.trace_summaries(&p.id, &[]).await.unwrap().is_empty());

    let page = s
        .list_traces(
            &p.id,
            &TraceFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.traces.len(), 2);
    assert_eq!(page.traces[0].trace_id, "t2", "newest first");
    assert_eq!(page.traces[1], *t1);
    assert_eq!(page.next_cursor, None);
}

async fn listed(s: &dyn Store, project: &str, filter: TraceFilter) -> Vec<String> {
    let filter = TraceFilter {
        limit: 50,
        ..filter
    };
    s.list_traces(project, &filter)
        .await
        .unwrap()
        .traces
        .into_iter()
        .map(|t| t.trace_id)
        .collect()
}

pub async fn trace_filters(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    let batch = vec![
        ev("t1", "a", 0)
            .agent("support-bot")
            .session("s1")
            .tool("Web_Search"),
        ev("t2", "a", 10)
            .agent("billing")
            .session("s1")
            .tool("payments.refund")
            .verdict(Verdict::Blocked),
        ev("t2", "b", 11).agent("support-bot").tool("websearch"),
        ev("t3", "a", 20)
            .session("s2")
            .tool("mail.send")
            .verdict(Verdict::Held),
        ev("t4", "a", 30).tool("100%_sure"),
    ];
    s.upsert_events(&p.id, &batch).await.unwrap();

    let all = listed(s, &p.id, TraceFilter::default()).await;
    assert_eq!(all, ["t4", "t3", "t2", "t1"]);
    let by = |f: TraceFilter| listed(s, &p.id, f);
    assert_eq!(
        by(TraceFilter {
            agent: Some("support-bot".into()),
            ..Default::default()
        })
        .await,
        ["t2", "t1"]
    );
    // Part of the name, in any case, as the tool filter reads.
    assert_eq!(
        by(TraceFilter {
            agent: Some("SUPPORT".into()),
            ..Default::default()
        })
        .await,
        ["t2", "t1"]
    );
    assert_eq!(
        by(TraceFilter {
            agent: Some("bill".into()),
            ..Default::default()
        })
        .await,
        ["t2"]
    );
    assert_eq!(
        by(TraceFilter {
            agent: Some("%".into()),
            ..Default::default()
        })
        .await,
        Vec::<String>::new()
    );
    assert_eq!(
        by(TraceFilter {
            session: Some("s1".into()),
            ..Default::default()
        })
        .await,
        ["t2", "t1"]
    );
    assert_eq!(
        by(TraceFilter {
            verdict: Some(Verdict::Blocked),
            ..Default::default()
        })
        .await,
        ["t2"]
    );
    assert_eq!(
        by(TraceFilter {
            verdict: Some(Verdict::Allowed),
            ..Default::default()
        })
        .await,
        ["t4", "t2", "t1"]
    );
    assert_eq!(
        by(TraceFilter {
            verdict: Some(Verdict::Errored),
            ..Default::default()
        })
        .await,
        Vec::<String>::new()
    );
    // Case-insensitive substring; LIKE wildcards are literal.
    assert_eq!(
        by(TraceFilter {
            tool: Some("SEARCH".into()),
            ..Default::default()
        })
        .await,
        ["t2", "t1"]
    );
    assert_eq!(
        by(TraceFilter {
            tool: Some("web_".into()),
            ..Default::default()
        })
        .await,
        ["t1"]
    );
    assert_eq!(
        by(TraceFilter {
            tool: Some("0%_".into()),
            ..Default::default()
        })
        .await,
        ["t4"]
    );
    assert_eq!(
        by(TraceFilter {
            tool: Some("%".into()),
            ..Default::default()
        })
        .await,
        ["t4"]
    );
    // Start time: since inclusive, until exclusive.
    let window = TraceFilter {
        since_micros: Some(T0 + 10 * SEC),
        until_micros: Some(T0 + 30 * SEC),
        ..Default::default()
    };
    assert_eq!(by(window).await, ["t3", "t2"]);
    let combined = TraceFilter {
        session: Some("s1".into()),
        agent: Some("billing".into()),
        ..Default::default()
    };
    assert_eq!(by(combined).await, ["t2"]);
}

pub async fn trace_pagination(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    // Seven traces; three share a start time, so the trace id breaks ties.
    let mut batch = Vec::new();
    for (i, at) in [0, 10, 10, 10, 20, 30, 40].iter().enumerate() {
        batch.push(ev(&format!("t{i}"), "a", *at));
    }
    s.upsert_events(&p.id, &batch).await.unwrap();

    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let filter = TraceFilter {
            limit: 3,
            cursor: cursor.clone(),
            ..Default::default()
        };
        let page = s.list_traces(&p.id, &filter).await.unwrap();
        pages += 1;
        seen.extend(page.traces.iter().map(|t| t.trace_id.clone()));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ["t6", "t5", "t4", "t3", "t2", "t1", "t0"]);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 7);

    // An exact multiple of the page size ends without an empty extra page.
    let page = s
        .list_traces(
            &p.id,
            &TraceFilter {
                limit: 7,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.traces.len(), 7);
    assert_eq!(page.next_cursor, None);

    let bad = TraceFilter {
        limit: 3,
        cursor: Some("not-a-cursor".into()),
        ..Default::default()
    };
    assert!(matches!(
        s.list_traces(&p.id, &bad).await,
        Err(StoreError::Invalid(_))
    ));
}
