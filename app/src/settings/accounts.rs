//! Accounts on the Settings page: "Your account" (change your own password, for every
//! account) and, for admins, every account with its actions (disable or enable, make
//! admin or viewer, reset its password, end its sessions) and the latest account
//! changes. The operations are `service::accounts`; each server function that changes
//! something is a write (only `change_own_password` is open to viewers, see the
//! server's `viewer_may_call`).
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::clipboard::copy_to_clipboard;
use crate::components::{action_error, error_text, RowMenu};
use crate::format::{ago, short_datetime};
use crate::icons::Icon;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountItem {
    pub id: String,
    pub email: String,
    pub admin: bool,
    pub created_micros: i64,
    pub disabled_micros: Option<i64>,
    /// Projects a viewer is a member of (admins see every project).
    pub projects: usize,
}

/// One line of the account log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountChangeItem {
    pub email: String,
    /// What happened, in words ("disabled", "password reset", ...).
    pub change: String,
    pub by: String,
    pub at_micros: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountsData {
    pub me: AccountItem,
    pub now_micros: i64,
    /// Every account, for admins only.
    pub accounts: Option<Vec<AccountItem>>,
    /// The latest account changes, for admins only (newest first).
    pub changes: Vec<AccountChangeItem>,
}

/// A password an admin just reset: shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewPassword {
    pub email: String,
    pub password: String,
}

#[cfg(feature = "ssr")]
fn item(user: &store::User) -> AccountItem {
    AccountItem {
        id: user.id.clone(),
        email: user.email.clone(),
        admin: user.role == store::Role::Admin,
        created_micros: user.created_at.micros(),
        disabled_micros: user.disabled_at.map(|t| t.micros()),
        projects: user.projects.len(),
    }
}

#[cfg(feature = "ssr")]
fn change_words(kind: store::AccountChangeKind) -> &'static str {
    use store::AccountChangeKind as K;
    match kind {
        K::PasswordChanged => "changed their password",
        K::PasswordReset => "password reset",
        K::Disabled => "disabled",
        K::Enabled => "enabled",
        K::SessionsEnded => "sessions ended",
        K::MadeAdmin => "made admin",
        K::MadeViewer => "made viewer",
    }
}

#[server(prefix = "/api/read")]
pub async fn get_accounts() -> Result<AccountsData, ServerFnError> {
    use crate::server::{current_user, service_error, use_store};
    let store = use_store()?;
    let user = current_user()?;
    let (accounts, changes) = if user.role == store::Role::Admin {
        let (users, changes) = service::accounts::list(store.as_ref(), &user)
            .await
            .map_err(service_error)?;
        let changes = changes
            .into_iter()
            .map(|c| AccountChangeItem {
                email: c.email,
                change: change_words(c.kind).to_string(),
                by: c.changed_by,
                at_micros: c.changed_at.micros(),
            })
            .collect();
        (Some(users.iter().map(item).collect()), changes)
    } else {
        (None, Vec::new())
    };
    Ok(AccountsData {
        me: item(&user),
        now_micros: store::now_micros(),
        accounts,
        changes,
    })
}

/// Changes the signed-in account's password; its other sessions end. The one write a
/// viewer may call.
#[server]
pub async fn change_own_password(
    current_password: String,
    new_password: String,
    repeat_password: String,
) -> Result<(), ServerFnError> {
    use crate::server::{cookie, current_user, invalid, service_error, use_store};
    if new_password != repeat_password {
        return Err(invalid("repeat_password: the two new passwords differ"));
    }
    let store = use_store()?;
    let user = current_user()?;
    let token = cookie(service::accounts::SESSION_COOKIE)
        .ok_or_else(|| ServerFnError::new("sign in first"))?;
    service::accounts::change_own_password(
        store.as_ref(),
        &user,
        &token,
        current_password,
        new_password,
    )
    .await
    .map_err(service_error)
}

/// Disables (`disabled=true`) or re-enables an account (admins only).
#[server]
pub async fn set_account_disabled(
    user_id: String,
    disabled: bool,
) -> Result<AccountItem, ServerFnError> {
    use crate::server::{current_user, service_error, use_store};
    let store = use_store()?;
    let admin = current_user()?;
    let user = service::accounts::set_disabled(store.as_ref(), &admin, &user_id, disabled)
        .await
        .map_err(service_error)?;
    Ok(item(&user))
}

/// Makes an account an admin (`admin=true`) or a viewer (admins only).
#[server]
pub async fn set_account_role(user_id: String, admin: bool) -> Result<AccountItem, ServerFnError> {
    use crate::server::{current_user, service_error, use_store};
    let store = use_store()?;
    let acting = current_user()?;
    let role = if admin {
        store::Role::Admin
    } else {
        store::Role::Viewer
    };
    let user = service::accounts::set_role(store.as_ref(), &acting, &user_id, role)
        .await
        .map_err(service_error)?;
    Ok(item(&user))
}

