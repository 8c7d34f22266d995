//! A golden set and its evaluation: questions, each naming the text span
//! that answers it (not a chunk id, so the set survives re-chunking), run
//! through BM25, dense and hybrid retrieval over the same passages.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::eval::{Scores, score};
use crate::{Bm25, Bm25Error, EmbedError, Embedder, dense_top_k, reciprocal_rank_fusion};

/// How deep each ranker lists passages (the metrics look at 10).
const DEPTH: usize = 10;
/// How deep each ranker lists passages for the fusion to choose from.
const FUSION_DEPTH: usize = 50;

/// A golden file: where its corpus comes from, and its questions.
#[derive(Debug, Clone, Deserialize)]
pub struct Golden {
    /// The corpus and its licence, for people.
    pub corpus: String,
    /// The questions.
    pub questions: Vec<Question>,
}

/// One question and the span of the corpus that answers it.
#[derive(Debug, Clone, Deserialize)]
pub struct Question {
    /// What a student asks.
    pub q: String,
    /// Words of the corpus that answer it (compared ignoring case,
    /// punctuation and line breaks).
    pub answer: String,
}

/// Why an evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum GoldenError {
    /// The golden file could not be read.
    #[error("golden file {path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// An answer is found nowhere in the corpus: the set and the corpus do
    /// not match.
    #[error("the answer to {question:?} is not in the corpus")]
    AnswerMissing {
        /// The question.
        question: String,
    },
    /// Embedding failed.
    #[error(transparent)]
    Embed(#[from] EmbedError),
    /// BM25 failed.
    #[error(transparent)]
    Bm25(#[from] Bm25Error),
}

/// The three rankers' scores side by side.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Comparison {
    /// BM25 alone.
    pub bm25: Scores,
    /// Cosine over MiniLM embeddings alone.
    pub dense: Scores,
    /// Reciprocal rank fusion of both.
    pub hybrid: Scores,
    /// Passages searched.
    pub passages: usize,
}

impl Golden {
    /// Reads a golden file (JSON).
    pub fn load(path: &Path) -> Result<Self, GoldenError> {
        let fail = |reason: String| GoldenError::File {
            path: path.display().to_string(),
            reason,
        };
        let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
        serde_json::from_slice(&bytes).map_err(|e| fail(e.to_string()))
    }
}

/// Lowercase words: what spans and passages are compared as.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn contains(haystack: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Which passages answer a span: those holding it whole; when a chunk cut
/// falls inside it, those holding at least half of it in one piece.
pub fn relevant(passages: &[Vec<String>], answer: &str) -> Vec<bool> {
    let span = words(answer);
    let whole: Vec<bool> = passages.iter().map(|p| contains(p, &span)).collect();
    if whole.iter().any(|&r| r) {
        return whole;
    }
    let half = span.len().div_ceil(2).max(1);
    passages
        .iter()
        .map(|p| span.windows(half).any(|piece| contains(p, piece)))
        .collect()
}

/// Evaluates the three rankers on `passages` (embedded once here) for
/// every question of `golden`.
pub fn evaluate(
    golden: &Golden,
    passages: &[String],
    embedder: &dyn Embedder,
) -> Result<Comparison, GoldenError> {
    let passage_words: Vec<Vec<String>> = passages.iter().map(|p| words(p)).collect();
    let texts: Vec<&str> = passages.iter().map(String::as_str).collect();
    let vectors = embedder.embed(&texts)?;
    let bm25 = Bm25::build(texts.iter().copied())?;
    let questions: Vec<&str> = golden.questions.iter().map(|q| q.q.as_str()).collect();
    let query_vectors = embedder.embed(&questions)?;
    let mut relevant_counts = Vec::new();
    let (mut by_bm25, mut by_dense, mut by_hybrid) = (Vec::new(), Vec::new(), Vec::new());
    for (question, query) in golden.questions.iter().zip(&query_vectors) {
        let relevant = relevant(&passage_words, &question.answer);
        let count = relevant.iter().filter(|&&r| r).count();
        if count == 0 {
            return Err(GoldenError::AnswerMissing {
                question: question.q.clone(),
            });
        }
        relevant_counts.push(count);
        let lexical = bm25.search(&question.q, FUSION_DEPTH)?;
        let dense = dense_top_k(query, &vectors, FUSION_DEPTH);
        let hybrid = reciprocal_rank_fusion(&[&lexical, &dense], DEPTH);
        let judge = |ranked: &[crate::Ranked]| -> Vec<bool> {
            ranked
                .iter()
                .take(DEPTH)
                .map(|h| relevant[h.index])
                .collect()
        };
        by_bm25.push(judge(&lexical));
        by_dense.push(judge(&dense));
        by_hybrid.push(judge(&hybrid));
    }
    Ok(Comparison {
        bm25: score(&by_bm25, &relevant_counts),
        dense: score(&by_dense, &relevant_counts),
        hybrid: score(&by_hybrid, &relevant_counts),
        passages: passages.len(),
    })
}

/// The comparison as a table for people.
pub fn table(c: &Comparison) -> String {
    let mut out = format!(
        "{} questions over {} passages\n{:<8} {:>6} {:>6} {:>6} {:>6} {:>8}\n",
        c.bm25.questions, c.passages, "ranker", "R@1", "R@5", "R@10", "MRR", "nDCG@10"
    );
    for (name, s) in [("bm25", c.bm25), ("dense", c.dense), ("hybrid", c.hybrid)] {
        out.push_str(&format!(
            "{:<8} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>8.3}\n",
            name, s.recall_at_1, s.recall_at_5, s.recall_at_10, s.mrr, s.ndcg_at_10
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_span_is_found_ignoring_case_punctuation_and_line_breaks() {
        let passages = vec![
            words("The \"for\" statement\nis used to ITERATE."),
            words("Something else."),
        ];
        assert_eq!(
            relevant(&passages, "statement is used to iterate"),
            [true, false]
        );
    }

    #[test]
    fn a_span_cut_by_a_chunk_boundary_counts_the_chunks_holding_half_of_it() {
        let passages = vec![
            words("alpha beta gamma"),
            words("delta epsilon"),
            words("zeta"),
        ];
        assert_eq!(
            relevant(&passages, "beta gamma delta epsilon"),
            [true, true, false]
        );
    }
}
