//! The talk domain's integration tests, on real speech synthesized at test
//! time by espeak-ng, cut and joined by sox and packed by ffmpeg (see
//! `fixtures`).
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod bad_input;
mod containers;
mod delivery;
mod fixtures;
