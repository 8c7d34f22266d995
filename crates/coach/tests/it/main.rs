//! The coach's integration tests: provider clients against a local server that
//! replays the providers' streaming wire formats, and the budget ledger under load.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod anthropic;
mod budget;
mod openai;
mod support;
