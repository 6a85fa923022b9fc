//! The first admin `preflight serve` creates on a database without accounts: its email
//! (`--admin-email`) and where its generated password goes (printed once, or
//! `--admin-password-file`: a new file of mode 0600, never an existing one). The real
//! binary, as an operator runs it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::Command;

use support::{preflight, scratch, sqlite_url, stdout, Server};

/// Signs in over HTTP; the status (303 on success).
fn sign_in(server: &Server, email: &str, password: &str) -> u16 {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    agent
        .post(format!("{}/signin", server.url))
        .header("origin", &server.url)
        .send_form([("email", email), ("password", password)])
        .expect("sign in")
        .status()
        .as_u16()
}

#[test]
fn the_first_admin_gets_the_chosen_email_and_a_printed_password() {
    let dir = scratch("first-admin-printed");
    let db = sqlite_url(&dir);
    let server = Server::start_with(&db, &["--admin-email", "Boss@Example.com"]);
    // `dashboard_cookie` reads the printed line and signs in with it.
    server.dashboard_cookie();
    let log = server.log();
    let line = log
        .lines()
        .find(|l| l.contains("Dashboard sign-in (shown once): "))
        .unwrap();
    assert!(line.contains("boss@example.com / "), "{line}");
    assert!(!log.contains("admin@localhost"), "{log}");
    drop(server);
    let listed = stdout(&preflight(&db, &["user", "list"]));
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.contains("boss@example.com\tadmin"), "{listed}");
}

#[test]
fn the_password_file_is_new_private_and_the_only_copy() {
    let dir = scratch("first-admin-file");
    let db = sqlite_url(&dir);
    let file = dir.join("admin-password");
    let server = Server::start_with(
        &db,
        &[
            "--admin-email",
            "ops@example.com",
            "--admin-password-file",
            file.to_str().unwrap(),
        ],
    );
    // The server is listening, so the admin exists and the file is written.
    let written = std::fs::read_to_string(&file).unwrap();
    let password = written.trim_end_matches('\n');
    assert_eq!(written, format!("{password}\n"), "one line");
    assert!(password.len() >= 20, "{written:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let log = server.log();
    assert!(
        !log.contains(password),
        "the password is not printed: {log}"
    );
    assert!(log.contains("ops@example.com"), "{log}");
    assert!(
        log.contains(file.to_str().unwrap()),
        "says where it is: {log}"
    );
    assert_eq!(sign_in(&server, "ops@example.com", password), 303);
    assert_eq!(sign_in(&server, "ops@example.com", "not-the-password"), 401);

    // A second start finds the account and leaves the file alone.
    drop(server);
    let again = Server::start_with(&db, &["--admin-password-file", file.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), written);
    assert_eq!(sign_in(&again, "ops@example.com", password), 303);
}

#[test]
fn an_existing_password_file_is_never_overwritten() {
    let dir = scratch("first-admin-existing");
    let db = sqlite_url(&dir);
    let file = dir.join("taken");
    std::fs::write(&file, "someone else's secret\n").unwrap();
    let out = Command::new(support::bin())
        .args(["serve", "--addr", "127.0.0.1:0", "--no-demo"])
        .args(["--admin-password-file", file.to_str().unwrap()])
        .env("DATABASE_URL", &db)
        .output()
        .unwrap();
    assert!(!out.status.success(), "it must refuse to start");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already exists"), "{err}");
    assert!(err.contains("never overwrites"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "someone else's secret\n"
    );
    // No admin was made whose password nobody has.
    let listed = stdout(&preflight(&db, &["user", "list"]));
    assert_eq!(listed.trim(), "", "{listed}");
}
