//! CTranslate2's Whisper variables onto the tensor names candle-transformers'
//! Whisper loads (the Hugging Face layout), straight into a `VarBuilder` at load:
//! no converted copy is written, so there is no cache to go stale and nothing to run
//! before the first use; converting tiny.en takes well under a second.
//!
//! CTranslate2 fuses projections: self-attention stores q, k and v as one
//! `linear_0` of `3 x d_model` rows, cross-attention stores q as `linear_0` and k, v
//! as one `linear_1`. They are split here; Whisper's k projection has no bias (the
//! fused bias holds zeros there), so it is dropped.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use candle_transformers::models::whisper::Config;

use crate::AsrError;
use crate::ct2::{Ct2Dtype, Ct2Model, Variable};

/// The spec CTranslate2's Whisper converter writes.
const SPEC: &str = "WhisperSpec";

/// The Hugging Face-named tensors and the model shape read from the variables.
pub fn tensors_from_ct2(
    path: &Path,
    model: &Ct2Model<'_>,
    suppress_tokens: Vec<u32>,
) -> Result<(HashMap<String, Tensor>, Config), AsrError> {
    if model.spec != SPEC {
        return Err(AsrError::Weights {
            path: path.to_path_buf(),
            reason: format!("it holds a {:?} model, not {SPEC}", model.spec),
        });
    }
    let m = Mapper {
        path,
        model,
        out: HashMap::new(),
    };
    m.run(suppress_tokens)
}

struct Mapper<'p, 'm, 'a> {
    path: &'p Path,
    model: &'m Ct2Model<'a>,
    out: HashMap<String, Tensor>,
}

