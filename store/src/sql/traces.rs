//! Trace listing, summaries and a trace's events.

use std::collections::{BTreeSet, HashMap};

use super::rows::{self, EVENT_COLS, SUMMARY_COLS};
use super::scan::SCANNED_KINDS_SQL;
use super::Arg::{Int, Text, TextList};
use super::{
    page_limit, paginate, plus_one, Access, Backend, Dialect, Params, RowGet, Scope, Tx,
    MAX_EVENT_PAGE,
};
use crate::{
    cursor, Page, PageRequest, StoreError, StoredEvent, TraceFilter, TracePage, TraceSummary,
};

/// How many tool names a summary lists.
const TOP_TOOLS: usize = 5;

pub(super) async fn list<B: Backend>(
    b: &B,
    project_id: &str,
    filter: &TraceFilter,
) -> Result<TracePage, StoreError> {
    let limit = page_limit(filter.limit);
    let after: Option<(i64, String)> = filter.cursor.as_deref().map(cursor::decode).transpose()?;
    let tool_pattern = filter.tool.as_deref().map(contains_pattern);
    let agent_pattern = filter.agent.as_deref().map(contains_pattern);
    let limit_plus_one = i64::try_from(limit + 1).unwrap_or(i64::MAX);

    let mut p = Params::new(Text(project_id));
    let mut sql = format!("SELECT {SUMMARY_COLS} FROM traces t WHERE t.project_id = $1");
    if let Some(session) = &filter.session {
        sql.push_str(&format!(" AND t.session_id = {}", p.add(Text(session))));
    }
    if let Some(verdict) = filter.verdict {
        // Column names are the verdicts' own names: no user text reaches the SQL.
        sql.push_str(&format!(" AND t.{} > 0", verdict.as_str()));
    }
    if let Some(pattern) = &agent_pattern {
        sql.push_str(&format!(
            " AND t.trace_id IN (SELECT e.trace_id FROM events e WHERE e.project_id = $1 \
             AND LOWER(e.agent_name) LIKE {} ESCAPE '\\')",
            p.add(Text(pattern))
        ));
    }
    if let Some(pattern) = &tool_pattern {
        let ph = p.add(Text(pattern));
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM events e WHERE e.project_id = t.project_id AND e.trace_id = t.trace_id \
             AND (LOWER(e.name) LIKE {ph} ESCAPE '\\' OR LOWER(e.tool) LIKE {ph} ESCAPE '\\'))"
        ));
    }
    if let Some(since) = filter.since_micros {
        sql.push_str(&format!(" AND t.start_micros >= {}", p.add(Int(since))));
    }
    if let Some(until) = filter.until_micros {
        sql.push_str(&format!(" AND t.start_micros < {}", p.add(Int(until))));
    }
    if let Some((start, trace_id)) = &after {
        let s = p.add(Int(*start));
        let t = p.add(Text(trace_id));
        sql.push_str(&format!(
            " AND (t.start_micros < {s} OR (t.start_micros = {s} AND t.trace_id < {t}))"
        ));
    }
    sql.push_str(&format!(
        " ORDER BY t.start_micros DESC, t.trace_id DESC LIMIT {}",
        p.add(Int(limit_plus_one))
    ));

    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    let mut traces = tx
        .fetch_all(&sql, &p.args)
        .await?
        .iter()
        .map(rows::summary)
        .collect::<Result<Vec<_>, _>>()?;
    let next_cursor = if traces.len() > limit {
        traces.truncate(limit);
        traces
            .last()
            .map(|t| cursor::encode(&(t.start_micros, &t.trace_id)))
    } else {
        None
    };
    decorate(&mut tx, B::DIALECT, project_id, &mut traces).await?;
    Ok(TracePage {
        traces,
        next_cursor,
    })
}

/// `%text%` for LIKE, lowercased, with LIKE's wildcards in `text` escaped.
fn contains_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// `ts_micros + 0`: ordering by the bare column made SQLite's planner walk the
/// project's whole events_scan index in time order (122 ms for one 50-span trace at
/// 62,000 events); as an expression it looks the trace up by (project, trace) and
/// sorts its few rows (0.6 ms). `id` (insertion order) breaks ties.
const TRACE_ORDER: &str = "ORDER BY ts_micros + 0, sequence, id";

pub(super) async fn events<B: Backend>(
    b: &B,
    project_id: &str,
    trace_id: &str,
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    let sql = format!(
        "SELECT {EVENT_COLS} FROM events WHERE project_id = $1 AND trace_id = $2 {TRACE_ORDER}"
    );
    tx.fetch_all(&sql, &[Text(project_id), Text(trace_id)])
        .await?
        .iter()
        .map(rows::event)
        .collect()
}

