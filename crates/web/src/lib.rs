//! filmroom's web layer: configuration ([`config`]), startup as a library
//! function ([`App::build`] / [`App::serve`]), the routes ([`routes::ROUTES`]),
//! accounts and sessions ([`auth`]), uploads, the JSON API with its OpenAPI
//! document, server-sent job events, the askama pages and the operations
//! endpoints. Handlers are thin: storage is `filmroom-store`, the queue
//! `filmroom-jobs`, the analysis `filmroom-replay`.

pub mod analyzer;
pub mod api;
pub mod app;
pub mod auth;
pub mod coach;
pub mod config;
pub mod conn;
pub mod dto;
pub mod error;
pub mod events;
mod game_view;
pub mod identities;
pub mod metrics;
pub mod node;
pub mod openapi;
mod ops;
mod pages;
pub mod pre_session;
mod recognize;
pub mod recordings;
pub mod routes;
mod sections;
pub mod throttle;
mod uploads;
mod views;

pub use app::{App, AppState, Clock, shutdown_signal};
pub use config::Config;
