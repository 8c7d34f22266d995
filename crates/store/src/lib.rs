//! filmroom's storage seams: the [`Store`] trait (accounts, sessions, API tokens,
//! content-addressed recordings and their owners, analyses, the durable job
//! table, and the coach's conversations, notes, usage, budget ledger and rate
//! windows), its SQLite and PostgreSQL implementations with migrations per dialect under
//! `migrations/`, and the [`objects::ObjectStore`] seam for the recording files
//! (a local directory, or a bucket of an S3-compatible server).
//!
//! The backend is chosen once, from the database URL, by [`connect`]; nothing
//! above this crate knows which one is in use. The trait goes through
//! `async-trait` so callers can hold an `Arc<dyn Store>` (native async fns in
//! traits are not object safe). Every method that needs the time takes
//! `now: OffsetDateTime`, so tests control the clock. PostgreSQL is the
//! backend for several processes sharing one database ([`PgStore`]).
//!
//! `API.md` beside this crate's `Cargo.toml` summarises the public API.

mod coach_model;
mod companion_model;
mod cursor;
mod error;
mod identity_model;
mod list_filter;
mod model;
pub mod objects;
mod postgres;
mod rights_model;
mod rows;
mod sqlite;
mod store;
mod types;

pub use coach_model::*;
pub use companion_model::*;
pub use cursor::{CursorKey, RecordingCursor};
pub use error::StoreError;
pub use identity_model::*;
pub use model::*;
pub use postgres::PgStore;
pub use rights_model::*;
pub use sqlite::SqliteStore;
pub use store::{JobSignals, Store, TOKEN_LAST_USED_EVERY};
pub use types::*;

use std::sync::Arc;

/// Opens the store named by `url` and brings its schema up to date.
///
/// `sqlite://PATH`, `sqlite:PATH` and `sqlite::memory:` open SQLite;
/// `postgres://` and `postgresql://` open PostgreSQL (the database must
/// exist). Any other scheme is [`StoreError::InvalidUrl`]. No file is ever
/// created for a URL this function does not accept, and a password in the URL
/// never reaches an error.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    let scheme = url.split_once(':').map(|(scheme, _)| scheme).unwrap_or("");
    match scheme.to_ascii_lowercase().as_str() {
        "sqlite" => Ok(Arc::new(SqliteStore::connect(url).await?)),
        "postgres" | "postgresql" => Ok(Arc::new(PgStore::connect(url).await.map_err(
            |e| match e {
                StoreError::Database(db) => StoreError::Unavailable(format!(
                    "cannot open the PostgreSQL database at {}: {}",
                    redact_url(url),
                    redact_error_text(&db.to_string(), url)
                )),
                other => other,
            },
        )?)),
        _ => Err(StoreError::InvalidUrl(format!(
            "unknown database URL scheme in {:?}: expected sqlite://PATH, sqlite::memory: or postgres://...",
            redact_url(url)
        ))),
    }
}

/// Hides a password in a URL before it reaches an error message or a log.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(start), Some(at)) if at > start => format!("{}://***{}", &url[..start], &url[at..]),
        _ => url.to_owned(),
    }
}

/// A driver's error text with the URL's password removed, should it quote it.
fn redact_error_text(text: &str, url: &str) -> String {
    match url
        .split_once("://")
        .and_then(|(_, rest)| rest.rsplit_once('@'))
    {
        Some((credentials, _)) => match credentials.split_once(':') {
            Some((_, password)) if !password.is_empty() => text.replace(password, "***"),
            _ => text.to_owned(),
        },
        None => text.to_owned(),
    }
}
