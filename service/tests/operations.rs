//! The service's operations against a real store, on SQLite and on PostgreSQL: the
//! cases where the REST API's and the dashboard's copies of an operation used to
//! disagree, each now answered by the one function both call.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use policy::{Baseline, Draft, Verdict};
use serde_json::{json, Value};
use service::simulation::{self, Scope};
use service::{approvals, audit, datasets, ingest, policies, Caller, ServiceError};
use store::{Store, StoreOptions};

struct Env {
    url: String,
    store: Arc<dyn Store>,
    admin: Caller,
    viewer: Caller,
    key: Caller,
}

fn user(email: &str, role: store::Role) -> store::User {
    store::User {
        id: email.to_string(),
        email: email.to_string(),
        role,
        created_at: store::Timestamp::now(),
        projects: Vec::new(),
        disabled_at: None,
    }
}

async fn env(postgres: bool) -> Env {
    let url = if postgres {
        store::testing::fresh_postgres_url().await
    } else {
        store::testing::fresh_sqlite_url()
    };
    let store = store::open(&url, StoreOptions::default())
        .await
        .expect("open store");
    let project = store.create_project("ops").await.unwrap();
    Env {
        admin: Caller::account(user("ana@example.com", store::Role::Admin), project.clone()),
        viewer: Caller::account(
            user("vic@example.com", store::Role::Viewer),
            project.clone(),
        ),
        key: Caller::key("jj_abcdefg", project),
        store,
        url,
    }
}

fn span(trace: &str, span: &str, kind: &str, name: &str, minute: u32, extra: Value) -> Value {
    let mut event = json!({"type": "span", "trace_id": trace, "span_id": span, "kind": kind,
        "name": name, "timestamp": format!("2026-11-01T10:{minute:02}:00Z"), "status": "ok",
        "agent_name": "support-bot"});
    if let (Some(e), Some(x)) = (event.as_object_mut(), extra.as_object()) {
        e.extend(x.clone());
    }
    event
}

async fn ingest(env: &Env, events: Vec<Value>) -> ingest::IngestOutcome {
    let body = serde_json::to_vec(&json!({ "events": events })).unwrap();
    let budget = ingest::MemoryBudget::new(64 << 20);
    let mut reservation = budget.reservation();
    let limits = ingest::BatchLimits {
        max_events: 5_000,
        max_inflated_bytes: 32 << 20,
    };
    let decoded = ingest::decode_batch(
        &body,
        ingest::ContentEncoding::Identity,
        &env.key,
        limits,
        &mut reservation,
    )
    .unwrap();
    ingest::store_batch(env.store.as_ref(), &env.key, decoded)
        .await
        .unwrap()
}

async fn each_backend<F, Fut>(test: F)
where
    F: Fn(Env) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let sqlite = env(false).await;
    let url = sqlite.url.clone();
    test(sqlite).await;
    store::testing::remove_sqlite(&url);
    let postgres = env(true).await;
    let url = postgres.url.clone();
    test(postgres).await;
    store::testing::drop_postgres_database(&url).await;
}

#[tokio::test]
async fn a_bad_event_is_rejected_alone_and_a_resent_span_keeps_its_last_copy() {
    each_backend(|env| async move {
        let outcome = ingest(
            &env,
            vec![
                span("t1", "s1", "tool_call", "first.copy", 0, json!({})),
                span("t1", "s2", "no_such_kind", "x", 1, json!({})),
                span("t1", "s1", "tool_call", "second.copy", 2, json!({})),
            ],
        )
        .await;
        assert_eq!(outcome.accepted, 2);
        assert_eq!(outcome.rejected.len(), 1);
        assert_eq!(outcome.rejected[0].index, 1);
        assert!(outcome.rejected[0].error.starts_with("kind: unknown kind"));
        let events = service::traces::get(
            env.store.as_ref(),
            &env.admin,
            "t1",
            &store::PageRequest::first(100),
        )
        .await
        .unwrap()
        .events;
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].name, "second.copy");
    })
    .await;
}

