//! The audit log as a file: `GET /dashboard/audit/export.csv` and `.jsonl`, with the
//! audit page's `?project=` and `?filter=` (the chips: `all`, `blocked`, `held`,
//! `redacted`, `errored`, `approvals`, `budget`). Plain GETs, so the page's links work
//! without JavaScript; every row of the filter, newest first, streamed page by page.
//! Only the projects the signed-in account may see can be exported.
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Extension;
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

use policy::AuditView;
use service::audit::{audit_tool, deciding_rule};
use service::projects::{self, PROJECT_COOKIE};

/// Rows read per store call.
const PAGE: u32 = 500;
/// The most rows one export holds; a longer log says so in its last line.
pub const MAX_ROWS: usize = 1_000_000;

/// The CSV header, in column order.
pub const CSV_COLUMNS: [&str; 11] = [
    "time",
    "agent",
    "kind",
    "tool",
    "verdict",
    "status",
    "rule",
    "trace_id",
    "span_id",
    "session_id",
    "approval_id",
];

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    project: Option<String>,
    filter: Option<String>,
}

#[derive(Clone, Copy)]
enum Format {
    Csv,
    Jsonl,
}

pub fn router(store: Arc<dyn store::Store>) -> Router {
    Router::new()
        .route(
            "/dashboard/audit/export.csv",
            get(|s, u, h, q| export(s, u, h, q, Format::Csv)),
        )
        .route(
            "/dashboard/audit/export.jsonl",
            get(|s, u, h, q| export(s, u, h, q, Format::Jsonl)),
        )
        .with_state(store)
}

fn problem(status: StatusCode, message: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message + "\n",
    )
        .into_response()
}

/// The project asked for (id or name), else the dashboard's remembered one, else the
/// first: the dashboard pages' own choice (`service::projects`), except that a project
/// asked for by name that `user` may not see is an error here, not a fallback.
async fn resolve(
    store: &service::Store,
    user: &store::User,
    headers: &HeaderMap,
    requested: Option<&str>,
) -> Result<Option<store::Project>, service::ServiceError> {
    let cookies = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok());
    let remembered = projects::cookie(cookies, PROJECT_COOKIE);
    let resolved = projects::resolve(store, user, requested, remembered).await?;
    Ok(resolved.project.filter(|_| !resolved.requested_unknown))
}

async fn export(
    State(store): State<Arc<dyn store::Store>>,
    user: Option<Extension<store::User>>,
    headers: HeaderMap,
    Query(q): Query<ExportQuery>,
    format: Format,
) -> Response {
    let view = match AuditView::parse(q.filter.as_deref()) {
        Ok(v) => v,
        Err(message) => return problem(StatusCode::UNPROCESSABLE_ENTITY, message),
    };
    // The session guard puts the signed-in account on every dashboard request.
    let Some(Extension(user)) = user else {
        return problem(StatusCode::UNAUTHORIZED, "sign in first".to_string());
    };
    let project = match resolve(store.as_ref(), &user, &headers, q.project.as_deref()).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            let message = match q.project.as_deref().filter(|p| !p.is_empty()) {
                Some(p) => format!("project: no project {p:?}"),
                None => "project: there is no project yet".to_string(),
            };
            return problem(StatusCode::NOT_FOUND, message);
        }
        Err(e) => {
            tracing::warn!(%e, "audit export: cannot list projects");
            return problem(StatusCode::SERVICE_UNAVAILABLE, e.to_string());
        }
    };
    let (ext, mime) = match format {
        Format::Csv => ("csv", "text/csv; charset=utf-8"),
        Format::Jsonl => ("jsonl", "application/x-ndjson"),
    };
    let filename = format!(
        "preflight-audit-{}-{}.{ext}",
        safe_filename(&project.name),
        view.as_str()
    );
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, std::io::Error>>(4);
    let caller = service::Caller::account(user, project);
    tokio::spawn(async move {
        if let Format::Csv = format {
            if tx.send(Ok(csv_line(&CSV_COLUMNS))).await.is_err() {
                return;
            }
        }
        let mut cursor = None;
        let mut sent = 0usize;
        loop {
            let filter = service::audit::filter_for(view, cursor.take(), PAGE);
            let page = match service::audit::page(store.as_ref(), &caller, &filter).await {
                Ok(page) => page,
                Err(e) => {
                    // The status line is gone; end the body with an error the reader sees.
                    tracing::warn!(%e, "audit export failed");
                    let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                    return;
                }
            };
            let mut chunk = String::new();
            for e in &page.events {
                if sent == MAX_ROWS {
                    break;
                }
                chunk.push_str(&match format {
                    Format::Csv => csv_line(&csv_row(e)),
                    Format::Jsonl => jsonl_line(e),
                });
                sent += 1;
            }
            if tx.send(Ok(chunk)).await.is_err() {
                return;
            }
            match page.next_cursor {
                Some(next) if sent < MAX_ROWS => cursor = Some(next),
                Some(_) => {
                    let note = format!("stopped after {MAX_ROWS} rows; narrow the filter");
                    let line = match format {
                        Format::Csv => csv_line(&[format!("# {note}")]),
                        Format::Jsonl => format!("{}\n", json!({ "truncated": note })),
                    };
                    let _ = tx.send(Ok(line)).await;
                    return;
                }
                None => return,
            }
        }
    });
    // Fused: a body may be polled again after its end (the compression layer does),
    // which an unfused `unfold` answers with a panic.
    let stream = futures::StreamExt::fuse(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }));
    let mut response = Response::new(Body::from_stream(stream));
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Letters, digits, `-`, `_` and `.`; anything else becomes `_`.
pub fn safe_filename(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "project".to_string()
    } else {
        cleaned
    }
}

