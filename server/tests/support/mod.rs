//! A real `preflight serve` on a free loopback port, and a blocking HTTP client for
//! it, for tests that drive the binary as a user or an exporter would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_preflight")
}

/// A program of the virtualenv `scripts/bootstrap` makes (`target/pyenv/bin/{name}`,
/// packages pinned in `requirements`), or the one `env_var` names. Missing, the test
/// fails saying how to get it; it never skips.
pub fn pyenv_program(name: &str, env_var: &str, requirements: &str) -> PathBuf {
    let path = std::env::var(env_var)
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../target/pyenv/bin/{name}"))
        });
    assert!(
        path.exists(),
        "{} is missing: run scripts/bootstrap (it creates target/pyenv with the packages in \
         {requirements}), or set {env_var}",
        path.display()
    );
    path
}

/// Runs the CLI with `DATABASE_URL` set.
pub fn preflight(database_url: &str, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env("DATABASE_URL", database_url)
        .env_remove("PREFLIGHT_API_KEY")
        .env_remove("PREFLIGHT_PROJECT")
        .output()
        .expect("run preflight")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// A scratch directory for this test process.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("preflight-it-{}", std::process::id()))
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("preflight.db").display())
}

/// `preflight project create NAME`: the printed key (an `agent` key).
pub fn create_project(database_url: &str, name: &str) -> String {
    printed_key(preflight(database_url, &["project", "create", name]))
}

/// `preflight key create --project NAME --scope SCOPE`: the printed key.
pub fn create_key(database_url: &str, project: &str, scope: &str) -> String {
    printed_key(preflight(
        database_url,
        &["key", "create", "--project", project, "--scope", scope],
    ))
}

fn printed_key(out: std::process::Output) -> String {
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .find(|l| l.starts_with("jj_"))
        .unwrap_or_else(|| panic!("no key printed: {}", stdout(&out)))
        .trim()
        .to_string()
}

