//! Datasets and their pinned traces.

use std::collections::{HashMap, HashSet};

use super::rows::{self, DATASET_COLS};
use super::traces::summaries_in;
use super::Arg::{Int, OptText, Text, TextList};
use super::{
    clean_name, dedup, newest_versions_page, page_limit, paginate, plus_one, Access, Backend,
    Params, RowGet, Scope, Tx,
};
use crate::ids::{self, DATASET, EXPECTATION};
use crate::time::now_micros;
use crate::{
    cursor, AddItemsOutcome, Dataset, DatasetChangeKind, DatasetDetail, DatasetExpectation,
    DatasetItem, DatasetMembers, DatasetVersion, MembershipChange, Page, PageRequest, StoreError,
    Timestamp, VERSION_TRACE_LIST,
};

const TAKEN: &str = "a dataset with this name already exists in the project";

pub(super) async fn create<B: Backend>(
    b: &B,
    project_id: &str,
    name: &str,
    description: Option<&str>,
    author: &str,
) -> Result<Dataset, StoreError> {
    let dataset = Dataset {
        id: ids::new_id(DATASET),
        project_id: project_id.to_string(),
        name: clean_name(name)?,
        description: description.map(str::to_string),
        item_count: 0,
        created_at: Timestamp(now_micros()),
        version: 1,
    };
    let mut tx = b.begin(Scope::Project(project_id), Access::Write).await?;
    tx.execute(
        "INSERT INTO datasets (id, project_id, name, description, created_at) VALUES ($1, $2, $3, $4, $5)",
        &[
            Text(&dataset.id),
            Text(project_id),
            Text(&dataset.name),
            OptText(dataset.description.as_deref()),
            Int(dataset.created_at.0),
        ],
    )
    .await
    .map_err(|e| e.conflict_as(TAKEN))?;
    record_version(
        &mut tx,
        project_id,
        &dataset.id,
        1,
        MembershipChange {
            kind: DatasetChangeKind::Created,
            author,
        },
        (0, 0),
    )
    .await?;
    tx.commit().await?;
    Ok(dataset)
}

/// Adds the `dataset_versions` row of `version` (already set on the dataset), with its
/// added and removed counts; the members are counted from `dataset_items`.
async fn record_version<T: Tx>(
    tx: &mut T,
    project_id: &str,
    id: &str,
    version: i64,
    change: MembershipChange<'_>,
    (added, removed): (i64, i64),
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO dataset_versions (project_id, dataset_id, version, change, author, created_at, \
         added, removed, traces) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, COUNT(*) FROM dataset_items \
         WHERE project_id = $1 AND dataset_id = $2",
        &[
            Text(project_id),
            Text(id),
            Int(version),
            Text(change.kind.as_str()),
            Text(change.author),
            Int(now_micros()),
            Int(added),
            Int(removed),
        ],
    )
    .await?;
    Ok(())
}

/// Makes the dataset's next version (taking the dataset's row lock on PostgreSQL, so
/// concurrent changes of one dataset take turns) and returns its number.
async fn next_version<T: Tx>(tx: &mut T, project_id: &str, id: &str) -> Result<i64, StoreError> {
    match tx
        .fetch_optional(
            "UPDATE datasets SET version = version + 1 WHERE project_id = $1 AND id = $2 \
             RETURNING version",
            &[Text(project_id), Text(id)],
        )
        .await?
    {
        Some(row) => row.int("version"),
        None => Err(StoreError::NotFound),
    }
}

/// By name; the cursor is the last dataset's (name, id).
pub(super) async fn list<B: Backend>(
    b: &B,
    project_id: &str,
    page: &PageRequest,
) -> Result<Page<Dataset>, StoreError> {
    let limit = page_limit(page.limit);
    let after: Option<(String, String)> = page.cursor.as_deref().map(cursor::decode).transpose()?;
    let mut p = Params::new(Text(project_id));
    let mut sql = format!("SELECT {DATASET_COLS} FROM datasets d WHERE d.project_id = $1");
    if let Some((name, id)) = &after {
        let (n, i) = (p.add(Text(name)), p.add(Text(id)));
        sql.push_str(&format!(
            " AND (d.name > {n} OR (d.name = {n} AND d.id > {i}))"
        ));
    }
    sql.push_str(&format!(
        " ORDER BY d.name, d.id LIMIT {}",
        p.add(Int(plus_one(limit)))
    ));
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    let rows = tx
        .fetch_all(&sql, &p.args)
        .await?
        .iter()
        .map(rows::dataset)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(paginate(rows, limit, |d| (d.name.clone(), d.id.clone())))
}

