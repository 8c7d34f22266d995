use filmroom_domain::{AnalysisError, AnalysisInput, Domain, Recognition, Span};
use filmroom_lecture::Lecture;
use filmroom_talk::TimedWord;

fn analyze(bytes: &[u8]) -> Result<filmroom_domain::Analysis, AnalysisError> {
    Lecture::default().analyze(AnalysisInput::Bytes(bytes))
}

fn invalid_reason(bytes: &[u8]) -> String {
    match analyze(bytes) {
        Err(AnalysisError::Invalid { reason }) => reason,
        other => panic!("expected an invalid file, got {other:?}"),
    }
}

#[test]
fn a_subrip_file_becomes_timed_passages_that_pass_validation() {
    let srt = "1\n00:00:01,000 --> 00:00:04,500\nEntropy measures disorder.\n\n\
               2\n00:00:04,500 --> 00:00:09,000\nIt never decreases in an isolated system.\n";
    let analysis = analyze(srt.as_bytes()).unwrap();
    analysis.validate().unwrap();
    assert_eq!(analysis.facts.facets["format"], "subrip");
    assert_eq!(analysis.passages.len(), 1);
    assert_eq!(
        analysis.passages[0].span,
        Span::Time {
            start_s: 1.0,
            end_s: 9.0
        }
    );
    assert_eq!(analysis.facts.duration_s, Some(9.0));
    let page = Lecture::default().page(&analysis.report).unwrap();
    assert!(!page.tabs.is_empty());
}

#[test]
fn an_empty_caption_file_is_a_clear_error() {
    let reason = invalid_reason(b"WEBVTT\n\n");
    assert!(reason.contains("no cues"), "{reason}");
    // A cue with only blank text is dropped, so this file has no cues either.
    let reason = invalid_reason(b"WEBVTT\n\n00:01.000 --> 00:02.000\n   \n");
    assert!(reason.contains("no cues"), "{reason}");
}

#[test]
fn a_malformed_vtt_names_its_line() {
    let reason = invalid_reason(b"WEBVTT\n\n00:01.000 --> soon\nHello.\n");
    assert!(reason.contains("malformed"), "{reason}");
    assert!(reason.contains("line 3"), "{reason}");
    let reason =
        invalid_reason(b"WEBVTT\n\n00:05.000 --> 00:06.000\nB.\n\n00:01.000 --> 00:02.000\nA.\n");
    assert!(reason.contains("time order"), "{reason}");
}

#[test]
fn binary_bytes_are_not_a_document() {
    let reason = invalid_reason(&[0xff, 0xfe, 0x00, 0x41]);
    assert!(reason.contains("UTF-8"), "{reason}");
    assert!(Lecture::default().check_head(&[0x00, 0x01, 0x02]).is_err());
    assert!(
        Lecture::default()
            .check_head("caf\u{e9}".as_bytes())
            .is_ok()
    );
    // A prefix cut inside a character is still text.
    assert!(
        Lecture::default()
            .check_head(&"caf\u{e9}".as_bytes()[..4])
            .is_ok()
    );
}

#[test]
fn caption_files_and_documents_are_recognized_and_media_are_not() {
    let lecture = Lecture::default();
    assert_eq!(
        lecture.recognize("x.bin", b"WEBVTT\n"),
        Recognition::ByContent
    );
    for name in ["a.vtt", "b.SRT", "c.md", "d.txt", "e.markdown"] {
        assert_eq!(
            lecture.recognize(name, b"hello"),
            Recognition::ByName,
            "{name}"
        );
    }
    assert_eq!(
        lecture.recognize("talk.mp4", b"\0\0\0 ftypisom"),
        Recognition::No
    );
}

#[test]
fn recognized_words_become_caption_like_passages() {
    let word = |text: &str, start_s: f64| TimedWord {
        text: text.into(),
        start_s,
        end_s: start_s + 0.4,
    };
    let words = [
        word("Vectors", 0.0),
        word("have", 0.5),
        word("direction.", 1.0),
        // A long pause ends a unit even without punctuation.
        word("and", 5.0),
        word("magnitude", 5.5),
    ];
    let sections = filmroom_lecture::source::timed_words(&words).unwrap();
    let units: Vec<(&str, filmroom_lecture::Place)> = sections[0]
        .units
        .iter()
        .map(|u| (u.text.as_str(), u.place))
        .collect();
    assert_eq!(
        units,
        [
            (
                "Vectors have direction.",
                filmroom_lecture::Place::Time {
                    start_s: 0.0,
                    end_s: 1.4
                }
            ),
            (
                "and magnitude",
                filmroom_lecture::Place::Time {
                    start_s: 5.0,
                    end_s: 5.9
                }
            ),
        ]
    );
    assert!(filmroom_lecture::source::timed_words(&[]).is_err());
}
