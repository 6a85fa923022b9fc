//! Dashboard sign-in: accounts with argon2id passwords, sessions in an HttpOnly
//! SameSite=Lax cookie (Secure behind HTTPS), failures slowed down per client address
//! and account ([`throttle`]), disabled accounts refused, and a guard in front of every
//! dashboard page and server function. The `/v1` API, OTLP ingest, health, metrics and
//! static assets are outside it (the API has its own keys).
//!
//! Cross-site request forgery: besides SameSite, every state-changing request that
//! reaches the dashboard must come from this origin (`Origin`, or `Sec-Fetch-Site:
//! same-origin`); one without either header is refused too.

mod page;
pub mod throttle;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use leptos::server_fn::ServerFn;
use serde::Deserialize;
pub use service::accounts::SESSION_COOKIE;
pub use service::password;
use store::{Role, Store, User};

/// Longest email a sign-in considers (the longest address SMTP can carry). A longer
/// one is refused like a wrong password, before it is looked up, throttled or hashed.
pub const MAX_EMAIL_CHARS: usize = 254;

/// Largest sign-in form accepted (email, password and `next` together); a larger body
/// is refused with 413 before it is read in full.
const MAX_SIGN_IN_BODY: usize = 16 * 1024;

/// How sessions behave; from `serve`'s flags.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub session_ttl: Duration,
    /// Always mark the cookie `Secure` (it is also marked when a proxy says the
    /// request came over HTTPS with `X-Forwarded-Proto: https`).
    pub secure_cookies: bool,
    /// Take the client's address from the last `X-Forwarded-For` entry (the one the
    /// proxy in front of this server added) rather than from the connection. Only
    /// behind such a proxy: anyone else can write that header.
    pub trust_forwarded_for: bool,
    /// How failed sign-ins are slowed down.
    pub throttle: throttle::Policy,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            session_ttl: Duration::from_secs(12 * 3600),
            secure_cookies: false,
            trust_forwarded_for: false,
            throttle: throttle::Policy::default(),
        }
    }
}

pub struct Auth {
    store: Arc<dyn Store>,
    config: AuthConfig,
    throttle: throttle::Throttle,
}

impl Auth {
    pub fn new(store: Arc<dyn Store>, config: AuthConfig) -> Arc<Auth> {
        Arc::new(Auth {
            store,
            throttle: throttle::Throttle::new(config.throttle),
            config,
        })
    }
}

/// The client's address: the connection's peer (the server is served with
/// `ConnectInfo`), or with [`AuthConfig::trust_forwarded_for`] the last address in the
/// last `X-Forwarded-For` header. `None` when neither is known (a router driven
/// without a socket): such requests share one throttle bucket.
fn client_address(
    config: &AuthConfig,
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
) -> Option<IpAddr> {
    if config.trust_forwarded_for {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|last| last.trim().parse::<IpAddr>().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    peer.map(|p| p.ip())
}

/// Paths anyone may request: the API (keys), health, metrics, sign-in, assets.
fn is_public(path: &str) -> bool {
    const PREFIXES: [&str; 4] = ["/v1/", "/otel/", "/pkg/", "/fonts/"];
    const EXACT: [&str; 7] = [
        "/healthz",
        "/readyz",
        "/metrics",
        "/signin",
        "/signout",
        "/favicon.svg",
        "/favicon.ico",
    ];
    PREFIXES.iter().any(|p| path.starts_with(p)) || EXACT.contains(&path)
}

/// Where the server functions that only read are served: each says so where it is
/// defined (`#[server(prefix = "/api/read")]`), running a simulation and choosing the
/// theme included. Everything else under `/api/` changes something and needs an
/// admin, so a new function is closed to viewers until it is declared a read.
pub const READ_FN_PREFIX: &str = "/api/read/";

/// May a viewer call the server function at `path`? The reads, and exactly one write:
/// changing their own password, which acts only on the caller's own account and needs
/// its current password.
pub fn viewer_may_call(path: &str) -> bool {
    path.starts_with(READ_FN_PREFIX) || path == app::settings::accounts::ChangeOwnPassword::PATH
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let values = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok());
    service::projects::cookie(values, name)
}

