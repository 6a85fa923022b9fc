//! Authoritative simulation: replay a draft over the caller's stored events, keep the
//! run, and serve it back by id (the dashboard's permalinks).
use axum::extract::{Path, State};
use axum::Json;
use futures::StreamExt;
use policy::{CompiledPolicy, RuleSet, Simulator, Subject, Unmatched};
use serde::Deserialize;
use serde_json::{json, Value};

use super::read::parse_time;
use super::{ApiJson, ApiResult, AppError, AppState, Caller, ErrorBody};

const MAX_TRACE_IDS: usize = 10_000;

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

/// A draft that is a whole rule set replaces the active one (unmatched → allowed);
/// a single rule is layered over the baseline (unmatched events keep it).
fn parse_draft(draft: &Value) -> ApiResult<(CompiledPolicy, Unmatched)> {
    let whole_set = draft.is_array() || draft.get("rules").is_some();
    let set = RuleSet::from_value(draft).map_err(|errors| {
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
    })?;
    let unmatched = if whole_set {
        Unmatched::Allowed
    } else {
        Unmatched::KeepRecorded
    };
    Ok((set.compile()?, unmatched))
}

async fn run(
    state: &AppState,
    caller: &Caller,
    body: &SimulateBody,
    scan: store::EventScan,
) -> ApiResult<Json<Value>> {
    let project = caller.project.id.as_str();
    let (draft, unmatched) = parse_draft(&body.draft)?;
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
    let started = std::time::Instant::now();
    let mut simulator = Simulator::new(&draft, unmatched);
    let mut events = state.store.scan_events(project, scan);
    while let Some(event) = events.next().await {
        let mut event = event?;
        if let Some(active) = &baseline {
            event.recorded = active
                .evaluate(&Subject {
                    tool: &event.tool,
                    agent: event.agent.as_deref(),
                    cost_usd: event.cost_usd,
                })
                .verdict;
        }
        simulator.push(&event);
    }
    drop(events);
    let summary = simulator.finish();
    let elapsed = started.elapsed();
    crate::ops::metrics().simulation(summary.events_scanned, elapsed);
    let elapsed_ms = elapsed.as_secs_f64() * 1000.0;
    let request = serde_json::to_value(body_for_storage(body)).unwrap_or(Value::Null);
    let summary_json =
        serde_json::to_value(&summary).map_err(|e| AppError::Internal(e.to_string()))?;
    let saved = state
        .store
        .save_simulation(project, request, summary_json.clone())
        .await?;
    let mut response = summary_json;
    response["simulation_id"] = json!(saved.id);
    response["created_at"] = json!(saved.created_at);
    response["elapsed_ms"] = json!(elapsed_ms);
    Ok(Json(response))
}

fn body_for_storage(body: &SimulateBody) -> Value {
    json!({
        "draft": body.draft,
        "trace_ids": body.trace_ids,
        "dataset_id": body.dataset_id,
        "since": body.since,
        "until": body.until,
        "baseline": body.baseline.as_deref().unwrap_or("recorded"),
    })
}

/// `POST /v1/policy/simulate/batch`: over a dataset or a list of traces.
#[utoipa::path(post, path = "/v1/policy/simulate/batch", tag = "simulation", summary = "Simulate a draft over a dataset or trace ids", request_body = SimulateBody, responses((status = 200, description = "OK"), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 404, description = "Not found in this project", body = ErrorBody), (status = 422, description = "Invalid, naming the field", body = ErrorBody)), security(("bearer" = [])))]
pub async fn batch(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SimulateBody>,
) -> ApiResult<Json<Value>> {
    let scan = match (&body.dataset_id, &body.trace_ids) {
        (Some(_), Some(_)) => {
            return Err(AppError::invalid(
                "dataset_id",
                "give dataset_id or trace_ids, not both",
            ))
        }
        (Some(id), None) => {
            // 404 for an unknown (or another project's) dataset, rather than 0 events.
            state.store.dataset(&caller.project.id, id).await?;
            store::EventScan::Dataset(id.clone())
        }
        (None, Some(ids)) if ids.len() > MAX_TRACE_IDS => {
            return Err(AppError::invalid(
                "trace_ids",
                format!("at most {MAX_TRACE_IDS}"),
            ))
        }
        (None, Some(ids)) => store::EventScan::Traces(ids.clone()),
        (None, None) => {
            return Err(AppError::invalid(
                "dataset_id",
                "give dataset_id or trace_ids",
            ))
        }
    };
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
