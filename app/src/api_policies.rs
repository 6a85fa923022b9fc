//! Server functions of the policy editor (`/dashboard/policies`) and the simulator
//! (`/dashboard/policies/simulate`). Saving goes through the same store call as the
//! REST edits (`save_policy_on`: a new version only if the one the page was showing
//! is still the newest), simulating through the same batch run as
//! `POST /v1/policy/simulate*` ([`crate::server::simulation::run`]).
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use policy::{SimulationSummary, Warning};
use serde::{Deserialize, Serialize};

use crate::model::{DatasetRef, DraftProblem, PreviewEvents, RuleRow, Scoped};

/// Most versions the history lists (newest first).
pub const VERSION_LIST_LIMIT: usize = 100;

/// Longest version message kept, in characters (as the REST API).
pub const MAX_MESSAGE_CHARS: usize = 4096;

/// One saved version, its rules as rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionRow {
    pub version: i64,
    pub precedence: String,
    pub author: String,
    pub created_micros: i64,
    pub message: Option<String>,
    pub rules: Vec<RuleRow>,
    /// The stored rules could not be read back (shown rather than hidden).
    pub unreadable: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyEditorData {
    pub active: VersionRow,
    pub warnings: Vec<Warning>,
    /// Newest first, the active one included; at most [`VERSION_LIST_LIMIT`].
    pub versions: Vec<VersionRow>,
    pub version_count: usize,
    /// For each audit-only active rule, the action it enforced in an earlier version.
    pub original_actions: Vec<Option<String>>,
}

