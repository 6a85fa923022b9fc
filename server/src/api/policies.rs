//! The project's active rule set: read, replace, edit rule by rule, version history,
//! the SDK sync endpoint and one-off evaluation. Every change is a new version.
use axum::extract::{Path, State};
use axum::Json;
use policy::RuleSet;
use serde::Deserialize;
use serde_json::{json, Value};
use service::policies::{self, ActivePolicy};

use super::read::PageQuery;
use super::{ApiJson, ApiQuery, ApiResult, AppError, AppState, Caller};

/// A version as answered, with its lint warnings (computed off the async workers).
async fn view(version: &store::PolicyVersion, set: &RuleSet) -> ApiResult<Value> {
    let warnings = policies::lint(set).await?;
    Ok(json!({
        "version": version.version,
        "precedence": set.precedence,
        "rules": set.rules,
        "warnings": warnings,
        "author": version.author,
        "created_at": version.created_at,
        "message": version.message,
    }))
}

/// An edit of the active rules through the service's compare-and-set loop.
async fn edit(
    state: &AppState,
    caller: &Caller,
    message: Option<String>,
    change: impl Fn(&mut Vec<policy::Rule>) -> service::ServiceResult<()>,
) -> ApiResult<Json<Value>> {
    let message = policies::message(message)?;
    let (version, set) =
        policies::edit(state.store.as_ref(), caller, message.as_deref(), change).await?;
    Ok(Json(view(&version, &set).await?))
}

