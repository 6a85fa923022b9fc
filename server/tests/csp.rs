//! The Content-Security-Policy of the dashboard's pages, through the whole router: each
//! rendered page names a fresh nonce in its CSP, every inline `<script>` of the page
//! carries exactly that nonce (otherwise the browser would refuse to hydrate), no
//! inline script is allowed without it, and other answers get the nonce-less policy.
//! The browser suite (`end2end/`) is the proof that hydration runs under it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use support::{Answer, HOST};

/// The dashboard pages a session lands on (each renders resources into the page).
const PAGES: [&str; 6] = [
    "/dashboard",
    "/dashboard/traces",
    "/dashboard/policies",
    "/dashboard/audit",
    "/dashboard/settings",
    "/dashboard/no-such-page",
];

async fn signed_in() -> (Router, String, String) {
    let admin = support::SignedIn::new(support::sqlite_store().await, "csp").await;
    (admin.app, admin.cookie, admin.project.id)
}

async fn page(app: &Router, cookie: &str, path: &str, project: &str) -> Answer {
    let uri = format!("{path}?project={project}");
    let answer = support::send(
        app,
        Request::get(uri.as_str())
            .header(header::HOST, HOST)
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(
        answer.status == StatusCode::OK || answer.status == StatusCode::NOT_FOUND,
        "{uri}: {} {}",
        answer.status,
        answer.body
    );
    answer
}

fn csp(answer: &Answer) -> &str {
    answer
        .header("content-security-policy")
        .expect("a Content-Security-Policy header")
}

/// The directive's sources, e.g. `script-src` → `['self', 'nonce-…', …]`.
fn directive<'a>(policy: &'a str, name: &str) -> Vec<&'a str> {
    policy
        .split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix(name).filter(|rest| rest.starts_with(' ')))
        .unwrap_or_else(|| panic!("no {name} in {policy}"))
        .split_whitespace()
        .collect()
}

/// The nonce the page's CSP allows scripts with.
fn nonce_of(policy: &str) -> String {
    let sources = directive(policy, "script-src");
    let nonces: Vec<&str> = sources
        .iter()
        .filter_map(|s| s.strip_prefix("'nonce-")?.strip_suffix('\''))
        .collect();
    assert_eq!(nonces.len(), 1, "one nonce in {policy}");
    assert!(nonces[0].len() >= 16, "a nonce of 128 bits: {policy}");
    nonces[0].to_string()
}

/// The opening tags of every `<script>` element in the HTML.
fn script_tags(html: &str) -> Vec<&str> {
    let lower = html.to_ascii_lowercase();
    let mut tags = Vec::new();
    let mut from = 0;
    while let Some(at) = lower[from..].find("<script") {
        let start = from + at;
        let end = start + lower[start..].find('>').expect("a closed script tag");
        tags.push(&html[start..=end]);
        from = end;
    }
    tags
}

#[tokio::test]
async fn every_inline_script_carries_the_nonce_of_its_answer() {
    let (app, cookie, project) = signed_in().await;
    let mut nonces = std::collections::BTreeSet::new();
    let mut inline_scripts = 0;
    for path in PAGES {
        let answer = page(&app, &cookie, path, &project).await;
        let policy = csp(&answer);
        let nonce = nonce_of(policy);
        let scripts = directive(policy, "script-src");
        assert!(!scripts.contains(&"'unsafe-inline'"), "{path}: {policy}");
        assert!(!scripts.contains(&"'unsafe-eval'"), "{path}: {policy}");
        assert!(!scripts.contains(&"*"), "{path}: {policy}");
        for (name, want) in [
            ("default-src", "'self'"),
            ("object-src", "'none'"),
            ("base-uri", "'self'"),
            ("frame-ancestors", "'none'"),
        ] {
            assert_eq!(directive(policy, name), [want], "{path}: {policy}");
        }
        let tags = script_tags(&answer.body);
        assert!(
            !tags.is_empty(),
            "{path}: the page has its hydration script"
        );
        for tag in tags {
            if tag.contains(" src=") {
                continue;
            }
            inline_scripts += 1;
            assert!(
                tag.contains(&format!(r#"nonce="{nonce}""#)),
                "{path}: an inline script without this answer's nonce {nonce}: {tag}"
            );
        }
        assert!(nonces.insert(nonce), "{path}: a nonce used twice");
    }
    // The hydration script at least, and the resources serialized into each page.
    assert!(inline_scripts >= PAGES.len(), "{inline_scripts}");
    // The same page twice: two nonces.
    let first = nonce_of(csp(&page(&app, &cookie, "/dashboard", &project).await));
    let second = nonce_of(csp(&page(&app, &cookie, "/dashboard", &project).await));
    assert_ne!(first, second);
}

#[tokio::test]
async fn answers_other_than_pages_allow_no_inline_script() {
    let (app, _, _) = signed_in().await;
    // Sign-in page, API error, health, a page without a session (a redirect).
    for uri in ["/signin", "/v1/traces", "/healthz", "/dashboard"] {
        let answer = support::send(
            &app,
            Request::get(uri)
                .header(header::HOST, HOST)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(csp(&answer), preflight::web::DEFAULT_CSP, "{uri}");
        assert_eq!(directive(csp(&answer), "script-src"), ["'self'"], "{uri}");
    }
}
