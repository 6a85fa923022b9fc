//! Simulations: replaying a draft policy over recorded events. The browser preview's
//! events ([`get_preview_events`]), the authoritative server run kept under a permalink
//! ([`simulate_draft`]) and the permalink page (`/dashboard/simulations/{id}`,
//! [`get_simulation`]). Reading a draft is `policy::Draft`, shared with the REST API
//! and the CLI.
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use policy::SimulationSummary;
use serde::{Deserialize, Serialize};

use crate::model::{DatasetRef, Scoped};
#[cfg(feature = "ssr")]
use crate::{server::service_error, support};

pub mod page;

/// What a draft is replayed over.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DraftScope {
    /// A dataset as it is now.
    Dataset(String),
    /// One version of a dataset (`GET /v1/datasets/{id}/versions`).
    DatasetVersion(String, i64),
    Traces(Vec<String>),
}

/// The events of a scope for the in-browser preview (`service::simulation::preview_events`:
/// the most recent, at most its limit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewEvents {
    pub events: Vec<policy::Event>,
    /// More events than the preview loads; the numbers cover only the last ones.
    pub truncated: bool,
}

/// A server simulation run, as the modal and the permalink show it: only what its
/// receipt stored, so the page says the same thing however the dataset, the policy or
/// the events change afterwards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulationView {
    pub id: String,
    pub created_micros: i64,
    /// The draft as sent, pretty-printed JSON.
    pub draft: String,
    /// The dataset as it was when the run was made: its id, name and version.
    pub dataset: Option<DatasetRef>,
    pub dataset_id: Option<String>,
    pub dataset_version: Option<i64>,
    pub trace_ids: Option<Vec<String>>,
    pub baseline: policy::Baseline,
    /// The active policy version an `active_policy` baseline compared with.
    pub baseline_version: Option<i64>,
    pub summary: SimulationSummary,
    /// How many traces were in scope, as recorded (`None`: a window, or a run from
    /// before receipts).
    pub traces_in_scope: Option<u64>,
    /// The time window of a run over recorded events (RFC 3339), if any.
    #[serde(default)]
    pub since: Option<String>,
    #[serde(default)]
    pub until: Option<String>,
    pub evaluator_version: Option<String>,
    /// The run this one ran again, and what changed in scope since.
    pub rerun_of: Option<String>,
    pub scope_change: Option<ScopeChange>,
    /// This server's base URL as the browser reached it, for the shareable link.
    pub base_url: String,
}

/// What changed in scope between a run and its re-run (`service::simulation::ScopeChange`,
/// which the browser cannot name).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScopeChange {
    pub from_version: Option<i64>,
    pub to_version: Option<i64>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

/// A draft the server refused, with the field at fault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftProblem {
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SimulateOutcome {
    Ran(Box<SimulationView>),
    Invalid(Vec<DraftProblem>),
}

#[cfg(feature = "ssr")]
impl From<DraftScope> for service::simulation::Scope {
    fn from(scope: DraftScope) -> Self {
        match scope {
            DraftScope::Dataset(id) => service::simulation::Scope::dataset(id),
            DraftScope::DatasetVersion(id, version) => service::simulation::Scope::Dataset {
                id,
                version: Some(version),
            },
            DraftScope::Traces(ids) => service::simulation::Scope::Traces(ids),
        }
    }
}

/// The scope's events as the simulator sees them, for the in-browser preview (the
/// same stream the authoritative run reads).
#[server(prefix = "/api/read", input = Json)]
pub async fn get_preview_events(
    project: Option<String>,
    scope: DraftScope,
) -> Result<PreviewEvents, ServerFnError> {
    let ctx = support::require(project).await?;
    preview_events(&ctx, scope.into()).await
}

/// The preview's events for a scope (the modal's and the policy pages').
#[cfg(feature = "ssr")]
pub async fn preview_events(
    ctx: &support::Ctx,
    scope: service::simulation::Scope,
) -> Result<PreviewEvents, ServerFnError> {
    let preview = service::simulation::preview_events(ctx.store(), &ctx.caller, scope)
        .await
        .map_err(service_error)?;
    Ok(PreviewEvents {
        events: preview.events,
        truncated: preview.truncated,
    })
}

