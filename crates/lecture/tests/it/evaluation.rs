//! The shipped golden set over the corpus `scripts/setup` writes (sections
//! of the Python language reference from Debian's python3 stdlib), chunked
//! as uploads are and retrieved with the real MiniLM and BM25.

use std::path::{Path, PathBuf};

use filmroom_lecture::{ChunkConfig, CountTokens, corpus_chunks};
use filmroom_retrieval::golden::{self, Golden};
use filmroom_retrieval::{MiniLm, WordPieces, find_minilm};

struct Pieces(WordPieces);
impl CountTokens for Pieces {
    fn count(&self, text: &str) -> usize {
        self.0.count(text).unwrap_or(0)
    }
}

fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn the_golden_set_is_retrieved_above_its_floor_and_the_hybrid_is_reported_beside_both() {
    let corpus = checkout().join(".models/lecture-corpus/python-reference");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap_or_else(|e| panic!("{corpus:?}: {e}: run scripts/setup, which writes the corpus"))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let documents: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|f| (f.display().to_string(), std::fs::read(f).unwrap()))
        .collect();
    let dir = find_minilm().expect("all-MiniLM-L6-v2: run scripts/setup");
    let counter = Pieces(WordPieces::load(&dir).unwrap());
    let chunks = corpus_chunks(&documents, &ChunkConfig::default(), &counter).unwrap();
    // Every chunk fits the model's 256-token window with the default size.
    assert!(
        chunks.iter().all(|c| c.tokens <= 160),
        "a chunk over budget"
    );
    let passages: Vec<String> = chunks.into_iter().map(|c| c.text).collect();

    let golden =
        Golden::load(&checkout().join("crates/retrieval/eval/python-reference.golden.json"))
            .unwrap();
    assert!(golden.questions.len() >= 50);
    let model = MiniLm::load(&dir).unwrap();
    let result = golden::evaluate(&golden, &passages, &model).unwrap();
    println!("{}", golden::table(&result));
    // Floors well under the measured numbers (docs/lecture.md), so a
    // regression in chunking, BM25, embeddings or fusion fails here.
    assert!(result.bm25.recall_at_10 >= 0.7, "{result:?}");
    assert!(result.dense.recall_at_10 >= 0.7, "{result:?}");
    assert!(result.hybrid.recall_at_10 >= 0.8, "{result:?}");
    assert!(result.hybrid.mrr >= 0.5, "{result:?}");
}
