//! filmroom's storage seams: the [`Store`] trait (accounts, sessions, API tokens,
//! content-addressed recordings and their owners, analyses, the durable job
//! table, and the coach's conversations, notes, usage, budget ledger and rate
//! windows), its SQLite implementation with migrations per dialect under
//! `migrations/`, and the [`objects::ObjectStore`] seam for the recording files
//! (a local directory, or a bucket of an S3-compatible server).
//!
//! The backend is chosen once, from the database URL, by [`connect`]; nothing
//! above this crate knows which one is in use. The trait goes through
//! `async-trait` so callers can hold an `Arc<dyn Store>` (native async fns in
//! traits are not object safe). Every method that needs the time takes
//! `now: OffsetDateTime`, so tests control the clock. PostgreSQL is the next
//! database backend: the seam is here, the implementation is not.
//!
//! `API.md` beside this crate's `Cargo.toml` summarises the public API.

mod coach_model;
mod cursor;
mod error;
mod identity_model;
mod model;
pub mod objects;
mod rights_model;
mod sqlite;
mod store;
mod types;

pub use coach_model::*;
pub use cursor::{CursorKey, RecordingCursor};
pub use error::StoreError;
pub use identity_model::*;
pub use model::*;
pub use rights_model::*;
pub use sqlite::SqliteStore;
pub use store::{Store, TOKEN_LAST_USED_EVERY};
pub use types::*;

use std::sync::Arc;

/// Opens the store named by `url` and brings its schema up to date.
///
/// `sqlite://PATH`, `sqlite:PATH` and `sqlite::memory:` open SQLite. PostgreSQL
/// is refused with [`StoreError::UnsupportedBackend`] until it is implemented;
/// any other scheme is [`StoreError::InvalidUrl`]. No file is ever created for
/// a URL this function does not accept.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    let scheme = url.split_once(':').map(|(scheme, _)| scheme).unwrap_or("");
    match scheme.to_ascii_lowercase().as_str() {
        "sqlite" => Ok(Arc::new(SqliteStore::connect(url).await?)),
        "postgres" | "postgresql" => Err(StoreError::UnsupportedBackend {
            scheme: scheme.to_owned(),
        }),
        _ => Err(StoreError::InvalidUrl(format!(
            "unknown database URL scheme in {:?}: expected sqlite://PATH or sqlite::memory:",
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
