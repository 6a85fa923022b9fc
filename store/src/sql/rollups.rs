//! Hourly event rollups (`event_rollups`), kept in step with `events` inside the
//! transactions that write events: ingest adds what it inserts and swaps the old copy
//! of a span it changes for the new one, retention subtracts what it deletes. Readers
//! of counts (the home page, the blast radius) then read rows per hour of history, not
//! rows per event. [`drift`] recomputes every row from the events and compares.

use std::collections::BTreeMap;

use super::Arg::{self, Int, OptReal, Text, TextList};
use super::{Access, Backend, Dialect, RowGet, Scope, Tx};
use crate::{RollupDrift, StoreError, StoredEvent};

pub(crate) const HOUR_MICROS: i64 = 3_600_000_000;

/// The start of the hour holding `ts_micros`, truncating towards zero as both
/// backends' integer division does (the migration and [`drift`] group by that).
pub(crate) fn hour_of(ts_micros: i64) -> i64 {
    ts_micros / HOUR_MICROS * HOUR_MICROS
}

/// What one rollup row is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct RollupKey {
    pub(crate) hour: i64,
    pub(crate) kind: String,
    pub(crate) tool: String,
    /// `''` for events without an agent name.
    pub(crate) agent: String,
    pub(crate) verdict: String,
}

impl RollupKey {
    /// As stored: NUL characters replaced as binding does, so an event and its stored
    /// copy land on one key (and one statement never updates a row twice).
    fn of_event(e: &StoredEvent) -> Self {
        let text = |s: &str| super::nul::text(s).into_owned();
        RollupKey {
            hour: hour_of(e.ts_micros),
            kind: text(&e.kind),
            tool: text(&e.tool),
            agent: text(e.agent_name.as_deref().unwrap_or_default()),
            verdict: e.verdict.as_str().to_string(),
        }
    }

    fn of_row(r: &impl RowGet) -> Result<Self, StoreError> {
        Ok(RollupKey {
            hour: r.int("hour")?,
            kind: r.text("kind")?,
            tool: r.text("tool")?,
            agent: r.text("agent")?,
            verdict: r.text("verdict")?,
        })
    }
}

/// The counts of one rollup row, or a change to them.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct RollupCounts {
    pub(crate) events: i64,
    pub(crate) cost_usd: f64,
    pub(crate) uncosted: i64,
    pub(crate) min_cost: Option<f64>,
    pub(crate) max_cost: Option<f64>,
}

impl RollupCounts {
    fn of_row(r: &impl RowGet) -> Result<Self, StoreError> {
        Ok(RollupCounts {
            events: r.int("events")?,
            cost_usd: r.real("cost_usd")?,
            uncosted: r.int("uncosted")?,
            min_cost: r.opt_real("min_cost")?,
            max_cost: r.opt_real("max_cost")?,
        })
    }

    fn add_one(&mut self, cost: Option<f64>) {
        self.events += 1;
        match cost {
            Some(c) => {
                self.cost_usd += c;
                self.min_cost = Some(self.min_cost.map_or(c, |m| m.min(c)));
                self.max_cost = Some(self.max_cost.map_or(c, |m| m.max(c)));
            }
            None => self.uncosted += 1,
        }
    }

    /// Takes away counts; bounds stay (they are not narrowed when events leave).
    fn subtract(&mut self, other: &RollupCounts) {
        self.events -= other.events;
        self.cost_usd -= other.cost_usd;
        self.uncosted -= other.uncosted;
    }

    fn is_nothing(&self) -> bool {
        self.events == 0
            && self.uncosted == 0
            && self.cost_usd == 0.0
            && self.min_cost.is_none()
            && self.max_cost.is_none()
    }
}

/// Changes to rollup rows, collected over a transaction and written at its end in key
/// order (so concurrent writers on PostgreSQL lock shared rows in the same order).
#[derive(Debug, Default)]
pub(crate) struct RollupDeltas {
    rows: BTreeMap<RollupKey, RollupCounts>,
    removes: bool,
}

