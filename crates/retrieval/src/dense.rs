//! Dense retrieval: exact cosine over stored unit vectors. A brute-force
//! scan is exact and, at 384 dimensions, fast enough for a user's library
//! (see the README's benchmark); an approximate index can replace it later.

use crate::Ranked;

/// The cosine similarity of two vectors (0 when either is zero or their
/// lengths differ).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0f32, 0f32, 0f32);
    for (x, y) in a.iter().zip(b) {
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    dot / (na.sqrt() * nb.sqrt())
}

/// The `k` vectors closest to `query` by cosine, best first (ties keep the
/// earlier vector first).
pub fn dense_top_k<V: AsRef<[f32]>>(query: &[f32], vectors: &[V], k: usize) -> Vec<Ranked> {
    let mut scored: Vec<Ranked> = vectors
        .iter()
        .enumerate()
        .map(|(index, v)| Ranked {
            index,
            score: cosine(query, v.as_ref()),
        })
        .collect();
    let by_score = |a: &Ranked, b: &Ranked| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index));
    if k < scored.len() {
        scored.select_nth_unstable_by(k, by_score);
        scored.truncate(k);
    }
    scored.sort_by(by_score);
    scored
}
