//! Retrieval metrics over a golden set: for each question, the ranked
//! passages and which of them are relevant (binary relevance).

use serde::Serialize;

/// Mean scores of one ranker over a set of questions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Scores {
    /// Share of questions with a relevant passage first.
    pub recall_at_1: f64,
    /// Share with a relevant passage in the top 5.
    pub recall_at_5: f64,
    /// Share with a relevant passage in the top 10.
    pub recall_at_10: f64,
    /// Mean reciprocal rank of the first relevant passage (0 when none is
    /// ranked).
    pub mrr: f64,
    /// Mean nDCG@10 with binary gains: DCG over the top 10 divided by the
    /// DCG of an ideal ranking of the question's relevant passages.
    pub ndcg_at_10: f64,
    /// Questions scored.
    pub questions: usize,
}

/// Scores rankings: `ranked[i]` lists, best first, whether each returned
/// passage is relevant to question `i`; `relevant_counts[i]` is how many
/// relevant passages question `i` has in the corpus.
pub fn score(ranked: &[Vec<bool>], relevant_counts: &[usize]) -> Scores {
    let n = ranked.len().min(relevant_counts.len());
    if n == 0 {
        return Scores::default();
    }
    let mut s = Scores {
        questions: n,
        ..Scores::default()
    };
    for (hits, &relevant) in ranked.iter().zip(relevant_counts) {
        let first = hits.iter().position(|&h| h);
        let within = |k: usize| f64::from(u8::from(first.is_some_and(|p| p < k)));
        s.recall_at_1 += within(1);
        s.recall_at_5 += within(5);
        s.recall_at_10 += within(10);
        s.mrr += first.map_or(0.0, |p| 1.0 / (p as f64 + 1.0));
        let gain = |p: usize| 1.0 / (p as f64 + 2.0).log2();
        let dcg: f64 = hits
            .iter()
            .take(10)
            .enumerate()
            .filter(|(_, h)| **h)
            .map(|(p, _)| gain(p))
            .sum();
        let ideal: f64 = (0..relevant.min(10)).map(gain).sum();
        if ideal > 0.0 {
            s.ndcg_at_10 += dcg / ideal;
        }
    }
    let n = n as f64;
    s.recall_at_1 /= n;
    s.recall_at_5 /= n;
    s.recall_at_10 /= n;
    s.mrr /= n;
    s.ndcg_at_10 /= n;
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relevant_passage_second_scores_half_a_reciprocal_rank() {
        let s = score(&[vec![false, true, false]], &[1]);
        assert_eq!(s.recall_at_1, 0.0);
        assert_eq!(s.recall_at_5, 1.0);
        assert!((s.mrr - 0.5).abs() < 1e-9);
        assert!((s.ndcg_at_10 - 1.0 / 3f64.log2()).abs() < 1e-9);
    }

    #[test]
    fn a_question_with_nothing_relevant_retrieved_scores_zero() {
        let s = score(&[vec![true], vec![false; 10]], &[1, 1]);
        assert_eq!(s.recall_at_10, 0.5);
        assert_eq!(s.mrr, 0.5);
    }
}
