//! Command-line interface: `preflight serve` and the `preflight policy` tools.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod admin_cmd;
pub mod bench;
mod copy_cmd;
mod dataset_cmd;
pub mod demo;
mod policy_cmd;
pub mod progress;
mod rollups_cmd;
mod simulation_cmd;
mod user_cmd;

/// Who changes a project through the command line (direct database access, no account
/// or key), as dataset versions and the change log record it.
pub const CLI_AUTHOR: &str = "cli";

/// Where the data lives; shared by every command that opens the store.
#[derive(clap::Args, Debug, Clone)]
pub struct DbArgs {
    /// `sqlite://FILE` (the embedded default) or `postgres://...`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://preflight.db")]
    pub database_url: String,
    /// Allow a PostgreSQL role that bypasses row-level security (development only).
    #[arg(long, env = "PREFLIGHT_ALLOW_RLS_BYPASS", default_value_t = false)]
    pub allow_rls_bypass: bool,
}

impl DbArgs {
    pub async fn open(&self) -> Result<std::sync::Arc<dyn store::Store>, String> {
        store::open(
            &self.database_url,
            store::StoreOptions {
                allow_rls_bypass: self.allow_rls_bypass,
            },
        )
        .await
        .map_err(|err| format!("cannot open the database: {err}"))
    }
}

/// How much the API and OTLP ingest take on at once (`serve`).
#[derive(clap::Args, Debug, Clone)]
pub struct LimitArgs {
    /// Memory (MiB) all ingest requests together may hold: bodies as received and
    /// inflated, and the events decoded from them. Beyond it ingest answers 503 with
    /// Retry-After; one request needing more than all of it gets 413.
    #[arg(long, env = "PREFLIGHT_INGEST_MEMORY_MIB", default_value_t = crate::api::DEFAULT_INGEST_MEMORY_MIB, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(16..=1_048_576))]
    pub ingest_memory_mib: usize,
    /// `/v1` and OTLP requests served at once; more are answered 503 with Retry-After.
    #[arg(long, env = "PREFLIGHT_MAX_CONCURRENT_REQUESTS", default_value_t = crate::api::DEFAULT_MAX_CONCURRENT_REQUESTS, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    pub max_concurrent_requests: usize,
    /// Seconds a request's whole body may take to arrive (`/v1` and OTLP); a slower
    /// one is answered 408 and frees its place among the concurrent requests.
    #[arg(long, env = "PREFLIGHT_BODY_TIMEOUT_SECS", default_value_t = crate::api::DEFAULT_BODY_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_timeout_secs: u64,
}

