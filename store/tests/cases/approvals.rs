use serde_json::json;
use store::{DecideOutcome, Store, StoreError};

pub async fn approval_flow(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    let a = s
        .create_approval(
            &p.id,
            "payments.refund",
            json!({"amount": 120}),
            "key:jj_agent01",
        )
        .await
        .unwrap();
    assert!(a.id.starts_with("apr_"));
    assert_eq!(a.status, "pending");
    assert_eq!(a.decided_at, None);
    assert_eq!(a.requested_by.as_deref(), Some("key:jj_agent01"));
    assert_eq!(s.approval(&p.id, &a.id).await.unwrap(), a);
    let b = s
        .create_approval(&p.id, "mail.send", json!(null), "ana@example.com")
        .await
        .unwrap();
    assert!(matches!(
        s.create_approval(&p.id, " ", json!({}), "ana@example.com")
            .await,
        Err(StoreError::Invalid(_))
    ));

    let listed = s
        .list_approvals(&p.id, None, &super::all())
        .await
        .unwrap()
        .items;
    assert_eq!(listed.len(), 2);
    assert_eq!(
        s.list_approvals(&p.id, Some("pending"), &super::all())
            .await
            .unwrap()
            .items
            .len(),
        2
    );
    assert!(s
        .list_approvals(&p.id, Some("approved"), &super::all())
        .await
        .unwrap()
        .items
        .is_empty());
    assert!(matches!(
        s.list_approvals(&p.id, Some("maybe"), &super::all()).await,
        Err(StoreError::Invalid(_))
    ));

    let decided = match s
        .decide_approval(&p.id, &a.id, "approved", Some("fine"), "ana")
        .await
        .unwrap()
    {
        DecideOutcome::Decided(x) => x,
        other => panic!("expected Decided, got {other:?}"),
    };
    assert_eq!(decided.status, "approved");
    assert_eq!(decided.reason.as_deref(), Some("fine"));
    assert_eq!(decided.decided_by.as_deref(), Some("ana"));
    assert!(decided.decided_at.is_some());
    assert_eq!(s.approval(&p.id, &a.id).await.unwrap(), decided);

    // A second decision does not overwrite the first.
    match s
        .decide_approval(&p.id, &a.id, "rejected", None, "bo")
        .await
        .unwrap()
    {
        DecideOutcome::AlreadyDecided(x) => assert_eq!(x, decided),
        other => panic!("expected AlreadyDecided, got {other:?}"),
    }
    assert!(matches!(
        s.decide_approval(&p.id, &b.id, "maybe", None, "ana").await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        s.decide_approval(&p.id, "apr_nope", "approved", None, "ana")
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.approval(&p.id, "apr_nope").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        s.list_approvals(&p.id, Some("approved"), &super::all())
            .await
            .unwrap()
            .items,
        vec![decided]
    );
    assert_eq!(
        s.list_approvals(&p.id, Some("pending"), &super::all())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

pub async fn racing_deciders(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    for round in 0..5 {
        let a = s
            .create_approval(
                &p.id,
                &format!("action-{round}"),
                json!({}),
                "key:jj_agent01",
            )
            .await
            .unwrap();
        let (x, y) = tokio::join!(
            s.decide_approval(&p.id, &a.id, "approved", None, "ana"),
            s.decide_approval(&p.id, &a.id, "rejected", None, "bo"),
        );
        let outcomes = [x.unwrap(), y.unwrap()];
        let winners: Vec<_> = outcomes
            .iter()
            .filter_map(|o| match o {
                DecideOutcome::Decided(a) => Some(a.clone()),
                DecideOutcome::AlreadyDecided(_) => None,
            })
            .collect();
        assert_eq!(winners.len(), 1, "exactly one decider wins: {outcomes:?}");
        for o in &outcomes {
            if let DecideOutcome::AlreadyDecided(seen) = o {
                assert_eq!(*seen, winners[0], "the loser sees the winner's decision");
            }
        }
    }
}
