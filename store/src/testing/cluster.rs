//! A throwaway PostgreSQL cluster for machines where none is running: `initdb` into a
//! temporary directory, `postgres` on a free loopback port, trust authentication.
//!
//! The server is tied to the test process: it is started from a thread that lives as
//! long as the process, with `PR_SET_PDEATHSIG`, so when the process ends (however it
//! ends) the kernel sends the postmaster SIGINT, a fast shutdown. The data directory
//! is removed by the next run (directories whose process is gone).

use std::fs;
use std::io;
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// Starts a cluster and returns its superuser URL.
pub fn start() -> Result<String, String> {
    let bin = find_bin_dir().ok_or(
        "no initdb found (looked in /usr/lib/postgresql/*/bin and PATH; \
         set PREFLIGHT_PG_BIN to the directory holding initdb and postgres)",
    )?;
    let tmp = std::env::temp_dir();
    remove_stale_dirs(&tmp, "preflight-pg-");
    let base = tmp.join(format!("preflight-pg-{}", std::process::id()));
    let _ = fs::remove_dir_all(&base);
    fs::create_dir_all(&base).map_err(|e| format!("create {}: {e}", base.display()))?;
    // PostgreSQL refuses to run as root: as root, run it as `postgres` (or `nobody`).
    let ids = if is_root() {
        let ids = system_user("postgres")
            .or_else(|| system_user("nobody"))
            .ok_or("running as root and no postgres or nobody user to run PostgreSQL as")?;
        std::os::unix::fs::chown(&base, Some(ids.0), Some(ids.1))
            .map_err(|e| format!("chown {}: {e}", base.display()))?;
        Some(ids)
    } else {
        None
    };

    let data = base.join("data");
    let mut initdb = Command::new(bin.join("initdb"));
    initdb
        .arg("-D")
        .arg(&data)
        .args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ])
        .stdout(log(&base, "initdb.log")?)
        .stderr(log(&base, "initdb.log")?);
    as_user(&mut initdb, ids);
    let status = initdb.status().map_err(|e| format!("run initdb: {e}"))?;
    if !status.success() {
        return Err(format!("initdb failed: {}", tail(&base.join("initdb.log"))));
    }

    let port = free_port().map_err(|e| format!("find a free port: {e}"))?;
    let mut postgres = Command::new(bin.join("postgres"));
    postgres
        .arg("-D")
        .arg(&data)
        .args(["-p", &port.to_string(), "-k"])
        .arg(&base)
        .args([
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "max_connections=300",
            // Throwaway data: durability only costs time.
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ])
        .stdout(log(&base, "postgres.log")?)
        .stderr(log(&base, "postgres.log")?);
    as_user(&mut postgres, ids);
    // SAFETY: prctl is async-signal-safe and touches only the child's own state.
    unsafe {
        postgres.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT as libc::c_ulong) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    spawn_keeper(postgres)?;

    let deadline = Instant::now() + READY_TIMEOUT;
    let addr = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
    while TcpStream::connect_timeout(&addr.into(), Duration::from_millis(200)).is_err() {
        if Instant::now() > deadline {
            return Err(format!(
                "postgres did not start: {}",
                tail(&base.join("postgres.log"))
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres"))
}

/// Spawns the server from a thread that then waits on it for the rest of the
/// process's life: PR_SET_PDEATHSIG fires when the spawning *thread* exits.
fn spawn_keeper(mut command: Command) -> Result<(), String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("preflight-test-postgres".to_string())
        .spawn(move || match command.spawn() {
            Ok(mut child) => {
                let _ = tx.send(Ok(()));
                let _ = child.wait();
            }
            Err(e) => {
                let _ = tx.send(Err(format!("start postgres: {e}")));
            }
        })
        .map_err(|e| format!("spawn keeper thread: {e}"))?;
    rx.recv().map_err(|e| e.to_string())?
}

fn as_user(command: &mut Command, ids: Option<(u32, u32)>) {
    if let Some((uid, gid)) = ids {
        command.uid(uid).gid(gid);
    }
}

fn log(base: &Path, name: &str) -> Result<Stdio, String> {
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(base.join(name))
        .map(Stdio::from)
        .map_err(|e| format!("open {name}: {e}"))
}

fn tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join(" | ")
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// (uid, gid) of a local user, from /etc/passwd.
fn system_user(name: &str) -> Option<(u32, u32)> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.first() == Some(&name) && fields.len() > 3 {
            Some((fields[2].parse().ok()?, fields[3].parse().ok()?))
        } else {
            None
        }
    })
}

/// The newest `initdb`: `$PREFLIGHT_PG_BIN`, Debian's versioned directories, or PATH.
fn find_bin_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("PREFLIGHT_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut debian: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    debian.sort();
    if let Some((_, bin)) = debian.pop() {
        return Some(bin);
    }
    std::env::split_paths(&std::env::var_os("PATH")?).find(|dir| dir.join("initdb").exists())
}

/// Removes `<dir>/<prefix><pid>` directories whose process no longer exists.
pub(crate) fn remove_stale_dirs(dir: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(prefix)) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}
