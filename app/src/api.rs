//! Server functions: what the pages load and change. Every one takes the `project` the
//! page asked for (from `?project=`) and resolves it through
//! [`crate::server::resolve_project`], the single place that decides. `Ok(None)` means
//! there is no project at all (the pages then say how to create one).
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::model::*;

/// Most events the browser preview loads; beyond this only "Simulate" counts them all.
pub const PREVIEW_EVENT_LIMIT: usize = 50_000;
/// Spans a trace page shows before it offers the rest (`?spans=all`): a RunTree of
/// thousands of rows is megabytes of HTML that nobody reads at once.
pub const RUNTREE_SPANS: usize = 1_000;
/// Traces per page in the traces table.
pub const TRACE_PAGE: u32 = 50;

#[cfg(feature = "ssr")]
mod support {
    use leptos::prelude::ServerFnError;

    use crate::model::{DatasetRef, ProjectRef, Scoped};
    pub use crate::server::{context, Ctx};
    use crate::server::{not_found_status, store_error};

    /// Wraps page data; a missing thing sets the page's 404 status.
    pub fn scoped<T>(project: &store::Project, data: Option<T>) -> Scoped<T> {
        if data.is_none() {
            not_found_status();
        }
        Scoped {
            project: ProjectRef::from(project),
            now_micros: store::now_micros(),
            data,
        }
    }

    pub async fn dataset_refs(ctx: &Ctx) -> Result<Vec<DatasetRef>, ServerFnError> {
        Ok(ctx
            .0
            .list_datasets(&ctx.1.id)
            .await
            .map_err(store_error)?
            .iter()
            .map(DatasetRef::from)
            .collect())
    }

    /// `NotFound` as `None`, other failures as errors.
    pub fn found<T>(result: Result<T, store::StoreError>) -> Result<Option<T>, ServerFnError> {
        match result {
            Ok(v) => Ok(Some(v)),
            Err(store::StoreError::NotFound) => Ok(None),
            Err(e) => Err(store_error(e)),
        }
    }

    pub fn valid_name(name: &str) -> Result<String, ServerFnError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(crate::server::invalid("name: must not be empty"));
        }
        if name.chars().count() > 200 {
            return Err(crate::server::invalid("name: longer than 200 characters"));
        }
        Ok(name.to_string())
    }
}

#[server]
pub async fn get_shell(project: Option<String>) -> Result<ShellData, ServerFnError> {
    use crate::server::{current_user, dark_theme, resolve_project, visible_projects};
    let user = current_user()?;
    let projects = visible_projects().await?;
    let current = resolve_project(project).await?;
    if let Some(p) = &current {
        crate::server::canonical_project_url(&p.id);
    }
    Ok(ShellData {
        projects: projects.iter().map(ProjectRef::from).collect(),
        current: current.as_ref().map(ProjectRef::from),
        dark: dark_theme(),
        user_email: user.email,
        user_role: user.role.as_str().to_string(),
    })
}

/// Remembers the theme in a cookie (a plain form post without JavaScript).
#[server]
pub async fn set_theme(dark: bool) -> Result<bool, ServerFnError> {
    crate::server::set_cookie(
        crate::server::THEME_COOKIE,
        if dark { "dark" } else { "light" },
    );
    Ok(dark)
}

#[server(input = Json)]
pub async fn list_traces(
    project: Option<String>,
    query: TraceQuery,
) -> Result<Option<Scoped<TracesPage>>, ServerFnError> {
    use crate::server::store_error;
    let Some(ctx) = support::context(project).await? else {
        return Ok(None);
    };
    let datasets = support::dataset_refs(&ctx).await?;
    let (store, p) = &ctx;
    let blank = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let mut filter_error = None;
    let verdict = match blank(query.verdict.clone()) {
        None => None,
        Some(v) => match v.parse::<policy::Verdict>() {
            Ok(v) => Some(v),
            Err(e) => {
                filter_error = Some(format!("verdict: {e}"));
                None
            }
        },
    };
    let now = store::now_micros();
    let since_micros = match blank(query.range.clone()).as_deref() {
        None | Some("all") => None,
        Some("1h") => Some(now - 3_600_000_000),
        Some("24h") => Some(now - 86_400_000_000),
        Some("7d") => Some(now - 7 * 86_400_000_000),
        Some("30d") => Some(now - 30 * 86_400_000_000),
        Some(other) => {
            filter_error = Some(format!(
                "range: unknown range {other:?}; expected 1h, 24h, 7d, 30d or all"
            ));
            None
        }
    };
    let filter = store::TraceFilter {
        agent: blank(query.agent),
        session: blank(query.session),
        verdict,
        tool: blank(query.tool),
        since_micros,
        until_micros: None,
        cursor: blank(query.cursor),
        limit: TRACE_PAGE,
    };
    let page = match store.list_traces(&p.id, &filter).await {
        Ok(page) => page,
        Err(store::StoreError::Invalid(message)) => {
            // A stale or hand-edited cursor: say so and show the first page.
            filter_error = Some(message);
            store
                .list_traces(
                    &p.id,
                    &store::TraceFilter {
                        cursor: None,
                        ..filter
                    },
                )
                .await
                .map_err(store_error)?
        }
        Err(e) => return Err(store_error(e)),
    };
    Ok(Some(support::scoped(
        p,
        Some(TracesPage {
            traces: page.traces.into_iter().map(TraceRow::from).collect(),
            next_cursor: page.next_cursor,
            datasets,
            filter_error,
            server_url: crate::server::server_url(),
        }),
    )))
}

