//! Retention: a background task that prunes old traces once at start-up and then
//! hourly. Traces pinned in a dataset are never pruned (the store guarantees it), so a
//! fixture from three months ago still replays today.
use std::sync::Arc;
use std::time::Duration;

const EVERY: Duration = Duration::from_secs(3600);

/// Starts pruning with `default_days` for projects without their own retention
/// setting (`None`: those keep everything).
pub fn spawn(
    store: Arc<dyn store::Store>,
    default_days: Option<i64>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        loop {
            tick.tick().await;
            match store.prune(store::now_micros(), default_days).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(events = n, "retention: pruned old traces"),
                Err(err) => tracing::warn!(%err, "retention: pruning failed; will retry"),
            }
        }
    })
}
