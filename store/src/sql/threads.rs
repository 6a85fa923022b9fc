//! Threads: traces grouped by `session_id`.

use std::collections::{BTreeSet, HashMap};

use super::rows;
use super::traces::{agents_by_trace, decorate};
use super::Arg::{Int, Text, TextList};
use super::{page_limit, Access, Backend, Dialect, Params, RowGet, Scope, Tx};
use crate::{cursor, StoreError, ThreadFilter, ThreadPage, ThreadSummary, TraceSummary};

/// Aggregates over `traces t` grouped by session. SUM is cast because PostgreSQL
/// widens SUM(BIGINT) to NUMERIC.
const THREAD_COLS: &str = "t.session_id, COUNT(*) AS turns, MIN(t.start_micros) AS first_micros, \
     MAX(t.end_micros) AS last_micros, COALESCE(SUM(t.cost_usd), 0.0) AS cost_usd, \
     CAST(SUM(t.allowed) AS BIGINT) AS allowed, CAST(SUM(t.blocked) AS BIGINT) AS blocked, \
     CAST(SUM(t.held) AS BIGINT) AS held, CAST(SUM(t.redacted) AS BIGINT) AS redacted, \
     CAST(SUM(t.errored) AS BIGINT) AS errored";

fn thread(r: &impl RowGet) -> Result<ThreadSummary, StoreError> {
    Ok(ThreadSummary {
        session_id: r.text("session_id")?,
        turns: r.int("turns")?,
        first_micros: r.int("first_micros")?,
        last_micros: r.int("last_micros")?,
        agents: Vec::new(),
        cost_usd: r.real("cost_usd")?,
        verdicts: rows::verdict_counts(r)?,
    })
}

pub(super) async fn list<B: Backend>(
    b: &B,
    project_id: &str,
    filter: &ThreadFilter,
) -> Result<ThreadPage, StoreError> {
    let limit = page_limit(filter.limit);
    let after: Option<(i64, String)> = filter.cursor.as_deref().map(cursor::decode).transpose()?;
    let mut p = Params::new(Text(project_id));
    let mut sql = format!(
        "SELECT {THREAD_COLS} FROM traces t WHERE t.project_id = $1 AND t.session_id IS NOT NULL \
         GROUP BY t.session_id"
    );
    if let Some((last, session)) = &after {
        let l = p.add(Int(*last));
        let s = p.add(Text(session));
        sql.push_str(&format!(
            " HAVING MAX(t.end_micros) < {l} OR (MAX(t.end_micros) = {l} AND t.session_id < {s})"
        ));
    }
    sql.push_str(&format!(
        " ORDER BY MAX(t.end_micros) DESC, t.session_id DESC LIMIT {}",
        p.add(Int(i64::try_from(limit + 1).unwrap_or(i64::MAX)))
    ));

    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    let mut threads = tx
        .fetch_all(&sql, &p.args)
        .await?
        .iter()
        .map(thread)
        .collect::<Result<Vec<_>, _>>()?;
    let next_cursor = if threads.len() > limit {
        threads.truncate(limit);
        threads
            .last()
            .map(|t| cursor::encode(&(t.last_micros, &t.session_id)))
    } else {
        None
    };
    add_agents(&mut tx, B::DIALECT, project_id, &mut threads).await?;
    Ok(ThreadPage {
        threads,
        next_cursor,
    })
}

pub(super) async fn get<B: Backend>(
    b: &B,
    project_id: &str,
    session_id: &str,
) -> Result<Option<(ThreadSummary, Vec<TraceSummary>)>, StoreError> {
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    let sql = format!(
        "SELECT {THREAD_COLS} FROM traces t WHERE t.project_id = $1 AND t.session_id = $2 GROUP BY t.session_id"
    );
    let Some(row) = tx
        .fetch_optional(&sql, &[Text(project_id), Text(session_id)])
        .await?
    else {
        return Ok(None);
    };
    let mut summary = [thread(&row)?];
    add_agents(&mut tx, B::DIALECT, project_id, &mut summary).await?;
    let [summary] = summary;

    let sql = format!(
        "SELECT {} FROM traces t WHERE t.project_id = $1 AND t.session_id = $2 \
         ORDER BY t.start_micros, t.trace_id",
        rows::SUMMARY_COLS
    );
    let mut turns = tx
        .fetch_all(&sql, &[Text(project_id), Text(session_id)])
        .await?
        .iter()
        .map(rows::summary)
        .collect::<Result<Vec<_>, _>>()?;
    decorate(&mut tx, B::DIALECT, project_id, &mut turns).await?;
    Ok(Some((summary, turns)))
}

/// Distinct agent names over all events of each thread's traces. In two steps, the
/// sessions' traces and then their agents: as one join SQLite's planner started from
/// the project's events with an agent (450 ms for one 200-turn thread among 1,000,000
/// events) instead of from the sessions' few traces.
async fn add_agents<T: Tx>(
    tx: &mut T,
    dialect: Dialect,
    project_id: &str,
    threads: &mut [ThreadSummary],
) -> Result<(), StoreError> {
    if threads.is_empty() {
        return Ok(());
    }
    let sessions: Vec<String> = threads.iter().map(|t| t.session_id.clone()).collect();
    let sql = format!(
        "SELECT t.trace_id, t.session_id FROM traces t \
         WHERE t.project_id = $1 AND t.session_id {}",
        dialect.in_list(2)
    );
    let mut session_of: HashMap<String, String> = HashMap::new();
    for row in tx
        .fetch_all(&sql, &[Text(project_id), TextList(&sessions)])
        .await?
    {
        session_of.insert(row.text("trace_id")?, row.text("session_id")?);
    }
    let trace_ids: Vec<String> = session_of.keys().cloned().collect();
    let mut agents: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (trace_id, names) in agents_by_trace(tx, dialect, project_id, &trace_ids).await? {
        if let Some(session) = session_of.get(&trace_id) {
            agents.entry(session.clone()).or_default().extend(names);
        }
    }
    for t in threads.iter_mut() {
        t.agents = agents
            .remove(&t.session_id)
            .map(|a| a.into_iter().collect())
            .unwrap_or_default();
    }
    Ok(())
}
