//! Ingest: idempotent multi-row upserts, then the touched traces' aggregates and the
//! hourly rollups (see [`rollups`]).

use std::collections::{BTreeSet, HashMap, HashSet};

use super::rollups::{self, RollupDeltas};
use super::Arg::{self, Bool, Int, Json, OptInt, OptReal, OptText, Text, TextList};
use super::{nul, Access, Backend, Dialect, RowGet, Scope, Tx};
use crate::{StoreError, StoredEvent};

/// Inserted columns, in the order `push_args` binds them.
const COLS: [&str; 30] = [
    "project_id",
    "trace_id",
    "span_id",
    "parent_span_id",
    "kind",
    "name",
    "tool",
    "sequence",
    "timestamp",
    "ts_micros",
    "status",
    "verdict",
    "duration_ms",
    "model",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "agent_name",
    "session_id",
    "environment",
    "release_version",
    "end_user_id",
    "end_user_email",
    "approval_id",
    "originating_trace_id",
    "originating_span_id",
    "originating_agent_name",
    "agent_card_uri",
    "payload",
    "policy_relevant",
];
/// The identity columns, never updated.
const KEY_COLS: usize = 3;
/// Rows per statement: 500 × 30 = 15,000 parameters, under both SQLite's (32,766) and
/// PostgreSQL's (65,535) limits, and large enough that per-statement costs vanish.
const CHUNK: usize = 500;

pub(super) async fn upsert<B: Backend>(
    b: &B,
    project_id: &str,
    events: &[StoredEvent],
) -> Result<u64, StoreError> {
    if events.is_empty() {
        return Ok(0);
    }
    if events
        .iter()
        .any(|e| e.trace_id.is_empty() || e.span_id.is_empty())
    {
        return Err(StoreError::Invalid(
            "events need a trace_id and a span_id".to_string(),
        ));
    }
    let batch = last_copies(events);
    let relevant: Vec<bool> = batch.iter().map(|e| e.policy_relevant()).collect();

    let mut tx = b.begin(Scope::Project(project_id), Access::Write).await?;
    let mut changed = 0_u64;
    let mut touched = BTreeSet::new();
    let mut rollups = RollupDeltas::default();
    let mut offset = 0;
    for chunk in batch.chunks(CHUNK) {
        let flags = &relevant[offset..offset + chunk.len()];
        offset += chunk.len();
        // New spans first: they add to the rollups and nothing else needs reading.
        let sql = upsert_sql(B::DIALECT, chunk.len(), OnConflict::Skip);
        let inserted: HashSet<(String, String)> = tx
            .fetch_all(&sql, &bind(project_id, chunk, flags))
            .await?
            .iter()
            .map(|r| Ok((r.text("trace_id")?, r.text("span_id")?)))
            .collect::<Result<_, StoreError>>()?;
        let mut rest = Vec::new();
        let mut rest_flags = Vec::new();
        for (e, flag) in chunk.iter().zip(flags) {
            let key = span_key(e);
            if inserted.contains(&key) {
                changed += 1;
                touched.insert(key.0);
                rollups.add_event(e);
            } else {
                rest.push(*e);
                rest_flags.push(*flag);
            }
        }
        if rest.is_empty() {
            continue;
        }
        // Spans already stored: read (and on PostgreSQL lock) their stored copies, so
        // an update swaps exactly the copy it replaced in the rollups.
        let old = stored_copies(&mut tx, B::DIALECT, project_id, &rest).await?;
        let sql = upsert_sql(B::DIALECT, rest.len(), OnConflict::UpdateIfChanged);
        let updated: HashSet<(String, String)> = tx
            .fetch_all(&sql, &bind(project_id, &rest, &rest_flags))
            .await?
            .iter()
            .map(|r| Ok((r.text("trace_id")?, r.text("span_id")?)))
            .collect::<Result<_, StoreError>>()?;
        for e in &rest {
            let key = span_key(e);
            if !updated.contains(&key) {
                continue;
            }
            changed += 1;
            if let Some(row) = old.get(&key) {
                rollups.remove_row(row)?;
            }
            rollups.add_event(e);
            touched.insert(key.0);
        }
    }
    rollups::apply(&mut tx, B::DIALECT, project_id, rollups).await?;
    if !touched.is_empty() {
        let touched: Vec<String> = touched.into_iter().collect();
        refresh_traces(&mut tx, B::DIALECT, project_id, &touched).await?;
    }
    tx.commit().await?;
    Ok(changed)
}

