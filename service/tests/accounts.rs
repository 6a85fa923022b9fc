//! The account operations against a real store: who may call them, what they check,
//! and what they record. (Each store operation runs on both backends in the store's
//! contract suite; the HTTP side is `server/tests/accounts.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use service::{accounts, password, ServiceError};
use store::{AccountChangeKind, Role, Store, StoreOptions, User};

struct Env {
    url: String,
    store: Arc<dyn Store>,
    admin: User,
    viewer: User,
}

const ADMIN_PASSWORD: &str = "ana-password-123";
const VIEWER_PASSWORD: &str = "vic-password-123";

async fn env() -> Env {
    let url = store::testing::fresh_sqlite_url();
    let store = store::open(&url, StoreOptions::default()).await.unwrap();
    let admin = store
        .create_user(
            "ana@example.com",
            &password::hash(ADMIN_PASSWORD).unwrap(),
            Role::Admin,
        )
        .await
        .unwrap();
    let viewer = store
        .create_user(
            "vic@example.com",
            &password::hash(VIEWER_PASSWORD).unwrap(),
            Role::Viewer,
        )
        .await
        .unwrap();
    Env {
        url,
        store,
        admin,
        viewer,
    }
}

impl Env {
    async fn password_is(&self, user: &User, candidate: &str) -> bool {
        let (_, hash) = self
            .store
            .user_credentials(&user.email)
            .await
            .unwrap()
            .unwrap();
        password::verify(candidate, &hash)
    }

    fn finish(self) {
        drop(self.store);
        store::testing::remove_sqlite(&self.url);
    }
}

#[tokio::test]
async fn only_admins_manage_accounts() {
    let env = env().await;
    let (s, viewer, admin) = (env.store.as_ref(), &env.viewer, &env.admin);
    let forbidden = |r: Result<_, ServiceError>| matches!(r, Err(ServiceError::Forbidden(_)));
    assert!(forbidden(accounts::list(s, viewer).await.map(|_| ())));
    assert!(forbidden(
        accounts::set_disabled(s, viewer, &admin.id, true)
            .await
            .map(|_| ())
    ));
    assert!(forbidden(
        accounts::set_role(s, viewer, &viewer.id, Role::Admin)
            .await
            .map(|_| ())
    ));
    assert!(forbidden(
        accounts::reset_password(s, viewer, &admin.id)
            .await
            .map(|_| ())
    ));
    assert!(forbidden(
        accounts::end_sessions(s, viewer, &admin.id)
            .await
            .map(|_| ())
    ));
    assert_eq!(s.user(&viewer.id).await.unwrap().role, Role::Viewer);
    assert!(env.password_is(admin, ADMIN_PASSWORD).await);
    assert!(s.account_changes(10).await.unwrap().is_empty());

    // An admin may, and each change names them.
    accounts::set_disabled(s, admin, &viewer.id, true)
        .await
        .unwrap();
    let ended = accounts::end_sessions(s, admin, &viewer.id).await.unwrap();
    assert_eq!(ended, 0);
    assert!(matches!(
        accounts::set_disabled(s, admin, "usr_nope", true).await,
        Err(ServiceError::NotFound(m)) if m == "no such account"
    ));
    // The last enabled admin stays.
    assert!(matches!(
        accounts::set_role(s, admin, &admin.id, Role::Viewer).await,
        Err(ServiceError::Conflict(m)) if m.contains("only enabled admin")
    ));
    let (users, changes) = accounts::list(s, admin).await.unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(
        changes
            .iter()
            .map(|c| (c.kind, c.changed_by.as_str()))
            .collect::<Vec<_>>(),
        [
            (AccountChangeKind::SessionsEnded, "ana@example.com"),
            (AccountChangeKind::Disabled, "ana@example.com"),
        ]
    );
    env.finish();
}

#[tokio::test]
async fn changing_your_password_needs_the_current_one() {
    let env = env().await;
    let (s, viewer) = (env.store.as_ref(), &env.viewer);
    let wrong = accounts::change_own_password(
        s,
        viewer,
        "token",
        "not-my-password".into(),
        "a-new-password-1".into(),
    )
    .await;
    assert!(
        matches!(&wrong, Err(ServiceError::Invalid { field: Some(f), .. }) if f == "current_password"),
        "{wrong:?}"
    );
    let short =
        accounts::change_own_password(s, viewer, "token", VIEWER_PASSWORD.into(), "short".into())
            .await;
    assert!(
        matches!(&short, Err(ServiceError::Invalid { field: Some(f), message }) if f == "new_password" && message.contains("at least 12")),
        "{short:?}"
    );
    assert!(env.password_is(viewer, VIEWER_PASSWORD).await, "unchanged");

    accounts::change_own_password(
        s,
        viewer,
        "token",
        VIEWER_PASSWORD.into(),
        "a-new-password-1".into(),
    )
    .await
    .unwrap();
    assert!(env.password_is(viewer, "a-new-password-1").await);
    assert!(!env.password_is(viewer, VIEWER_PASSWORD).await);
    let changes = s.account_changes(10).await.unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].kind, AccountChangeKind::PasswordChanged);
    assert_eq!(changes[0].changed_by, viewer.email);
    env.finish();
}

#[tokio::test]
async fn a_reset_password_is_generated_and_shown_once() {
    let env = env().await;
    let (s, admin, viewer) = (env.store.as_ref(), &env.admin, &env.viewer);
    let (target, generated) = accounts::reset_password(s, admin, &viewer.id)
        .await
        .unwrap();
    assert_eq!(target.id, viewer.id);
    assert_eq!(
        generated.chars().count(),
        password::GENERATED_PASSWORD_CHARS
    );
    assert!(env.password_is(viewer, &generated).await);
    assert!(!env.password_is(viewer, VIEWER_PASSWORD).await);
    // Your own password is changed with the current one, not reset.
    assert!(matches!(
        accounts::reset_password(s, admin, &admin.id).await,
        Err(ServiceError::Invalid { .. })
    ));
    assert!(matches!(
        accounts::reset_password(s, admin, "usr_nope").await,
        Err(ServiceError::NotFound(_))
    ));
    let changes = s.account_changes(10).await.unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].kind, AccountChangeKind::PasswordReset);
    assert_eq!(
        (changes[0].email.as_str(), changes[0].changed_by.as_str()),
        ("vic@example.com", "ana@example.com")
    );
    env.finish();
}