/// Same origin as the `Host` the browser used: `Origin` matches, or the browser
/// itself says `Sec-Fetch-Site: same-origin`.
fn same_origin(headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        if site != "same-origin" {
            return false;
        }
    }
    match (text("origin"), text("host")) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, authority)| authority == host),
        (None, _) => text("sec-fetch-site") == Some("same-origin"),
        _ => false,
    }
}

fn plain(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        message.to_string(),
    )
        .into_response()
}

/// Where to go after signing in: only a path on this site, judged as a browser will
/// read it. A browser removes ASCII tab, CR and LF anywhere in a URL and reads `\` as
/// `/`, so `/<tab>/evil.example` and `/\evil.example` are `//evil.example`, another
/// host. The value is normalised the same way, must then start with exactly one `/`
/// and may hold only visible ASCII (all the sign-in redirect itself sends: it
/// percent-encodes the rest); anything else goes to `/dashboard`. Percent escapes stay
/// escaped in `Location`, so `/%2F/x` and `/%09/x` are paths on this site.
fn safe_next(next: Option<&str>) -> String {
    const FALLBACK: &str = "/dashboard";
    let Some(next) = next else {
        return FALLBACK.to_string();
    };
    let normalised: String = next
        .chars()
        .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
        .map(|c| if c == '\\' { '/' } else { c })
        .collect();
    let visible = normalised.bytes().all(|b| b.is_ascii_graphic());
    if visible && normalised.starts_with('/') && !normalised.starts_with("//") {
        normalised
    } else {
        FALLBACK.to_string()
    }
}

async fn session_user(auth: &Auth, headers: &HeaderMap) -> Result<Option<User>, Response> {
    let Some(token) = cookie(headers, SESSION_COOKIE).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    auth.store
        .session_user(&password::token_hash(token), store::now_micros())
        .await
        .map_err(|e| {
            tracing::error!("session lookup failed: {e}");
            plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "the database is unavailable",
            )
        })
}

/// The guard in front of everything but [`is_public`] paths.
pub async fn guard(State(auth): State<Arc<Auth>>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if is_public(&path) {
        return next.run(request).await;
    }
    let user = match session_user(&auth, request.headers()).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            if request.method() == Method::GET && !path.starts_with("/api/") {
                let target = request
                    .uri()
                    .path_and_query()
                    .map_or(path.clone(), |pq| pq.as_str().to_string());
                let query = next_query(&target);
                return Redirect::to(&format!("/signin?{query}")).into_response();
            }
            return plain(StatusCode::UNAUTHORIZED, "sign in first: /signin");
        }
        Err(response) => return response,
    };
    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if writes && !same_origin(request.headers()) {
        return plain(
            StatusCode::FORBIDDEN,
            "cross-site request refused: the Origin header does not match this site",
        );
    }
    if path.starts_with("/api/") {
        if user.role == Role::Viewer && !viewer_may_call(&path) {
            return plain(
                StatusCode::FORBIDDEN,
                "viewers cannot change policies, datasets, keys, projects, accounts or approvals",
            );
        }
    }
    request.extensions_mut().insert(user);
    next.run(request).await
}

