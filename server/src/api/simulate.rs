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
    /// A version of the dataset (`GET /v1/datasets/{id}/versions`); its current one
    /// when absent.
    #[schema(minimum = 1)]
    #[serde(default, deserialize_with = "super::extract::whole::option")]
    pub dataset_version: Option<i64>,
    /// Only for `/v1/policy/simulate` (documented there): a batch refuses them.
    #[schema(ignore)]
    pub since: Option<String>,
    #[schema(ignore)]
    pub until: Option<String>,
    /// `recorded` (default): compare with what happened. `active_policy`: with the
    /// verdicts the current active rule set gives.
    pub baseline: Option<String>,
}

/// `POST /v1/policy/simulate`'s body, for the OpenAPI document: the handler reads a
/// [`SimulateBody`] and refuses its batch fields, naming the endpoint that takes them.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SimulateWindowBody {
    #[schema(value_type = Object)]
    draft: Value,
    /// Events at or after this time (RFC 3339); the project's oldest when absent.
    since: Option<String>,
    /// Events before this time (RFC 3339); now when absent.
    until: Option<String>,
    /// `recorded` (default): compare with what happened. `active_policy`: with the
    /// verdicts the current active rule set gives.
    baseline: Option<String>,
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
    answer(saved)
}

/// A run as the simulate endpoints answer it: the summary (numbers, transitions,
/// samples, expectations, reviewed calls, digest), the run's id, and the scope as it
/// resolved.
fn answer(saved: simulation::SavedSimulation) -> ApiResult<Json<Value>> {
    crate::ops::metrics().simulation(saved.summary.events_scanned, saved.elapsed);
    let mut response =
        serde_json::to_value(&saved.summary).map_err(|e| AppError::Internal(e.to_string()))?;
    response["simulation_id"] = json!(saved.id);
    response["created_at"] = json!(saved.created_at);
    response["elapsed_ms"] = json!(saved.elapsed.as_secs_f64() * 1000.0);
    response["dataset_version"] = json!(saved.request.dataset_version);
    response["traces_in_scope"] = json!(saved.request.traces_in_scope);
    response["rerun_of"] = json!(saved.request.rerun_of);
    Ok(Json(response))
}

/// `POST /v1/policy/simulate/batch`: over a dataset or a list of traces.
#[utoipa::path(post, path = "/v1/policy/simulate/batch", tag = "simulation", summary = "Simulate a draft over a dataset or trace ids", request_body = SimulateBody, responses((status = 200, description = "OK"), (status = 404, description = "Not found in this project", body = ErrorBody)), security(("bearer" = [])))]
pub async fn batch(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SimulateBody>,
) -> ApiResult<Json<Value>> {
    if body.since.is_some() || body.until.is_some() {
        return Err(AppError::invalid(
            "since",
            "a batch runs over a dataset or trace list; use /v1/policy/simulate for a time window",
        ));
    }
    let scope = Scope::batch(
        body.dataset_id.clone(),
        body.dataset_version,
        body.trace_ids.clone(),
    )?;
    run(&state, &caller, body, scope).await
}

/// `POST /v1/policy/simulate`: over the project's recorded events in a time window.
#[utoipa::path(post, path = "/v1/policy/simulate", tag = "simulation", summary = "Simulate a draft over recorded events in a time window", request_body = SimulateWindowBody, responses((status = 200, description = "OK")), security(("bearer" = [])))]
pub async fn window(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<SimulateBody>,
) -> ApiResult<Json<Value>> {
    if body.dataset_id.is_some() || body.trace_ids.is_some() || body.dataset_version.is_some() {
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
#[utoipa::path(get, path = "/v1/policy/simulations/{id}", tag = "simulation", summary = "A stored simulation run: its receipt",
    description = "`{id, project_id, created_at, request, summary}`. `request` is what the run was made of, as it was then:                    the draft as given and normalised (`draft_rules`, `unmatched`), the baseline (`baseline`, and for                    `active_policy` its `baseline_version` and `baseline_rules`), the scope as resolved (`dataset_id`,                    `dataset_name`, `dataset_version`, `trace_ids`, `traces_in_scope`, or `since_micros`/`until_micros`),                    `evaluator_version` and `rerun_of`. `summary` holds the numbers, transitions, samples, `expectations`,                    `reviews` and the `digest` over draft, events and verdicts. Nothing in it changes afterwards.",
    params(("id" = String, Path)), responses((status = 200, description = "OK"), (status = 404, description = "Not found in this project", body = ErrorBody)), security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<store::Simulation>> {
    Ok(Json(
        simulation::stored_raw(state.store.as_ref(), &caller, &id).await?,
    ))
}

/// `POST /v1/policy/simulations/{id}/rerun`.
#[utoipa::path(post, path = "/v1/policy/simulations/{id}/rerun", tag = "simulation", summary = "Run a stored simulation again",
    description = "The same draft and baseline over the run's scope as it is now (a dataset's current version, the same \
                   traces, the same window), kept as a new run whose `rerun_of` names the old one.",
    params(("id" = String, Path)), responses((status = 200, description = "OK"), (status = 404, description = "Not found in this project", body = ErrorBody)), security(("bearer" = [])))]
