//! Which files are talks: the media containers the domain reads, known by
//! their names and their first bytes.

/// File name endings of the media a talk may come in.
pub const EXTENSIONS: [&str; 9] = [
    "mp4", "mov", "m4a", "webm", "mkv", "wav", "mp3", "ogg", "flac",
];

/// A container family, from a file's first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// ISO base media: mp4, mov, m4a.
    IsoMp4,
    /// Matroska and WebM (EBML).
    Matroska,
    /// RIFF WAVE.
    Wav,
    /// MPEG audio, with or without an ID3 tag.
    Mp3,
    /// Ogg (Vorbis, Opus, FLAC inside).
    Ogg,
    /// Native FLAC.
    Flac,
}

impl Container {
    /// The file name extension symphonia's probe is hinted with.
    pub fn extension(self) -> &'static str {
        match self {
            Container::IsoMp4 => "mp4",
            Container::Matroska => "mkv",
            Container::Wav => "wav",
            Container::Mp3 => "mp3",
            Container::Ogg => "ogg",
            Container::Flac => "flac",
        }
    }
}

/// The atoms an ISO media file may start with: `ftyp` normally, the others
/// in QuickTime files written without one.
const ISO_FIRST_ATOMS: [&[u8; 4]; 6] = [b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"];

/// The container a file's first bytes announce, if any.
pub fn sniff(head: &[u8]) -> Option<Container> {
    if head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WAVE") {
        return Some(Container::Wav);
    }
    if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some(Container::Matroska);
    }
    if head.starts_with(b"OggS") {
        return Some(Container::Ogg);
    }
    if head.starts_with(b"fLaC") {
        return Some(Container::Flac);
    }
    if head.starts_with(b"ID3") {
        return Some(Container::Mp3);
    }
    if let Some(atom) = head.get(4..8)
        && ISO_FIRST_ATOMS.iter().any(|a| a.as_slice() == atom)
    {
        return Some(Container::IsoMp4);
    }
    // An MPEG audio frame header: 11 sync bits, a layer that is not
    // "reserved" and a bitrate index that is neither free nor bad.
    if let [0xFF, b1, b2, ..] = head
        && b1 & 0xE0 == 0xE0
        && b1 & 0x06 != 0
        && b2 & 0xF0 != 0xF0
        && b2 & 0xF0 != 0
    {
        return Some(Container::Mp3);
    }
    None
}

/// The media type a browser plays a file as: its container from its first
/// bytes, told apart by its name where one container has several types
/// (WebM is Matroska; m4a is audio in mp4; mov is QuickTime). Video types
/// are given to files that may hold video; a browser plays an audio-only
/// one in its video element as well.
pub fn media_type(filename: &str, head: &[u8]) -> Option<&'static str> {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    Some(match sniff(head)? {
        Container::IsoMp4 => match ext.as_str() {
            "m4a" => "audio/mp4",
            "mov" => "video/quicktime",
            _ => "video/mp4",
        },
        Container::Matroska => match ext.as_str() {
            "mkv" => "video/x-matroska",
            _ => "video/webm",
        },
        Container::Wav => "audio/wav",
        Container::Mp3 => "audio/mpeg",
        Container::Ogg => "audio/ogg",
        Container::Flac => "audio/flac",
    })
}

/// Whether a file name ends in one of [`EXTENSIONS`] (any case).
pub fn has_media_name(filename: &str) -> bool {
    filename
        .rsplit_once('.')
        .is_some_and(|(_, ext)| EXTENSIONS.iter().any(|e| ext.eq_ignore_ascii_case(e)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn containers_are_known_by_their_first_bytes() {
        assert_eq!(sniff(b"RIFF\x24\0\0\0WAVEfmt "), Some(Container::Wav));
        assert_eq!(sniff(b"\0\0\0\x20ftypisom"), Some(Container::IsoMp4));
        assert_eq!(sniff(b"\x1a\x45\xdf\xa3\x9f"), Some(Container::Matroska));
        assert_eq!(sniff(b"OggS\0\x02"), Some(Container::Ogg));
        assert_eq!(sniff(b"fLaC\0\0\0\x22"), Some(Container::Flac));
        assert_eq!(sniff(b"ID3\x04\0"), Some(Container::Mp3));
        assert_eq!(sniff(b"\xff\xfb\x90\x64"), Some(Container::Mp3));
        assert_eq!(sniff(b"hello, this is text"), None);
        assert_eq!(sniff(b"RIFF\x24\0\0\0AVI "), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn the_media_type_comes_from_the_bytes_and_the_name_tells_apart_one_container() {
        let mp4 = b"\0\0\0\x20ftypisom";
        assert_eq!(media_type("talk.mp4", mp4), Some("video/mp4"));
        assert_eq!(media_type("talk.M4A", mp4), Some("audio/mp4"));
        assert_eq!(media_type("talk.mov", mp4), Some("video/quicktime"));
        let ebml = b"\x1a\x45\xdf\xa3\x9f";
        assert_eq!(media_type("talk.webm", ebml), Some("video/webm"));
        assert_eq!(media_type("talk.mkv", ebml), Some("video/x-matroska"));
        assert_eq!(
            media_type("talk.wav", b"RIFF\x24\0\0\0WAVEfmt "),
            Some("audio/wav")
        );
        // The bytes decide: a WAV named mp4 is still served as WAV.
        assert_eq!(
            media_type("talk.mp4", b"RIFF\x24\0\0\0WAVEfmt "),
            Some("audio/wav")
        );
        assert_eq!(media_type("talk.mp4", b"plain text"), None);
    }

    #[test]
    fn media_names_match_their_extension_in_any_case() {
        assert!(has_media_name("talk.MP4"));
        assert!(has_media_name("a.b.webm"));
        assert!(!has_media_name("notes.txt"));
        assert!(!has_media_name("mp4"));
    }
}
