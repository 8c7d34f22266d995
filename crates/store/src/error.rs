//! The store's typed errors.

/// Everything a [`crate::Store`] call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row the call acts on does not exist (or is not the caller's).
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// A uniqueness rule refused the write, e.g. `what = "username"`.
    #[error("{what} already exists")]
    Conflict { what: &'static str },
    /// Too much work is waiting: the upload was refused and nothing was stored.
    #[error("the analysis queue is full ({depth} jobs waiting or running, limit {max})")]
    QueueFull { depth: u64, max: u64 },
    /// Holding `requested` more would take the budget period over its limit;
    /// `available` is what was left (nothing was held).
    #[error("the budget has {available} left, {requested} was requested")]
    BudgetExceeded { requested: u64, available: u64 },
    /// A rate window is full (map to 429 + Retry-After); nothing was recorded.
    #[error(
        "rate limited: at most {max} requests per {window_seconds} s, retry in {retry_after_seconds} s"
    )]
    RateLimited {
        window_seconds: u64,
        max: u64,
        retry_after_seconds: u64,
    },
    /// Another live process is registered under this node name.
    #[error("node {name:?} is in use by a live process (pid {pid} on {host})")]
    NodeInUse {
        name: String,
        host: String,
        pid: u32,
    },
    /// A list's cursor was made for another sort or direction than the
    /// query it was given with.
    #[error("the cursor belongs to another sort or order of the list")]
    InvalidCursor,
    /// The database URL could not be understood.
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    /// The URL names a backend this build does not implement yet.
    #[error("the {scheme:?} database backend is not supported yet (use sqlite://PATH)")]
    UnsupportedBackend { scheme: String },
    /// The database server could not be reached or refused the connection;
    /// the message names the URL with its password hidden.
    #[error("{0}")]
    Unavailable(String),
    /// Bringing the schema up to date failed.
    #[error("failed to migrate the database schema")]
    Migration(#[source] sqlx::migrate::MigrateError),
    /// The database refused or failed a query.
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// A stored value did not parse back into its domain type.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        StoreError::Database(error)
    }
}
