//! Every paged read: pages of a small size, followed by their cursors, give exactly
//! the rows one large page gives, in its order, each once, with ties in the sort key
//! broken the same way; a page that reaches the end says so.
use std::future::Future;

use serde_json::json;
use store::{Page, PageRequest, Store, StoreError};

use crate::support::ev;

/// Reads a listing `size` rows at a time, following `next_cursor`; checks that no page
/// is larger than asked and that only the last one has no cursor.
async fn read_in_pages<T, F, Fut>(size: u32, mut read: F) -> Vec<T>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Page<T>>,
{
    let mut rows = Vec::new();
    let mut page = PageRequest::first(size);
    loop {
        let got = read(page.clone()).await;
        assert!(got.items.len() <= size as usize, "a page larger than asked");
        rows.extend(got.items);
        match got.next_cursor {
            Some(cursor) => page = PageRequest::after(cursor, size),
            None => return rows,
        }
    }
}

/// The listing read in pages of 2 and 3 equals it read whole (`all` rows); a page of
/// exactly `all` rows has no cursor.
async fn pages_match<T, F, Fut>(all: usize, mut read: F)
where
    T: PartialEq + std::fmt::Debug,
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Page<T>>,
{
    let whole = read(PageRequest::first(1_000)).await;
    assert_eq!(whole.items.len(), all);
    assert_eq!(whole.next_cursor, None);
    let exact = read(PageRequest::first(all as u32)).await;
    assert_eq!(
        exact.next_cursor, None,
        "a page reaching the end has no cursor"
    );
    let short = read(PageRequest::first(all as u32 - 1)).await;
    assert!(
        short.next_cursor.is_some(),
        "a page short of the end has one"
    );
    for size in [2, 3] {
        assert_eq!(read_in_pages(size, &mut read).await, whole.items);
    }
}

pub async fn pages_continue_where_they_stopped(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    let pid = p.id.as_str();

    // A trace whose events tie on timestamp and sequence: insertion order decides.
    let spans = [
        ("a", 0),
        ("b", 0),
        ("c", 0),
        ("d", 1),
        ("e", 1),
        ("f", 2),
        ("g", 3),
    ];
    let events: Vec<_> = spans.iter().map(|(s, at)| ev("t", s, *at)).collect();
    s.upsert_events(pid, &events).await.unwrap();
    let whole = s.trace_events(pid, "t").await.unwrap();
    pages_match(7, |page| async move {
        s.trace_events_page(pid, "t", &page).await.unwrap()
    })
    .await;
    let paged = read_in_pages(2, |page| async move {
        s.trace_events_page(pid, "t", &page).await.unwrap()
    })
    .await;
    assert_eq!(paged, whole);

    // Approvals, all and by status.
    for i in 0..7 {
        let a = s
            .create_approval(pid, &format!("act{i}"), json!({"i": i}), "ana@example.com")
            .await
            .unwrap();
        if i % 2 == 0 {
            s.decide_approval(pid, &a.id, "approved", None, "ana")
                .await
                .unwrap();
        }
    }
    pages_match(7, |page| async move {
        s.list_approvals(pid, None, &page).await.unwrap()
    })
    .await;
    pages_match(4, |page| async move {
        s.list_approvals(pid, Some("approved"), &page)
            .await
            .unwrap()
    })
    .await;
    assert_eq!(s.count_approvals(pid, None).await.unwrap(), 7);
    assert_eq!(s.count_approvals(pid, Some("pending")).await.unwrap(), 3);

    // Datasets, and one dataset's items: pinned in one call, they tie on added_at.
    let traces: Vec<String> = (0..7).map(|i| format!("tr{i}")).collect();
    let events: Vec<_> = traces.iter().map(|t| ev(t, "s", 0)).collect();
    s.upsert_events(pid, &events).await.unwrap();
    for name in ["e", "b", "g", "a", "f", "c"] {
        s.create_dataset(pid, name, None, "test").await.unwrap();
    }
    let ds = s.create_dataset(pid, "d", None, "test").await.unwrap();
    s.add_dataset_items(pid, &ds.id, &traces, crate::support::PIN)
        .await
        .unwrap();
    pages_match(7, |page| async move {
        s.list_datasets(pid, &page).await.unwrap()
    })
    .await;
    let ds_id = ds.id.as_str();
    pages_match(7, |page| async move {
        let detail = s.dataset(pid, ds_id, &page).await.unwrap();
        assert_eq!(detail.dataset.item_count, 7, "the count covers every page");
        Page {
            items: detail.items,
            next_cursor: detail.next_cursor,
        }
    })
    .await;
    let pinned = s.dataset(pid, ds_id, &PageRequest::first(3)).await.unwrap();
    let first: Vec<&str> = pinned.items.iter().map(|i| i.trace_id.as_str()).collect();
    assert_eq!(first, ["tr0", "tr1", "tr2"]);
    assert!(
        pinned.items.iter().all(|i| i.trace.is_some()),
        "with summaries"
    );

    // Policy versions, newest first.
    for i in 0..7 {
        s.save_policy(
            pid,
            "last_match",
            json!([{"pattern": format!("t{i}"), "action": "block"}]),
            "ana",
            None,
        )
        .await
        .unwrap();
    }
    pages_match(7, |page| async move {
        s.policy_versions(pid, &page).await.unwrap()
    })
    .await;
    let newest = s
        .policy_versions(pid, &PageRequest::first(3))
        .await
        .unwrap();
    let numbers: Vec<i64> = newest.items.iter().map(|v| v.version).collect();
    assert_eq!(numbers, [7, 6, 5]);

    // A cursor the store did not issue, or one of another listing's shape, is refused.
    for cursor in ["zz", "7b7d"] {
        let page = PageRequest::after(cursor, 2);
        assert!(matches!(
            s.list_approvals(pid, None, &page).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            s.trace_events_page(pid, "t", &page).await,
            Err(StoreError::Invalid(_))
        ));
    }
    assert!(matches!(
        s.policy_versions(pid, &PageRequest::after("7b7d", 2)).await,
        Err(StoreError::Invalid(_))
    ));
}
