//! Dashboard accounts, memberships and sessions: the console's directory (no RLS,
//! like `projects`). Passwords and session tokens arrive already hashed.

use super::Arg::{Int, OptInt, Text};
use super::{Access, Backend, RowGet, Scope, Tx};
use crate::ids::{self, USER};
use crate::time::now_micros;
use crate::{AccountChange, AccountChangeKind, PasswordChange, Role, StoreError, Timestamp, User};

const USER_COLS: &str = "id, email, role, created_at, disabled_at";

fn user_row(r: &impl RowGet, projects: Vec<String>) -> Result<User, StoreError> {
    let role = r.text("role")?;
    Ok(User {
        id: r.text("id")?,
        email: r.text("email")?,
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Database(format!("unknown role {role:?} stored")))?,
        created_at: Timestamp(r.int("created_at")?),
        projects,
        disabled_at: r.opt_int("disabled_at")?.map(Timestamp),
    })
}

/// Emails compare case-insensitively: stored trimmed and lowercased.
fn clean_email(email: &str) -> Result<String, StoreError> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(user, host)| !user.is_empty() && !host.is_empty())
        && !email.chars().any(char::is_whitespace);
    if valid {
        Ok(email)
    } else {
        Err(StoreError::Invalid(
            "email must look like name@host".to_string(),
        ))
    }
}

async fn projects_of<T: Tx>(tx: &mut T, user_id: &str) -> Result<Vec<String>, StoreError> {
    tx.fetch_all(
        "SELECT project_id FROM memberships WHERE user_id = $1 ORDER BY project_id",
        &[Text(user_id)],
    )
    .await?
    .iter()
    .map(|r| r.text("project_id"))
    .collect()
}

pub(super) async fn create_user<B: Backend>(
    b: &B,
    email: &str,
    password_hash: &str,
    role: Role,
) -> Result<User, StoreError> {
    let user = User {
        id: ids::new_id(USER),
        email: clean_email(email)?,
        role,
        created_at: Timestamp(now_micros()),
        projects: Vec::new(),
        disabled_at: None,
    };
    let mut tx = b.begin(Scope::Global, Access::Write).await?;
    tx.execute(
        "INSERT INTO users (id, email, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5)",
        &[
            Text(&user.id),
            Text(&user.email),
            Text(password_hash),
            Text(role.as_str()),
            Int(user.created_at.0),
        ],
    )
    .await
    .map_err(|e| e.conflict_as("a user with this email already exists"))?;
    tx.commit().await?;
    Ok(user)
}

pub(super) async fn list_users<B: Backend>(b: &B) -> Result<Vec<User>, StoreError> {
    let mut tx = b.begin(Scope::Global, Access::Read).await?;
    let rows = tx
        .fetch_all(
            &format!("SELECT {USER_COLS} FROM users ORDER BY created_at, id"),
            &[],
        )
        .await?;
    let mut users = rows
        .iter()
        .map(|row| user_row(row, Vec::new()))
        .collect::<Result<Vec<_>, _>>()?;
    drop(rows);
    for user in &mut users {
        user.projects = projects_of(&mut tx, &user.id).await?;
    }
    Ok(users)
}

pub(super) async fn credentials<B: Backend>(
    b: &B,
    email: &str,
) -> Result<Option<(User, String)>, StoreError> {
    let Ok(email) = clean_email(email) else {
        return Ok(None);
    };
    let mut tx = b.begin(Scope::Global, Access::Read).await?;
    let sql = format!("SELECT {USER_COLS}, password_hash FROM users WHERE email = $1");
    let Some(row) = tx.fetch_optional(&sql, &[Text(&email)]).await? else {
        return Ok(None);
    };
    let mut user = user_row(&row, Vec::new())?;
    let hash = row.text("password_hash")?;
    drop(row);
    user.projects = projects_of(&mut tx, &user.id).await?;
    Ok(Some((user, hash)))
}

