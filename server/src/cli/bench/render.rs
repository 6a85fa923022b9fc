//! `preflight bench render`: server-side render time of dashboard pages (the traces
//! list, home for each range, threads, audit, datasets, policies, the RunTree of one
//! large trace, a long thread) over a loaded database.
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Instant;

use super::load::{self, Traces};
use super::server::{DbChoice, Server};
use super::stats::Spread;

#[derive(clap::Args, Debug)]
pub struct RenderArgs {
    /// Background events in the database (traces of 50 spans).
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    /// Spans of the large trace (its RunTree is rendered).
    #[arg(long, default_value_t = 5_000)]
    spans: usize,
    /// Turns (traces of 5 spans) of the long thread.
    #[arg(long, default_value_t = 200)]
    turns: usize,
    /// Timed requests per page.
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Concurrent clients while loading.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    #[command(flatten)]
    db: DbChoice,
}

const EMAIL: &str = "bench@preflight.invalid";
const PASSWORD: &str = "bench-password-0123456789";

/// GET with an optional cookie: (status, location, body length).
fn get(server: &Server, path: &str, cookie: &str) -> Result<(u16, String, usize), String> {
    let mut request = server.agent.get(format!("{}{path}", server.base));
    if !cookie.is_empty() {
        request = request.header("cookie", cookie);
    }
    let mut response = request.call().map_err(|e| format!("GET {path}: {e}"))?;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = response
        .body_mut()
        .with_config()
        .limit(256 * 1024 * 1024)
        .read_to_vec()
        .map_err(|e| format!("GET {path}: {e}"))?;
    Ok((status, location, body.len()))
}

/// When the dashboard asks for a sign-in: creates an admin account with this binary's
/// `user create` and signs in; returns the session cookie.
fn sign_in(server: &Server) -> Result<String, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .args([
            "user",
            "create",
            "--email",
            EMAIL,
            "--role",
            "admin",
            "--password-stdin",
        ])
        .env("DATABASE_URL", &server.database_url)
        .env("PREFLIGHT_ALLOW_RLS_BYPASS", "true")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run user create: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = writeln!(stdin, "{PASSWORD}");
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!(
            "user create failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let response = server
        .agent
        .post(format!("{}/signin", server.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", &server.base)
        .send(format!(
            "email={}&password={PASSWORD}",
            EMAIL.replace('@', "%40")
        ))
        .map_err(|e| format!("POST /signin: {e}"))?;
    let cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::to_string)
        .collect();
    if cookies.is_empty() {
        return Err(format!("POST /signin: {} and no cookie", response.status()));
    }
    Ok(cookies.join("; "))
}

pub fn run(args: &RenderArgs) -> Result<(), String> {
    let server = Server::start(&args.db)?;
    let background = Traces {
        prefix: "bg-".to_string(),
        traces: args.events.div_ceil(50),
        per_trace: 50,
        turns_per_session: 10,
        tree: false,
    };
    let big = Traces {
        prefix: "big-".to_string(),
        traces: 1,
        per_trace: args.spans.max(1),
        turns_per_session: 1,
        tree: true,
    };
    let thread = Traces {
        prefix: "thread-".to_string(),
        traces: args.turns.max(1),
        per_trace: 5,
        turns_per_session: args.turns.max(1),
        tree: false,
    };
    let loaded = Instant::now();
    if background.traces > 0 {
        load::ingest(&server, &background, args.clients, 500)?;
    }
    load::ingest(&server, &big, 1, 500)?;
    load::ingest(&server, &thread, args.clients, 500)?;
    println!(
        "render: loaded {} background events, a trace of {} spans, a thread of {} turns in {:.1} s",
        background.events(),
        big.events(),
        thread.traces,
        loaded.elapsed().as_secs_f64()
    );
    server.settle()?;
    let project = &server.project_id;
    let pages = [
        (
            "traces list",
            format!("/dashboard/traces?project={project}"),
        ),
        // The home page's counts and charts come from the hourly rollups.
        (
            "home 24h",
            format!("/dashboard?project={project}&range=24h"),
        ),
        ("home 7d", format!("/dashboard?project={project}&range=7d")),
        (
            "home 30d",
            format!("/dashboard?project={project}&range=30d"),
        ),
        ("threads", format!("/dashboard/threads?project={project}")),
        ("audit", format!("/dashboard/audit?project={project}")),
        (
            "audit blocked",
            format!("/dashboard/audit?project={project}&filter=blocked"),
        ),
        ("datasets", format!("/dashboard/datasets?project={project}")),
        ("policies", format!("/dashboard/policies?project={project}")),
        (
            "run tree",
            format!("/dashboard/traces/{}?project={project}", big.trace_id(0)),
        ),
        (
            "thread",
            format!("/dashboard/threads/thread-s0?project={project}"),
        ),
        // Not a target: the whole tree, when asked for (the page opens on 1,000 spans).
        (
            "run tree, all",
            format!(
                "/dashboard/traces/{}?project={project}&spans=all",
                big.trace_id(0)
            ),
        ),
    ];
    let mut cookie = String::new();
    let (status, location, _) = get(&server, &pages[0].1, "")?;
    if (300..400).contains(&status) && location.contains("signin") {
        cookie = sign_in(&server)?;
        println!("  (signed in as {EMAIL})");
    }
    for (name, path) in &pages {
        let mut times = Vec::new();
        let mut bytes = 0;
        get(&server, path, &cookie)?; // warm-up
        for _ in 0..args.runs.max(1) {
            let start = Instant::now();
            let (status, _, len) = get(&server, path, &cookie)?;
            times.push(start.elapsed().as_secs_f64());
            if status != 200 {
                return Err(format!("GET {path}: status {status}"));
            }
            bytes = len;
        }
        println!(
            "  {name:<15} {}  ({:.0} KB of HTML)",
            Spread::of(&times).ms(),
            bytes as f64 / 1e3
        );
    }
    Ok(())
}
