use store::{Role, Store, StoreError};

pub async fn accounts_and_sessions(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    let q = s.create_project("q").await.unwrap();
    let ana = s
        .create_user(" Ana@Example.com ", "$argon2id$hash-a", Role::Admin)
        .await
        .unwrap();
    assert_eq!(ana.email, "ana@example.com");
    assert!(ana.id.starts_with("usr_"));
    assert!(
        ana.can_see(&p.id) && ana.can_see(&q.id),
        "admins see every project"
    );
    assert!(matches!(
        s.create_user("ANA@example.com", "x", Role::Viewer).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.create_user("not an email", "x", Role::Viewer).await,
        Err(StoreError::Invalid(_))
    ));
    let bo = s
        .create_user("bo@example.com", "$argon2id$hash-b", Role::Viewer)
        .await
        .unwrap();
    s.add_member(&bo.id, &p.id).await.unwrap();
    s.add_member(&bo.id, &p.id).await.unwrap();
    assert!(matches!(
        s.add_member(&bo.id, "proj_nope").await,
        Err(StoreError::NotFound)
    ));

    let (found, hash) = s.user_credentials("BO@example.com").await.unwrap().unwrap();
    assert_eq!(hash, "$argon2id$hash-b");
    assert_eq!(found.role, Role::Viewer);
    assert_eq!(found.projects, vec![p.id.clone()]);
    assert!(found.can_see(&p.id) && !found.can_see(&q.id));
    assert!(s
        .user_credentials("nobody@example.com")
        .await
        .unwrap()
        .is_none());
    assert_eq!(s.list_users().await.unwrap().len(), 2);

    let now = store::now_micros();
    s.create_session("hash-1", &bo.id, now + 60_000_000)
        .await
        .unwrap();
    let user = s.session_user("hash-1", now).await.unwrap().unwrap();
    assert_eq!(user.id, bo.id);
    assert_eq!(user.projects, vec![p.id.clone()]);
    assert!(
        s.session_user("hash-1", now + 61_000_000)
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert!(s.session_user("hash-2", now).await.unwrap().is_none());
    assert!(matches!(
        s.create_session("hash-3", "usr_nope", now + 1).await,
        Err(StoreError::NotFound)
    ));
    s.delete_session("hash-1").await.unwrap();
    assert!(s.session_user("hash-1", now).await.unwrap().is_none());
}
