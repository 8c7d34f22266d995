//! Loading a GGUF file into shared weights, and the [`Provider`] that generates on a
//! dedicated thread and streams the answer as frames.

use std::fs::File;
use std::io::BufReader;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use candle_core::quantized::gguf_file;
use candle_core::{Device, Tensor};
use candle_transformers::generation::{LogitsProcessor, Sampling};
use candle_transformers::models::quantized_llama::{MAX_SEQ_LEN, ModelWeights};
use filmroom_coach::{ChatRequest, Frame, FrameStream, Provider, ProviderError, StopReason, Usage};
use tokio::sync::mpsc;

use crate::LocalModelError;
use crate::dequantize::F32Reader;
use crate::prompt::prompt_ids;
use crate::tokenizer::{Tokenizer, Utf8Stream};

#[derive(Debug, Clone, PartialEq)]
pub struct LocalModelConfig {
    /// A GGUF file of a llama-architecture ChatML model, e.g. from [`crate::find_smollm2`].
    pub model_path: PathBuf,
    /// 0 samples greedily (deterministic); above 0 samples from the softened
    /// distribution.
    pub temperature: f64,
    /// Seeds the sampler afresh for every request, so a given request and
    /// temperature always give the same answer.
    pub seed: u64,
    /// Prompt plus answer, in tokens. Capped at what the model was trained for and at
    /// candle's rotary table (4096).
    pub context_tokens: usize,
    /// Expand the weights to f32 at load (the default), so that candle multiplies
    /// them with its SIMD gemm: prompts are read several times faster (candle has no
    /// SIMD kernel for Q4_1 and its other quantized kernels need AVX enabled at
    /// compile time), at the cost of memory (SmolLM2-135M: about 650 MiB resident
    /// instead of 220). Turn it off for a model too large to expand in memory.
    pub dequantize: bool,
}

impl LocalModelConfig {
    /// Greedy decoding with a 2048-token window: enough for a coaching question
    /// and its answer, and cheap on a CPU.
    pub fn new(model_path: impl Into<PathBuf>) -> Self {
        Self {
            model_path: model_path.into(),
            temperature: 0.0,
            seed: 0,
            context_tokens: 2048,
            dequantize: true,
        }
    }
}

/// A loaded model. Cloning is cheap and shares the weights; requests take turns on
/// the weights (one forward pass at a time: inference is CPU-bound, so running two
/// at once would only make both slower and double the KV-cache memory).
#[derive(Clone)]
pub struct LocalModel {
    inner: Arc<Inner>,
}

struct Inner {
    weights: Mutex<ModelWeights>,
    tokenizer: Tokenizer,
    config: LocalModelConfig,
    context_tokens: usize,
    stop_ids: [u32; 2],
}

impl std::fmt::Debug for LocalModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalModel")
            .field("config", &self.inner.config)
            .field("context_tokens", &self.inner.context_tokens)
            .finish_non_exhaustive()
    }
}

impl LocalModel {
    /// Reads the weights and the tokenizer from the GGUF file. Slow (the whole file
    /// is read and dequantized, about a second for SmolLM2-135M): do it once at
    /// startup.
    pub fn load(config: LocalModelConfig) -> Result<Self, LocalModelError> {
        if !(config.temperature.is_finite() && config.temperature >= 0.0) {
            return Err(LocalModelError::Config(format!(
                "temperature must be 0 or more, not {}",
                config.temperature
            )));
        }
        if config.context_tokens == 0 {
            return Err(LocalModelError::Config(
                "context_tokens must be above 0".into(),
            ));
        }
        let path = config.model_path.clone();
        let file = File::open(&path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => LocalModelError::NotFound { path: path.clone() },
            _ => LocalModelError::Io {
                path: path.clone(),
                source,
            },
        })?;
        let file_len = file
            .metadata()
            .map_err(|source| LocalModelError::Io {
                path: path.clone(),
                source,
            })?
            .len();
        let mut reader = BufReader::new(file);
        let mut content =
            gguf_file::Content::read(&mut reader).map_err(|source| LocalModelError::NotGguf {
                path: path.clone(),
                source,
            })?;

