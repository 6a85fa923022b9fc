//! Account lifecycle over HTTP, through the whole router: the Settings page's server
//! functions as a browser calls them, and what the next request of each browser sees.
//! Disabling, ending sessions and resetting a password take effect on the affected
//! account's next request; changing your own password needs the current one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use app::settings::accounts::{
    ChangeOwnPassword, EndAccountSessions, ResetAccountPassword, SetAccountDisabled, SetAccountRole,
};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use leptos::server_fn::ServerFn;
use preflight::auth::AuthConfig;
use store::Role;
use support::{Answer, HOST, ORIGIN};

const ADMIN: (&str, &str) = ("ana@example.com", "ana-password-123");
const VIEWER: (&str, &str) = ("vic@example.com", "vic-password-123");

struct Harness {
    app: Router,
    store: Arc<dyn store::Store>,
    admin: store::User,
    viewer: store::User,
}

impl Harness {
    async fn new() -> Harness {
        let store = support::sqlite_store().await;
        let project = store.create_project("support").await.unwrap();
        let mut users = Vec::new();
        for (email, pass, role) in [
            (ADMIN.0, ADMIN.1, Role::Admin),
            (VIEWER.0, VIEWER.1, Role::Viewer),
        ] {
            let user = support::create_account(store.as_ref(), email, pass, role).await;
            store.add_member(&user.id, &project.id).await.unwrap();
            users.push(user);
        }
        let app = support::app_with_auth(store.clone(), AuthConfig::default());
        let viewer = users.pop().unwrap();
        let admin = users.pop().unwrap();
        Harness {
            app,
            store,
            admin,
            viewer,
        }
    }

    async fn send(&self, request: Request<Body>) -> Answer {
        support::send(&self.app, request).await
    }

    async fn sign_in(&self, email: &str, pass: &str) -> Answer {
        self.send(support::signin_request(email, pass, &[])).await
    }

    /// Signs in (a new browser) and returns its `Cookie` header value.
    async fn browser(&self, who: (&str, &str)) -> String {
        support::session_cookie(&self.app, who.0, who.1).await
    }

