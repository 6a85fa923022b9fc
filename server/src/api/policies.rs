//! The project's active rule set: read, replace, edit rule by rule, version history,
//! the SDK sync endpoint and one-off evaluation. Every change is a new version.
use axum::extract::{Path, State};
use axum::Json;
use policy::{CompiledPolicy, RuleSet, Subject};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{ApiJson, ApiResult, AppError, AppState, Caller, ErrorBody};

/// Author recorded on versions made through the API (dashboard users get their own name).
const API_AUTHOR: &str = "api";

/// Longest version message kept, in characters (every version keeps its message).
const MAX_MESSAGE_CHARS: usize = 4096;

/// Longest tool or agent name `evaluate` takes: what ingest accepts as a span name.
const MAX_SUBJECT_CHARS: usize = 1024;

fn check_message(message: Option<String>) -> ApiResult<Option<String>> {
    match message {
        Some(m) if m.chars().count() > MAX_MESSAGE_CHARS => Err(AppError::invalid(
            "message",
            format!("longer than {MAX_MESSAGE_CHARS} characters"),
        )),
        other => Ok(other),
    }
}

/// Validates rules through the `policy` crate; errors name the field (`rules[2].action`).
pub fn parse_rule_set(precedence: Option<&str>, rules: &Value) -> ApiResult<RuleSet> {
    let mut doc = json!({ "version": 1, "rules": rules });
    if let Some(p) = precedence {
        doc["precedence"] = json!(p);
    }
    let set = RuleSet::from_value(&doc)?;
    set.compile()?;
    Ok(set)
}

fn stored_rule_set(version: &store::PolicyVersion) -> ApiResult<RuleSet> {
    parse_rule_set(Some(&version.precedence), &version.rules).map_err(|e| {
        AppError::Internal(format!(
            "stored policy version {} is invalid: {e:?}",
            version.version
        ))
    })
}

pub async fn active_rule_set(
    state: &AppState,
    project_id: &str,
) -> ApiResult<(store::PolicyVersion, RuleSet)> {
    let version = state.store.active_policy(project_id).await?;
    let set = stored_rule_set(&version)?;
    Ok((version, set))
}

fn view(version: &store::PolicyVersion, set: &RuleSet) -> Value {
    json!({
        "version": version.version,
        "precedence": set.precedence,
        "rules": set.rules,
        "warnings": set.lint(),
        "author": version.author,
        "created_at": version.created_at,
        "message": version.message,
    })
}

async fn save(
    state: &AppState,
    project_id: &str,
    set: &RuleSet,
    message: Option<String>,
) -> ApiResult<Json<Value>> {
    save_version(state, project_id, None, set, message.as_deref()).await
}

/// Saves `set` as the next version. With `base`, only if version `base` is still the
/// newest (`Err(Conflict)` otherwise): edits made on a read of the active set.
async fn save_version(
    state: &AppState,
    project_id: &str,
    base: Option<i64>,
    set: &RuleSet,
    message: Option<&str>,
) -> ApiResult<Json<Value>> {
    let precedence = serde_json::to_value(set.precedence)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "last_match".to_string());
    let rules = serde_json::to_value(&set.rules).map_err(|e| AppError::Internal(e.to_string()))?;
    let version = match base {
        None => {
            state
                .store
                .save_policy(project_id, &precedence, rules, API_AUTHOR, message)
                .await?
        }
        Some(base) => {
            state
                .store
                .save_policy_on(project_id, base, &precedence, rules, API_AUTHOR, message)
                .await?
        }
    };
    Ok(Json(view(&version, set)))
}