/// What the simulator replays: a dataset, or a time window ending now.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SimScope {
    Dataset(String),
    /// `1h`, `24h`, `7d`, `30d` or `all`.
    Window(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulatorData {
    pub datasets: Vec<DatasetRef>,
    pub active: VersionRow,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RunOutcome {
    Ran {
        id: String,
        summary: SimulationSummary,
    },
    Invalid(Vec<DraftProblem>),
}

#[cfg(feature = "ssr")]
mod support {
    use leptos::prelude::ServerFnError;

    use super::{SimScope, VersionRow};
    pub use crate::server::{context, require};
    use crate::server::{gone, invalid, store_error};

    pub fn version_row(v: &store::PolicyVersion) -> VersionRow {
        let (rules, unreadable) =
            match crate::policy_edit::rows_from_stored(&v.precedence, &v.rules) {
                Ok(rules) => (rules, None),
                Err(e) => (Vec::new(), Some(e)),
            };
        VersionRow {
            version: v.version,
            precedence: v.precedence.clone(),
            author: v.author.clone(),
            created_micros: v.created_at.micros(),
            message: v.message.clone(),
            rules,
            unreadable,
        }
    }

    /// The active policy compiled, or a clear error when the stored one is unreadable.
    pub async fn active_compiled(
        store: &dyn store::Store,
        project_id: &str,
    ) -> Result<policy::CompiledPolicy, ServerFnError> {
        let v = store.active_policy(project_id).await.map_err(store_error)?;
        let row = version_row(&v);
        if let Some(e) = row.unreadable {
            return Err(ServerFnError::new(format!(
                "the active policy (version {}) cannot be read: {e}",
                v.version
            )));
        }
        crate::policy_edit::compile_rows(&row.precedence, &row.rules).map_err(|e| {
            ServerFnError::new(format!(
                "the active policy (version {}) does not compile: {}",
                v.version,
                policy::join_errors(&e)
            ))
        })
    }

    /// The scan for a scope, and how the run records it (`dataset_id`, `since`).
    pub async fn scan(
        store: &dyn store::Store,
        project_id: &str,
        scope: &SimScope,
    ) -> Result<(store::EventScan, Option<String>, Option<String>), ServerFnError> {
        match scope {
            SimScope::Dataset(id) => match store.dataset(project_id, id).await {
                Ok(_) => Ok((
                    store::EventScan::Dataset(id.clone()),
                    Some(id.clone()),
                    None,
                )),
                Err(store::StoreError::NotFound) => Err(gone("that dataset no longer exists")),
                Err(e) => Err(store_error(e)),
            },
            SimScope::Window(range) => {
                let now = store::now_micros();
                let since = crate::policy_edit::window_since(range, now).map_err(invalid)?;
                let since_text =
                    since.map(|s| format!("{}Z", crate::format::datetime(s).replacen(' ', "T", 1)));
                Ok((
                    store::EventScan::Window {
                        since_micros: since,
                        until_micros: None,
                    },
                    None,
                    since_text,
                ))
            }
        }
    }
}

/// The active rule set, its lint warnings and the version history.
#[server]
pub async fn get_policy_editor(
    project: Option<String>,
) -> Result<Option<Scoped<PolicyEditorData>>, ServerFnError> {
    use crate::server::store_error;
    let Some((store, p)) = support::context(project).await? else {
        return Ok(None);
    };
    let active = support::version_row(&store.active_policy(&p.id).await.map_err(store_error)?);
    let all = store.policy_versions(&p.id).await.map_err(store_error)?;
    let version_count = all.len();
    let versions: Vec<VersionRow> = all
        .iter()
        .take(VERSION_LIST_LIMIT)
        .map(support::version_row)
        .collect();
    let history: Vec<Vec<RuleRow>> = versions
        .iter()
        .filter(|v| v.version != active.version)
        .map(|v| v.rules.clone())
        .collect();
    let original_actions = crate::policy_edit::original_actions(&active.rules, &history);
    let warnings = crate::policy_edit::lint_rows(&active.precedence, &active.rules);
    Ok(Some(Scoped {
        project: crate::model::ProjectRef::from(&p),
        now_micros: store::now_micros(),
        data: Some(PolicyEditorData {
            active,
            warnings,
            versions,
            version_count,
            original_actions,
        }),
    }))
}

/// Saves the edited rule set as version `base + 1`, if `base` is still the newest.
#[server(input = Json)]
pub async fn save_policy_rules(
    project: Option<String>,
    base: i64,
    precedence: String,
    rules: Vec<RuleRow>,
    message: Option<String>,
) -> Result<i64, ServerFnError> {
    use crate::server::{conflict, invalid, store_error};
    let (store, p) = support::require(project).await?;
    let message = message
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty());
    if message
        .as_ref()
        .is_some_and(|m| m.chars().count() > MAX_MESSAGE_CHARS)
    {
        return Err(invalid(format!(
            "message: longer than {MAX_MESSAGE_CHARS} characters"
        )));
    }
    let set = crate::policy_edit::rule_set(&precedence, &rules)
        .map_err(|e| invalid(policy::join_errors(&e)))?;
    set.compile()
        .map_err(|e| invalid(policy::join_errors(&e)))?;
    let rules_json = serde_json::to_value(&set.rules)
        .map_err(|e| ServerFnError::new(format!("cannot encode the rules: {e}")))?;
    match store
        .save_policy_on(
            &p.id,
            base,
            set.precedence.as_str(),
            rules_json,
            &crate::server::current_user()?.email,
            message.as_deref(),
        )
        .await
    {
        Ok(v) => Ok(v.version),
        Err(store::StoreError::Conflict(_)) => {
            let newest = store
                .active_policy(&p.id)
                .await
                .map(|v| format!("version {} by {}", v.version, v.author))
                .unwrap_or_else(|_| "a newer version".to_string());
            Err(conflict(format!(
                "not saved: {newest} was saved after the version {base} you edited. Reload the page to see it, then redo your change."
            )))
        }
        Err(e) => Err(store_error(e)),
    }
}

/// Saves an old version's rules as the next version (if `base` is still the newest).
#[server]
pub async fn restore_policy_version(
    project: Option<String>,
    base: i64,
    version: i64,
) -> Result<i64, ServerFnError> {
    use crate::server::{conflict, gone, invalid, store_error};
    let (store, p) = support::require(project).await?;
    let old = store
        .policy_version(&p.id, version)
        .await
        .map_err(store_error)?
        .ok_or_else(|| gone(format!("there is no policy version {version}")))?;
    let row = support::version_row(&old);
    if let Some(e) = row.unreadable {
        return Err(invalid(format!(
            "version {version} cannot be restored: its rules are unreadable ({e})"
        )));
    }
    match store
        .save_policy_on(
            &p.id,
            base,
            &old.precedence,
            old.rules.clone(),
            &crate::server::current_user()?.email,
            Some(&format!("restore version {version}")),
        )
        .await
    {
        Ok(v) => Ok(v.version),
        Err(store::StoreError::Conflict(_)) => Err(conflict(format!(
            "not restored: another version was saved after version {base}. Reload the page and try again."
        ))),
        Err(e) => Err(store_error(e)),
    }
}

/// A scope's events for the in-browser preview: the most recent
/// [`crate::api::PREVIEW_EVENT_LIMIT`] of them (the same stream the server's run reads).
#[server(input = Json)]
pub async fn get_scope_events(
    project: Option<String>,
    scope: SimScope,
) -> Result<PreviewEvents, ServerFnError> {
    use futures::StreamExt;
    let (store, p) = support::require(project).await?;
    let (scan, _, _) = support::scan(store.as_ref(), &p.id, &scope).await?;
    let mut stream = store.scan_events(&p.id, scan);
    let mut events = std::collections::VecDeque::new();
    let mut truncated = false;
    while let Some(event) = stream.next().await {
        if events.len() == crate::api::PREVIEW_EVENT_LIMIT {
            events.pop_front();
            truncated = true;
        }
        events.push_back(event.map_err(crate::server::store_error)?);
    }
    Ok(PreviewEvents {
        events: events.into(),
        truncated,
    })
}

/// The simulator's choices: datasets and the active policy.
#[server]
pub async fn get_simulator(
    project: Option<String>,
) -> Result<Option<Scoped<SimulatorData>>, ServerFnError> {
    use crate::server::store_error;
    let Some((store, p)) = support::context(project).await? else {
        return Ok(None);
    };
    let datasets = store
        .list_datasets(&p.id)
        .await
        .map_err(store_error)?
        .iter()
        .map(DatasetRef::from)
        .collect();
    let active = support::version_row(&store.active_policy(&p.id).await.map_err(store_error)?);
    Ok(Some(Scoped {
        project: crate::model::ProjectRef::from(&p),
        now_micros: store::now_micros(),
        data: Some(SimulatorData { datasets, active }),
    }))
}

/// The authoritative run of a draft over a scope, kept under a permalink. A single
/// rule is layered over the recorded verdicts; a whole rule set is compared with the
/// active policy's verdicts (baseline `active_policy`).
#[server(input = Json)]
pub async fn run_policy_simulation(
    project: Option<String>,
    scope: SimScope,
    draft: String,
) -> Result<RunOutcome, ServerFnError> {
    use crate::server::simulation::{request_record, run, SimulationError};
    let (store, p) = support::require(project).await?;
    let problems = |errors: Vec<policy::FieldError>| {
        RunOutcome::Invalid(
            errors
                .into_iter()
                .map(|e| DraftProblem {
                    field: e.field,
                    message: e.message,
                })
                .collect(),
        )
    };
    let (value, unmatched) = match crate::draft::compile_draft_text(&draft) {
        Ok((value, _, unmatched)) => (value, unmatched),
        Err(errors) => return Ok(problems(errors)),
    };
    let baseline = match unmatched {
        policy::Unmatched::Allowed => Some(support::active_compiled(store.as_ref(), &p.id).await?),
        policy::Unmatched::KeepRecorded => None,
    };
    let (scan, dataset_id, since) = support::scan(store.as_ref(), &p.id, &scope).await?;
    let request = request_record(
        &value,
        None,
        dataset_id.as_deref(),
        since.as_deref(),
        None,
        if baseline.is_some() {
            "active_policy"
        } else {
            "recorded"
        },
    );
    match run(
        store.as_ref(),
        &p.id,
        &value,
        baseline.as_ref(),
        scan,
        request,
    )
    .await
    {
        Ok(saved) => Ok(RunOutcome::Ran {
            id: saved.id,
            summary: saved.summary,
        }),
        Err(SimulationError::Draft(errors)) => Ok(problems(errors)),
        Err(SimulationError::Invalid { field, message }) => {
            Err(crate::server::invalid(format!("{field}: {message}")))
        }
        Err(SimulationError::NotFound(_)) => {
            Err(crate::server::gone("that dataset no longer exists"))
        }
        Err(SimulationError::Store(e)) => Err(crate::server::store_error(e)),
    }
}
