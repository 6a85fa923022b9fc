//! `preflight user ...`: dashboard accounts, and the first-run admin of `serve`.
use std::io::Read;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use store::{Role, Store};

use super::DbArgs;
use crate::auth::password;

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a dashboard account and print its password (generated unless
    /// --password-stdin is given).
    Create {
        #[arg(long)]
        email: String,
        /// admin: changes anything, sees every project; viewer: reads its projects.
        #[arg(long, value_parser = ["admin", "viewer"], default_value = "viewer")]
        role: String,
        /// A project the account may see (name or id); repeat for several.
        #[arg(long = "project")]
        projects: Vec<String>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List dashboard accounts.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
}

pub async fn run(cmd: UserCommand) -> Result<(), String> {
    match cmd {
        UserCommand::Create {
            email,
            role,
            projects,
            password_stdin,
            db,
        } => {
            let store = db.open().await?;
            let role = Role::parse(&role).ok_or("role must be admin or viewer")?;
            let (password, generated) = if password_stdin {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .map_err(|e| format!("cannot read the password: {e}"))?;
                (text.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                (password::generate(), true)
            };
            password::check_new(&password)?;
            let mut members = Vec::new();
            for name in &projects {
                members.push(super::admin_cmd::find_project(store.as_ref(), name).await?);
            }
            let user = create(store.as_ref(), &email, &password, role).await?;
            for project in &members {
                store
                    .add_member(&user.id, &project.id)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            println!("Created {} {} ({}).", role.as_str(), user.email, user.id);
            if generated {
                println!("Password (shown once; only its argon2id hash is stored):");
                println!("{password}");
            }
            Ok(())
        }
        UserCommand::List { db } => {
            let store = db.open().await?;
            for user in store.list_users().await.map_err(|e| e.to_string())? {
                let projects = if user.role == Role::Admin {
                    "all projects".to_string()
                } else {
                    user.projects.join(",")
                };
                println!(
                    "{}\t{}\t{}\t{projects}",
                    user.id,
                    user.email,
                    user.role.as_str()
                );
            }
            Ok(())
        }
    }
}

async fn create(
    store: &dyn Store,
    email: &str,
    password: &str,
    role: Role,
) -> Result<store::User, String> {
    let hash = password::hash_in_turn(password.to_string()).await?;
    store
        .create_user(email, &hash, role)
        .await
        .map_err(|e| match e {
            store::StoreError::Conflict(_) => format!("a user with the email {email:?} exists"),
            other => other.to_string(),
        })
}

/// The admin `serve` creates on a database without accounts.
#[derive(Debug, Clone)]
pub struct FirstAdmin {
    pub email: String,
    /// Where to write the generated password (a new file, mode 0600) instead of
    /// printing it.
    pub password_file: Option<PathBuf>,
}

/// On a database without accounts, creates the first admin with a generated password
/// and hands the password over once: printed with the email, or written to
/// `password_file`. With accounts already there it does nothing.
pub async fn ensure_first_admin(store: &dyn Store, first: &FirstAdmin) -> Result<(), String> {
    if !store
        .list_users()
        .await
        .map_err(|e| e.to_string())?
        .is_empty()
    {
        return Ok(());
    }
    let password = password::generate();
    let Some(path) = &first.password_file else {
        let user = create(store, &first.email, &password, Role::Admin).await?;
        println!(
            "Dashboard sign-in (shown once): {} / {password}\n(add accounts with `preflight user create`)",
            user.email
        );
        return Ok(());
    };
    // The file first: if it cannot be made, no admin exists whose password is lost.
    let mut file = create_secret_file(path)?;
    let written = std::io::Write::write_all(&mut file, format!("{password}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", path.display()));
    let created = match written {
        Ok(()) => create(store, &first.email, &password, Role::Admin).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(user) => {
            println!(
                "Dashboard admin created: {} (its password is in {}, shown nowhere else)\n(add accounts with `preflight user create`)",
                user.email,
                path.display()
            );
            Ok(())
        }
        Err(e) => {
            // Nothing was created: the file would hold a password of no account.
            let _ = std::fs::remove_file(path);
            Err(e)
        }
    }
}

/// A new file only its owner can read or write (0600 from the start, not chmod-ed
/// after); an existing file is an error, never overwritten.
fn create_secret_file(path: &Path) -> Result<std::fs::File, String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => format!(
            "{} already exists: --admin-password-file never overwrites a file (remove it or choose another path)",
            path.display()
        ),
        _ => format!("cannot create {}: {e}", path.display()),
    })
}
