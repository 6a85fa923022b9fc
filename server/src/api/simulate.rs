//! Authoritative simulation: replay a draft over the caller's stored events, keep the
//! run, and serve it back by id (the dashboard's permalinks).
use app::server::simulation::{self, request_record, SimulationError};
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

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

fn simulation_error(err: SimulationError) -> AppError {
    match err {
        SimulationError::Draft(errors) => draft_errors(errors),
        SimulationError::Invalid { field, message } => AppError::invalid(field, message),
        SimulationError::NotFound(message) => AppError::NotFound(message),
        SimulationError::Store(e) => AppError::from(e),
    }
}

/// The run itself is shared with the dashboard's "Simulate" (`app::server::simulation`).
async fn run(
    state: &AppState,
    caller: &Caller,
    body: &SimulateBody,
    scan: store::EventScan,
) -> ApiResult<Json<Value>> {
    let project = caller.project.id.as_str();
    // The draft is judged first, so its errors come before the baseline's.
    app::draft::compile_draft(&body.draft).map_err(draft_errors)?;
    let baseline = match body.baseline.as_deref() {
        None | Some("recorded") => None,
        Some("active_policy") => Some(
            super::policies::active_rule_set(state, project)
                .await?
                .1
                .compile()?,
        ),
        Some(other) => {
            return Err(AppError::invalid(
                "baseline",
                format!("unknown baseline {other:?}; expected recorded or active_policy"),
            ))
        }
    };
    let request = request_record(
        &body.draft,
        body.trace_ids.as_deref(),
        body.dataset_id.as_deref(),
        body.since.as_deref(),
        body.until.as_deref(),
        body.baseline.as_deref().unwrap_or("recorded"),
    );
    let saved = simulation::run(
        state.store.as_ref(),
        project,
        &body.draft,
        baseline.as_ref(),
        scan,
        request,
    )
    .await
    .map_err(simulation_error)?;
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
    let scan = simulation::batch_scope(
        state.store.as_ref(),
        &caller.project.id,
        body.dataset_id.as_deref(),
        body.trace_ids.as_deref(),
    )
    .await
    .map_err(simulation_error)?;
    run(&state, &caller, &body, scan).await
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
    let scan = store::EventScan::Window {
        since_micros: parse_time("since", body.since.as_deref())?,
        until_micros: parse_time("until", body.until.as_deref())?,
    };
    run(&state, &caller, &body, scan).await
}

/// `GET /v1/policy/simulations/{id}`.
#[utoipa::path(get, path = "/v1/policy/simulations/{id}", tag = "simulation", summary = "A stored simulation run", params(("id" = String, Path)), responses((status = 200, description = "OK"), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 404, description = "Not found in this project", body = ErrorBody)), security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<store::Simulation>> {
    Ok(Json(state.store.simulation(&caller.project.id, &id).await?))
}
