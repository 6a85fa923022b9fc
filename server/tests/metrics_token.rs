//! `/metrics` behind a token: through the router (no token set, the right one, a wrong
//! one, none, another scheme), and `preflight serve` reading it from a file and from
//! `PREFLIGHT_METRICS_TOKEN`, without it reaching the command line or the log.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use preflight::ops::MetricsToken;

const TOKEN: &str = "metrics-0123456789-abcdef";

async fn scrape(app: &axum::Router, authorization: Option<&str>) -> support::Answer {
    let mut request = Request::get("/metrics");
    if let Some(value) = authorization {
        request = request.header(header::AUTHORIZATION, value);
    }
    support::send(app, request.body(Body::empty()).unwrap()).await
}

#[tokio::test]
async fn metrics_need_the_token_once_one_is_set() {
    let store = support::sqlite_store().await;
    let open = support::app_router(store.clone(), Default::default());
    assert_eq!(scrape(&open, None).await.status, StatusCode::OK);

    let guarded = support::app_router(
        store,
        preflight::web::SiteConfig {
            metrics_token: Some(MetricsToken::new(TOKEN).unwrap()),
            ..Default::default()
        },
    );
    let answer = scrape(&guarded, Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(answer.body.contains("preflight_build_info"));
    for wrong in [
        None,
        Some("Bearer "),
        Some("Bearer wrong-token"),
        Some(&format!("Bearer {TOKEN}x")[..]),
        Some(&format!("Basic {TOKEN}")[..]),
        Some(&format!("bearer{TOKEN}")[..]),
    ] {
        let answer = scrape(&guarded, wrong).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{wrong:?}");
        assert!(answer
            .header("www-authenticate")
            .unwrap()
            .starts_with("Bearer"));
        assert!(
            !answer.body.contains("preflight_"),
            "{wrong:?}: {}",
            answer.body
        );
    }
    // Health stays open to probes.
    let health = support::send(
        &guarded,
        Request::get("/healthz").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(health.status, StatusCode::OK);
}

/// The server's command line, as `ps` shows it.
fn command_line(pid: u32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|bytes| String::from_utf8_lossy(&bytes).replace('\0', " "))
        .unwrap()
}

fn assert_guarded(server: &support::Server) {
    let status = |key: &str| support::Api::new(&server.url, key).get_raw("/metrics").0;
    assert_eq!(status(TOKEN), 200);
    assert_eq!(status("not-the-token"), 401);
    let (anonymous, _) =
        support::Api::new(&server.url, "").get_page("/metrics", "preflight_theme=dark");
    assert_eq!(anonymous, 401);
    assert!(!command_line(server.pid()).contains(TOKEN));
    assert!(!server.log().contains(TOKEN), "{}", server.log());
}

#[test]
fn serve_reads_the_token_from_a_file_or_the_environment() {
    let dir = support::scratch("metrics-token");
    let url = support::sqlite_url(&dir);
    let file = dir.join("metrics-token");
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
    let server =
        support::Server::start_with(&url, &["--metrics-token-file", file.to_str().unwrap()]);
    assert_guarded(&server);
    drop(server);

    let server = support::Server::start_with_env(&url, &[("PREFLIGHT_METRICS_TOKEN", TOKEN)]);
    assert_guarded(&server);
    drop(server);

    // An empty file is refused at start, not taken as "no token".
    std::fs::write(&file, "\n").unwrap();
    let out = std::process::Command::new(support::bin())
        .args(["serve", "--addr", "127.0.0.1:0", "--metrics-token-file"])
        .arg(&file)
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        support::stderr(&out).contains("metrics token is empty"),
        "{}",
        support::stderr(&out)
    );
}