impl Mapper<'_, '_, '_> {
    fn run(
        mut self,
        suppress_tokens: Vec<u32>,
    ) -> Result<(HashMap<String, Tensor>, Config), AsrError> {
        let conv1 = self.var("encoder/conv1/weight")?;
        let [d_model, num_mel_bins, _] = self.shape::<3>(conv1)?;
        let embeddings = self.var("decoder/embeddings/weight")?;
        let [vocab_size, _] = self.shape::<2>(embeddings)?;
        let [max_source_positions, _] =
            self.shape::<2>(self.var("encoder/position_encodings/encodings")?)?;
        let [max_target_positions, _] =
            self.shape::<2>(self.var("decoder/position_encodings/encodings")?)?;
        let encoder_layers = self.layer_count("encoder");
        let decoder_layers = self.layer_count("decoder");
        let config = Config {
            num_mel_bins,
            max_source_positions,
            d_model,
            encoder_attention_heads: self.heads("encoder/num_heads", d_model)?,
            encoder_layers,
            vocab_size,
            max_target_positions,
            decoder_attention_heads: self.heads("decoder/num_heads", d_model)?,
            decoder_layers,
            suppress_tokens,
        };
        if encoder_layers == 0 || decoder_layers == 0 {
            return Err(self.weights("it has no encoder or no decoder layers".into()));
        }

        for conv in ["conv1", "conv2"] {
            for p in ["weight", "bias"] {
                self.copy(
                    &format!("encoder/{conv}/{p}"),
                    &format!("model.encoder.{conv}.{p}"),
                )?;
            }
        }
        self.layer_norm("encoder/layer_norm", "model.encoder.layer_norm")?;
        for i in 0..encoder_layers {
            let (src, dst) = (
                format!("encoder/layer_{i}"),
                format!("model.encoder.layers.{i}"),
            );
            self.self_attention(&src, &dst, d_model)?;
            self.ffn(&src, &dst)?;
        }

        self.copy(
            "decoder/embeddings/weight",
            "model.decoder.embed_tokens.weight",
        )?;
        self.copy(
            "decoder/position_encodings/encodings",
            "model.decoder.embed_positions.weight",
        )?;
        self.layer_norm("decoder/layer_norm", "model.decoder.layer_norm")?;
        for i in 0..decoder_layers {
            let (src, dst) = (
                format!("decoder/layer_{i}"),
                format!("model.decoder.layers.{i}"),
            );
            self.self_attention(&src, &dst, d_model)?;
            let (a, b) = (format!("{src}/attention"), format!("{dst}.encoder_attn"));
            self.layer_norm(
                &format!("{a}/layer_norm"),
                &format!("{dst}.encoder_attn_layer_norm"),
            )?;
            self.copy(
                &format!("{a}/linear_0/weight"),
                &format!("{b}.q_proj.weight"),
            )?;
            self.copy(&format!("{a}/linear_0/bias"), &format!("{b}.q_proj.bias"))?;
            self.split(&format!("{a}/linear_1"), &b, &["k_proj", "v_proj"], d_model)?;
            self.copy(
                &format!("{a}/linear_2/weight"),
                &format!("{b}.out_proj.weight"),
            )?;
            self.copy(&format!("{a}/linear_2/bias"), &format!("{b}.out_proj.bias"))?;
            self.ffn(&src, &dst)?;
        }
        Ok((self.out, config))
    }

    fn self_attention(&mut self, src: &str, dst: &str, d_model: usize) -> Result<(), AsrError> {
        let (a, b) = (format!("{src}/self_attention"), format!("{dst}.self_attn"));
        self.layer_norm(
            &format!("{a}/layer_norm"),
            &format!("{dst}.self_attn_layer_norm"),
        )?;
        self.split(
            &format!("{a}/linear_0"),
            &b,
            &["q_proj", "k_proj", "v_proj"],
            d_model,
        )?;
        self.copy(
            &format!("{a}/linear_1/weight"),
            &format!("{b}.out_proj.weight"),
        )?;
        self.copy(&format!("{a}/linear_1/bias"), &format!("{b}.out_proj.bias"))
    }

    fn ffn(&mut self, src: &str, dst: &str) -> Result<(), AsrError> {
        self.layer_norm(
            &format!("{src}/ffn/layer_norm"),
            &format!("{dst}.final_layer_norm"),
        )?;
        for (from, to) in [("linear_0", "fc1"), ("linear_1", "fc2")] {
            for p in ["weight", "bias"] {
                self.copy(&format!("{src}/ffn/{from}/{p}"), &format!("{dst}.{to}.{p}"))?;
            }
        }
        Ok(())
    }

    fn layer_norm(&mut self, src: &str, dst: &str) -> Result<(), AsrError> {
        self.copy(&format!("{src}/gamma"), &format!("{dst}.weight"))?;
        self.copy(&format!("{src}/beta"), &format!("{dst}.bias"))
    }

    /// A fused projection cut into `d_model`-row parts; k has no bias in Whisper.
    fn split(
        &mut self,
        src: &str,
        dst: &str,
        parts: &[&str],
        d_model: usize,
    ) -> Result<(), AsrError> {
        let weight = self.var(&format!("{src}/weight"))?;
        let bias = self.var(&format!("{src}/bias"))?;
        let [rows, cols] = self.shape::<2>(weight)?;
        if rows != parts.len() * d_model || bias.shape != [rows] {
            return Err(self.weights(format!(
                "{src} has shape {:?} and bias {:?}, expected {} fused rows",
                weight.shape,
                bias.shape,
                parts.len() * d_model
            )));
        }
        let w = weight.to_f32();
        let b = bias.to_f32();
        for (i, part) in parts.iter().enumerate() {
            let rows = i * d_model..(i + 1) * d_model;
            let w_part = w[rows.start * cols..rows.end * cols].to_vec();
            self.insert(format!("{dst}.{part}.weight"), w_part, &[d_model, cols])?;
            if *part != "k_proj" {
                self.insert(format!("{dst}.{part}.bias"), b[rows].to_vec(), &[d_model])?;
            }
        }
        Ok(())
    }

    fn copy(&mut self, src: &str, dst: &str) -> Result<(), AsrError> {
        let var = self.var(src)?;
        if !matches!(var.dtype, Ct2Dtype::F32 | Ct2Dtype::F16 | Ct2Dtype::Bf16) {
            return Err(self.weights(format!(
                "{src} holds {:?}, not floating point weights",
                var.dtype
            )));
        }
        let shape = var.shape.clone();
        let data = var.to_f32();
        self.insert(dst.to_owned(), data, &shape)
    }

    fn insert(&mut self, name: String, data: Vec<f32>, shape: &[usize]) -> Result<(), AsrError> {
        let tensor = Tensor::from_vec(data, shape, &Device::Cpu)?;
        self.out.insert(name, tensor);
        Ok(())
    }

    fn var(&self, name: &str) -> Result<&'_ Variable<'_>, AsrError> {
        self.model
            .get(name)
            .ok_or_else(|| self.weights(format!("the variable {name} is missing")))
    }

    fn shape<const N: usize>(&self, var: &Variable<'_>) -> Result<[usize; N], AsrError> {
        <[usize; N]>::try_from(var.shape.as_slice()).map_err(|_| {
            self.weights(format!(
                "{} has shape {:?}, expected rank {N}",
                var.name, var.shape
            ))
        })
    }

    fn heads(&self, name: &str, d_model: usize) -> Result<usize, AsrError> {
        let heads = self
            .var(name)?
            .scalar_int()
            .and_then(|h| usize::try_from(h).ok())
            .filter(|&h| h > 0 && d_model.is_multiple_of(h));
        heads.ok_or_else(|| self.weights(format!("{name} is not a head count dividing {d_model}")))
    }

    fn layer_count(&self, stack: &str) -> usize {
        (0..)
            .take_while(|i| {
                let prefix = format!("{stack}/layer_{i}/");
                self.model
                    .variables
                    .iter()
                    .any(|v| v.name.starts_with(&prefix))
            })
            .count()
    }

    fn weights(&self, reason: String) -> AsrError {
        AsrError::Weights {
            path: self.path.to_path_buf(),
            reason,
        }
    }
}
