//! Preflight's domain operations, each written once, server-side only: what the REST
//! API (`server/src/api`) and the dashboard's server functions (`app`) both do.
//!
//! Every operation takes its inputs explicitly — the store, the [`Caller`] (who is
//! asking, and for which project) and the operation's own arguments — and fails with
//! one [`ServiceError`], which each transport turns into its own answer (a JSON error
//! with a status for `/v1`, a server function error for the dashboard). Nothing here
//! knows HTTP or Leptos; validation, limits, messages and the rules shared by both
//! transports (which events are audit events, how a draft is compiled, what a stored
//! simulation records) live here or in the `policy` crate, never in a transport.
//!
//! | module | operations |
//! | --- | --- |
//! | [`accounts`] | your own password; an admin's disable, enable, role, password reset, end sessions |
//! | [`projects`] | which project a dashboard request is for, projects, keys, retention |
//! | [`datasets`] | list, read, create, rename, delete, pin and unpin traces |
//! | [`policies`] | the active rule set, saving with compare-and-set, edits, versions, evaluation |
//! | [`simulation`] | scopes, baselines, runs, stored runs, preview events |
//! | [`audit`] | the audit log's pages, counts and export rows |
//! | [`changes`] | who changed what in a project: recorded by every write, read by page |
//! | [`approvals`] | request, poll, list, decide once |
//! | [`ingest`] | decode → validate → store |
//! | [`traces`] | traces, spans and threads |
//! | [`blocking`] | CPU-heavy work (diffs, simulations, lint) on the blocking pool, one per core |
//! | [`paging`] | the default and largest page of each read that can be large |

pub mod accounts;
pub mod approvals;
pub mod audit;
pub mod blocking;
mod caller;
pub mod changes;
pub mod datasets;
mod error;
pub mod ingest;
pub mod names;
pub mod paging;
pub mod password;
pub mod policies;
pub mod projects;
pub mod simulation;
pub mod traces;

pub use caller::{Actor, Caller, Permission};
pub use error::{ServiceError, ServiceResult};

/// The store every operation works on.
pub type Store = dyn store::Store;
