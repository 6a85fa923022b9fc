//! Policies: the editor (`/dashboard/policies`) and the simulator
//! (`/dashboard/policies/simulate`). This module holds what both use: a saved version
//! as rows, the simulator's scopes, the events of a scope for the browser preview
//! ([`get_scope_events`]) and the authoritative run kept under a permalink
//! ([`run_policy_simulation`], the same batch run as `POST /v1/policy/simulate*`).
//! The logic is in [`rules`], [`diff`] and [`replay`]; the pages in [`editor`] and
//! [`simulator`].
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use policy::{Precedence, Rule, SimulationSummary};
use serde::{Deserialize, Serialize};

use crate::simulations::{DraftProblem, PreviewEvents};

pub mod diff;
pub mod editor;
pub mod replay;
pub mod rules;
pub mod simulator;

/// One saved version, its rules as rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionRow {
    pub version: i64,
    /// As stored (the store keeps the text); `last_match` when it is unreadable.
    pub precedence: Precedence,
    pub author: String,
    pub created_micros: i64,
    pub message: Option<String>,
    pub rules: Vec<Rule>,
    /// The stored rules could not be read back (shown rather than hidden).
    pub unreadable: Option<String>,
}

/// What the simulator replays: a dataset, or a time window ending now.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SimScope {
    Dataset(String),
    /// `1h`, `24h`, `7d`, `30d` or `all`.
    Window(String),
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
        let (rules, unreadable) = match super::rules::rows_from_stored(&v.precedence, &v.rules) {
            Ok(rules) => (rules, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        VersionRow {
            version: v.version,
            precedence: v.precedence.parse().unwrap_or_default(),
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
        super::rules::compile_rows(row.precedence, &row.rules).map_err(|e| {
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
                let since = super::replay::window_since(range, now).map_err(invalid)?;
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

/// A scope's events for the in-browser preview: the most recent
/// [`crate::simulations::PREVIEW_EVENT_LIMIT`] of them (the same stream the server's run reads).
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
        if events.len() == crate::simulations::PREVIEW_EVENT_LIMIT {
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
