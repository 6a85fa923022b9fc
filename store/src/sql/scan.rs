//! The replay scan's SQL, shared by both backends' streaming implementations.

use super::Arg::{Int, Text, TextList};
use super::{Dialect, Params};
use crate::EventScan;

/// The kinds a replay evaluates (policy rules match tool, LLM and MCP calls).
pub(crate) const SCANNED_KINDS_SQL: &str = "('tool_call', 'llm_call', 'mcp_tool_call')";

/// Columns `policy::Event` needs, in the order backends read them by index:
/// kind, tool, agent_name, cost_usd, timestamp, trace_id, span_id, verdict.
const SCAN_COLS: &str =
    "e.kind, e.tool, e.agent_name, e.cost_usd, e.timestamp, e.trace_id, e.span_id, e.verdict";

/// `WHERE` clause (over `events e`) selecting the scanned events of a scope.
fn scope<'a>(dialect: Dialect, project_id: &'a str, scan: &'a EventScan) -> (String, Params<'a>) {
    let mut p = Params::new(Text(project_id));
    let mut sql = format!("e.project_id = $1 AND e.kind IN {SCANNED_KINDS_SQL}");
    match scan {
        EventScan::Traces(ids) => {
            let n = p.args.len() + 1;
            p.add(TextList(ids));
            sql.push_str(&format!(" AND e.trace_id {}", dialect.in_list(n)));
        }
        EventScan::Dataset(id) => {
            // Items are filtered by project too: another project's dataset id is empty.
            sql.push_str(&format!(
                " AND e.trace_id IN (SELECT d.trace_id FROM dataset_items d \
                 WHERE d.project_id = $1 AND d.dataset_id = {})",
                p.add(Text(id))
            ));
        }
        EventScan::DatasetVersion { id, version } => {
            let (d, v) = (p.add(Text(id)), p.add(Int(*version)));
            sql.push_str(&format!(
                " AND e.trace_id IN (SELECT m.trace_id FROM dataset_membership m \
                 WHERE {})",
                member_condition(&d, &v)
            ));
        }
        EventScan::Window {
            since_micros,
            until_micros,
        } => {
            if let Some(since) = since_micros {
                sql.push_str(&format!(" AND e.ts_micros >= {}", p.add(Int(*since))));
            }
            if let Some(until) = until_micros {
                sql.push_str(&format!(" AND e.ts_micros < {}", p.add(Int(*until))));
            }
        }
    }
    (sql, p)
}

/// Over `dataset_membership m` (project `$1`): the members of version `v` of dataset
/// `d`, placeholders both.
fn member_condition(d: &str, v: &str) -> String {
    format!(
        "m.project_id = $1 AND m.dataset_id = {d} AND m.added_version <= {v} \
         AND (m.removed_version IS NULL OR m.removed_version > {v})"
    )
}

/// `SELECT cols FROM dataset_membership m WHERE` the members of a dataset's version.
pub(crate) fn members_sql<'a>(
    project_id: &'a str,
    id: &'a str,
    version: i64,
    cols: &str,
) -> (String, Params<'a>) {
    let mut p = Params::new(Text(project_id));
    let (d, v) = (p.add(Text(id)), p.add(Int(version)));
    (
        format!(
            "SELECT {cols} FROM dataset_membership m WHERE {}",
            member_condition(&d, &v)
        ),
        p,
    )
}

/// A dataset or a list of traces is read trace by trace and sorted. Left to itself,
/// SQLite's planner (no statistics) walks the project's whole time index and tests each
/// event's trace instead: 380 ms for a 1,000-trace dataset among 1,000,000 events,
/// against 25 ms this way, over a covering index (migration 0004; BENCHMARKS.md).
fn index_hint(dialect: Dialect, scan: &EventScan) -> &'static str {
    match (dialect, scan) {
        (
            Dialect::Sqlite,
            EventScan::Dataset(_) | EventScan::DatasetVersion { .. } | EventScan::Traces(_),
        ) => " INDEXED BY events_by_trace_scan",
        _ => "",
    }
}

/// The streaming query: time order, insertion order within a microsecond.
pub(crate) fn scan_sql<'a>(
    dialect: Dialect,
    project_id: &'a str,
    scan: &'a EventScan,
) -> (String, Params<'a>) {
    let (cond, p) = scope(dialect, project_id, scan);
    let index = index_hint(dialect, scan);
    (
        format!("SELECT {SCAN_COLS} FROM events e{index} WHERE {cond} ORDER BY e.ts_micros, e.id"),
        p,
    )
}

/// The scanned events of a scope that carry a decided approval: trace, span and the
/// decision (`status`). Driven by the project's decided approvals (few) through
/// `events_by_approval`.
pub(crate) fn reviews_sql<'a>(
    dialect: Dialect,
    project_id: &'a str,
    scan: &'a EventScan,
    limit: i64,
) -> (String, Params<'a>) {
    let (cond, mut p) = scope(dialect, project_id, scan);
    let limit = p.add(Int(limit));
    (
        format!(
            "SELECT e.trace_id, e.span_id, a.status FROM approvals a \
             JOIN events e ON e.project_id = a.project_id AND e.approval_id = a.id \
             WHERE a.project_id = $1 AND a.status IN ('approved', 'rejected') AND {cond} \
             LIMIT {limit}"
        ),
        p,
    )
}

/// Most reviewed calls one run compares with.
pub(crate) const MAX_REVIEWS: i64 = 100_000;

