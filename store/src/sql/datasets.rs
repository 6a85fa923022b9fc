//! Datasets and their pinned traces.

use std::collections::HashSet;

use super::rows::{self, DATASET_COLS};
use super::traces::summaries_in;
use super::Arg::{Int, OptText, Text, TextList};
use super::{
    clean_name, dedup, page_limit, paginate, plus_one, Access, Backend, Params, RowGet, Scope, Tx,
};
use crate::ids::{self, DATASET};
use crate::time::now_micros;
use crate::{
    cursor, AddItemsOutcome, Dataset, DatasetDetail, DatasetItem, Page, PageRequest, StoreError,
    Timestamp,
};

const TAKEN: &str = "a dataset with this name already exists in the project";

pub(super) async fn create<B: Backend>(
    b: &B,
    project_id: &str,
    name: &str,
    description: Option<&str>,
) -> Result<Dataset, StoreError> {
    let dataset = Dataset {
        id: ids::new_id(DATASET),
        project_id: project_id.to_string(),
        name: clean_name(name)?,
        description: description.map(str::to_string),
        item_count: 0,
        created_at: Timestamp(now_micros()),
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
    tx.commit().await?;
    Ok(dataset)
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
    // The foreign key cascades too; deleting the pins first does not depend on it.
    // Events are never touched.
    tx.execute(
        "DELETE FROM dataset_items WHERE project_id = $1 AND dataset_id = $2",
        &[Text(project_id), Text(id)],
    )
    .await?;
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
        tx.execute(
            &format!(
                "INSERT INTO dataset_items (project_id, dataset_id, trace_id, added_at) \
                 SELECT $1, $2, t.trace_id, $4 FROM traces t WHERE t.project_id = $1 AND t.trace_id {in_list} \
                 ON CONFLICT DO NOTHING"
            ),
            &[Text(project_id), Text(id), TextList(&added), Int(now_micros())],
        )
        .await?;
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
) -> Result<bool, StoreError> {
    let mut tx = b.begin(Scope::Project(project_id), Access::Write).await?;
    let n = tx
        .execute(
            "DELETE FROM dataset_items WHERE project_id = $1 AND dataset_id = $2 AND trace_id = $3",
            &[Text(project_id), Text(id), Text(trace_id)],
        )
        .await?;
    tx.commit().await?;
    Ok(n > 0)
}
