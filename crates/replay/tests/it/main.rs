//! The replay engine's integration tests, over the shared replay corpus.
mod accuracy;
mod corpus;
mod support;
