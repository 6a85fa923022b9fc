//! Authoritative simulation: one implementation for `POST /v1/policy/simulate*`, the
//! "Run draft policy" modal's **Simulate**, the simulator page and the policies page's
//! **Run on the server**. A run streams its scope's events from the store through the
//! `policy` crate's simulator, is kept with a typed record of what it ran on, and is
//! served back by id (the permalinks). The in-browser preview loads the same stream
//! through [`preview_events`].
use futures::StreamExt;
use policy::{Baseline, Draft, SimulationSummary, Simulator, Subject};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{datasets, policies, Caller, Permission, ServiceError, ServiceResult, Store};

/// Most trace ids one run may list.
pub const MAX_TRACE_IDS: usize = 10_000;
/// Events handed to the simulator at a time, and how many such chunks may wait.
const CHUNK: usize = 1_024;
const CHUNKS_IN_FLIGHT: usize = 4;

/// Most events the browser preview loads; beyond this only the server's run counts
/// them all.
pub const PREVIEW_EVENT_LIMIT: usize = 50_000;

/// The events a run replays.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    /// The traces pinned in a dataset.
    Dataset(String),
    /// A list of traces.
    Traces(Vec<String>),
    /// Every event in a time window (microseconds; open ends are unbounded).
    Window {
        since_micros: Option<i64>,
        until_micros: Option<i64>,
    },
}

impl Scope {
    /// A batch scope: exactly one of a dataset or a list of trace ids.
    pub fn batch(
        dataset_id: Option<String>,
        trace_ids: Option<Vec<String>>,
    ) -> ServiceResult<Scope> {
        match (dataset_id, trace_ids) {
            (Some(_), Some(_)) => Err(ServiceError::invalid(
                "dataset_id",
                "give dataset_id or trace_ids, not both",
            )),
            (Some(id), None) => Ok(Scope::Dataset(id)),
            (None, Some(ids)) => Ok(Scope::Traces(ids)),
            (None, None) => Err(ServiceError::invalid(
                "dataset_id",
                "give dataset_id or trace_ids",
            )),
        }
    }

    /// A window ending now.
    pub fn window(window: policy::TimeWindow, now_micros: i64) -> Scope {
        Scope::Window {
            since_micros: window.since(now_micros),
            until_micros: None,
        }
    }

    /// Checks the scope against the project: a dataset must exist (an unknown one is
    /// `NotFound`, not zero events), a trace list is bounded.
    pub async fn checked(self, store: &Store, caller: &Caller) -> ServiceResult<store::EventScan> {
        match self {
            Scope::Dataset(id) => {
                if !datasets::exists(store, caller, &id).await? {
                    return Err(ServiceError::NotFound(format!(
                        "no dataset {id:?} in this project"
                    )));
                }
                Ok(store::EventScan::Dataset(id))
            }
            Scope::Traces(ids) if ids.len() > MAX_TRACE_IDS => Err(ServiceError::invalid(
                "trace_ids",
                format!("at most {MAX_TRACE_IDS}"),
            )),
            Scope::Traces(ids) => Ok(store::EventScan::Traces(ids)),
            Scope::Window {
                since_micros,
                until_micros,
            } => Ok(store::EventScan::Window {
                since_micros,
                until_micros,
            }),
        }
    }
}

/// What a stored run records about the request (the permalink shows it back).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SimulationRequest {
    /// The draft as given.
    #[serde(default)]
    pub draft: Value,
    #[serde(default)]
    pub trace_ids: Option<Vec<String>>,
    #[serde(default)]
    pub dataset_id: Option<String>,
    /// The window's bounds, RFC 3339.
    #[serde(default)]
    pub since: Option<String>,
    #[serde(default)]
    pub until: Option<String>,
    #[serde(default)]
    pub baseline: Baseline,
}