impl RollupDeltas {
    pub(crate) fn add_event(&mut self, e: &StoredEvent) {
        self.rows
            .entry(RollupKey::of_event(e))
            .or_default()
            .add_one(e.cost_usd);
    }

    /// Takes away one stored copy of a span, as read by [`OLD_COPY_COLS`].
    pub(crate) fn remove_row(&mut self, r: &impl RowGet) -> Result<(), StoreError> {
        let key = RollupKey::of_row(r)?;
        let cost = r.opt_real("cost_usd")?;
        let mut one = RollupCounts::default();
        one.add_one(cost);
        self.remove(key, &one);
        Ok(())
    }

    fn remove(&mut self, key: RollupKey, counts: &RollupCounts) {
        self.removes = true;
        self.rows.entry(key).or_default().subtract(counts);
    }
}

/// Columns of an `events` row its rollup contribution needs, aliased as rollups name
/// them (`hour`, `agent`).
pub(crate) const OLD_COPY_COLS: &str =
    "trace_id, span_id, (ts_micros / 3600000000) * 3600000000 AS hour, \
     kind, tool, COALESCE(agent_name, '') AS agent, verdict, cost_usd";

const COLS: [&str; 11] = [
    "project_id",
    "hour",
    "kind",
    "tool",
    "agent",
    "verdict",
    "events",
    "cost_usd",
    "uncosted",
    "min_cost",
    "max_cost",
];
/// Rows per statement: 11 × 1,000 parameters, under both backends' limits.
const CHUNK: usize = 1000;

/// Writes the collected changes.
pub(crate) async fn apply<T: Tx>(
    tx: &mut T,
    dialect: Dialect,
    project_id: &str,
    deltas: RollupDeltas,
) -> Result<(), StoreError> {
    let rows: Vec<(RollupKey, RollupCounts)> = deltas
        .rows
        .into_iter()
        .filter(|(_, c)| !c.is_nothing())
        .collect();
    for chunk in rows.chunks(CHUNK) {
        let mut sql = String::from("INSERT INTO event_rollups (");
        sql.push_str(&COLS.join(", "));
        sql.push_str(") VALUES ");
        sql.push_str(&super::values_placeholders(
            dialect,
            chunk.len(),
            COLS.len(),
        ));
        sql.push_str(
            " ON CONFLICT (project_id, hour, kind, tool, agent, verdict) DO UPDATE SET \
             events = event_rollups.events + excluded.events, \
             cost_usd = event_rollups.cost_usd + excluded.cost_usd, \
             uncosted = event_rollups.uncosted + excluded.uncosted, \
             min_cost = CASE WHEN excluded.min_cost IS NOT NULL AND (event_rollups.min_cost IS NULL \
                 OR excluded.min_cost < event_rollups.min_cost) THEN excluded.min_cost \
                 ELSE event_rollups.min_cost END, \
             max_cost = CASE WHEN excluded.max_cost IS NOT NULL AND (event_rollups.max_cost IS NULL \
                 OR excluded.max_cost > event_rollups.max_cost) THEN excluded.max_cost \
                 ELSE event_rollups.max_cost END",
        );
        let mut args: Vec<Arg<'_>> = Vec::with_capacity(chunk.len() * COLS.len());
        for (k, c) in chunk {
            args.extend([
                Text(project_id),
                Int(k.hour),
                Text(&k.kind),
                Text(&k.tool),
                Text(&k.agent),
                Text(&k.verdict),
                Int(c.events),
                OptReal(Some(c.cost_usd)),
                Int(c.uncosted),
                OptReal(c.min_cost),
                OptReal(c.max_cost),
            ]);
        }
        tx.execute(&sql, &args).await?;
    }
    if deltas.removes {
        // Rows whose events all left. A row never written can only be negative if the
        // rollups had drifted; dropping it too keeps readers from seeing negatives.
        tx.execute(
            "DELETE FROM event_rollups WHERE project_id = $1 AND events <= 0",
            &[Text(project_id)],
        )
        .await?;
    }
    Ok(())
}

