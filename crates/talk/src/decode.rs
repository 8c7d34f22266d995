//! Media file to 16 kHz mono `f32` samples: symphonia for the containers
//! and codecs it has, packet by packet, then rubato to 16 kHz; `ffmpeg` as
//! a time-limited subprocess for the codecs symphonia lacks (Opus in WebM).
//! Only the 16 kHz output is held whole (10 minutes = 38 MB).

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use rubato::{FftFixedIn, Resampler};
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CODEC_TYPE_NULL, DecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use crate::media::{Container, sniff};

/// The sample rate every analysis works at.
pub const SAMPLE_RATE: u32 = 16_000;

/// Source frames resampled at a time.
const RESAMPLE_CHUNK: usize = 1024;

/// A stream that decodes to less than this share of the frames its header
/// declares was cut short.
const TRUNCATED_SHARE: f64 = 0.9;

/// Why a file gave no samples.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Neither symphonia nor ffmpeg can read it as media.
    #[error("the file is not audio or video that can be read ({0})")]
    NotMedia(String),
    /// A media container without any audio track.
    #[error("the file has no audio track")]
    NoAudioTrack,
    /// The file ends before its stream does.
    #[error("the file is truncated: {0}")]
    Truncated(String),
    /// Longer than the configured maximum.
    #[error("the audio is longer than the {max_s:.0}-second limit")]
    TooLong {
        /// The limit, in seconds.
        max_s: f64,
    },
    /// ffmpeg was needed and is missing or did not finish in time.
    #[error("ffmpeg could not decode the file: {0}")]
    Ffmpeg(String),
    /// The file could not be read from disk.
    #[error("the file could not be read")]
    Io(#[from] std::io::Error),
    /// The resampler refused its parameters (a sample rate of 0, say).
    #[error("the audio could not be resampled: {0}")]
    Resample(String),
}

/// How decoding is bounded.
#[derive(Debug, Clone)]
pub struct DecodeOptions {
    /// More audio than this is refused rather than held in memory.
    pub max_duration: Duration,
    /// The ffmpeg program, for codecs symphonia lacks.
    pub ffmpeg: PathBuf,
    /// ffmpeg is killed after this long.
    pub ffmpeg_time_limit: Duration,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self {
            max_duration: Duration::from_secs(3 * 60 * 60),
            ffmpeg: PathBuf::from("ffmpeg"),
            ffmpeg_time_limit: Duration::from_secs(600),
        }
    }
}

impl DecodeOptions {
    fn max_samples(&self) -> usize {
        (self.max_duration.as_secs_f64() * f64::from(SAMPLE_RATE)) as usize
    }
}

/// Decodes the first audio track of a media file to 16 kHz mono.
pub fn decode_file(path: &Path, options: &DecodeOptions) -> Result<Vec<f32>, DecodeError> {
    let mut head = [0u8; 16];
    let n = File::open(path)?.read(&mut head)?;
    let Some(container) = sniff(&head[..n]) else {
        return Err(DecodeError::NotMedia(
            "its first bytes are not a known audio or video container".into(),
        ));
    };
    match decode_with_symphonia(path, container, options) {
        Ok(samples) => Ok(samples),
        // A codec or container feature symphonia lacks: ffmpeg may have it.
        Err(Fallback::Unsupported(why)) => decode_with_ffmpeg(path, options).map_err(|e| match e {
            DecodeError::Ffmpeg(detail) => {
                DecodeError::NotMedia(format!("{why}; ffmpeg: {detail}"))
            }
            other => other,
        }),
        Err(Fallback::Failed(e)) => Err(e),
    }
}

enum Fallback {
    Unsupported(String),
    Failed(DecodeError),
}

impl From<DecodeError> for Fallback {
    fn from(e: DecodeError) -> Self {
        Fallback::Failed(e)
    }
}

/// Lets symphonia read the container's header of an opened file (the
/// container told from its first bytes, as its format hint).
pub(crate) fn probe(
    file: File,
    container: Container,
) -> Result<symphonia::core::probe::ProbeResult, SymphoniaError> {
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    hint.with_extension(container.extension());
    symphonia::default::get_probe().format(
        &hint,
        stream,
        &FormatOptions::default(),
        &MetadataOptions::default(),
    )
}