/// Gives an account a new generated password, returned this once, and ends its
/// sessions (admins only).
#[server]
pub async fn reset_account_password(user_id: String) -> Result<NewPassword, ServerFnError> {
    use crate::server::{current_user, service_error, use_store};
    let store = use_store()?;
    let admin = current_user()?;
    let (user, password) = service::accounts::reset_password(store.as_ref(), &admin, &user_id)
        .await
        .map_err(service_error)?;
    Ok(NewPassword {
        email: user.email,
        password,
    })
}

/// Ends every session of an account (admins only); returns how many ended.
#[server]
pub async fn end_account_sessions(user_id: String) -> Result<u64, ServerFnError> {
    use crate::server::{current_user, service_error, use_store};
    let store = use_store()?;
    let admin = current_user()?;
    service::accounts::end_sessions(store.as_ref(), &admin, &user_id)
        .await
        .map_err(service_error)
}

/// "Your account" and, for admins, "Accounts": the Settings page's account sections.
/// They need no project, so they show even before one exists.
#[component]
pub fn AccountsSection() -> impl IntoView {
    let change_password = ServerAction::<ChangeOwnPassword>::new();
    let disable = ServerAction::<SetAccountDisabled>::new();
    let role = ServerAction::<SetAccountRole>::new();
    let reset = ServerAction::<ResetAccountPassword>::new();
    let end_sessions = ServerAction::<EndAccountSessions>::new();
    let data = Resource::new(
        move || {
            (
                disable.version().get(),
                role.version().get(),
                reset.version().get(),
                end_sessions.version().get(),
                change_password.version().get(),
            )
        },
        |_| get_accounts(),
    );
    let copied = RwSignal::new(None::<bool>);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <p class="error" role="alert">{format!("Could not load your account: {}", error_text(&e))}</p> }.into_any(),
                    Ok(d) => {
                        let me = d.me.clone();
                        let role_text = if me.admin { "admin" } else { "viewer" };
                        let admin_part = d.accounts.clone().map(|accounts| {
                            let now = d.now_micros;
                            let rows = accounts.into_iter().map(|a| account_row(a, &me, now, disable, role, reset, end_sessions)).collect_view();
                            let changes = d.changes.iter().map(|c| view! {
                                <li><span class="time" title=short_datetime(c.at_micros)>{ago(now, c.at_micros)}</span>" · "
                                    <strong>{c.email.clone()}</strong>" " {c.change.clone()}" by " {c.by.clone()}</li>
                            }).collect_view();
                            let no_changes = d.changes.is_empty();
                            view! {
                                <section class="card settings-accounts" id="accounts">
                                    <h2><Icon name="user"/>" Accounts"</h2>
                                    <p class="muted">"Admins change anything and see every project; viewers read the projects they are members of ("
                                        <code>"preflight user create"</code>" adds accounts). A disabled account cannot sign in and its sessions end; ending sessions signs every browser of the account out on its next request."</p>
                                    {move || reset.value().get().and_then(|r| r.ok()).map(|p| {
                                        let password = p.password.clone();
                                        view! {
                                            <div class="new-key" role="status" id="reset-password-result">
                                                <p><strong>{format!("New password for {}.", p.email)}</strong>" Copy it now and hand it over: it will not be shown again. The account's sessions have ended."</p>
                                                <div class="form-row">
                                                    <input id="reset-password-text" class="mono grow" readonly value=p.password.clone() aria-label="New password"/>
                                                    <button type="button" class="button" on:click=move |_| copied.set(Some(copy_to_clipboard(&password, "reset-password-text")))>
                                                        <Icon name="copy"/>"Copy"
                                                    </button>
                                                </div>
                                                {move || copied.get().map(|ok| view! {
                                                    <p class="muted">{if ok { "Copied to the clipboard." } else { "Selected: press Ctrl+C (the clipboard needs HTTPS)." }}</p>
                                                })}
                                            </div>
                                        }
                                    })}
                                    {move || end_sessions.value().get().and_then(|r| r.ok()).map(|n| view! {
                                        <p class="notice" role="status" id="sessions-ended">{format!("Ended {n} session{}.", if n == 1 { "" } else { "s" })}</p>
                                    })}
                                    {move || action_error(disable.value().get())}
                                    {move || action_error(role.value().get())}
                                    {move || action_error(reset.value().get())}
                                    {move || action_error(end_sessions.value().get())}
                                    <div class="table-wrap"><table class="data accounts-table">
                                        <thead><tr><th>"Email"</th><th>"Role"</th><th>"Status"</th><th>"Created"</th><th></th></tr></thead>
                                        <tbody>{rows}</tbody>
                                    </table></div>
                                    <h3>"Recent changes"</h3>
                                    {if no_changes {
                                        view! { <p class="muted" id="no-account-changes">"No account has been changed yet."</p> }.into_any()
                                    } else {
                                        view! { <ul class="account-changes" id="account-changes">{changes}</ul> }.into_any()
                                    }}
                                </section>
                            }
                        });
                        view! {
                            <section class="card settings-account" id="account">
                                <h2><Icon name="lock"/>" Your account"</h2>
                                <p class="muted" id="your-account">{format!("Signed in as {} ({role_text}).", me.email)}</p>
                                <ActionForm action=change_password>
                                    // For password managers: which account this password belongs to (not sent).
                                    <input type="email" autocomplete="username" value=me.email.clone() hidden readonly/>
                                    <div class="form-row">
                                        <input type="password" name="current_password" id="current-password" autocomplete="current-password" required placeholder="Current password" aria-label="Current password"/>
                                        <input type="password" name="new_password" id="new-password" autocomplete="new-password" required minlength="12" placeholder="New password (12 characters or more)" aria-label="New password"/>
                                        <input type="password" name="repeat_password" id="repeat-password" autocomplete="new-password" required minlength="12" placeholder="New password again" aria-label="New password again"/>
                                        <button type="submit" class="button primary" id="change-password">"Change password"</button>
                                    </div>
                                </ActionForm>
                                {move || action_error(change_password.value().get())}
                                {move || change_password.value().get().and_then(|r| r.ok()).map(|()| view! {
                                    <p class="notice" role="status" id="password-changed">"Password changed. Your other sessions were signed out."</p>
                                })}
                            </section>
                            {admin_part}
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// One account in the admin's list, with its actions.
fn account_row(
    a: AccountItem,
    me: &AccountItem,
    now: i64,
    disable: ServerAction<SetAccountDisabled>,
    role: ServerAction<SetAccountRole>,
    reset: ServerAction<ResetAccountPassword>,
    end_sessions: ServerAction<EndAccountSessions>,
) -> impl IntoView {
    let yourself = a.id == me.id;
    let disabled = a.disabled_micros;
    let role_text = if a.admin {
        "admin".to_string()
    } else {
        format!(
            "viewer · {} project{}",
            a.projects,
            if a.projects == 1 { "" } else { "s" }
        )
    };
    let (id_disable, id_role, id_reset, id_end) =
        (a.id.clone(), a.id.clone(), a.id.clone(), a.id.clone());
    let disable_question = if yourself {
        "Disable your own account? You are signed out at once.".to_string()
    } else {
        format!(
            "Disable {}? It cannot sign in and its sessions end.",
            a.email
        )
    };
    let reset_question = format!(
        "Reset the password of {}? A new one is shown once and its sessions end.",
        a.email
    );
    let end_question = if yourself {
        "End all your sessions, this one included?".to_string()
    } else {
        format!(
            "End every session of {}? Each of its browsers must sign in again.",
            a.email
        )
    };
    let make_admin = !a.admin;
    view! {
        <tr data-account=a.id.clone() data-email=a.email.clone() class:revoked=disabled.is_some()>
            <td class="strong">{a.email.clone()}{yourself.then(|| view! { <span class="chip">"you"</span> })}</td>
            <td>{role_text}</td>
            <td class="account-status">{match disabled {
                Some(t) => view! { <span class="chip status s-rejected" title=short_datetime(t)>{format!("disabled {}", ago(now, t))}</span> }.into_any(),
                None => view! { <span class="chip status s-approved">"active"</span> }.into_any(),
            }}</td>
            <td class="time" title=short_datetime(a.created_micros)>{ago(now, a.created_micros)}</td>
            <td class="row-action">
                {match disabled {
                    None => view! {
                        <RowMenu label="Disable" icon="ban" confirm=disable_question>
                            <ActionForm action=disable>
                                <input type="hidden" name="user_id" value=id_disable/>
                                <input type="hidden" name="disabled" value="true"/>
                                <button type="submit" class="button danger disable-account">"Disable account"</button>
                            </ActionForm>
                        </RowMenu>
                    }.into_any(),
                    Some(_) => view! {
                        <ActionForm action=disable>
                            <input type="hidden" name="user_id" value=id_disable/>
                            <input type="hidden" name="disabled" value="false"/>
                            <button type="submit" class="link-button enable-account"><Icon name="check"/>"Enable"</button>
                        </ActionForm>
                    }.into_any(),
                }}
                <ActionForm action=role>
                    <input type="hidden" name="user_id" value=id_role/>
                    <input type="hidden" name="admin" value=make_admin.to_string()/>
                    <button type="submit" class="link-button set-role"><Icon name="shield"/>{if make_admin { "Make admin" } else { "Make viewer" }}</button>
                </ActionForm>
                {(!yourself).then(|| view! {
                    <RowMenu label="Reset password" icon="key" confirm=reset_question>
                        <ActionForm action=reset>
                            <input type="hidden" name="user_id" value=id_reset/>
                            <button type="submit" class="button danger reset-password">"Reset password"</button>
                        </ActionForm>
                    </RowMenu>
                })}
                <RowMenu label="End sessions" icon="x" confirm=end_question>
                    <ActionForm action=end_sessions>
                        <input type="hidden" name="user_id" value=id_end/>
                        <button type="submit" class="button danger end-sessions">"End sessions"</button>
                    </ActionForm>
                </RowMenu>
            </td>
        </tr>
    }
}
