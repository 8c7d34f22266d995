//! Writing a CTranslate2 model out as a Hugging Face-style checkpoint
//! (`model.safetensors` in f16, `config.json`, `tokenizer.json`): for tools that
//! want the weights in the common format. filmroom itself never needs it, since
//! [`crate::Whisper::load`] converts in memory.

use std::path::Path;

use candle_core::DType;

use crate::AsrError;
use crate::model::load_ct2;

/// Converts the CTranslate2 model directory `ct2_dir` into `out_dir` (created if
/// missing), which [`crate::Whisper::load`] then reads as a safetensors model.
pub fn convert_ct2_to_safetensors(ct2_dir: &Path, out_dir: &Path) -> Result<(), AsrError> {
    let (tensors, config, suppress_begin, alignment_heads) =
        load_ct2(ct2_dir, &ct2_dir.join("model.bin"))?;
    std::fs::create_dir_all(out_dir).map_err(|source| io(out_dir, source))?;
    let half = tensors
        .into_iter()
        .map(|(name, t)| Ok((name, t.to_dtype(DType::F16)?)))
        .collect::<Result<std::collections::HashMap<_, _>, candle_core::Error>>()?;
    let weights = out_dir.join("model.safetensors");
    candle_core::safetensors::save(&half, &weights)?;
    let json = serde_json::json!({
        "num_mel_bins": config.num_mel_bins,
        "max_source_positions": config.max_source_positions,
        "d_model": config.d_model,
        "encoder_attention_heads": config.encoder_attention_heads,
        "encoder_layers": config.encoder_layers,
        "vocab_size": config.vocab_size,
        "max_target_positions": config.max_target_positions,
        "decoder_attention_heads": config.decoder_attention_heads,
        "decoder_layers": config.decoder_layers,
        "suppress_tokens": config.suppress_tokens,
        "begin_suppress_tokens": suppress_begin,
        "alignment_heads": alignment_heads,
    });
    let config_path = out_dir.join("config.json");
    std::fs::write(&config_path, json.to_string()).map_err(|source| io(&config_path, source))?;
    let tokenizer = out_dir.join("tokenizer.json");
    std::fs::copy(ct2_dir.join("tokenizer.json"), &tokenizer)
        .map_err(|source| io(&tokenizer, source))?;
    Ok(())
}

fn io(path: &Path, source: std::io::Error) -> AsrError {
    AsrError::Io {
        path: path.to_path_buf(),
        source,
    }
}
