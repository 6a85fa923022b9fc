//! Datasets: named sets of pinned traces that drafts are replayed against.
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use service::datasets;

use super::read::PageQuery;
use super::{ApiJson, ApiQuery, ApiResult, AppState, Caller, ErrorBody};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDataset {
    pub name: String,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameDataset {
    pub name: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddItems {
    pub trace_ids: Vec<String>,
}

#[utoipa::path(post, path = "/v1/datasets", tag = "datasets", summary = "Create a dataset", request_body = CreateDataset, responses((status = 201, description = "Created"), (status = 409, description = "Name taken", body = ErrorBody)), security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateDataset>,
) -> ApiResult<(StatusCode, Json<store::Dataset>)> {
    let dataset =
        datasets::create(state.store.as_ref(), &caller, &body.name, body.description).await?;
    Ok((StatusCode::CREATED, Json(dataset)))
}

#[utoipa::path(get, path = "/v1/datasets", tag = "datasets", summary = "List datasets, by name",
    description = "`{datasets, next_cursor}`: at most `limit` datasets (default 50, at most 500). \
                   `next_cursor` is null on the last page; otherwise pass it as `cursor` for the next ones.",
    params(PageQuery), responses((status = 200, description = "OK")), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Value>> {
    let page = service::paging::LISTS.page(q.cursor, q.limit)?;
    let datasets = datasets::list(state.store.as_ref(), &caller, &page).await?;
    Ok(Json(
        json!({ "datasets": datasets.items, "next_cursor": datasets.next_cursor }),
    ))
}

#[utoipa::path(get, path = "/v1/datasets/{id}", tag = "datasets", summary = "A dataset with a page of its pinned traces, oldest pin first",
    description = "`{dataset, items, next_cursor}`: at most `limit` items (default 50, at most 500; \
                   `dataset.item_count` counts them all). `next_cursor` is null on the last page; \
                   otherwise pass it as `cursor` for the next items.",
    params(("id" = String, Path, description = "Dataset id"), PageQuery), responses((status = 200, description = "OK")), security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<store::DatasetDetail>> {
    let page = service::paging::LISTS.page(q.cursor, q.limit)?;
    Ok(Json(
        datasets::get(state.store.as_ref(), &caller, &id, &page).await?,
    ))
}

#[utoipa::path(patch, path = "/v1/datasets/{id}", tag = "datasets", summary = "Rename a dataset", params(("id" = String, Path, description = "Dataset id")), request_body = RenameDataset, responses((status = 200, description = "OK"), (status = 409, description = "Name taken", body = ErrorBody)), security(("bearer" = [])))]
pub async fn rename(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RenameDataset>,
) -> ApiResult<Json<store::Dataset>> {
    Ok(Json(
        datasets::rename(state.store.as_ref(), &caller, &id, &body.name).await?,
    ))
}

#[utoipa::path(delete, path = "/v1/datasets/{id}", tag = "datasets", summary = "Delete a dataset (never its traces)", params(("id" = String, Path, description = "Dataset id")), responses((status = 204, description = "Deleted")), security(("bearer" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    datasets::delete(state.store.as_ref(), &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/datasets/{id}/items", tag = "datasets", summary = "Pin traces: reports added, already_present, unknown", params(("id" = String, Path, description = "Dataset id")), request_body = AddItems, responses((status = 200, description = "OK")), security(("bearer" = [])))]
pub async fn add_items(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AddItems>,
) -> ApiResult<Json<store::AddItemsOutcome>> {
    let target = datasets::PinTarget::Existing(id);
    let pinned = datasets::pin(state.store.as_ref(), &caller, target, &body.trace_ids).await?;
    Ok(Json(pinned.outcome))
}

#[utoipa::path(delete, path = "/v1/datasets/{id}/items/{trace_id}", tag = "datasets", summary = "Unpin a trace", params(("id" = String, Path, description = "Dataset id"), ("trace_id" = String, Path)), responses((status = 204, description = "Removed")), security(("bearer" = [])))]
pub async fn remove_item(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, trace_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    datasets::unpin(state.store.as_ref(), &caller, &id, &trace_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/datasets/{id}/versions", tag = "datasets", summary = "The dataset's versions, newest first",
    description = "`{versions, next_cursor}`: each change of membership (created, pinned, unpinned, imported) with its \
                   `author`, `created_at`, how many traces it `added` and `removed` (and the first 20 of each in \
                   `added_traces`/`removed_traces`) and the members after it (`traces`). At most `limit` versions \
                   (default 50, at most 500); pass `next_cursor` back as `cursor` for older ones. A simulation over \
                   a dataset records the version it ran on; `dataset_version` in `POST /v1/policy/simulate/batch` \
                   runs on an older one.",
    params(("id" = String, Path, description = "Dataset id"), PageQuery), responses((status = 200, description = "OK")), security(("bearer" = [])))]
pub async fn versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Value>> {
    let page = service::paging::LISTS.page(q.cursor, q.limit)?;
    let versions = datasets::versions(state.store.as_ref(), &caller, &id, &page).await?;
    Ok(Json(
        json!({ "versions": versions.items, "next_cursor": versions.next_cursor }),
    ))
}

/// What a pinned trace's events whose tool (or model) name matches `pattern` must get.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetExpectation {
    /// A trace pinned in the dataset.
    #[schema(min_length = 1, max_length = 200)]
    pub trace_id: String,
    /// fnmatch glob over tool or model names, as in rules.
    #[schema(min_length = 1, max_length = 1024)]
    pub pattern: String,
    /// `allowed`, `blocked`, `held`, `redacted`, `errored`, or `recorded` (each event's
    /// own recorded verdict).
    #[schema(value_type = String, example = "blocked")]
    pub verdict: policy::Expected,
}

#[utoipa::path(get, path = "/v1/datasets/{id}/expectations", tag = "datasets", summary = "The expectations on the dataset's traces",
    description = "`{expectations}`: every expectation (at most 10,000 per dataset), by trace and pattern.",
    params(("id" = String, Path, description = "Dataset id")), responses((status = 200, description = "OK")), security(("bearer" = [])))]
pub async fn expectations(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let list = datasets::expectations(state.store.as_ref(), &caller, &id).await?;
    Ok(Json(json!({ "expectations": list })))
}

#[utoipa::path(put, path = "/v1/datasets/{id}/expectations", tag = "datasets", summary = "Set an expectation on a pinned trace",
    description = "The same trace and pattern again replaces the verdict. Simulations over the dataset report each \
                   expectation kept or broken (regressions, with the rule that broke each).",
    params(("id" = String, Path, description = "Dataset id")), request_body = SetExpectation, responses((status = 200, description = "OK"), (status = 422, description = "Invalid, naming the field (a trace that is not pinned, a bad pattern or verdict)", body = ErrorBody)), security(("bearer" = [])))]
pub async fn set_expectation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SetExpectation>,
) -> ApiResult<Json<store::DatasetExpectation>> {
    let expectation = policy::Expectation {
        trace_id: body.trace_id,
        pattern: body.pattern,
        expected: body.verdict,
    };
    Ok(Json(
        datasets::expect(state.store.as_ref(), &caller, &id, expectation).await?,
    ))
}

#[utoipa::path(delete, path = "/v1/datasets/{id}/expectations/{expectation_id}", tag = "datasets", summary = "Remove an expectation", params(("id" = String, Path, description = "Dataset id"), ("expectation_id" = String, Path)), responses((status = 204, description = "Removed")), security(("bearer" = [])))]
pub async fn remove_expectation(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, expectation_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    datasets::unexpect(state.store.as_ref(), &caller, &id, &expectation_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
