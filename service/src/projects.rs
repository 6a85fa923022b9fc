//! Projects: which one a dashboard request is for (the one place that decides, for
//! the pages, the server functions and the audit export), creating and renaming
//! them, their API keys and retention.
use crate::names::{required, MAX_PROJECT_NAME_CHARS};
use crate::{changes, Caller, Permission, ServiceError, ServiceResult, Store};
use store::ProjectChangeKind as Kind;

/// Cookie remembering the last project chosen with `?project=`.
pub const PROJECT_COOKIE: &str = "preflight_project";

/// Longest retention, in days (a hundred years).
pub const MAX_RETENTION_DAYS: i64 = 36_500;

/// The value of cookie `name` among a request's `Cookie` header values.
pub fn cookie<'a>(header_values: impl IntoIterator<Item = &'a str>, name: &str) -> Option<&'a str> {
    header_values
        .into_iter()
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The projects `user` may see (admins: all), oldest first.
pub async fn visible(store: &Store, user: &store::User) -> ServiceResult<Vec<store::Project>> {
    Ok(store
        .list_projects()
        .await?
        .into_iter()
        .filter(|p| user.can_see(&p.id))
        .collect())
}

/// Which project a request is for, and how it was chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub project: Option<store::Project>,
    /// The request named it (`?project=`): the caller remembers the choice.
    pub requested: bool,
    /// The request named a project that is not among the visible ones.
    pub requested_unknown: bool,
}

/// Chooses among `visible` projects, in order: the one `requested` names (an id, or a
/// name), the `remembered` one (the cookie), the first. Blank values count as absent.
pub fn choose(
    visible: &[store::Project],
    requested: Option<&str>,
    remembered: Option<&str>,
) -> Resolved {
    let find = |key: &str| {
        visible
            .iter()
            .find(|p| p.id == key)
            .or_else(|| visible.iter().find(|p| p.name == key))
            .cloned()
    };
    let requested = requested.map(str::trim).filter(|r| !r.is_empty());
    if let Some(project) = requested.and_then(find) {
        return Resolved {
            project: Some(project),
            requested: true,
            requested_unknown: false,
        };
    }
    let project = remembered
        .and_then(find)
        .or_else(|| visible.first().cloned());
    Resolved {
        project,
        requested: false,
        requested_unknown: requested.is_some(),
    }
}

/// [`choose`] among the projects `user` may see.
pub async fn resolve(
    store: &Store,
    user: &store::User,
    requested: Option<&str>,
    remembered: Option<&str>,
) -> ServiceResult<Resolved> {
    Ok(choose(&visible(store, user).await?, requested, remembered))
}

fn name_taken(name: &str) -> impl FnOnce(store::StoreError) -> ServiceError + '_ {
    move |e| match e {
        store::StoreError::Conflict(_) => {
            ServiceError::Conflict(format!("a project named {name:?} already exists"))
        }
        store::StoreError::NotFound => {
            ServiceError::NotFound("that project no longer exists".to_string())
        }
        other => other.into(),
    }
}

/// Creates a project (admins only).
pub async fn create(
    store: &Store,
    user: &store::User,
    name: &str,
) -> ServiceResult<store::Project> {
    require_admin(user)?;
    let name = required("name", name, MAX_PROJECT_NAME_CHARS)?;
    store.create_project(&name).await.map_err(name_taken(&name))
}

/// Renames a project the caller may change.
pub async fn rename(store: &Store, caller: &Caller, name: &str) -> ServiceResult<store::Project> {
    caller.require(Permission::Govern)?;
    let name = required("name", name, MAX_PROJECT_NAME_CHARS)?;
    let renamed = store
        .rename_project(caller.project_id(), &name)
        .await
        .map_err(name_taken(&name))?;
    let detail = Some(format!("renamed to {name}"));
    changes::record(store, caller, Kind::ProjectRenamed, &renamed.id, detail).await?;
    Ok(renamed)
}

fn require_admin(user: &store::User) -> ServiceResult<()> {
    if user.role == store::Role::Admin {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "only admins create projects".to_string(),
        ))
    }
}

/// A key scope as typed (`agent`, `read`, `admin`).
pub fn parse_scope(text: &str) -> ServiceResult<store::KeyScope> {
    store::KeyScope::parse(text.trim()).ok_or_else(|| {
        ServiceError::invalid(
            "scope",
            format!("unknown key scope {text:?}; expected agent, read or admin"),
        )
    })
}

pub async fn list_keys(store: &Store, caller: &Caller) -> ServiceResult<Vec<store::ApiKeyInfo>> {
    caller.require(Permission::Read)?;
    Ok(store.list_api_keys(caller.project_id()).await?)
}