pub(super) async fn reviews<B: super::Backend>(
    b: &B,
    project_id: &str,
    scan: &EventScan,
) -> Result<Vec<(String, String, policy::Review)>, crate::StoreError> {
    use super::{Access, RowGet, Scope, Tx};
    let (sql, p) = reviews_sql(B::DIALECT, project_id, scan, MAX_REVIEWS);
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    tx.fetch_all(&sql, &p.args)
        .await?
        .iter()
        .map(|r| {
            let review = match r.text("status")?.as_str() {
                "approved" => policy::Review::Approved,
                _ => policy::Review::Rejected,
            };
            Ok((r.text("trace_id")?, r.text("span_id")?, review))
        })
        .collect()
}

pub(crate) fn count_sql<'a>(
    dialect: Dialect,
    project_id: &'a str,
    scan: &'a EventScan,
) -> (String, Params<'a>) {
    let (cond, p) = scope(dialect, project_id, scan);
    let index = index_hint(dialect, scan);
    (
        format!("SELECT COUNT(*) AS n FROM events e{index} WHERE {cond}"),
        p,
    )
}

pub(super) async fn count<B: super::Backend>(
    b: &B,
    project_id: &str,
    scan: &EventScan,
) -> Result<u64, crate::StoreError> {
    use super::{Access, RowGet, Scope, Tx};
    let (sql, p) = count_sql(B::DIALECT, project_id, scan);
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    let n = match tx.fetch_optional(&sql, &p.args).await? {
        Some(row) => row.int("n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The project's most recent `max_events` calls since `since_micros`, grouped by name,
/// agent and recorded verdict, the busiest groups first (at most `limit`): what a blast
/// radius decides, once per group. Read from the covering `events_scan` index alone,
/// newest first, so its cost is bounded by `max_events` whatever the volume.
pub(super) async fn seen_calls<B: super::Backend>(
    b: &B,
    project_id: &str,
    since_micros: i64,
    limit: usize,
) -> Result<Vec<policy::SeenCall>, crate::StoreError> {
    use super::{Access, RowGet, Scope, Tx};
    let mut p = Params::new(Text(project_id));
    let since = p.add(Int(super::rollups::hour_of(since_micros)));
    let limit = p.add(Int(i64::try_from(limit).unwrap_or(i64::MAX)));
    let sql = format!(
        "SELECT tool, agent, verdict, CAST(SUM(events) AS BIGINT) AS events, \
                MIN(min_cost) AS min_cost, MAX(max_cost) AS max_cost, CAST(SUM(uncosted) AS BIGINT) AS uncosted \
         FROM event_rollups \
         WHERE project_id = $1 AND hour >= {since} AND kind IN {SCANNED_KINDS_SQL} \
         GROUP BY tool, agent, verdict \
         ORDER BY SUM(events) DESC, tool, agent, verdict LIMIT {limit}"
    );
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    tx.fetch_all(&sql, &p.args)
        .await?
        .iter()
        .map(|r| {
            let count = |col: &str| r.int(col).map(|n| u64::try_from(n).unwrap_or(0));
            Ok(policy::SeenCall {
                tool: r.text("tool")?,
                agent: Some(r.text("agent")?).filter(|a| !a.is_empty()),
                recorded: super::rows::verdict(&r.text("verdict")?)?,
                events: count("events")?,
                min_cost_usd: r.opt_real("min_cost")?,
                max_cost_usd: r.opt_real("max_cost")?,
                uncosted: count("uncosted")?,
            })
        })
        .collect()
}

pub(super) async fn hourly_calls<B: super::Backend>(
    b: &B,
    project_id: &str,
    since_micros: i64,
) -> Result<Vec<crate::HourlyCalls>, crate::StoreError> {
    use super::{Access, RowGet, Scope, Tx};
    let sql = format!(
        "SELECT hour, verdict, CAST(SUM(events) AS BIGINT) AS events, SUM(cost_usd) AS cost_usd \
         FROM event_rollups \
         WHERE project_id = $1 AND hour >= $2 AND kind IN {SCANNED_KINDS_SQL} \
         GROUP BY hour, verdict ORDER BY hour, verdict"
    );
    let args = [Text(project_id), Int(super::rollups::hour_of(since_micros))];
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    tx.fetch_all(&sql, &args)
        .await?
        .iter()
        .map(|r| {
            Ok(crate::HourlyCalls {
                hour_micros: r.int("hour")?,
                verdict: super::rows::verdict(&r.text("verdict")?)?,
                events: u64::try_from(r.int("events")?).unwrap_or(0),
                cost_usd: r.real("cost_usd")?,
            })
        })
        .collect()
}

pub(super) async fn top_tools<B: super::Backend>(
    b: &B,
    project_id: &str,
    since_micros: i64,
    verdict: policy::Verdict,
    limit: usize,
) -> Result<Vec<(String, u64)>, crate::StoreError> {
    use super::{Access, RowGet, Scope, Tx};
    let sql = format!(
        "SELECT tool, CAST(SUM(events) AS BIGINT) AS events FROM event_rollups \
         WHERE project_id = $1 AND hour >= $2 AND verdict = $3 AND kind IN {SCANNED_KINDS_SQL} \
         GROUP BY tool ORDER BY SUM(events) DESC, tool LIMIT $4"
    );
    let args = [
        Text(project_id),
        Int(super::rollups::hour_of(since_micros)),
        Text(verdict.as_str()),
        Int(i64::try_from(limit).unwrap_or(i64::MAX)),
    ];
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    tx.fetch_all(&sql, &args)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.text("tool")?,
                u64::try_from(r.int("events")?).unwrap_or(0),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    /// The SQL list is written out for the partial indexes' predicates; it must say
    /// what `policy::EventKind::CALLS` says.
    #[test]
    fn scanned_kinds_are_the_policy_crates_calls() {
        let listed = policy::EventKind::CALLS
            .map(|k| format!("'{}'", k.as_str()))
            .join(", ");
        assert_eq!(super::SCANNED_KINDS_SQL, format!("({listed})"));
    }
}
