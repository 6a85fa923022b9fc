//! Preflight server library: the HTTP router (`web::router`) and the CLI, split from
//! `main.rs` so tests can drive both without a socket or a subprocess.
pub mod api;
pub mod assets;
pub mod auth;
pub mod cli;
pub mod export;
pub mod ops;
pub mod request_id;
pub mod retention;
pub mod web;
