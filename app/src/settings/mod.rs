//! Settings (`/dashboard/settings`): projects (create, rename), the current project's
//! API keys (create, list, revoke) and its retention. Its types, server functions and
//! the retention parser; the page is in [`page`].
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::model::{ProjectRef, Scoped};
#[cfg(feature = "ssr")]
use crate::support;

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
    pub project: String,
}

#[server]
pub async fn get_settings(
    project: Option<String>,
) -> Result<Option<Scoped<SettingsData>>, ServerFnError> {
    use crate::server::store_error;
    let Some((store, p)) = support::context(project).await? else {
        return Ok(None);
    };
    let projects = crate::server::visible_projects().await?;
    let keys = store.list_api_keys(&p.id).await.map_err(store_error)?;
    Ok(Some(support::scoped_some(
        &p,
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
                    created_micros: k.created_at.micros(),
                    revoked_micros: k.revoked_at.map(|t| t.micros()),
                })
                .collect(),
            retention_days: p.retention_days,
            server_url: crate::server::server_url(),
        },
    )))
}

/// Creates a project and opens its settings (to create its first key).
#[server]
pub async fn create_project_named(name: String) -> Result<ProjectRef, ServerFnError> {
    let store = crate::server::use_store()?;
    let name = valid_project_name(&name)?;
    let created = store
        .create_project(&name)
        .await
        .map_err(name_taken(&name))?;
    leptos_axum::redirect(&crate::format::href(
        "/dashboard/settings",
        &created.id,
        &[],
    ));
    Ok(ProjectRef::from(&created))
}

#[server]
pub async fn rename_project_to(id: String, name: String) -> Result<ProjectRef, ServerFnError> {
    let store = crate::server::use_store()?;
    let name = valid_project_name(&name)?;
    let renamed = store
        .rename_project(&id, &name)
        .await
        .map_err(name_taken(&name))?;
    Ok(ProjectRef::from(&renamed))
}

#[cfg(feature = "ssr")]
fn valid_project_name(name: &str) -> Result<String, ServerFnError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(crate::server::invalid("name: must not be empty"));
    }
    if name.chars().count() > 100 {
        return Err(crate::server::invalid("name: longer than 100 characters"));
    }
    Ok(name.to_string())
}

#[cfg(feature = "ssr")]
fn name_taken(name: &str) -> impl Fn(store::StoreError) -> ServerFnError + '_ {
    move |e| match e {
        store::StoreError::Conflict(_) => {
            crate::server::conflict(format!("a project named {name:?} already exists"))
        }
        store::StoreError::Invalid(m) => crate::server::invalid(m),
        store::StoreError::NotFound => crate::server::gone("that project no longer exists"),
        other => crate::server::store_error(other),
    }
}

#[server]
pub async fn create_project_key(project: Option<String>) -> Result<NewKey, ServerFnError> {
    use crate::server::store_error;
    let (store, p) = support::require(project).await?;
    let created = store.create_api_key(&p.id).await.map_err(store_error)?;
    Ok(NewKey {
        key: created.key,
        prefix: created.info.prefix,
        project: p.name,
    })
}

#[server]
pub async fn revoke_project_key(
    project: Option<String>,
    key_id: String,
) -> Result<bool, ServerFnError> {
    use crate::server::store_error;
    let (store, p) = support::require(project).await?;
    let found = store
        .revoke_api_key(&p.id, &key_id)
        .await
        .map_err(store_error)?;
    if !found {
        return Err(crate::server::gone("no such key in this project"));
    }
    Ok(true)
}

/// `days` as typed: blank keeps events forever (or the server-wide default).
#[server]
pub async fn set_project_retention(
    project: Option<String>,
    days: String,
) -> Result<Option<i64>, ServerFnError> {
    let (store, p) = support::require(project).await?;
    let days = parse_retention(&days).map_err(crate::server::invalid)?;
    let updated = store
        .set_retention(&p.id, days)
        .await
        .map_err(|e| match e {
            store::StoreError::Invalid(m) => crate::server::invalid(m),
            other => crate::server::store_error(other),
        })?;
    Ok(updated.retention_days)
}

/// Retention as typed in the form: blank is `None`; otherwise whole days, 1 to 36,500.
pub fn parse_retention(text: &str) -> Result<Option<i64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<i64>() {
        Ok(d) if (1..=36_500).contains(&d) => Ok(Some(d)),
        Ok(_) => Err("days: must be between 1 and 36,500".to_string()),
        Err(_) => Err(format!(
            "days: {text:?} is not a whole number of days (leave it blank to keep events forever)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_retention;

    #[test]
    fn retention_as_typed() {
        assert_eq!(parse_retention(""), Ok(None));
        assert_eq!(parse_retention("  30 "), Ok(Some(30)));
        assert!(parse_retention("0").unwrap_err().contains("between 1"));
        assert!(parse_retention("-3").unwrap_err().contains("between 1"));
        assert!(parse_retention("1.5")
            .unwrap_err()
            .contains("not a whole number"));
    }
}
