use policy::Verdict;
use serde_json::json;
use store::{AuditFilter, Store, StoreError, VerdictCounts};

use crate::support::{ev, EventExt};

fn spans(page: &store::AuditPage) -> Vec<&str> {
    page.events.iter().map(|e| e.span_id.as_str()).collect()
}

pub async fn audit_log(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    let mut with_decisions = ev("t1", "e6", 6);
    with_decisions.payload = json!({"policy_decisions": [{"policy_kind": "audit_only"}]});
    let mut empty_decisions = ev("t1", "x3", 7);
    empty_decisions.payload = json!({"policy_decisions": []});
    let batch = vec![
        ev("t1", "x1", 0), // plain allowed call: not audited
        ev("t1", "e1", 1).kind("policy_decision"),
        ev("t1", "e2", 2).kind("approval").verdict(Verdict::Held),
        ev("t1", "e3", 3).kind("budget_check"),
        ev("t1", "e4", 4).verdict(Verdict::Blocked),
        ev("t2", "e5", 5)
            .kind("llm_call")
            .verdict(Verdict::Redacted),
        with_decisions,
        empty_decisions, // empty list: not audited
        ev("t2", "x2", 8).kind("custom"),
        ev("t2", "e7", 9).kind("error").verdict(Verdict::Errored),
    ];
    s.upsert_events(&p.id, &batch).await.unwrap();

    let all = s
        .audit(
            &p.id,
            &AuditFilter {
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        spans(&all),
        ["e7", "e6", "e5", "e4", "e3", "e2", "e1"],
        "newest first"
    );
    assert_eq!(
        all.counts,
        VerdictCounts {
            allowed: 3,
            blocked: 1,
            held: 1,
            redacted: 1,
            errored: 1
        }
    );
    assert_eq!(all.next_cursor, None);
    assert_eq!(
        all.events[1].payload["policy_decisions"][0]["policy_kind"],
        "audit_only"
    );

    let blocked = AuditFilter {
        verdict: Some(Verdict::Blocked),
        limit: 50,
        ..Default::default()
    };
    let page = s.audit(&p.id, &blocked).await.unwrap();
    assert_eq!(spans(&page), ["e4"]);
    assert_eq!(page.counts, all.counts, "counts ignore the verdict filter");

    let kinds = AuditFilter {
        kinds: Some(vec!["approval".into(), "budget_check".into()]),
        limit: 50,
        ..Default::default()
    };
    let page = s.audit(&p.id, &kinds).await.unwrap();
    assert_eq!(spans(&page), ["e3", "e2"]);
    assert_eq!(
        page.counts,
        VerdictCounts {
            allowed: 1,
            held: 1,
            ..Default::default()
        }
    );
    // One pass per kind: the same numbers as a kind-filtered page, and they add up to
    // the whole log's counts.
    let by_kind = s.audit_counts_by_kind(&p.id).await.unwrap();
    assert_eq!(
        by_kind.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "approval",
            "budget_check",
            "error",
            "llm_call",
            "policy_decision",
            "tool_call"
        ]
    );
    assert_eq!(by_kind["approval"].held, 1);
    assert_eq!(by_kind["budget_check"].allowed, 1);
    assert_eq!(by_kind["tool_call"].total(), 2, "the blocked call and e6");
    let mut sum = VerdictCounts::default();
    for counts in by_kind.values() {
        sum.merge(counts);
    }
    assert_eq!(sum, all.counts);
    // A filter nothing matches: no rows, the kind's counts still there.
    let none = AuditFilter {
        verdict: Some(Verdict::Blocked),
        kinds: Some(vec!["approval".into()]),
        limit: 50,
        ..Default::default()
    };
    let page = s.audit(&p.id, &none).await.unwrap();
    assert!(page.events.is_empty());
    assert_eq!((page.counts.held, page.counts.total()), (1, 1));
    assert_eq!(page.next_cursor, None);
    let other = s.create_project("other").await.unwrap();
    assert!(s.audit_counts_by_kind(&other.id).await.unwrap().is_empty());

    let no_kinds = AuditFilter {
        kinds: Some(vec![]),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(spans(&s.audit(&p.id, &no_kinds).await.unwrap()).len(), 7);

    // Pages of three: 3 + 3 + 1, no overlap.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let f = AuditFilter {
            limit: 3,
            cursor: cursor.clone(),
            ..Default::default()
        };
        let page = s.audit(&p.id, &f).await.unwrap();
        seen.extend(page.events.iter().map(|e| e.span_id.clone()));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, spans(&all));

    let bad = AuditFilter {
        cursor: Some("00".into()),
        limit: 3,
        ..Default::default()
    };
    assert!(matches!(
        s.audit(&p.id, &bad).await,
        Err(StoreError::Invalid(_))
    ));
}