impl LimitArgs {
    pub fn limits(&self) -> crate::api::Limits {
        crate::api::Limits {
            ingest_memory_bytes: self.ingest_memory_mib * 1024 * 1024,
            max_concurrent_requests: self.max_concurrent_requests,
            body_deadline: std::time::Duration::from_secs(self.body_timeout_secs),
            ..Default::default()
        }
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "preflight",
    version,
    about = "Self-hosted governance console for AI agents"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the REST API and the dashboard.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "PREFLIGHT_ADDR", default_value = "127.0.0.1:3000")]
        addr: SocketAddr,
        /// Directory holding the built dashboard assets (`pkg/`, favicon).
        #[arg(long, env = "PREFLIGHT_SITE_ROOT", default_value = "target/site")]
        site_root: String,
        /// Do not load the demo project into an empty database.
        #[arg(long, env = "PREFLIGHT_NO_DEMO", default_value_t = false)]
        no_demo: bool,
        /// Delete traces older than this many days (projects may set their own);
        /// traces pinned in a dataset are kept. Unset: keep everything.
        #[arg(long, env = "PREFLIGHT_RETENTION_DAYS", value_parser = clap::value_parser!(i64).range(1..))]
        retention_days: Option<i64>,
        /// Dashboard sessions expire this many hours after sign-in.
        #[arg(long, env = "PREFLIGHT_SESSION_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=720))]
        session_hours: u64,
        /// Mark the session cookie Secure (set this when serving over HTTPS; a proxy's
        /// `X-Forwarded-Proto: https` also marks it).
        #[arg(long, env = "PREFLIGHT_SECURE_COOKIES", default_value_t = false)]
        secure_cookies: bool,
        /// Behind a reverse proxy: take the client's address (the sign-in throttle
        /// counts failures per address) from the last `X-Forwarded-For` entry, the one
        /// the proxy added. Without a proxy anyone can write that header: leave it off.
        #[arg(long, env = "PREFLIGHT_TRUST_FORWARDED_FOR", default_value_t = false)]
        trust_forwarded_for: bool,
        /// On a database without accounts, the email of the admin created first.
        #[arg(long, env = "PREFLIGHT_ADMIN_EMAIL", default_value = "admin@localhost")]
        admin_email: String,
        /// Write the first admin's generated password to this new file (mode 0600; an
        /// existing file is never overwritten) instead of printing it.
        #[arg(long, env = "PREFLIGHT_ADMIN_PASSWORD_FILE")]
        admin_password_file: Option<PathBuf>,
        /// Make `/metrics` require `Authorization: Bearer <token>`. Prefer the
        /// environment variable or `--metrics-token-file`: a flag's value shows in `ps`.
        #[arg(
            long,
            env = "PREFLIGHT_METRICS_TOKEN",
            hide_env_values = true,
            conflicts_with = "metrics_token_file"
        )]
        metrics_token: Option<String>,
        /// Read the `/metrics` token from this file (surrounding whitespace ignored).
        #[arg(long, env = "PREFLIGHT_METRICS_TOKEN_FILE")]
        metrics_token_file: Option<PathBuf>,
        #[command(flatten)]
        limits: LimitArgs,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Load the demo project (agents, sessions, datasets) and print its API key.
    Demo {
        /// Where the dashboard will be served, for the printed link.
        #[arg(long, default_value = "http://127.0.0.1:3000")]
        url: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Manage projects (each has its own API keys and data).
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Manage a project's API keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Test, evaluate and simulate policies offline.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Export a dataset's events as JSON-lines fixtures, or import them.
    #[command(subcommand)]
    Dataset(dataset_cmd::DatasetCommand),
    /// Stored simulation runs: verify a receipt against its exported events.
    #[command(subcommand)]
    Simulation(simulation_cmd::SimulationCommand),
    /// Benchmarks (BENCHMARKS.md): evaluator, simulate, ingest, render.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Manage dashboard accounts.
    #[command(subcommand)]
    User(user_cmd::UserCommand),
    /// The hourly rollups the dashboard's counts read: check them against the events.
    #[command(subcommand)]
    Rollups(rollups_cmd::RollupsCommand),
    /// Take a consistent snapshot of the SQLite database into a new file, while the
    /// server goes on serving and writing (PostgreSQL: pg_dump, see the README).
    Backup {
        /// The snapshot's file (never overwritten).
        #[arg(long)]
        to: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Copy every project, account and key between SQLite and PostgreSQL (either way), in
    /// batches; run it again to finish an interrupted copy (rows already there are
    /// kept); then compare row counts and row digests per table. Stop writers first.
    Copy {
        /// The database to copy from (`sqlite://FILE` or `postgres://...`).
        #[arg(long)]
        from: String,
        /// The database to copy into (migrated first; `postgres://...` or `sqlite://FILE`).
        #[arg(long)]
        to: String,
    },
    /// Restore a snapshot made by `backup` into a new (or empty) SQLite database, then
    /// migrate it. Stop any server using that database first.
    Restore {
        /// The snapshot's file.
        #[arg(long)]
        from: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Run policy fixture files (JamJet conformance case format). Exit 1 on a failing case, 2 on an unreadable file.
    Test {
        /// Case files (YAML or JSON).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Precedence for policies that do not name one (the documented default is last_match;
        /// JamJet's conformance suite assumes first_match).
        #[arg(long, alias = "default-precedence", value_parser = ["last_match", "first_match"])]
        precedence: Option<String>,
        /// Strip `mcp__<server>__` from tool names before matching, as MCP adapters do;
        /// without it, cases marked `requires_mcp_prefix_strip` are skipped.
        #[arg(long)]
        mcp_prefix_strip: bool,
    },
    /// Evaluate a policy against events (JSON lines); prints one JSON verdict per line.
    Eval {
        #[arg(long)]
        policy: PathBuf,
        #[arg(long)]
        events: PathBuf,
    },
    /// Simulate a draft rule (or rule set) over recorded events (JSON lines) or a server's
    /// dataset; prints the summary. With --fail-on-change, exit 1 when a verdict would flip.
    Simulate(policy_cmd::SimulateArgs),
}

#[derive(Subcommand, Debug)]
pub enum ProjectCommand {
    /// Create a project and print its first API key (an `agent` key, shown once).
    Create {
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List projects.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
}

/// `--scope`: a key scope as the command line spells it.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeArg {
    /// For an agent's SDK: send events, read the policy rules, request approvals and
    /// poll its own.
    Agent,
    /// For an operator's script: read traces, threads, audit, datasets, replay
    /// bundles, policy versions and approvals; run simulations.
    Read,
    /// All of the project's /v1, including changing policies and datasets and
    /// deciding approvals.
    Admin,
}

impl From<ScopeArg> for store::KeyScope {
    fn from(arg: ScopeArg) -> Self {
        match arg {
            ScopeArg::Agent => store::KeyScope::Agent,
            ScopeArg::Read => store::KeyScope::Read,
            ScopeArg::Admin => store::KeyScope::Admin,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Create another API key for a project (shown once).
    Create {
        #[arg(long)]
        project: String,
        /// What the key may call (README, "Security": the table of scopes).
        #[arg(long, value_enum, default_value_t = ScopeArg::Agent)]
        scope: ScopeArg,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List a project's keys by prefix.
    List {
        #[arg(long)]
        project: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Revoke a key by its id (from `key list`).
    Revoke {
        #[arg(long)]
        project: String,
        key_id: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Serve {
            addr,
            site_root,
            no_demo,
            retention_days,
            session_hours,
            secure_cookies,
            trust_forwarded_for,
            admin_email,
            admin_password_file,
            metrics_token,
            metrics_token_file,
            limits,
            db,
        } => {
            let metrics_token = match metrics_token_from(metrics_token, metrics_token_file) {
                Ok(token) => token,
                Err(message) => {
                    eprintln!("error: {message}");
                    return ExitCode::FAILURE;
                }
            };
            let auth = crate::auth::AuthConfig {
                session_ttl: std::time::Duration::from_secs(session_hours * 3600),
                secure_cookies,
                trust_forwarded_for,
                ..crate::auth::AuthConfig::default()
            };
            let first_admin = user_cmd::FirstAdmin {
                email: admin_email,
                password_file: admin_password_file,
            };
            let site = crate::web::SiteConfig {
                site_root,
                addr,
                auth,
                limits: limits.limits(),
                metrics_token,
            };
            serve(site, no_demo, retention_days, first_admin, db)
        }
        Command::Demo { url, db } => block_on(async move {
            let store = db.open().await?;
            let summary = demo::load(store.as_ref(), store::now_micros()).await?;
            demo::announce(&summary, Some(url.trim_end_matches('/')));
            Ok(())
        }),
        Command::Policy(cmd) => policy_cmd::run(cmd),
        Command::Project(cmd) => block_on(admin_cmd::project(cmd)),
        Command::Key(cmd) => block_on(admin_cmd::key(cmd)),
        Command::Dataset(cmd) => block_on(dataset_cmd::run(cmd)),
        Command::Simulation(cmd) => simulation_cmd::run(cmd),
        Command::Bench(cmd) => bench::run(cmd),
        Command::User(cmd) => block_on(user_cmd::run(cmd)),
        Command::Rollups(cmd) => block_on(rollups_cmd::run(cmd)),
        Command::Backup { to, db } => block_on(async move {
            let started = std::time::Instant::now();
            let snapshot = store::backup_sqlite(&db.database_url, &to)
                .await
                .map_err(|e| format!("backup failed: {e}"))?;
            println!(
                "backed up {} projects, {} events ({} bytes) to {} in {:.1} s",
                snapshot.projects,
                snapshot.events,
                snapshot.bytes,
                snapshot.path.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }),
        Command::Copy { from, to } => block_on(copy_cmd::run(from, to)),
        Command::Restore { from, db } => block_on(async move {
            let restored = store::restore_sqlite(&from, &db.database_url)
                .await
                .map_err(|e| format!("restore failed: {e}"))?;
            println!(
                "restored {} projects, {} events into {}",
                restored.projects,
                restored.events,
                restored.path.display()
            );
            Ok(())
        }),
    }
}

/// Runs an async command to completion; errors print to stderr and exit 1.
fn block_on(task: impl std::future::Future<Output = Result<(), String>>) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(task) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The `/metrics` token from `--metrics-token` (or its variable) or from a file.
fn metrics_token_from(
    value: Option<String>,
    file: Option<PathBuf>,
) -> Result<Option<crate::ops::MetricsToken>, String> {
    let token = match (value, file) {
        (Some(value), _) => value,
        (None, Some(path)) => std::fs::read_to_string(&path)
            .map_err(|err| {
                format!(
                    "cannot read the metrics token file {}: {err}",
                    path.display()
                )
            })?
            .trim()
            .to_string(),
        (None, None) => return Ok(None),
    };
    crate::ops::MetricsToken::new(&token).map(Some)
}

fn serve(
    site: crate::web::SiteConfig,
    no_demo: bool,
    retention_days: Option<i64>,
    first_admin: user_cmd::FirstAdmin,
    db: DbArgs,
) -> ExitCode {
    let addr = site.addr;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    block_on(async move {
        let store = db.open().await?;
        if store
            .list_projects()
            .await
            .map(|p| p.is_empty())
            .unwrap_or(false)
        {
            if no_demo {
                tracing::info!(
                    "no projects yet: create one (and its API key) with `preflight project create NAME`"
                );
            } else {
                // A first run shows a living dashboard; `--no-demo` starts empty.
                let summary = demo::load(store.as_ref(), store::now_micros()).await?;
                let url = (addr.port() != 0).then(|| format!("http://{addr}"));
                demo::announce(&summary, url.as_deref());
            }
        }
        user_cmd::ensure_first_admin(store.as_ref(), &first_admin).await?;
        crate::retention::spawn(store.clone(), retention_days);
        crate::web::serve(site, store)
            .await
            .map_err(|err| format!("cannot serve on {addr}: {err}"))
    })
}