impl SimulationRequest {
    fn new(draft: &Draft, scope: &Scope, baseline: Baseline) -> SimulationRequest {
        // Whole seconds, as people read and type them; the scan itself used the micros.
        let text = |micros: Option<i64>| {
            micros.and_then(|m| {
                chrono::DateTime::from_timestamp_micros(m)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            })
        };
        let mut request = SimulationRequest {
            draft: draft.value.clone(),
            baseline,
            ..SimulationRequest::default()
        };
        match scope {
            Scope::Dataset(id) => request.dataset_id = Some(id.clone()),
            Scope::Traces(ids) => request.trace_ids = Some(ids.clone()),
            Scope::Window {
                since_micros,
                until_micros,
            } => {
                request.since = text(*since_micros);
                request.until = text(*until_micros);
            }
        }
        request
    }
}

/// A run just made and kept.
#[derive(Debug, Clone)]
pub struct SavedSimulation {
    pub id: String,
    pub created_at: store::Timestamp,
    pub summary: SimulationSummary,
    /// Time spent scanning and simulating (not saving).
    pub elapsed: std::time::Duration,
}

/// Replays the scope's events under `draft`, compared with `baseline`, and keeps the
/// run. Reading, not changing: any caller who may read the project may run one.
pub async fn run(
    store: &Store,
    caller: &Caller,
    draft: &Draft,
    baseline: Baseline,
    scope: Scope,
) -> ServiceResult<SavedSimulation> {
    caller.require(Permission::Read)?;
    let active = match baseline {
        Baseline::Recorded => None,
        Baseline::ActivePolicy => Some(policies::active_compiled(store, caller).await?),
    };
    let request = SimulationRequest::new(draft, &scope, baseline);
    let scan = scope.checked(store, caller).await?;
    let project = caller.project_id();
    let started = std::time::Instant::now();
    // Evaluating every event is the CPU work: it runs on the blocking pool
    // (`blocking::run`), fed chunks of events read here, so this task only waits on
    // the store and the channel.
    let (chunks, mut inbox) = tokio::sync::mpsc::channel::<Vec<policy::Event>>(CHUNKS_IN_FLIGHT);
    let (compiled, unmatched) = (draft.compiled.clone(), draft.unmatched);
    let simulate = crate::blocking::run(move || {
        let mut simulator = Simulator::new(&compiled, unmatched);
        while let Some(chunk) = inbox.blocking_recv() {
            for mut event in chunk {
                if let Some(active) = &active {
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
        }
        simulator.finish()
    });
    let feed = async move {
        let mut events = store.scan_events(project, scan);
        let mut chunk = Vec::with_capacity(CHUNK);
        while let Some(event) = events.next().await {
            chunk.push(event?);
            if chunk.len() == CHUNK {
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                if chunks.send(full).await.is_err() {
                    return Ok(()); // the simulator stopped: its error says why
                }
            }
        }
        if !chunk.is_empty() {
            let _ = chunks.send(chunk).await;
        }
        // Dropping `chunks` here ends the simulator's loop.
        Ok::<(), ServiceError>(())
    };
    let (summary, fed) = futures::future::join(simulate, feed).await;
    fed?;
    let summary = summary?;
    let elapsed = started.elapsed();
    let encode = |v: Result<Value, serde_json::Error>| {
        v.map_err(|e| ServiceError::Internal(format!("cannot encode the run: {e}")))
    };
    let saved = store
        .save_simulation(
            project,
            encode(serde_json::to_value(&request))?,
            encode(serde_json::to_value(&summary))?,
        )
        .await?;
    Ok(SavedSimulation {
        id: saved.id,
        created_at: saved.created_at,
        summary,
        elapsed,
    })
}

/// A kept run as the permalink shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRun {
    pub id: String,
    pub created_at: store::Timestamp,
    pub request: SimulationRequest,
    pub summary: SimulationSummary,
    /// The dataset it ran on, while it exists.
    pub dataset: Option<store::Dataset>,
    /// Traces in scope: the dataset's pinned traces, or the listed ones.
    pub trace_count: usize,
}

/// A kept run, raw (as stored).
pub async fn stored_raw(
    store: &Store,
    caller: &Caller,
    id: &str,
) -> ServiceResult<store::Simulation> {
    caller.require(Permission::Read)?;
    store
        .simulation(caller.project_id(), id)
        .await
        .map_err(ServiceError::not_found(format!(
            "no simulation {id:?} in this project"
        )))
}

/// A kept run, read back.
pub async fn stored(store: &Store, caller: &Caller, id: &str) -> ServiceResult<StoredRun> {
    caller.require(Permission::Read)?;
    let sim = stored_raw(store, caller, id).await?;
    let summary: SimulationSummary = serde_json::from_value(sim.summary)
        .map_err(|e| ServiceError::Internal(format!("stored run {id} is unreadable: {e}")))?;
    let request: SimulationRequest = serde_json::from_value(sim.request)
        .map_err(|e| ServiceError::Internal(format!("stored run {id} is unreadable: {e}")))?;
    let dataset = match &request.dataset_id {
        Some(did) => match datasets::find(store, caller, did).await {
            Ok(d) => Some(d),
            Err(ServiceError::NotFound(_)) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    let trace_count = match (&dataset, &request.trace_ids) {
        (Some(d), _) => usize::try_from(d.item_count).unwrap_or(0),
        (None, Some(ids)) => ids.len(),
        _ => 0,
    };
    Ok(StoredRun {
        id: sim.id,
        created_at: sim.created_at,
        request,
        summary,
        dataset,
        trace_count,
    })
}

/// A scope's events as the simulator sees them, for the in-browser preview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewEvents {
    pub events: Vec<policy::Event>,
    /// More events were in scope than [`PREVIEW_EVENT_LIMIT`]: `events` holds the
    /// last ones (the most recent of a window).
    pub truncated: bool,
}

/// The scope's events for the preview: the same stream a run reads, the last
/// [`PREVIEW_EVENT_LIMIT`] of them (for a window, the most recent).
pub async fn preview_events(
    store: &Store,
    caller: &Caller,
    scope: Scope,
) -> ServiceResult<PreviewEvents> {
    caller.require(Permission::Read)?;
    preview_events_within(store, caller, scope, PREVIEW_EVENT_LIMIT).await
}

/// [`preview_events`] keeping at most `limit` events.
pub async fn preview_events_within(
    store: &Store,
    caller: &Caller,
    scope: Scope,
    limit: usize,
) -> ServiceResult<PreviewEvents> {
    caller.require(Permission::Read)?;
    let scan = scope.checked(store, caller).await?;
    let mut stream = store.scan_events(caller.project_id(), scan);
    let mut events = std::collections::VecDeque::new();
    let mut truncated = false;
    while let Some(event) = stream.next().await {
        if events.len() >= limit {
            events.pop_front();
            truncated = true;
        }
        events.push_back(event?);
    }
    Ok(PreviewEvents {
        events: events.into(),
        truncated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_scopes_take_exactly_one() {
        assert_eq!(
            Scope::batch(Some("d".into()), None),
            Ok(Scope::Dataset("d".into()))
        );
        assert!(Scope::batch(Some("d".into()), Some(vec![])).is_err());
        assert!(Scope::batch(None, None).is_err());
    }

    #[test]
    fn records_read_back_old_and_new_runs() {
        // Runs stored before the record was typed: the same keys, written by `json!`.
        let old = serde_json::json!({"draft": {"kind": "block", "pattern": "x"},
            "trace_ids": null, "dataset_id": "d1", "since": null, "until": null,
            "baseline": "active_policy"});
        let read: SimulationRequest = serde_json::from_value(old).unwrap_or_default();
        assert_eq!(read.dataset_id.as_deref(), Some("d1"));
        assert_eq!(read.baseline, Baseline::ActivePolicy);
        let draft = Draft::from_value(serde_json::json!({"kind": "block", "pattern": "x"}))
            .map_err(|e| policy::join_errors(&e));
        let draft = draft.unwrap_or_else(|e| unreachable!("{e}"));
        let record = SimulationRequest::new(
            &draft,
            &Scope::Window {
                since_micros: Some(0),
                until_micros: None,
            },
            Baseline::Recorded,
        );
        assert_eq!(record.since.as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(record.draft, draft.value);
    }
}
