//! Approvals, as `jamjet.require_approval` uses them: create, poll, decide once.
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use service::approvals::{self, Decision as Verdict, Status};

use super::{ApiJson, ApiQuery, ApiResult, AppState, Caller, ErrorBody};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApproval {
    pub action: String,
    #[schema(value_type = Option<Object>)]
    pub context: Option<Value>,
}

fn view(a: &store::Approval) -> Value {
    let mut v = json!({
        "id": a.id,
        "status": a.status,
        "action": a.action,
        "context": a.context,
        "created_at": a.created_at,
    });
    if let Some(reason) = &a.reason {
        v["reason"] = json!(reason);
    }
    if let Some(by) = &a.decided_by {
        v["decided_by"] = json!(by);
    }
    if let Some(at) = &a.decided_at {
        v["decided_at"] = json!(at);
    }
    v
}

#[utoipa::path(post, path = "/v1/approvals", tag = "approvals", summary = "Request a human approval", request_body = CreateApproval, responses((status = 201, description = "Pending")), security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateApproval>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let approval =
        approvals::request(state.store.as_ref(), &caller, &body.action, body.context).await?;
    Ok((StatusCode::CREATED, Json(view(&approval))))
}

#[utoipa::path(get, path = "/v1/approvals/{id}", tag = "approvals", summary = "Poll an approval", params(("id" = String, Path)), responses((status = 200, description = "OK")), security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let approval = approvals::get(state.store.as_ref(), &caller, &id).await?;
    Ok(Json(view(&approval)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `pending`, `approved` or `rejected`; all when absent.
    pub status: Option<String>,
    /// The previous page's `next_cursor`; absent for the first page.
    pub cursor: Option<String>,
    /// Page size: 50 when absent, at least 1, at most 500 (a larger one is lowered).
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/v1/approvals", tag = "approvals", summary = "List approvals, newest first",
    description = "`{approvals, next_cursor}`: at most `limit` approvals (default 50, at most 500). \
                   `next_cursor` is null on the last page; otherwise pass it as `cursor` for the next ones.",
    params(ListQuery), responses((status = 200, description = "OK")), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    let status = q
        .status
        .as_deref()
        .map(|s| Status::parse("status", s))
        .transpose()?;
    let page = service::paging::LISTS.page(q.cursor, q.limit)?;
    let approvals = approvals::list(state.store.as_ref(), &caller, status, &page).await?;
    let listed: Vec<Value> = approvals.items.iter().map(view).collect();
    Ok(Json(
        json!({ "approvals": listed, "next_cursor": approvals.next_cursor }),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub decision: String,
    pub reason: Option<String>,
}

#[utoipa::path(post, path = "/v1/approvals/{id}/decision", tag = "approvals", summary = "Approve or reject (once)", params(("id" = String, Path)), request_body = Decision, responses((status = 200, description = "OK"), (status = 409, description = "Already decided", body = ErrorBody)), security(("bearer" = [])))]
pub async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Decision>,
) -> ApiResult<Json<Value>> {
    let decision = Verdict::parse(&body.decision)?;
    let approval =
        approvals::decide(state.store.as_ref(), &caller, &id, decision, body.reason).await?;
    Ok(Json(view(&approval)))
}