/// "Simulate": the authoritative run over the scope, kept under a permalink. A draft
/// rule is layered over the recorded verdicts.
#[server(prefix = "/api/read", input = Json)]
pub async fn simulate_draft(
    project: Option<String>,
    scope: DraftScope,
    draft: String,
) -> Result<SimulateOutcome, ServerFnError> {
    let ctx = support::require(project).await?;
    let draft = match policy::Draft::from_text(&draft) {
        Ok(draft) => draft,
        Err(errors) => return Ok(SimulateOutcome::Invalid(problems(errors))),
    };
    let baseline = policy::Baseline::Recorded;
    match run(&ctx, &draft, baseline, scope.into()).await? {
        Ok(saved) => {
            let view = load_simulation(&ctx, &saved.id)
                .await?
                .ok_or_else(|| ServerFnError::new("the run was saved but cannot be read back"))?;
            Ok(SimulateOutcome::Ran(Box::new(view)))
        }
        Err(problems) => Ok(SimulateOutcome::Invalid(problems)),
    }
}

/// Runs a parsed draft through the service and keeps it: the run, or the draft's
/// problems (shared by the modal's "Simulate" and the policy pages' server runs).
#[cfg(feature = "ssr")]
pub async fn run(
    ctx: &support::Ctx,
    draft: &policy::Draft,
    baseline: policy::Baseline,
    scope: service::simulation::Scope,
) -> Result<Result<service::simulation::SavedSimulation, Vec<DraftProblem>>, ServerFnError> {
    match service::simulation::run(ctx.store(), &ctx.caller, draft, baseline, scope).await {
        Ok(saved) => Ok(Ok(saved)),
        Err(service::ServiceError::Draft(errors)) => Ok(Err(problems(errors))),
        Err(e) => Err(service_error(e)),
    }
}

/// A draft's errors as the editor shows them (field inside the draft, message).
#[cfg(feature = "ssr")]
pub fn problems(errors: Vec<policy::FieldError>) -> Vec<DraftProblem> {
    errors
        .into_iter()
        .map(|e| DraftProblem {
            field: e.field,
            message: e.message,
        })
        .collect()
}

#[cfg(feature = "ssr")]
async fn load_simulation(
    ctx: &support::Ctx,
    id: &str,
) -> Result<Option<SimulationView>, ServerFnError> {
    let Some(run) =
        support::found(service::simulation::stored(ctx.store(), &ctx.caller, id).await)?
    else {
        return Ok(None);
    };
    // A re-run shows what changed in scope since the run it repeated: both receipts
    // are immutable, so this too says the same thing forever.
    let scope_change = match &run.request.rerun_of {
        Some(before) => {
            match support::found(
                service::simulation::stored(ctx.store(), &ctx.caller, before).await,
            )? {
                Some(before) => service::simulation::scope_change(&before.request, &run.request)
                    .map(|c| ScopeChange {
                        from_version: c.from_version,
                        to_version: c.to_version,
                        added: c.added,
                        removed: c.removed,
                    }),
                None => None,
            }
        }
        None => None,
    };
    let traces_in_scope = run.traces_in_scope();
    let request = run.request;
    let draft = &request.draft;
    let dataset = match (&request.dataset_id, &request.dataset_name) {
        (Some(id), Some(name)) => Some(DatasetRef {
            id: id.clone(),
            name: name.clone(),
        }),
        _ => None,
    };
    Ok(Some(SimulationView {
        id: run.id,
        created_micros: run.created_at.micros(),
        draft: serde_json::to_string_pretty(draft).unwrap_or_else(|_| draft.to_string()),
        dataset,
        dataset_id: request.dataset_id.clone(),
        dataset_version: request.dataset_version,
        trace_ids: request.trace_ids.clone(),
        baseline: request.baseline,
        baseline_version: request.baseline_version,
        summary: run.summary,
        traces_in_scope,
        since: request.since.clone(),
        until: request.until.clone(),
        evaluator_version: request.evaluator_version.clone(),
        rerun_of: request.rerun_of.clone(),
        scope_change,
        base_url: crate::server::server_url(),
    }))
}

/// "Run again": the stored run's draft and baseline over its scope as it is now (a
/// dataset's current version), kept as a new run linked to the old one. Returns the new
/// run's id.
#[server(prefix = "/api/read")]
pub async fn rerun_simulation(
    project: Option<String>,
    id: String,
) -> Result<String, ServerFnError> {
    let ctx = support::require(project).await?;
    let saved = service::simulation::rerun(ctx.store(), &ctx.caller, &id)
        .await
        .map_err(service_error)?;
    Ok(saved.id)
}

#[server(prefix = "/api/read")]
pub async fn get_simulation(
    project: Option<String>,
    id: String,
) -> Result<Option<Scoped<SimulationView>>, ServerFnError> {
    let Some(ctx) = support::context(project).await? else {
        return Ok(None);
    };
    let view = load_simulation(&ctx, &id).await?;
    Ok(Some(support::scoped(&ctx, view)))
}
