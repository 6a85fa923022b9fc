//! The service's operations against a real store, on SQLite and on PostgreSQL: the
//! cases where the REST API's and the dashboard's copies of an operation used to
//! disagree, each now answered by the one function both call.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use policy::{Baseline, Draft, Verdict};
use serde_json::{json, Value};
use service::simulation::{self, Scope};
use service::{approvals, audit, datasets, ingest, policies, Caller, ServiceError};
use store::{KeyScope, Store, StoreOptions};

struct Env {
    url: String,
    store: Arc<dyn Store>,
    admin: Caller,
    viewer: Caller,
    /// API keys of each scope, all on the project.
    key: Caller,
    agent: Caller,
    reader: Caller,
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
        key: Caller::key("jj_abcdefg", KeyScope::Admin, project.clone()),
        agent: Caller::key("jj_agent01", KeyScope::Agent, project.clone()),
        reader: Caller::key("jj_reader1", KeyScope::Read, project),
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
        &env.agent,
        limits,
        &mut reservation,
    )
    .unwrap();
    ingest::store_batch(env.store.as_ref(), &env.agent, decoded)
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
            Scope::dataset(dataset.id.clone()),
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
        assert_eq!(run.traces_in_scope(), Some(1));
        assert_eq!(run.request.dataset_version, Some(2));
        // An unknown dataset is not found, not zero events.
        let missing = simulation::run(
            env.store.as_ref(),
            &env.viewer,
            &draft,
            Baseline::Recorded,
            Scope::dataset("nope"),
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
        assert_eq!((v2.version, v2.author.as_str()), (2, "key:jj_abcdefg"));
        let stale = policies::save(env.store.as_ref(), &env.admin, Some(1), &set, None)
            .await
            .unwrap_err();
        match stale {
            ServiceError::Conflict(m) => assert!(
                m.starts_with(
                    "not saved: version 2 by key:jj_abcdefg was saved after the version 1 you edited"
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

/// Every operation checks its caller's scope first: an agent key sends events, reads
/// its rules, asks for approvals and polls its own, and nothing else; a read key reads
/// and simulates but neither sends events nor changes anything.
#[tokio::test]
async fn an_agent_key_cannot_govern_itself() {
    each_backend(|env| async move {
        let s = env.store.as_ref();
        let out_of_scope = |r: Result<(), ServiceError>, needs: &[KeyScope]| match r {
            Err(ServiceError::OutOfScope { needs: n, .. }) => assert_eq!(n, needs),
            other => panic!("expected OutOfScope {needs:?}, got {other:?}"),
        };
        let read = [KeyScope::Read, KeyScope::Admin];
        let admin = [KeyScope::Admin];
        ingest(
            &env,
            vec![span("t1", "s1", "tool_call", "refund", 1, json!({}))],
        )
        .await;

        // What the SDK does.
        policies::evaluate(s, &env.agent, "refund", None, None)
            .await
            .unwrap();
        let own = approvals::request(s, &env.agent, "refund", None)
            .await
            .unwrap();
        assert_eq!(own.requested_by.as_deref(), Some("key:jj_agent01"));
        assert_eq!(approvals::get(s, &env.agent, &own.id).await.unwrap(), own);
        // Someone else's approval looks like one that does not exist.
        let other = approvals::request(s, &env.key, "refund", None)
            .await
            .unwrap();
        assert!(matches!(
            approvals::get(s, &env.agent, &other.id).await,
            Err(ServiceError::NotFound(_))
        ));

        // What it must not.
        let decision = approvals::Decision::Approved;
        out_of_scope(
            approvals::decide(s, &env.agent, &own.id, decision, None)
                .await
                .map(drop),
            &admin,
        );
        let page = store::PageRequest::first(10);
        out_of_scope(
            approvals::list(s, &env.agent, None, &page).await.map(drop),
            &read,
        );
        let set = policies::parse_rule_set(None, &json!([])).unwrap();
        out_of_scope(
            policies::save(s, &env.agent, None, &set, None)
                .await
                .map(drop),
            &admin,
        );
        out_of_scope(
            policies::versions(s, &env.agent, &page).await.map(drop),
            &read,
        );
        out_of_scope(
            datasets::create(s, &env.agent, "mine", None)
                .await
                .map(drop),
            &admin,
        );
        out_of_scope(datasets::list(s, &env.agent, &page).await.map(drop), &read);
        let filter = store::TraceFilter::default();
        out_of_scope(
            service::traces::list(s, &env.agent, &filter)
                .await
                .map(drop),
            &read,
        );

        // A read key reads, polls anyone's approval, but neither decides nor sends.
        service::traces::list(s, &env.reader, &filter)
            .await
            .unwrap();
        assert_eq!(approvals::get(s, &env.reader, &own.id).await.unwrap(), own);
        out_of_scope(
            approvals::decide(s, &env.reader, &own.id, decision, None)
                .await
                .map(drop),
            &admin,
        );
        out_of_scope(
            approvals::request(s, &env.reader, "refund", None)
                .await
                .map(drop),
            &[KeyScope::Agent, KeyScope::Admin],
        );
        let decided = approvals::decide(s, &env.key, &own.id, decision, None)
            .await
            .unwrap();
        assert_eq!(decided.decided_by.as_deref(), Some("key:jj_abcdefg"));
    })
    .await;
}

/// Every write is in the change log with its actor: the account's email or the key's
/// prefix; the log pages newest first and is read like the rest of the project.
#[tokio::test]
async fn every_write_records_its_actor() {
    each_backend(|env| async move {
        let s = env.store.as_ref();
        let ds = datasets::create(s, &env.admin, "fixtures", None)
            .await
            .unwrap();
        datasets::rename(s, &env.key, &ds.id, "regressions")
            .await
            .unwrap();
        let set =
            policies::parse_rule_set(None, &json!([{"pattern": "a*", "action": "block"}])).unwrap();
        policies::save(s, &env.key, None, &set, Some("tighten"))
            .await
            .unwrap();
        let asked = approvals::request(s, &env.agent, "refund", None)
            .await
            .unwrap();
        approvals::decide(
            s,
            &env.admin,
            &asked.id,
            approvals::Decision::Rejected,
            Some("no".into()),
        )
        .await
        .unwrap();
        let key = service::projects::create_key(s, &env.admin, KeyScope::Read)
            .await
            .unwrap();
        service::projects::revoke_key(s, &env.key, &key.info.id)
            .await
            .unwrap();
        datasets::delete(s, &env.admin, &ds.id).await.unwrap();
        // Refused writes leave no trace.
        assert!(datasets::create(s, &env.viewer, "nope", None)
            .await
            .is_err());

        let page = service::changes::page(s, &env.reader, None, 50)
            .await
            .unwrap();
        let seen: Vec<(String, &str, String, Option<String>)> = page
            .changes
            .iter()
            .rev()
            .map(|c| {
                (
                    c.actor.clone(),
                    c.kind.as_str(),
                    c.subject.clone(),
                    c.detail.clone(),
                )
            })
            .collect();
        let by_key = "key:jj_abcdefg".to_string();
        let ana = "ana@example.com".to_string();
        assert_eq!(
            seen,
            vec![
                (
                    ana.clone(),
                    "dataset_created",
                    ds.id.clone(),
                    Some("fixtures".into())
                ),
                (
                    by_key.clone(),
                    "dataset_renamed",
                    ds.id.clone(),
                    Some("renamed to regressions".into())
                ),
                (
                    by_key.clone(),
                    "policy_saved",
                    "version 1".into(),
                    Some("tighten".into())
                ),
                (
                    "key:jj_agent01".into(),
                    "approval_requested",
                    asked.id.clone(),
                    Some("refund".into())
                ),
                (
                    ana.clone(),
                    "approval_decided",
                    asked.id.clone(),
                    Some("rejected: no".into())
                ),
                (
                    ana.clone(),
                    "key_created",
                    key.info.prefix.clone(),
                    Some("read key".into())
                ),
                (by_key.clone(), "key_revoked", key.info.prefix.clone(), None),
                (ana.clone(), "dataset_deleted", ds.id.clone(), None),
            ]
        );
        assert_eq!(page.next_before, None);
        let first = service::changes::page(s, &env.reader, None, 3)
            .await
            .unwrap();
        let rest = service::changes::page(s, &env.reader, first.next_before, 50)
            .await
            .unwrap();
        assert_eq!([first.changes, rest.changes].concat(), page.changes);
        assert!(matches!(
            service::changes::page(s, &env.agent, None, 10).await,
            Err(ServiceError::OutOfScope { .. })
        ));
    })
    .await;
}

/// A stored run is a receipt: editing the dataset, changing the policy or deleting
/// events never changes what it says; a re-run is a new run linked to it; a dataset's
/// older version can be run again; expectations report what broke and why.
#[tokio::test]
async fn receipts_never_drift_and_expectations_say_what_broke() {
    use futures::TryStreamExt;
    each_backend(|env| async move {
        let store = env.store.as_ref();
        ingest(
            &env,
            vec![
                span(
                    "t1",
                    "s1",
                    "tool_call",
                    "wire_transfer",
                    0,
                    json!({"status": "blocked"}),
                ),
                span("t1", "s2", "tool_call", "search", 1, json!({})),
                span("t2", "s3", "tool_call", "wire_fee", 2, json!({})),
                span("t3", "s4", "tool_call", "wire_refund", 3, json!({})),
            ],
        )
        .await;
        let dataset = datasets::create(store, &env.admin, "fixtures", None)
            .await
            .unwrap();
        let admin = &env.admin;
        let dataset_id = dataset.id.clone();
        let pin = |traces: &[&str]| {
            let traces: Vec<String> = traces.iter().map(|t| t.to_string()).collect();
            let target = datasets::PinTarget::Existing(dataset_id.clone());
            async move { datasets::pin(store, admin, target, &traces).await.unwrap() }
        };
        pin(&["t1", "t2"]).await;
        // t1 keeps blocking wire transfers; nothing is said of t2.
        datasets::expect(
            store,
            &env.admin,
            &dataset.id,
            policy::Expectation {
                trace_id: "t1".into(),
                pattern: "wire_*".into(),
                expected: policy::Expected::Is(policy::Verdict::Blocked),
            },
        )
        .await
        .unwrap();
        let allow = Draft::from_value(json!({"kind": "allow", "pattern": "wire_*"})).unwrap();
        let first = simulation::run(
            store,
            &env.viewer,
            &allow,
            Baseline::Recorded,
            Scope::dataset(dataset.id.clone()),
        )
        .await
        .unwrap();
        let report = first.summary.expectations.clone().unwrap();
        assert_eq!(report.expectations_broken(), 1);
        assert_eq!(report.regressions[0].span_id, "s1");
        assert_eq!(
            report.regressions[0]
                .rule
                .as_ref()
                .map(|r| r.pattern.as_str()),
            Some("wire_*")
        );
        assert_eq!(
            report.unreviewed_changes, 0,
            "t2's wire_fee was allowed already"
        );
        let digest = first.summary.digest.clone().unwrap();
        let receipt = simulation::stored(store, &env.admin, &first.id)
            .await
            .unwrap();
        assert_eq!(receipt.request.dataset_version, Some(2));
        assert_eq!(receipt.request.dataset_name.as_deref(), Some("fixtures"));
        assert_eq!(receipt.traces_in_scope(), Some(2));
        assert_eq!(
            receipt.request.evaluator_version.as_deref(),
            Some(policy::EVALUATOR_VERSION)
        );

        // The world changes: a trace pinned and another unpinned, a policy saved.
        pin(&["t3"]).await;
        datasets::unpin(store, &env.admin, &dataset.id, "t2")
            .await
            .unwrap();
        let set =
            policies::parse_rule_set(None, &json!([{"pattern": "*", "action": "block"}])).unwrap();
        policies::save(store, &env.admin, None, &set, None)
            .await
            .unwrap();
        let again = simulation::stored(store, &env.admin, &first.id)
            .await
            .unwrap();
        assert_eq!(again, receipt, "the receipt is as it was");

        // Its fixtures still reproduce its digest: the same events under the same rules.
        let events: Vec<policy::Event> = simulation::receipt_events(store, &env.viewer, &again)
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        let rules = again.request.draft_rules.clone().unwrap();
        let header = policy::receipt_header(&rules, allow.unmatched, None);
        let mut check = policy::Simulator::new(&allow.compiled, allow.unmatched).digesting(&header);
        for e in &events {
            check.push(e);
        }
        assert_eq!(check.finish().digest, Some(digest.clone()));

        // Run again: the dataset as it is now, linked to the first run.
        let rerun = simulation::rerun(store, &env.viewer, &first.id)
            .await
            .unwrap();
        assert_eq!(rerun.request.rerun_of.as_deref(), Some(first.id.as_str()));
        assert_eq!(rerun.request.dataset_version, Some(4));
        assert_ne!(rerun.summary.digest, Some(digest.clone()));
        let change = simulation::scope_change(&receipt.request, &rerun.request).unwrap();
        assert_eq!(change.added, vec!["t3".to_string()]);
        assert_eq!(change.removed, vec!["t2".to_string()]);
        // ... and an older version can be run on purpose: the same digest as the first.
        let old = simulation::run(
            store,
            &env.viewer,
            &allow,
            Baseline::Recorded,
            Scope::Dataset {
                id: dataset.id.clone(),
                version: Some(2),
            },
        )
        .await
        .unwrap();
        assert_eq!(old.summary.digest, Some(digest));
        let never = simulation::run(
            store,
            &env.viewer,
            &allow,
            Baseline::Recorded,
            Scope::Dataset {
                id: dataset.id.clone(),
                version: Some(99),
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(never, ServiceError::NotFound(_)), "{never:?}");
        // A whole rule set against the active policy records that policy in the receipt.
        let whole = Draft::from_value(json!([{"action": "allow", "pattern": "*"}])).unwrap();
        let against = simulation::run(
            store,
            &env.viewer,
            &whole,
            Baseline::ActivePolicy,
            Scope::dataset(dataset.id.clone()),
        )
        .await
        .unwrap();
        assert_eq!(against.request.baseline_version, Some(1));
        assert_eq!(against.request.baseline_rules.as_ref(), Some(&set));
    })
    .await;
}

/// Approvals are a person's judgement of a real call: a run says which approved calls
/// a draft would block and which rejected ones it would allow.
#[tokio::test]
async fn decided_approvals_label_the_calls_they_decided() {
    each_backend(|env| async move {
        let store = env.store.as_ref();
        let approved = approvals::request(store, &env.key, "payments.refund", None)
            .await
            .unwrap();
        let rejected = approvals::request(store, &env.key, "payments.refund", None)
            .await
            .unwrap();
        approvals::decide(
            store,
            &env.admin,
            &approved.id,
            approvals::Decision::Approved,
            None,
        )
        .await
        .unwrap();
        approvals::decide(
            store,
            &env.admin,
            &rejected.id,
            approvals::Decision::Rejected,
            None,
        )
        .await
        .unwrap();
        let held = |trace: &str, id: &str| {
            span(
                trace,
                "s1",
                "tool_call",
                "payments.refund",
                0,
                json!({"status": "pending_approval", "approval_id": id}),
            )
        };
        ingest(
            &env,
            vec![held("t1", &approved.id), held("t2", &rejected.id)],
        )
        .await;
        let block = Draft::from_value(json!({"kind": "block", "pattern": "payments.*"})).unwrap();
        let run = simulation::run(
            store,
            &env.viewer,
            &block,
            Baseline::Recorded,
            Scope::Traces(vec!["t1".into(), "t2".into()]),
        )
        .await
        .unwrap();
        let reviews = run.summary.reviews.unwrap();
        assert_eq!((reviews.approved, reviews.rejected), (1, 1));
        assert_eq!(reviews.approved_would_block, 1);
        assert_eq!(reviews.rejected_would_allow, 0);
        assert_eq!(reviews.samples[0].trace_id, "t1");
    })
    .await;
}

/// Beyond the scope: every name the project saw lately whose verdict the draft would
/// change, with its events, decided once per name and kept in the receipt.
#[tokio::test]
async fn a_run_reports_its_blast_radius_beyond_the_scope() {
    each_backend(|env| async move {
        let store = env.store.as_ref();
        let now = store::Timestamp(store::now_micros() - 3_600_000_000).to_rfc3339();
        let recent = |trace: &str, name: &str, extra: Value| {
            let mut event = span(trace, "s1", "tool_call", name, 0, extra);
            event["timestamp"] = json!(now);
            event
        };
        ingest(
            &env,
            vec![
                recent("t1", "wire_transfer", json!({})),
                recent("t2", "wire_transfer", json!({"status": "blocked"})),
                recent("t3", "wire_transfer", json!({"agent_name": "ops-bot"})),
                recent("t4", "ach_transfer", json!({})),
                recent("t5", "search", json!({})),
                // Older than the window: not seen.
                span("t6", "s1", "tool_call", "card_transfer", 0, json!({})),
            ],
        )
        .await;
        let draft = Draft::from_value(json!({"kind": "block", "pattern": "*_transfer"})).unwrap();
        let run = simulation::run(
            store,
            &env.viewer,
            &draft,
            Baseline::Recorded,
            Scope::Traces(vec!["t1".into()]),
        )
        .await
        .unwrap();
        assert_eq!(run.summary.events_scanned, 1, "the scope is t1 alone");
        let blast = run.summary.blast_radius.clone().unwrap();
        assert_eq!(blast.window_days, 30);
        assert_eq!((blast.names_seen, blast.events_seen), (3, 5));
        assert_eq!((blast.names_changed, blast.events_changed), (2, 3));
        let mut rows: Vec<(String, Option<String>, Verdict, Verdict, u64)> = blast
            .changes
            .iter()
            .map(|c| (c.tool.clone(), c.agent.clone(), c.from, c.to, c.events))
            .collect();
        rows.sort();
        let bot = |a: &str| Some(a.to_string());
        assert_eq!(
            rows,
            vec![
                (
                    "ach_transfer".into(),
                    bot("support-bot"),
                    Verdict::Allowed,
                    Verdict::Blocked,
                    1
                ),
                (
                    "wire_transfer".into(),
                    bot("ops-bot"),
                    Verdict::Allowed,
                    Verdict::Blocked,
                    1
                ),
                (
                    "wire_transfer".into(),
                    bot("support-bot"),
                    Verdict::Allowed,
                    Verdict::Blocked,
                    1
                ),
            ]
        );
        // The receipt keeps it as it was.
        let stored = simulation::stored(store, &env.viewer, &run.id)
            .await
            .unwrap();
        assert_eq!(stored.summary.blast_radius, Some(blast));
    })
    .await;
}
