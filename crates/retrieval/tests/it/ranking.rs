use filmroom_retrieval::{Bm25, Embedder, Ranked, dense_top_k, reciprocal_rank_fusion};

use crate::minilm;

const PASSAGES: [&str; 5] = [
    "Recursion is when a function calls itself; every recursive function needs a base case.",
    "A hash table maps keys to buckets with a hash function, giving constant time lookups.",
    "Binary search halves the sorted range at each step, so it takes logarithmic time.",
    "Garbage collectors reclaim memory that no live reference can reach.",
    "TCP retransmits lost segments and orders the bytes it delivers.",
];

#[test]
fn bm25_finds_the_passage_sharing_the_question_s_stemmed_words() {
    let index = Bm25::build(PASSAGES).unwrap();
    let hits = index.search("which functions call themselves?", 3).unwrap();
    assert_eq!(hits[0].index, 0, "{hits:?}");
    // Stemming: "halving" finds "halves".
    assert_eq!(
        index.search("halving a sorted range", 1).unwrap()[0].index,
        2
    );
    // Query syntax is read as words, never an error.
    assert!(index.search("title:\"unclosed (", 3).is_ok());
    assert!(index.search("zebra", 3).unwrap().is_empty());
}

#[test]
fn dense_search_finds_a_paraphrase_without_shared_words() {
    let vectors = minilm().embed(&PASSAGES).unwrap();
    let query = &minilm()
        .embed(&["How is unused memory freed automatically?"])
        .unwrap()[0];
    let hits = dense_top_k(query, &vectors, 2);
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].index, 3, "{hits:?}");
    assert!(hits[0].score >= hits[1].score);
}

#[test]
fn fusion_ranks_first_what_both_rankers_place_high() {
    let r = |index| Ranked { index, score: 0.0 };
    let bm25 = [r(1), r(2), r(3)];
    let dense = [r(4), r(2), r(1)];
    let fused = reciprocal_rank_fusion(&[&bm25, &dense], 10);
    let order: Vec<usize> = fused.iter().map(|h| h.index).collect();
    assert_eq!(order, [1, 2, 4, 3]);
    assert_eq!(reciprocal_rank_fusion(&[&bm25, &dense], 2).len(), 2);
}
