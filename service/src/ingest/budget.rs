//! A memory budget shared by every in-flight ingest request: the bytes of request
//! bodies as received, of bodies once inflated, and of the events decoded from them
//! (estimated) are charged to it while a request holds them. A request that would
//! take more than the whole budget is refused for good (413); one that finds the
//! budget taken by others is told to come back (503), never kept waiting.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Reservations grow in steps of at least this many bytes, so that charging every
/// decoded value does not touch the shared counter each time.
const STEP: usize = 64 * 1024;

/// The bytes all ingest requests together may hold.
#[derive(Debug)]
pub struct MemoryBudget {
    capacity: usize,
    in_use: AtomicUsize,
}

/// Why a charge was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverBudget {
    /// This request alone needs more than the whole budget: retrying cannot help.
    TooLarge { capacity: usize },
    /// Other requests hold the budget now; retrying shortly may succeed.
    Busy,
}

impl MemoryBudget {
    pub fn new(capacity: usize) -> Arc<MemoryBudget> {
        Arc::new(MemoryBudget {
            capacity,
            in_use: AtomicUsize::new(0),
        })
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Bytes reserved by requests in flight.
    pub fn in_use(&self) -> usize {
        self.in_use.load(Ordering::Relaxed)
    }

    /// An empty reservation for one request; what it holds is returned when dropped.
    pub fn reservation(self: &Arc<Self>) -> Reservation {
        Reservation {
            budget: self.clone(),
            reserved: 0,
            used: 0,
        }
    }

    /// Takes `bytes` from the budget if they are free.
    fn take(&self, bytes: usize) -> bool {
        self.in_use
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |in_use| {
                in_use
                    .checked_add(bytes)
                    .filter(|total| *total <= self.capacity)
            })
            .is_ok()
    }

    fn give_back(&self, bytes: usize) {
        self.in_use.fetch_sub(bytes, Ordering::AcqRel);
    }
}

/// What one request holds of the budget: `reserved` bytes taken from it, of which
/// `used` are charged so far.
#[derive(Debug)]
pub struct Reservation {
    budget: Arc<MemoryBudget>,
    reserved: usize,
    used: usize,
}

impl Reservation {
    /// Charges `bytes` more to this request, reserving more of the budget if needed.
    pub fn charge(&mut self, bytes: usize) -> Result<(), OverBudget> {
        let capacity = self.budget.capacity;
        let used = self
            .used
            .checked_add(bytes)
            .filter(|used| *used <= capacity)
            .ok_or(OverBudget::TooLarge { capacity })?;
        if used > self.reserved {
            let needed = used - self.reserved;
            // A whole step when the budget has it, else just what is needed.
            let step = needed.max(STEP).min(capacity - self.reserved);
            let taken = if self.budget.take(step) {
                step
            } else if self.budget.take(needed) {
                needed
            } else {
                return Err(OverBudget::Busy);
            };
            self.reserved += taken;
        }
        self.used = used;
        Ok(())
    }

    /// Returns `bytes` charged earlier (memory the request no longer holds).
    pub fn release(&mut self, bytes: usize) {
        self.used = self.used.saturating_sub(bytes);
        // Keep at most one step in reserve; the rest is free for others at once.
        let spare = self.reserved - self.used;
        if spare > STEP {
            let returned = spare - STEP;
            self.budget.give_back(returned);
            self.reserved -= returned;
        }
    }

    /// Bytes charged to this request now.
    pub fn used(&self) -> usize {
        self.used
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.give_back(self.reserved);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn requests_share_the_budget_and_return_it() {
        let budget = MemoryBudget::new(1_000_000);
        let mut first = budget.reservation();
        first.charge(600_000).unwrap();
        let mut second = budget.reservation();
        assert_eq!(second.charge(500_000), Err(OverBudget::Busy));
        second.charge(300_000).unwrap();
        assert!(budget.in_use() <= 1_000_000);
        drop(first);
        second.charge(500_000).unwrap();
        assert_eq!(second.used(), 800_000);
        drop(second);
        assert_eq!(budget.in_use(), 0);
    }

    #[test]
    fn more_than_the_whole_budget_is_too_large() {
        let budget = MemoryBudget::new(100_000);
        let mut r = budget.reservation();
        r.charge(60_000).unwrap();
        assert_eq!(
            r.charge(60_000),
            Err(OverBudget::TooLarge { capacity: 100_000 })
        );
        assert_eq!(
            r.charge(usize::MAX),
            Err(OverBudget::TooLarge { capacity: 100_000 })
        );
        assert_eq!(r.used(), 60_000);
    }

    #[test]
    fn released_bytes_are_free_for_others() {
        let budget = MemoryBudget::new(1_000_000);
        let mut first = budget.reservation();
        first.charge(900_000).unwrap();
        first.release(800_000);
        assert!(budget.in_use() <= 100_000 + STEP);
        let mut second = budget.reservation();
        second.charge(800_000).unwrap();
        drop((first, second));
        assert_eq!(budget.in_use(), 0);
    }

    #[test]
    fn small_charges_take_the_shared_counter_in_steps() {
        let budget = MemoryBudget::new(10 * STEP);
        let mut r = budget.reservation();
        for _ in 0..100 {
            r.charge(10).unwrap();
        }
        assert_eq!(r.used(), 1_000);
        assert_eq!(budget.in_use(), STEP);
    }
}
