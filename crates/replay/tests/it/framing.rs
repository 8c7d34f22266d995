//! The framing read from a file's first bytes agrees with the whole file for
//! every corpus replay: its declared length is its real length, and its
//! header parsed alone says what the full header parse says.

use filmroom_replay::{Framing, framing, inspect, inspect_header};

use crate::support::replay_files;

#[test]
fn every_corpus_replay_declares_its_own_length_and_its_header_reads_alone() {
    let files = replay_files("corpus");
    assert!(!files.is_empty());
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.display();
        let Ok(Framing::Complete {
            header_end,
            total_len,
        }) = framing(&bytes)
        else {
            panic!("{name}: no complete framing");
        };
        assert_eq!(total_len, bytes.len(), "{name}: declared length");
        assert_eq!(
            framing(&bytes[..header_end]),
            framing(&bytes),
            "{name}: the header's bytes are enough to know the length"
        );
        let alone = inspect_header(&bytes[..header_end]).unwrap();
        let whole = inspect(&bytes).unwrap();
        assert_eq!(alone.info, whole.info, "{name}: match facts");
        assert_eq!(alone.scoreboard, whole.scoreboard, "{name}: scoreboard");
        assert_eq!(alone.goals, whole.goals, "{name}: goals");
        assert!(
            inspect_header(&bytes[..header_end / 2]).is_err(),
            "{name}: a prefix ending inside the header is refused"
        );
    }
}
