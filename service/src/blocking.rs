//! CPU-heavy work off the async workers. A policy-version diff over thousands of
//! rules, a simulation over a large scope or the lint of a large rule set would hold
//! an async worker for as long as it computes, and every request on that worker
//! (`/healthz` included) would wait behind it. [`run`] moves such work to tokio's
//! blocking pool instead, at most one task per core at a time: more wait for a turn
//! without holding an async worker, so heavy requests slow each other down, never the
//! server. (Password hashing has its own turns, in [`crate::password`], so heavy
//! reads cannot delay sign-ins.)
use std::sync::OnceLock;

use tokio::sync::Semaphore;

use crate::{ServiceError, ServiceResult};

/// One turn per core.
fn turns() -> &'static Semaphore {
    static TURNS: OnceLock<Semaphore> = OnceLock::new();
    TURNS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        Semaphore::new(cores)
    })
}

/// How many tasks may run at once: the number of cores.
pub fn capacity() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
}

/// Runs `work` on the blocking pool once a turn is free, and waits for its result.
/// The turn is held until `work` is done, even if the caller goes away.
pub async fn run<T, F>(work: F) -> ServiceResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let turn = turns()
        .acquire()
        .await
        .map_err(|e| ServiceError::Internal(format!("no turn for CPU work: {e}")))?;
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        work()
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("CPU work failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Work runs off the calling thread, and no more than `capacity()` at once.
    #[tokio::test(flavor = "current_thread")]
    async fn runs_off_the_caller_within_the_turns() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let caller = std::thread::current().id();
        let ran_on = run(|| std::thread::current().id()).await.unwrap();
        assert_ne!(ran_on, caller);

        let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let tasks = (0..capacity() * 3).map(|_| {
            let (now, most) = (now.clone(), most.clone());
            run(move || {
                let at_once = now.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(at_once, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(20));
                now.fetch_sub(1, Ordering::SeqCst);
            })
        });
        for done in futures::future::join_all(tasks).await {
            done.unwrap();
        }
        assert!(most.load(Ordering::SeqCst) <= capacity());
    }
}
