//! `preflight copy --from URL --to URL`: a whole database between SQLite and PostgreSQL,
//! then verified table by table (store::copy).
use super::progress::thousands;

pub async fn run(from: String, to: String) -> Result<(), String> {
    let started = std::time::Instant::now();
    let last = std::sync::Mutex::new(std::time::Instant::now());
    let progress = |table: &str, rows: u64| {
        if let Ok(mut at) = last.try_lock() {
            if at.elapsed() >= std::time::Duration::from_secs(1) {
                *at = std::time::Instant::now();
                eprintln!("copying {table}: {} rows …", thousands(rows));
            }
        }
    };
    let copied = store::copy::copy(&from, &to, &progress)
        .await
        .map_err(|e| {
            format!("copy failed: {e} (run it again to go on: rows already copied are kept)")
        })?;
    for t in &copied {
        println!(
            "{}: {} rows read, {} new",
            t.table,
            thousands(t.read),
            thousands(t.inserted)
        );
    }
    let checks = store::copy::verify(&from, &to)
        .await
        .map_err(|e| format!("verification failed: {e}"))?;
    let mut bad = Vec::new();
    for c in &checks {
        if !c.ok() {
            println!(
                "MISMATCH {}: {} rows in the source, {} in the copy{}",
                c.table,
                thousands(c.source_rows),
                thousands(c.target_rows),
                if c.digests_match { "" } else { ", rows differ" }
            );
            bad.push(c.table.clone());
        }
    }
    if !bad.is_empty() {
        return Err(format!(
            "the copy differs from the source in {}",
            bad.join(", ")
        ));
    }
    let rows: u64 = checks.iter().map(|c| c.target_rows).sum();
    println!(
        "copied and verified {} tables, {} rows, in {:.1} s: counts and row digests match",
        checks.len(),
        thousands(rows),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