/// One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF, with
/// quotes doubled. A field a spreadsheet would run as a formula (starting with `=`,
/// `+`, `-`, `@`, tab or CR) gets a leading `'`: tool names and agents come from agents.
pub fn csv_field(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// Fields joined by commas, ended by CRLF.
pub fn csv_line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = fields
        .iter()
        .map(|f| csv_field(f.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// An audit event in [`CSV_COLUMNS`] order.
pub fn csv_row(e: &store::StoredEvent) -> Vec<String> {
    vec![
        store::Timestamp(e.ts_micros).to_rfc3339(),
        e.agent_name.clone().unwrap_or_default(),
        e.kind.clone(),
        audit_tool(&e.kind, &e.tool, &e.payload),
        e.verdict.as_str().to_string(),
        e.status.clone(),
        deciding_rule(&e.payload).unwrap_or_default(),
        e.trace_id.clone(),
        e.span_id.clone(),
        e.session_id.clone().unwrap_or_default(),
        e.approval_id.clone().unwrap_or_default(),
    ]
}

/// An audit event as one JSON object per line (the CSV's columns plus the payload).
pub fn jsonl_line(e: &store::StoredEvent) -> String {
    let object: Value = json!({
        "time": store::Timestamp(e.ts_micros).to_rfc3339(),
        "agent": e.agent_name,
        "kind": e.kind,
        "tool": audit_tool(&e.kind, &e.tool, &e.payload),
        "verdict": e.verdict,
        "status": e.status,
        "rule": deciding_rule(&e.payload),
        "trace_id": e.trace_id,
        "span_id": e.span_id,
        "session_id": e.session_id,
        "approval_id": e.approval_id,
        "cost_usd": e.cost_usd,
        "payload": e.payload,
    });
    format!("{object}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("payments.refund"), "payments.refund");
        assert_eq!(csv_field(""), "");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("cr\rhere"), "\"cr\rhere\"");
        assert_eq!(csv_field("naïve ✓"), "naïve ✓");
    }

    #[test]
    fn csv_fields_never_run_as_formulas() {
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+1"), "'+1");
        assert_eq!(csv_field("-x"), "'-x");
        assert_eq!(csv_field("@sum"), "'@sum");
        assert_eq!(csv_field("block wire_*"), "block wire_*");
    }

    #[test]
    fn csv_lines_end_in_crlf() {
        assert_eq!(csv_line(&["a", "b,c", ""]), "a,\"b,c\",\r\n");
        assert_eq!(
            csv_line(&CSV_COLUMNS),
            "time,agent,kind,tool,verdict,status,rule,trace_id,span_id,session_id,approval_id\r\n"
        );
    }

    #[test]
    fn filenames_are_safe() {
        assert_eq!(safe_filename("demo"), "demo");
        assert_eq!(safe_filename("a b/../c\""), "a_b_.._c_");
        assert_eq!(safe_filename(""), "project");
    }

    fn event() -> store::StoredEvent {
        store::StoredEvent {
            trace_id: "t1".into(),
            span_id: "s1".into(),
            parent_span_id: None,
            kind: "policy_decision".into(),
            name: "policy.check".into(),
            tool: "policy.check".into(),
            sequence: 1,
            timestamp: "2026-01-02T03:04:05Z".into(),
            ts_micros: 1_767_323_045_000_000,
            status: "blocked".into(),
            verdict: policy::Verdict::Blocked,
            duration_ms: None,
            model: None,
            input_tokens: None,
            output_tokens: None,
            cost_usd: None,
            agent_name: Some("billing, agent".into()),
            session_id: None,
            environment: None,
            release_version: None,
            end_user_id: None,
            end_user_email: None,
            approval_id: None,
            originating_trace_id: None,
            originating_span_id: None,
            originating_agent_name: None,
            agent_card_uri: None,
            payload: json!({"tool_name": "wire_transfer", "policy_kind": "block", "pattern": "wire_*"}),
        }
    }

    #[test]
    fn rows_name_the_judged_tool_and_the_rule() {
        let e = event();
        let row = csv_line(&csv_row(&e));
        assert_eq!(
            row,
            "2026-01-02T03:04:05.000000Z,\"billing, agent\",policy_decision,wire_transfer,blocked,blocked,block wire_*,t1,s1,,\r\n"
        );
        let line = jsonl_line(&e);
        assert!(line.ends_with('\n') && !line.trim_end().contains('\n'));
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["tool"], "wire_transfer");
        assert_eq!(v["rule"], "block wire_*");
        assert_eq!(v["verdict"], "blocked");
        assert_eq!(v["agent"], "billing, agent");
    }
}
