use store::{AddItemsOutcome, Store, StoreError};

use crate::support::{ev, ids};

pub async fn datasets_crud(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    let a = s
        .create_dataset(&p.id, "golden", Some("the good ones"))
        .await
        .unwrap();
    assert!(a.id.starts_with("ds_"));
    assert_eq!(a.project_id, p.id);
    assert_eq!(a.description.as_deref(), Some("the good ones"));
    assert_eq!(a.item_count, 0);
    let b = s.create_dataset(&p.id, "attacks", None).await.unwrap();
    assert!(matches!(
        s.create_dataset(&p.id, "golden", None).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.create_dataset(&p.id, " ", None).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        s.create_dataset("proj_nope", "x", None).await,
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
    s.create_dataset(&q.id, "platinum", None).await.unwrap();
}

pub async fn dataset_items(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    s.upsert_events(
        &p.id,
        &[ev("t1", "a", 0), ev("t2", "a", 5), ev("t3", "a", 9)],
    )
    .await
    .unwrap();
    let ds = s.create_dataset(&p.id, "golden", None).await.unwrap();

    let first = s
        .add_dataset_items(&p.id, &ds.id, &ids(&["t2", "t1", "ghost", "t2"]))
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
        .add_dataset_items(&p.id, &ds.id, &ids(&["t1", "t3", "ghost"]))
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
        s.add_dataset_items(&p.id, &ds.id, &[]).await.unwrap(),
        AddItemsOutcome::default()
    );
    assert!(matches!(
        s.add_dataset_items(&p.id, "ds_nope", &ids(&["t1"])).await,
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

    assert!(s.remove_dataset_item(&p.id, &ds.id, "t2").await.unwrap());
    assert!(!s.remove_dataset_item(&p.id, &ds.id, "t2").await.unwrap());
    assert!(!s.remove_dataset_item(&p.id, "ds_nope", "t1").await.unwrap());
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
        .add_dataset_items(&p.id, &ds.id, &ids(&["t2"]))
        .await
        .unwrap();
    assert_eq!(back.added, ids(&["t2"]));
}

pub async fn delete_cascades_to_items_not_events(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    s.upsert_events(&p.id, &[ev("t1", "a", 0), ev("t1", "b", 1)])
        .await
        .unwrap();
    let ds = s.create_dataset(&p.id, "golden", None).await.unwrap();
    s.add_dataset_items(&p.id, &ds.id, &ids(&["t1"]))
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
    let again = s.create_dataset(&p.id, "golden", None).await.unwrap();
    assert_eq!(again.item_count, 0);
    assert!(s
        .dataset(&p.id, &again.id, &super::all())
        .await
        .unwrap()
        .items
        .is_empty());
    assert_eq!(
        s.add_dataset_items(&p.id, &again.id, &ids(&["t1"]))
            .await
            .unwrap()
            .added,
        ids(&["t1"])
    );
}
