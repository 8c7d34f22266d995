use filmroom_lecture::{
    ApproxTokens, ChunkConfig, CountTokens, Place, chunk, read_source, source::captions,
};

/// Counts whitespace words: exact numbers to check budgets against.
struct Words;
impl CountTokens for Words {
    fn count(&self, text: &str) -> usize {
        text.split_whitespace().count()
    }
}

/// A caption file of `n` cues of 4 s, cue `i` saying "Sentence number i
/// is here." (five words).
fn numbered_cues(n: usize) -> String {
    let mut vtt = String::from("WEBVTT\n\n");
    for i in 0..n {
        let (s, e) = (i * 4, i * 4 + 4);
        vtt.push_str(&format!(
            "{:02}:{:02}.000 --> {:02}:{:02}.000\nSentence number {i} is here.\n\n",
            s / 60,
            s % 60,
            e / 60,
            e % 60
        ));
    }
    vtt
}

fn times(place: Place) -> (f64, f64) {
    match place {
        Place::Time { start_s, end_s } => (start_s, end_s),
        Place::Page(p) => panic!("a page {p}, not a time"),
    }
}

#[test]
fn chunk_times_are_the_times_of_the_cues_they_hold() {
    let sections = captions(numbered_cues(10).as_bytes()).unwrap();
    let config = ChunkConfig {
        target_tokens: 10,
        overlap_tokens: 0,
        max_span_s: 90.0,
    };
    let chunks = chunk(&sections, &config, &Words);
    // Two five-word sentences per chunk: cues 0-1 (0-8 s), 2-3 (8-16 s)...
    assert_eq!(chunks.len(), 5);
    for (i, c) in chunks.iter().enumerate() {
        let (start, end) = times(c.place);
        assert!((start - (i * 8) as f64).abs() < 1e-9, "{c:?}");
        assert!((end - (i * 8 + 8) as f64).abs() < 1e-9, "{c:?}");
        assert_eq!(
            c.text,
            format!(
                "Sentence number {} is here. Sentence number {} is here.",
                2 * i,
                2 * i + 1
            )
        );
        assert_eq!(c.tokens, 10);
    }
}

#[test]
fn a_sentence_split_across_cues_starts_and_ends_at_its_words() {
    let vtt = "WEBVTT\n\n00:10.000 --> 00:20.000\nThe end of one. The start\n\n\
               00:20.000 --> 00:30.000\nof another sentence.\n";
    let sections = captions(vtt.as_bytes()).unwrap();
    let config = ChunkConfig {
        target_tokens: 5,
        overlap_tokens: 0,
        max_span_s: 90.0,
    };
    let chunks = chunk(&sections, &config, &Words);
    assert_eq!(chunks.len(), 2, "{chunks:?}");
    assert_eq!(chunks[1].text, "The start of another sentence.");
    let (start, end) = times(chunks[1].place);
    // "The" begins at character 16 of the 25-character first cue.
    assert!(
        (start - (10.0 + 10.0 * 16.0 / 25.0)).abs() < 1e-9,
        "{start}"
    );
    assert!((end - 30.0).abs() < 1e-9);
    assert!((times(chunks[0].place).0 - 10.0).abs() < 1e-9);
}

#[test]
fn no_chunk_spans_more_than_the_media_limit() {
    // 100 cues of 4 s with a generous token budget: only time cuts them.
    let sections = captions(numbered_cues(100).as_bytes()).unwrap();
    let config = ChunkConfig {
        target_tokens: 10_000,
        overlap_tokens: 20,
        max_span_s: 90.0,
    };
    let chunks = chunk(&sections, &config, &Words);
    assert!(chunks.len() >= 5, "{}", chunks.len());
    for c in &chunks {
        let (start, end) = times(c.place);
        assert!(end - start <= 90.0 + 1e-9, "{c:?}");
    }
    // Together they cover the whole recording.
    assert_eq!(times(chunks[0].place).0, 0.0);
    assert_eq!(times(chunks.last().unwrap().place).1, 400.0);
}

