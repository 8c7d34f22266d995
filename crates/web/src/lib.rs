//! filmroom's web layer: configuration ([`config`]), startup as a library
//! function ([`App::build`] / [`App::serve`]), the routes ([`routes::ROUTES`]),
//! and one module per feature, each with a `service` that both its JSON API
//! and its pages call: [`accounts`] (sessions, CSRF, tokens), [`recordings`]
//! (uploads, lists, details, job events), [`coach`] and [`operations`]
//! (health, status, metrics, the OpenAPI document). Handlers are thin:
//! storage is `filmroom-store`, the queue `filmroom-jobs`, the analysis the
//! registered domains.

pub mod accounts;
pub mod analyzer;
pub mod app;
pub mod coach;
pub mod config;
pub mod conn;
pub mod dto;
pub mod error;
pub mod events;
pub mod node;
pub mod openapi;
pub mod operations;
pub mod owned;
mod pages;
pub mod recordings;
pub mod rights;
pub mod routes;
mod sections;
mod views;
pub mod worker_process;

pub use app::{App, AppState, Clock, shutdown_signal};
pub use config::Config;
pub use worker_process::WorkerProcess;

// The paths these modules had before they moved into their feature: the
// binary and the tests name `filmroom_web::auth`, and the wiring (app.rs,
// conn.rs), which other work edits at the same time, keeps its imports.
pub use accounts::{auth, pre_session, throttle};
pub use operations::metrics;
pub(crate) use recordings::uploads;