/// A span's (trace, span) as stored: NUL characters replaced, as binding does.
fn span_key(e: &StoredEvent) -> (String, String) {
    (
        nul::text(&e.trace_id).into_owned(),
        nul::text(&e.span_id).into_owned(),
    )
}

fn bind<'a>(project_id: &'a str, events: &[&'a StoredEvent], relevant: &[bool]) -> Vec<Arg<'a>> {
    let mut args = Vec::with_capacity(events.len() * COLS.len());
    for (e, flag) in events.iter().zip(relevant) {
        push_args(&mut args, project_id, e, *flag);
    }
    args
}

/// The stored copies of these spans, by (trace, span), with the columns their rollup
/// contribution needs; locked until the transaction ends on PostgreSQL.
async fn stored_copies<T: Tx>(
    tx: &mut T,
    dialect: Dialect,
    project_id: &str,
    events: &[&StoredEvent],
) -> Result<HashMap<(String, String), T::Row>, StoreError> {
    let traces: Vec<String> = events.iter().map(|e| e.trace_id.clone()).collect();
    let spans: Vec<String> = events.iter().map(|e| e.span_id.clone()).collect();
    let sql = format!(
        "SELECT {} FROM events WHERE project_id = $1 AND trace_id {} AND span_id {}{}",
        rollups::OLD_COPY_COLS,
        dialect.in_list(2),
        dialect.in_list(3),
        dialect.lock_rows()
    );
    let wanted: HashSet<(String, String)> = events.iter().map(|e| span_key(e)).collect();
    let mut copies = HashMap::with_capacity(events.len());
    for row in tx
        .fetch_all(
            &sql,
            &[Text(project_id), TextList(&traces), TextList(&spans)],
        )
        .await?
    {
        let key = (row.text("trace_id")?, row.text("span_id")?);
        // Both lists match pairs across spans of other traces too: keep the asked ones.
        if wanted.contains(&key) {
            copies.insert(key, row);
        }
    }
    Ok(copies)
}

/// One event per (trace, span): the batch's last copy wins, as a re-send would.
/// (PostgreSQL also refuses to update one row twice in a statement.)
fn last_copies(events: &[StoredEvent]) -> Vec<&StoredEvent> {
    let mut last: HashMap<(&str, &str), usize> = HashMap::with_capacity(events.len());
    for (i, e) in events.iter().enumerate() {
        last.insert((e.trace_id.as_str(), e.span_id.as_str()), i);
    }
    events
        .iter()
        .enumerate()
        .filter(|(i, e)| last.get(&(e.trace_id.as_str(), e.span_id.as_str())) == Some(i))
        .map(|(_, e)| e)
        .collect()
}

fn push_args<'a>(args: &mut Vec<Arg<'a>>, project_id: &'a str, e: &'a StoredEvent, relevant: bool) {
    args.extend([
        Text(project_id),
        Text(&e.trace_id),
        Text(&e.span_id),
        OptText(e.parent_span_id.as_deref()),
        Text(&e.kind),
        Text(&e.name),
        Text(&e.tool),
        Int(e.sequence),
        Text(&e.timestamp),
        Int(e.ts_micros),
        Text(&e.status),
        Text(e.verdict.as_str()),
        OptReal(e.duration_ms),
        OptText(e.model.as_deref()),
        OptInt(e.input_tokens),
        OptInt(e.output_tokens),
        OptReal(e.cost_usd),
        OptText(e.agent_name.as_deref()),
        OptText(e.session_id.as_deref()),
        OptText(e.environment.as_deref()),
        OptText(e.release_version.as_deref()),
        OptText(e.end_user_id.as_deref()),
        OptText(e.end_user_email.as_deref()),
        OptText(e.approval_id.as_deref()),
        OptText(e.originating_trace_id.as_deref()),
        OptText(e.originating_span_id.as_deref()),
        OptText(e.originating_agent_name.as_deref()),
        OptText(e.agent_card_uri.as_deref()),
        Json(&e.payload),
        Bool(relevant),
    ]);
}

