use store::{Store, StoreError};

pub async fn projects_crud(s: &dyn Store) {
    let a = s.create_project("alpha").await.unwrap();
    assert!(a.id.starts_with("proj_"));
    assert_eq!(a.name, "alpha");
    assert_eq!(a.retention_days, None);
    let b = s.create_project("  beta ").await.unwrap();
    assert_eq!(b.name, "beta", "names are trimmed");

    assert!(matches!(
        s.create_project("alpha").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.create_project("   ").await,
        Err(StoreError::Invalid(_))
    ));

    let listed = s.list_projects().await.unwrap();
    assert_eq!(listed, vec![a.clone(), b.clone()]);
    assert_eq!(s.project(&a.id).await.unwrap(), a);
    assert!(matches!(
        s.project("proj_nope").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(s.project_by_name("beta").await.unwrap(), Some(b.clone()));
    assert_eq!(s.project_by_name("gamma").await.unwrap(), None);

    let renamed = s.rename_project(&a.id, "alpha2").await.unwrap();
    assert_eq!(renamed.name, "alpha2");
    assert_eq!(renamed.id, a.id);
    assert_eq!(s.project(&a.id).await.unwrap().name, "alpha2");
    assert!(matches!(
        s.rename_project(&a.id, "beta").await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.rename_project("proj_nope", "x").await,
        Err(StoreError::NotFound)
    ));
    // The freed name can be taken again.
    s.create_project("alpha").await.unwrap();
}

pub async fn retention_settings(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    assert_eq!(
        s.set_retention(&p.id, Some(7))
            .await
            .unwrap()
            .retention_days,
        Some(7)
    );
    assert_eq!(s.project(&p.id).await.unwrap().retention_days, Some(7));
    assert_eq!(
        s.set_retention(&p.id, None).await.unwrap().retention_days,
        None
    );
    assert!(matches!(
        s.set_retention(&p.id, Some(0)).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        s.set_retention("proj_nope", Some(3)).await,
        Err(StoreError::NotFound)
    ));
}
