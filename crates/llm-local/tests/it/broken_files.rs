use std::io::{Read, Write};

use candle_core::quantized::gguf_file;
use filmroom_llm_local::{LocalModel, LocalModelConfig, LocalModelError};

use crate::smollm2_path;

fn load(path: &std::path::Path) -> LocalModelError {
    match LocalModel::load(LocalModelConfig::new(path)) {
        Ok(_) => panic!("{} loaded", path.display()),
        Err(e) => e,
    }
}

/// The first `len` bytes of the real model, as a download cut short would leave.
fn truncated_copy(len: u64) -> tempfile::NamedTempFile {
    let mut head = Vec::new();
    std::fs::File::open(smollm2_path())
        .unwrap()
        .take(len)
        .read_to_end(&mut head)
        .unwrap();
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(&head).unwrap();
    file
}

#[test]
fn a_missing_model_file_is_a_not_found_error_that_points_at_the_setup() {
    let err = load(std::path::Path::new("/nonexistent/model.gguf"));
    assert!(matches!(err, LocalModelError::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("scripts/setup"));
}

#[test]
fn a_model_file_cut_off_in_its_weights_is_a_truncated_error_naming_a_tensor() {
    let file = truncated_copy(20_000_000);
    let err = load(file.path());
    match &err {
        LocalModelError::Truncated {
            tensor, file_len, ..
        } => {
            assert!(!tensor.is_empty());
            assert_eq!(*file_len, 20_000_000);
        }
        other => panic!("expected Truncated, got {other:?}"),
    }
}

#[test]
fn a_model_file_cut_off_in_its_header_is_not_gguf() {
    let file = truncated_copy(100_000);
    let err = load(file.path());
    assert!(matches!(err, LocalModelError::NotGguf { .. }), "{err:?}");
}

#[test]
fn a_garbage_file_is_not_gguf() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(&[0x5a; 4096]).unwrap();
    let err = load(file.path());
    assert!(matches!(err, LocalModelError::NotGguf { .. }), "{err:?}");
    let empty = tempfile::NamedTempFile::new().unwrap();
    assert!(matches!(
        load(empty.path()),
        LocalModelError::NotGguf { .. }
    ));
}

#[test]
fn a_gguf_header_with_a_lying_tensor_count_is_not_gguf() {
    let mut bytes = b"GGUF".to_vec();
    bytes.extend(3u32.to_le_bytes());
    bytes.extend(u64::MAX.to_le_bytes());
    bytes.extend(u64::MAX.to_le_bytes());
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(&bytes).unwrap();
    assert!(matches!(load(file.path()), LocalModelError::NotGguf { .. }));
}

#[test]
fn a_negative_temperature_is_a_config_error() {
    let mut config = LocalModelConfig::new(smollm2_path());
    config.temperature = -1.0;
    assert!(matches!(
        LocalModel::load(config),
        Err(LocalModelError::Config(_))
    ));
}

/// A valid GGUF file with only the given metadata and no tensors.
fn gguf_with(metadata: &[(&str, gguf_file::Value)]) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    let refs: Vec<(&str, &gguf_file::Value)> = metadata.iter().map(|(k, v)| (*k, v)).collect();
    gguf_file::write(file.as_file_mut(), &refs, &[]).unwrap();
    file
}

#[test]
fn a_model_of_another_architecture_is_refused_by_name() {
    let file = gguf_with(&[(
        "general.architecture",
        gguf_file::Value::String("qwen2".into()),
    )]);
    match load(file.path()) {
        LocalModelError::UnsupportedArchitecture { architecture, .. } => {
            assert_eq!(architecture, "qwen2");
        }
        other => panic!("expected UnsupportedArchitecture, got {other:?}"),
    }
}

#[test]
fn a_model_without_tokenizer_metadata_names_the_missing_key() {
    let file = gguf_with(&[(
        "general.architecture",
        gguf_file::Value::String("llama".into()),
    )]);
    let err = load(file.path());
    assert!(matches!(err, LocalModelError::Tokenizer { .. }), "{err:?}");
    assert!(err.to_string().contains("tokenizer.ggml.model"), "{err}");
}
