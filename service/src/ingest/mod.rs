//! Ingest: decode → validate → store, for the JamJet SDKs' batches
//! (`POST /v1/events/ingest`, [`decode_batch`]) and the OTLP endpoint (which decodes
//! its own protobuf or JSON into wire events). Each event is judged on its own: a bad
//! one is reported by its index and never costs the good ones of its batch their place.
//! What a request holds while it is decoded is charged to a [`MemoryBudget`] shared
//! by all of them.
use serde::Serialize;

use crate::{Caller, Permission, ServiceError, ServiceResult, Store};

mod batch;
mod body;
mod budget;
pub mod wire;

pub use batch::{decode_batch, value_memory, BatchLimits, DecodedEvents};
pub use body::{inflate, ContentEncoding};
pub use budget::{MemoryBudget, OverBudget, Reservation};
pub use wire::{decode_event, parse_timestamp};

/// Longest `agent_name` stored, in UTF-8 bytes: PostgreSQL indexes it (with the trace
/// id) in a B-tree, whose entries must stay under about 2.7 KB. 1,024 characters of
/// four bytes each would not (a 500 on PostgreSQL, found by `tests/hostile.rs`).
pub const MAX_AGENT_NAME_BYTES: usize = 1024;

/// An event refused, by its index in the request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejected {
    pub index: usize,
    pub error: String,
}

/// What a batch came to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IngestOutcome {
    pub accepted: usize,
    pub rejected: Vec<Rejected>,
}

/// Why a whole request was refused (no event of it is stored).
#[derive(Debug, Clone, PartialEq)]
pub enum BatchError {
    /// The body is not JSON, or not gzip when it says so (400).
    Malformed(String),
    /// More events, inflated bytes or decoded memory than one request may have (413).
    TooLarge(String),
    /// The ingest memory budget is held by other requests now: retry shortly (503).
    Busy(String),
    /// Otherwise invalid (a 422 or 403 as the service error says).
    Service(ServiceError),
}

impl From<ServiceError> for BatchError {
    fn from(e: ServiceError) -> Self {
        BatchError::Service(e)
    }
}

/// What a refused charge means for the client (413 or 503).
impl From<OverBudget> for BatchError {
    fn from(e: OverBudget) -> Self {
        body::over_budget(e)
    }
}

/// Checks what every source's events must satisfy before they reach the store.
fn storable(event: store::StoredEvent) -> Result<store::StoredEvent, String> {
    if let Some(agent) = &event.agent_name {
        if agent.len() > MAX_AGENT_NAME_BYTES {
            return Err(format!(
                "agent_name: longer than {MAX_AGENT_NAME_BYTES} bytes of UTF-8"
            ));
        }
    }
    Ok(event)
}

/// Stores one request's decoded events; failed ones are reported by their index in
/// `decoded`. A span sent twice keeps its later copy, as on re-send (the store keeps
/// the last copy of each (trace, span) of a batch).
pub async fn store_batch(
    store: &Store,
    caller: &Caller,
    decoded: DecodedEvents,
) -> ServiceResult<IngestOutcome> {
    caller.require(Permission::Ingest)?;
    let total = decoded.len();
    let mut good = Vec::with_capacity(total);
    let mut rejected = Vec::new();
    for (index, result) in decoded.into_iter().enumerate() {
        match result.and_then(storable) {
            Ok(event) => good.push(event),
            Err(error) => rejected.push(Rejected { index, error }),
        }
    }
    if !good.is_empty() {
        store.upsert_events(caller.project_id(), &good).await?;
    }
    Ok(IngestOutcome {
        accepted: total - rejected.len(),
        rejected,
    })
}
