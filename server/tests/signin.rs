//! Dashboard sign-in through the whole router (no socket): the guard, sessions,
//! expiry, sign-out, throttling per client address and account, CSRF, viewer
//! permissions on every registered server function, and project membership.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use leptos::server_fn::ServerFn;
use preflight::auth::{throttle, viewer_may_call, AuthConfig};
use store::Role;
use support::{Answer, HOST, ORIGIN};

const ADMIN: (&str, &str) = ("ana@example.com", "ana-password-123");
const VIEWER: (&str, &str) = ("vic@example.com", "vic-password-123");

struct Harness {
    app: Router,
    store: Arc<dyn store::Store>,
    /// A project the viewer is a member of, and one it is not.
    mine: store::Project,
    theirs: store::Project,
}

impl Harness {
    async fn new(ttl: Duration) -> Harness {
        Harness::with(AuthConfig {
            session_ttl: ttl,
            ..AuthConfig::default()
        })
        .await
    }

    async fn with(auth: AuthConfig) -> Harness {
        let store = support::sqlite_store().await;
        let mine = store.create_project("viewer-visible").await.unwrap();
        let theirs = store.create_project("hidden-from-viewer").await.unwrap();
        for (email, pass, role) in [
            (ADMIN.0, ADMIN.1, Role::Admin),
            (VIEWER.0, VIEWER.1, Role::Viewer),
        ] {
            let user = support::create_account(store.as_ref(), email, pass, role).await;
            if role == Role::Viewer {
                store.add_member(&user.id, &mine.id).await.unwrap();
            }
        }
        let app = support::app_with_auth(store.clone(), auth);
        Harness {
            app,
            store,
            mine,
            theirs,
        }
    }

    async fn send(&self, request: Request<Body>) -> Answer {
        support::send(&self.app, request).await
    }

    async fn sign_in_as(&self, email: &str, pass: &str, extra: &[(&str, &str)]) -> Answer {
        let form = format!(
            "email={}&password={}&next=%2Fdashboard%2Ftraces",
            email.replace('@', "%40"),
            pass
        );
        self.send(support::signin_post(form, extra)).await
    }

    /// Signs in and returns the `Cookie` header value.
    async fn session(&self, who: (&str, &str)) -> String {
        let answer = self.sign_in_as(who.0, who.1, &[]).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        support::cookie_of(&answer)
    }