/// Deletes these traces' events and returns what they contributed. SQLite's write
/// transactions take turns, so counting first is exact there; PostgreSQL counts the
/// rows its `DELETE` actually removed, whatever a concurrent ingest did meanwhile.
pub(crate) async fn delete_trace_events<T: Tx>(
    tx: &mut T,
    dialect: Dialect,
    project_id: &str,
    trace_ids: &[String],
) -> Result<(u64, RollupDeltas), StoreError> {
    let group = "GROUP BY hour, kind, tool, agent, verdict";
    let counted = "hour, kind, tool, agent, verdict, COUNT(*) AS events, \
         COALESCE(SUM(cost_usd), 0.0) AS cost_usd, \
         SUM(CASE WHEN cost_usd IS NULL THEN 1 ELSE 0 END) AS uncosted, \
         MIN(cost_usd) AS min_cost, MAX(cost_usd) AS max_cost";
    let selected = format!("project_id = $1 AND trace_id {}", dialect.in_list(2));
    let args = [Text(project_id), TextList(trace_ids)];
    let rows = match dialect {
        Dialect::Sqlite => {
            let rows = tx
                .fetch_all(
                    &format!(
                        "SELECT {counted} FROM (SELECT {OLD_COPY_COLS} FROM events \
                         WHERE {selected}) AS gone {group}"
                    ),
                    &args,
                )
                .await?;
            tx.execute(&format!("DELETE FROM events WHERE {selected}"), &args)
                .await?;
            rows
        }
        Dialect::Postgres => {
            tx.fetch_all(
                &format!(
                    "WITH gone AS (DELETE FROM events WHERE {selected} RETURNING {OLD_COPY_COLS}) \
                     SELECT {counted} FROM gone {group}"
                ),
                &args,
            )
            .await?
        }
    };
    let mut deltas = RollupDeltas::default();
    let mut deleted = 0_u64;
    for r in &rows {
        let counts = RollupCounts::of_row(r)?;
        deleted += u64::try_from(counts.events).unwrap_or(0);
        deltas.remove(RollupKey::of_row(r)?, &counts);
    }
    Ok((deleted, deltas))
}

const RECOUNT: &str = "SELECT (ts_micros / 3600000000) * 3600000000 AS hour, kind, tool, \
     COALESCE(agent_name, '') AS agent, verdict, COUNT(*) AS events, \
     COALESCE(SUM(cost_usd), 0.0) AS cost_usd, \
     SUM(CASE WHEN cost_usd IS NULL THEN 1 ELSE 0 END) AS uncosted, \
     MIN(cost_usd) AS min_cost, MAX(cost_usd) AS max_cost \
     FROM events WHERE project_id = $1 \
     GROUP BY (ts_micros / 3600000000) * 3600000000, kind, tool, COALESCE(agent_name, ''), verdict";

