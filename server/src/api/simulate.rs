//! Authoritative simulation: replay a draft over the caller's stored events, keep the
//! run, and serve it back by id (the dashboard's permalinks).
use axum::extract::{Path, State};
use axum::Json;
use policy::{Baseline, Draft};
use serde::Deserialize;
use serde_json::{json, Value};
use service::simulation::{self, Scope};

use super::read::parse_time;
use super::{ApiJson, ApiResult, AppError, AppState, Caller, ErrorBody};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulateBody {
    #[schema(value_type = Object)]
    pub draft: Value,
    pub trace_ids: Option<Vec<String>>,
    pub dataset_id: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    /// `recorded` (default): compare with what happened. `active_policy`: with the
    /// verdicts the current active rule set gives.
    pub baseline: Option<String>,
}

/// Draft errors name their field inside the request body (`draft.kind`).
fn draft_errors(errors: Vec<policy::FieldError>) -> AppError {
    AppError::from(
        errors
            .into_iter()
            .map(|e| policy::FieldError {
                field: if e.field.is_empty() {
                    "draft".to_string()
                } else {
                    format!("draft.{}", e.field)
                },
                message: e.message,
            })
            .collect::<Vec<_>>(),
    )
}

/// Runs the draft through the service's simulation (the one the dashboard runs too).
async fn run(
    state: &AppState,
    caller: &Caller,
    body: SimulateBody,
    scope: Scope,
) -> ApiResult<Json<Value>> {
    // The draft is judged first, so its errors come before the baseline's.
    // Compiling a draft of thousands of rules is CPU work: off the async workers.
    let value = body.draft;
    let draft = service::blocking::run(move || Draft::from_value(value))
        .await?
        .map_err(draft_errors)?;
    let baseline = match body.baseline.as_deref() {
        None => Baseline::Recorded,
        Some(text) => Baseline::parse(text).map_err(|m| AppError::invalid("baseline", m))?,
    };
    let saved = simulation::run(state.store.as_ref(), caller, &draft, baseline, scope)
        .await
        .map_err(|e| match e {
            service::ServiceError::Draft(errors) => draft_errors(errors),
            other => other.into(),
        })?;
    crate::ops::metrics().simulation(saved.summary.events_scanned, saved.elapsed);
    let mut response =
        serde_json::to_value(&saved.summary).map_err(|e| AppError::Internal(e.to_string()))?;
    response["simulation_id"] = json!(saved.id);
    response["created_at"] = json!(saved.created_at);
    response["elapsed_ms"] = json!(saved.elapsed.as_secs_f64() * 1000.0);
    Ok(Json(response))
}

/// `POST /v1/policy/simulate/batch`: over a dataset or a list of traces.
#[utoipa::path(post, path = "/v1/policy/simulate/batch", tag = "simulation", summary = "Simulate a draft over a dataset or trace ids", request_body = SimulateBody, responses((status = 200, description = "OK"), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 404, description = "Not found in this project", body = ErrorBody), (status = 422, description = "Invalid, naming the field", body = ErrorBody)), security(("bearer" = [])))]
pub async fn batch(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SimulateBody>,
) -> ApiResult<Json<Value>> {
    let scope = Scope::batch(body.dataset_id.clone(), body.trace_ids.clone())?;
    run(&state, &caller, body, scope).await
}

/// `POST /v1/policy/simulate`: over the project's recorded events in a time window.
#[utoipa::path(post, path = "/v1/policy/simulate", tag = "simulation", summary = "Simulate a draft over recorded events in a time window", request_body = SimulateBody, responses((status = 200, description = "OK"), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 422, description = "Invalid, naming the field", body = ErrorBody)), security(("bearer" = [])))]
pub async fn window(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SimulateBody>,
) -> ApiResult<Json<Value>> {
    if body.dataset_id.is_some() || body.trace_ids.is_some() {
        return Err(AppError::invalid(
            "dataset_id",
            "use /v1/policy/simulate/batch for datasets and trace lists",
        ));
    }
    let scope = Scope::Window {
        since_micros: parse_time("since", body.since.as_deref())?,
        until_micros: parse_time("until", body.until.as_deref())?,
    };
    run(&state, &caller, body, scope).await
}

/// `GET /v1/policy/simulations/{id}`.
#[utoipa::path(get, path = "/v1/policy/simulations/{id}", tag = "simulation", summary = "A stored simulation run", params(("id" = String, Path)), responses((status = 200, description = "OK"), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 404, description = "Not found in this project", body = ErrorBody)), security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<store::Simulation>> {
    Ok(Json(
        simulation::stored_raw(state.store.as_ref(), &caller, &id).await?,
    ))
}
