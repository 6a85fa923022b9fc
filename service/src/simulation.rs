//! Authoritative simulation: one implementation for `POST /v1/policy/simulate*`, the
//! "Run draft policy" modal's **Simulate**, the simulator page and the policies page's
//! **Run on the server**. A run streams its scope's events from the store through the
//! `policy` crate's simulator, is kept with a typed record of what it ran on, and is
//! served back by id (the permalinks). The in-browser preview loads the same stream
//! through [`preview_events`].
use futures::StreamExt;
use policy::{
    Baseline, Draft, ExpectationSet, RuleSet, SimulationSummary, Simulator, Subject, Unmatched,
};
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
    /// The traces pinned in a version of a dataset (the current one when `None`).
    Dataset { id: String, version: Option<i64> },
    /// A list of traces.
    Traces(Vec<String>),
    /// Every event in a time window (microseconds; open ends are unbounded).
    Window {
        since_micros: Option<i64>,
        until_micros: Option<i64>,
    },
}

impl Scope {
    /// The current version of a dataset.
    pub fn dataset(id: impl Into<String>) -> Scope {
        Scope::Dataset {
            id: id.into(),
            version: None,
        }
    }

    /// A batch scope: exactly one of a dataset (optionally one of its versions) or a
    /// list of trace ids.
    pub fn batch(
        dataset_id: Option<String>,
        dataset_version: Option<i64>,
        trace_ids: Option<Vec<String>>,
    ) -> ServiceResult<Scope> {
        match (dataset_id, trace_ids) {
            (Some(_), Some(_)) => Err(ServiceError::invalid(
                "dataset_id",
                "give dataset_id or trace_ids, not both",
            )),
            (Some(id), None) => {
                if dataset_version.is_some_and(|v| v < 1) {
                    return Err(ServiceError::invalid(
                        "dataset_version",
                        "versions are numbered from 1",
                    ));
                }
                Ok(Scope::Dataset {
                    id,
                    version: dataset_version,
                })
            }
            (None, _) if dataset_version.is_some() => Err(ServiceError::invalid(
                "dataset_version",
                "only with dataset_id",
            )),
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

    /// Checks the scope against the project and pins it down: a dataset must exist
    /// (an unknown one is `NotFound`, not zero events) and is read at one version, a
    /// trace list is bounded.
    pub async fn resolve(self, store: &Store, caller: &Caller) -> ServiceResult<Resolved> {
        match self {
            Scope::Dataset { id, version } => {
                let dataset = datasets::find(store, caller, &id).await?;
                let members = datasets::members(store, caller, &id, version).await?;
                Ok(Resolved {
                    scan: store::EventScan::DatasetVersion {
                        id: id.clone(),
                        version: members.version,
                    },
                    dataset: Some((dataset, members)),
                    trace_ids: None,
                    window: None,
                })
            }
            Scope::Traces(ids) if ids.len() > MAX_TRACE_IDS => Err(ServiceError::invalid(
                "trace_ids",
                format!("at most {MAX_TRACE_IDS}"),
            )),
            Scope::Traces(ids) => Ok(Resolved {
                scan: store::EventScan::Traces(ids.clone()),
                dataset: None,
                trace_ids: Some(ids),
                window: None,
            }),
            Scope::Window {
                since_micros,
                until_micros,
            } => Ok(Resolved {
                scan: store::EventScan::Window {
                    since_micros,
                    until_micros,
                },
                dataset: None,
                trace_ids: None,
                window: Some((since_micros, until_micros)),
            }),
        }
    }
}

/// A scope as a run pinned it down.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub scan: store::EventScan,
    /// The dataset and the members of the version read.
    pub dataset: Option<(store::Dataset, store::DatasetMembers)>,
    pub trace_ids: Option<Vec<String>>,
    pub window: Option<(Option<i64>, Option<i64>)>,
}

/// What a stored run records besides its summary: everything its permalink shows and
/// `preflight simulation verify` needs, as it was when the run was made. Runs stored
/// before receipts carry only the first six fields (the rest read as `None`).
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
    /// The draft normalised (precedence and rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft_rules: Option<RuleSet>,
    /// What happened to events the draft did not decide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unmatched: Option<Unmatched>,
    /// The dataset's name and version when the run was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_version: Option<i64>,
    /// Traces in scope: the dataset version's members, or the listed traces (`None`
    /// for a window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traces_in_scope: Option<u64>,
    /// The window's bounds as scanned (microseconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_micros: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_micros: Option<i64>,
    /// For an `active_policy` baseline: the version and its rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_rules: Option<RuleSet>,
    /// `policy::EVALUATOR_VERSION` of the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluator_version: Option<String>,
    /// The run this one ran again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rerun_of: Option<String>,
}

