//! One integration-test binary for filmroom-jobs: a real SQLite file and a
//! real object directory per test, the queue drained with `try_execute_task`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod worker;