fn next_query(target: &str) -> String {
    let mut out = String::from("next=");
    for b in target.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[derive(Deserialize)]
struct SignInQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
struct SignInForm {
    email: String,
    password: String,
    next: Option<String>,
}

async fn sign_in_page(
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<SignInQuery>,
) -> Response {
    page::render(
        &headers,
        StatusCode::OK,
        "",
        &safe_next(q.next.as_deref()),
        None,
    )
}

async fn sign_in(
    State(auth): State<Arc<Auth>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    if !same_origin(&headers) {
        return plain(StatusCode::FORBIDDEN, "cross-site sign-in refused");
    }
    if form.email.chars().count() > MAX_EMAIL_CHARS {
        // No account has such an address: answered like an unknown email, after the
        // same work, but neither looked up, throttled nor echoed back.
        password::check(form.password, None).await;
        tracing::info!("failed sign-in");
        return wrong_email_or_password(&headers, "", &next);
    }
    let client = client_address(&auth.config, peer.map(|p| p.0 .0), &headers);
    let now = Instant::now();
    if let Some(wait) = auth.throttle.wait(client, &form.email, now) {
        return too_many_failures(&headers, wait, &form.email, &next);
    }
    let found = match auth.store.user_credentials(&form.email).await {
        Ok(found) => found,
        Err(e) => {
            tracing::error!("sign-in lookup failed: {e}");
            return plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "the database is unavailable",
            );
        }
    };
    let Some(user) = verify(found, form.password).await else {
        auth.throttle.failed(client, &form.email, now);
        tracing::info!("failed sign-in");
        return wrong_email_or_password(&headers, &form.email, &next);
    };
    auth.throttle.succeeded(client, &form.email);
    if user.is_disabled() {
        // Said only after the right password, so it reveals nothing to a guesser.
        tracing::info!(user = %user.id, "sign-in refused: the account is disabled");
        return page::render(
            &headers,
            StatusCode::FORBIDDEN,
            &form.email,
            &next,
            Some("This account is disabled. Ask an admin to enable it."),
        );
    }
    let token = password::random_text(43);
    let ttl = auth.config.session_ttl;
    let expires =
        store::now_micros().saturating_add(i64::try_from(ttl.as_micros()).unwrap_or(i64::MAX));
    if let Err(e) = auth
        .store
        .create_session(&password::token_hash(&token), &user.id, expires)
        .await
    {
        tracing::error!("cannot create a session: {e}");
        return plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "the database is unavailable",
        );
    }
    let secure = auth.config.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        ttl.as_secs(),
        if secure { "; Secure" } else { "" }
    );
    see_other(&next, &cookie)
}

/// Checks `password` against the account found (`None`: a dummy hash, so an unknown
/// email takes as long), off the async workers and a bounded number at once
/// ([`password::check`]).
async fn verify(found: Option<(User, String)>, password: String) -> Option<User> {
    match found {
        Some((user, stored)) => password::check(password, Some(stored))
            .await
            .then_some(user),
        None => {
            password::check(password, None).await;
            None
        }
    }
}

