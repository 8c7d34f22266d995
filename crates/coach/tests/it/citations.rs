//! Citations in answers: `[game:<id>@<m:ss>]`.

use filmroom_coach::{CitationRef, extract_citations, format_citation};

#[test]
fn citations_are_extracted_in_order_once_each_with_their_match_time() {
    let text = "You scored at [game:3f2a-9c_01@4:07] and again [game:b7@12:30]; \
                see [game:3f2a-9c_01@4:07] once more.";
    assert_eq!(
        extract_citations(text),
        vec![
            CitationRef {
                game_id: "3f2a-9c_01".into(),
                at_seconds: 247.0,
                label: "[game:3f2a-9c_01@4:07]".into(),
            },
            CitationRef {
                game_id: "b7".into(),
                at_seconds: 750.0,
                label: "[game:b7@12:30]".into(),
            },
        ]
    );
}

#[test]
fn malformed_citations_are_ignored() {
    for text in [
        "[game:abc]",
        "[game:abc@4]",
        "[game:abc@4:7]",
        "[game:abc@4:60]",
        "[game:@1:00]",
        "[game:a b@1:00]",
        "[game:abc@1:00",
        "[game:abc@x:00]",
    ] {
        assert!(extract_citations(text).is_empty(), "{text}");
    }
    // A broken citation does not hide the good one after it.
    let found = extract_citations("[game:x@1] then [game:ok@0:05]");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].game_id, "ok");
}

#[test]
fn a_formatted_citation_reads_back_the_same() {
    let text = format_citation("g-1", 125.9);
    assert_eq!(text, "[rec:g-1@2:05]");
    let back = &extract_citations(&text)[0];
    assert_eq!((back.game_id.as_str(), back.at_seconds), ("g-1", 125.0));
}
