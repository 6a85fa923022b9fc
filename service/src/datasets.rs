//! Datasets: named sets of pinned traces that drafts are replayed against.
use crate::names::{optional, required, MAX_DATASET_NAME_CHARS};
use crate::{changes, Caller, Permission, ServiceError, ServiceResult, Store};
use store::ProjectChangeKind as Kind;

/// Most traces pinned by one request.
pub const MAX_ITEMS_PER_REQUEST: usize = 10_000;
/// Longest dataset description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

fn missing(id: &str) -> impl FnOnce(store::StoreError) -> ServiceError {
    ServiceError::not_found(format!("no dataset {id:?} in this project"))
}

fn name_taken(name: &str) -> impl FnOnce(store::StoreError) -> ServiceError + '_ {
    move |e| match e {
        store::StoreError::Conflict(_) => {
            ServiceError::Conflict(format!("a dataset named {name:?} already exists"))
        }
        other => other.into(),
    }
}

/// A page of the project's datasets, by name.
pub async fn list(
    store: &Store,
    caller: &Caller,
    page: &store::PageRequest,
) -> ServiceResult<store::Page<store::Dataset>> {
    caller.require(Permission::Read)?;
    Ok(store.list_datasets(caller.project_id(), page).await?)
}

/// A dataset with a page of its pinned traces (oldest pin first).
pub async fn get(
    store: &Store,
    caller: &Caller,
    id: &str,
    items: &store::PageRequest,
) -> ServiceResult<store::DatasetDetail> {
    caller.require(Permission::Read)?;
    store
        .dataset(caller.project_id(), id, items)
        .await
        .map_err(missing(id))
}

/// The dataset without its items (their summaries cost more than a simulation over
/// them); `NotFound` when the project has no such dataset.
pub async fn find(store: &Store, caller: &Caller, id: &str) -> ServiceResult<store::Dataset> {
    caller.require(Permission::Read)?;
    Ok(get(store, caller, id, &store::PageRequest::first(1))
        .await?
        .dataset)
}