    async fn get(&self, uri: &str, cookie: Option<&str>) -> Answer {
        let mut request = Request::get(uri).header(header::HOST, HOST);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    async fn post_fn(&self, path: &str, cookie: Option<&str>, origin: Option<&str>) -> Answer {
        let mut request = Request::post(path)
            .header(header::HOST, HOST)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }
}

fn server_fn_paths() -> Vec<String> {
    let mut paths: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .collect();
    paths.sort();
    assert!(paths.len() >= 10, "server functions registered: {paths:?}");
    paths
}

/// Every server function the dashboard defines, by name. A function added to or removed
/// from `app` must be listed (or unlisted) here, so the set the router serves, and
/// which the guard and the viewer rules below are checked against, is never a
/// surprise.
const SERVER_FNS: [&str; 43] = [
    "add_to_dataset",
    "change_own_password",
    "create_dataset",
    "create_project_key",
    "create_project_named",
    "decide_pending_approval",
    "delete_dataset",
    "end_account_sessions",
    "get_accounts",
    "get_approval_queue",
    "get_audit_log",
    "get_change_log",
    "get_dataset",
    "get_overview",
    "get_policy_editor",
    "get_preview_events",
    "get_scope_events",
    "get_settings",
    "get_shell",
    "get_simulation",
    "get_simulator",
    "get_span",
    "get_thread",
    "get_trace",
    "list_datasets",
    "list_threads",
    "list_traces",
    "remove_dataset_expectation",
    "remove_dataset_item",
    "rename_dataset",
    "rename_project_to",
    "rerun_simulation",
    "reset_account_password",
    "restore_policy_version",
    "revoke_project_key",
    "run_policy_simulation",
    "save_policy_rules",
    "set_account_disabled",
    "set_account_role",
    "set_dataset_expectation",
    "set_project_retention",
    "set_theme",
    "simulate_draft",
];

#[test]
fn the_registered_server_functions_are_exactly_the_apps() {
    let paths = server_fn_paths();
    // `/api/get_shell1234...` or `/api/read/...`: the name, then the hash leptos appends.
    let names: std::collections::BTreeSet<&str> = paths
        .iter()
        .map(|p| {
            p.strip_prefix("/api/read/")
                .or_else(|| p.strip_prefix("/api/"))
                .unwrap_or_else(|| panic!("{p} is not under /api/"))
                .trim_end_matches(|c: char| c.is_ascii_digit())
        })
        .collect();
    assert_eq!(paths.len(), names.len(), "one path per name: {paths:?}");
    let expected: std::collections::BTreeSet<&str> = SERVER_FNS.into_iter().collect();
    assert_eq!(names, expected);
    // Removed because nothing called them (their pages load through other functions).
    for gone in ["get_home", "get_policy", "get_audit", "get_approvals"] {
        assert!(!names.contains(gone), "{gone} is registered again");
    }
}

#[tokio::test]
async fn pages_and_server_functions_need_a_session() {
    let h = Harness::new(Duration::from_secs(3600)).await;
    let page = h.get("/dashboard/traces?verdict=blocked", None).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.headers[header::LOCATION],
        "/signin?next=/dashboard/traces%3Fverdict%3Dblocked"
    );
    for path in ["/", "/dashboard", "/dashboard/settings", "/no-such-page"] {
        assert_eq!(
            h.get(path, None).await.status,
            StatusCode::SEE_OTHER,
            "{path}"
        );
    }
    for path in server_fn_paths() {
        let answer = h.post_fn(&path, None, Some(ORIGIN)).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    // A forged or unknown cookie is no session.
    let forged = h.get("/dashboard", Some("preflight_session=forged")).await;
    assert_eq!(forged.status, StatusCode::SEE_OTHER);
    // Outside the guard: the API (its own keys), health, the sign-in page.
    assert_eq!(h.get("/healthz", None).await.status, StatusCode::OK);
    assert_eq!(
        h.get("/v1/traces", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let form = h.get("/signin?next=/dashboard", None).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains(r#"name="password""#));
}

#[tokio::test]
async fn sign_in_sets_a_safe_cookie_and_sign_out_ends_the_session() {
    let h = Harness::new(Duration::from_secs(3600)).await;
    let wrong = h.sign_in_as(ADMIN.0, "not-the-password", &[]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("Wrong email or password."));
    assert!(wrong.headers.get(header::SET_COOKIE).is_none());
    let unknown = h
        .sign_in_as("nobody@example.com", "whatever-123", &[])
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(
        unknown.body.contains("Wrong email or password."),
        "same words"
    );

    let ok = h.sign_in_as("ANA@example.com", ADMIN.1, &[]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.headers[header::LOCATION], "/dashboard/traces");
    let set = ok.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(set.starts_with("preflight_session="), "{set}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=3600"] {
        assert!(set.contains(attribute), "{attribute} missing: {set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP: {set}");
    let token = set
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("preflight_session=");
    assert!(token.len() >= 40);
    assert!(
        h.store
            .session_user(token, store::now_micros())
            .await
            .unwrap()
            .is_none(),
        "the database keeps only the token's hash"
    );

    let behind_tls = h
        .sign_in_as(ADMIN.0, ADMIN.1, &[("x-forwarded-proto", "https")])
        .await;
    assert!(behind_tls.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("; Secure"));

    let cookie = h.session(ADMIN).await;
    let page = h.get("/dashboard", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("ana@example.com"),
        "the user menu names the account"
    );

    // Sign-out from another site is refused; from this one it ends the session.
    let mut forged = Request::post("/signout")
        .header(header::HOST, HOST)
        .header(header::ORIGIN, "http://evil.example")
        .header(header::COOKIE, &cookie);
    forged = forged.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    let refused = h.send(forged.body(Body::empty()).unwrap()).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let out = h
        .send(
            Request::post("/signout")
                .header(header::HOST, HOST)
                .header(header::ORIGIN, ORIGIN)
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(out.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(
        h.get("/dashboard", Some(&cookie)).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn sessions_expire() {
    let h = Harness::new(Duration::from_secs(1)).await;
    let cookie = h.session(ADMIN).await;
    assert_eq!(
        h.get("/dashboard", Some(&cookie)).await.status,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(
        h.get("/dashboard", Some(&cookie)).await.status,
        StatusCode::SEE_OTHER
    );
}

impl Harness {
    /// A sign-in from the client at `address` (as `ConnectInfo` reports it).
    async fn sign_in_from(&self, address: &str, email: &str, pass: &str) -> Answer {
        self.sign_in_with(address, &[], email, pass).await
    }

    async fn sign_in_with(
        &self,
        address: &str,
        headers: &[(&str, &str)],
        email: &str,
        pass: &str,
    ) -> Answer {
        let peer: SocketAddr = address.parse().unwrap();
        let body = format!("email={}&password={pass}", email.replace('@', "%40"));
        let mut request = Request::post("/signin")
            .header(header::HOST, HOST)
            .header(header::ORIGIN, ORIGIN)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let mut request = request.body(Body::from(body)).unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        self.send(request).await
    }
}

/// Short waits, so the test can sit them out: two free failures, then 600 ms, 1.2 s...
fn quick_throttle() -> AuthConfig {
    AuthConfig {
        throttle: throttle::Policy {
            free_failures: 2,
            first_delay: Duration::from_millis(600),
            max_delay: Duration::from_secs(30),
            forget_after: Duration::from_secs(3600),
        },
        ..AuthConfig::default()
    }
}

const ATTACKER: &str = "203.0.113.66:40000";
const OFFICE: &str = "198.51.100.10:50000";

/// What the old per-email lock allowed: anyone failing on purpose kept the real admin
/// out. Failures are now counted per client address and account.
#[tokio::test]
async fn an_attacker_cannot_lock_an_account_out() {
    let h = Harness::with(quick_throttle()).await;
    for _ in 0..20 {
        let answer = h.sign_in_from(ATTACKER, ADMIN.0, "guess-password-1").await;
        assert!(
            [StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS].contains(&answer.status),
            "{}",
            answer.status
        );
    }
    let slowed = h.sign_in_from(ATTACKER, ADMIN.0, "guess-password-1").await;
    assert_eq!(slowed.status, StatusCode::TOO_MANY_REQUESTS);
    // The real admin, from another address, signs in at once.
    let admin = h.sign_in_from(OFFICE, ADMIN.0, ADMIN.1).await;
    assert_eq!(admin.status, StatusCode::SEE_OTHER, "{}", admin.body);
    // And the attacker's address is slowed for that account only.
    let other = h.sign_in_from(ATTACKER, VIEWER.0, VIEWER.1).await;
    assert_eq!(other.status, StatusCode::SEE_OTHER);
}

/// One address failing for one account waits longer after each failure beyond the
/// free ones (429 with `Retry-After`, without the password being checked); once the
/// wait is over, the right password is accepted.
#[tokio::test]
async fn the_same_address_waits_longer_each_time_then_gets_in() {
    let h = Harness::with(quick_throttle()).await;
    for _ in 0..3 {
        let answer = h.sign_in_from(ATTACKER, VIEWER.0, "wrong-password-1").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert!(answer.body.contains("Wrong email or password."));
    }
    // Three failures: a 600 ms wait, which even the right password must sit out.
    let started = Instant::now();
    let waiting = h.sign_in_from(ATTACKER, VIEWER.0, VIEWER.1).await;
    assert_eq!(waiting.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(waiting.headers[header::RETRY_AFTER], "1");
    assert!(waiting.body.contains("Too many failed sign-ins"));
    assert!(waiting.headers.get(header::SET_COOKIE).is_none());
    // Unknown accounts are slowed the same way (nothing tells them apart).
    for _ in 0..3 {
        h.sign_in_from(ATTACKER, "nobody@example.com", "x-password-1")
            .await;
    }
    let unknown = h
        .sign_in_from(ATTACKER, "nobody@example.com", "x-password-1")
        .await;
    assert_eq!(unknown.status, StatusCode::TOO_MANY_REQUESTS);

    tokio::time::sleep(Duration::from_millis(650).saturating_sub(started.elapsed())).await;
    let fourth = h.sign_in_from(ATTACKER, VIEWER.0, "wrong-password-1").await;
    assert_eq!(fourth.status, StatusCode::UNAUTHORIZED, "the wait was over");
    // Four failures: twice as long (1.2 s).
    let after_fourth = Instant::now();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let still = h.sign_in_from(ATTACKER, VIEWER.0, VIEWER.1).await;
    assert_eq!(
        still.status,
        StatusCode::TOO_MANY_REQUESTS,
        "600 ms is no longer enough"
    );
    tokio::time::sleep(Duration::from_millis(1_250).saturating_sub(after_fourth.elapsed())).await;
    let admitted = h.sign_in_from(ATTACKER, VIEWER.0, VIEWER.1).await;
    assert_eq!(
        admitted.status,
        StatusCode::SEE_OTHER,
        "the right password after the wait: {}",
        admitted.body
    );
    // A success starts the pair afresh: the next mistake is free again.
    let mistake = h.sign_in_from(ATTACKER, VIEWER.0, "wrong-password-1").await;
    assert_eq!(mistake.status, StatusCode::UNAUTHORIZED);
}

/// `X-Forwarded-For` is anyone's to write: it is ignored unless the server is told a
/// proxy in front of it sets it (`--trust-forwarded-for`), and then the entry the
/// proxy added (the last) is the client.
#[tokio::test]
async fn forwarded_for_counts_only_behind_a_trusted_proxy() {
    let h = Harness::with(quick_throttle()).await;
    for i in 0..4 {
        let spoofed = format!("192.0.2.{i}");
        h.sign_in_with(
            ATTACKER,
            &[("x-forwarded-for", &spoofed)],
            VIEWER.0,
            "wrong-password-1",
        )
        .await;
    }
    let spoofed = h
        .sign_in_with(
            ATTACKER,
            &[("x-forwarded-for", "192.0.2.200")],
            VIEWER.0,
            VIEWER.1,
        )
        .await;
    assert_eq!(
        spoofed.status,
        StatusCode::TOO_MANY_REQUESTS,
        "a made-up header does not make a new client"
    );

    let proxied = Harness::with(AuthConfig {
        trust_forwarded_for: true,
        ..quick_throttle()
    })
    .await;
    // Every request comes from the proxy's address; the proxy appends the client's.
    const PROXY: &str = "10.0.0.2:3000";
    for _ in 0..4 {
        proxied
            .sign_in_with(
                PROXY,
                &[("x-forwarded-for", "1.2.3.4, 203.0.113.66")],
                VIEWER.0,
                "wrong-password-1",
            )
            .await;
    }
    let attacker = proxied
        .sign_in_with(
            PROXY,
            &[("x-forwarded-for", "203.0.113.66")],
            VIEWER.0,
            VIEWER.1,
        )
        .await;
    assert_eq!(attacker.status, StatusCode::TOO_MANY_REQUESTS);
    let colleague = proxied
        .sign_in_with(
            PROXY,
            &[("x-forwarded-for", "203.0.113.66, 198.51.100.10")],
            VIEWER.0,
            VIEWER.1,
        )
        .await;
    assert_eq!(colleague.status, StatusCode::SEE_OTHER, "another client");
}

#[tokio::test]
async fn state_changes_from_another_site_are_refused() {
    let h = Harness::new(Duration::from_secs(3600)).await;
    let cookie = h.session(ADMIN).await;
    for path in server_fn_paths() {
        for origin in [Some("http://evil.example"), None] {
            let answer = h.post_fn(&path, Some(&cookie), origin).await;
            assert_eq!(
                answer.status,
                StatusCode::FORBIDDEN,
                "{path} from {origin:?}"
            );
            assert!(answer.body.contains("cross-site"), "{}", answer.body);
        }
    }
    let forged_sign_in = h
        .send(
            Request::post("/signin")
                .header(header::HOST, HOST)
                .header(header::ORIGIN, "http://evil.example")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(
                    "email=ana%40example.com&password=ana-password-123",
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(forged_sign_in.status, StatusCode::FORBIDDEN);
}

/// Every registered server function: a viewer may call exactly the reads; an admin
/// passes the guard everywhere.
#[tokio::test]
async fn viewers_cannot_change_anything() {
    let h = Harness::new(Duration::from_secs(3600)).await;
    let viewer = h.session(VIEWER).await;
    let admin = h.session(ADMIN).await;
    let mut refused = Vec::new();
    let mut writes_open_to_viewers = Vec::new();
    for path in server_fn_paths() {
        let name = path.rsplit('/').next().unwrap_or_default();
        let as_viewer = h.post_fn(&path, Some(&viewer), Some(ORIGIN)).await;
        if viewer_may_call(&path) {
            assert_ne!(as_viewer.status, StatusCode::FORBIDDEN, "{path}");
            if !path.starts_with("/api/read/") {
                writes_open_to_viewers.push(path.clone());
            }
        } else {
            assert_eq!(as_viewer.status, StatusCode::FORBIDDEN, "{path}");
            assert!(as_viewer.body.contains("viewers cannot change"));
            refused.push(name.to_string());
        }
        let as_admin = h.post_fn(&path, Some(&admin), Some(ORIGIN)).await;
        assert!(
            ![StatusCode::FORBIDDEN, StatusCode::UNAUTHORIZED].contains(&as_admin.status),
            "{path}: {}",
            as_admin.status
        );
    }
    // Exactly one write is open to viewers: changing their own password.
    assert_eq!(
        writes_open_to_viewers,
        [app::settings::accounts::ChangeOwnPassword::PATH]
    );
    for expected in [
        "create_dataset",
        "delete_dataset",
        "add_to_dataset",
        "set_account_disabled",
        "set_account_role",
        "reset_account_password",
        "end_account_sessions",
    ] {
        assert!(
            refused.iter().any(|n| n.starts_with(expected)),
            "{expected} must be refused to viewers: {refused:?}"
        );
    }
}

#[tokio::test]
async fn viewers_see_only_their_projects() {
    let h = Harness::new(Duration::from_secs(3600)).await;
    let viewer = h.session(VIEWER).await;
    let page = h
        .get(
            &format!("/dashboard?project={}", h.theirs.id),
            Some(&viewer),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&h.mine.name), "{}", page.body);
    assert!(
        !page.body.contains(&h.theirs.name),
        "another project's name leaked"
    );
    assert!(
        !page.body.contains(&h.theirs.id),
        "another project's id leaked"
    );
    let admin = h.session(ADMIN).await;
    let page = h
        .get(&format!("/dashboard?project={}", h.theirs.id), Some(&admin))
        .await;
    assert!(page.body.contains(&h.theirs.name));
}

/// `application/x-www-form-urlencoded` for one value (every byte but unreserved ones
/// escaped, so tabs, newlines and backslashes reach the server as sent).
fn form_encode(value: &str) -> String {
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

impl Harness {
    async fn post_sign_in(&self, email: &str, pass: &str, next: &str) -> Answer {
        let body = format!(
            "email={}&password={}&next={}",
            form_encode(email),
            form_encode(pass),
            form_encode(next)
        );
        self.send(
            Request::post("/signin")
                .header(header::HOST, HOST)
                .header(header::ORIGIN, ORIGIN)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }
}

/// After signing in, `next` is followed only to a path on this site as a browser reads
/// it: tabs and newlines are dropped and `\` is `/`, so `/\t/evil.example/` would
/// be `//evil.example/`, another host.
#[tokio::test]
async fn sign_in_never_redirects_to_another_site() {
    let h = Harness::new(Duration::from_secs(3600)).await;
    for hostile in [
        "/\t/evil.example/",
        "/\n/evil.example/",
        "/\r\n/evil.example/",
        "\t//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example/",
        "/\t\\evil.example/",
        "//evil.example/",
        " //evil.example/",
        "https://evil.example/",
        "javascript:alert(1)",
        "evil.example",
        "/\u{1}/x",
        "/\u{7f}",
        "/caf\u{e9}",
    ] {
        let answer = h.post_sign_in(ADMIN.0, ADMIN.1, hostile).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{hostile:?}");
        assert_eq!(
            answer.headers[header::LOCATION],
            "/dashboard",
            "next = {hostile:?}"
        );
        // The form page carries the same safe value.
        let page = h
            .get(&format!("/signin?next={}", form_encode(hostile)), None)
            .await;
        assert_eq!(page.status, StatusCode::OK, "{hostile:?}");
        assert!(
            page.body.contains(r#"name="next" value="/dashboard""#),
            "{hostile:?}"
        );
    }
    // Paths on this site are kept as they are, percent escapes included (a browser
    // does not decode them to find the host).
    for path in [
        "/dashboard/traces?verdict=blocked",
        "/%09/evil.example/",
        "/%2F%2Fevil.example/",
        "/dashboard?next=//evil.example",
    ] {
        let answer = h.post_sign_in(ADMIN.0, ADMIN.1, path).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path:?}");
        assert_eq!(answer.headers[header::LOCATION], path);
    }
}

/// An email longer than any address (254 characters) gets the answer of an unknown
/// one, and is neither throttled nor echoed back; a body far beyond any real form is
/// refused before it is read.
#[tokio::test]
async fn overlong_emails_are_refused_like_wrong_passwords() {
    let h = Harness::new(Duration::from_secs(3600)).await;
    let long = format!("{}@example.com", "a".repeat(300 - "@example.com".len()));
    assert_eq!(long.len(), 300);
    for _ in 0..throttle::Policy::default().free_failures + 2 {
        let answer = h.post_sign_in(&long, "whatever-123", "/dashboard").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "never throttled");
        assert!(answer.body.contains("Wrong email or password."));
        assert!(!answer.body.contains(&long), "not echoed back");
        assert!(answer.headers.get(header::SET_COOKIE).is_none());
    }
    // Even when an account's address is a prefix of it.
    let padded = format!("{}{}", ADMIN.0, " ".repeat(300));
    let answer = h.post_sign_in(&padded, ADMIN.1, "/dashboard").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    // 254 characters is still an email (unknown here: the usual answer, echoed).
    let longest = format!("{}@example.com", "b".repeat(254 - "@example.com".len()));
    let answer = h.post_sign_in(&longest, "whatever-123", "/dashboard").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.body.contains(&longest));
    // A megabyte of email is not read at all.
    let huge = "a".repeat(1 << 20);
    let answer = h.post_sign_in(&huge, "whatever-123", "/dashboard").await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    // The real account still signs in.
    h.session(ADMIN).await;
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let plain = Harness::new(Duration::from_secs(3600)).await;
    // A page, a redirect to sign-in, the sign-in page, an API error, health.
    for uri in [
        "/signin",
        "/dashboard",
        "/v1/traces",
        "/healthz",
        "/no-such-page",
    ] {
        let answer = plain.get(uri, None).await;
        for (name, value) in [
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "same-origin"),
            ("x-frame-options", "DENY"),
        ] {
            assert_eq!(
                answer.headers.get(name).and_then(|v| v.to_str().ok()),
                Some(value),
                "{uri}: {name}"
            );
        }
        // The whole policy (pages name a nonce) is `tests/csp.rs`'s.
        let csp = answer.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{uri}: {csp}");
        assert!(
            answer.headers.get("strict-transport-security").is_none(),
            "{uri}: HSTS over plain HTTP would bind browsers to HTTPS"
        );
    }
    let secure = Harness::with(AuthConfig {
        secure_cookies: true,
        ..AuthConfig::default()
    })
    .await;
    let answer = secure.get("/signin", None).await;
    assert_eq!(
        answer
            .headers
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok()),
        Some("max-age=31536000")
    );
}
