use store::{Store, TraceFilter};

use crate::support::{ev, ids, DAY, T0};

const DAY_SECS: i64 = 86_400;

async fn trace_ids(s: &dyn Store, project: &str) -> Vec<String> {
    let filter = TraceFilter {
        limit: 100,
        ..Default::default()
    };
    let mut ids: Vec<String> = s
        .list_traces(project, &filter)
        .await
        .unwrap()
        .traces
        .into_iter()
        .map(|t| t.trace_id)
        .collect();
    ids.sort();
    ids
}

pub async fn prune_exempts_pinned(s: &dyn Store) {
    let now = T0 + 100 * DAY;
    let old = 90 * DAY_SECS; // ten days before `now`
    let recent = 100 * DAY_SECS - 3600;

    let p = s.create_project("p").await.unwrap();
    s.set_retention(&p.id, Some(7)).await.unwrap();
    s.upsert_events(
        &p.id,
        &[
            ev("old", "a", old),
            ev("old", "b", old + 1),
            ev("pinned", "a", old),
            ev("recent", "a", recent),
            // A trace still active keeps its old events too: traces go whole.
            ev("mixed", "a", old),
            ev("mixed", "b", recent),
        ],
    )
    .await
    .unwrap();
    let ds = s.create_dataset(&p.id, "keep", None, "test").await.unwrap();
    s.add_dataset_items(&p.id, &ds.id, &ids(&["pinned"]), crate::support::PIN)
        .await
        .unwrap();

    // No retention: nothing is pruned however old.
    let q = s.create_project("q").await.unwrap();
    s.upsert_events(&q.id, &[ev("old", "a", 0)]).await.unwrap();
    // Longer retention: ten days is within thirty.
    let r = s.create_project("r").await.unwrap();
    s.set_retention(&r.id, Some(30)).await.unwrap();
    s.upsert_events(&r.id, &[ev("old", "a", old)])
        .await
        .unwrap();

    assert_eq!(s.prune(now, None).await.unwrap(), 2);
    assert_eq!(trace_ids(s, &p.id).await, ["mixed", "pinned", "recent"]);
    assert!(s.trace_events(&p.id, "old").await.unwrap().is_empty());
    assert_eq!(s.trace_events(&p.id, "pinned").await.unwrap().len(), 1);
    assert_eq!(s.trace_events(&p.id, "mixed").await.unwrap().len(), 2);
    assert_eq!(trace_ids(s, &q.id).await, ["old"]);
    assert_eq!(trace_ids(s, &r.id).await, ["old"]);
    assert_eq!(
        s.prune(now, None).await.unwrap(),
        0,
        "pruning twice deletes nothing more"
    );

    // Unpinned, the old trace goes on the next run.
    assert!(s
        .remove_dataset_item(&p.id, &ds.id, "pinned", "test")
        .await
        .unwrap());
    assert_eq!(s.prune(now, None).await.unwrap(), 1);
    assert_eq!(trace_ids(s, &p.id).await, ["mixed", "recent"]);

    // The server-wide default applies to projects without their own setting only:
    // q (none) loses its ancient trace, r keeps its own thirty days.
    assert_eq!(s.prune(now, Some(7)).await.unwrap(), 1);
    assert!(trace_ids(s, &q.id).await.is_empty());
    assert_eq!(trace_ids(s, &r.id).await, ["old"]);
}
