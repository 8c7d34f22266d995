//! The coach's integration tests: provider clients against a local server that
//! replays the providers' streaming wire formats, the budget ledger under load,
//! profiles, the tools over real replays, citations, the built-in analyst and the
//! metered turn loop.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod analyst;
mod anthropic;
mod budget;
mod citations;
mod games;
mod openai;
mod profiles;
mod support;
mod talk_domain;
mod tools;
mod turn;