fn decode_with_symphonia(
    path: &Path,
    container: Container,
    options: &DecodeOptions,
) -> Result<Vec<f32>, Fallback> {
    let file = File::open(path).map_err(DecodeError::Io)?;
    let probed = probe(file, container).map_err(|e| match e {
        SymphoniaError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            Fallback::Failed(DecodeError::Truncated(
                "the container ends before its header does".into(),
            ))
        }
        other => Fallback::Unsupported(format!("symphonia: {other}")),
    })?;
    let mut format = probed.format;
    let codecs = symphonia::default::get_codecs();
    let audio_tracks: Vec<_> = format
        .tracks()
        .iter()
        .filter(|t| t.codec_params.codec != CODEC_TYPE_NULL && t.codec_params.sample_rate.is_some())
        .cloned()
        .collect();
    let Some(track) = audio_tracks
        .iter()
        .find(|t| codecs.get_codec(t.codec_params.codec).is_some())
    else {
        return Err(
            if audio_tracks.is_empty() && container != Container::Matroska {
                Fallback::Failed(DecodeError::NoAudioTrack)
            } else {
                // Matroska tracks symphonia cannot decode (Opus) are listed
                // without a codec, so ffmpeg gets to decide.
                Fallback::Unsupported("no audio codec symphonia decodes".into())
            },
        );
    };
    let mut decoder = codecs
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(|e| Fallback::Unsupported(format!("symphonia: {e}")))?;
    let track_id = track.id;
    let source_rate = track.codec_params.sample_rate.unwrap_or(SAMPLE_RATE);
    let declared_frames = track.codec_params.n_frames;
    let mut mono = Mono::new(source_rate, options.max_samples())?;
    let mut decoded_frames = 0u64;
    let mut buffer: Option<SampleBuffer<f32>> = None;
    let mut ended_early = None;
    loop {
        let packet = match format.next_packet() {
            Ok(packet) => packet,
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                break;
            }
            Err(SymphoniaError::ResetRequired) => break,
            Err(e) => {
                ended_early = Some(e.to_string());
                break;
            }
        };
        if packet.track_id() != track_id {
            continue;
        }
        let audio = match decoder.decode(&packet) {
            Ok(audio) => audio,
            // One damaged packet: skip it, as players do.
            Err(SymphoniaError::DecodeError(_)) => continue,
            Err(e) => {
                ended_early = Some(e.to_string());
                break;
            }
        };
        let spec = *audio.spec();
        let channels = spec.channels.count().max(1);
        let needed = audio.capacity() as u64;
        let buf = match &mut buffer {
            Some(b) if b.capacity() as u64 >= needed * channels as u64 => b,
            _ => buffer.insert(SampleBuffer::new(needed, spec)),
        };
        buf.copy_interleaved_ref(audio);
        let frames = buf.samples().len() / channels;
        decoded_frames += frames as u64;
        mono.push_interleaved(buf.samples(), channels)?;
    }
    if let Some(declared) = declared_frames
        && declared > 0
        && (decoded_frames as f64) < declared as f64 * TRUNCATED_SHARE
    {
        return Err(Fallback::Failed(DecodeError::Truncated(format!(
            "{:.1} of {:.1} seconds of audio could be read{}",
            decoded_frames as f64 / f64::from(source_rate),
            declared as f64 / f64::from(source_rate),
            ended_early.map(|e| format!(" ({e})")).unwrap_or_default()
        ))));
    }
    Ok(mono.finish()?)
}

/// Downmixes to mono and resamples to [`SAMPLE_RATE`] as samples arrive.
struct Mono {
    resampler: Option<FftFixedIn<f32>>,
    pending: Vec<f32>,
    out: Vec<f32>,
    input_frames: u64,
    source_rate: u32,
    max_samples: usize,
}

impl Mono {
    fn new(source_rate: u32, max_samples: usize) -> Result<Self, DecodeError> {
        let resampler = if source_rate == SAMPLE_RATE {
            None
        } else {
            Some(
                FftFixedIn::new(
                    source_rate as usize,
                    SAMPLE_RATE as usize,
                    RESAMPLE_CHUNK,
                    2,
                    1,
                )
                .map_err(|e| DecodeError::Resample(e.to_string()))?,
            )
        };
        Ok(Self {
            resampler,
            pending: Vec::with_capacity(RESAMPLE_CHUNK),
            out: Vec::new(),
            input_frames: 0,
            source_rate,
            max_samples,
        })
    }

