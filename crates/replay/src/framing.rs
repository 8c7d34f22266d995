//! A replay's framing, read from its first bytes: `header_size` (u32 LE),
//! `header_crc`, the header, `content_size` (u32 LE), `content_crc`, the
//! content. Uploads use it to know a file's own length while it streams in
//! (refusing bytes past it) and to check the header without the whole file.

use boxcars::ParserBuilder;

use crate::header::{self, Header};
use crate::{MAX_REPLAY_BYTES, ReplayError};

/// Headers in every game version seen are under 20 KB; anything near this
/// is not a replay and would only cost memory to hold while it streams in.
pub const MAX_HEADER_BYTES: usize = 1024 * 1024;

/// What the first bytes of a file say about its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Not enough bytes yet: the framing is known once `need` bytes are in.
    Incomplete { need: usize },
    /// `header_end` bytes hold the framing and the header (what
    /// [`inspect_header`] reads); the whole file is `total_len` bytes.
    Complete { header_end: usize, total_len: usize },
}

/// Why a file's framing cannot be a replay's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    #[error("the header claims {size} bytes, more than the {limit} a replay header can have")]
    HeaderTooLarge { size: usize, limit: usize },
    #[error("the file claims {size} bytes, more than the {limit} a replay can have")]
    TooLarge { size: usize, limit: usize },
}

fn u32_at(bytes: &[u8], at: usize) -> Option<usize> {
    let field = bytes.get(at..)?.first_chunk::<4>()?;
    usize::try_from(u32::from_le_bytes(*field)).ok()
}

/// Reads the framing from a file's first bytes (any prefix, even empty).
/// Pure: it never looks past the two size fields.
pub fn framing(prefix: &[u8]) -> Result<Framing, FramingError> {
    let Some(header_size) = u32_at(prefix, 0) else {
        return Ok(Framing::Incomplete { need: 4 });
    };
    if header_size > MAX_HEADER_BYTES {
        return Err(FramingError::HeaderTooLarge {
            size: header_size,
            limit: MAX_HEADER_BYTES,
        });
    }
    // header_size, header_crc, header, then content_size.
    let content_size_at = 8 + header_size;
    let Some(content_size) = u32_at(prefix, content_size_at) else {
        return Ok(Framing::Incomplete {
            need: content_size_at + 4,
        });
    };
    let header_end = content_size_at + 8;
    let total_len = header_end.saturating_add(content_size);
    if total_len > MAX_REPLAY_BYTES {
        return Err(FramingError::TooLarge {
            size: total_len,
            limit: MAX_REPLAY_BYTES,
        });
    }
    Ok(Framing::Complete {
        header_end,
        total_len,
    })
}

/// An empty content section: zero levels, keyframes, network bytes, debug
/// infos, tick marks, packages, objects, names, class indices and net cache.
const EMPTY_CONTENT: [u8; 40] = [0; 40];

/// Parses the header of a replay from its first bytes alone (at least the
/// `header_end` that [`framing`] gives). The content is not read: the
/// returned header has no tick marks, and a corrupt content section is only
/// found by [`crate::analyze`].
pub fn inspect_header(prefix: &[u8]) -> Result<Header, ReplayError> {
    let (header_end, header_size) = match framing(prefix) {
        Ok(Framing::Complete { header_end, .. }) => (header_end, header_end - 16),
        Ok(Framing::Incomplete { need }) => {
            return Err(ReplayError::Framing(FramingDefect::Truncated {
                have: prefix.len(),
                need,
            }));
        }
        Err(error) => return Err(ReplayError::Framing(FramingDefect::Invalid(error))),
    };
    // The real header followed by a well-formed empty content section, so
    // boxcars parses the header exactly as it would in the whole file.
    let mut framed = Vec::with_capacity(header_end + EMPTY_CONTENT.len());
    framed.extend_from_slice(prefix.get(..8 + header_size).unwrap_or_default());
    framed.extend_from_slice(&(EMPTY_CONTENT.len() as u32).to_le_bytes());
    framed.extend_from_slice(&0u32.to_le_bytes());
    framed.extend_from_slice(&EMPTY_CONTENT);
    let replay = ParserBuilder::new(&framed)
        .never_parse_network_data()
        .never_check_crc()
        .parse()
        .map_err(ReplayError::Header)?;
    Ok(header::read(&replay))
}

/// What is wrong with a file's framing, for [`ReplayError::Framing`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FramingDefect {
    #[error("the file ends after {have} bytes, before its header does ({need} bytes)")]
    Truncated { have: usize, need: usize },
    #[error(transparent)]
    Invalid(FramingError),
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn framed(header: &[u8], content: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(header);
        out.extend_from_slice(&(content.len() as u32).to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(content);
        out
    }

    #[test]
    fn the_declared_length_is_known_once_the_content_size_has_arrived() {
        let file = framed(&[7; 10], &[1; 100]);
        assert_eq!(framing(&[]), Ok(Framing::Incomplete { need: 4 }));
        assert_eq!(framing(&file[..4]), Ok(Framing::Incomplete { need: 22 }));
        assert_eq!(framing(&file[..21]), Ok(Framing::Incomplete { need: 22 }));
        let complete = Framing::Complete {
            header_end: 26,
            total_len: file.len(),
        };
        assert_eq!(framing(&file[..22]), Ok(complete));
        assert_eq!(framing(&file), Ok(complete));
    }

    #[test]
    fn absurd_sizes_are_refused_before_anything_is_buffered() {
        assert!(matches!(
            framing(&[0xff, 0xff, 0xff, 0xff]),
            Err(FramingError::HeaderTooLarge { .. })
        ));
        let mut file = framed(&[0; 4], &[]);
        file[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(framing(&file), Err(FramingError::TooLarge { .. })));
    }

    #[test]
    fn a_prefix_shorter_than_the_header_is_refused_as_truncated() {
        let file = framed(&[7; 10], &[]);
        assert!(matches!(
            inspect_header(&file[..12]),
            Err(ReplayError::Framing(FramingDefect::Truncated { .. }))
        ));
    }

    #[test]
    fn garbage_with_plausible_framing_is_not_a_header() {
        let file = framed(b"not a replay header", &[0; 40]);
        assert!(matches!(inspect_header(&file), Err(ReplayError::Header(_))));
    }
}
