//! A Preflight server for the HTTP benchmarks: this binary's own `serve`, spawned on a
//! free loopback port over a fresh database, with a project and its API key.
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where the benchmark's data lives.
#[derive(clap::Args, Debug, Clone)]
pub struct DbChoice {
    /// `sqlite://FILE` or `postgres://USER@HOST/DB`. Unset: a SQLite file in a temporary
    /// directory, deleted afterwards. A PostgreSQL database whose name contains `bench` is
    /// dropped and created afresh (with `psql`); any other must be empty already.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Keep the temporary SQLite database (its path is printed).
    #[arg(long, default_value_t = false)]
    pub keep: bool,
}

pub struct Server {
    child: Option<Child>,
    pub base: String,
    pub key: String,
    pub project_id: String,
    pub database_url: String,
    temp_dir: Option<PathBuf>,
    keep: bool,
    pub agent: ureq::Agent,
}

fn exe() -> Result<PathBuf, String> {
    std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))
}

fn free_port() -> Result<u16, String> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

/// Runs `psql` on the `postgres` maintenance database of `url`'s server.
fn psql(url: &str, database: &str, sql: &str) -> Result<String, String> {
    let (server, _) = url
        .rsplit_once('/')
        .ok_or_else(|| format!("{url}: expected postgres://USER@HOST/DB"))?;
    let output = Command::new("psql")
        .args(["-v", "ON_ERROR_STOP=1", "-tAq", "-d"])
        .arg(format!("{server}/{database}"))
        .args(["-c", sql])
        .output()
        .map_err(|e| format!("cannot run psql: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "psql: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

fn postgres_db_name(url: &str) -> Option<&str> {
    url.rsplit_once('/')
        .map(|(_, db)| db.split('?').next().unwrap_or(db))
}

impl Server {
    pub fn start(db: &DbChoice) -> Result<Server, String> {
        let (database_url, temp_dir) = match &db.database_url {
            Some(url) => {
                if url.starts_with("postgres") {
                    let name = postgres_db_name(url).unwrap_or_default();
                    if name.contains("bench")
                        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    {
                        psql(url, "postgres", &format!("DROP DATABASE IF EXISTS {name}"))?;
                        psql(url, "postgres", &format!("CREATE DATABASE {name}"))?;
                    }
                }
                (url.clone(), None)
            }
            None => {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.subsec_nanos());
                let dir = std::env::temp_dir()
                    .join(format!("preflight-bench-{}-{nanos}", std::process::id()));
                std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                let url = format!("sqlite://{}", dir.join("bench.db").display());
                (url, Some(dir))
            }
        };
        println!("database: {database_url}");
        // The project first: it also runs the migrations, before the server opens the file.
        let created = Command::new(exe()?)
            .args(["project", "create", "bench"])
            .env("DATABASE_URL", &database_url)
            .env("PREFLIGHT_ALLOW_RLS_BYPASS", "true")
            .output()
            .map_err(|e| format!("cannot run project create: {e}"))?;
        let text = String::from_utf8_lossy(&created.stdout).to_string();
        if !created.status.success() {
            return Err(format!(
                "project create failed: {}{text}",
                String::from_utf8_lossy(&created.stderr)
            ));
        }
        let project_id = text
            .lines()
            .find_map(|l| l.rsplit_once('(').map(|(_, r)| r.trim_end_matches(").")))
            .unwrap_or_default()
            .to_string();
        // `project create` prints an agent key; the bench also pins and simulates.
        let created = Command::new(exe()?)
            .args(["key", "create", "--project", "bench", "--scope", "admin"])
            .env("DATABASE_URL", &database_url)
            .env("PREFLIGHT_ALLOW_RLS_BYPASS", "true")
            .output()
            .map_err(|e| format!("cannot run key create: {e}"))?;
        let text = String::from_utf8_lossy(&created.stdout).to_string();
        if !created.status.success() {
            return Err(format!(
                "key create failed: {}{text}",
                String::from_utf8_lossy(&created.stderr)
            ));
        }
        let key = text
            .lines()
            .last()
            .map(str::trim)
            .filter(|k| k.starts_with("jj_"))
            .ok_or_else(|| format!("key create printed no key: {text}"))?
            .to_string();
        let port = free_port()?;
        let log = match &temp_dir {
            Some(dir) => std::fs::File::create(dir.join("server.log"))
                .map(Stdio::from)
                .unwrap_or_else(|_| Stdio::null()),
            None => Stdio::null(),
        };
        let child = Command::new(exe()?)
            .args(["serve", "--no-demo", "--addr"])
            .arg(format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", &database_url)
            .env("PREFLIGHT_ALLOW_RLS_BYPASS", "true")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start the server: {e}"))?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(600)))
            .build()
            .into();
        let server = Server {
            child: Some(child),
            base: format!("http://127.0.0.1:{port}"),
            key,
            project_id,
            database_url,
            temp_dir,
            keep: db.keep,
            agent,
        };
        server.wait_ready()?;
        Ok(server)
    }

    fn wait_ready(&self) -> Result<(), String> {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(120) {
            if let Ok(r) = self.agent.get(format!("{}/healthz", self.base)).call() {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err("the server did not answer /healthz within 120 s".to_string())
    }

    /// POSTs JSON with the API key; the answer as JSON, or an error for a non-2xx.
    pub fn post(&self, path: &str, body: &str) -> Result<serde_json::Value, String> {
        let mut response = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {}", self.key))
            .header("content-type", "application/json")
            .send(body)
            .map_err(|e| format!("POST {path}: {e}"))?;
        let status = response.status();
        let text = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| format!("POST {path}: {e}"))?;
        if !status.is_success() {
            return Err(format!(
                "POST {path}: {status}: {}",
                text.chars().take(300).collect::<String>()
            ));
        }
        serde_json::from_str(&text).map_err(|e| format!("POST {path}: not JSON: {e}"))
    }

    /// Bytes on disk: the SQLite file (with its WAL), or `pg_database_size`.
    pub fn database_bytes(&self) -> Option<u64> {
        if let Some(path) = self.database_url.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or(path);
            // Fold the write-ahead log into the file first (when the sqlite3 shell exists).
            let _ = Command::new("sqlite3")
                .arg(path)
                .arg("PRAGMA wal_checkpoint(TRUNCATE);")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let size = |p: String| std::fs::metadata(p).map_or(0, |m| m.len());
            return Some(size(path.to_string()) + size(format!("{path}-wal")));
        }
        let name = postgres_db_name(&self.database_url)?;
        psql(
            &self.database_url,
            name,
            "SELECT pg_database_size(current_database())",
        )
        .ok()?
        .parse()
        .ok()
    }

    /// After a bulk load, what autovacuum would do in its own time on PostgreSQL:
    /// statistics for the planner, and the visibility map that lets the replay read its
    /// covering indexes alone. Prints what it did; nothing to do on SQLite.
    pub fn settle(&self) -> Result<(), String> {
        let Some(name) = postgres_db_name(&self.database_url)
            .filter(|_| self.database_url.starts_with("postgres"))
        else {
            return Ok(());
        };
        let started = Instant::now();
        psql(&self.database_url, name, "VACUUM ANALYZE")?;
        println!(
            "  (VACUUM ANALYZE after loading, as autovacuum would: {:.1} s)",
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }

    /// Opens the store directly (for counting what the server stored).
    pub async fn open_store(&self) -> Result<std::sync::Arc<dyn store::Store>, String> {
        store::open(
            &self.database_url,
            store::StoreOptions {
                allow_rls_bypass: true,
            },
        )
        .await
        .map_err(|e| format!("cannot open the database: {e}"))
    }

    /// CPU seconds the server process has used so far (user + system, from
    /// `/proc/PID/stat`); PostgreSQL's own processes are not included.
    pub fn cpu_seconds(&self) -> Option<f64> {
        let pid = self.child.as_ref()?.id();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Fields after the command name (which may hold spaces) start at `state`.
        let rest = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: f64 =
            fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
        Some(ticks / 100.0)
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
        if let Some(dir) = &self.temp_dir {
            if self.keep {
                println!("kept: {}", dir.display());
            } else {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }
}