    fn push_interleaved(&mut self, samples: &[f32], channels: usize) -> Result<(), DecodeError> {
        for frame in samples.chunks_exact(channels) {
            let sum: f32 = frame.iter().sum();
            self.pending.push(sum / channels as f32);
            if self.pending.len() == RESAMPLE_CHUNK {
                self.flush_chunk()?;
            }
        }
        Ok(())
    }

    fn flush_chunk(&mut self) -> Result<(), DecodeError> {
        self.input_frames += self.pending.len() as u64;
        match &mut self.resampler {
            None => self.out.append(&mut self.pending),
            Some(resampler) => {
                let done = resampler
                    .process(&[&self.pending], None)
                    .map_err(|e| DecodeError::Resample(e.to_string()))?;
                self.pending.clear();
                if let Some(channel) = done.first() {
                    self.out.extend_from_slice(channel);
                }
            }
        }
        if self.out.len() > self.max_samples {
            return Err(DecodeError::TooLong {
                max_s: self.max_samples as f64 / f64::from(SAMPLE_RATE),
            });
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<f32>, DecodeError> {
        let Some(resampler) = &mut self.resampler else {
            self.input_frames += self.pending.len() as u64;
            self.out.append(&mut self.pending);
            return Ok(self.out);
        };
        self.input_frames += self.pending.len() as u64;
        let delay = resampler.output_delay();
        let expected = (self.input_frames as f64 * f64::from(SAMPLE_RATE)
            / f64::from(self.source_rate))
        .round() as usize;
        let tail = if self.pending.is_empty() {
            None
        } else {
            Some(
                resampler
                    .process_partial(Some(&[&self.pending]), None)
                    .map_err(|e| DecodeError::Resample(e.to_string()))?,
            )
        };
        if let Some(channel) = tail.as_ref().and_then(|t| t.first()) {
            self.out.extend_from_slice(channel);
        }
        // Drain the filter so the last samples come out, then drop the
        // filter's delay from the front.
        while self.out.len() < expected + delay {
            let drained = resampler
                .process_partial::<&[f32]>(None, None)
                .map_err(|e| DecodeError::Resample(e.to_string()))?;
            match drained.first() {
                Some(channel) if !channel.is_empty() => self.out.extend_from_slice(channel),
                _ => break,
            }
        }
        let end = (expected + delay).min(self.out.len());
        let start = delay.min(end);
        Ok(self.out[start..end].to_vec())
    }
}

/// Decodes with `ffmpeg -f f32le -ac 1 -ar 16000`, killed after the time
/// limit; stdout and stderr are drained on their own threads so neither
/// pipe can stall the other.
fn decode_with_ffmpeg(path: &Path, options: &DecodeOptions) -> Result<Vec<f32>, DecodeError> {
    let mut child = Command::new(&options.ffmpeg)
        .args(["-nostdin", "-v", "error", "-i"])
        .arg(path)
        .args(["-map", "0:a:0", "-vn", "-f", "f32le", "-ac", "1", "-ar"])
        .arg(SAMPLE_RATE.to_string())
        .arg("pipe:1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            DecodeError::Ffmpeg(format!("cannot start {}: {e}", options.ffmpeg.display()))
        })?;
    let (Some(mut stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(DecodeError::Ffmpeg("no pipes to ffmpeg".into()));
    };
    let max_bytes = options.max_samples().saturating_mul(4);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let read = (&mut stdout)
            .take(max_bytes as u64 + 4)
            .read_to_end(&mut bytes);
        let _ = tx.send(read.map(|_| bytes));
    });
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.take(16 * 1024).read_to_string(&mut text);
        text
    });
    let bytes = match rx.recv_timeout(options.ffmpeg_time_limit) {
        Ok(read) => read?,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(DecodeError::Ffmpeg(format!(
                "it ran longer than {} seconds",
                options.ffmpeg_time_limit.as_secs()
            )));
        }
    };
    if bytes.len() > max_bytes {
        let _ = child.kill();
        let _ = child.wait();
        return Err(DecodeError::TooLong {
            max_s: options.max_duration.as_secs_f64(),
        });
    }
    let status = child.wait()?;
    let stderr = errors.join().unwrap_or_default();
    if !status.success() {
        let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        if first.contains("matches no streams") {
            return Err(DecodeError::NoAudioTrack);
        }
        return Err(DecodeError::Ffmpeg(first.trim().to_owned()));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}