    /// Is this browser still signed in? Its next page request answers.
    async fn signed_in(&self, cookie: &str) -> bool {
        let answer = self
            .send(
                Request::get("/dashboard/settings")
                    .header(header::HOST, HOST)
                    .header(header::COOKIE, cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        match answer.status {
            StatusCode::OK => true,
            StatusCode::SEE_OTHER => {
                assert!(answer.headers[header::LOCATION]
                    .to_str()
                    .unwrap()
                    .starts_with("/signin"));
                false
            }
            other => panic!("unexpected {other}: {}", answer.body),
        }
    }

    /// Calls a server function as the dashboard does (a same-origin form post).
    async fn call(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> Answer {
        let body: String = form
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.send(
            Request::post(path)
                .header(header::HOST, HOST)
                .header(header::ORIGIN, ORIGIN)
                .header(header::COOKIE, cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn a_disabled_account_is_refused_at_sign_in_and_on_its_next_request() {
    let h = Harness::new().await;
    let admin = h.browser(ADMIN).await;
    let viewer = h.browser(VIEWER).await;
    assert!(h.signed_in(&viewer).await);

    let disabled = h
        .call(
            SetAccountDisabled::PATH,
            &admin,
            &[("user_id", &h.viewer.id), ("disabled", "true")],
        )
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.body);
    assert!(
        disabled.body.contains("disabled_micros"),
        "{}",
        disabled.body
    );

    // Its open session stops working on the very next request, pages and functions.
    assert!(!h.signed_in(&viewer).await);
    let call = h.call(ChangeOwnPassword::PATH, &viewer, &[]).await;
    assert_eq!(call.status, StatusCode::UNAUTHORIZED);
    // The right password is refused, and says why; a wrong one learns nothing.
    let refused = h.sign_in(VIEWER.0, VIEWER.1).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.body.contains("This account is disabled"));
    assert!(refused.headers.get(header::SET_COOKIE).is_none());
    let wrong = h.sign_in(VIEWER.0, "not-the-password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("Wrong email or password."));
    assert!(
        h.signed_in(&admin).await,
        "the admin's session is untouched"
    );

    // Enabled again: it signs in, but the ended session stays ended.
    let enabled = h
        .call(
            SetAccountDisabled::PATH,
            &admin,
            &[("user_id", &h.viewer.id), ("disabled", "false")],
        )
        .await;
    assert_eq!(enabled.status, StatusCode::OK, "{}", enabled.body);
    assert!(!h.signed_in(&viewer).await);
    let again = h.browser(VIEWER).await;
    assert!(h.signed_in(&again).await);

    let log = h.store.account_changes(10).await.unwrap();
    assert_eq!(log.len(), 2);
    assert!(log
        .iter()
        .all(|c| c.changed_by == ADMIN.0 && c.email == VIEWER.0));
}

#[tokio::test]
async fn ending_sessions_signs_every_other_browser_out() {
    let h = Harness::new().await;
    let admin = h.browser(ADMIN).await;
    let laptop = h.browser(VIEWER).await;
    let phone = h.browser(VIEWER).await;
    let other_admin_browser = h.browser(ADMIN).await;

    let ended = h
        .call(
            EndAccountSessions::PATH,
            &admin,
            &[("user_id", &h.viewer.id)],
        )
        .await;
    assert_eq!(ended.status, StatusCode::OK, "{}", ended.body);
    assert_eq!(ended.body.trim(), "2", "two sessions ended");
    assert!(!h.signed_in(&laptop).await && !h.signed_in(&phone).await);
    assert!(h.signed_in(&admin).await && h.signed_in(&other_admin_browser).await);
    // The account is not otherwise touched: it signs in again.
    let back = h.browser(VIEWER).await;
    assert!(h.signed_in(&back).await);

    // An admin ending their own sessions signs out their other browser too.
    let own = h
        .call(
            EndAccountSessions::PATH,
            &admin,
            &[("user_id", &h.admin.id)],
        )
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    assert!(!h.signed_in(&other_admin_browser).await);
    assert!(!h.signed_in(&admin).await, "this one included");
}

#[tokio::test]
async fn a_reset_password_replaces_the_old_one() {
    let h = Harness::new().await;
    let admin = h.browser(ADMIN).await;
    let viewer = h.browser(VIEWER).await;
    let reset = h
        .call(
            ResetAccountPassword::PATH,
            &admin,
            &[("user_id", &h.viewer.id)],
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    let shown: serde_json::Value = serde_json::from_str(&reset.body).unwrap();
    assert_eq!(shown["email"], VIEWER.0);
    let new_password = shown["password"].as_str().unwrap().to_string();
    assert!(new_password.len() >= 12);

    assert!(!h.signed_in(&viewer).await, "its sessions ended");
    let old = h.sign_in(VIEWER.0, VIEWER.1).await;
    assert_eq!(
        old.status,
        StatusCode::UNAUTHORIZED,
        "the old password fails"
    );
    let fresh = h.browser((VIEWER.0, &new_password)).await;
    assert!(h.signed_in(&fresh).await);

    // An admin's own password is changed with the current one, not reset.
    let own = h
        .call(
            ResetAccountPassword::PATH,
            &admin,
            &[("user_id", &h.admin.id)],
        )
        .await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", own.body);
    assert!(own.body.contains("Your account"), "{}", own.body);
    assert!(h.signed_in(&admin).await);
}

#[tokio::test]
async fn changing_your_own_password_needs_the_current_one() {
    let h = Harness::new().await;
    // A viewer may call this one write.
    let here = h.browser(VIEWER).await;
    let elsewhere = h.browser(VIEWER).await;
    let change = |current: &'static str, new: &'static str, repeat: &'static str| {
        let here = here.clone();
        let h = &h;
        async move {
            h.call(
                ChangeOwnPassword::PATH,
                &here,
                &[
                    ("current_password", current),
                    ("new_password", new),
                    ("repeat_password", repeat),
                ],
            )
            .await
        }
    };
    let wrong = change("not-my-password", "brand-new-pass-1", "brand-new-pass-1").await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.body
    );
    assert!(
        wrong.body.contains("not your current password"),
        "{}",
        wrong.body
    );
    let short = change(VIEWER.1, "too-short", "too-short").await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        short.body.contains("at least 12 characters"),
        "{}",
        short.body
    );
    let differ = change(VIEWER.1, "brand-new-pass-1", "brand-new-pass-2").await;
    assert_eq!(differ.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(differ.body.contains("differ"), "{}", differ.body);
    assert!(h.signed_in(&elsewhere).await, "nothing changed yet");
    assert_eq!(
        h.sign_in(VIEWER.0, VIEWER.1).await.status,
        StatusCode::SEE_OTHER
    );

    let done = change(VIEWER.1, "brand-new-pass-1", "brand-new-pass-1").await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(
        h.signed_in(&here).await,
        "the browser that changed it stays in"
    );
    assert!(!h.signed_in(&elsewhere).await, "the others are signed out");
    assert_eq!(
        h.sign_in(VIEWER.0, VIEWER.1).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert!(
        h.signed_in(&h.browser((VIEWER.0, "brand-new-pass-1")).await)
            .await
    );
    let log = h.store.account_changes(10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        log[0].changed_by, VIEWER.0,
        "recorded as the owner's change"
    );
}

#[tokio::test]
async fn viewers_manage_no_account_and_the_last_admin_stays() {
    let h = Harness::new().await;
    let admin = h.browser(ADMIN).await;
    let viewer = h.browser(VIEWER).await;
    let target = [("user_id", h.admin.id.as_str())];
    for path in [
        SetAccountDisabled::PATH,
        SetAccountRole::PATH,
        ResetAccountPassword::PATH,
        EndAccountSessions::PATH,
    ] {
        let answer = h.call(path, &viewer, &target).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}");
    }
    let promote = h
        .call(
            SetAccountRole::PATH,
            &viewer,
            &[("user_id", &h.viewer.id), ("admin", "true")],
        )
        .await;
    assert_eq!(promote.status, StatusCode::FORBIDDEN);
    assert!(h.signed_in(&admin).await);

    // The only admin can neither disable nor demote themselves.
    for (path, form) in [
        (
            SetAccountDisabled::PATH,
            [("user_id", h.admin.id.as_str()), ("disabled", "true")],
        ),
        (
            SetAccountRole::PATH,
            [("user_id", h.admin.id.as_str()), ("admin", "false")],
        ),
    ] {
        let answer = h.call(path, &admin, &form).await;
        assert_eq!(
            answer.status,
            StatusCode::CONFLICT,
            "{path}: {}",
            answer.body
        );
        assert!(
            answer.body.contains("only enabled admin"),
            "{}",
            answer.body
        );
    }
    assert!(h.signed_in(&admin).await);
    let me = h.store.user(&h.admin.id).await.unwrap();
    assert!(me.role == Role::Admin && !me.is_disabled());

    // With a second admin, the first may step down.
    let promoted = h
        .call(
            SetAccountRole::PATH,
            &admin,
            &[("user_id", &h.viewer.id), ("admin", "true")],
        )
        .await;
    assert_eq!(promoted.status, StatusCode::OK, "{}", promoted.body);
    let demoted = h
        .call(
            SetAccountRole::PATH,
            &admin,
            &[("user_id", &h.admin.id), ("admin", "false")],
        )
        .await;
    assert_eq!(demoted.status, StatusCode::OK, "{}", demoted.body);
    // Now a viewer: the next admin-only call is refused.
    let after = h
        .call(
            EndAccountSessions::PATH,
            &admin,
            &[("user_id", &h.viewer.id)],
        )
        .await;
    assert_eq!(after.status, StatusCode::FORBIDDEN);
}

/// The Settings page shows "Your account" to everyone and the accounts list to admins.
#[tokio::test]
async fn the_settings_page_shows_the_account_sections() {
    let h = Harness::new().await;
    let page = |cookie: String| {
        let h = &h;
        async move {
            h.send(
                Request::get("/dashboard/settings")
                    .header(header::HOST, HOST)
                    .header(header::COOKIE, cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
        }
    };
    let as_admin = page(h.browser(ADMIN).await).await;
    assert_eq!(as_admin.status, StatusCode::OK);
    for text in [
        "Your account",
        "change-password",
        "accounts-table",
        VIEWER.0,
    ] {
        assert!(as_admin.body.contains(text), "{text} missing for an admin");
    }
    let as_viewer = page(h.browser(VIEWER).await).await;
    assert_eq!(as_viewer.status, StatusCode::OK);
    assert!(as_viewer.body.contains("change-password"));
    assert!(!as_viewer.body.contains("accounts-table"), "admins only");
    assert!(
        !as_viewer.body.contains(ADMIN.0),
        "no other account is listed"
    );
}

/// A page renders to its end while another router is being built in the same process
/// (as every router test does). Listing the dashboard's routes suppresses resource
/// loading process-wide in Leptos; if it ran for each router, a page rendering at that
/// moment would wait forever on a resource that never loads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_finish_while_another_router_is_built() {
    let h = Harness::new().await;
    let cookie = h.browser(ADMIN).await;
    let building = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let builder = {
        let (store, building) = (h.store.clone(), building.clone());
        std::thread::spawn(move || {
            while building.load(std::sync::atomic::Ordering::Relaxed) {
                drop(support::app_with_auth(store.clone(), AuthConfig::default()));
            }
        })
    };
    for round in 0..40 {
        let page = h.send(
            Request::get("/dashboard/settings")
                .header(header::HOST, HOST)
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        );
        let page = tokio::time::timeout(std::time::Duration::from_secs(20), page)
            .await
            .unwrap_or_else(|_| panic!("round {round}: the page never finished"));
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("accounts-table"), "round {round}");
    }
    building.store(false, std::sync::atomic::Ordering::Relaxed);
    builder.join().unwrap();
}
