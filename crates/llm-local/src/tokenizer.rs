//! The model's tokenizer, rebuilt from the GGUF metadata (`tokenizer.ggml.*`): the
//! GGUF package ships no `tokenizer.json`, and the vocabulary inside the weights file
//! is by construction the one the model was trained with.
//!
//! Encoding is the `tokenizers` crate's byte-level BPE. Decoding maps each token back
//! to the raw bytes it stands for, so a stream of tokens can be turned into text
//! piece by piece ([`Utf8Stream`]) without ever splitting a multi-byte character.

use std::collections::HashMap;

use candle_core::quantized::gguf_file::Value;
use filmroom_coach::ProviderError;
use tokenizers::models::bpe::BPE;
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;

/// ChatML's turn markers; the model must have both as single tokens.
pub const IM_START: &str = "<|im_start|>";
pub const IM_END: &str = "<|im_end|>";

/// GGUF's `tokenizer.ggml.token_type` for control tokens (`<|im_end|>`, ...), which
/// decode to nothing.
const TOKEN_TYPE_CONTROL: i32 = 3;

/// A GPT-2 style byte-level BPE tokenizer with ChatML markers.
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    /// The bytes each token id stands for; empty for control tokens.
    bytes: Vec<Vec<u8>>,
    im_start: u32,
    im_end: u32,
    eos: u32,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("vocab_size", &self.bytes.len())
            .field("eos", &self.eos)
            .finish_non_exhaustive()
    }
}

impl Tokenizer {
    /// Builds the tokenizer from a GGUF file's metadata; the error says which key is
    /// missing or unusable.
    pub(crate) fn from_gguf(metadata: &HashMap<String, Value>) -> Result<Self, String> {
        let get = |key: &str| metadata.get(key).ok_or_else(|| format!("no `{key}`"));
        let model = get("tokenizer.ggml.model")?
            .to_string()
            .map_err(|e| format!("`tokenizer.ggml.model`: {e}"))?;
        if model != "gpt2" {
            return Err(format!(
                "tokenizer model {model:?} is not supported (only GPT-2 style byte-level BPE)"
            ));
        }
        let split_digits = match metadata
            .get("tokenizer.ggml.pre")
            .and_then(|v| v.to_string().ok())
            .map(String::as_str)
        {
            // SmolLM's tokenizer splits numbers into single digits before BPE.
            Some("smollm") => true,
            None | Some("default") | Some("gpt2") => false,
            Some(other) => {
                return Err(format!(
                    "pre-tokenizer {other:?} is not supported (smollm, gpt2)"
                ));
            }
        };

        let tokens = strings(get("tokenizer.ggml.tokens")?, "tokenizer.ggml.tokens")?;
        let merges = strings(get("tokenizer.ggml.merges")?, "tokenizer.ggml.merges")?;
        let types: Vec<i32> = match metadata.get("tokenizer.ggml.token_type") {
            Some(v) => v
                .to_vec()
                .map_err(|e| format!("`tokenizer.ggml.token_type`: {e}"))?
                .iter()
                .map(|t| t.to_i32().unwrap_or(1))
                .collect(),
            None => Vec::new(),
        };
        let eos = get("tokenizer.ggml.eos_token_id")?
            .to_u32()
            .map_err(|e| format!("`tokenizer.ggml.eos_token_id`: {e}"))?;
        if usize::try_from(eos).map_or(true, |e| e >= tokens.len()) {
            return Err(format!("eos token id {eos} is outside the vocabulary"));
        }

        let mut vocab = ahash::AHashMap::with_capacity(tokens.len());
        for (id, token) in tokens.iter().enumerate() {
            let id = u32::try_from(id).map_err(|_| "vocabulary too large".to_string())?;
            vocab.insert((*token).clone(), id);
        }
        let marker = |m: &str| {
            vocab
                .get(m)
                .copied()
                .ok_or_else(|| format!("no {m} token: only ChatML models are supported"))
        };
        let (im_start, im_end) = (marker(IM_START)?, marker(IM_END)?);
        let merges = merges
            .iter()
            .map(|m| {
                m.split_once(' ')
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .ok_or_else(|| format!("merge {m:?} is not two tokens"))
            })
            .collect::<Result<Vec<_>, _>>()?;

        let bpe = BPE::builder()
            .vocab_and_merges(vocab, merges)
            .build()
            .map_err(|e| format!("invalid BPE vocabulary or merges: {e}"))?;
        let mut pre: Vec<PreTokenizerWrapper> = Vec::new();
        if split_digits {
            pre.push(Digits::new(true).into());
        }
        pre.push(ByteLevel::new(false, true, true).into());
        let mut inner = tokenizers::Tokenizer::new(bpe);
        inner.with_pre_tokenizer(Some(Sequence::new(pre)));

        let unicode_to_byte = unicode_to_byte();
        let bytes = tokens
            .iter()
            .enumerate()
            .map(|(id, token)| {
                if types.get(id) == Some(&TOKEN_TYPE_CONTROL) {
                    return Vec::new();
                }
                let mut out = Vec::with_capacity(token.len());
                for c in token.chars() {
                    match unicode_to_byte.get(&c) {
                        Some(b) => out.push(*b),
                        // Not a byte-level character (a user-defined token): its text.
                        None => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
                    }
                }
                out
            })
            .collect();

        Ok(Self {
            inner,
            bytes,
            im_start,
            im_end,
            eos,
        })
    }

