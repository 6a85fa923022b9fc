use store::{AccountChangeKind, PasswordChange, Role, Store, StoreError};

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

/// Signs `user_id` in with a session whose token hash is `hash`, an hour long.
async fn session(s: &dyn Store, hash: &str, user_id: &str) {
    s.create_session(hash, user_id, store::now_micros() + 3_600_000_000)
        .await
        .unwrap();
}

async fn signed_in(s: &dyn Store, hash: &str) -> bool {
    s.session_user(hash, store::now_micros())
        .await
        .unwrap()
        .is_some()
}

/// The account log's lines as (account email, change, by), newest first.
async fn log(s: &dyn Store) -> Vec<(String, AccountChangeKind, String)> {
    s.account_changes(100)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.email, c.kind, c.changed_by))
        .collect()
}

pub async fn password_changes_end_other_sessions(s: &dyn Store) {
    let ana = s
        .create_user("ana@example.com", "hash-old", Role::Admin)
        .await
        .unwrap();
    let bo = s
        .create_user("bo@example.com", "hash-bo", Role::Viewer)
        .await
        .unwrap();
    session(s, "ana-here", &ana.id).await;
    session(s, "ana-there", &ana.id).await;
    session(s, "bo-1", &bo.id).await;

    // Her own change: the session that made it stays, her other one ends.
    let own = PasswordChange::Own {
        keep_session: "ana-here".to_string(),
    };
    s.set_password(&ana.id, "hash-new", &own, &ana.email)
        .await
        .unwrap();
    let (_, hash) = s.user_credentials(&ana.email).await.unwrap().unwrap();
    assert_eq!(hash, "hash-new");
    assert!(signed_in(s, "ana-here").await);
    assert!(!signed_in(s, "ana-there").await);
    assert!(
        signed_in(s, "bo-1").await,
        "another account's sessions stay"
    );

    // An admin's reset ends every session of the account.
    session(s, "bo-2", &bo.id).await;
    s.set_password(&bo.id, "hash-reset", &PasswordChange::Reset, &ana.email)
        .await
        .unwrap();
    let (_, hash) = s.user_credentials(&bo.email).await.unwrap().unwrap();
    assert_eq!(hash, "hash-reset");
    assert!(!signed_in(s, "bo-1").await && !signed_in(s, "bo-2").await);
    assert!(signed_in(s, "ana-here").await);

    assert!(matches!(
        s.set_password("usr_nope", "x", &PasswordChange::Reset, &ana.email)
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        log(s).await,
        [
            (
                bo.email.clone(),
                AccountChangeKind::PasswordReset,
                ana.email.clone()
            ),
            (
                ana.email.clone(),
                AccountChangeKind::PasswordChanged,
                ana.email.clone()
            ),
        ]
    );
}

pub async fn disabled_accounts_lose_their_sessions(s: &dyn Store) {
    let ana = s
        .create_user("ana@example.com", "hash-a", Role::Admin)
        .await
        .unwrap();
    let bo = s
        .create_user("bo@example.com", "hash-b", Role::Viewer)
        .await
        .unwrap();
    session(s, "bo-1", &bo.id).await;
    session(s, "ana-1", &ana.id).await;

    let disabled = s.set_user_disabled(&bo.id, true, &ana.email).await.unwrap();
    assert!(disabled.is_disabled());
    assert!(!signed_in(s, "bo-1").await, "its sessions end");
    assert!(signed_in(s, "ana-1").await);
    assert!(s.user(&bo.id).await.unwrap().is_disabled());
    let (found, _) = s.user_credentials(&bo.email).await.unwrap().unwrap();
    assert!(found.is_disabled(), "sign-in sees that it is disabled");
    let listed = s.list_users().await.unwrap();
    assert!(listed.iter().any(|u| u.id == bo.id && u.is_disabled()));
    // A session created anyway (a sign-in racing the disabling) is not honoured.
    session(s, "bo-2", &bo.id).await;
    assert!(!signed_in(s, "bo-2").await);

    // Asking again changes and records nothing.
    let again = s.set_user_disabled(&bo.id, true, &ana.email).await.unwrap();
    assert_eq!(again.disabled_at, disabled.disabled_at);

    let enabled = s
        .set_user_disabled(&bo.id, false, &ana.email)
        .await
        .unwrap();
    assert!(!enabled.is_disabled());
    assert!(!s.user(&bo.id).await.unwrap().is_disabled());
    session(s, "bo-3", &bo.id).await;
    assert!(signed_in(s, "bo-3").await);
    assert!(!signed_in(s, "bo-1").await, "ended sessions stay ended");

    assert!(matches!(
        s.set_user_disabled("usr_nope", true, &ana.email).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.user("usr_nope").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        log(s).await,
        [
            (
                bo.email.clone(),
                AccountChangeKind::Enabled,
                ana.email.clone()
            ),
            (
                bo.email.clone(),
                AccountChangeKind::Disabled,
                ana.email.clone()
            ),
        ]
    );
}

pub async fn ending_sessions(s: &dyn Store) {
    let ana = s
        .create_user("ana@example.com", "hash-a", Role::Admin)
        .await
        .unwrap();
    let bo = s
        .create_user("bo@example.com", "hash-b", Role::Viewer)
        .await
        .unwrap();
    session(s, "bo-1", &bo.id).await;
    session(s, "bo-2", &bo.id).await;
    session(s, "ana-1", &ana.id).await;
    assert_eq!(s.end_user_sessions(&bo.id, &ana.email).await.unwrap(), 2);
    assert!(!signed_in(s, "bo-1").await && !signed_in(s, "bo-2").await);
    assert!(signed_in(s, "ana-1").await);
    assert_eq!(s.end_user_sessions(&bo.id, &ana.email).await.unwrap(), 0);
    assert!(matches!(
        s.end_user_sessions("usr_nope", &ana.email).await,
        Err(StoreError::NotFound)
    ));
    // The account itself is untouched: it signs in again.
    session(s, "bo-3", &bo.id).await;
    assert!(signed_in(s, "bo-3").await);
    let lines = log(s).await;
    assert_eq!(lines.len(), 2, "each request is recorded: {lines:?}");
    assert!(lines.iter().all(|l| l
        == &(
            bo.email.clone(),
            AccountChangeKind::SessionsEnded,
            ana.email.clone()
        )));
}

pub async fn an_enabled_admin_always_remains(s: &dyn Store) {
    let ana = s
        .create_user("ana@example.com", "hash-a", Role::Admin)
        .await
        .unwrap();
    let bo = s
        .create_user("bo@example.com", "hash-b", Role::Viewer)
        .await
        .unwrap();
    // The only admin can be neither disabled nor demoted.
    assert!(matches!(
        s.set_user_disabled(&ana.id, true, &ana.email).await,
        Err(StoreError::Conflict(m)) if m.contains("only enabled admin")
    ));
    assert!(matches!(
        s.set_user_role(&ana.id, Role::Viewer, &ana.email).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(!s.user(&ana.id).await.unwrap().is_disabled());
    assert_eq!(s.user(&ana.id).await.unwrap().role, Role::Admin);

    // With a second admin, either may go, but not both.
    let promoted = s
        .set_user_role(&bo.id, Role::Admin, &ana.email)
        .await
        .unwrap();
    assert_eq!(promoted.role, Role::Admin);
    assert_eq!(s.user(&bo.id).await.unwrap().role, Role::Admin);
    s.set_user_role(&ana.id, Role::Viewer, &ana.email)
        .await
        .unwrap();
    assert!(matches!(
        s.set_user_disabled(&bo.id, true, &bo.email).await,
        Err(StoreError::Conflict(_))
    ));
    s.set_user_role(&ana.id, Role::Admin, &bo.email)
        .await
        .unwrap();
    // A disabled admin does not count: with Bo disabled, Ana is the last one.
    s.set_user_disabled(&bo.id, true, &ana.email).await.unwrap();
    assert!(matches!(
        s.set_user_role(&ana.id, Role::Viewer, &ana.email).await,
        Err(StoreError::Conflict(_))
    ));
    // Demoting the disabled admin leaves the enabled one: allowed.
    s.set_user_role(&bo.id, Role::Viewer, &ana.email)
        .await
        .unwrap();
    assert!(matches!(
        s.set_user_role("usr_nope", Role::Admin, &ana.email).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        log(s).await,
        [
            (
                bo.email.clone(),
                AccountChangeKind::MadeViewer,
                ana.email.clone()
            ),
            (
                bo.email.clone(),
                AccountChangeKind::Disabled,
                ana.email.clone()
            ),
            (
                ana.email.clone(),
                AccountChangeKind::MadeAdmin,
                bo.email.clone()
            ),
            (
                ana.email.clone(),
                AccountChangeKind::MadeViewer,
                ana.email.clone()
            ),
            (
                bo.email.clone(),
                AccountChangeKind::MadeAdmin,
                ana.email.clone()
            ),
        ]
    );

    // Two admins disabling each other at once: exactly one of them succeeds (on
    // PostgreSQL the two transactions really overlap).
    for round in 0..5 {
        let x = s
            .create_user(&format!("x{round}@example.com"), "h", Role::Admin)
            .await
            .unwrap();
        s.set_user_disabled(&ana.id, true, &x.email).await.unwrap();
        // Ana is disabled, so x is the last enabled admin.
        assert!(matches!(
            s.set_user_disabled(&x.id, true, &x.email).await,
            Err(StoreError::Conflict(_))
        ));
        s.set_user_disabled(&ana.id, false, &x.email).await.unwrap();
        let (a, b) = tokio::join!(
            s.set_user_disabled(&x.id, true, &ana.email),
            s.set_user_disabled(&ana.id, true, &x.email),
        );
        assert_eq!(
            [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
            1,
            "round {round}: {a:?} {b:?}"
        );
        let enabled_admins = s
            .list_users()
            .await
            .unwrap()
            .into_iter()
            .filter(|u| u.role == Role::Admin && !u.is_disabled())
            .count();
        assert_eq!(enabled_admins, 1);
        // Back to Ana alone as the enabled admin for the next round.
        if a.is_ok() {
            continue;
        }
        s.set_user_disabled(&ana.id, false, &x.email).await.unwrap();
        s.set_user_disabled(&x.id, true, &ana.email).await.unwrap();
    }
}
