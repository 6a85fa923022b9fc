//! Datasets: named sets of pinned traces (`/dashboard/datasets`, `/dashboard/datasets/{id}`).
//! Their types and server functions (list, create, rename, delete, pin, unpin) and, in
//! the submodules, their pages. "Add to dataset" (a shared widget) pins through
//! [`add_to_dataset`].
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::model::{DatasetRef, Scoped, TraceRow};
#[cfg(feature = "ssr")]
use crate::{server::service_error, support};

pub mod dataset;
pub mod list;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetRow {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub item_count: i64,
    pub created_micros: i64,
    /// The membership's version.
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetItemRow {
    pub trace_id: String,
    pub added_micros: i64,
    /// `None` when the trace has no events any more (pruned).
    pub trace: Option<TraceRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetDetail {
    pub dataset: DatasetRow,
    pub items: Vec<DatasetItemRow>,
    /// The newest versions (the first page), newest first.
    pub versions: Vec<VersionRow>,
    pub expectations: Vec<ExpectationRow>,
}

/// One version of a dataset's membership.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionRow {
    pub version: i64,
    /// `created`, `pinned`, `unpinned` or `imported`.
    pub change: String,
    pub author: String,
    pub created_micros: i64,
    pub added: i64,
    pub removed: i64,
    pub traces: i64,
    pub added_traces: Vec<String>,
    pub removed_traces: Vec<String>,
}

/// An expectation on a pinned trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpectationRow {
    pub id: String,
    pub trace_id: String,
    pub pattern: String,
    pub verdict: policy::Expected,
    pub author: String,
    pub created_micros: i64,
}

/// Versions listed on the dataset page.
pub const VERSIONS_SHOWN: u32 = 20;

/// `add_to_dataset`'s answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddOutcome {
    pub dataset: DatasetRef,
    pub created: bool,
    pub added: usize,
    pub already_present: usize,
    pub unknown: usize,
}

#[server(prefix = "/api/read")]
pub async fn list_datasets(
    project: Option<String>,
) -> Result<Option<Scoped<Vec<DatasetRow>>>, ServerFnError> {
    let Some(ctx) = support::context(project).await? else {
        return Ok(None);
    };
    // The first page, as large as the API's: a project with more shows that many.
    let first = store::PageRequest::first(service::paging::LISTS.max);
    let datasets = service::datasets::list(ctx.store(), &ctx.caller, &first)
        .await
        .map_err(service_error)?;
    Ok(Some(support::scoped_some(
        &ctx,
        datasets.items.into_iter().map(DatasetRow::from).collect(),
    )))
}

#[server(prefix = "/api/read")]
pub async fn get_dataset(
    project: Option<String>,
    id: String,
) -> Result<Option<Scoped<DatasetDetail>>, ServerFnError> {
    let Some(ctx) = support::context(project).await? else {
        return Ok(None);
    };
    // The oldest pins, as many as the API's largest page; the page says when more exist.
    let first = store::PageRequest::first(service::paging::LISTS.max);
    let detail =
        support::found(service::datasets::get(ctx.store(), &ctx.caller, &id, &first).await)?;
    let Some(d) = detail else {
        return Ok(Some(support::scoped(&ctx, None)));
    };
    let versions = service::datasets::versions(
        ctx.store(),
        &ctx.caller,
        &id,
        &store::PageRequest::first(VERSIONS_SHOWN),
    )
    .await
    .map_err(service_error)?;
    let expectations = service::datasets::expectations(ctx.store(), &ctx.caller, &id)
        .await
        .map_err(service_error)?;
    Ok(Some(support::scoped(
        &ctx,
        Some(DatasetDetail {
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
            versions: versions
                .items
                .into_iter()
                .map(|v| VersionRow {
                    version: v.version,
                    change: v.change.as_str().to_string(),
                    author: v.author,
                    created_micros: v.created_at.micros(),
                    added: v.added,
                    removed: v.removed,
                    traces: v.traces,
                    added_traces: v.added_traces,
                    removed_traces: v.removed_traces,
                })
                .collect(),
            expectations: expectations
                .into_iter()
                .map(|e| ExpectationRow {
                    id: e.id,
                    trace_id: e.expectation.trace_id,
                    pattern: e.expectation.pattern,
                    verdict: e.expectation.expected,
                    author: e.author,
                    created_micros: e.created_at.micros(),
                })
                .collect(),
        }),
    )))
}

