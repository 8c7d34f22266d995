//! One integration-test binary for filmroom-store: the conformance suite run
//! against every backend, plus backend-specific and object storage tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod conformance;
mod object_conformance;
mod objects;
mod postgres;
mod s3;
mod sqlite;
