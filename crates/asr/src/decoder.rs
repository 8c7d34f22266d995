//! Whisper's text decoder, written here over the same tensors (and names) that
//! candle-transformers' model loads, for two things that model does not offer:
//! a key/value cache for the decoder's own tokens (candle's recomputes every
//! earlier token at every step, which made decoding most of the transcription
//! time), and the cross-attention logits that word alignment needs.

use candle_core::{Module, Tensor};
use candle_nn::{
    Embedding, LayerNorm, Linear, VarBuilder, embedding, layer_norm, linear, linear_no_bias,
};
use candle_transformers::models::whisper::Config;

struct Attention {
    q: Linear,
    k: Linear,
    v: Linear,
    out: Linear,
    heads: usize,
}

impl Attention {
    fn load(d: usize, heads: usize, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Self {
            q: linear(d, d, vb.pp("q_proj"))?,
            k: linear_no_bias(d, d, vb.pp("k_proj"))?,
            v: linear(d, d, vb.pp("v_proj"))?,
            out: linear(d, d, vb.pp("out_proj"))?,
            heads,
        })
    }

    /// `[batch, n, d]` to `[batch, heads, n, d / heads]`.
    fn split(&self, t: Tensor) -> candle_core::Result<Tensor> {
        let (b, n, d) = t.dims3()?;
        t.reshape((b, n, self.heads, d / self.heads))?
            .transpose(1, 2)?
            .contiguous()
    }

    fn keys_values(&self, source: &Tensor) -> candle_core::Result<(Tensor, Tensor)> {
        Ok((
            self.split(self.k.forward(source)?)?,
            self.split(self.v.forward(source)?)?,
        ))
    }

    /// The attention output and the scaled logits `q·k` `[heads, n, m]`.
    fn attend(
        &self,
        x: &Tensor,
        k: &Tensor,
        v: &Tensor,
        mask: Option<&Tensor>,
    ) -> candle_core::Result<(Tensor, Tensor)> {
        let (_, _, d) = x.dims3()?;
        let scale = ((d / self.heads) as f64).powf(-0.5);
        let q = self.split(self.q.forward(x)?)?;
        let mut qk = (q.matmul(&k.t()?)? * scale)?;
        if let Some(mask) = mask {
            qk = qk.broadcast_add(mask)?;
        }
        let w = candle_nn::ops::softmax_last_dim(&qk)?;
        let out = w.matmul(v)?.transpose(1, 2)?.flatten_from(2)?;
        Ok((self.out.forward(&out)?, qk.squeeze(0)?))
    }
}

struct Block {
    attn: Attention,
    attn_ln: LayerNorm,
    cross: Attention,
    cross_ln: LayerNorm,
    fc1: Linear,
    fc2: Linear,
    mlp_ln: LayerNorm,
}

pub struct TextDecoder {
    embed: Embedding,
    positions: Tensor,
    blocks: Vec<Block>,
    ln: LayerNorm,
}

/// One window's decoding: the audio's keys and values per layer (computed once)
/// and the keys and values of the tokens decoded so far.
pub struct DecodeState {
    cross: Vec<(Tensor, Tensor)>,
    own: Vec<Option<(Tensor, Tensor)>>,
    len: usize,
}

impl DecodeState {
    /// The same audio with no tokens yet (its keys and values are shared).
    pub fn restart(&self) -> Self {
        Self {
            cross: self.cross.clone(),
            own: vec![None; self.own.len()],
            len: 0,
        }
    }
}

/// What one pass returns: hidden states of the new tokens `[1, n, d]` and each
/// layer's cross-attention logits `[heads, n, frames]`.
pub struct Pass {
    pub hidden: Tensor,
    pub cross_logits: Vec<Tensor>,
}