/// A new key for the caller's project with `scope`; the key itself is in the answer
/// only.
pub async fn create_key(
    store: &Store,
    caller: &Caller,
    scope: store::KeyScope,
) -> ServiceResult<store::NewApiKey> {
    caller.require(Permission::Govern)?;
    let created = store.create_api_key(caller.project_id(), scope).await?;
    let detail = Some(format!("{scope} key"));
    changes::record(
        store,
        caller,
        Kind::KeyCreated,
        &created.info.prefix,
        detail,
    )
    .await?;
    Ok(created)
}

/// Revokes a key of the caller's project: it gets 401 from then on.
pub async fn revoke_key(store: &Store, caller: &Caller, key_id: &str) -> ServiceResult<()> {
    caller.require(Permission::Govern)?;
    if store.revoke_api_key(caller.project_id(), key_id).await? {
        // Named by its prefix, as Settings and `key list` show it.
        let keys = store.list_api_keys(caller.project_id()).await?;
        let subject = keys
            .iter()
            .find(|k| k.id == key_id)
            .map_or(key_id, |k| k.prefix.as_str());
        changes::record(store, caller, Kind::KeyRevoked, subject, None).await
    } else {
        Err(ServiceError::NotFound(
            "no such key in this project".to_string(),
        ))
    }
}

/// Retention as typed: blank is `None` (keep events, or the server-wide default);
/// otherwise whole days, 1 to [`MAX_RETENTION_DAYS`].
pub fn parse_retention(text: &str) -> ServiceResult<Option<i64>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<i64>() {
        Ok(d) if (1..=MAX_RETENTION_DAYS).contains(&d) => Ok(Some(d)),
        Ok(_) => Err(ServiceError::invalid(
            "days",
            "must be between 1 and 36,500",
        )),
        Err(_) => Err(ServiceError::invalid(
            "days",
            format!(
                "{text:?} is not a whole number of days (leave it blank to keep events forever)"
            ),
        )),
    }
}

/// Sets the caller's project's retention.
pub async fn set_retention(
    store: &Store,
    caller: &Caller,
    days: Option<i64>,
) -> ServiceResult<store::Project> {
    caller.require(Permission::Govern)?;
    let project = store.set_retention(caller.project_id(), days).await?;
    let detail = Some(match days {
        Some(d) => format!("events kept {d} days"),
        None => "events kept until the server-wide default".to_string(),
    });
    changes::record(store, caller, Kind::RetentionSet, &project.id, detail).await?;
    Ok(project)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(id: &str, name: &str) -> store::Project {
        store::Project {
            id: id.into(),
            name: name.into(),
            created_at: store::Timestamp::now(),
            retention_days: None,
        }
    }

    #[test]
    fn requested_then_remembered_then_first() {
        let all = [project("p1", "alpha"), project("p2", "beta")];
        let by_id = choose(&all, Some("p2"), Some("p1"));
        assert_eq!(by_id.project.map(|p| p.id), Some("p2".into()));
        assert!(by_id.requested && !by_id.requested_unknown);
        let by_name = choose(&all, Some("beta"), None);
        assert_eq!(by_name.project.map(|p| p.id), Some("p2".into()));
        let remembered = choose(&all, None, Some("p2"));
        assert_eq!(remembered.project.map(|p| p.id), Some("p2".into()));
        assert!(!remembered.requested);
        let first = choose(&all, Some(" "), Some("gone"));
        assert_eq!(first.project.map(|p| p.id), Some("p1".into()));
        assert!(!first.requested_unknown);
        let unknown = choose(&all, Some("zeta"), None);
        assert!(unknown.requested_unknown);
        assert_eq!(unknown.project.map(|p| p.id), Some("p1".into()));
        assert_eq!(choose(&[], None, None).project, None);
    }

    #[test]
    fn cookies() {
        let headers = ["a=1; preflight_project=p9", "theme=dark"];
        assert_eq!(cookie(headers, PROJECT_COOKIE), Some("p9"));
        assert_eq!(cookie(headers, "theme"), Some("dark"));
        assert_eq!(cookie(headers, "none"), None);
    }

    #[test]
    fn retention_as_typed() {
        assert_eq!(parse_retention(""), Ok(None));
        assert_eq!(parse_retention("  30 "), Ok(Some(30)));
        for bad in ["0", "-3", "36501"] {
            assert!(parse_retention(bad)
                .unwrap_err()
                .to_string()
                .contains("between 1"));
        }
        assert!(parse_retention("1.5")
            .unwrap_err()
            .to_string()
            .contains("not a whole number"));
    }
}
