use store::{KeyGrant, KeyScope, Store, StoreError};

pub async fn api_key_lifecycle(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    let new = s.create_api_key(&p.id, KeyScope::Agent).await.unwrap();
    assert!(new.key.starts_with("jj_"));
    assert_eq!(new.key.len(), 43);
    assert!(new.key[3..]
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert_eq!(new.info.prefix, new.key[..10]);
    assert!(new.info.id.starts_with("key_"));
    assert_eq!(new.info.project_id, p.id);
    assert_eq!(new.info.revoked_at, None);
    assert_eq!(new.info.scope, KeyScope::Agent);

    let grant = |scope| {
        Some(KeyGrant {
            project: p.clone(),
            scope,
        })
    };
    assert_eq!(
        s.authenticate(&new.key).await.unwrap(),
        grant(KeyScope::Agent)
    );
    let second = s.create_api_key(&p.id, KeyScope::Admin).await.unwrap();
    assert_ne!(second.key, new.key);
    assert_eq!(second.info.scope, KeyScope::Admin);
    let reader = s.create_api_key(&p.id, KeyScope::Read).await.unwrap();
    assert_eq!(
        s.authenticate(&reader.key).await.unwrap(),
        grant(KeyScope::Read)
    );
    assert!(s.revoke_api_key(&p.id, &reader.info.id).await.unwrap());

    let listed = s.list_api_keys(&p.id).await.unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[..2], [new.info.clone(), second.info.clone()]);
    assert_eq!(listed[2].scope, KeyScope::Read);
    // Listing never exposes more than the prefix.
    assert!(!format!("{listed:?}").contains(&new.key));

    assert!(s.revoke_api_key(&p.id, &new.info.id).await.unwrap());
    assert_eq!(s.authenticate(&new.key).await.unwrap(), None);
    assert_eq!(
        s.authenticate(&second.key).await.unwrap(),
        grant(KeyScope::Admin)
    );
    let revoked = s.list_api_keys(&p.id).await.unwrap();
    let first_revoked_at = revoked[0].revoked_at.expect("revoked_at set");
    // Revoking again still finds the key and keeps the first revocation time.
    assert!(s.revoke_api_key(&p.id, &new.info.id).await.unwrap());
    assert_eq!(
        s.list_api_keys(&p.id).await.unwrap()[0].revoked_at,
        Some(first_revoked_at)
    );
    assert!(!s.revoke_api_key(&p.id, "key_nope").await.unwrap());

    // Unknown, malformed and near-miss keys.
    assert_eq!(s.authenticate("").await.unwrap(), None);
    assert_eq!(s.authenticate("jj_short").await.unwrap(), None);
    let mut near = second.key.clone();
    let last = near.pop().unwrap();
    near.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(s.authenticate(&near).await.unwrap(), None);
    assert_eq!(
        s.authenticate(&format!("jj_{}", "x".repeat(40)))
            .await
            .unwrap(),
        None
    );

    assert!(matches!(
        s.create_api_key("proj_nope", KeyScope::Agent).await,
        Err(StoreError::NotFound)
    ));
}