impl SimulationRequest {
    fn new(
        draft: &Draft,
        resolved: &Resolved,
        baseline: Baseline,
        active: Option<&policies::ActivePolicy>,
    ) -> SimulationRequest {
        // Whole seconds, as people read and type them; the scan used the micros.
        let text = |micros: Option<i64>| {
            micros.and_then(|m| {
                chrono::DateTime::from_timestamp_micros(m)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            })
        };
        let mut request = SimulationRequest {
            draft: draft.value.clone(),
            baseline,
            draft_rules: Some(draft.rules.clone()),
            unmatched: Some(draft.unmatched),
            baseline_version: active.map(|a| a.version.version),
            baseline_rules: active.map(|a| a.set.clone()),
            evaluator_version: Some(policy::EVALUATOR_VERSION.to_string()),
            ..SimulationRequest::default()
        };
        if let Some((dataset, members)) = &resolved.dataset {
            request.dataset_id = Some(dataset.id.clone());
            request.dataset_name = Some(dataset.name.clone());
            request.dataset_version = Some(members.version);
            request.traces_in_scope = Some(members.trace_ids.len() as u64);
            // The members themselves, while they are few enough to keep in a receipt.
            if members.trace_ids.len() <= MAX_TRACE_IDS {
                request.trace_ids = Some(members.trace_ids.clone());
            }
        }
        if let Some(ids) = &resolved.trace_ids {
            request.traces_in_scope = Some(ids.len() as u64);
            request.trace_ids = Some(ids.clone());
        }
        if let Some((since, until)) = resolved.window {
            request.since = text(since);
            request.until = text(until);
            request.since_micros = since;
            request.until_micros = until;
        }
        request
    }

    /// The scope to run again: the dataset's current version, the same traces, or the
    /// same window.
    fn rerun_scope(&self) -> ServiceResult<Scope> {
        if let Some(id) = &self.dataset_id {
            return Ok(Scope::dataset(id.clone()));
        }
        if let Some(ids) = &self.trace_ids {
            return Ok(Scope::Traces(ids.clone()));
        }
        let micros = |exact: Option<i64>, text: &Option<String>| {
            exact.or_else(|| {
                text.as_deref()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.timestamp_micros())
            })
        };
        Ok(Scope::Window {
            since_micros: micros(self.since_micros, &self.since),
            until_micros: micros(self.until_micros, &self.until),
        })
    }

    /// The scope exactly as this run read it: the dataset version, the traces, or the
    /// window (what its fixtures are exported from).
    pub fn scan(&self) -> Option<store::EventScan> {
        if let (Some(id), Some(version)) = (&self.dataset_id, self.dataset_version) {
            return Some(store::EventScan::DatasetVersion {
                id: id.clone(),
                version,
            });
        }
        if self.dataset_id.is_some() {
            return None; // a run from before dataset versions: its version is unknown
        }
        if let Some(ids) = &self.trace_ids {
            return Some(store::EventScan::Traces(ids.clone()));
        }
        Some(store::EventScan::Window {
            since_micros: self.since_micros,
            until_micros: self.until_micros,
        })
    }

    /// Runs made before receipts existed lack the record of their scope and baseline.
    pub fn is_receipt(&self) -> bool {
        self.evaluator_version.is_some()
    }
}

/// A run just made and kept.
#[derive(Debug, Clone)]
pub struct SavedSimulation {
    pub id: String,
    pub created_at: store::Timestamp,
    pub request: SimulationRequest,
    pub summary: SimulationSummary,
    /// Time spent scanning and simulating (not saving).
    pub elapsed: std::time::Duration,
}

/// Replays the scope's events under `draft`, compared with `baseline`, and keeps the
/// run as a receipt. Reading, not changing: any caller who may read the project may
/// run one.
pub async fn run(
    store: &Store,
    caller: &Caller,
    draft: &Draft,
    baseline: Baseline,
    scope: Scope,
) -> ServiceResult<SavedSimulation> {
    run_as(store, caller, draft, baseline, scope, None).await
}

/// Runs a stored run again: the same draft and baseline kind, over its scope as it is
/// now (a dataset's current version, the same traces, the same window), linked to it.
pub async fn rerun(store: &Store, caller: &Caller, id: &str) -> ServiceResult<SavedSimulation> {
    let old = stored(store, caller, id).await?;
    let value = old.request.draft.clone();
    let draft = crate::blocking::run(move || Draft::from_value(value))
        .await?
        .map_err(ServiceError::Draft)?;
    let scope = old.request.rerun_scope()?;
    run_as(
        store,
        caller,
        &draft,
        old.request.baseline,
        scope,
        Some(old.id),
    )
    .await
}