#[server]
pub async fn get_trace(
    project: Option<String>,
    trace_id: String,
    all_spans: bool,
) -> Result<Option<Scoped<TraceDetail>>, ServerFnError> {
    use crate::server::store_error;
    let Some(ctx) = support::context(project).await? else {
        return Ok(None);
    };
    let datasets = support::dataset_refs(&ctx).await?;
    let (store, p) = &ctx;
    let events = if all_spans {
        store.trace_events(&p.id, &trace_id).await
    } else {
        store
            .first_trace_events(&p.id, &trace_id, RUNTREE_SPANS)
            .await
    }
    .map_err(store_error)?;
    let summary = store
        .trace_summaries(&p.id, std::slice::from_ref(&trace_id))
        .await
        .map_err(store_error)?
        .into_iter()
        .next();
    let data = match summary {
        Some(summary) if !events.is_empty() => Some(TraceDetail {
            summary: summary.into(),
            events: events.iter().map(EventRow::from).collect(),
            datasets,
        }),
        _ => None,
    };
    Ok(Some(support::scoped(p, data)))
}

#[server]
pub async fn get_span(
    project: Option<String>,
    trace_id: String,
    span_id: String,
) -> Result<Option<SpanDetail>, ServerFnError> {
    use crate::server::store_error;
    let Some((store, p)) = support::context(project).await? else {
        return Ok(None);
    };
    Ok(store
        .span_event(&p.id, &trace_id, &span_id)
        .await
        .map_err(store_error)?
        .as_ref()
        .map(SpanDetail::from))
}

#[server]
pub async fn list_threads(
    project: Option<String>,
    cursor: Option<String>,
) -> Result<Option<Scoped<ThreadsPage>>, ServerFnError> {
    use crate::server::store_error;
    let Some((store, p)) = support::context(project).await? else {
        return Ok(None);
    };
    let filter = store::ThreadFilter {
        cursor: cursor.filter(|c| !c.is_empty()),
        limit: 50,
    };
    let page = store
        .list_threads(&p.id, &filter)
        .await
        .map_err(store_error)?;
    Ok(Some(support::scoped(
        &p,
        Some(ThreadsPage {
            threads: page.threads.into_iter().map(ThreadRow::from).collect(),
            next_cursor: page.next_cursor,
        }),
    )))
}

#[server]
pub async fn get_thread(
    project: Option<String>,
    session_id: String,
) -> Result<Option<Scoped<ThreadDetail>>, ServerFnError> {
    use crate::server::store_error;
    let Some((store, p)) = support::context(project).await? else {
        return Ok(None);
    };
    let found = store
        .thread(&p.id, &session_id)
        .await
        .map_err(store_error)?;
    Ok(Some(support::scoped(
        &p,
        found.map(|(thread, turns)| ThreadDetail {
            thread: thread.into(),
            turns: turns.into_iter().map(TraceRow::from).collect(),
        }),
    )))
}

#[server]
pub async fn list_datasets(
    project: Option<String>,
) -> Result<Option<Scoped<Vec<DatasetRow>>>, ServerFnError> {
    use crate::server::store_error;
    let Some((store, p)) = support::context(project).await? else {
        return Ok(None);
    };
    let datasets = store.list_datasets(&p.id).await.map_err(store_error)?;
    Ok(Some(support::scoped(
        &p,
        Some(datasets.into_iter().map(DatasetRow::from).collect()),
    )))
}

