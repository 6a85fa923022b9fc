//! The real binary under stress: SIGKILL in the middle of sustained ingest loses no
//! acknowledged event and duplicates none; SIGTERM lets an in-flight request finish,
//! refuses new connections and exits 0; two processes on one PostgreSQL database
//! behave as one service. On SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_preflight");

/// Runs the CLI on `db`; panics with its output if it fails.
fn cli(db: &str, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .args(["--database-url", db])
        .env_remove("DATABASE_URL")
        .output()
        .expect("run preflight");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "preflight {args:?} failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// `preflight project create NAME`, then an admin key for it (these tests read and
/// change everything): the key is on the last line.
fn create_project(db: &str, name: &str) -> String {
    last_line(&cli(db, &["project", "create", name]));
    last_line(&cli(
        db,
        &["key", "create", "--project", name, "--scope", "admin"],
    ))
}

fn last_line(text: &str) -> String {
    let line = text.lines().rev().find(|l| !l.trim().is_empty());
    let key = line.unwrap_or_default().trim().to_string();
    assert!(
        key.starts_with("jj_"),
        "no key on the last line of {text:?}"
    );
    key
}

struct Server {
    child: Child,
    /// `127.0.0.1:PORT`.
    addr: String,
    log: Arc<Mutex<String>>,
}

impl Server {
    fn start(db: &str) -> Server {
        let mut child = Command::new(BIN)
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--site-root",
                "target/site",
            ])
            .args(["--database-url", db])
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start preflight serve");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let streams: [Box<dyn Read + Send>; 2] = [
            Box::new(child.stdout.take().unwrap()),
            Box::new(child.stderr.take().unwrap()),
        ];
        for stream in streams {
            let (log, tx) = (log.clone(), tx.clone());
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    if let Some(at) = line.find("listening on http://") {
                        let addr: String = line[at + "listening on http://".len()..]
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || ".:[]".contains(*c))
                            .collect();
                        let _ = tx.send(addr);
                    }
                    let mut log = log.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            });
        }
        match rx.recv_timeout(Duration::from_secs(90)) {
            Ok(addr) => Server { child, addr, log },
            Err(_) => {
                let _ = child.kill();
                panic!("the server did not start:\n{}", log.lock().unwrap());
            }
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn sigkill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    fn sigterm(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if started.elapsed() > limit {
                panic!("still running {limit:?} after SIGTERM:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A JSON client for one server and key; transport errors are `Err`.
#[derive(Clone)]
struct Client {
    agent: ureq::Agent,
    base: String,
    key: String,
}

impl Client {
    fn new(server: &Server, key: &str) -> Client {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Client {
            agent,
            base: server.url(),
            key: key.to_string(),
        }
    }

    fn send(&self, method: &str, path: &str, body: Option<&Value>) -> Result<(u16, Value), String> {
        let url = format!("{}{path}", self.base);
        let auth = format!("Bearer {}", self.key);
        let response = match (method, body) {
            ("GET", _) => self.agent.get(&url).header("authorization", &auth).call(),
            ("DELETE", _) => self
                .agent
                .delete(&url)
                .header("authorization", &auth)
                .call(),
            (m, body) => {
                let text = body.map(Value::to_string).unwrap_or_default();
                let request = match m {
                    "POST" => self.agent.post(&url),
                    "PUT" => self.agent.put(&url),
                    "PATCH" => self.agent.patch(&url),
                    other => panic!("method {other}"),
                };
                request
                    .header("authorization", &auth)
                    .header("content-type", "application/json")
                    .send(text)
            }
        };
        let mut response = response.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| e.to_string())?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// Like `send`, but a transport error fails the test.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.send(method, path, body.as_ref())
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }
}

const EVENTS_PER_BATCH: usize = 50;

/// One batch = one trace of `EVENTS_PER_BATCH` spans.
fn batch(trace: &str, events: usize) -> Value {
    let events: Vec<Value> = (0..events)
        .map(|i| {
            json!({
                "type": "span", "trace_id": trace, "span_id": format!("{trace}-s{i}"),
                "kind": if i % 2 == 0 { "tool_call" } else { "llm_call" },
                "name": format!("tool.{}", i % 7), "sequence": i,
                "timestamp": "2026-11-01T10:00:00Z", "status": "ok",
                "agent_name": "durability-bot", "cost_usd": 0.001,
                "payload": {"args": "x".repeat(200)},
            })
        })
        .collect();
    json!({ "events": events })
}

/// How many times each span id of the trace is stored (0 spans: not there at all).
fn stored_spans(client: &Client, trace: &str) -> HashMap<String, usize> {
    let (status, body) = client.call("GET", &format!("/v1/traces/{trace}"), None);
    let mut counts = HashMap::new();
    if status == 404 {
        return counts;
    }
    assert_eq!(status, 200, "{body}");
    for event in body["events"].as_array().unwrap() {
        *counts
            .entry(event["span_id"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    counts
}

fn assert_exactly_once(client: &Client, trace: &str) {
    let counts = stored_spans(client, trace);
    for i in 0..EVENTS_PER_BATCH {
        let span = format!("{trace}-s{i}");
        assert_eq!(
            counts.get(&span),
            Some(&1),
            "acknowledged span {span} stored {:?} times",
            counts.get(&span)
        );
    }
    assert_eq!(counts.len(), EVENTS_PER_BATCH, "{trace}: {counts:?}");
}

/// Four clients ingest batches as fast as they can; the server is SIGKILLed
/// mid-stream and restarted on the same database. Every acknowledged batch is there,
/// each event once; a batch cut off in flight is all there or not at all, and
/// re-sending it (as the SDK retries) does not duplicate anything.
fn kill_mid_stream(db: String) {
    let key = create_project(&db, "durable");
    let mut server = Server::start(&db);
    let client = Client::new(&server, &key);
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let cut_off = Arc::new(Mutex::new(Vec::<String>::new()));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let killed = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..4)
        .map(|t| {
            let (client, acked, cut_off, failures, killed) = (
                client.clone(),
                acked.clone(),
                cut_off.clone(),
                failures.clone(),
                killed.clone(),
            );
            std::thread::spawn(move || {
                for b in 0.. {
                    if killed.load(Ordering::SeqCst) {
                        break;
                    }
                    let trace = format!("dur-{t}-{b}");
                    let body = batch(&trace, EVENTS_PER_BATCH);
                    match client.send("POST", "/v1/events/ingest", Some(&body)) {
                        Ok((200, answer)) if answer["accepted"] == EVENTS_PER_BATCH => {
                            acked.lock().unwrap().push(trace)
                        }
                        Ok((status, answer)) => {
                            failures.lock().unwrap().push(format!("{status}: {answer}"));
                            break;
                        }
                        // The kill: this batch was in flight (or never got through).
                        Err(_) => {
                            cut_off.lock().unwrap().push(trace);
                            break;
                        }
                    }
                }
            })
        })
        .collect();
    let started = Instant::now();
    while acked.lock().unwrap().len() < 60 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    server.sigkill();
    killed.store(true, Ordering::SeqCst);
    for w in workers {
        w.join().unwrap();
    }
    let failures = failures.lock().unwrap().clone();
    assert!(
        failures.is_empty(),
        "non-200 answers before the kill: {failures:?}"
    );
    let acked = acked.lock().unwrap().clone();
    let cut_off = cut_off.lock().unwrap().clone();
    assert!(
        acked.len() >= 10,
        "only {} batches acknowledged",
        acked.len()
    );
    assert_eq!(cut_off.len(), 4, "every client stops at its first failure");

    let server = Server::start(&db);
    let client = Client::new(&server, &key);
    for trace in &acked {
        assert_exactly_once(&client, trace);
    }
    let mut landed = 0;
    for trace in &cut_off {
        let counts = stored_spans(&client, trace);
        assert!(
            counts.is_empty() || counts.len() == EVENTS_PER_BATCH,
            "batch {trace} half stored: {} of {EVENTS_PER_BATCH} spans",
            counts.len()
        );
        landed += usize::from(!counts.is_empty());
        // The SDK retries what was not acknowledged.
        let (status, answer) = client.call(
            "POST",
            "/v1/events/ingest",
            Some(batch(trace, EVENTS_PER_BATCH)),
        );
        assert_eq!(status, 200, "{answer}");
        assert_exactly_once(&client, trace);
    }
    // Nothing else is there: exactly the acknowledged and the re-sent batches.
    let mut traces = 0;
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/traces?limit=500&cursor={c}"),
            None => "/v1/traces?limit=500".to_string(),
        };
        let (status, page) = client.call("GET", &path, None);
        assert_eq!(status, 200, "{page}");
        traces += page["traces"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(traces, acked.len() + cut_off.len());
    eprintln!(
        "kill_mid_stream: {} batches acknowledged before SIGKILL, {} cut off ({landed} of them had committed)",
        acked.len(),
        cut_off.len()
    );
}

/// SIGTERM while a request's body is still arriving: that request completes with 200,
/// new connections are refused meanwhile, and the process exits 0.
fn sigterm_drains(db: String) {
    let key = create_project(&db, "graceful");
    let mut server = Server::start(&db);
    let body = batch("slow-trace", 2_000).to_string();
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let head = format!(
        "POST /v1/events/ingest HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        server.addr,
        body.len()
    );
    let half = body.len() / 2;
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body.as_bytes()[..half]).unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));

    server.sigterm();
    // The listener closes at once, while the slow request is still open.
    let started = Instant::now();
    loop {
        match TcpStream::connect(&server.addr) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break,
            // A connection caught in the backlog as the listener closes is reset;
            // the next attempt is refused.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Err(e) => panic!("unexpected connect error: {e}"),
            Ok(_) if started.elapsed() > Duration::from_secs(10) => {
                panic!("still accepting connections 10 s after SIGTERM")
            }
            Ok(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "exited before the in-flight request finished"
    );
    stream.write_all(&body.as_bytes()[half..]).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let json_start = answer.find("\r\n\r\n").unwrap() + 4;
    let answer: Value = serde_json::from_str(answer[json_start..].trim()).unwrap();
    assert_eq!(answer["accepted"], 2_000, "{answer}");

    let status = server.wait_exit(Duration::from_secs(30));
    assert_eq!(
        status.code(),
        Some(0),
        "exit status {status:?}:\n{}",
        server.log()
    );

    let server = Server::start(&db);
    let (status, trace) =
        Client::new(&server, &key).call("GET", "/v1/traces/slow-trace?limit=5000", None);
    assert_eq!(status, 200);
    assert_eq!(trace["events"].as_array().unwrap().len(), 2_000);
}

/// Two processes on one PostgreSQL database: keys, policy versions, approvals,
/// datasets and events written through one are what the other serves, with no
/// per-process cache in between, and concurrent writers through both stay consistent.
fn two_servers_one_database(db: String) {
    let key = create_project(&db, "shared");
    let a = Server::start(&db);
    let b = Server::start(&db);
    let (ca, cb) = (Client::new(&a, &key), Client::new(&b, &key));

    // A key created while both run works on both; revoked, it works on neither.
    let second = last_line(&cli(
        &db,
        &["key", "create", "--project", "shared", "--scope", "read"],
    ));
    for server in [&a, &b] {
        let (status, _) = Client::new(server, &second).call("GET", "/v1/traces", None);
        assert_eq!(status, 200);
    }
    let listed = cli(&db, &["key", "list", "--project", "shared"]);
    let prefix: String = second.chars().take(10).collect();
    let key_id = listed
        .lines()
        .find(|l| l.contains(&prefix))
        .and_then(|l| l.split_whitespace().find(|w| w.starts_with("key_")))
        .unwrap_or_else(|| panic!("no id for {prefix} in {listed}"))
        .to_string();
    cli(&db, &["key", "revoke", "--project", "shared", &key_id]);
    for server in [&a, &b] {
        let (status, _) = Client::new(server, &second).call("GET", "/v1/traces", None);
        assert_eq!(status, 401, "a revoked key still works on {}", server.addr);
    }

    // A policy change through A is what B evaluates with.
    let (status, set) = ca.call(
        "PUT",
        "/v1/policies",
        Some(json!({"rules": [{"match": "payments.*", "action": "block"}]})),
    );
    assert_eq!(status, 200, "{set}");
    let (_, active) = cb.call("GET", "/v1/policies", None);
    assert_eq!(active["version"], set["version"]);
    let (_, decision) = cb.call(
        "POST",
        "/v1/policy/evaluate",
        Some(json!({"tool": "payments.refund"})),
    );
    assert_eq!(decision["verdict"], "blocked", "{decision}");

    // Concurrent edits through both: every one saved, as consecutive versions.
    let writers: Vec<_> = (0..8)
        .map(|i| {
            let client = if i % 2 == 0 { ca.clone() } else { cb.clone() };
            std::thread::spawn(move || {
                client.call(
                    "POST",
                    "/v1/policies/rules",
                    Some(
                        json!({"rule": {"pattern": format!("tool{i}.*"), "action": "audit_only"}}),
                    ),
                )
            })
        })
        .collect();
    for w in writers {
        let (status, body) = w.join().unwrap();
        assert_eq!(status, 200, "{body}");
    }
    let (_, versions) = ca.call("GET", "/v1/policies/versions", None);
    let numbers: Vec<i64> = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, (1..=9).rev().collect::<Vec<_>>());
    let (_, active) = cb.call("GET", "/v1/policies", None);
    assert_eq!(active["rules"].as_array().unwrap().len(), 9, "{active}");

    // An approval decided through B is decided for A; racing deciders: one wins.
    let (status, approval) = ca.call("POST", "/v1/approvals", Some(json!({"action": "wire"})));
    assert_eq!(status, 201);
    let id = approval["id"].as_str().unwrap().to_string();
    let (status, _) = cb.call(
        "POST",
        &format!("/v1/approvals/{id}/decision"),
        Some(json!({"decision": "approved"})),
    );
    assert_eq!(status, 200);
    let (_, polled) = ca.call("GET", &format!("/v1/approvals/{id}"), None);
    assert_eq!(polled["status"], "approved");
    let (status, _) = ca.call(
        "POST",
        &format!("/v1/approvals/{id}/decision"),
        Some(json!({"decision": "rejected"})),
    );
    assert_eq!(status, 409);
    let (_, race) = ca.call("POST", "/v1/approvals", Some(json!({"action": "race"})));
    let race = race["id"].as_str().unwrap().to_string();
    let deciders: Vec<_> = [(ca.clone(), "approved"), (cb.clone(), "rejected")]
        .into_iter()
        .map(|(client, decision)| {
            let path = format!("/v1/approvals/{race}/decision");
            std::thread::spawn(move || {
                client
                    .call("POST", &path, Some(json!({"decision": decision})))
                    .0
            })
        })
        .collect();
    let mut statuses: Vec<u16> = deciders.into_iter().map(|d| d.join().unwrap()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);

    // Events in through A, a dataset through B, a simulation through A over it.
    let (status, _) = ca.call("POST", "/v1/events/ingest", Some(batch("shared-trace", 10)));
    assert_eq!(status, 200);
    let (status, ds) = cb.call("POST", "/v1/datasets", Some(json!({"name": "both"})));
    assert_eq!(status, 201);
    let ds = ds["id"].as_str().unwrap().to_string();
    let (_, added) = cb.call(
        "POST",
        &format!("/v1/datasets/{ds}/items"),
        Some(json!({"trace_ids": ["shared-trace"]})),
    );
    assert_eq!(added["added"], json!(["shared-trace"]));
    let (status, sim) = ca.call(
        "POST",
        "/v1/policy/simulate/batch",
        Some(json!({"draft": {"kind": "block", "pattern": "tool.*"}, "dataset_id": ds})),
    );
    assert_eq!(status, 200, "{sim}");
    assert_eq!(sim["events_scanned"], 10);
    let (status, _) = cb.call(
        "GET",
        &format!(
            "/v1/policy/simulations/{}",
            sim["simulation_id"].as_str().unwrap()
        ),
        None,
    );
    assert_eq!(status, 200);
}

fn sqlite_url() -> String {
    store::testing::fresh_sqlite_url()
}

/// A fresh database for a NOSUPERUSER NOBYPASSRLS role (the server refuses others),
/// and the runtime that made it.
fn postgres_url() -> (tokio::runtime::Runtime, String) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let url = runtime.block_on(store::testing::fresh_postgres_url());
    (runtime, url)
}

mod sqlite {
    #[test]
    fn kill_mid_stream() {
        super::kill_mid_stream(super::sqlite_url());
    }

    #[test]
    fn sigterm_drains() {
        super::sigterm_drains(super::sqlite_url());
    }
}

mod postgres {
    #[test]
    fn kill_mid_stream() {
        let (_rt, url) = super::postgres_url();
        super::kill_mid_stream(url);
    }

    #[test]
    fn sigterm_drains() {
        let (_rt, url) = super::postgres_url();
        super::sigterm_drains(url);
    }

    #[test]
    fn two_servers_one_database() {
        let (_rt, url) = super::postgres_url();
        super::two_servers_one_database(url);
    }
}