    /// Token ids of plain text. ChatML markers in the text are *not* turned into
    /// control tokens, so user text cannot open or close turns.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, ProviderError> {
        if text.is_empty() {
            return Ok(Vec::new());
        }
        let encoding = self
            .inner
            .encode_fast(text, false)
            .map_err(|e| ProviderError::InvalidRequest(format!("could not tokenize: {e}")))?;
        Ok(encoding.get_ids().to_vec())
    }

    /// Token ids of a rendered ChatML prompt: `<|im_start|>` and `<|im_end|>` become
    /// their control tokens, the text between them is encoded as plain text.
    pub fn encode_chatml(&self, prompt: &str) -> Result<Vec<u32>, ProviderError> {
        let mut ids = Vec::new();
        let mut rest = prompt;
        loop {
            let next = [(IM_START, self.im_start), (IM_END, self.im_end)]
                .into_iter()
                .filter_map(|(m, id)| rest.find(m).map(|at| (at, m.len(), id)))
                .min_by_key(|(at, _, _)| *at);
            match next {
                Some((at, len, id)) => {
                    ids.extend(self.encode(&rest[..at])?);
                    ids.push(id);
                    rest = &rest[at + len..];
                }
                None => {
                    ids.extend(self.encode(rest)?);
                    return Ok(ids);
                }
            }
        }
    }

    /// The text of a sequence of tokens; control tokens decode to nothing and invalid
    /// UTF-8 to U+FFFD.
    pub fn decode(&self, ids: &[u32]) -> String {
        let bytes: Vec<u8> = ids
            .iter()
            .flat_map(|id| self.token_bytes(*id).iter().copied())
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The raw bytes a token stands for (possibly part of a UTF-8 character).
    pub fn token_bytes(&self, id: u32) -> &[u8] {
        usize::try_from(id)
            .ok()
            .and_then(|i| self.bytes.get(i))
            .map_or(&[], Vec::as_slice)
    }

    pub fn vocab_size(&self) -> usize {
        self.bytes.len()
    }

    pub fn eos(&self) -> u32 {
        self.eos
    }

    pub fn im_start(&self) -> u32 {
        self.im_start
    }

    pub fn im_end(&self) -> u32 {
        self.im_end
    }
}

fn strings<'a>(value: &'a Value, key: &str) -> Result<Vec<&'a String>, String> {
    value
        .to_vec()
        .map_err(|e| format!("`{key}`: {e}"))?
        .iter()
        .map(|v| v.to_string().map_err(|e| format!("`{key}`: {e}")))
        .collect()
}

/// The reverse of GPT-2's `bytes_to_unicode`: byte-level BPE spells each byte as a
/// printable character (printable Latin-1 bytes as themselves, the rest shifted to
/// U+0100 and up, in byte order).
fn unicode_to_byte() -> HashMap<char, u8> {
    let printable = |b: u8| matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
    let mut map = HashMap::with_capacity(256);
    let mut shifted = 0u32;
    for b in 0..=u8::MAX {
        let c = if printable(b) {
            char::from(b)
        } else {
            shifted += 1;
            char::from_u32(255 + shifted).unwrap_or(char::REPLACEMENT_CHARACTER)
        };
        map.insert(c, b);
    }
    map
}

/// Turns a stream of byte pieces into text pieces that are always whole UTF-8
/// characters: an incomplete character at the end waits for the next piece.
#[derive(Debug, Default)]
pub struct Utf8Stream {
    pending: Vec<u8>,
}

impl Utf8Stream {
    /// Adds bytes; returns the text that is now complete (possibly empty).
    pub fn push(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        let mut out = String::new();
        loop {
            match std::str::from_utf8(&self.pending) {
                Ok(text) => {
                    out.push_str(text);
                    self.pending.clear();
                    return out;
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    out.push_str(&String::from_utf8_lossy(&self.pending[..valid]));
                    match e.error_len() {
                        // An incomplete character at the end: keep it for later.
                        None => {
                            self.pending.drain(..valid);
                            return out;
                        }
                        Some(bad) => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            self.pending.drain(..valid + bad);
                        }
                    }
                }
            }
        }
    }

    /// Whatever is left at the end of the stream (an incomplete character as U+FFFD).
    pub fn finish(&mut self) -> String {
        let rest = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        rest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_table_covers_every_byte_once() {
        let map = unicode_to_byte();
        assert_eq!(map.len(), 256);
        assert_eq!(map.get(&'Ġ'), Some(&b' '));
        assert_eq!(map.get(&'Ċ'), Some(&b'\n'));
        assert_eq!(map.get(&'a'), Some(&b'a'));
    }

    #[test]
    fn a_character_split_across_pieces_comes_out_whole() {
        let mut s = Utf8Stream::default();
        let ball = "⚽".as_bytes();
        assert_eq!(s.push(b"caf"), "caf");
        assert_eq!(s.push(&"é".as_bytes()[..1]), "");
        assert_eq!(s.push(&"é".as_bytes()[1..]), "é");
        assert_eq!(s.push(&ball[..2]), "");
        assert_eq!(s.push(&ball[2..]), "⚽");
        assert_eq!(s.push(&[0xFF, b'x']), "\u{FFFD}x");
        assert_eq!(s.push(&ball[..1]), "");
        assert_eq!(s.finish(), "\u{FFFD}");
    }
}
