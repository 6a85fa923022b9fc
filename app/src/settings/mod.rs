//! Settings (`/dashboard/settings`): projects (create, rename), the current project's
//! API keys (create, list, revoke) and its retention. Its types, server functions and
//! the retention parser; the page is in [`page`], the account sections (your password;
//! an admin's account actions) in [`accounts`].
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::{ProjectRef, Scoped};
#[cfg(feature = "ssr")]
use crate::support;

pub mod accounts;
pub mod page;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectItem {
    pub id: String,
    pub name: String,
    pub created_micros: i64,
    pub retention_days: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyItem {
    pub id: String,
    pub prefix: String,
    /// `agent`, `read` or `admin`.
    pub scope: String,
    pub created_micros: i64,
    pub revoked_micros: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsData {
    pub projects: Vec<ProjectItem>,
    pub keys: Vec<KeyItem>,
    pub retention_days: Option<i64>,
    pub server_url: String,
}

/// A key just created: `key` is shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewKey {
    pub key: String,
    pub prefix: String,
    pub scope: String,
    pub project: String,
}

#[server(prefix = "/api/read")]
pub async fn get_settings(
    project: Option<String>,
) -> Result<Option<Scoped<SettingsData>>, ServerFnError> {
    use crate::server::service_error;
    let Some(ctx) = support::context(project).await? else {
        return Ok(None);
    };
    let user = crate::server::current_user()?;
    let projects = service::projects::visible(ctx.store(), &user)
        .await
        .map_err(service_error)?;
    let keys = service::projects::list_keys(ctx.store(), &ctx.caller)
        .await
        .map_err(service_error)?;
    Ok(Some(support::scoped_some(
        &ctx,
        SettingsData {
            projects: projects
                .iter()
                .map(|q| ProjectItem {
                    id: q.id.clone(),
                    name: q.name.clone(),
                    created_micros: q.created_at.micros(),
                    retention_days: q.retention_days,
                })
                .collect(),
            keys: keys
                .into_iter()
                .map(|k| KeyItem {
                    id: k.id,
                    prefix: k.prefix,
                    scope: k.scope.to_string(),
                    created_micros: k.created_at.micros(),
                    revoked_micros: k.revoked_at.map(|t| t.micros()),
                })
                .collect(),
            retention_days: ctx.project().retention_days,
            server_url: crate::server::server_url(),
        },
    )))
}

/// Creates a project and opens its settings (to create its first key).
#[server]
pub async fn create_project_named(name: String) -> Result<ProjectRef, ServerFnError> {
    let store = crate::server::use_store()?;
    let user = crate::server::current_user()?;
    let created = service::projects::create(store.as_ref(), &user, &name)
        .await
        .map_err(crate::server::service_error)?;
    leptos_axum::redirect(&crate::format::href(
        "/dashboard/settings",
        &created.id,
        &[],
    ));
    Ok(ProjectRef::from(&created))
}

/// Renames the project `id` (which the account must be able to see).
#[server]
pub async fn rename_project_to(id: String, name: String) -> Result<ProjectRef, ServerFnError> {
    use crate::server::{current_user, gone, service_error, use_store};
    // This exact project (no fallback to another, and the remembered one unchanged).
    let store = use_store()?;
    let user = current_user()?;
    let project = service::projects::visible(store.as_ref(), &user)
        .await
        .map_err(service_error)?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| gone("that project no longer exists"))?;
    let caller = service::Caller::account(user, project);
    let renamed = service::projects::rename(store.as_ref(), &caller, &name)
        .await
        .map_err(service_error)?;
    Ok(ProjectRef::from(&renamed))
}

/// A key with `scope` (`agent`, `read` or `admin`, as the form's select sends it).
#[server]
pub async fn create_project_key(
    project: Option<String>,
    scope: String,
) -> Result<NewKey, ServerFnError> {
    use crate::server::service_error;
    let ctx = support::require(project).await?;
    let scope = service::projects::parse_scope(&scope).map_err(service_error)?;
    let created = service::projects::create_key(ctx.store(), &ctx.caller, scope)
        .await
        .map_err(service_error)?;
    Ok(NewKey {
        key: created.key,
        prefix: created.info.prefix,
        scope: created.info.scope.to_string(),
        project: ctx.project().name.clone(),
    })
}

#[server]
pub async fn revoke_project_key(
    project: Option<String>,
    key_id: String,
) -> Result<bool, ServerFnError> {
    let ctx = support::require(project).await?;
    service::projects::revoke_key(ctx.store(), &ctx.caller, &key_id)
        .await
        .map_err(crate::server::service_error)?;
    Ok(true)
}

/// `days` as typed: blank keeps events forever (or the server-wide default).
#[server]
pub async fn set_project_retention(
    project: Option<String>,
    days: String,
) -> Result<Option<i64>, ServerFnError> {
    use crate::server::service_error;
    let ctx = support::require(project).await?;
    let days = service::projects::parse_retention(&days).map_err(service_error)?;
    let updated = service::projects::set_retention(ctx.store(), &ctx.caller, days)
        .await
        .map_err(service_error)?;
    Ok(updated.retention_days)
}
