//! Test talks made once per test binary from scripted texts: each sentence
//! and filler is spoken separately by espeak-ng at a known rate, trimmed of
//! its silent edges by sox and joined with silences of known length, so
//! every piece's start and end is known to the sample. The script becomes
//! an SRT transcript with one cue per piece.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// A piece of a scripted talk.
#[derive(Debug, Clone)]
pub enum Piece {
    /// A sentence spoken at the talk's rate.
    Say(&'static str),
    /// A filler spoken on its own ("um").
    Filler(&'static str),
    /// Silence, seconds.
    Silence(f64),
}

/// A piece placed in the talk.
#[derive(Debug, Clone)]
pub struct Placed {
    pub piece: Piece,
    pub start_s: f64,
    pub end_s: f64,
}

/// A synthesized talk.
#[derive(Debug)]
pub struct Made {
    pub wav: PathBuf,
    pub pieces: Vec<Placed>,
    /// SRT with one cue per sentence and filler.
    pub srt: String,
    /// espeak-ng's `-s`.
    pub espeak_wpm: u32,
}

impl Made {
    /// The rate the audio really has: the sentences' words over the
    /// sentences' seconds (espeak-ng speaks faster than its `-s`).
    pub fn true_wpm(&self) -> f64 {
        let (words, seconds) = self
            .pieces
            .iter()
            .filter_map(|p| match p.piece {
                Piece::Say(text) => Some((text.split_whitespace().count(), p.end_s - p.start_s)),
                _ => None,
            })
            .fold((0usize, 0.0), |(w, s), (pw, ps)| (w + pw, s + ps));
        words as f64 * 60.0 / seconds
    }

    /// Where each inserted silence lies.
    pub fn silences(&self) -> Vec<(f64, f64)> {
        self.pieces
            .iter()
            .filter(|p| matches!(p.piece, Piece::Silence(_)))
            .map(|p| (p.start_s, p.end_s))
            .collect()
    }
}

pub struct Fixtures {
    pub dir: PathBuf,
    /// Fillers, contextual fillers, silences, at a comfortable rate.
    pub talk: Made,
    /// The same sentences at a fast rate, no fillers or silences.
    pub fast: Made,
    /// A passage with the pitch range at its lowest.
    pub monotone: Made,
    /// The same passage with the pitch range at its widest.
    pub lively: Made,
    /// `talk` in an mp4 with a video track and AAC audio.
    pub mp4: PathBuf,
    /// `talk` in a WebM with VP8 video and Opus audio (ffmpeg decodes it).
    pub webm: PathBuf,
    /// `talk` as MP3.
    pub mp3: PathBuf,
}

pub const TALK: [Piece; 11] = [
    Piece::Say("So, today I want to share what our team learned this year."),
    Piece::Filler("um"),
    Piece::Say("The quarterly numbers look strong, and we delivered every feature on time."),
    Piece::Silence(2.0),
    Piece::Say("Our customers asked for faster reports, like, every single week."),
    Piece::Filler("uh"),
    Piece::Say("I like pizza, and I like clear goals for the next quarter."),
    Piece::Silence(2.5),
    Piece::Say("We plan to grow the team next spring and open a second office."),
    Piece::Filler("um"),
    Piece::Say("Thank you all for listening."),
];

/// The fillers the talk holds: um, uh, um spoken alone, and "So," and
/// ", like," set off by commas. "I like pizza" and "I like clear" are not.
pub const TALK_FILLERS: usize = 5;

const PASSAGE: [Piece; 3] = [
    Piece::Say(
        "The quarterly numbers look strong and our team delivered every feature on time this year.",
    ),
    Piece::Say("Did we learn a lot from our customers, and are we ready to grow next spring?"),
    Piece::Say(
        "We will open a second office, hire twelve engineers and double our sales by the end of the year.",
    ),
];

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("{cmd:?} did not start: {e} (scripts/setup installs espeak-ng, sox and ffmpeg)")
    });
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn samples(path: &Path) -> usize {
    let out = Command::new("soxi").arg("-s").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// Speaks `text` and trims its silent edges: 16 kHz mono 16-bit.
fn speak(dir: &Path, name: &str, text: &str, wpm: u32, range: Option<&str>) -> PathBuf {
    let raw = dir.join(format!("{name}.raw.wav"));
    let out = dir.join(format!("{name}.wav"));
    let mut espeak = Command::new("espeak-ng");
    espeak.args(["-s", &wpm.to_string(), "-w"]).arg(&raw);
    match range {
        Some(range) => espeak.arg("-m").arg(format!(
            "<speak><prosody range=\"{range}\">{text}</prosody></speak>"
        )),
        None => espeak.arg(text),
    };
    run(&mut espeak);
    run(Command::new("sox")
        .arg(&raw)
        .args(["-r", "16000", "-c", "1", "-b", "16"])
        .arg(&out)
        .args([
            "silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse",
        ]));
    out
}

fn srt_time(t: f64) -> String {
    let ms = (t * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02},{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

fn make(dir: &Path, name: &str, script: &[Piece], wpm: u32, range: Option<&str>) -> Made {
    let mut files = Vec::new();
    let mut pieces = Vec::new();
    let mut at = 0usize;
    for (i, piece) in script.iter().enumerate() {
        let file = match piece {
            Piece::Say(text) | Piece::Filler(text) => {
                speak(dir, &format!("{name}-{i}"), text, wpm, range)
            }
            Piece::Silence(seconds) => {
                let file = dir.join(format!("{name}-{i}.wav"));
                run(Command::new("sox")
                    .args(["-n", "-r", "16000", "-c", "1", "-b", "16"])
                    .arg(&file)
                    .args(["trim", "0", &seconds.to_string()]));
                file
            }
        };
        let n = samples(&file);
        pieces.push(Placed {
            piece: piece.clone(),
            start_s: at as f64 / 16_000.0,
            end_s: (at + n) as f64 / 16_000.0,
        });
        at += n;
        files.push(file);
    }
    let wav = dir.join(format!("{name}.wav"));
    run(Command::new("sox").args(&files).arg(&wav));
    let mut srt = String::new();
    let mut cue = 0;
    for p in &pieces {
        if let Piece::Say(text) | Piece::Filler(text) = p.piece {
            cue += 1;
            srt.push_str(&format!(
                "{cue}\n{} --> {}\n{text}\n\n",
                srt_time(p.start_s),
                srt_time(p.end_s)
            ));
        }
    }
    Made {
        wav,
        pieces,
        srt,
        espeak_wpm: wpm,
    }
}

fn pack(dir: &Path, wav: &Path, name: &str, video: &str, audio: &[&str]) -> PathBuf {
    let out = dir.join(name);
    run(Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "color=black:s=64x64:r=5",
            "-i",
        ])
        .arg(wav)
        .args(["-shortest", "-c:v", video])
        .args(audio)
        .arg(&out));
    out
}

/// The fixtures, made on first use.
pub fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("talk-fixtures");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let talk = make(&dir, "talk", &TALK, 130, None);
        let sentences: Vec<Piece> = TALK
            .iter()
            .filter(|p| matches!(p, Piece::Say(_)))
            .cloned()
            .collect();
        let fast = make(&dir, "fast", &sentences, 230, None);
        let monotone = make(&dir, "monotone", &PASSAGE, 130, Some("x-low"));
        let lively = make(&dir, "lively", &PASSAGE, 130, Some("x-high"));
        let mp4 = pack(
            &dir,
            &talk.wav,
            "talk.mp4",
            "libx264",
            &["-c:a", "aac", "-ar", "44100"],
        );
        let webm = pack(
            &dir,
            &talk.wav,
            "talk.webm",
            "libvpx",
            &["-c:a", "libopus", "-ar", "48000"],
        );
        let mp3 = dir.join("talk.mp3");
        run(Command::new("ffmpeg")
            .args(["-nostdin", "-v", "error", "-y", "-i"])
            .arg(&talk.wav)
            .args(["-c:a", "libmp3lame", "-ar", "22050"])
            .arg(&mp3));
        Fixtures {
            dir,
            talk,
            fast,
            monotone,
            lively,
            mp4,
            webm,
            mp3,
        }
    })
}