/// Whether the dataset exists.
pub async fn exists(store: &Store, caller: &Caller, id: &str) -> ServiceResult<bool> {
    caller.require(Permission::Read)?;
    match find(store, caller, id).await {
        Ok(_) => Ok(true),
        Err(ServiceError::NotFound(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

pub async fn create(
    store: &Store,
    caller: &Caller,
    name: &str,
    description: Option<String>,
) -> ServiceResult<store::Dataset> {
    caller.require(Permission::Govern)?;
    let name = required("name", name, MAX_DATASET_NAME_CHARS)?;
    let description = optional("description", description, MAX_DESCRIPTION_CHARS)?;
    let dataset = store
        .create_dataset(
            caller.project_id(),
            &name,
            description.as_deref(),
            &caller.author(),
        )
        .await
        .map_err(name_taken(&name))?;
    changes::record(store, caller, Kind::DatasetCreated, &dataset.id, Some(name)).await?;
    Ok(dataset)
}

pub async fn rename(
    store: &Store,
    caller: &Caller,
    id: &str,
    name: &str,
) -> ServiceResult<store::Dataset> {
    caller.require(Permission::Govern)?;
    let name = required("name", name, MAX_DATASET_NAME_CHARS)?;
    let renamed = match store.rename_dataset(caller.project_id(), id, &name).await {
        Err(store::StoreError::NotFound) => Err(missing(id)(store::StoreError::NotFound)),
        other => other.map_err(name_taken(&name)),
    }?;
    let detail = format!("renamed to {name}");
    changes::record(store, caller, Kind::DatasetRenamed, id, Some(detail)).await?;
    Ok(renamed)
}

/// Deletes a dataset (never its traces).
pub async fn delete(store: &Store, caller: &Caller, id: &str) -> ServiceResult<()> {
    caller.require(Permission::Govern)?;
    store
        .delete_dataset(caller.project_id(), id)
        .await
        .map_err(missing(id))?;
    changes::record(store, caller, Kind::DatasetDeleted, id, None).await
}

/// Where pinned traces go: an existing dataset, or a new one by name.
#[derive(Debug, Clone, PartialEq)]
pub enum PinTarget {
    Existing(String),
    New(String),
}

/// What pinning did.
#[derive(Debug, Clone, PartialEq)]
pub struct Pinned {
    pub dataset: store::Dataset,
    /// The dataset was created by this request.
    pub created: bool,
    pub outcome: store::AddItemsOutcome,
}

/// Pins traces (reporting those added, already present and unknown).
pub async fn pin(
    store: &Store,
    caller: &Caller,
    target: PinTarget,
    trace_ids: &[String],
) -> ServiceResult<Pinned> {
    caller.require(Permission::Govern)?;
    if trace_ids.is_empty() {
        return Err(ServiceError::invalid("trace_ids", "must not be empty"));
    }
    if let Some(at) = trace_ids.iter().position(String::is_empty) {
        return Err(ServiceError::invalid(
            format!("trace_ids[{at}]"),
            "a trace id must not be empty",
        ));
    }
    if trace_ids.len() > MAX_ITEMS_PER_REQUEST {
        return Err(ServiceError::invalid(
            "trace_ids",
            format!("at most {MAX_ITEMS_PER_REQUEST} per request"),
        ));
    }
    let (dataset, created) = match target {
        PinTarget::Existing(id) => (find(store, caller, &id).await?, false),
        PinTarget::New(name) => (create(store, caller, &name, None).await?, true),
    };
    let author = caller.author();
    let change = store::MembershipChange {
        kind: store::DatasetChangeKind::Pinned,
        author: &author,
    };
    let outcome = store
        .add_dataset_items(caller.project_id(), &dataset.id, trace_ids, change)
        .await
        .map_err(missing(&dataset.id))?;
    if !outcome.added.is_empty() {
        let detail = format!("{} trace(s) pinned", outcome.added.len());
        changes::record(store, caller, Kind::TracesPinned, &dataset.id, Some(detail)).await?;
    }
    Ok(Pinned {
        dataset,
        created,
        outcome,
    })
}

/// Unpins a trace; `NotFound` when it was not pinned.
pub async fn unpin(store: &Store, caller: &Caller, id: &str, trace_id: &str) -> ServiceResult<()> {
    caller.require(Permission::Govern)?;
    if store
        .remove_dataset_item(caller.project_id(), id, trace_id, &caller.author())
        .await
        .map_err(missing(id))?
    {
        let detail = Some(format!("trace {trace_id} unpinned"));
        changes::record(store, caller, Kind::TraceUnpinned, id, detail).await
    } else {
        Err(ServiceError::NotFound(format!(
            "trace {trace_id:?} is not pinned in this dataset"
        )))
    }
}

/// A page of the dataset's versions, newest first.
pub async fn versions(
    store: &Store,
    caller: &Caller,
    id: &str,
    page: &store::PageRequest,
) -> ServiceResult<store::Page<store::DatasetVersion>> {
    caller.require(Permission::Read)?;
    store
        .dataset_versions(caller.project_id(), id, page)
        .await
        .map_err(missing(id))
}

/// The members of a version of the dataset (the current one for `None`).
pub async fn members(
    store: &Store,
    caller: &Caller,
    id: &str,
    version: Option<i64>,
) -> ServiceResult<store::DatasetMembers> {
    caller.require(Permission::Read)?;
    let what = match version {
        Some(v) => format!("dataset {id:?} has no version {v}"),
        None => format!("no dataset {id:?} in this project"),
    };
    store
        .dataset_members(caller.project_id(), id, version)
        .await
        .map_err(ServiceError::not_found(what))
}

/// Every expectation the dataset's traces carry.
pub async fn expectations(
    store: &Store,
    caller: &Caller,
    id: &str,
) -> ServiceResult<Vec<store::DatasetExpectation>> {
    caller.require(Permission::Read)?;
    store
        .dataset_expectations(caller.project_id(), id)
        .await
        .map_err(missing(id))
}

/// The expectations as the simulator checks them.
pub async fn expectation_set(
    store: &Store,
    caller: &Caller,
    id: &str,
) -> ServiceResult<policy::ExpectationSet> {
    let list = expectations(store, caller, id).await?;
    policy::ExpectationSet::new(list.into_iter().map(|e| e.expectation).collect())
        .map_err(ServiceError::from)
}

/// Sets what a pinned trace's events matching `pattern` must keep getting (a new
/// verdict for the same trace and pattern replaces the old one).
pub async fn expect(
    store: &Store,
    caller: &Caller,
    id: &str,
    expectation: policy::Expectation,
) -> ServiceResult<store::DatasetExpectation> {
    caller.require(Permission::Govern)?;
    // The same checks as a set of one: field errors name `pattern` and `trace_id`.
    policy::ExpectationSet::new(vec![expectation.clone()]).map_err(|errors| {
        let errors = errors
            .into_iter()
            .map(|e| {
                let field = e.field.trim_start_matches("expectations[0].").to_string();
                policy::FieldError::new(field, e.message)
            })
            .collect::<Vec<_>>();
        ServiceError::from(errors)
    })?;
    let saved = store
        .set_dataset_expectation(caller.project_id(), id, &expectation, &caller.author())
        .await
        .map_err(missing(id))?;
    let detail = format!(
        "trace {}: {} \u{2192} {}",
        expectation.trace_id, expectation.pattern, expectation.expected
    );
    changes::record(store, caller, Kind::ExpectationSet, id, Some(detail)).await?;
    Ok(saved)
}

/// Removes an expectation; `NotFound` when the dataset has none with this id.
pub async fn unexpect(
    store: &Store,
    caller: &Caller,
    id: &str,
    expectation_id: &str,
) -> ServiceResult<()> {
    caller.require(Permission::Govern)?;
    if !store
        .remove_dataset_expectation(caller.project_id(), id, expectation_id)
        .await
        .map_err(missing(id))?
    {
        return Err(ServiceError::NotFound(format!(
            "no expectation {expectation_id:?} in this dataset"
        )));
    }
    let detail = Some(format!("expectation {expectation_id} removed"));
    changes::record(store, caller, Kind::ExpectationRemoved, id, detail).await
}
