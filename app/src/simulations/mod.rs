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
    Dataset(String),
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

/// A server simulation run, as the modal and the permalink show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulationView {
    pub id: String,
    pub created_micros: i64,
    /// The draft as sent, pretty-printed JSON.
    pub draft: String,
    pub dataset: Option<DatasetRef>,
    /// The dataset id when the dataset no longer exists.
    pub dataset_id: Option<String>,
    pub trace_ids: Option<Vec<String>>,
    pub baseline: policy::Baseline,
    pub summary: SimulationSummary,
    /// How many traces were in scope (dataset items or listed ids).
    pub trace_count: usize,
    /// Start of the time window of a run over recorded events (RFC 3339), if any.
    #[serde(default)]
    pub since: Option<String>,
    /// This server's base URL as the browser reached it, for the shareable link.
    pub base_url: String,
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
            DraftScope::Dataset(id) => service::simulation::Scope::Dataset(id),
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
    let draft = &run.request.draft;
    Ok(Some(SimulationView {
        id: run.id,
        created_micros: run.created_at.micros(),
        draft: serde_json::to_string_pretty(draft).unwrap_or_else(|_| draft.to_string()),
        dataset: run.dataset.as_ref().map(DatasetRef::from),
        dataset_id: run.request.dataset_id,
        trace_ids: run.request.trace_ids,
        baseline: run.request.baseline,
        summary: run.summary,
        trace_count: run.trace_count,
        since: run.request.since,
        base_url: crate::server::server_url(),
    }))
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