pub async fn rerun(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    answer(simulation::rerun(state.store.as_ref(), &caller, &id).await?)
}

/// Bytes of JSON lines sent at a time.
const EVENTS_CHUNK: usize = 64 * 1024;

/// `GET /v1/policy/simulations/{id}/events`.
#[utoipa::path(get, path = "/v1/policy/simulations/{id}/events", tag = "simulation", summary = "The events a stored run read, as JSON lines",
    description = "The run's fixtures: its scope read again exactly as recorded (the dataset version, the traces, the window), \
                   in the order the run read them, one `policy::Event` per line (`kind`, `tool`, `agent`, `cost_usd`, \
                   `timestamp`, `trace_id`, `span_id`, `recorded`). `preflight simulation verify --receipt R --events E` \
                   recomputes the receipt's digest over them: events deleted or re-sent since show as a digest that \
                   no longer matches. 409 for a dataset run made before dataset versions.",
    params(("id" = String, Path)), responses((status = 200, description = "JSON lines", content_type = "application/x-ndjson"), (status = 404, description = "Not found in this project", body = ErrorBody), (status = 409, description = "The run's scope cannot be read again", body = ErrorBody)), security(("bearer" = [])))]
pub async fn events(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<axum::response::Response> {
    use axum::http::header;
    use futures::StreamExt;
    let run = simulation::stored(state.store.as_ref(), &caller, &id).await?;
    // Refused before anything is sent (a scope that cannot be told).
    drop(simulation::receipt_events(
        state.store.as_ref(),
        &caller,
        &run,
    )?);
    let (lines, inbox) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let (store, caller) = (state.store.clone(), caller.0.clone());
    let filename = format!("events-{}.jsonl", super::replay::sanitize(&run.id));
    tokio::spawn(async move {
        let Ok(mut events) = simulation::receipt_events(store.as_ref(), &caller, &run) else {
            return;
        };
        let mut buf = Vec::with_capacity(EVENTS_CHUNK + 1024);
        while let Some(event) = events.next().await {
            let written = event
                .map_err(|e| std::io::Error::other(e.to_string()))
                .and_then(|e| serde_json::to_writer(&mut buf, &e).map_err(std::io::Error::other));
            if let Err(e) = written {
                let _ = lines.send(Err(e)).await;
                return;
            }
            buf.push(b'\n');
            if buf.len() >= EVENTS_CHUNK {
                let full = std::mem::replace(&mut buf, Vec::with_capacity(EVENTS_CHUNK + 1024));
                if lines.send(Ok(full)).await.is_err() {
                    return; // the client went away
                }
            }
        }
        if !buf.is_empty() {
            let _ = lines.send(Ok(buf)).await;
        }
    });
    // Fused: a body may be polled again after its end (the compression layer does),
    // which an unfused `unfold` answers with a panic.
    let body = futures::stream::unfold(inbox, |mut inbox| async move {
        inbox.recv().await.map(|chunk| (chunk, inbox))
    })
    .fuse();
    let disposition = format!("attachment; filename=\"{filename}\"");
    axum::response::Response::builder()
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .header(header::CONTENT_DISPOSITION, disposition)
        .body(axum::body::Body::from_stream(body))
        .map_err(|e| AppError::Internal(e.to_string()))
}