pub struct Server {
    pub url: String,
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Server {
    pub fn start(database_url: &str) -> Server {
        Server::start_with(database_url, &[])
    }

    /// [`Server::start`] with more `serve` flags.
    pub fn start_with(database_url: &str, flags: &[&str]) -> Server {
        Server::start_with_args(database_url, flags, &[])
    }

    /// [`Server::start`] with more environment (`PREFLIGHT_...` settings).
    pub fn start_with_env(database_url: &str, env: &[(&str, &str)]) -> Server {
        Server::start_with_args(database_url, &[], env)
    }

    fn start_with_args(database_url: &str, flags: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(bin())
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--site-root",
                "target/site",
            ])
            .args(flags)
            .env("DATABASE_URL", database_url)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            // An empty database stays empty (no demo project).
            .env("PREFLIGHT_NO_DEMO", "true")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start preflight serve");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let log = log.clone();
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    if let Some(at) = line.find("listening on http://") {
                        let url = line[at + "listening on ".len()..].trim().to_string();
                        let _ = tx.send(url);
                    }
                    log.lock().unwrap().push_str(&line);
                    log.lock().unwrap().push('\n');
                }
            });
        }
        let started = std::time::Instant::now();
        let url = loop {
            if let Ok(url) = rx.recv_timeout(Duration::from_millis(200)) {
                break url;
            }
            if let Ok(Some(status)) = child.try_wait() {
                std::thread::sleep(Duration::from_millis(200));
                panic!("the server exited ({status}):\n{}", log.lock().unwrap());
            }
            if started.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                panic!("the server did not start in 60 s:\n{}", log.lock().unwrap());
            }
        };
        // Up to anything that is not part of `http://IP:PORT` (an ANSI code, say).
        let url: String = url
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || ":/.".contains(*c))
            .collect();
        Server { url, child, log }
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// The server process's id (for `/proc/<pid>/status`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Signs in as the first-run admin (whose password the server printed once) and
    /// returns the `Cookie` header value for dashboard pages.
    pub fn dashboard_cookie(&self) -> String {
        let started = std::time::Instant::now();
        let line = loop {
            let log = self.log();
            if let Some(line) = log
                .lines()
                .find(|l| l.contains("Dashboard sign-in (shown once): "))
            {
                break line.to_string();
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no admin printed:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let (_, credentials) = line.split_once("(shown once): ").unwrap();
        let (email, password) = credentials.trim().split_once(" / ").unwrap();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        let response = agent
            .post(format!("{}/signin", self.url))
            .header("origin", &self.url)
            .send_form([("email", email), ("password", password)])
            .expect("sign in");
        assert_eq!(response.status().as_u16(), 303, "sign-in refused");
        let cookie = response.headers()["set-cookie"].to_str().unwrap();
        cookie.split(';').next().unwrap().to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking JSON client with a bearer key; any status is returned, not raised.
pub struct Api {
    agent: ureq::Agent,
    base: String,
    key: String,
}

impl Api {
    pub fn new(base: &str, key: &str) -> Api {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Api {
            agent,
            base: base.to_string(),
            key: key.to_string(),
        }
    }

    fn finish(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Vec<u8>) {
        let mut response = response.expect("HTTP request");
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(256 * 1024 * 1024)
            .read_to_vec()
            .unwrap();
        (status, body)
    }

    pub fn get_raw(&self, path: &str) -> (u16, Vec<u8>) {
        Self::finish(
            self.agent
                .get(format!("{}{path}", self.base))
                .header("authorization", format!("Bearer {}", self.key))
                .call(),
        )
    }

    /// A dashboard page with a session cookie (see [`Server::dashboard_cookie`]).
    pub fn get_page(&self, path: &str, cookie: &str) -> (u16, Vec<u8>) {
        Self::finish(
            self.agent
                .get(format!("{}{path}", self.base))
                .header("cookie", cookie)
                .call(),
        )
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        let (status, body) = self.get_raw(path);
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let (status, body) = Self::finish(
            self.agent
                .post(format!("{}{path}", self.base))
                .header("authorization", format!("Bearer {}", self.key))
                .header("content-type", "application/json")
                .send(body.to_string()),
        );
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    pub fn put(&self, path: &str, body: &Value) -> (u16, Value) {
        let (status, body) = Self::finish(
            self.agent
                .put(format!("{}{path}", self.base))
                .header("authorization", format!("Bearer {}", self.key))
                .header("content-type", "application/json")
                .send(body.to_string()),
        );
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    pub fn delete(&self, path: &str) -> u16 {
        Self::finish(
            self.agent
                .delete(format!("{}{path}", self.base))
                .header("authorization", format!("Bearer {}", self.key))
                .call(),
        )
        .0
    }
}

// ---- The router without a socket ----
//
// Tests that drive `preflight::web::router` (or the `/v1` router alone) in process, on
// a fresh database: one way to build it, to send a request and read the answer, and to
// sign in as the dashboard does.

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use tower::ServiceExt;

/// The `Host` the router tests send, and the `Origin` of a same-site form post.
pub const HOST: &str = "preflight.test";
pub const ORIGIN: &str = "http://preflight.test";

/// The store at `url`, migrated.
pub async fn open_store(url: &str) -> std::sync::Arc<dyn store::Store> {
    store::open(url, store::StoreOptions::default())
        .await
        .expect("open store")
}

/// A store on a new SQLite database.
pub async fn sqlite_store() -> std::sync::Arc<dyn store::Store> {
    open_store(&store::testing::fresh_sqlite_url()).await
}

/// The whole application (API, dashboard, sign-in, health) over `store`, as
/// `preflight serve` builds it from `site`.
pub fn app_router(
    store: std::sync::Arc<dyn store::Store>,
    site: preflight::web::SiteConfig,
) -> Router {
    preflight::web::router(&site, store)
}

/// [`app_router`] with the default site settings but these sessions.
pub fn app_with_auth(
    store: std::sync::Arc<dyn store::Store>,
    auth: preflight::auth::AuthConfig,
) -> Router {
    app_router(
        store,
        preflight::web::SiteConfig {
            auth,
            ..Default::default()
        },
    )
}

/// The `/v1` API alone, with the default limits.
pub fn api_router(store: std::sync::Arc<dyn store::Store>) -> Router {
    preflight::api::router(preflight::api::AppState::new(
        store,
        preflight::api::Limits::default(),
    ))
}

/// A new project and an `admin` API key for it (these tests call every route).
pub async fn project_with_key(store: &dyn store::Store, name: &str) -> (store::Project, String) {
    let project = store.create_project(name).await.unwrap();
    let key = store
        .create_api_key(&project.id, store::KeyScope::Admin)
        .await
        .unwrap()
        .key;
    (project, key)
}

/// A dashboard account with this password.
pub async fn create_account(
    store: &dyn store::Store,
    email: &str,
    password: &str,
    role: store::Role,
) -> store::User {
    store
        .create_user(
            email,
            &preflight::auth::password::hash(password).unwrap(),
            role,
        )
        .await
        .unwrap()
}

/// What the router answered: status, headers, the body as bytes and as text.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
    pub body: String,
}

impl Answer {
    /// The body as JSON (`Null` when it is empty).
    pub fn json(&self) -> Value {
        if self.bytes.is_empty() {
            return Value::Null;
        }
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|_| panic!("non-JSON body ({}): {}", self.status, self.body))
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends one request through `app` and reads the whole answer.
pub async fn send(app: &Router, request: Request<Body>) -> Answer {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    let body = String::from_utf8_lossy(&bytes).to_string();
    Answer {
        status,
        headers,
        bytes,
        body,
    }
}

/// `POST /signin` as the sign-in form sends it (same origin), with `extra` headers.
pub fn signin_request(email: &str, password: &str, extra: &[(&str, &str)]) -> Request<Body> {
    let form = format!("email={}&password={password}", email.replace('@', "%40"));
    signin_post(form, extra)
}

/// `POST /signin` with this urlencoded form, same origin, and `extra` headers.
pub fn signin_post(form: String, extra: &[(&str, &str)]) -> Request<Body> {
    let mut request = Request::post("/signin")
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    request.body(Body::from(form)).unwrap()
}

/// Signs in through `app` and returns the `Cookie` header value of the new session.
pub async fn session_cookie(app: &Router, email: &str, password: &str) -> String {
    let answer = send(app, signin_request(email, password, &[])).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    cookie_of(&answer)
}

/// The `name=value` of the cookie an answer set.
pub fn cookie_of(answer: &Answer) -> String {
    let set = answer.headers[header::SET_COOKIE].to_str().unwrap();
    set.split(';').next().unwrap().to_string()
}

/// `/api/<name><digits>` (or `/api/read/...`) for a server function name.
pub fn server_fn(name: &str) -> String {
    leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .find(|p| {
            let last = p.rsplit('/').next().unwrap_or_default();
            last.trim_end_matches(|c: char| c.is_ascii_digit()) == name
        })
        .unwrap_or_else(|| panic!("no server function {name}"))
}

/// A dashboard as a signed-in admin sees it: a project with an API key and an admin
/// account on `store`, the whole app over it, and the admin's session.
pub struct SignedIn {
    pub app: Router,
    pub project: store::Project,
    pub key: String,
    /// The admin's `Cookie` header value.
    pub cookie: String,
}

/// The admin account [`SignedIn`] makes.
pub const ADMIN: (&str, &str) = ("ana@example.com", "ana-password-123");

impl SignedIn {
    pub async fn new(store: std::sync::Arc<dyn store::Store>, project: &str) -> SignedIn {
        let (project, key) = project_with_key(store.as_ref(), project).await;
        create_account(store.as_ref(), ADMIN.0, ADMIN.1, store::Role::Admin).await;
        let app = app_router(store, Default::default());
        let cookie = session_cookie(&app, ADMIN.0, ADMIN.1).await;
        SignedIn {
            app,
            project,
            key,
            cookie,
        }
    }
}
