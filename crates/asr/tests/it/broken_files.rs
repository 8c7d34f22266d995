use std::io::Read;
use std::path::Path;

use filmroom_asr::{AsrError, Whisper};

use crate::tiny_en_dir;

fn load(dir: &Path) -> AsrError {
    match Whisper::load(dir) {
        Ok(_) => panic!("{} loaded", dir.display()),
        Err(e) => e,
    }
}

/// A model directory beside the real one, with `model.bin` replaced by `bytes`.
fn dir_with_model_bytes(bytes: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in ["config.json", "tokenizer.json"] {
        std::fs::copy(tiny_en_dir().join(file), dir.path().join(file)).unwrap();
    }
    std::fs::write(dir.path().join("model.bin"), bytes).unwrap();
    dir
}

fn head_of_real_model(len: u64) -> Vec<u8> {
    let mut head = Vec::new();
    std::fs::File::open(tiny_en_dir().join("model.bin"))
        .unwrap()
        .take(len)
        .read_to_end(&mut head)
        .unwrap();
    head
}

#[test]
fn a_model_file_cut_off_in_its_weights_is_a_truncated_error_naming_the_variable() {
    let dir = dir_with_model_bytes(&head_of_real_model(20_000_000));
    let err = load(dir.path());
    match &err {
        AsrError::Truncated {
            section,
            available,
            needed,
            ..
        } => {
            assert!(section.starts_with("variable "), "{section}");
            assert!(available < needed);
        }
        other => panic!("expected Truncated, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains("truncated") && message.contains("model.bin"),
        "{message}"
    );
}

#[test]
fn a_model_file_cut_off_in_its_header_is_a_truncated_error() {
    let dir = dir_with_model_bytes(&head_of_real_model(10));
    assert!(matches!(load(dir.path()), AsrError::Truncated { .. }));
}

#[test]
fn a_foreign_file_named_model_bin_is_a_format_error() {
    let dir = dir_with_model_bytes(b"GGUF\x03\x00\x00\x00 this is some other model format");
    let err = load(dir.path());
    assert!(matches!(err, AsrError::Format { offset: 0, .. }), "{err:?}");
    assert!(
        err.to_string().contains("not a CTranslate2 Whisper model"),
        "{err}"
    );
}

#[test]
fn a_model_file_with_bytes_after_its_aliases_is_rejected() {
    let mut bytes = std::fs::read(tiny_en_dir().join("model.bin")).unwrap();
    bytes.extend_from_slice(b"junk");
    let dir = dir_with_model_bytes(&bytes);
    assert!(matches!(load(dir.path()), AsrError::Format { .. }));
}

#[test]
fn a_missing_model_directory_is_a_not_found_error_that_points_at_the_setup() {
    let err = load(Path::new("/nonexistent/whisper"));
    assert!(matches!(err, AsrError::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("scripts/setup"));
}