        let architecture = content
            .metadata
            .get("general.architecture")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .unwrap_or_else(|| "unknown".into());
        if architecture != "llama" {
            return Err(LocalModelError::UnsupportedArchitecture { path, architecture });
        }
        check_tensors_fit(&content, file_len, &path)?;
        let tokenizer = Tokenizer::from_gguf(&content.metadata).map_err(|reason| {
            LocalModelError::Tokenizer {
                path: path.clone(),
                reason,
            }
        })?;

        let trained_context = content
            .metadata
            .get("llama.context_length")
            .and_then(|v| v.to_u32().ok())
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(MAX_SEQ_LEN);
        let context_tokens = config.context_tokens.min(trained_context).min(MAX_SEQ_LEN);

        // candle reports bad shapes as errors, but a weights file is large and varied
        // enough that a panic deep in a kernel is not ruled out: it must not take the
        // server down at startup with an unreadable message.
        let dequantize = config.dequantize;
        let weights = catch_unwind(AssertUnwindSafe(|| {
            if dequantize {
                let mut expanded = F32Reader::new(&mut content, reader)?;
                ModelWeights::from_gguf(content, &mut expanded, &Device::Cpu)
            } else {
                ModelWeights::from_gguf(content, &mut reader, &Device::Cpu)
            }
        }))
        .unwrap_or_else(|_| Err(candle_core::Error::Msg("candle panicked".into())))
        .map_err(|source| LocalModelError::Weights {
            path: path.clone(),
            source,
        })?;

        let stop_ids = [tokenizer.eos(), tokenizer.im_end()];
        Ok(Self {
            inner: Arc::new(Inner {
                weights: Mutex::new(weights),
                tokenizer,
                config,
                context_tokens,
                stop_ids,
            }),
        })
    }

    pub fn tokenizer(&self) -> &Tokenizer {
        &self.inner.tokenizer
    }

    /// The context window in use, after capping the configured one.
    pub fn context_tokens(&self) -> usize {
        self.inner.context_tokens
    }

    /// The token ids the model would be given for this request, after dropping the
    /// oldest history to leave room for `max_tokens`.
    pub fn prompt_tokens(&self, req: &ChatRequest) -> Result<Vec<u32>, ProviderError> {
        let max_tokens = usize::try_from(req.max_tokens).unwrap_or(usize::MAX);
        if max_tokens == 0 {
            return Err(ProviderError::InvalidRequest(
                "max_tokens must be at least 1".into(),
            ));
        }
        let budget = self
            .inner
            .context_tokens
            .checked_sub(max_tokens)
            .ok_or_else(|| {
                ProviderError::InvalidRequest(format!(
                    "max_tokens {max_tokens} exceeds the local model's {}-token context",
                    self.inner.context_tokens
                ))
            })?;
        prompt_ids(&self.inner.tokenizer, req, budget)
    }
}

/// A truncated download keeps a valid header; finding it here names the file and the
/// first tensor that is cut off instead of failing somewhere inside candle.
fn check_tensors_fit(
    content: &gguf_file::Content,
    file_len: u64,
    path: &std::path::Path,
) -> Result<(), LocalModelError> {
    for (name, info) in &content.tensor_infos {
        let bytes = info
            .shape
            .elem_count()
            .checked_mul(info.ggml_dtype.type_size())
            .map(|b| b / info.ggml_dtype.block_size().max(1))
            .and_then(|b| u64::try_from(b).ok());
        let ends_at = bytes.and_then(|b| {
            content
                .tensor_data_offset
                .checked_add(info.offset)?
                .checked_add(b)
        });
        match ends_at {
            Some(end) if end <= file_len => {}
            _ => {
                return Err(LocalModelError::Truncated {
                    path: path.to_path_buf(),
                    tensor: name.clone(),
                    ends_at: ends_at.unwrap_or(u64::MAX),
                    file_len,
                });
            }
        }
    }
    Ok(())
}

