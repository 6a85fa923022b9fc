use policy::Verdict;
use store::{Store, StoreError, ThreadFilter, VerdictCounts};

use crate::support::{ev, EventExt, T0};

pub async fn thread_aggregation(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    let batch = vec![
        // s1: two turns, two agents, 3.5 s of activity overall.
        ev("t1", "a", 0).session("s1").agent("bot").cost(0.5),
        ev("t1", "b", 1).agent("helper").verdict(Verdict::Blocked),
        ev("t2", "a", 5)
            .session("s1")
            .agent("bot")
            .cost(1.0)
            .duration(2500.0),
        // s2: one turn, later.
        ev("t3", "a", 100)
            .session("s2")
            .agent("other")
            .verdict(Verdict::Held),
        // No session: not a thread.
        ev("t4", "a", 200),
    ];
    s.upsert_events(&p.id, &batch).await.unwrap();

    let page = s
        .list_threads(
            &p.id,
            &ThreadFilter {
                cursor: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.next_cursor, None);
    let sessions: Vec<&str> = page.threads.iter().map(|t| t.session_id.as_str()).collect();
    assert_eq!(sessions, ["s2", "s1"], "most recently active first");
    let s1 = &page.threads[1];
    assert_eq!(s1.turns, 2);
    assert_eq!(s1.first_micros, T0);
    assert_eq!(s1.last_micros, T0 + 7_500_000);
    assert_eq!(s1.agents, ["bot", "helper"]);
    assert!((s1.cost_usd - 1.5).abs() < 1e-9);
    assert_eq!(
        s1.verdicts,
        VerdictCounts {
            allowed: 2,
            blocked: 1,
            ..Default::default()
        }
    );

    let (summary, turns) = s.thread(&p.id, "s1").await.unwrap().unwrap();
    assert_eq!(summary, *s1);
    let turn_ids: Vec<&str> = turns.iter().map(|t| t.trace_id.as_str()).collect();
    assert_eq!(turn_ids, ["t1", "t2"], "oldest turn first");
    assert_eq!(turns[0].agents, ["bot", "helper"]);
    assert_eq!(turns[1].end_micros, T0 + 7_500_000);
    assert_eq!(s.thread(&p.id, "nope").await.unwrap(), None);
}

pub async fn thread_pagination(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    let mut batch = Vec::new();
    for i in 0..5 {
        // Two sessions end at the same moment: the session id breaks the tie.
        let at = if i == 3 { 40 } else { i * 10 };
        batch.push(ev(&format!("t{i}"), "a", at).session(&format!("s{i}")));
    }
    s.upsert_events(&p.id, &batch).await.unwrap();
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = s
            .list_threads(
                &p.id,
                &ThreadFilter {
                    cursor: cursor.clone(),
                    limit: 2,
                },
            )
            .await
            .unwrap();
        assert!(page.threads.len() <= 2);
        seen.extend(page.threads.into_iter().map(|t| t.session_id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ["s4", "s3", "s2", "s1", "s0"]);
    let bad = ThreadFilter {
        cursor: Some("zz".into()),
        limit: 2,
    };
    assert!(matches!(
        s.list_threads(&p.id, &bad).await,
        Err(StoreError::Invalid(_))
    ));
}