#[test]
fn consecutive_chunks_share_whole_sentences_up_to_the_overlap() {
    let sections = captions(numbered_cues(6).as_bytes()).unwrap();
    let config = ChunkConfig {
        target_tokens: 15,
        overlap_tokens: 5,
        max_span_s: 90.0,
    };
    let chunks = chunk(&sections, &config, &Words);
    let texts: Vec<&str> = chunks.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "Sentence number 0 is here. Sentence number 1 is here. Sentence number 2 is here.",
            "Sentence number 2 is here. Sentence number 3 is here. Sentence number 4 is here.",
            "Sentence number 4 is here. Sentence number 5 is here.",
        ]
    );
    assert!(chunks.iter().all(|c| c.tokens <= 15));
}

#[test]
fn a_sentence_longer_than_the_budget_is_cut_between_words() {
    let words: Vec<String> = (0..25).map(|i| format!("w{i}")).collect();
    let text = words.join(" ");
    let (_, sections) = read_source(text.as_bytes()).unwrap();
    let config = ChunkConfig {
        target_tokens: 10,
        overlap_tokens: 0,
        max_span_s: 90.0,
    };
    let chunks = chunk(&sections, &config, &Words);
    let sizes: Vec<usize> = chunks.iter().map(|c| c.tokens).collect();
    assert_eq!(sizes, [10, 10, 5]);
    assert!(chunks.iter().all(|c| c.place == Place::Page(1)));
}

#[test]
fn markdown_headings_start_chunks_and_lead_their_text() {
    let md = "# Sorting\n\nQuicksort picks a pivot. It partitions around it.\n\n\
              ## Merge sort\n\nMerge sort splits the list in halves.\n\n\
              * It merges sorted halves.\n";
    let (format, sections) = read_source(md.as_bytes()).unwrap();
    assert_eq!(format.name(), "markdown");
    let chunks = chunk(&sections, &ChunkConfig::default(), &ApproxTokens);
    let texts: Vec<&str> = chunks.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "Sorting — Quicksort picks a pivot. It partitions around it.",
            "Merge sort — Merge sort splits the list in halves. It merges sorted halves.",
        ]
    );
    assert_eq!(chunks[1].heading.as_deref(), Some("Merge sort"));
}

#[test]
fn caption_chapters_start_chunks_at_their_first_cue() {
    let vtt = "WEBVTT\n\nNOTE Chapter: Introduction\n\n00:00.000 --> 00:05.000\nWelcome to the course.\n\n\
               00:05.000 --> 00:09.000\nToday we cover graphs.\n\n\
               NOTE Chapter: Graphs\n\n00:09.000 --> 00:15.000\nA graph has vertices and edges.\n";
    let sections = captions(vtt.as_bytes()).unwrap();
    let chunks = chunk(&sections, &ChunkConfig::default(), &ApproxTokens);
    assert_eq!(chunks.len(), 2, "{chunks:?}");
    assert_eq!(chunks[0].heading.as_deref(), Some("Introduction"));
    assert_eq!(times(chunks[0].place), (0.0, 9.0));
    assert_eq!(chunks[1].text, "Graphs — A graph has vertices and edges.");
    assert_eq!(times(chunks[1].place), (9.0, 15.0));
}

#[test]
fn pages_of_a_text_are_never_mixed_in_one_chunk() {
    let text = "First page words.\n\nMore of page one.\u{c}Second page.";
    let (format, sections) = read_source(text.as_bytes()).unwrap();
    assert_eq!(format.name(), "text");
    let chunks = chunk(&sections, &ChunkConfig::default(), &ApproxTokens);
    let pages: Vec<Place> = chunks.iter().map(|c| c.place).collect();
    assert_eq!(pages, [Place::Page(1), Place::Page(2)]);
    assert_eq!(chunks[0].text, "First page words. More of page one.");
}