#[async_trait::async_trait]
impl Provider for LocalModel {
    /// Tools in the request are ignored (see the crate doc). Frames: text deltas,
    /// then `Usage` (cache counts are 0) and `Stop(EndTurn | MaxTokens)`.
    async fn stream(&self, req: ChatRequest) -> Result<FrameStream, ProviderError> {
        let prompt = self.prompt_tokens(&req)?;
        let max_tokens = usize::try_from(req.max_tokens).unwrap_or(usize::MAX);
        // Room for a few pieces: the model is far slower than any consumer, and a
        // small buffer means a departed client is noticed within a token or two.
        let (tx, mut rx) = mpsc::channel(16);
        let inner = Arc::clone(&self.inner);
        // A plain thread rather than `spawn_blocking`: generation holds it for
        // seconds to minutes, and it works whatever runtime the caller uses.
        std::thread::Builder::new()
            .name("llm-local".into())
            .spawn(move || inner.generate(&prompt, max_tokens, &tx))
            .map_err(|e| ProviderError::Stream {
                kind: "local_model".into(),
                message: format!("could not start the generation thread: {e}"),
            })?;
        Ok(Box::pin(futures_util::stream::poll_fn(move |cx| {
            rx.poll_recv(cx)
        })))
    }
}

type Sender = mpsc::Sender<Result<Frame, ProviderError>>;

/// The client went away: stop generating, nobody is listening.
struct Gone;

impl Inner {
    fn generate(&self, prompt: &[u32], max_tokens: usize, tx: &Sender) {
        let outcome = catch_unwind(AssertUnwindSafe(|| self.run(prompt, max_tokens, tx)));
        let message = match outcome {
            Ok(Ok(Ok(()) | Err(Gone))) => return,
            Ok(Err(e)) => e.to_string(),
            Err(_) => "candle panicked during generation".to_string(),
        };
        // If the client is gone there is nobody to tell.
        let _ = tx.blocking_send(Err(ProviderError::Stream {
            kind: "local_model".into(),
            message,
        }));
    }

    fn run(
        &self,
        prompt: &[u32],
        max_tokens: usize,
        tx: &Sender,
    ) -> Result<Result<(), Gone>, candle_core::Error> {
        let send = |frame: Frame| tx.blocking_send(Ok(frame)).map_err(|_| Gone);
        if tx.is_closed() {
            return Ok(Err(Gone));
        }
        let device = Device::Cpu;
        let sampling = if self.config.temperature <= 0.0 {
            Sampling::ArgMax
        } else {
            Sampling::All {
                temperature: self.config.temperature,
            }
        };
        let mut sampler = LogitsProcessor::from_sampling(self.config.seed, sampling);
        let mut text = Utf8Stream::default();
        let mut generated = 0usize;

        // A panic in another request leaves only its KV cache behind, which is
        // cleared here anyway.
        let mut weights = self.weights.lock().unwrap_or_else(PoisonError::into_inner);
        weights.clear_kv_cache();
        let input = Tensor::new(prompt, &device)?.unsqueeze(0)?;
        let mut logits = weights.forward(&input, 0)?.squeeze(0)?;
        let stop = loop {
            if tx.is_closed() {
                return Ok(Err(Gone));
            }
            let next = sampler.sample(&logits)?;
            if self.stop_ids.contains(&next) {
                break StopReason::EndTurn;
            }
            generated += 1;
            let piece = text.push(self.tokenizer.token_bytes(next));
            if !piece.is_empty() && send(Frame::TextDelta(piece)).is_err() {
                return Ok(Err(Gone));
            }
            if generated >= max_tokens {
                break StopReason::MaxTokens;
            }
            let input = Tensor::new(&[next], &device)?.unsqueeze(0)?;
            logits = weights
                .forward(&input, prompt.len() + generated - 1)?
                .squeeze(0)?;
        };
        drop(weights);

        let rest = text.finish();
        let usage = Usage {
            input_tokens: u64::try_from(prompt.len()).unwrap_or(u64::MAX),
            output_tokens: u64::try_from(generated).unwrap_or(u64::MAX),
            cache_read_tokens: 0,
            cache_write_tokens: 0,
        };
        let finish = || -> Result<(), Gone> {
            if !rest.is_empty() {
                send(Frame::TextDelta(rest.clone()))?;
            }
            send(Frame::Usage(usage))?;
            send(Frame::Stop(stop.clone()))
        };
        Ok(finish())
    }
}