/// Recomputes a project's rollups from its events and lists the rows that differ:
/// counts exactly, cost within a millionth (sums are kept incrementally), bounds that
/// do not contain the events' costs. Reads every event of the project.
pub(crate) async fn drift<B: Backend>(
    b: &B,
    project_id: &str,
) -> Result<Vec<RollupDrift>, StoreError> {
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    let mut expected = BTreeMap::new();
    for r in tx.fetch_all(RECOUNT, &[Text(project_id)]).await? {
        expected.insert(RollupKey::of_row(&r)?, RollupCounts::of_row(&r)?);
    }
    let mut stored = BTreeMap::new();
    for r in tx
        .fetch_all(
            "SELECT hour, kind, tool, agent, verdict, events, cost_usd, uncosted, min_cost, \
             max_cost FROM event_rollups WHERE project_id = $1",
            &[Text(project_id)],
        )
        .await?
    {
        stored.insert(RollupKey::of_row(&r)?, RollupCounts::of_row(&r)?);
    }
    drop(tx);
    let keys: std::collections::BTreeSet<&RollupKey> =
        expected.keys().chain(stored.keys()).collect();
    let mut drifts = Vec::new();
    for key in keys {
        let (want, have) = (expected.get(key), stored.get(key));
        let agrees = match (want, have) {
            (Some(w), Some(h)) => counts_agree(w, h),
            _ => false,
        };
        if !agrees {
            drifts.push(RollupDrift {
                hour_micros: key.hour,
                kind: key.kind.clone(),
                tool: key.tool.clone(),
                agent: Some(key.agent.clone()).filter(|a| !a.is_empty()),
                verdict: key.verdict.clone(),
                expected_events: want.map(|c| c.events),
                expected_cost_usd: want.map(|c| c.cost_usd),
                stored_events: have.map(|c| c.events),
                stored_cost_usd: have.map(|c| c.cost_usd),
            });
        }
    }
    Ok(drifts)
}

fn counts_agree(want: &RollupCounts, have: &RollupCounts) -> bool {
    let tolerance = 1e-6 * want.cost_usd.abs().max(1.0);
    let within = |bound: Option<f64>, actual: Option<f64>, below: bool| match (bound, actual) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(b), Some(a)) => {
            if below {
                b <= a
            } else {
                b >= a
            }
        }
    };
    want.events == have.events
        && want.uncosted == have.uncosted
        && (want.cost_usd - have.cost_usd).abs() <= tolerance
        && within(have.min_cost, want.min_cost, true)
        && within(have.max_cost, want.max_cost, false)
}

/// Replaces a project's rollups with a recount of its events; returns the rows written.
pub(crate) async fn rebuild<B: Backend>(b: &B, project_id: &str) -> Result<u64, StoreError> {
    let mut tx = b.begin(Scope::Project(project_id), Access::Write).await?;
    tx.execute(
        "DELETE FROM event_rollups WHERE project_id = $1",
        &[Text(project_id)],
    )
    .await?;
    let n = tx
        .execute(
            &format!(
                "INSERT INTO event_rollups (hour, kind, tool, agent, verdict, events, cost_usd, \
                 uncosted, min_cost, max_cost, project_id) \
                 SELECT hour, kind, tool, agent, verdict, events, cost_usd, uncosted, min_cost, \
                 max_cost, $1 FROM ({RECOUNT}) AS recount"
            ),
            &[Text(project_id)],
        )
        .await?;
    tx.commit().await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_truncate_as_sql_integer_division_does() {
        assert_eq!(hour_of(0), 0);
        assert_eq!(hour_of(HOUR_MICROS - 1), 0);
        assert_eq!(hour_of(HOUR_MICROS * 5 + 7), HOUR_MICROS * 5);
        // Before 1970, towards zero like `/` in SQLite and PostgreSQL.
        assert_eq!(hour_of(-1), 0);
        assert_eq!(hour_of(-HOUR_MICROS - 1), -HOUR_MICROS);
    }

    #[test]
    fn bounds_may_be_wider_than_the_events_but_never_narrower() {
        let events = RollupCounts {
            events: 2,
            cost_usd: 0.3,
            uncosted: 0,
            min_cost: Some(0.1),
            max_cost: Some(0.2),
        };
        let wider = RollupCounts {
            min_cost: Some(0.05),
            max_cost: Some(0.5),
            ..events
        };
        assert!(counts_agree(&events, &wider));
        let narrower = RollupCounts {
            min_cost: Some(0.15),
            ..events
        };
        assert!(!counts_agree(&events, &narrower));
        let miscounted = RollupCounts {
            events: 3,
            ..events
        };
        assert!(!counts_agree(&events, &miscounted));
        let drifted_cost = RollupCounts {
            cost_usd: 0.31,
            ..events
        };
        assert!(!counts_agree(&events, &drifted_cost));
    }
}