#[tokio::test]
async fn the_audit_log_and_the_replay_bundle_use_one_rule() {
    each_backend(|env| async move {
        ingest(
            &env,
            vec![
                span("t1", "a", "tool_call", "plain", 0, json!({})),
                span(
                    "t1",
                    "b",
                    "tool_call",
                    "held",
                    1,
                    json!({"status": "pending_approval"}),
                ),
                span("t1", "c", "approval", "approve", 2, json!({})),
                span(
                    "t1",
                    "d",
                    "tool_call",
                    "decided",
                    3,
                    json!({"policy_decisions": [{"policy_kind": "allow", "pattern": "d*"}]}),
                ),
                span("t1", "e", "llm_call", "model", 4, json!({})),
            ],
        )
        .await;
        let page = audit::page(
            env.store.as_ref(),
            &env.admin,
            &audit::filter_for(policy::AuditView::All, None, 100),
        )
        .await
        .unwrap();
        let mut in_log: Vec<String> = page.events.iter().map(|e| e.span_id.clone()).collect();
        in_log.sort();
        let events = service::traces::get(
            env.store.as_ref(),
            &env.admin,
            "t1",
            &store::PageRequest::first(100),
        )
        .await
        .unwrap()
        .events;
        let mut relevant: Vec<String> = events
            .iter()
            .filter(|e| e.policy_relevant())
            .map(|e| e.span_id.clone())
            .collect();
        relevant.sort();
        assert_eq!(in_log, ["b", "c", "d"]);
        assert_eq!(in_log, relevant);
    })
    .await;
}

#[tokio::test]
async fn preview_events_keep_the_most_recent() {
    each_backend(|env| async move {
        let events = (0..5)
            .map(|i| {
                span(
                    "t1",
                    &format!("s{i}"),
                    "tool_call",
                    &format!("tool.{i}"),
                    i,
                    json!({}),
                )
            })
            .collect();
        ingest(&env, events).await;
        let window = Scope::Window {
            since_micros: None,
            until_micros: None,
        };
        let preview = simulation::preview_events_within(env.store.as_ref(), &env.viewer, window, 3)
            .await
            .unwrap();
        assert!(preview.truncated);
        let tools: Vec<&str> = preview.events.iter().map(|e| e.tool.as_str()).collect();
        assert_eq!(tools, ["tool.2", "tool.3", "tool.4"]);
    })
    .await;
}

#[tokio::test]
async fn a_run_keeps_a_typed_record_and_reads_back() {
    each_backend(|env| async move {
        ingest(
            &env,
            vec![
                span("t1", "s1", "tool_call", "wire_transfer", 0, json!({})),
                span("t1", "s2", "tool_call", "search", 1, json!({})),
            ],
        )
        .await;
        let dataset = datasets::create(env.store.as_ref(), &env.admin, "fixtures", None)
            .await
            .unwrap();
        datasets::pin(
            env.store.as_ref(),
            &env.admin,
            datasets::PinTarget::Existing(dataset.id.clone()),
            &["t1".to_string()],
        )
        .await
        .unwrap();
        // A whole rule set, against the active policy (which blocks nothing yet).
        let draft = Draft::from_value(json!({"rules": [{"pattern": "wire_*", "action": "block"}]}))
            .unwrap();
        let saved = simulation::run(
            env.store.as_ref(),
            &env.viewer,
            &draft,
            draft.default_baseline(),
            Scope::Dataset(dataset.id.clone()),
        )
        .await
        .unwrap();
        assert_eq!(saved.summary.events_scanned, 2);
        assert_eq!(saved.summary.events_would_have_changed, 1);
        let run = simulation::stored(env.store.as_ref(), &env.admin, &saved.id)
            .await
            .unwrap();
        assert_eq!(run.request.dataset_id.as_deref(), Some(dataset.id.as_str()));
        assert_eq!(run.request.baseline, Baseline::ActivePolicy);
        assert_eq!(run.request.draft, draft.value);
        assert_eq!(run.summary, saved.summary);
        assert_eq!(run.trace_count, 1);
        // An unknown dataset is not found, not zero events.
        let missing = simulation::run(
            env.store.as_ref(),
            &env.viewer,
            &draft,
            Baseline::Recorded,
            Scope::Dataset("nope".into()),
        )
        .await
        .unwrap_err();
        assert!(matches!(missing, ServiceError::NotFound(_)), "{missing:?}");
    })
    .await;
}