impl TextDecoder {
    pub fn load(vb: &VarBuilder, cfg: &Config) -> candle_core::Result<Self> {
        let vb = vb.pp("model.decoder");
        let (d, h) = (cfg.d_model, cfg.decoder_attention_heads);
        let ln = |vb: VarBuilder| layer_norm(d, 1e-5, vb);
        let blocks = (0..cfg.decoder_layers)
            .map(|i| {
                let vb = vb.pp(format!("layers.{i}"));
                Ok(Block {
                    attn: Attention::load(d, h, vb.pp("self_attn"))?,
                    attn_ln: ln(vb.pp("self_attn_layer_norm"))?,
                    cross: Attention::load(d, h, vb.pp("encoder_attn"))?,
                    cross_ln: ln(vb.pp("encoder_attn_layer_norm"))?,
                    fc1: linear(d, 4 * d, vb.pp("fc1"))?,
                    fc2: linear(4 * d, d, vb.pp("fc2"))?,
                    mlp_ln: ln(vb.pp("final_layer_norm"))?,
                })
            })
            .collect::<candle_core::Result<_>>()?;
        Ok(Self {
            embed: embedding(cfg.vocab_size, d, vb.pp("embed_tokens"))?,
            positions: vb.get((cfg.max_target_positions, d), "embed_positions.weight")?,
            blocks,
            ln: ln(vb.pp("layer_norm"))?,
        })
    }

    pub fn max_tokens(&self) -> usize {
        self.positions.dim(0).unwrap_or(0)
    }

    /// A fresh state for the encoded audio `features` `[1, frames, d]`.
    pub fn start(&self, features: &Tensor) -> candle_core::Result<DecodeState> {
        let cross = self
            .blocks
            .iter()
            .map(|b| b.cross.keys_values(features))
            .collect::<candle_core::Result<_>>()?;
        Ok(DecodeState {
            cross,
            own: vec![None; self.blocks.len()],
            len: 0,
        })
    }

    /// Runs `tokens` after those already in `state` and remembers them.
    pub fn pass(&self, state: &mut DecodeState, tokens: &[u32]) -> candle_core::Result<Pass> {
        let device = self.positions.device();
        let (past, n) = (state.len, tokens.len());
        let ids = Tensor::new(tokens, device)?.unsqueeze(0)?;
        let mut x = self
            .embed
            .forward(&ids)?
            .broadcast_add(&self.positions.narrow(0, past, n)?)?;
        // New token i may see every earlier token and new tokens up to itself.
        let mask = (n > 1)
            .then(|| {
                let m: Vec<f32> = (0..n)
                    .flat_map(|i| {
                        (0..past + n).map(
                            move |j| {
                                if j > past + i { f32::NEG_INFINITY } else { 0.0 }
                            },
                        )
                    })
                    .collect();
                Tensor::from_vec(m, (n, past + n), device)
            })
            .transpose()?;
        let mut cross_logits = Vec::with_capacity(self.blocks.len());
        for ((b, own), (ck, cv)) in self.blocks.iter().zip(&mut state.own).zip(&state.cross) {
            let normed = b.attn_ln.forward(&x)?;
            let (k, v) = b.attn.keys_values(&normed)?;
            let (k, v) = match own.take() {
                Some((pk, pv)) => (Tensor::cat(&[&pk, &k], 2)?, Tensor::cat(&[&pv, &v], 2)?),
                None => (k, v),
            };
            let (a, _) = b.attn.attend(&normed, &k, &v, mask.as_ref())?;
            *own = Some((k, v));
            x = (x + a)?;
            let (c, qk) = b.cross.attend(&b.cross_ln.forward(&x)?, ck, cv, None)?;
            x = (x + c)?;
            let m = b
                .fc2
                .forward(&b.fc1.forward(&b.mlp_ln.forward(&x)?)?.gelu()?)?;
            x = (x + m)?;
            cross_logits.push(qk);
        }
        state.len += n;
        Ok(Pass {
            hidden: x,
            cross_logits,
        })
    }

    /// Logits over the vocabulary for position `i` of a pass's hidden states.
    pub fn logits(&self, hidden: &Tensor, i: usize) -> candle_core::Result<Vec<f32>> {
        let h = self.ln.forward(&hidden.narrow(1, i, 1)?)?.squeeze(0)?;
        h.matmul(&self.embed.embeddings().t()?)?
            .squeeze(0)?
            .to_vec1::<f32>()
    }
}
