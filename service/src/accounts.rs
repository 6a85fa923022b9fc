//! Dashboard accounts: changing one's own password, and what an admin does to any
//! account (disable, re-enable, make admin or viewer, reset its password, end its
//! sessions). Each change is recorded with the email of the account that made it
//! (`Store::account_changes`), and the store keeps at least one enabled admin.
use store::{PasswordChange, Role, User};

use crate::password;
use crate::{ServiceError, ServiceResult, Store};

/// The cookie holding a dashboard session's token (the store keeps its SHA-256).
pub const SESSION_COOKIE: &str = "preflight_session";

/// Lines of the account log the Settings page shows.
pub const RECENT_CHANGES: u32 = 20;

fn require_admin(user: &User) -> ServiceResult<()> {
    if user.role == Role::Admin && !user.is_disabled() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "only admins manage other accounts".to_string(),
        ))
    }
}

fn unknown_account(e: store::StoreError) -> ServiceError {
    ServiceError::not_found("no such account")(e)
}

fn internal(message: String) -> ServiceError {
    ServiceError::Internal(message)
}

/// Every account (oldest first) and the latest account changes (newest first): admins
/// only.
pub async fn list(
    store: &Store,
    admin: &User,
) -> ServiceResult<(Vec<User>, Vec<store::AccountChange>)> {
    require_admin(admin)?;
    let users = store.list_users().await?;
    let changes = store.account_changes(RECENT_CHANGES).await?;
    Ok((users, changes))
}

/// Changes the signed-in account's own password: `current` must be its password now,
/// `new` must meet [`password::check_new`]. The session that asked (`session_token`,
/// the cookie's token) stays signed in; the account's other sessions end.
pub async fn change_own_password(
    store: &Store,
    user: &User,
    session_token: &str,
    current: String,
    new: String,
) -> ServiceResult<()> {
    password::check_new(&new).map_err(|m| ServiceError::invalid("new_password", m))?;
    let stored = store
        .user_credentials(&user.email)
        .await?
        .filter(|(found, _)| found.id == user.id)
        .map(|(_, hash)| hash);
    // `None` still costs a full check, like any wrong password.
    if !password::check(current, stored).await {
        return Err(ServiceError::invalid(
            "current_password",
            "that is not your current password",
        ));
    }
    let hash = password::hash_in_turn(new).await.map_err(internal)?;
    let change = PasswordChange::Own {
        keep_session: password::token_hash(session_token),
    };
    store
        .set_password(&user.id, &hash, &change, &user.email)
        .await
        .map_err(unknown_account)
}

/// An admin gives account `user_id` a new generated password, returned this once, and
/// ends all of its sessions. An admin's own password is changed with the current one
/// instead ([`change_own_password`]).
pub async fn reset_password(
    store: &Store,
    admin: &User,
    user_id: &str,
) -> ServiceResult<(User, String)> {
    require_admin(admin)?;
    if admin.id == user_id {
        return Err(ServiceError::invalid(
            "user_id",
            "change your own password under Your account (it needs the current one)",
        ));
    }
    let target = store.user(user_id).await.map_err(unknown_account)?;
    let generated = password::generate();
    let hash = password::hash_in_turn(generated.clone())
        .await
        .map_err(internal)?;
    store
        .set_password(user_id, &hash, &PasswordChange::Reset, &admin.email)
        .await
        .map_err(unknown_account)?;
    Ok((target, generated))
}

/// An admin disables (`true`) or re-enables account `user_id`. A disabled account
/// cannot sign in and its sessions end. `Conflict` if no enabled admin would remain
/// (an admin may disable themselves only while another one is enabled).
pub async fn set_disabled(
    store: &Store,
    admin: &User,
    user_id: &str,
    disabled: bool,
) -> ServiceResult<User> {
    require_admin(admin)?;
    store
        .set_user_disabled(user_id, disabled, &admin.email)
        .await
        .map_err(unknown_account)
}

/// An admin makes account `user_id` an admin or a viewer. `Conflict` if no enabled
/// admin would remain.
pub async fn set_role(
    store: &Store,
    admin: &User,
    user_id: &str,
    role: Role,
) -> ServiceResult<User> {
    require_admin(admin)?;
    store
        .set_user_role(user_id, role, &admin.email)
        .await
        .map_err(unknown_account)
}

/// An admin ends every session of account `user_id`: each of its browsers must sign
/// in again on its next request. Returns how many sessions ended.
pub async fn end_sessions(store: &Store, admin: &User, user_id: &str) -> ServiceResult<u64> {
    require_admin(admin)?;
    store
        .end_user_sessions(user_id, &admin.email)
        .await
        .map_err(unknown_account)
}