async fn run_as(
    store: &Store,
    caller: &Caller,
    draft: &Draft,
    baseline: Baseline,
    scope: Scope,
    rerun_of: Option<String>,
) -> ServiceResult<SavedSimulation> {
    caller.require(Permission::Read)?;
    let active = match baseline {
        Baseline::Recorded => None,
        Baseline::ActivePolicy => Some(policies::active(store, caller).await?),
    };
    let active_compiled = active.as_ref().map(|a| a.compile()).transpose()?;
    let blast_baseline = active_compiled.clone();
    let resolved = scope.resolve(store, caller).await?;
    // A dataset is a fixture: its runs report expectations (and the changes none
    // covers) even before any is set.
    let expectations: Option<ExpectationSet> = match &resolved.dataset {
        Some((dataset, _)) => Some(datasets::expectation_set(store, caller, &dataset.id).await?),
        None => None,
    };
    let reviews = policy::ReviewLabels::new(
        store
            .reviewed_events(caller.project_id(), resolved.scan.clone())
            .await?,
    );
    let mut request = SimulationRequest::new(draft, &resolved, baseline, active.as_ref());
    request.rerun_of = rerun_of;
    let header = policy::receipt_header(
        &draft.rules,
        draft.unmatched,
        request.baseline_rules.as_ref(),
    );
    let project = caller.project_id();
    let started = std::time::Instant::now();
    // Evaluating every event is the CPU work: it runs on the blocking pool
    // (`blocking::run`), fed chunks of events read here, so this task only waits on
    // the store and the channel.
    let (chunks, mut inbox) = tokio::sync::mpsc::channel::<Vec<policy::Event>>(CHUNKS_IN_FLIGHT);
    let (compiled, unmatched) = (draft.compiled.clone(), draft.unmatched);
    let simulate = crate::blocking::run(move || {
        let mut simulator = Simulator::new(&compiled, unmatched)
            .reviewed(&reviews)
            .digesting(&header)
            .covering();
        if let Some(set) = &expectations {
            simulator = simulator.expecting(set);
        }
        while let Some(chunk) = inbox.blocking_recv() {
            for mut event in chunk {
                if let Some(active) = &active_compiled {
                    event.recorded = baseline_verdict(active, &event);
                }
                simulator.push(&event);
            }
        }
        simulator.finish()
    });
    let scan = resolved.scan.clone();
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
    // The blast radius reads the store alongside the scan.
    let blast = blast_radius(store, caller, draft, blast_baseline);
    let (summary, fed, blast) = futures::future::join3(simulate, feed, blast).await;
    fed?;
    let mut summary = summary?;
    summary.blast_radius = Some(blast?);
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
        request,
        summary,
        elapsed,
    })
}

/// The project's calls of the last [`policy::BLAST_WINDOW_DAYS`] (whole UTC hours),
/// grouped by name, agent and recorded verdict, from the store's hourly rollups (the
/// browser decides a draft's blast radius over these as you type).
pub async fn seen_calls(store: &Store, caller: &Caller) -> ServiceResult<Vec<policy::SeenCall>> {
    caller.require(Permission::Read)?;
    let since = store::now_micros() - i64::from(policy::BLAST_WINDOW_DAYS) * 86_400_000_000;
    // One more than is read, so the report can say it was cut.
    Ok(store
        .seen_calls(caller.project_id(), since, policy::MAX_SEEN_CALLS + 1)
        .await?)
}

/// Every name seen lately whose verdict the draft would change, decided once per name
/// (against the active policy `baseline` for a whole rule set, else the recorded verdicts).
pub async fn blast_radius(
    store: &Store,
    caller: &Caller,
    draft: &Draft,
    baseline: Option<policy::CompiledPolicy>,
) -> ServiceResult<policy::BlastRadius> {
    let seen = seen_calls(store, caller).await?;
    let (compiled, unmatched) = (draft.compiled.clone(), draft.unmatched);
    crate::blocking::run(move || {
        policy::blast_radius(
            &compiled,
            unmatched,
            baseline.as_ref(),
            &seen,
            policy::BLAST_WINDOW_DAYS,
        )
    })
    .await
}

/// The verdict the baseline policy gives an event: what a whole rule set is compared
/// with (the same computation in `preflight simulation verify`).
pub fn baseline_verdict(active: &policy::CompiledPolicy, event: &policy::Event) -> policy::Verdict {
    active
        .evaluate(&Subject {
            tool: &event.tool,
            agent: event.agent.as_deref(),
            cost_usd: event.cost_usd,
        })
        .verdict
}

/// A kept run as the permalink shows it: only what was stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRun {
    pub id: String,
    pub created_at: store::Timestamp,
    pub request: SimulationRequest,
    pub summary: SimulationSummary,
}