#[server]
pub async fn get_dataset(
    project: Option<String>,
    id: String,
) -> Result<Option<Scoped<DatasetDetail>>, ServerFnError> {
    let Some((store, p)) = support::context(project).await? else {
        return Ok(None);
    };
    let detail = support::found(store.dataset(&p.id, &id).await)?;
    Ok(Some(support::scoped(
        &p,
        detail.map(|d| DatasetDetail {
            dataset: d.dataset.into(),
            items: d
                .items
                .into_iter()
                .map(|i| DatasetItemRow {
                    trace_id: i.trace_id,
                    added_micros: i.added_at.micros(),
                    trace: i.trace.map(TraceRow::from),
                })
                .collect(),
        }),
    )))
}

#[server]
pub async fn create_dataset(
    project: Option<String>,
    name: String,
    description: Option<String>,
) -> Result<DatasetRef, ServerFnError> {
    use crate::server::store_error;
    let (store, p) = support::context(project)
        .await?
        .ok_or_else(|| crate::server::gone("there is no project yet"))?;
    let name = support::valid_name(&name)?;
    let description = description
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty());
    let dataset = store
        .create_dataset(&p.id, &name, description.as_deref())
        .await
        .map_err(|e| match e {
            store::StoreError::Conflict(_) => {
                crate::server::conflict(format!("a dataset named {name:?} already exists"))
            }
            other => store_error(other),
        })?;
    Ok(DatasetRef::from(&dataset))
}

#[server]
pub async fn rename_dataset(
    project: Option<String>,
    id: String,
    name: String,
) -> Result<DatasetRef, ServerFnError> {
    use crate::server::store_error;
    let (store, p) = support::context(project)
        .await?
        .ok_or_else(|| crate::server::gone("there is no project yet"))?;
    let name = support::valid_name(&name)?;
    let dataset = store
        .rename_dataset(&p.id, &id, &name)
        .await
        .map_err(|e| match e {
            store::StoreError::Conflict(_) => {
                crate::server::conflict(format!("a dataset named {name:?} already exists"))
            }
            other => store_error(other),
        })?;
    Ok(DatasetRef::from(&dataset))
}

#[server]
pub async fn delete_dataset(project: Option<String>, id: String) -> Result<(), ServerFnError> {
    use crate::server::store_error;
    let (store, p) = support::context(project)
        .await?
        .ok_or_else(|| crate::server::gone("there is no project yet"))?;
    store
        .delete_dataset(&p.id, &id)
        .await
        .map_err(store_error)?;
    leptos_axum::redirect(&crate::format::href("/dashboard/datasets", &p.id, &[]));
    Ok(())
}

#[server]
pub async fn remove_dataset_item(
    project: Option<String>,
    id: String,
    trace_id: String,
) -> Result<bool, ServerFnError> {
    use crate::server::store_error;
    let (store, p) = support::context(project)
        .await?
        .ok_or_else(|| crate::server::gone("there is no project yet"))?;
    store
        .remove_dataset_item(&p.id, &id, &trace_id)
        .await
        .map_err(store_error)
}

/// Pins traces into an existing dataset, or into a new one named `new_name`.
#[server(input = Json)]
pub async fn add_to_dataset(
    project: Option<String>,
    dataset_id: Option<String>,
    new_name: Option<String>,
    trace_ids: Vec<String>,
) -> Result<AddOutcome, ServerFnError> {
    use crate::server::store_error;
    let (store, p) = support::context(project)
        .await?
        .ok_or_else(|| crate::server::gone("there is no project yet"))?;
    if trace_ids.is_empty() {
        return Err(crate::server::invalid("select at least one trace"));
    }
    if trace_ids.len() > 10_000 {
        return Err(crate::server::invalid("at most 10,000 traces at once"));
    }
    let (dataset, created) = match (dataset_id, new_name) {
        (Some(id), _) => {
            let d = support::found(store.dataset(&p.id, &id).await)?
                .ok_or_else(|| crate::server::gone("that dataset no longer exists"))?;
            (DatasetRef::from(&d.dataset), false)
        }
        (None, Some(name)) => {
            let name = support::valid_name(&name)?;
            let d = store
                .create_dataset(&p.id, &name, None)
                .await
                .map_err(|e| match e {
                    store::StoreError::Conflict(_) => {
                        crate::server::conflict(format!("a dataset named {name:?} already exists"))
                    }
                    other => store_error(other),
                })?;
            (DatasetRef::from(&d), true)
        }
        (None, None) => return Err(crate::server::invalid("choose a dataset or name a new one")),
    };
    let outcome = store
        .add_dataset_items(&p.id, &dataset.id, &trace_ids)
        .await
        .map_err(store_error)?;
    Ok(AddOutcome {
        dataset,
        created,
        added: outcome.added.len(),
        already_present: outcome.already_present.len(),
        unknown: outcome.unknown.len(),
    })
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