#[tokio::test]
async fn policy_saves_are_compare_and_set_and_name_their_author() {
    each_backend(|env| async move {
        let set =
            policies::parse_rule_set(None, &json!([{"pattern": "a*", "action": "block"}])).unwrap();
        let v1 = policies::save(env.store.as_ref(), &env.admin, Some(0), &set, None)
            .await
            .unwrap();
        assert_eq!((v1.version, v1.author.as_str()), (1, "ana@example.com"));
        let v2 = policies::save(env.store.as_ref(), &env.key, None, &set, Some("from CI"))
            .await
            .unwrap();
        assert_eq!((v2.version, v2.author.as_str()), (2, "api"));
        let stale = policies::save(env.store.as_ref(), &env.admin, Some(1), &set, None)
            .await
            .unwrap_err();
        match stale {
            ServiceError::Conflict(m) => assert!(
                m.starts_with(
                    "not saved: version 2 by api was saved after the version 1 you edited"
                ),
                "{m}"
            ),
            other => panic!("{other:?}"),
        }
        let refused = policies::save(env.store.as_ref(), &env.viewer, None, &set, None).await;
        assert!(matches!(refused, Err(ServiceError::Forbidden(_))));
        // An edit is redone on the newest version.
        let (v3, edited) = policies::edit(env.store.as_ref(), &env.key, None, |rules| {
            rules.push(policy::Rule::new("b*", policy::Action::RequireApproval));
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(v3.version, 3);
        assert_eq!(edited.rules.len(), 2);
        let evaluation = policies::evaluate(env.store.as_ref(), &env.key, "b1", None, None)
            .await
            .unwrap();
        assert_eq!(evaluation.verdict, Verdict::Held);
        assert_eq!(evaluation.policy_version, 3);
    })
    .await;
}

#[tokio::test]
async fn names_and_decisions_are_checked_once() {
    each_backend(|env| async move {
        let long = "x".repeat(201);
        let err = datasets::create(env.store.as_ref(), &env.admin, &long, None)
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "name: longer than 200 characters");
        datasets::create(env.store.as_ref(), &env.admin, " fixtures ", None)
            .await
            .unwrap();
        let taken = datasets::create(env.store.as_ref(), &env.key, "fixtures", None)
            .await
            .unwrap_err();
        assert_eq!(
            taken,
            ServiceError::Conflict("a dataset named \"fixtures\" already exists".into())
        );
        let approval = approvals::request(env.store.as_ref(), &env.key, "refund", None)
            .await
            .unwrap();
        let decided = approvals::decide(
            env.store.as_ref(),
            &env.admin,
            &approval.id,
            approvals::Decision::Approved,
            Some("  fine ".into()),
        )
        .await
        .unwrap();
        assert_eq!(decided.decided_by.as_deref(), Some("ana@example.com"));
        assert_eq!(decided.reason.as_deref(), Some("fine"));
        let again = approvals::decide(
            env.store.as_ref(),
            &env.key,
            &approval.id,
            approvals::Decision::Rejected,
            None,
        )
        .await
        .unwrap_err();
        assert!(matches!(again, ServiceError::Conflict(m) if m.contains("already approved by ana@example.com")));
    })
    .await;
}
