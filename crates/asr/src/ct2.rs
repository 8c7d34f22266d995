//! A strict reader of CTranslate2's `model.bin`: the layout CTranslate2 writes
//! (binary version 4 to 6), every length checked against what is left before it is
//! used, every failure naming the section and byte offset.
//!
//! Layout (little-endian): `u32` binary version; `string` spec name and `u32` spec
//! revision; `u32` variable count, then per variable a `string` name, `u8` rank,
//! `rank x u32` dimensions, `u8` dtype, `u32` byte count and the data; then `u32`
//! alias count and per alias two `string`s (alias, target). A `string` is a `u16`
//! length that counts a trailing NUL, then the bytes.

use std::path::{Path, PathBuf};

use crate::AsrError;

/// The binary versions whose layout is the one above (older files store an item
/// size instead of a dtype and predate the Whisper spec).
const VERSIONS: std::ops::RangeInclusive<u32> = 4..=6;
/// No CTranslate2 spec has tensors of higher rank; a larger value is corruption.
const MAX_RANK: usize = 8;

/// The element types CTranslate2 stores (its `DataType` enum order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ct2Dtype {
    F32,
    I8,
    I16,
    I32,
    F16,
    Bf16,
}

impl Ct2Dtype {
    fn from_id(id: u8) -> Option<Self> {
        Some(match id {
            0 => Self::F32,
            1 => Self::I8,
            2 => Self::I16,
            3 => Self::I32,
            4 => Self::F16,
            5 => Self::Bf16,
            _ => return None,
        })
    }

    pub fn size(self) -> usize {
        match self {
            Self::I8 => 1,
            Self::I16 | Self::F16 | Self::Bf16 => 2,
            Self::F32 | Self::I32 => 4,
        }
    }
}

/// One stored variable; `data` borrows from the file's bytes.
#[derive(Debug)]
pub struct Variable<'a> {
    pub name: String,
    pub shape: Vec<usize>,
    pub dtype: Ct2Dtype,
    pub data: &'a [u8],
}

impl Variable<'_> {
    /// The elements widened to f32 (weights are stored as f16 in the bundled model).
    pub fn to_f32(&self) -> Vec<f32> {
        match self.dtype {
            Ct2Dtype::F32 => self
                .data
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            Ct2Dtype::F16 => self
                .data
                .chunks_exact(2)
                .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            Ct2Dtype::Bf16 => self
                .data
                .chunks_exact(2)
                .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            Ct2Dtype::I8 => self.data.iter().map(|&b| f32::from(b as i8)).collect(),
            Ct2Dtype::I16 => self
                .data
                .chunks_exact(2)
                .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])))
                .collect(),
            Ct2Dtype::I32 => self
                .data
                .chunks_exact(4)
                .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32)
                .collect(),
        }
    }

    /// A scalar integer setting (such as `encoder/num_heads`).
    pub fn scalar_int(&self) -> Option<i64> {
        if !self.shape.is_empty() {
            return None;
        }
        match self.dtype {
            Ct2Dtype::I8 => self.data.first().map(|&b| i64::from(b as i8)),
            Ct2Dtype::I16 => self
                .data
                .first_chunk::<2>()
                .map(|b| i64::from(i16::from_le_bytes(*b))),
            Ct2Dtype::I32 => self
                .data
                .first_chunk::<4>()
                .map(|b| i64::from(i32::from_le_bytes(*b))),
            _ => None,
        }
    }
}

/// A parsed `model.bin`.
#[derive(Debug)]
pub struct Ct2Model<'a> {
    pub spec: String,
    pub variables: Vec<Variable<'a>>,
    /// `(alias, target)`: a name that shares another variable's data.
    pub aliases: Vec<(String, String)>,
}

impl<'a> Ct2Model<'a> {
    pub fn parse(path: &Path, bytes: &'a [u8]) -> Result<Self, AsrError> {
        let mut r = Reader {
            path,
            bytes,
            offset: 0,
        };
        let version = r.u32("binary version")?;
        if !VERSIONS.contains(&version) {
            return Err(r.format(
                0,
                format!(
                    "binary version {version} is not supported (only {} to {})",
                    VERSIONS.start(),
                    VERSIONS.end()
                ),
            ));
        }
        let spec = r.string("spec name")?;
        // The spec revision is not checked: revisions of WhisperSpec so far only
        // added variables, which are looked up by name.
        let _revision = r.u32("spec revision")?;
        let count = r.u32("variable count")?;
        let mut variables = Vec::new();
        for _ in 0..count {
            variables.push(r.variable()?);
        }
        let alias_count = r.u32("alias count")?;
        let mut aliases = Vec::new();
        for _ in 0..alias_count {
            let alias = r.string("alias name")?;
            let target = r.string("alias target")?;
            aliases.push((alias, target));
        }
        if r.offset != bytes.len() {
            return Err(r.format(
                r.offset,
                format!(
                    "{} unexpected bytes after the aliases",
                    bytes.len() - r.offset
                ),
            ));
        }
        Ok(Self {
            spec,
            variables,
            aliases,
        })
    }

    pub fn get(&self, name: &str) -> Option<&Variable<'a>> {
        let target = self
            .aliases
            .iter()
            .find(|(alias, _)| alias == name)
            .map_or(name, |(_, target)| target.as_str());
        self.variables.iter().find(|v| v.name == target)
    }
}

