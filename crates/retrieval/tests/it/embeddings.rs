use filmroom_retrieval::{Embedder, MiniLm, cosine};

use crate::minilm;

#[test]
fn paraphrases_are_closer_than_unrelated_sentences() {
    let v = minilm()
        .embed(&[
            "The lecturer explains how photosynthesis turns sunlight into sugar.",
            "Plants use light energy to make glucose, the professor says.",
            "The stock market fell sharply on Tuesday afternoon.",
            "Our team lost the football match in extra time.",
        ])
        .unwrap();
    let paraphrase = cosine(&v[0], &v[1]);
    assert!(paraphrase > cosine(&v[0], &v[2]) + 0.2, "{paraphrase}");
    assert!(paraphrase > cosine(&v[0], &v[3]) + 0.2);
    assert!(paraphrase > cosine(&v[1], &v[2]) + 0.2);
}

#[test]
fn vectors_have_384_unit_length_dimensions() {
    let v = minilm().embed(&["a short sentence", ""]).unwrap();
    assert_eq!(minilm().dimensions(), 384);
    for vector in &v {
        assert_eq!(vector.len(), 384);
        let norm: f32 = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{norm}");
    }
}

#[test]
fn a_batch_embeds_each_text_as_it_would_alone() {
    // Padding the short text to the long one's length must not change it.
    let texts = [
        "Short.",
        "A much longer sentence about recursion, base cases and the call stack, which pads the short one.",
        "Sorting algorithms compare and swap elements.",
    ];
    let batch = minilm().embed(&texts).unwrap();
    for (text, batched) in texts.iter().zip(&batch) {
        let alone = &minilm().embed(&[text]).unwrap()[0];
        let diff = alone
            .iter()
            .zip(batched)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(diff < 1e-4, "{text}: {diff}");
    }
}

#[test]
fn tokens_are_counted_without_the_special_ones() {
    assert_eq!(minilm().count_tokens("hello world").unwrap(), 2);
    assert_eq!(minilm().count_tokens("").unwrap(), 0);
    // WordPiece splits unknown words into pieces.
    assert!(minilm().count_tokens("photosynthesising").unwrap() > 1);
}

#[test]
fn a_missing_model_directory_is_a_clear_error() {
    let err = MiniLm::load(std::path::Path::new("/nonexistent/minilm")).unwrap_err();
    assert!(err.to_string().contains("config.json"), "{err}");
}
