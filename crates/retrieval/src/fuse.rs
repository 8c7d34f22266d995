//! Reciprocal rank fusion (Cormack, Clarke and Büttcher, 2009): each
//! ranking adds 1 / (RRF_K + rank) to a passage's score, so a passage both
//! rankers place high beats one only a single ranker likes, and neither
//! ranker's score scale matters.

use std::collections::HashMap;

use crate::Ranked;

/// The constant of the original paper: damps the weight of the very first
/// ranks.
pub const RRF_K: f32 = 60.0;

/// Fuses rankings (each best first) into one of at most `k` passages.
pub fn reciprocal_rank_fusion(rankings: &[&[Ranked]], k: usize) -> Vec<Ranked> {
    let mut scores: HashMap<usize, f32> = HashMap::new();
    for ranking in rankings {
        for (rank, hit) in ranking.iter().enumerate() {
            *scores.entry(hit.index).or_default() += 1.0 / (RRF_K + rank as f32 + 1.0);
        }
    }
    let mut fused: Vec<Ranked> = scores
        .into_iter()
        .map(|(index, score)| Ranked { index, score })
        .collect();
    fused.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
    fused.truncate(k);
    fused
}