/// 429 while this client must wait before trying this account again, with
/// `Retry-After` in whole seconds.
fn too_many_failures(headers: &HeaderMap, wait: Duration, email: &str, next: &str) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let message = format!(
        "Too many failed sign-ins for this account from your address. Try again in {}.",
        if seconds < 120 {
            format!("{seconds} seconds")
        } else {
            format!("{} minutes", seconds.div_ceil(60))
        }
    );
    let mut response = page::render(
        headers,
        StatusCode::TOO_MANY_REQUESTS,
        email,
        next,
        Some(&message),
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

fn wrong_email_or_password(headers: &HeaderMap, email: &str, next: &str) -> Response {
    page::render(
        headers,
        StatusCode::UNAUTHORIZED,
        email,
        next,
        Some("Wrong email or password."),
    )
}

async fn sign_out(State(auth): State<Arc<Auth>>, headers: HeaderMap) -> Response {
    if !same_origin(&headers) {
        return plain(StatusCode::FORBIDDEN, "cross-site sign-out refused");
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        if let Err(e) = auth
            .store
            .delete_session(&password::token_hash(token))
            .await
        {
            tracing::error!("cannot end a session: {e}");
        }
    }
    see_other(
        "/signin",
        &format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    )
}

fn see_other(location: &str, cookie: &str) -> Response {
    let mut response = Redirect::to(location).into_response();
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// `/signin` (GET the form, POST it) and `/signout` (POST).
pub fn router(auth: Arc<Auth>) -> Router {
    Router::new()
        .route(
            "/signin",
            get(sign_in_page)
                .post(sign_in)
                .layer(DefaultBodyLimit::max(MAX_SIGN_IN_BODY)),
        )
        .route("/signout", post(sign_out))
        .with_state(auth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_api_health_assets_and_sign_in_are_public() {
        for path in [
            "/v1/traces",
            "/otel/v1/traces",
            "/healthz",
            "/signin",
            "/pkg/x.wasm",
        ] {
            assert!(is_public(path), "{path}");
        }
        for path in [
            "/",
            "/dashboard",
            "/dashboard/traces",
            "/api/get_home1",
            "/nope",
            "/v1",
        ] {
            assert!(!is_public(path), "{path}");
        }
    }

    #[test]
    fn next_stays_on_this_site() {
        for path in [
            "/dashboard/traces?x=1",
            "/",
            "/signin?next=/dashboard",
            "/dashboard/threads/a%2Fb?q=%20x#frag",
            // Percent escapes are not decoded in a Location: still paths on this site.
            "/%09/evil.example/",
            "/%2F/evil.example",
            "/%5C/evil.example",
            "/dashboard?next=//evil.example",
        ] {
            assert_eq!(safe_next(Some(path)), path, "{path:?}");
        }
        for hostile in [
            "//evil.example",
            "///evil.example",
            "https://evil.example",
            "http:evil.example",
            "javascript:alert(1)",
            "evil.example",
            "",
            "/\\evil.example",
            "\\\\evil.example",
            "\\/evil.example",
            "/\t/evil.example/",
            "\t//evil.example",
            "/\r\n/evil.example",
            "/\n\\evil.example",
            "/\t\\\tevil.example",
            " //evil.example",
            "/\u{0}/evil.example",
            "/\u{b}/evil.example",
            "/\u{7f}",
            "/caf\u{e9}",
            "/a b",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/dashboard", "{hostile:?}");
        }
        // Tabs and newlines inside an otherwise good path are dropped, as a browser
        // would, and a backslash becomes the slash the browser would read.
        assert_eq!(safe_next(Some("/dash\tboard\n")), "/dashboard");
        assert_eq!(safe_next(Some("/a\\b")), "/a/b");
        assert_eq!(safe_next(None), "/dashboard");
    }

    #[test]
    fn origin_checks() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, HeaderValue::from_static(v));
            }
            h
        };
        assert!(same_origin(&headers(&[
            ("host", "a:3000"),
            ("origin", "http://a:3000")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "a:3000"),
            ("origin", "http://evil")
        ])));
        assert!(!same_origin(&headers(&[("host", "a:3000")])), "no evidence");
        assert!(same_origin(&headers(&[
            ("host", "a:3000"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "a:3000"),
            ("origin", "http://a:3000"),
            ("sec-fetch-site", "cross-site")
        ])));
    }

    #[test]
    fn viewers_may_only_read_and_change_their_own_password() {
        assert!(viewer_may_call("/api/read/get_trace123"));
        assert!(viewer_may_call("/api/read/simulate_draft9"));
        let own_password = app::settings::accounts::ChangeOwnPassword::PATH;
        assert!(viewer_may_call(own_password));
        for path in [
            "/api/create_dataset1",
            "/api/get_dataset2",
            "/api/readme",
            "/api/decide_pending_approval",
            "/read/get_trace1",
            "/api/change_own_password",
            "/api/reset_account_password",
            &format!("{own_password}0"),
            &format!("{own_password}/x"),
        ] {
            assert!(!viewer_may_call(path), "{path}");
        }
    }

    #[test]
    fn the_client_address_is_the_peer_unless_a_proxy_is_trusted() {
        let peer: SocketAddr = "10.0.0.1:5000"
            .parse()
            .unwrap_or(SocketAddr::from(([0; 4], 0)));
        let mut headers = HeaderMap::new();
        headers.append("x-forwarded-for", HeaderValue::from_static("1.1.1.1"));
        headers.append(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 203.0.113.5"),
        );
        let direct = AuthConfig::default();
        assert_eq!(
            client_address(&direct, Some(peer), &headers),
            Some(peer.ip()),
            "the header is ignored by default"
        );
        assert_eq!(client_address(&direct, None, &headers), None);
        let proxied = AuthConfig {
            trust_forwarded_for: true,
            ..AuthConfig::default()
        };
        assert_eq!(
            client_address(&proxied, Some(peer), &headers),
            "203.0.113.5".parse().ok(),
            "the entry the proxy added: the last"
        );
        let garbage = HeaderMap::from_iter([(
            header::HeaderName::from_static("x-forwarded-for"),
            HeaderValue::from_static("not-an-address"),
        )]);
        assert_eq!(
            client_address(&proxied, Some(peer), &garbage),
            Some(peer.ip())
        );
    }
}