impl StoredRun {
    /// Traces in scope as recorded (runs from before receipts: the listed traces, or
    /// unknown).
    pub fn traces_in_scope(&self) -> Option<u64> {
        self.request.traces_in_scope.or_else(|| {
            if self.request.dataset_id.is_some() {
                None
            } else {
                self.request.trace_ids.as_ref().map(|ids| ids.len() as u64)
            }
        })
    }
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
    Ok(StoredRun {
        id: sim.id,
        created_at: sim.created_at,
        request,
        summary,
    })
}

/// How the scope of a re-run differs from the run it repeated: traces added and
/// removed (from the two receipts' trace lists) and the dataset versions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScopeChange {
    pub from_version: Option<i64>,
    pub to_version: Option<i64>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

/// What changed in scope between a run and its re-run (`None` when a trace list is
/// missing from either receipt).
pub fn scope_change(before: &SimulationRequest, after: &SimulationRequest) -> Option<ScopeChange> {
    let (Some(old), Some(new)) = (&before.trace_ids, &after.trace_ids) else {
        return None;
    };
    let old_set: std::collections::HashSet<&String> = old.iter().collect();
    let new_set: std::collections::HashSet<&String> = new.iter().collect();
    Some(ScopeChange {
        from_version: before.dataset_version,
        to_version: after.dataset_version,
        added: new
            .iter()
            .filter(|t| !old_set.contains(t))
            .cloned()
            .collect(),
        removed: old
            .iter()
            .filter(|t| !new_set.contains(t))
            .cloned()
            .collect(),
    })
}

/// The events a stored run read, as it read them (its dataset version, its traces or
/// its window) and in the same order: the fixtures `preflight simulation verify`
/// recomputes the receipt over. Retention or re-sent spans since the run show as a
/// digest that no longer matches.
pub fn receipt_events<'a>(
    store: &'a Store,
    caller: &'a Caller,
    run: &StoredRun,
) -> ServiceResult<futures::stream::BoxStream<'a, Result<policy::Event, store::StoreError>>> {
    caller.require(Permission::Read)?;
    let scan = run.request.scan().ok_or_else(|| {
        ServiceError::Conflict(format!(
            "run {} was made before receipts recorded a dataset's version: its events cannot be told",
            run.id
        ))
    })?;
    Ok(store.scan_events(caller.project_id(), scan))
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
    let scan = scope.resolve(store, caller).await?.scan;
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
            Scope::batch(Some("d".into()), None, None),
            Ok(Scope::dataset("d"))
        );
        assert_eq!(
            Scope::batch(Some("d".into()), Some(2), None),
            Ok(Scope::Dataset {
                id: "d".into(),
                version: Some(2)
            })
        );
        assert!(Scope::batch(Some("d".into()), None, Some(vec![])).is_err());
        assert!(Scope::batch(None, None, None).is_err());
        assert!(Scope::batch(None, Some(1), Some(vec![])).is_err());
        assert!(Scope::batch(Some("d".into()), Some(0), None).is_err());
    }

    #[test]
    fn scope_changes_list_added_and_removed_traces() {
        let before = SimulationRequest {
            trace_ids: Some(vec!["a".into(), "b".into()]),
            dataset_version: Some(3),
            ..SimulationRequest::default()
        };
        let after = SimulationRequest {
            trace_ids: Some(vec!["b".into(), "c".into(), "d".into()]),
            dataset_version: Some(5),
            ..SimulationRequest::default()
        };
        let change = scope_change(&before, &after).unwrap_or_default();
        assert_eq!((change.from_version, change.to_version), (Some(3), Some(5)));
        assert_eq!(change.added, vec!["c".to_string(), "d".to_string()]);
        assert_eq!(change.removed, vec!["a".to_string()]);
        assert_eq!(scope_change(&SimulationRequest::default(), &after), None);
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
        assert!(!read.is_receipt());
        assert_eq!(read.scan(), None, "an old dataset run's version is unknown");
        let window = Resolved {
            scan: store::EventScan::Window {
                since_micros: Some(0),
                until_micros: None,
            },
            dataset: None,
            trace_ids: None,
            window: Some((Some(0), None)),
        };
        let record = SimulationRequest::new(&draft, &window, Baseline::Recorded, None);
        assert_eq!(record.since.as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(record.draft, draft.value);
        assert_eq!(record.draft_rules.as_ref(), Some(&draft.rules));
        assert!(record.is_receipt());
        // A receipt reads back as written, and names the scope it read.
        let text = serde_json::to_value(&record).unwrap_or_default();
        let back: SimulationRequest = serde_json::from_value(text).unwrap_or_default();
        assert_eq!(back, record);
        assert_eq!(back.scan(), Some(window.scan));
        assert_eq!(
            back.rerun_scope(),
            Ok(Scope::Window {
                since_micros: Some(0),
                until_micros: None
            })
        );
    }
}
