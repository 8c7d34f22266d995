//! BM25 over passages with tantivy, in RAM: the index is a cache of stored
//! passages, rebuilt from them, so nothing is written to disk.

use tantivy::collector::TopDocs;
use tantivy::query::QueryParser;
use tantivy::schema::{
    Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer,
};
use tantivy::{Index, IndexReader, TantivyDocument, doc};

use crate::Ranked;

/// The analyzer's name: English words, folded to ASCII, stop words dropped,
/// stemmed (so "explained" finds "explains").
const ANALYZER: &str = "filmroom_en";

/// Memory the single indexing thread may use before it flushes a segment.
const WRITER_BUDGET: usize = 64 * 1024 * 1024;

/// Why an index could not be built or searched.
#[derive(Debug, thiserror::Error)]
#[error("search index: {0}")]
pub struct Bm25Error(String);

fn fail(e: impl std::fmt::Display) -> Bm25Error {
    Bm25Error(e.to_string())
}

/// A BM25 index over a list of passages.
pub struct Bm25 {
    index: Index,
    reader: IndexReader,
    text: Field,
    position: Field,
}

impl std::fmt::Debug for Bm25 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bm25").finish_non_exhaustive()
    }
}

impl Bm25 {
    /// Indexes `passages`; hits name their index in this list.
    pub fn build<'a>(passages: impl IntoIterator<Item = &'a str>) -> Result<Self, Bm25Error> {
        let mut schema = Schema::builder();
        let text = schema.add_text_field(
            "text",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(ANALYZER)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            ),
        );
        let position = schema.add_u64_field("position", STORED | INDEXED);
        let index = Index::create_in_ram(schema.build());
        let mut analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .dynamic();
        if let Some(stop) = StopWordFilter::new(Language::English) {
            analyzer = analyzer.filter_dynamic(stop);
        }
        let analyzer = analyzer
            .filter_dynamic(Stemmer::new(Language::English))
            .build();
        index.tokenizers().register(ANALYZER, analyzer);
        let mut writer = index
            .writer_with_num_threads::<TantivyDocument>(1, WRITER_BUDGET)
            .map_err(fail)?;
        for (i, passage) in passages.into_iter().enumerate() {
            writer
                .add_document(doc!(text => passage, position => i as u64))
                .map_err(fail)?;
        }
        writer.commit().map_err(fail)?;
        let reader = index.reader().map_err(fail)?;
        Ok(Self {
            index,
            reader,
            text,
            position,
        })
    }

    /// The `k` best passages for `query` by BM25 (any text is a query: its
    /// syntax characters are read as words), best first.
    pub fn search(&self, query: &str, k: usize) -> Result<Vec<Ranked>, Bm25Error> {
        if k == 0 {
            return Ok(Vec::new());
        }
        let parser = QueryParser::for_index(&self.index, vec![self.text]);
        // Query syntax (quotes, colons, +/-) would make a question an error
        // or a field lookup: keep the words only.
        let words: String = query
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { ' ' })
            .collect();
        let (parsed, _) = parser.parse_query_lenient(&words);
        let searcher = self.reader.searcher();
        let top = searcher
            .search(&parsed, &TopDocs::with_limit(k).order_by_score())
            .map_err(fail)?;
        let mut out = Vec::with_capacity(top.len());
        for (score, address) in top {
            let stored: TantivyDocument = searcher.doc(address).map_err(fail)?;
            let Some(index) = stored.get_first(self.position).and_then(|v| v.as_u64()) else {
                return Err(Bm25Error("a document without its position".into()));
            };
            out.push(Ranked {
                index: usize::try_from(index).map_err(fail)?,
                score,
            });
        }
        Ok(out)
    }
}