#[utoipa::path(get, path = "/v1/policies", tag = "policies", summary = "The active rule set with version, precedence and lint warnings", responses((status = 200, description = "OK")), security(("bearer" = [])))]
pub async fn active(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let ActivePolicy { version, set } = policies::active(state.store.as_ref(), &caller).await?;
    Ok(Json(view(&version, &set).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaceBody {
    pub precedence: Option<String>,
    #[schema(value_type = Object)]
    pub rules: Value,
    pub message: Option<String>,
}

#[utoipa::path(put, path = "/v1/policies", tag = "policies", summary = "Replace the active rule set (a new version)", request_body = ReplaceBody, responses((status = 200, description = "OK")), security(("bearer" = [])))]
pub async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ReplaceBody>,
) -> ApiResult<Json<Value>> {
    let message = policies::message(body.message)?;
    let set = policies::parse_rule_set(body.precedence.as_deref(), &body.rules)?;
    let version = policies::save(
        state.store.as_ref(),
        &caller,
        None,
        &set,
        message.as_deref(),
    )
    .await?;
    Ok(Json(view(&version, &set).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    #[schema(value_type = Object)]
    pub rule: Value,
    /// Where to insert (0-based); the end when absent.
    #[serde(default, deserialize_with = "super::extract::whole::option")]
    pub position: Option<usize>,
    pub message: Option<String>,
}

#[utoipa::path(post, path = "/v1/policies/rules", tag = "policies", summary = "Insert one rule (a new version)", request_body = RuleBody, responses((status = 200, description = "OK")), security(("bearer" = [])))]
pub async fn add_rule(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<RuleBody>,
) -> ApiResult<Json<Value>> {
    let rule = policies::parse_rule(&body.rule)?;
    edit(&state, &caller, body.message, |rules| {
        let at = body.position.unwrap_or(rules.len());
        if at > rules.len() {
            return Err(service::ServiceError::invalid(
                "position",
                format!("must be at most {}", rules.len()),
            ));
        }
        rules.insert(at, rule.clone());
        Ok(())
    })
    .await
}

#[utoipa::path(put, path = "/v1/policies/rules/{index}", tag = "policies", summary = "Replace one rule (a new version)", params(("index" = usize, Path, description = "0-based rule index")), request_body = RuleBody, responses((status = 200, description = "OK")), security(("bearer" = [])))]
pub async fn update_rule(
    State(state): State<AppState>,
    caller: Caller,
    Path(index): Path<usize>,
    ApiJson(body): ApiJson<RuleBody>,
) -> ApiResult<Json<Value>> {
    let rule = policies::parse_rule(&body.rule)?;
    edit(&state, &caller, body.message, |rules| {
        policies::check_index(rules, index)?;
        rules[index] = rule.clone();
        Ok(())
    })
    .await
}

#[utoipa::path(delete, path = "/v1/policies/rules/{index}", tag = "policies", summary = "Delete one rule (a new version)", params(("index" = usize, Path, description = "0-based rule index")), responses((status = 200, description = "OK")), security(("bearer" = [])))]
pub async fn delete_rule(
    State(state): State<AppState>,
    caller: Caller,
    Path(index): Path<usize>,
) -> ApiResult<Json<Value>> {
    edit(&state, &caller, None, |rules| {
        policies::check_index(rules, index)?;
        rules.remove(index);
        Ok(())
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReorderBody {
    /// The current indices in their new order: a permutation of 0..n.
    #[serde(deserialize_with = "super::extract::whole::list")]
    pub order: Vec<usize>,
    pub message: Option<String>,
}

#[utoipa::path(post, path = "/v1/policies/order", tag = "policies", summary = "Reorder the rules (a new version)", request_body = ReorderBody, responses((status = 200, description = "OK")), security(("bearer" = [])))]
pub async fn reorder(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ReorderBody>,
) -> ApiResult<Json<Value>> {
    edit(&state, &caller, body.message, |rules| {
        policies::reorder(rules, &body.order)
    })
    .await
}

#[utoipa::path(get, path = "/v1/policies/versions", tag = "policies", summary = "Versions, newest first, each with its diff against the one before",
    description = "`{versions, next_cursor}`: at most `limit` versions (default 20, at most 100), each with \
                   its rules and `diff` (rules added and removed, reordered, precedence changed). \
                   `next_cursor` is null on the last page; otherwise pass it as `cursor` for older versions.",
    params(PageQuery), responses((status = 200, description = "OK")), security(("bearer" = [])))]
pub async fn versions(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<Value>> {
    let page = service::paging::POLICY_VERSIONS.page(q.cursor, q.limit)?;
    let history = policies::history(state.store.as_ref(), &caller, &page).await?;
    let listed: Vec<Value> = history
        .items
        .iter()
        .map(|entry| {
            let v = &entry.version;
            json!({
                "version": v.version,
                "precedence": v.precedence,
                "rules": v.rules,
                "author": v.author,
                "created_at": v.created_at,
                "message": v.message,
                "diff": entry.diff,
            })
        })
        .collect();
    Ok(Json(
        json!({ "versions": listed, "next_cursor": history.next_cursor }),
    ))
}

#[utoipa::path(get, path = "/v1/policies/versions/{version}", tag = "policies", summary = "One version", params(("version" = i64, Path)), responses((status = 200, description = "OK")), security(("bearer" = [])))]
pub async fn version(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<i64>,
) -> ApiResult<Json<store::PolicyVersion>> {
    Ok(Json(
        policies::version(state.store.as_ref(), &caller, number).await?,
    ))
}

#[utoipa::path(post, path = "/v1/policies/versions/{version}/restore", tag = "policies", summary = "Restore a version (as a new version)", params(("version" = i64, Path)), responses((status = 200, description = "OK")), security(("bearer" = [])))]
pub async fn restore(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<i64>,
) -> ApiResult<Json<Value>> {
    let (version, set) = policies::restore(state.store.as_ref(), &caller, None, number).await?;
    Ok(Json(view(&version, &set).await?))
}

/// `GET /v1/projects/{project}/policies`: what the Python SDK loads at `configure()`.
#[utoipa::path(get, path = "/v1/projects/{project}/policies", tag = "policies", summary = "Rules in evaluation order, for the SDK\'s configure()", params(("project" = String, Path, description = "Project name or id")), responses((status = 200, description = "OK")), security(("bearer" = [])))]
pub async fn sdk_rules(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> ApiResult<Json<Value>> {
    if project != caller.project.name && project != caller.project.id {
        return Err(AppError::NotFound(format!(
            "no project {project:?} for this API key"
        )));
    }
    let ActivePolicy { version, set } = policies::active(state.store.as_ref(), &caller).await?;
    let rules: Vec<Value> = set
        .rules
        .iter()
        .map(|r| {
            let mut rule = json!({ "action": r.action, "pattern": r.pattern });
            if let Some(agent) = &r.agent_pattern {
                rule["agent_pattern"] = json!(agent);
            }
            if let Some(cost) = r.cost_max_usd {
                rule["cost_max_usd"] = json!(cost);
            }
            rule
        })
        .collect();
    Ok(Json(
        json!({ "rules": rules, "precedence": set.precedence, "version": version.version }),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateBody {
    pub tool: String,
    pub agent: Option<String>,
    pub cost_usd: Option<f64>,
}

#[utoipa::path(post, path = "/v1/policy/evaluate", tag = "policies", summary = "Verdict and deciding rule under the active set", request_body = EvaluateBody, responses((status = 200, description = "OK")), security(("bearer" = [])))]
pub async fn evaluate(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<EvaluateBody>,
) -> ApiResult<Json<Value>> {
    let evaluation = policies::evaluate(
        state.store.as_ref(),
        &caller,
        &body.tool,
        body.agent.as_deref(),
        body.cost_usd,
    )
    .await?;
    Ok(Json(json!(evaluation)))
}
