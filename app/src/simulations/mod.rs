//! Simulations: replaying a draft policy over recorded events. The browser preview's
//! events ([`get_preview_events`]), the authoritative server run kept under a permalink
//! ([`simulate_draft`]) and the permalink page (`/dashboard/simulations/{id}`,
//! [`get_simulation`]). Reading a draft is in [`crate::draft`], shared with the REST
//! API.
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use policy::SimulationSummary;
use serde::{Deserialize, Serialize};

use crate::model::{DatasetRef, Scoped};
#[cfg(feature = "ssr")]
use crate::support;

pub mod page;

/// Most events the browser preview loads; beyond this only "Simulate" counts them all.
pub const PREVIEW_EVENT_LIMIT: usize = 50_000;

/// What a draft is replayed over.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DraftScope {
    Dataset(String),
    Traces(Vec<String>),
}

/// The events of a scope for the in-browser preview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewEvents {
    pub events: Vec<policy::Event>,
    /// More events than the preview loads; the numbers cover only the first ones.
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
    pub baseline: String,
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
async fn scope_scan(
    store: &dyn store::Store,
    project_id: &str,
    scope: &DraftScope,
) -> Result<store::EventScan, ServerFnError> {
    use crate::server::simulation::{batch_scope, SimulationError};
    let (dataset, traces) = match scope {
        DraftScope::Dataset(id) => (Some(id.as_str()), None),
        DraftScope::Traces(ids) => (None, Some(ids.as_slice())),
    };
    batch_scope(store, project_id, dataset, traces)
        .await
        .map_err(|e| match e {
            SimulationError::NotFound(_) => crate::server::gone("that dataset no longer exists"),
            SimulationError::Invalid { field, message } => {
                crate::server::invalid(format!("{field}: {message}"))
            }
            SimulationError::Store(e) => crate::server::store_error(e),
            SimulationError::Draft(errors) => ServerFnError::new(policy::join_errors(&errors)),
        })
}

/// The scope's events as the simulator sees them, for the in-browser preview (the
/// same stream the authoritative run reads).
#[server(input = Json)]
pub async fn get_preview_events(
    project: Option<String>,
    scope: DraftScope,
) -> Result<PreviewEvents, ServerFnError> {
    use futures::StreamExt;
    let (store, p) = support::context(project)
        .await?
        .ok_or_else(|| crate::server::gone("there is no project yet"))?;
    let scan = scope_scan(store.as_ref(), &p.id, &scope).await?;
    let mut stream = store.scan_events(&p.id, scan);
    let mut events = Vec::new();
    let mut truncated = false;
    while let Some(event) = stream.next().await {
        if events.len() == PREVIEW_EVENT_LIMIT {
            truncated = true;
            break;
        }
        events.push(event.map_err(crate::server::store_error)?);
    }
    Ok(PreviewEvents { events, truncated })
}

/// "Simulate": the authoritative run over the scope, kept under a permalink.
#[server(input = Json)]
pub async fn simulate_draft(
    project: Option<String>,
    scope: DraftScope,
    draft: String,
) -> Result<SimulateOutcome, ServerFnError> {
    use crate::server::simulation::{request_record, run, SimulationError};
    let (store, p) = support::context(project)
        .await?
        .ok_or_else(|| crate::server::gone("there is no project yet"))?;
    let draft_value: serde_json::Value = match crate::draft::compile_draft_text(&draft) {
        Ok((value, _, _)) => value,
        Err(errors) => return Ok(SimulateOutcome::Invalid(problems(errors))),
    };
    let scan = scope_scan(store.as_ref(), &p.id, &scope).await?;
    let (dataset_id, trace_ids) = match &scope {
        DraftScope::Dataset(id) => (Some(id.as_str()), None),
        DraftScope::Traces(ids) => (None, Some(ids.as_slice())),
    };
    let request = request_record(&draft_value, trace_ids, dataset_id, None, None, "recorded");
    match run(store.as_ref(), &p.id, &draft_value, None, scan, request).await {
        Ok(saved) => {
            let view = load_simulation(store.as_ref(), &p.id, &saved.id)
                .await?
                .ok_or_else(|| ServerFnError::new("the run was saved but cannot be read back"))?;
            Ok(SimulateOutcome::Ran(Box::new(view)))
        }
        Err(SimulationError::Draft(errors)) => Ok(SimulateOutcome::Invalid(problems(errors))),
        Err(SimulationError::Invalid { field, message }) => {
            Err(crate::server::invalid(format!("{field}: {message}")))
        }
        Err(SimulationError::NotFound(_)) => {
            Err(crate::server::gone("that dataset no longer exists"))
        }
        Err(SimulationError::Store(e)) => Err(crate::server::store_error(e)),
    }
}

#[cfg(feature = "ssr")]
fn problems(errors: Vec<policy::FieldError>) -> Vec<DraftProblem> {
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
    store: &dyn store::Store,
    project_id: &str,
    id: &str,
) -> Result<Option<SimulationView>, ServerFnError> {
    use serde_json::Value;
    let Some(sim) = support::found(store.simulation(project_id, id).await)? else {
        return Ok(None);
    };
    let summary: policy::SimulationSummary = serde_json::from_value(sim.summary.clone())
        .map_err(|e| ServerFnError::new(format!("stored run {id} is unreadable: {e}")))?;
    let request = &sim.request;
    let draft = request.get("draft").cloned().unwrap_or(Value::Null);
    let dataset_id = request
        .get("dataset_id")
        .and_then(Value::as_str)
        .map(str::to_string);
    let trace_ids: Option<Vec<String>> =
        request
            .get("trace_ids")
            .and_then(Value::as_array)
            .map(|ids| {
                ids.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            });
    let dataset = match &dataset_id {
        Some(did) => support::found(store.dataset(project_id, did).await)?,
        None => None,
    };
    let trace_count = match (&dataset, &trace_ids) {
        (Some(d), _) => d.items.len(),
        (None, Some(ids)) => ids.len(),
        _ => 0,
    };
    Ok(Some(SimulationView {
        id: sim.id.clone(),
        created_micros: sim.created_at.micros(),
        draft: serde_json::to_string_pretty(&draft).unwrap_or_else(|_| draft.to_string()),
        dataset: dataset.as_ref().map(|d| DatasetRef::from(&d.dataset)),
        dataset_id,
        trace_ids,
        baseline: request
            .get("baseline")
            .and_then(Value::as_str)
            .unwrap_or("recorded")
            .to_string(),
        summary,
        trace_count,
        since: request
            .get("since")
            .and_then(Value::as_str)
            .map(str::to_string),
        base_url: crate::server::server_url(),
    }))
}

#[server]
pub async fn get_simulation(
    project: Option<String>,
    id: String,
) -> Result<Option<Scoped<SimulationView>>, ServerFnError> {
    let Some((store, p)) = support::context(project).await? else {
        return Ok(None);
    };
    let view = load_simulation(store.as_ref(), &p.id, &id).await?;
    Ok(Some(support::scoped(&p, view)))
}