#[utoipa::path(get, path = "/v1/policies", tag = "policies", summary = "The active rule set with version, precedence and lint warnings", responses((status = 200, description = "OK"), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody)), security(("bearer" = [])))]
pub async fn active(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let (version, set) = active_rule_set(&state, &caller.project.id).await?;
    Ok(Json(view(&version, &set)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaceBody {
    pub precedence: Option<String>,
    #[schema(value_type = Object)]
    pub rules: Value,
    pub message: Option<String>,
}

#[utoipa::path(put, path = "/v1/policies", tag = "policies", summary = "Replace the active rule set (a new version)", request_body = ReplaceBody, responses((status = 200, description = "OK"), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 422, description = "Invalid, naming the field", body = ErrorBody)), security(("bearer" = [])))]
pub async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ReplaceBody>,
) -> ApiResult<Json<Value>> {
    let message = check_message(body.message)?;
    let set = parse_rule_set(body.precedence.as_deref(), &body.rules)?;
    save(&state, &caller.project.id, &set, message).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    #[schema(value_type = Object)]
    pub rule: Value,
    /// Where to insert (0-based); the end when absent.
    pub position: Option<usize>,
    pub message: Option<String>,
}

/// Parses one rule in any accepted shape, reporting errors under `rule`.
fn parse_one_rule(rule: &Value) -> ApiResult<policy::Rule> {
    let set = RuleSet::from_value(&json!({ "version": 1, "rules": [rule] })).map_err(|errors| {
        AppError::from(
            errors
                .into_iter()
                .map(|e| policy::FieldError {
                    field: e.field.replacen("rules[0]", "rule", 1),
                    message: e.message,
                })
                .collect::<Vec<_>>(),
        )
    })?;
    set.rules
        .into_iter()
        .next()
        .ok_or_else(|| AppError::invalid("rule", "missing"))
}

/// How often an edit is redone on a fresh read when another version was saved
/// between its read and its write.
const EDIT_ATTEMPTS: usize = 16;

/// Applies an edit to the active set and saves the result as a new version, as a
/// compare-and-set: if another version was saved meanwhile (by a concurrent request,
/// here or on another server), the edit is redone on top of it rather than
/// overwriting it (concurrent inserts through two servers used to lose rules).
async fn edit(
    state: &AppState,
    project_id: &str,
    message: Option<String>,
    change: impl Fn(&mut Vec<policy::Rule>) -> ApiResult<()>,
) -> ApiResult<Json<Value>> {
    for _ in 0..EDIT_ATTEMPTS {
        let (version, mut set) = active_rule_set(state, project_id).await?;
        change(&mut set.rules)?;
        set.compile()?;
        match save_version(
            state,
            project_id,
            Some(version.version),
            &set,
            message.as_deref(),
        )
        .await
        {
            Err(AppError::Conflict(_)) => continue,
            done => return done,
        }
    }
    Err(AppError::Conflict(
        "the policy kept changing while this edit was applied; try again".to_string(),
    ))
}

fn check_index(rules: &[policy::Rule], index: usize) -> ApiResult<()> {
    if index >= rules.len() {
        return Err(AppError::NotFound(format!(
            "no rule at index {index}; the active set has {} rules",
            rules.len()
        )));
    }
    Ok(())
}

#[utoipa::path(post, path = "/v1/policies/rules", tag = "policies", summary = "Insert one rule (a new version)", request_body = RuleBody, responses((status = 200, description = "OK"), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 422, description = "Invalid, naming the field", body = ErrorBody)), security(("bearer" = [])))]
pub async fn add_rule(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<RuleBody>,
) -> ApiResult<Json<Value>> {
    let rule = parse_one_rule(&body.rule)?;
    let message = check_message(body.message)?;
    edit(&state, &caller.project.id, message, |rules| {
        let at = body.position.unwrap_or(rules.len());
        if at > rules.len() {
            return Err(AppError::invalid(
                "position",
                format!("must be at most {}", rules.len()),
            ));
        }
        rules.insert(at, rule.clone());
        Ok(())
    })
    .await
}

#[utoipa::path(put, path = "/v1/policies/rules/{index}", tag = "policies", summary = "Replace one rule (a new version)", params(("index" = usize, Path, description = "0-based rule index")), request_body = RuleBody, responses((status = 200, description = "OK"), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 404, description = "Not found in this project", body = ErrorBody), (status = 422, description = "Invalid, naming the field", body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_rule(
    State(state): State<AppState>,
    caller: Caller,
    Path(index): Path<usize>,
    ApiJson(body): ApiJson<RuleBody>,
) -> ApiResult<Json<Value>> {
    let rule = parse_one_rule(&body.rule)?;
    let message = check_message(body.message)?;
    edit(&state, &caller.project.id, message, |rules| {
        check_index(rules, index)?;
        rules[index] = rule.clone();
        Ok(())
    })
    .await
}

#[utoipa::path(delete, path = "/v1/policies/rules/{index}", tag = "policies", summary = "Delete one rule (a new version)", params(("index" = usize, Path, description = "0-based rule index")), responses((status = 200, description = "OK"), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 404, description = "Not found in this project", body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_rule(
    State(state): State<AppState>,
    caller: Caller,
    Path(index): Path<usize>,
) -> ApiResult<Json<Value>> {
    edit(&state, &caller.project.id, None, |rules| {
        check_index(rules, index)?;
        rules.remove(index);
        Ok(())
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReorderBody {
    /// The current indices in their new order: a permutation of 0..n.
    pub order: Vec<usize>,
    pub message: Option<String>,
}

#[utoipa::path(post, path = "/v1/policies/order", tag = "policies", summary = "Reorder the rules (a new version)", request_body = ReorderBody, responses((status = 200, description = "OK"), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 422, description = "Invalid, naming the field", body = ErrorBody)), security(("bearer" = [])))]
pub async fn reorder(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ReorderBody>,
) -> ApiResult<Json<Value>> {
    let message = check_message(body.message)?;
    edit(&state, &caller.project.id, message, |rules| {
        let mut seen = vec![false; rules.len()];
        let valid = body.order.len() == rules.len()
            && body
                .order
                .iter()
                .all(|&i| i < seen.len() && !std::mem::replace(&mut seen[i], true));
        if !valid {
            return Err(AppError::invalid(
                "order",
                format!("must list each index 0..{} exactly once", rules.len()),
            ));
        }
        let reordered = body.order.iter().map(|&i| rules[i].clone()).collect();
        *rules = reordered;
        Ok(())
    })
    .await
}

/// What changed between two versions: rules added and removed, order, precedence.
fn diff(previous: Option<&store::PolicyVersion>, current: &store::PolicyVersion) -> Value {
    let empty = Vec::new();
    let before = previous.and_then(|p| p.rules.as_array()).unwrap_or(&empty);
    let after = current.rules.as_array().unwrap_or(&empty);
    let added: Vec<&Value> = after.iter().filter(|r| !before.contains(r)).collect();
    let removed: Vec<&Value> = before.iter().filter(|r| !after.contains(r)).collect();
    let kept_before: Vec<&Value> = before.iter().filter(|r| after.contains(r)).collect();
    let kept_after: Vec<&Value> = after.iter().filter(|r| before.contains(r)).collect();
    json!({
        "added": added,
        "removed": removed,
        "reordered": kept_before != kept_after,
        "precedence_changed": previous.is_some_and(|p| p.precedence != current.precedence),
    })
}

#[utoipa::path(get, path = "/v1/policies/versions", tag = "policies", summary = "Every version, newest first, each with its diff", responses((status = 200, description = "OK"), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody)), security(("bearer" = [])))]
pub async fn versions(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let versions = state.store.policy_versions(&caller.project.id).await?;
    // Newest first; each diffed against the one before it.
    let listed: Vec<Value> = versions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            json!({
                "version": v.version,
                "precedence": v.precedence,
                "rules": v.rules,
                "author": v.author,
                "created_at": v.created_at,
                "message": v.message,
                "diff": diff(versions.get(i + 1), v),
            })
        })
        .collect();
    Ok(Json(json!({ "versions": listed })))
}

#[utoipa::path(get, path = "/v1/policies/versions/{version}", tag = "policies", summary = "One version", params(("version" = i64, Path)), responses((status = 200, description = "OK"), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 404, description = "Not found in this project", body = ErrorBody)), security(("bearer" = [])))]
pub async fn version(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<i64>,
) -> ApiResult<Json<store::PolicyVersion>> {
    state
        .store
        .policy_version(&caller.project.id, number)
        .await?
        .map(Json)
        .ok_or_else(|| AppError::NotFound(format!("no policy version {number}")))
}

#[utoipa::path(post, path = "/v1/policies/versions/{version}/restore", tag = "policies", summary = "Restore a version (as a new version)", params(("version" = i64, Path)), responses((status = 200, description = "OK"), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 404, description = "Not found in this project", body = ErrorBody)), security(("bearer" = [])))]
pub async fn restore(
    State(state): State<AppState>,
    caller: Caller,
    Path(number): Path<i64>,
) -> ApiResult<Json<Value>> {
    let old = state
        .store
        .policy_version(&caller.project.id, number)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no policy version {number}")))?;
    let set = stored_rule_set(&old)?;
    save(
        &state,
        &caller.project.id,
        &set,
        Some(format!("restore version {number}")),
    )
    .await
}

/// `GET /v1/projects/{project}/policies`: what the Python SDK loads at `configure()`.
#[utoipa::path(get, path = "/v1/projects/{project}/policies", tag = "policies", summary = "Rules in evaluation order, for the SDK\'s configure()", params(("project" = String, Path, description = "Project name or id")), responses((status = 200, description = "OK"), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 404, description = "Not found in this project", body = ErrorBody)), security(("bearer" = [])))]
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
    let (version, set) = active_rule_set(&state, &caller.project.id).await?;
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

#[utoipa::path(post, path = "/v1/policy/evaluate", tag = "policies", summary = "Verdict and deciding rule under the active set", request_body = EvaluateBody, responses((status = 200, description = "OK"), (status = 401, description = "Missing, unknown or revoked API key", body = ErrorBody), (status = 422, description = "Invalid, naming the field", body = ErrorBody)), security(("bearer" = [])))]
pub async fn evaluate(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<EvaluateBody>,
) -> ApiResult<Json<Value>> {
    for (field, name) in [("tool", Some(&body.tool)), ("agent", body.agent.as_ref())] {
        if name.is_some_and(|n| n.chars().count() > MAX_SUBJECT_CHARS) {
            return Err(AppError::invalid(
                field,
                format!("longer than {MAX_SUBJECT_CHARS} characters"),
            ));
        }
    }
    if body.cost_usd.is_some_and(|c| !c.is_finite() || c < 0.0) {
        return Err(AppError::invalid(
            "cost_usd",
            "must be a finite number >= 0",
        ));
    }
    let (version, set) = active_rule_set(&state, &caller.project.id).await?;
    let compiled: CompiledPolicy = set.compile()?;
    let subject = Subject {
        tool: &body.tool,
        agent: body.agent.as_deref(),
        cost_usd: body.cost_usd,
    };
    let decision = compiled.evaluate(&subject);
    Ok(Json(json!({
        "verdict": decision.verdict,
        "audited": decision.audited,
        "decision": decision.conformance(),
        "rule": decision.rule,
        "matching_rules": compiled.matching_rules(&subject),
        "policy_version": version.version,
    })))
}
