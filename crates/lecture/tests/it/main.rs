//! The lecture domain on real caption files and documents.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod chunking;
mod evaluation;
mod inputs;
