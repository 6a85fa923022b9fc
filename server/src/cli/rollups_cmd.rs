//! `preflight rollups check`: recount the hourly rollups from the events and compare.
use clap::Subcommand;

use super::admin_cmd::find_project;
use super::DbArgs;

#[derive(Subcommand, Debug)]
pub enum RollupsCommand {
    /// Recount every project's (or one project's) hourly rollups from its events and
    /// list the rows that disagree; exit 1 if any do (with --repair, rebuild them).
    Check {
        /// A project's name or id (default: every project).
        #[arg(long)]
        project: Option<String>,
        /// Replace the disagreeing projects' rollups with the recount.
        #[arg(long)]
        repair: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

pub async fn run(cmd: RollupsCommand) -> Result<(), String> {
    let RollupsCommand::Check {
        project,
        repair,
        db,
    } = cmd;
    let store = db.open().await?;
    let projects = match project {
        Some(name) => vec![find_project(store.as_ref(), &name).await?],
        None => store.list_projects().await.map_err(|e| e.to_string())?,
    };
    let mut drifted = 0;
    for project in &projects {
        let drift = store
            .rollup_drift(&project.id)
            .await
            .map_err(|e| e.to_string())?;
        if drift.is_empty() {
            println!("{}: rollups agree with the events", project.name);
            continue;
        }
        println!(
            "{}: {} rollup rows disagree with the events",
            project.name,
            drift.len()
        );
        println!("HOUR\tKIND\tTOOL\tAGENT\tVERDICT\tEVENTS (EVENTS TABLE)\tEVENTS (ROLLUP)");
        let shown = |n: Option<i64>| n.map_or_else(|| "-".to_string(), |n| n.to_string());
        for d in drift.iter().take(50) {
            let hour = store::Timestamp(d.hour_micros).to_rfc3339();
            println!(
                "{hour}\t{}\t{}\t{}\t{}\t{}\t{}",
                d.kind,
                d.tool,
                d.agent.as_deref().unwrap_or("-"),
                d.verdict,
                shown(d.expected_events),
                shown(d.stored_events)
            );
        }
        if repair {
            let rows = store
                .rebuild_rollups(&project.id)
                .await
                .map_err(|e| e.to_string())?;
            println!("{}: rebuilt, {rows} rollup rows", project.name);
        } else {
            drifted += 1;
        }
    }
    if drifted > 0 {
        return Err(format!(
            "the rollups of {drifted} project(s) disagree with their events (--repair rebuilds them)"
        ));
    }
    Ok(())
}