async fn find<T: Tx>(tx: &mut T, project_id: &str, id: &str) -> Result<Dataset, StoreError> {
    let sql =
        format!("SELECT {DATASET_COLS} FROM datasets d WHERE d.project_id = $1 AND d.id = $2");
    match tx
        .fetch_optional(&sql, &[Text(project_id), Text(id)])
        .await?
    {
        Some(row) => rows::dataset(&row),
        None => Err(StoreError::NotFound),
    }
}

/// The dataset and one page of its items, oldest pin first; the cursor is the last
/// item's (added_at, trace_id).
pub(super) async fn get<B: Backend>(
    b: &B,
    project_id: &str,
    id: &str,
    page: &PageRequest,
) -> Result<DatasetDetail, StoreError> {
    let limit = page_limit(page.limit);
    let after: Option<(i64, String)> = page.cursor.as_deref().map(cursor::decode).transpose()?;
    let mut p = Params::new(Text(project_id));
    let mut sql = format!(
        "SELECT trace_id, added_at FROM dataset_items WHERE project_id = $1 AND dataset_id = {}",
        p.add(Text(id))
    );
    if let Some((added, trace_id)) = &after {
        let (a, t) = (p.add(Int(*added)), p.add(Text(trace_id)));
        sql.push_str(&format!(
            " AND (added_at > {a} OR (added_at = {a} AND trace_id > {t}))"
        ));
    }
    sql.push_str(&format!(
        " ORDER BY added_at, trace_id LIMIT {}",
        p.add(Int(plus_one(limit)))
    ));
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    let dataset = find(&mut tx, project_id, id).await?;
    let pinned = tx
        .fetch_all(&sql, &p.args)
        .await?
        .iter()
        .map(|r| Ok((r.text("trace_id")?, r.int("added_at")?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    let pinned = paginate(pinned, limit, |(trace_id, added)| {
        (*added, trace_id.clone())
    });
    let ids: Vec<String> = pinned.items.iter().map(|(t, _)| t.clone()).collect();
    let mut summaries: std::collections::HashMap<String, _> =
        summaries_in(&mut tx, B::DIALECT, project_id, &ids)
            .await?
            .into_iter()
            .map(|s| (s.trace_id.clone(), s))
            .collect();
    let items = pinned
        .items
        .into_iter()
        .map(|(trace_id, added_at)| DatasetItem {
            trace: summaries.remove(&trace_id),
            trace_id,
            added_at: Timestamp(added_at),
        })
        .collect();
    Ok(DatasetDetail {
        dataset,
        items,
        next_cursor: pinned.next_cursor,
    })
}

pub(super) async fn by_name<B: Backend>(
    b: &B,
    project_id: &str,
    name: &str,
) -> Result<Option<Dataset>, StoreError> {
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    let sql =
        format!("SELECT {DATASET_COLS} FROM datasets d WHERE d.project_id = $1 AND d.name = $2");
    tx.fetch_optional(&sql, &[Text(project_id), Text(name.trim())])
        .await?
        .map(|row| rows::dataset(&row))
        .transpose()
}

pub(super) async fn rename<B: Backend>(
    b: &B,
    project_id: &str,
    id: &str,
    name: &str,
) -> Result<Dataset, StoreError> {
    let name = clean_name(name)?;
    let mut tx = b.begin(Scope::Project(project_id), Access::Write).await?;
    let n = tx
        .execute(
            "UPDATE datasets SET name = $3 WHERE project_id = $1 AND id = $2",
            &[Text(project_id), Text(id), Text(&name)],
        )
        .await
        .map_err(|e| e.conflict_as(TAKEN))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    let dataset = find(&mut tx, project_id, id).await?;
    tx.commit().await?;
    Ok(dataset)
}

pub(super) async fn delete<B: Backend>(
    b: &B,
    project_id: &str,
    id: &str,
) -> Result<(), StoreError> {
    let mut tx = b.begin(Scope::Project(project_id), Access::Write).await?;
    // The foreign keys cascade too; deleting the pins, versions and expectations first
    // does not depend on them. Events are never touched.
    for table in [
        "dataset_items",
        "dataset_membership",
        "dataset_versions",
        "dataset_expectations",
    ] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE project_id = $1 AND dataset_id = $2"),
            &[Text(project_id), Text(id)],
        )
        .await?;
    }
    let n = tx
        .execute(
            "DELETE FROM datasets WHERE project_id = $1 AND id = $2",
            &[Text(project_id), Text(id)],
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    tx.commit().await
}

pub(super) async fn add_items<B: Backend>(
    b: &B,
    project_id: &str,
    id: &str,
    trace_ids: &[String],
    change: MembershipChange<'_>,
) -> Result<AddItemsOutcome, StoreError> {
    let wanted = dedup(trace_ids);
    let in_list = B::DIALECT.in_list(3);
    let mut tx = b.begin(Scope::Project(project_id), Access::Write).await?;
    find(&mut tx, project_id, id).await?;
    if wanted.is_empty() {
        return Ok(AddItemsOutcome::default());
    }
    let args = [Text(project_id), Text(id), TextList(&wanted)];
    let present = column_set(
        &mut tx,
        &format!("SELECT trace_id FROM dataset_items WHERE project_id = $1 AND dataset_id = $2 AND trace_id {in_list}"),
        &args,
    )
    .await?;
    // `traces` has a row exactly when the trace has events in this project.
    let known = column_set(
        &mut tx,
        &format!(
            "SELECT trace_id FROM traces WHERE project_id = $1 AND trace_id {}",
            B::DIALECT.in_list(2)
        ),
        &[Text(project_id), TextList(&wanted)],
    )
    .await?;
    let added: Vec<String> = wanted
        .iter()
        .filter(|t| known.contains(*t) && !present.contains(*t))
        .cloned()
        .collect();
    if !added.is_empty() {
        let version = next_version(&mut tx, project_id, id).await?;
        let n = tx
            .execute(
                &format!(
                    "INSERT INTO dataset_items (project_id, dataset_id, trace_id, added_at) \
                 SELECT $1, $2, t.trace_id, $4 FROM traces t WHERE t.project_id = $1 AND t.trace_id {in_list} \
                 ON CONFLICT DO NOTHING"
                ),
                &[Text(project_id), Text(id), TextList(&added), Int(now_micros())],
            )
            .await?;
        tx.execute(
            &format!(
                "INSERT INTO dataset_membership (project_id, dataset_id, trace_id, added_version) \
                 SELECT $1, $2, t.trace_id, $4 FROM traces t WHERE t.project_id = $1 AND t.trace_id {in_list}"
            ),
            &[Text(project_id), Text(id), TextList(&added), Int(version)],
        )
        .await?;
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        record_version(&mut tx, project_id, id, version, change, (n, 0)).await?;
    }
    tx.commit().await?;
    let mut outcome = AddItemsOutcome::default();
    for t in wanted {
        if present.contains(&t) {
            outcome.already_present.push(t);
        } else if known.contains(&t) {
            outcome.added.push(t);
        } else {
            outcome.unknown.push(t);
        }
    }
    Ok(outcome)
}

async fn column_set<T: Tx>(
    tx: &mut T,
    sql: &str,
    args: &[super::Arg<'_>],
) -> Result<HashSet<String>, StoreError> {
    tx.fetch_all(sql, args)
        .await?
        .iter()
        .map(|r| r.text("trace_id"))
        .collect()
}

pub(super) async fn remove_item<B: Backend>(
    b: &B,
    project_id: &str,
    id: &str,
    trace_id: &str,
    author: &str,
) -> Result<bool, StoreError> {
    let mut tx = b.begin(Scope::Project(project_id), Access::Write).await?;
    find(&mut tx, project_id, id).await?;
    let args = [Text(project_id), Text(id), Text(trace_id)];
    let n = tx
        .execute(
            "DELETE FROM dataset_items WHERE project_id = $1 AND dataset_id = $2 AND trace_id = $3",
            &args,
        )
        .await?;
    if n == 0 {
        return Ok(false);
    }
    let version = next_version(&mut tx, project_id, id).await?;
    tx.execute(
        "UPDATE dataset_membership SET removed_version = $4 WHERE project_id = $1 \
         AND dataset_id = $2 AND trace_id = $3 AND removed_version IS NULL",
        &[args[0], args[1], args[2], Int(version)],
    )
    .await?;
    tx.execute(
        "DELETE FROM dataset_expectations WHERE project_id = $1 AND dataset_id = $2 AND trace_id = $3",
        &args,
    )
    .await?;
    let change = MembershipChange {
        kind: DatasetChangeKind::Unpinned,
        author,
    };
    record_version(&mut tx, project_id, id, version, change, (0, 1)).await?;
    tx.commit().await?;
    Ok(true)
}

/// Newest first; the cursor is the last version's number.
pub(super) async fn versions<B: Backend>(
    b: &B,
    project_id: &str,
    id: &str,
    page: &PageRequest,
) -> Result<Page<DatasetVersion>, StoreError> {
    let limit = page_limit(page.limit);
    let before: Option<i64> = page.cursor.as_deref().map(cursor::decode).transpose()?;
    let mut p = Params::new(Text(project_id));
    let mut sql = format!(
        "SELECT version, change, author, created_at, added, removed, traces FROM dataset_versions \
         WHERE project_id = $1 AND dataset_id = {}",
        p.add(Text(id))
    );
    newest_versions_page(&mut sql, &mut p, before, limit);
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    find(&mut tx, project_id, id).await?;
    let mut page = paginate(
        tx.fetch_all(&sql, &p.args)
            .await?
            .iter()
            .map(|r| {
                let change = r.text("change")?;
                Ok(DatasetVersion {
                    dataset_id: id.to_string(),
                    version: r.int("version")?,
                    change: DatasetChangeKind::parse(&change).ok_or_else(|| {
                        StoreError::Database(format!("unknown dataset change {change:?}"))
                    })?,
                    author: r.text("author")?,
                    created_at: Timestamp(r.int("created_at")?),
                    added: r.int("added")?,
                    removed: r.int("removed")?,
                    traces: r.int("traces")?,
                    added_traces: Vec::new(),
                    removed_traces: Vec::new(),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?,
        limit,
        |v| v.version,
    );
    // Which traces each version of the page added and removed, a few of each.
    if let (Some(newest), Some(oldest)) = (page.items.first(), page.items.last()) {
        let rows = tx
            .fetch_all(
                "SELECT trace_id, added_version, removed_version FROM dataset_membership \
                 WHERE project_id = $1 AND dataset_id = $2 AND ((added_version BETWEEN $3 AND $4) \
                 OR (removed_version BETWEEN $3 AND $4)) ORDER BY trace_id",
                &[
                    Text(project_id),
                    Text(id),
                    Int(oldest.version),
                    Int(newest.version),
                ],
            )
            .await?;
        let mut by_version: HashMap<i64, usize> = HashMap::new();
        for (i, v) in page.items.iter().enumerate() {
            by_version.insert(v.version, i);
        }
        for row in rows {
            let trace = row.text("trace_id")?;
            let added = row.int("added_version")?;
            if let Some(v) = by_version.get(&added).and_then(|&i| page.items.get_mut(i)) {
                if v.added_traces.len() < VERSION_TRACE_LIST {
                    v.added_traces.push(trace.clone());
                }
            }
            if let Some(removed) = row.opt_int("removed_version")? {
                if let Some(v) = by_version
                    .get(&removed)
                    .and_then(|&i| page.items.get_mut(i))
                {
                    if v.removed_traces.len() < VERSION_TRACE_LIST {
                        v.removed_traces.push(trace);
                    }
                }
            }
        }
    }
    Ok(page)
}

/// The members of `version` (the current one when `None`), by trace id. `NotFound`
/// for an unknown dataset or a version it never had.
pub(super) async fn members<B: Backend>(
    b: &B,
    project_id: &str,
    id: &str,
    version: Option<i64>,
) -> Result<DatasetMembers, StoreError> {
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    let dataset = find(&mut tx, project_id, id).await?;
    let version = version.unwrap_or(dataset.version);
    if version < 1 || version > dataset.version {
        return Err(StoreError::NotFound);
    }
    let (sql, p) = super::scan::members_sql(project_id, id, version, "m.trace_id");
    let trace_ids = tx
        .fetch_all(&format!("{sql} ORDER BY m.trace_id"), &p.args)
        .await?
        .iter()
        .map(|r| r.text("trace_id"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DatasetMembers { version, trace_ids })
}

const EXPECTATION_COLS: &str = "id, dataset_id, trace_id, pattern, verdict, author, created_at";

fn expectation(r: &impl RowGet) -> Result<DatasetExpectation, StoreError> {
    let verdict = r.text("verdict")?;
    Ok(DatasetExpectation {
        id: r.text("id")?,
        dataset_id: r.text("dataset_id")?,
        expectation: policy::Expectation {
            trace_id: r.text("trace_id")?,
            pattern: r.text("pattern")?,
            expected: verdict.parse().map_err(StoreError::Database)?,
        },
        author: r.text("author")?,
        created_at: Timestamp(r.int("created_at")?),
    })
}

/// Sets what a pinned trace's events matching the pattern must get (replacing the
/// verdict of an expectation with the same trace and pattern). `NotFound` for an
/// unknown dataset; `Invalid` when the trace is not pinned in it or the dataset holds
/// [`policy::fixtures::MAX_EXPECTATIONS`] already.
pub(super) async fn set_expectation<B: Backend>(
    b: &B,
    project_id: &str,
    id: &str,
    wanted: &policy::Expectation,
    author: &str,
) -> Result<DatasetExpectation, StoreError> {
    let mut tx = b.begin(Scope::Project(project_id), Access::Write).await?;
    find(&mut tx, project_id, id).await?;
    let pinned = tx
        .fetch_optional(
            "SELECT trace_id FROM dataset_items WHERE project_id = $1 AND dataset_id = $2 AND trace_id = $3",
            &[Text(project_id), Text(id), Text(&wanted.trace_id)],
        )
        .await?;
    if pinned.is_none() {
        return Err(StoreError::Invalid(format!(
            "trace {:?} is not pinned in this dataset",
            wanted.trace_id
        )));
    }
    let count = tx
        .fetch_optional(
            "SELECT COUNT(*) AS n FROM dataset_expectations WHERE project_id = $1 AND dataset_id = $2",
            &[Text(project_id), Text(id)],
        )
        .await?
        .map(|r| r.int("n"))
        .transpose()?
        .unwrap_or(0);
    let sql = format!(
        "INSERT INTO dataset_expectations ({EXPECTATION_COLS}, project_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (dataset_id, trace_id, pattern) DO UPDATE SET verdict = excluded.verdict, \
         author = excluded.author, created_at = excluded.created_at \
         RETURNING {EXPECTATION_COLS}"
    );
    let new_id = ids::new_id(EXPECTATION);
    let row = tx
        .fetch_optional(
            &sql,
            &[
                Text(&new_id),
                Text(id),
                Text(&wanted.trace_id),
                Text(&wanted.pattern),
                Text(wanted.expected.as_str()),
                Text(author),
                Int(now_micros()),
                Text(project_id),
            ],
        )
        .await?
        .ok_or(StoreError::NotFound)?;
    let saved = expectation(&row)?;
    let limit = i64::try_from(policy::fixtures::MAX_EXPECTATIONS).unwrap_or(i64::MAX);
    if saved.id == new_id && count >= limit {
        return Err(StoreError::Invalid(format!(
            "a dataset holds at most {limit} expectations"
        )));
    }
    tx.commit().await?;
    Ok(saved)
}

/// True if the expectation was there.
pub(super) async fn remove_expectation<B: Backend>(
    b: &B,
    project_id: &str,
    id: &str,
    expectation_id: &str,
) -> Result<bool, StoreError> {
    let mut tx = b.begin(Scope::Project(project_id), Access::Write).await?;
    find(&mut tx, project_id, id).await?;
    let n = tx
        .execute(
            "DELETE FROM dataset_expectations WHERE project_id = $1 AND dataset_id = $2 AND id = $3",
            &[Text(project_id), Text(id), Text(expectation_id)],
        )
        .await?;
    tx.commit().await?;
    Ok(n > 0)
}

/// Every expectation of the dataset, by trace and pattern.
pub(super) async fn expectations<B: Backend>(
    b: &B,
    project_id: &str,
    id: &str,
) -> Result<Vec<DatasetExpectation>, StoreError> {
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    find(&mut tx, project_id, id).await?;
    let sql = format!(
        "SELECT {EXPECTATION_COLS} FROM dataset_expectations WHERE project_id = $1 \
         AND dataset_id = $2 ORDER BY trace_id, pattern"
    );
    tx.fetch_all(&sql, &[Text(project_id), Text(id)])
        .await?
        .iter()
        .map(expectation)
        .collect()
}
