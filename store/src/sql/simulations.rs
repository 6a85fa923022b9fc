//! Kept simulation runs.

use serde_json::Value;

use super::rows::{self, SIMULATION_COLS};
use super::Arg::{Int, Json, Text};
use super::{Access, Backend, Scope, Tx};
use crate::ids::{self, SIMULATION};
use crate::time::now_micros;
use crate::{Simulation, StoreError, Timestamp};

pub(super) async fn save<B: Backend>(
    b: &B,
    project_id: &str,
    request: Value,
    summary: Value,
) -> Result<Simulation, StoreError> {
    let sim = Simulation {
        id: ids::new_id(SIMULATION),
        project_id: project_id.to_string(),
        created_at: Timestamp(now_micros()),
        request,
        summary,
    };
    let mut tx = b.begin(Scope::Project(project_id), Access::Write).await?;
    tx.execute(
        "INSERT INTO simulations (id, project_id, created_at, request, summary) VALUES ($1, $2, $3, $4, $5)",
        &[Text(&sim.id), Text(project_id), Int(sim.created_at.0), Json(&sim.request), Json(&sim.summary)],
    )
    .await?;
    tx.commit().await?;
    Ok(sim)
}

pub(super) async fn get<B: Backend>(
    b: &B,
    project_id: &str,
    id: &str,
) -> Result<Simulation, StoreError> {
    let mut tx = b.begin(Scope::Project(project_id), Access::Read).await?;
    let sql =
        format!("SELECT {SIMULATION_COLS} FROM simulations WHERE project_id = $1 AND id = $2");
    match tx
        .fetch_optional(&sql, &[Text(project_id), Text(id)])
        .await?
    {
        Some(row) => rows::simulation(&row),
        None => Err(StoreError::NotFound),
    }
}