/// Sets what a pinned trace's events matching `pattern` must keep getting (`verdict`:
/// a verdict, or `recorded`).
#[server]
pub async fn set_dataset_expectation(
    project: Option<String>,
    id: String,
    trace_id: String,
    pattern: String,
    verdict: String,
) -> Result<ExpectationRow, ServerFnError> {
    let ctx = support::require(project).await?;
    let expected: policy::Expected = verdict
        .parse()
        .map_err(|m: String| crate::server::invalid(&format!("verdict: {m}")))?;
    let expectation = policy::Expectation {
        trace_id,
        pattern,
        expected,
    };
    let saved = service::datasets::expect(ctx.store(), &ctx.caller, &id, expectation)
        .await
        .map_err(service_error)?;
    Ok(ExpectationRow {
        id: saved.id,
        trace_id: saved.expectation.trace_id,
        pattern: saved.expectation.pattern,
        verdict: saved.expectation.expected,
        author: saved.author,
        created_micros: saved.created_at.micros(),
    })
}

#[server]
pub async fn remove_dataset_expectation(
    project: Option<String>,
    id: String,
    expectation_id: String,
) -> Result<(), ServerFnError> {
    let ctx = support::require(project).await?;
    service::datasets::unexpect(ctx.store(), &ctx.caller, &id, &expectation_id)
        .await
        .map_err(service_error)
}

#[server]
pub async fn create_dataset(
    project: Option<String>,
    name: String,
    description: Option<String>,
) -> Result<DatasetRef, ServerFnError> {
    let ctx = support::require(project).await?;
    let dataset = service::datasets::create(ctx.store(), &ctx.caller, &name, description)
        .await
        .map_err(service_error)?;
    Ok(DatasetRef::from(&dataset))
}

#[server]
pub async fn rename_dataset(
    project: Option<String>,
    id: String,
    name: String,
) -> Result<DatasetRef, ServerFnError> {
    let ctx = support::require(project).await?;
    let dataset = service::datasets::rename(ctx.store(), &ctx.caller, &id, &name)
        .await
        .map_err(service_error)?;
    Ok(DatasetRef::from(&dataset))
}

#[server]
pub async fn delete_dataset(project: Option<String>, id: String) -> Result<(), ServerFnError> {
    let ctx = support::require(project).await?;
    service::datasets::delete(ctx.store(), &ctx.caller, &id)
        .await
        .map_err(service_error)?;
    leptos_axum::redirect(&crate::format::href(
        "/dashboard/datasets",
        &ctx.project().id,
        &[],
    ));
    Ok(())
}

#[server]
pub async fn remove_dataset_item(
    project: Option<String>,
    id: String,
    trace_id: String,
) -> Result<bool, ServerFnError> {
    let ctx = support::require(project).await?;
    service::datasets::unpin(ctx.store(), &ctx.caller, &id, &trace_id)
        .await
        .map_err(service_error)?;
    Ok(true)
}

/// Pins traces into an existing dataset, or into a new one named `new_name`.
#[server(input = Json)]
pub async fn add_to_dataset(
    project: Option<String>,
    dataset_id: Option<String>,
    new_name: Option<String>,
    trace_ids: Vec<String>,
) -> Result<AddOutcome, ServerFnError> {
    use service::datasets::PinTarget;
    let ctx = support::require(project).await?;
    let target = match (dataset_id, new_name) {
        (Some(id), _) => PinTarget::Existing(id),
        (None, Some(name)) => PinTarget::New(name),
        (None, None) => {
            return Err(crate::server::invalid(
                "dataset: choose a dataset or name a new one",
            ))
        }
    };
    let pinned = service::datasets::pin(ctx.store(), &ctx.caller, target, &trace_ids)
        .await
        .map_err(service_error)?;
    Ok(AddOutcome {
        dataset: DatasetRef::from(&pinned.dataset),
        created: pinned.created,
        added: pinned.outcome.added.len(),
        already_present: pinned.outcome.already_present.len(),
        unknown: pinned.outcome.unknown.len(),
    })
}

#[cfg(feature = "ssr")]
mod convert {
    use super::*;

    impl From<store::Dataset> for DatasetRow {
        fn from(d: store::Dataset) -> Self {
            DatasetRow {
                id: d.id,
                name: d.name,
                description: d.description,
                item_count: d.item_count,
                created_micros: d.created_at.micros(),
                version: d.version,
            }
        }
    }
}