/// What an insert does with a span already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OnConflict {
    /// Leave it: returns only the spans inserted.
    Skip,
    /// Replace it when something differs: returns only rows actually updated.
    UpdateIfChanged,
}

/// `INSERT … VALUES (…), (…) ON CONFLICT …  RETURNING trace_id, span_id`.
/// Under `UpdateIfChanged` an identical re-send matches no row of the WHERE, so it
/// writes nothing; a pending copy arriving after the finished span (a retried old
/// batch) is ignored too.
fn upsert_sql(dialect: Dialect, rows: usize, on_conflict: OnConflict) -> String {
    let n = COLS.len();
    let mut sql = String::with_capacity(rows * n * 5 + 2048);
    sql.push_str("INSERT INTO events (");
    sql.push_str(&COLS.join(", "));
    sql.push_str(") VALUES ");
    sql.push_str(&super::values_placeholders(dialect, rows, n));
    sql.push_str(" ON CONFLICT (project_id, trace_id, span_id) ");
    match on_conflict {
        OnConflict::Skip => sql.push_str("DO NOTHING"),
        OnConflict::UpdateIfChanged => {
            sql.push_str("DO UPDATE SET ");
            let updated = &COLS[KEY_COLS..];
            let sets: Vec<String> = updated
                .iter()
                .map(|c| format!("{c} = excluded.{c}"))
                .collect();
            sql.push_str(&sets.join(", "));
            sql.push_str(" WHERE (");
            let diffs: Vec<String> = updated
                .iter()
                .map(|c| format!("events.{c} IS DISTINCT FROM excluded.{c}"))
                .collect();
            sql.push_str(&diffs.join(" OR "));
            sql.push_str(") AND NOT (excluded.status = 'pending' AND events.status <> 'pending')");
        }
    }
    sql.push_str(" RETURNING trace_id, span_id");
    sql
}

/// Recomputes the `traces` rows of these traces from their events.
pub(super) async fn refresh_traces<T: Tx>(
    tx: &mut T,
    dialect: Dialect,
    project_id: &str,
    trace_ids: &[String],
) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO traces (project_id, trace_id, start_micros, end_micros, session_id, event_count, \
             cost_usd, allowed, blocked, held, redacted, errored) \
         SELECT project_id, trace_id, MIN(ts_micros), \
             MAX(ts_micros + CAST(COALESCE(duration_ms, 0) * 1000 AS BIGINT)), MAX(session_id), \
             COUNT(*), COALESCE(SUM(cost_usd), 0.0), \
             SUM(CASE WHEN verdict = 'allowed' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN verdict = 'blocked' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN verdict = 'held' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN verdict = 'redacted' THEN 1 ELSE 0 END), \
             SUM(CASE WHEN verdict = 'errored' THEN 1 ELSE 0 END) \
         FROM events WHERE project_id = $1 AND trace_id {} \
         GROUP BY project_id, trace_id \
         ON CONFLICT (project_id, trace_id) DO UPDATE SET \
             start_micros = excluded.start_micros, end_micros = excluded.end_micros, \
             session_id = excluded.session_id, event_count = excluded.event_count, \
             cost_usd = excluded.cost_usd, allowed = excluded.allowed, blocked = excluded.blocked, \
             held = excluded.held, redacted = excluded.redacted, errored = excluded.errored",
        dialect.in_list(2)
    );
    tx.execute(&sql, &[Text(project_id), TextList(trace_ids)])
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upsert_sql_numbers_every_parameter() {
        let sql = upsert_sql(Dialect::Postgres, 2, OnConflict::UpdateIfChanged);
        assert!(sql.contains("($1, $2,"));
        assert!(sql.contains("$60)"));
        assert!(!sql.contains("$61"));
        let sql = upsert_sql(Dialect::Sqlite, 2, OnConflict::Skip);
        assert!(sql.contains("DO NOTHING"));
        assert_eq!(sql.matches('?').count(), 60);
        assert!(!sql.contains('$'));
    }
}