/// One page of a trace's events in trace order; the cursor is the last event's
/// (timestamp, sequence, row id).
pub(super) async fn events_page<B: Backend>(
    b: &B,
    project_id: &str,
    trace_id: &str,
    page: &PageRequest,
) -> Result<Page<StoredEvent>, StoreError> {
    let limit = page.limit.clamp(1, MAX_EVENT_PAGE) as usize;
    let after: Option<(i64, i64, i64)> = page.cursor.as_deref().map(cursor::decode).transpose()?;
    let mut p = Params::new(Text(project_id));
    let mut sql = format!(
        "SELECT {EVENT_COLS}, id AS row_id FROM events WHERE project_id = $1 AND trace_id = {}",
        p.add(Text(trace_id))
    );
    if let Some((ts, sequence, id)) = after {
        let (ts, sequence, id) = (p.add(Int(ts)), p.add(Int(sequence)), p.add(Int(id)));
        sql.push_str(&format!(
            " AND (ts_micros + 0 > {ts} OR (ts_micros + 0 = {ts} AND (sequence > {sequence} \
             OR (sequence = {sequence} AND id > {id}))))"
        ));
    }
    sql.push_str(&format!(
        " {TRACE_ORDER} LIMIT {}",
        p.add(Int(plus_one(limit)))
    ));
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    let rows = tx
        .fetch_all(&sql, &p.args)
        .await?
        .iter()
        .map(|r| Ok((rows::event(r)?, r.int("row_id")?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    let page = paginate(rows, limit, |(e, id)| (e.ts_micros, e.sequence, *id));
    Ok(Page {
        items: page.items.into_iter().map(|(e, _)| e).collect(),
        next_cursor: page.next_cursor,
    })
}

pub(super) async fn span<B: Backend>(
    b: &B,
    project_id: &str,
    trace_id: &str,
    span_id: &str,
) -> Result<Option<StoredEvent>, StoreError> {
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    let sql = format!(
        "SELECT {EVENT_COLS} FROM events WHERE project_id = $1 AND trace_id = $2 AND span_id = $3"
    );
    tx.fetch_optional(&sql, &[Text(project_id), Text(trace_id), Text(span_id)])
        .await?
        .as_ref()
        .map(rows::event)
        .transpose()
}

pub(super) async fn summaries<B: Backend>(
    b: &B,
    project_id: &str,
    trace_ids: &[String],
) -> Result<Vec<TraceSummary>, StoreError> {
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    summaries_in(&mut tx, B::DIALECT, project_id, trace_ids).await
}

/// Summaries of these traces in the order given (each once), unknown ones left out.
pub(super) async fn summaries_in<T: Tx>(
    tx: &mut T,
    dialect: Dialect,
    project_id: &str,
    trace_ids: &[String],
) -> Result<Vec<TraceSummary>, StoreError> {
    if trace_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {SUMMARY_COLS} FROM traces t WHERE t.project_id = $1 AND t.trace_id {}",
        dialect.in_list(2)
    );
    let mut found: HashMap<String, TraceSummary> = HashMap::new();
    for row in tx
        .fetch_all(&sql, &[Text(project_id), TextList(trace_ids)])
        .await?
    {
        let s = rows::summary(&row)?;
        found.insert(s.trace_id.clone(), s);
    }
    let mut ordered: Vec<TraceSummary> = super::dedup(trace_ids)
        .iter()
        .filter_map(|id| found.remove(id))
        .collect();
    decorate(tx, dialect, project_id, &mut ordered).await?;
    Ok(ordered)
}

/// Fills in `agents` and `tools`, which the `traces` table does not keep.
pub(super) async fn decorate<T: Tx>(
    tx: &mut T,
    dialect: Dialect,
    project_id: &str,
    traces: &mut [TraceSummary],
) -> Result<(), StoreError> {
    if traces.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = traces.iter().map(|t| t.trace_id.clone()).collect();
    let args = [Text(project_id), TextList(&ids)];
    let mut agents = agents_by_trace(tx, dialect, project_id, &ids).await?;

    let sql = format!(
        "SELECT trace_id, tool, COUNT(*) AS n FROM events \
         WHERE project_id = $1 AND trace_id {} AND kind IN {SCANNED_KINDS_SQL} \
         GROUP BY trace_id, tool",
        dialect.in_list(2)
    );
    let mut tools: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    for row in tx.fetch_all(&sql, &args).await? {
        tools
            .entry(row.text("trace_id")?)
            .or_default()
            .push((row.int("n")?, row.text("tool")?));
    }

    for t in traces.iter_mut() {
        t.agents = agents
            .remove(&t.trace_id)
            .map(|a| a.into_iter().collect())
            .unwrap_or_default();
        let mut counted = tools.remove(&t.trace_id).unwrap_or_default();
        // Most used first; ties by name so the order is stable.
        counted.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        t.tools = counted
            .into_iter()
            .take(TOP_TOOLS)
            .map(|(_, name)| name)
            .collect();
    }
    Ok(())
}

/// The distinct agent names of each of these traces' events, looked up trace by trace
/// (`events_by_trace_scan`).
pub(super) async fn agents_by_trace<T: Tx>(
    tx: &mut T,
    dialect: Dialect,
    project_id: &str,
    trace_ids: &[String],
) -> Result<HashMap<String, BTreeSet<String>>, StoreError> {
    let sql = format!(
        "SELECT DISTINCT trace_id, agent_name FROM events \
         WHERE project_id = $1 AND trace_id {} AND agent_name IS NOT NULL",
        dialect.in_list(2)
    );
    let mut agents: HashMap<String, BTreeSet<String>> = HashMap::new();
    for row in tx
        .fetch_all(&sql, &[Text(project_id), TextList(trace_ids)])
        .await?
    {
        agents
            .entry(row.text("trace_id")?)
            .or_default()
            .insert(row.text("agent_name")?);
    }
    Ok(agents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(contains_pattern("Web_Search%"), "%web\\_search\\%%");
    }
}
