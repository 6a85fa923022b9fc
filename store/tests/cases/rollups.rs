//! Hourly rollups stay equal to a recount of the events through everything that writes
//! or deletes events: new spans, identical and changed re-sends (verdict, hour, agent,
//! cost), pending then finished, a late pending copy, duplicates in a batch, racing
//! writers and retention.

use policy::Verdict;
use store::{HourlyCalls, Store};

use crate::support::{ev, EventExt, DAY, SEC, T0};

const HOUR: i64 = 3600;

async fn assert_no_drift(s: &dyn Store, project: &str, when: &str) {
    let drift = s.rollup_drift(project).await.unwrap();
    assert!(drift.is_empty(), "{when}: rollups drifted: {drift:#?}");
}

/// (hour offset from T0 in hours, verdict, events, cost).
async fn hours(s: &dyn Store, project: &str) -> Vec<(i64, Verdict, u64, f64)> {
    s.hourly_calls(project, T0 - 1000 * HOUR * SEC)
        .await
        .unwrap()
        .into_iter()
        .map(
            |HourlyCalls {
                 hour_micros,
                 verdict,
                 events,
                 cost_usd,
             }| {
                (
                    (hour_micros - T0) / (HOUR * SEC),
                    verdict,
                    events,
                    (cost_usd * 1000.0).round() / 1000.0,
                )
            },
        )
        .collect()
}

pub async fn rollups_follow_every_write(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    let first = vec![
        ev("t1", "a", 10).tool("search").agent("bot").cost(0.5),
        ev("t1", "b", 20).tool("search").agent("bot").cost(0.25),
        ev("t1", "c", HOUR + 5)
            .tool("wire")
            .verdict(Verdict::Blocked),
        ev("t2", "a", 30).kind("llm_call").tool("gpt").cost(1.0),
        // Not a call: in the rollups (by kind), never in the call counts.
        ev("t2", "b", 40).kind("agent_call").tool("bot"),
        ev("t3", "a", 50)
            .tool("pay")
            .status("pending")
            .verdict(Verdict::Held),
    ];
    assert_eq!(s.upsert_events(&p.id, &first).await.unwrap(), 6);
    assert_no_drift(s, &p.id, "first batch").await;
    assert_eq!(
        hours(s, &p.id).await,
        vec![
            (0, Verdict::Allowed, 3, 1.75),
            (0, Verdict::Held, 1, 0.0),
            (1, Verdict::Blocked, 1, 0.0),
        ]
    );

    // The same batch again changes nothing.
    assert_eq!(s.upsert_events(&p.id, &first).await.unwrap(), 0);
    assert_no_drift(s, &p.id, "identical re-send").await;

    let second = vec![
        // Blocked now, and dearer.
        ev("t1", "a", 10)
            .tool("search")
            .agent("bot")
            .cost(0.75)
            .verdict(Verdict::Blocked),
        // Moved to the next hour, another agent.
        ev("t1", "b", HOUR + 20)
            .tool("search")
            .agent("ops")
            .cost(0.25),
        // Finished: approved and allowed.
        ev("t3", "a", 50).tool("pay"),
        // Twice in one batch: the last copy counts.
        ev("t4", "a", 60).tool("x"),
        ev("t4", "a", 60).tool("x").verdict(Verdict::Errored),
    ];
    assert_eq!(s.upsert_events(&p.id, &second).await.unwrap(), 4);
    assert_no_drift(s, &p.id, "changed re-send").await;
    // A late pending copy of a finished span is ignored, in the rollups too.
    let late = ev("t3", "a", 50)
        .tool("pay")
        .status("pending")
        .verdict(Verdict::Held);
    assert_eq!(s.upsert_events(&p.id, &[late]).await.unwrap(), 0);
    assert_no_drift(s, &p.id, "late pending copy").await;
    assert_eq!(
        hours(s, &p.id).await,
        vec![
            (0, Verdict::Allowed, 2, 1.0),
            (0, Verdict::Blocked, 1, 0.75),
            (0, Verdict::Errored, 1, 0.0),
            (1, Verdict::Allowed, 1, 0.25),
            (1, Verdict::Blocked, 1, 0.0),
        ]
    );
    assert_eq!(
        s.top_tools(&p.id, T0, Verdict::Blocked, 5).await.unwrap(),
        vec![("search".to_string(), 1), ("wire".to_string(), 1)]
    );
    assert_eq!(
        s.top_tools(&p.id, T0 + HOUR * SEC, Verdict::Allowed, 5)
            .await
            .unwrap(),
        vec![("search".to_string(), 1)],
        "from the hour holding `since`"
    );
    let seen = s.seen_calls(&p.id, T0, 100).await.unwrap();
    let search_by: Vec<(Option<String>, Verdict, u64)> = seen
        .iter()
        .filter(|c| c.tool == "search")
        .map(|c| (c.agent.clone(), c.recorded, c.events))
        .collect();
    assert_eq!(
        search_by,
        vec![
            (Some("bot".to_string()), Verdict::Blocked, 1),
            (Some("ops".to_string()), Verdict::Allowed, 1),
        ]
    );

    // Writers racing over the same spans: each swaps exactly the copy it replaced.
    let racing: Vec<Vec<store::StoredEvent>> = (0..4)
        .map(|w| {
            (0..40)
                .map(|i| {
                    let verdict = Verdict::ALL[(i + w) % Verdict::ALL.len()];
                    ev("race", &format!("s{}", i % 25), (i as i64) * 200)
                        .tool(&format!("tool{}", (i + w) % 3))
                        .cost(0.01 * (w as f64 + 1.0))
                        .verdict(verdict)
                })
                .collect()
        })
        .collect();
    let writes = racing.iter().map(|batch| s.upsert_events(&p.id, batch));
    for written in futures::future::join_all(writes).await {
        written.unwrap();
    }
    assert_no_drift(s, &p.id, "racing writers").await;

    // Retention deletes whole traces, and their counts with them.
    s.set_retention(&p.id, Some(1)).await.unwrap();
    assert!(s.prune(T0 + 2 * DAY, None).await.unwrap() > 0);
    assert_no_drift(s, &p.id, "after retention").await;
    assert!(hours(s, &p.id).await.is_empty());
    assert!(s.seen_calls(&p.id, T0, 100).await.unwrap().is_empty());

    // A rebuild writes what the recount says.
    s.upsert_events(&p.id, &first).await.unwrap();
    assert_eq!(s.rebuild_rollups(&p.id).await.unwrap(), 5);
    assert_no_drift(s, &p.id, "after a rebuild").await;
}
