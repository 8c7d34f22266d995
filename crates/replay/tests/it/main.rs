//! The replay engine's integration tests, over the shared replay corpus.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod accuracy;
mod corpus;
mod domain;
mod framing;
mod model;
mod support;
