//! `preflight user ...`: dashboard accounts, and the first-run admin of `serve`.
use std::io::Read;

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
                (password::random_text(20), true)
            };
            if password.chars().count() < password::MIN_PASSWORD_CHARS {
                return Err(format!(
                    "the password must have at least {} characters",
                    password::MIN_PASSWORD_CHARS
                ));
            }
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
    let owned = password.to_string();
    let hash = tokio::task::spawn_blocking(move || password::hash(&owned))
        .await
        .map_err(|e| e.to_string())??;
    store
        .create_user(email, &hash, role)
        .await
        .map_err(|e| match e {
            store::StoreError::Conflict(_) => format!("a user with the email {email:?} exists"),
            other => other.to_string(),
        })
}

/// On a database without accounts, creates `admin@localhost` with a generated
/// password and prints both once, so a first start can be signed into.
pub async fn ensure_first_admin(store: &dyn Store) -> Result<(), String> {
    if !store
        .list_users()
        .await
        .map_err(|e| e.to_string())?
        .is_empty()
    {
        return Ok(());
    }
    let password = password::random_text(20);
    let user = create(store, "admin@localhost", &password, Role::Admin).await?;
    println!(
        "Dashboard sign-in (shown once): {} / {password}\n(add accounts with `preflight user create`)",
        user.email
    );
    Ok(())
}
