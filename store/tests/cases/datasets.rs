use store::{AddItemsOutcome, Store, StoreError};

use crate::support::{ev, ids};

pub async fn datasets_crud(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    let a = s
        .create_dataset(&p.id, "golden", Some("the good ones"), "test")
        .await
        .unwrap();
    assert!(a.id.starts_with("ds_"));
    assert_eq!(a.project_id, p.id);
    assert_eq!(a.description.as_deref(), Some("the good ones"));
    assert_eq!(a.item_count, 0);
    let b = s
        .create_dataset(&p.id, "attacks", None, "test")
        .await
        .unwrap();
    assert!(matches!(
        s.create_dataset(&p.id, "golden", None, "test").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.create_dataset(&p.id, " ", None, "test").await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        s.create_dataset("proj_nope", "x", None, "test").await,
        Err(StoreError::NotFound)
    ));

    assert_eq!(
        s.list_datasets(&p.id, &super::all()).await.unwrap().items,
        vec![b.clone(), a.clone()],
        "by name"
    );
    assert_eq!(
        s.dataset_by_name(&p.id, "golden").await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(s.dataset_by_name(&p.id, "nope").await.unwrap(), None);
    let detail = s.dataset(&p.id, &a.id, &super::all()).await.unwrap();
    assert_eq!(detail.dataset, a);
    assert!(detail.items.is_empty());
    assert!(matches!(
        s.dataset(&p.id, "ds_nope", &super::all()).await,
        Err(StoreError::NotFound)
    ));

    let renamed = s.rename_dataset(&p.id, &a.id, "platinum").await.unwrap();
    assert_eq!(renamed.name, "platinum");
    assert_eq!(renamed.id, a.id);
    assert!(matches!(
        s.rename_dataset(&p.id, &a.id, "attacks").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.rename_dataset(&p.id, "ds_nope", "x").await,
        Err(StoreError::NotFound)
    ));

    s.delete_dataset(&p.id, &b.id).await.unwrap();
    assert!(matches!(
        s.dataset(&p.id, &b.id, &super::all()).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.delete_dataset(&p.id, &b.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        s.list_datasets(&p.id, &super::all())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    // Another project may reuse the name.
    let q = s.create_project("q").await.unwrap();
    s.create_dataset(&q.id, "platinum", None, "test")
        .await
        .unwrap();
}

pub async fn dataset_items(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    s.upsert_events(
        &p.id,
        &[ev("t1", "a", 0), ev("t2", "a", 5), ev("t3", "a", 9)],
    )
    .await
    .unwrap();
    let ds = s
        .create_dataset(&p.id, "golden", None, "test")
        .await
        .unwrap();

    let first = s
        .add_dataset_items(
            &p.id,
            &ds.id,
            &ids(&["t2", "t1", "ghost", "t2"]),
            crate::support::PIN,
        )
        .await
        .unwrap();
    assert_eq!(
        first,
        AddItemsOutcome {
            added: ids(&["t2", "t1"]),
            already_present: vec![],
            unknown: ids(&["ghost"])
        }
    );
    let again = s
        .add_dataset_items(
            &p.id,
            &ds.id,
            &ids(&["t1", "t3", "ghost"]),
            crate::support::PIN,
        )
        .await
        .unwrap();
    assert_eq!(
        again,
        AddItemsOutcome {
            added: ids(&["t3"]),
            already_present: ids(&["t1"]),
            unknown: ids(&["ghost"])
        }
    );
    assert_eq!(
        s.add_dataset_items(&p.id, &ds.id, &[], crate::support::PIN)
            .await
            .unwrap(),
        AddItemsOutcome::default()
    );
    assert!(matches!(
        s.add_dataset_items(&p.id, "ds_nope", &ids(&["t1"]), crate::support::PIN)
            .await,
        Err(StoreError::NotFound)
    ));

    let detail = s.dataset(&p.id, &ds.id, &super::all()).await.unwrap();
    assert_eq!(detail.dataset.item_count, 3);
    let mut pinned: Vec<&str> = detail.items.iter().map(|i| i.trace_id.as_str()).collect();
    pinned.sort();
    assert_eq!(pinned, ["t1", "t2", "t3"]);
    for item in &detail.items {
        let trace = item.trace.as_ref().expect("summary of a pinned trace");
        assert_eq!(trace.trace_id, item.trace_id);
        assert_eq!(trace.event_count, 1);
    }
    assert_eq!(
        s.list_datasets(&p.id, &super::all()).await.unwrap().items[0].item_count,
        3
    );

    assert!(s
        .remove_dataset_item(&p.id, &ds.id, "t2", "test")
        .await
        .unwrap());
    assert!(!s
        .remove_dataset_item(&p.id, &ds.id, "t2", "test")
        .await
        .unwrap());
    assert!(matches!(
        s.remove_dataset_item(&p.id, "ds_nope", "t1", "test").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        s.dataset(&p.id, &ds.id, &super::all())
            .await
            .unwrap()
            .dataset
            .item_count,
        2
    );
    // A removed trace can be pinned again.
    let back = s
        .add_dataset_items(&p.id, &ds.id, &ids(&["t2"]), crate::support::PIN)
        .await
        .unwrap();
    assert_eq!(back.added, ids(&["t2"]));
}

pub async fn delete_cascades_to_items_not_events(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    s.upsert_events(&p.id, &[ev("t1", "a", 0), ev("t1", "b", 1)])
        .await
        .unwrap();
    let ds = s
        .create_dataset(&p.id, "golden", None, "test")
        .await
        .unwrap();
    s.add_dataset_items(&p.id, &ds.id, &ids(&["t1"]), crate::support::PIN)
        .await
        .unwrap();
    s.delete_dataset(&p.id, &ds.id).await.unwrap();

    assert_eq!(
        s.trace_events(&p.id, "t1").await.unwrap().len(),
        2,
        "events survive"
    );
    assert_eq!(
        s.trace_summaries(&p.id, &ids(&["t1"])).await.unwrap().len(),
        1
    );
    // A new dataset of the same name starts empty: the pins went with the old one.
    let again = s
        .create_dataset(&p.id, "golden", None, "test")
        .await
        .unwrap();
    assert_eq!(again.item_count, 0);
    assert!(s
        .dataset(&p.id, &again.id, &super::all())
        .await
        .unwrap()
        .items
        .is_empty());
    assert_eq!(
        s.add_dataset_items(&p.id, &again.id, &ids(&["t1"]), crate::support::PIN)
            .await
            .unwrap()
            .added,
        ids(&["t1"])
    );
}

/// Each change of membership is a version with its author and what it changed; any
/// version's members read back, and the replay scan reads a version's traces.
pub async fn dataset_versions(s: &dyn Store) {
    use futures::TryStreamExt;
    use store::{DatasetChangeKind as Change, EventScan, MembershipChange, PageRequest};
    let p = s.create_project("p").await.unwrap();
    s.upsert_events(
        &p.id,
        &[ev("t1", "a", 0), ev("t2", "a", 5), ev("t3", "a", 9)],
    )
    .await
    .unwrap();
    let ds = s
        .create_dataset(&p.id, "golden", None, "ana@example.com")
        .await
        .unwrap();
    assert_eq!(ds.version, 1);
    let import = MembershipChange {
        kind: Change::Imported,
        author: "key:jj_abc",
    };
    s.add_dataset_items(&p.id, &ds.id, &ids(&["t1", "t2"]), import)
        .await
        .unwrap();
    // Nothing new pinned: no version.
    s.add_dataset_items(&p.id, &ds.id, &ids(&["t1", "ghost"]), crate::support::PIN)
        .await
        .unwrap();
    assert!(s
        .remove_dataset_item(&p.id, &ds.id, "t1", "vic@example.com")
        .await
        .unwrap());
    s.add_dataset_items(&p.id, &ds.id, &ids(&["t3", "t1"]), crate::support::PIN)
        .await
        .unwrap();
    let current = s
        .dataset(&p.id, &ds.id, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(current.dataset.version, 4);

    let versions = s
        .dataset_versions(&p.id, &ds.id, &PageRequest::first(10))
        .await
        .unwrap();
    let seen: Vec<(i64, Change, &str, i64, i64, i64)> = versions
        .items
        .iter()
        .map(|v| {
            (
                v.version,
                v.change,
                v.author.as_str(),
                v.added,
                v.removed,
                v.traces,
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (4, Change::Pinned, "test", 2, 0, 3),
            (3, Change::Unpinned, "vic@example.com", 0, 1, 1),
            (2, Change::Imported, "key:jj_abc", 2, 0, 2),
            (1, Change::Created, "ana@example.com", 0, 0, 0),
        ]
    );
    assert_eq!(versions.items[0].added_traces, ids(&["t1", "t3"]));
    assert_eq!(versions.items[1].removed_traces, ids(&["t1"]));
    assert_eq!(versions.items[2].added_traces, ids(&["t1", "t2"]));
    // Pages continue from the cursor.
    let first = s
        .dataset_versions(&p.id, &ds.id, &PageRequest::first(3))
        .await
        .unwrap();
    let rest = s
        .dataset_versions(
            &p.id,
            &ds.id,
            &PageRequest {
                cursor: first.next_cursor.clone(),
                limit: 3,
            },
        )
        .await
        .unwrap();
    assert_eq!(first.items.len(), 3);
    assert_eq!(
        rest.items.iter().map(|v| v.version).collect::<Vec<_>>(),
        vec![1]
    );
    assert!(rest.next_cursor.is_none());

    let members = |version| s.dataset_members(&p.id, &ds.id, version);
    assert_eq!(
        members(Some(1)).await.unwrap().trace_ids,
        Vec::<String>::new()
    );
    assert_eq!(
        members(Some(2)).await.unwrap().trace_ids,
        ids(&["t1", "t2"])
    );
    assert_eq!(members(Some(3)).await.unwrap().trace_ids, ids(&["t2"]));
    let now = members(None).await.unwrap();
    assert_eq!((now.version, now.trace_ids), (4, ids(&["t1", "t2", "t3"])));
    assert!(matches!(members(Some(5)).await, Err(StoreError::NotFound)));
    assert!(matches!(members(Some(0)).await, Err(StoreError::NotFound)));

    for (version, traces) in [(3, ids(&["t2"])), (2, ids(&["t1", "t2"]))] {
        let scan = EventScan::DatasetVersion {
            id: ds.id.clone(),
            version,
        };
        let mut seen: Vec<String> = s
            .scan_events(&p.id, scan)
            .map_ok(|e| e.trace_id)
            .try_collect()
            .await
            .unwrap();
        seen.dedup();
        assert_eq!(seen, traces, "version {version}");
    }
    let counted = s
        .count_events(
            &p.id,
            EventScan::DatasetVersion {
                id: ds.id.clone(),
                version: 4,
            },
        )
        .await
        .unwrap();
    assert_eq!(counted, 3);
    assert!(s
        .dataset_versions(&p.id, "ds_nope", &PageRequest::first(3))
        .await
        .is_err());
}

/// Expectations sit on pinned traces, replace the verdict of the same trace and
/// pattern, and go when their trace is unpinned.
pub async fn dataset_expectations(s: &dyn Store) {
    use policy::{Expectation, Expected, Verdict};
    let p = s.create_project("p").await.unwrap();
    s.upsert_events(&p.id, &[ev("t1", "a", 0), ev("t2", "a", 5)])
        .await
        .unwrap();
    let ds = s
        .create_dataset(&p.id, "golden", None, "test")
        .await
        .unwrap();
    s.add_dataset_items(&p.id, &ds.id, &ids(&["t1", "t2"]), crate::support::PIN)
        .await
        .unwrap();
    let expect = |trace: &str, pattern: &str, expected| Expectation {
        trace_id: trace.into(),
        pattern: pattern.into(),
        expected,
    };
    let wire = s
        .set_dataset_expectation(
            &p.id,
            &ds.id,
            &expect("t1", "wire_*", Expected::Is(Verdict::Blocked)),
            "ana@example.com",
        )
        .await
        .unwrap();
    assert!(wire.id.starts_with("exp_"));
    assert_eq!(wire.author, "ana@example.com");
    s.set_dataset_expectation(
        &p.id,
        &ds.id,
        &expect("t2", "*", Expected::Recorded),
        "test",
    )
    .await
    .unwrap();
    // The same trace and pattern: the verdict is replaced, the id kept.
    let again = s
        .set_dataset_expectation(
            &p.id,
            &ds.id,
            &expect("t1", "wire_*", Expected::Is(Verdict::Held)),
            "vic@example.com",
        )
        .await
        .unwrap();
    assert_eq!(again.id, wire.id);
    assert_eq!(again.author, "vic@example.com");
    let all = s.dataset_expectations(&p.id, &ds.id).await.unwrap();
    let seen: Vec<(&str, &str, Expected)> = all
        .iter()
        .map(|e| {
            (
                e.expectation.trace_id.as_str(),
                e.expectation.pattern.as_str(),
                e.expectation.expected,
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("t1", "wire_*", Expected::Is(Verdict::Held)),
            ("t2", "*", Expected::Recorded),
        ]
    );
    // Only on pinned traces.
    assert!(matches!(
        s.set_dataset_expectation(
            &p.id,
            &ds.id,
            &expect("t9", "*", Expected::Recorded),
            "test"
        )
        .await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        s.set_dataset_expectation(
            &p.id,
            "ds_nope",
            &expect("t1", "*", Expected::Recorded),
            "test"
        )
        .await,
        Err(StoreError::NotFound)
    ));
    // Removing one; unpinning a trace drops its expectations.
    assert!(s
        .remove_dataset_expectation(&p.id, &ds.id, &wire.id)
        .await
        .unwrap());
    assert!(!s
        .remove_dataset_expectation(&p.id, &ds.id, &wire.id)
        .await
        .unwrap());
    assert!(s
        .remove_dataset_item(&p.id, &ds.id, "t2", "test")
        .await
        .unwrap());
    assert!(s
        .dataset_expectations(&p.id, &ds.id)
        .await
        .unwrap()
        .is_empty());
    // Deleting the dataset takes its versions and expectations.
    s.set_dataset_expectation(
        &p.id,
        &ds.id,
        &expect("t1", "*", Expected::Recorded),
        "test",
    )
    .await
    .unwrap();
    s.delete_dataset(&p.id, &ds.id).await.unwrap();
    assert!(s.dataset_expectations(&p.id, &ds.id).await.is_err());
}