pub(super) async fn add_member<B: Backend>(
    b: &B,
    user_id: &str,
    project_id: &str,
) -> Result<(), StoreError> {
    let mut tx = b.begin(Scope::Global, Access::Write).await?;
    let user = tx
        .fetch_optional("SELECT id FROM users WHERE id = $1", &[Text(user_id)])
        .await?;
    let project = tx
        .fetch_optional("SELECT id FROM projects WHERE id = $1", &[Text(project_id)])
        .await?;
    if user.is_none() || project.is_none() {
        return Err(StoreError::NotFound);
    }
    let exists = tx
        .fetch_optional(
            "SELECT user_id FROM memberships WHERE user_id = $1 AND project_id = $2",
            &[Text(user_id), Text(project_id)],
        )
        .await?;
    if exists.is_none() {
        tx.execute(
            "INSERT INTO memberships (user_id, project_id) VALUES ($1, $2)",
            &[Text(user_id), Text(project_id)],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(super) async fn create_session<B: Backend>(
    b: &B,
    token_hash: &str,
    user_id: &str,
    expires_at: i64,
) -> Result<(), StoreError> {
    let now = now_micros();
    let mut tx = b.begin(Scope::Global, Access::Write).await?;
    // Expired sessions are swept here, so the table never grows without bound.
    tx.execute("DELETE FROM sessions WHERE expires_at <= $1", &[Int(now)])
        .await?;
    tx.execute(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        &[Text(token_hash), Text(user_id), Int(now), Int(expires_at)],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn session_user<B: Backend>(
    b: &B,
    token_hash: &str,
    now: i64,
) -> Result<Option<User>, StoreError> {
    let mut tx = b.begin(Scope::Global, Access::Read).await?;
    // A disabled account's sessions are deleted when it is disabled; the condition
    // keeps them refused even so.
    let sql = "SELECT u.id, u.email, u.role, u.created_at, u.disabled_at FROM sessions s \
               JOIN users u ON u.id = s.user_id \
               WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL";
    let Some(row) = tx
        .fetch_optional(sql, &[Text(token_hash), Int(now)])
        .await?
    else {
        return Ok(None);
    };
    let mut user = user_row(&row, Vec::new())?;
    drop(row);
    user.projects = projects_of(&mut tx, &user.id).await?;
    Ok(Some(user))
}

pub(super) async fn delete_session<B: Backend>(b: &B, token_hash: &str) -> Result<(), StoreError> {
    let mut tx = b.begin(Scope::Global, Access::Write).await?;
    tx.execute(
        "DELETE FROM sessions WHERE token_hash = $1",
        &[Text(token_hash)],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The account `id` with its projects, inside `tx`; `NotFound` if there is none.
async fn user_in<T: Tx>(tx: &mut T, id: &str) -> Result<User, StoreError> {
    let sql = format!("SELECT {USER_COLS} FROM users WHERE id = $1");
    let Some(row) = tx.fetch_optional(&sql, &[Text(id)]).await? else {
        return Err(StoreError::NotFound);
    };
    let mut user = user_row(&row, Vec::new())?;
    drop(row);
    user.projects = projects_of(tx, &user.id).await?;
    Ok(user)
}

pub(super) async fn user<B: Backend>(b: &B, id: &str) -> Result<User, StoreError> {
    let mut tx = b.begin(Scope::Global, Access::Read).await?;
    user_in(&mut tx, id).await
}

/// Adds a line to the account log, in the transaction that made the change.
async fn record<T: Tx>(
    tx: &mut T,
    user_id: &str,
    kind: AccountChangeKind,
    by: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO account_changes (user_id, kind, changed_by, changed_at) \
         VALUES ($1, $2, $3, $4)",
        &[
            Text(user_id),
            Text(kind.as_str()),
            Text(by),
            Int(now_micros()),
        ],
    )
    .await?;
    Ok(())
}

/// Takes the account-change turn (see `Dialect::serialise_account_changes`).
async fn serialise<B: Backend>(tx: &mut B::Tx) -> Result<(), StoreError> {
    if let Some(sql) = B::DIALECT.serialise_account_changes() {
        tx.execute(sql, &[]).await?;
    }
    Ok(())
}

/// `Conflict` unless an enabled admin other than `user_id` exists.
async fn require_another_admin<T: Tx>(tx: &mut T, user_id: &str) -> Result<(), StoreError> {
    let row = tx
        .fetch_optional(
            "SELECT COUNT(*) AS n FROM users \
             WHERE role = 'admin' AND disabled_at IS NULL AND id <> $1",
            &[Text(user_id)],
        )
        .await?;
    let others = match row {
        Some(row) => row.int("n")?,
        None => 0,
    };
    if others > 0 {
        Ok(())
    } else {
        Err(StoreError::Conflict(
            "this is the only enabled admin: make another account admin first".to_string(),
        ))
    }
}

pub(super) async fn set_password<B: Backend>(
    b: &B,
    user_id: &str,
    password_hash: &str,
    change: &PasswordChange,
    by: &str,
) -> Result<(), StoreError> {
    let mut tx = b.begin(Scope::Global, Access::Write).await?;
    let updated = tx
        .execute(
            "UPDATE users SET password_hash = $1 WHERE id = $2",
            &[Text(password_hash), Text(user_id)],
        )
        .await?;
    if updated == 0 {
        return Err(StoreError::NotFound);
    }
    let kind = match change {
        PasswordChange::Own { keep_session } => {
            tx.execute(
                "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2",
                &[Text(user_id), Text(keep_session)],
            )
            .await?;
            AccountChangeKind::PasswordChanged
        }
        PasswordChange::Reset => {
            tx.execute("DELETE FROM sessions WHERE user_id = $1", &[Text(user_id)])
                .await?;
            AccountChangeKind::PasswordReset
        }
    };
    record(&mut tx, user_id, kind, by).await?;
    tx.commit().await
}

pub(super) async fn set_disabled<B: Backend>(
    b: &B,
    user_id: &str,
    disabled: bool,
    by: &str,
) -> Result<User, StoreError> {
    let mut tx = b.begin(Scope::Global, Access::Write).await?;
    serialise::<B>(&mut tx).await?;
    let mut user = user_in(&mut tx, user_id).await?;
    if user.is_disabled() == disabled {
        return Ok(user);
    }
    if disabled && user.role == Role::Admin {
        require_another_admin(&mut tx, user_id).await?;
    }
    let at = disabled.then(now_micros);
    tx.execute(
        "UPDATE users SET disabled_at = $1 WHERE id = $2",
        &[OptInt(at), Text(user_id)],
    )
    .await?;
    let kind = if disabled {
        tx.execute("DELETE FROM sessions WHERE user_id = $1", &[Text(user_id)])
            .await?;
        AccountChangeKind::Disabled
    } else {
        AccountChangeKind::Enabled
    };
    record(&mut tx, user_id, kind, by).await?;
    tx.commit().await?;
    user.disabled_at = at.map(Timestamp);
    Ok(user)
}

pub(super) async fn set_role<B: Backend>(
    b: &B,
    user_id: &str,
    role: Role,
    by: &str,
) -> Result<User, StoreError> {
    let mut tx = b.begin(Scope::Global, Access::Write).await?;
    serialise::<B>(&mut tx).await?;
    let mut user = user_in(&mut tx, user_id).await?;
    if user.role == role {
        return Ok(user);
    }
    if role != Role::Admin && !user.is_disabled() {
        require_another_admin(&mut tx, user_id).await?;
    }
    tx.execute(
        "UPDATE users SET role = $1 WHERE id = $2",
        &[Text(role.as_str()), Text(user_id)],
    )
    .await?;
    let kind = match role {
        Role::Admin => AccountChangeKind::MadeAdmin,
        Role::Viewer => AccountChangeKind::MadeViewer,
    };
    record(&mut tx, user_id, kind, by).await?;
    tx.commit().await?;
    user.role = role;
    Ok(user)
}

pub(super) async fn end_sessions<B: Backend>(
    b: &B,
    user_id: &str,
    by: &str,
) -> Result<u64, StoreError> {
    let mut tx = b.begin(Scope::Global, Access::Write).await?;
    let exists = tx
        .fetch_optional("SELECT id FROM users WHERE id = $1", &[Text(user_id)])
        .await?;
    if exists.is_none() {
        return Err(StoreError::NotFound);
    }
    let ended = tx
        .execute("DELETE FROM sessions WHERE user_id = $1", &[Text(user_id)])
        .await?;
    record(&mut tx, user_id, AccountChangeKind::SessionsEnded, by).await?;
    tx.commit().await?;
    Ok(ended)
}

pub(super) async fn account_changes<B: Backend>(
    b: &B,
    limit: u32,
) -> Result<Vec<AccountChange>, StoreError> {
    let mut tx = b.begin(Scope::Global, Access::Read).await?;
    let limit = i64::try_from(super::page_limit(limit)).unwrap_or(1000);
    let rows = tx
        .fetch_all(
            "SELECT c.user_id, u.email, c.kind, c.changed_by, c.changed_at \
             FROM account_changes c JOIN users u ON u.id = c.user_id \
             ORDER BY c.changed_at DESC, c.id DESC LIMIT $1",
            &[Int(limit)],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let kind = r.text("kind")?;
            Ok(AccountChange {
                user_id: r.text("user_id")?,
                email: r.text("email")?,
                kind: AccountChangeKind::parse(&kind).ok_or_else(|| {
                    StoreError::Database(format!("unknown account change {kind:?} stored"))
                })?,
                changed_by: r.text("changed_by")?,
                changed_at: Timestamp(r.int("changed_at")?),
            })
        })
        .collect()
}