struct Reader<'p, 'a> {
    path: &'p Path,
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'_, 'a> {
    fn take(&mut self, n: usize, section: &str) -> Result<&'a [u8], AsrError> {
        let rest = self.bytes.get(self.offset..).unwrap_or_default();
        let Some((head, _)) = rest.split_at_checked(n) else {
            return Err(AsrError::Truncated {
                path: self.path.to_path_buf(),
                section: section.to_owned(),
                offset: self.offset,
                needed: n,
                available: rest.len(),
            });
        };
        self.offset += n;
        Ok(head)
    }

    fn u8(&mut self, section: &str) -> Result<u8, AsrError> {
        Ok(self.take(1, section)?[0])
    }

    fn u16(&mut self, section: &str) -> Result<u16, AsrError> {
        let b = self.take(2, section)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, section: &str) -> Result<u32, AsrError> {
        let b = self.take(4, section)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn string(&mut self, section: &str) -> Result<String, AsrError> {
        let start = self.offset;
        let len = usize::from(self.u16(section)?);
        let raw = self.take(len, section)?;
        let Some((0, text)) = raw.split_last() else {
            return Err(self.format(start, format!("{section} is not NUL-terminated")));
        };
        String::from_utf8(text.to_vec())
            .map_err(|_| self.format(start, format!("{section} is not UTF-8")))
    }

    fn variable(&mut self) -> Result<Variable<'a>, AsrError> {
        let start = self.offset;
        let name = self.string("variable name")?;
        let section = format!("variable {name}");
        let rank = usize::from(self.u8(&section)?);
        if rank > MAX_RANK {
            return Err(self.format(start, format!("{section} has rank {rank}")));
        }
        let mut shape = Vec::with_capacity(rank);
        for _ in 0..rank {
            shape.push(usize::try_from(self.u32(&section)?).unwrap_or(usize::MAX));
        }
        let dtype_id = self.u8(&section)?;
        let dtype = Ct2Dtype::from_id(dtype_id)
            .ok_or_else(|| self.format(start, format!("{section} has unknown dtype {dtype_id}")))?;
        let len = usize::try_from(self.u32(&section)?).unwrap_or(usize::MAX);
        let expected = shape
            .iter()
            .try_fold(dtype.size(), |acc, &d| acc.checked_mul(d));
        if expected != Some(len) {
            return Err(self.format(
                start,
                format!("{section} has shape {shape:?} of {dtype:?} but {len} bytes"),
            ));
        }
        let data = self.take(len, &section)?;
        Ok(Variable {
            name,
            shape,
            dtype,
            data,
        })
    }

    fn format(&self, offset: usize, reason: String) -> AsrError {
        AsrError::Format {
            path: PathBuf::from(self.path),
            offset,
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn string(out: &mut Vec<u8>, s: &str) {
        out.extend(u16::try_from(s.len() + 1).unwrap().to_le_bytes());
        out.extend(s.as_bytes());
        out.push(0);
    }

    /// Version 6, one 2x2 f16 variable of `dtype_id`, one alias to it.
    fn file(dtype_id: u8, rank_override: Option<u8>) -> Vec<u8> {
        let mut out = 6u32.to_le_bytes().to_vec();
        string(&mut out, "WhisperSpec");
        out.extend(3u32.to_le_bytes());
        out.extend(1u32.to_le_bytes());
        string(&mut out, "w");
        out.push(rank_override.unwrap_or(2));
        out.extend(2u32.to_le_bytes());
        out.extend(2u32.to_le_bytes());
        out.push(dtype_id);
        out.extend(8u32.to_le_bytes());
        for v in [1.0f32, -2.0, 0.5, 3.0] {
            out.extend(half::f16::from_f32(v).to_le_bytes());
        }
        out.extend(1u32.to_le_bytes());
        string(&mut out, "alias");
        string(&mut out, "w");
        out
    }

    #[test]
    fn a_small_file_reads_back_its_variable_through_an_alias() {
        let bytes = file(4, None);
        let m = Ct2Model::parse(Path::new("m.bin"), &bytes).unwrap();
        assert_eq!(m.spec, "WhisperSpec");
        let v = m.get("alias").unwrap();
        assert_eq!((v.name.as_str(), v.shape.as_slice()), ("w", &[2, 2][..]));
        assert_eq!(v.to_f32(), vec![1.0, -2.0, 0.5, 3.0]);
    }

    #[test]
    fn a_byte_count_that_disagrees_with_the_shape_is_a_format_error() {
        // Declared as f32: 2x2 needs 16 bytes, the file says 8.
        let bytes = file(0, None);
        let err = Ct2Model::parse(Path::new("m.bin"), &bytes).unwrap_err();
        assert!(
            matches!(err, AsrError::Format { offset: 26, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn an_unknown_dtype_or_an_absurd_rank_is_a_format_error() {
        for bytes in [file(9, None), file(4, Some(200))] {
            let err = Ct2Model::parse(Path::new("m.bin"), &bytes).unwrap_err();
            assert!(matches!(err, AsrError::Format { .. }), "{err:?}");
        }
    }

    #[test]
    fn every_prefix_of_a_valid_file_is_an_error_and_never_a_panic() {
        let bytes = file(4, None);
        for len in 0..bytes.len() {
            assert!(
                Ct2Model::parse(Path::new("m.bin"), &bytes[..len]).is_err(),
                "{len}"
            );
        }
    }
}
