use store::{ProjectChangeKind, Store};

pub async fn change_log(s: &dyn Store) {
    let p = s.create_project("p").await.unwrap();
    let other = s.create_project("other").await.unwrap();
    assert!(s.project_changes(&p.id, None, 10).await.unwrap().is_empty());
    for (i, kind) in ProjectChangeKind::ALL.into_iter().enumerate() {
        let detail = (i % 2 == 0).then(|| format!("detail {i}"));
        s.record_change(
            &p.id,
            "key:jj_abcdefg",
            kind,
            &format!("subject {i}"),
            detail.as_deref(),
        )
        .await
        .unwrap();
    }
    s.record_change(
        &other.id,
        "ana@example.com",
        ProjectChangeKind::KeyCreated,
        "x",
        None,
    )
    .await
    .unwrap();

    // Newest first, every kind reads back as written.
    let all = s.project_changes(&p.id, None, 100).await.unwrap();
    assert_eq!(all.len(), ProjectChangeKind::ALL.len());
    let kinds: Vec<_> = all.iter().rev().map(|c| c.kind).collect();
    assert_eq!(kinds, ProjectChangeKind::ALL);
    assert!(all.windows(2).all(|w| w[0].id > w[1].id));
    let last = &all[0];
    assert_eq!(last.actor, "key:jj_abcdefg");
    let n = ProjectChangeKind::ALL.len() - 1;
    assert_eq!(last.subject, format!("subject {n}"));
    assert_eq!(last.detail, None, "odd indexes have none");
    assert_eq!(all[1].detail, Some(format!("detail {}", n - 1)));

    // Pages continue where the last one ended.
    let first = s.project_changes(&p.id, None, 5).await.unwrap();
    let second = s
        .project_changes(&p.id, Some(first[4].id), 5)
        .await
        .unwrap();
    assert_eq!(first[..], all[..5]);
    assert_eq!(second[..], all[5..10]);

    // Another project's changes are its own.
    let theirs = s.project_changes(&other.id, None, 100).await.unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].actor, "ana@example.com");
}
