//! Authoritative batch simulation: one implementation for `POST /v1/policy/simulate*`
//! and the dashboard's "Simulate" button. It streams the scope's events from the store
//! through the `policy` simulator, keeps the run, and returns it with its id.
use futures::StreamExt;
use policy::{CompiledPolicy, FieldError, SimulationSummary, Simulator, Subject};
use serde_json::{json, Value};

/// Most trace ids one run may list.
pub const MAX_TRACE_IDS: usize = 10_000;

/// Why a simulation did not run.
#[derive(Debug)]
pub enum SimulationError {
    /// The draft is invalid; fields are relative to the draft (`kind`, `rules[0].action`).
    Draft(Vec<FieldError>),
    /// A request field is wrong (`dataset_id`, `trace_ids`).
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The dataset does not exist in this project.
    NotFound(String),
    Store(store::StoreError),
}

impl From<store::StoreError> for SimulationError {
    fn from(err: store::StoreError) -> Self {
        match err {
            store::StoreError::NotFound => SimulationError::NotFound("not found".to_string()),
            other => SimulationError::Store(other),
        }
    }
}

/// A kept run.
#[derive(Debug, Clone)]
pub struct SavedSimulation {
    pub id: String,
    pub created_at: store::Timestamp,
    pub summary: SimulationSummary,
    /// Time spent scanning and simulating (not saving).
    pub elapsed: std::time::Duration,
}

/// Checks a batch scope: exactly one of a dataset (which must exist: an unknown one is
/// `NotFound`, not zero events) or a list of trace ids.
pub async fn batch_scope(
    store: &dyn store::Store,
    project_id: &str,
    dataset_id: Option<&str>,
    trace_ids: Option<&[String]>,
) -> Result<store::EventScan, SimulationError> {
    match (dataset_id, trace_ids) {
        (Some(_), Some(_)) => Err(SimulationError::Invalid {
            field: "dataset_id",
            message: "give dataset_id or trace_ids, not both".to_string(),
        }),
        (Some(id), None) => {
            // Only its existence matters here: the dataset's detail (a summary of every
            // pinned trace) cost more than the simulation itself (BENCHMARKS.md).
            if !store
                .list_datasets(project_id)
                .await?
                .iter()
                .any(|d| d.id == id)
            {
                return Err(store::StoreError::NotFound.into());
            }
            Ok(store::EventScan::Dataset(id.to_string()))
        }
        (None, Some(ids)) if ids.len() > MAX_TRACE_IDS => Err(SimulationError::Invalid {
            field: "trace_ids",
            message: format!("at most {MAX_TRACE_IDS}"),
        }),
        (None, Some(ids)) => Ok(store::EventScan::Traces(ids.to_vec())),
        (None, None) => Err(SimulationError::Invalid {
            field: "dataset_id",
            message: "give dataset_id or trace_ids".to_string(),
        }),
    }
}

/// What is stored as a run's `request` (the permalink shows it back).
pub fn request_record(
    draft: &Value,
    trace_ids: Option<&[String]>,
    dataset_id: Option<&str>,
    since: Option<&str>,
    until: Option<&str>,
    baseline: &str,
) -> Value {
    json!({
        "draft": draft,
        "trace_ids": trace_ids,
        "dataset_id": dataset_id,
        "since": since,
        "until": until,
        "baseline": baseline,
    })
}

/// Replays the scope's events under `draft` and saves the run. With a `baseline`
/// policy, events are compared with its verdicts instead of the recorded ones.
pub async fn run(
    store: &dyn store::Store,
    project_id: &str,
    draft: &Value,
    baseline: Option<&CompiledPolicy>,
    scan: store::EventScan,
    request: Value,
) -> Result<SavedSimulation, SimulationError> {
    let (compiled, unmatched) =
        crate::draft::compile_draft(draft).map_err(SimulationError::Draft)?;
    let started = std::time::Instant::now();
    let mut simulator = Simulator::new(&compiled, unmatched);
    let mut events = store.scan_events(project_id, scan);
    while let Some(event) = events.next().await {
        let mut event = event?;
        if let Some(active) = baseline {
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
    let summary_json = serde_json::to_value(&summary)
        .map_err(|e| SimulationError::Store(store::StoreError::Database(e.to_string())))?;
    let saved = store
        .save_simulation(project_id, request, summary_json)
        .await?;
    Ok(SavedSimulation {
        id: saved.id,
        created_at: saved.created_at,
        summary,
        elapsed,
    })
}
