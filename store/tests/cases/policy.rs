use serde_json::json;
use store::{Store, StoreError};

pub async fn policy_versions(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    let v0 = s.active_policy(&p.id).await.unwrap();
    assert_eq!(v0.version, 0);
    assert_eq!(v0.rules, json!([]));
    assert_eq!(v0.precedence, store::DEFAULT_PRECEDENCE);
    assert!(s
        .policy_versions(&p.id, &super::all())
        .await
        .unwrap()
        .items
        .is_empty());

    let rules1 = json!([{"action": "block", "pattern": "payments.*"}]);
    let v1 = s
        .save_policy(&p.id, "last_match", rules1.clone(), "ana", Some("first"))
        .await
        .unwrap();
    assert_eq!(v1.version, 1);
    assert_eq!(v1.rules, rules1);
    assert_eq!(v1.author, "ana");
    assert_eq!(v1.message.as_deref(), Some("first"));
    let rules2 =
        json!([{"action": "allow", "pattern": "*", "agent_pattern": "ops-*", "cost_max_usd": 0.5}]);
    let v2 = s
        .save_policy(&p.id, "first_match", rules2.clone(), "bo", None)
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(s.active_policy(&p.id).await.unwrap(), v2);

    let listed = s.policy_versions(&p.id, &super::all()).await.unwrap().items;
    assert_eq!(listed, vec![v2.clone(), v1.clone()], "newest first");
    assert_eq!(s.policy_version(&p.id, 1).await.unwrap(), Some(v1));
    assert_eq!(
        s.policy_version(&p.id, 0).await.unwrap().map(|v| v.version),
        Some(0)
    );
    assert_eq!(s.policy_version(&p.id, 3).await.unwrap(), None);

    assert!(matches!(
        s.save_policy(&p.id, "last_match", json!({"rules": []}), "x", None)
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        s.save_policy("proj_nope", "last_match", json!([]), "x", None)
            .await,
        Err(StoreError::NotFound)
    ));
    // Numbering is per project.
    let q = s.create_project("q").await.unwrap();
    assert_eq!(
        s.save_policy(&q.id, "last_match", json!([]), "x", None)
            .await
            .unwrap()
            .version,
        1
    );
}

pub async fn simulations(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    let request = json!({"draft": {"kind": "block", "pattern": "x"}, "baseline": "recorded"});
    let summary = json!({"events": 10, "changed": 2, "by_verdict": {"blocked": 2}});
    let sim = s
        .save_simulation(&p.id, request.clone(), summary.clone())
        .await
        .unwrap();
    assert!(sim.id.starts_with("sim_"));
    assert_eq!(sim.project_id, p.id);
    assert_eq!(s.simulation(&p.id, &sim.id).await.unwrap(), sim);
    assert_eq!(sim.request, request);
    assert_eq!(sim.summary, summary);
    assert!(matches!(
        s.simulation(&p.id, "sim_nope").await,
        Err(StoreError::NotFound)
    ));
}

/// `save_policy_on` is a compare-and-set: it saves only on top of the newest version.
pub async fn policy_compare_and_set(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    let rules = json!([{"action": "block", "pattern": "a.*"}]);
    let v1 = s
        .save_policy_on(&p.id, 0, "last_match", rules.clone(), "ana", None)
        .await
        .unwrap();
    assert_eq!(v1.version, 1);
    // A second edit computed from version 0 must not overwrite version 1.
    assert!(matches!(
        s.save_policy_on(&p.id, 0, "last_match", json!([]), "bo", None)
            .await,
        Err(StoreError::Conflict(_))
    ));
    // Nor may it claim a base from the future.
    assert!(matches!(
        s.save_policy_on(&p.id, 5, "last_match", json!([]), "bo", None)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let v2 = s
        .save_policy_on(&p.id, 1, "first_match", json!([]), "bo", Some("clear"))
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(s.active_policy(&p.id).await.unwrap(), v2);
    assert_eq!(
        s.policy_versions(&p.id, &super::all())
            .await
            .unwrap()
            .items
            .len(),
        2
    );
    assert!(matches!(
        s.save_policy_on(&p.id, 2, "last_match", json!({"rules": []}), "x", None)
            .await,
        Err(StoreError::Invalid(_))
    ));
    // Another project's numbering is its own.
    let q = s.create_project("q").await.unwrap();
    assert_eq!(
        s.save_policy_on(&q.id, 0, "last_match", rules, "x", None)
            .await
            .unwrap()
            .version,
        1
    );
}
