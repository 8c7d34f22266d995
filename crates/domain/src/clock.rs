//! The one `m:ss` formatter: pages, citations, the CLI and the coach all
//! label a moment with it, so a citation shown as 4:07 opens the row
//! labelled 4:07 (they used to round differently).

/// `m:ss` from the start of a recording, seconds truncated as a game clock
/// or a video player shows them (247.9 s is 4:07). Minutes are not capped
/// (a 75-minute lecture shows 75:00). A time that is not a number shows as
/// `-:--`; a negative one is clamped to `0:00`.
pub fn format_clock(seconds: f64) -> String {
    if seconds.is_nan() {
        return "-:--".to_owned();
    }
    // Truncation is the intent; the cast saturates on huge values.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let total = seconds.max(0.0).floor() as u64;
    format!("{}:{:02}", total / 60, total % 60)
}

/// Reads `m:ss` (or `h:mm:ss`) back into whole seconds; `None` for anything
/// else. The inverse of [`format_clock`] on whole seconds.
pub fn parse_clock(text: &str) -> Option<u64> {
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return None;
    }
    let mut total: u64 = 0;
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() || part.len() > 6 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let value: u64 = part.parse().ok()?;
        // Every field after the first is a two-digit sexagesimal one.
        if i > 0 && (part.len() != 2 || value >= 60) {
            return None;
        }
        total = total.checked_mul(60)?.checked_add(value)?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_truncated_like_a_game_clock() {
        assert_eq!(format_clock(0.0), "0:00");
        assert_eq!(format_clock(65.9), "1:05");
        assert_eq!(format_clock(247.9), "4:07");
        assert_eq!(format_clock(600.0), "10:00");
        assert_eq!(format_clock(4500.0), "75:00");
    }

    #[test]
    fn broken_times_do_not_panic() {
        assert_eq!(format_clock(f64::NAN), "-:--");
        assert_eq!(format_clock(-3.0), "0:00");
        assert_eq!(format_clock(f64::NEG_INFINITY), "0:00");
        assert!(!format_clock(f64::INFINITY).is_empty());
    }

    #[test]
    fn labels_read_back_to_their_second() {
        for s in [0_u64, 59, 60, 247, 3599, 4500] {
            #[allow(clippy::cast_precision_loss)]
            let label = format_clock(s as f64);
            assert_eq!(parse_clock(&label), Some(s), "{label}");
        }
        assert_eq!(parse_clock("1:02:03"), Some(3723));
        for bad in [
            "",
            "4",
            "4:7",
            "4:60",
            "a:00",
            "-1:00",
            "1:00:00:00",
            "4:07x",
        ] {
            assert_eq!(parse_clock(bad), None, "{bad}");
        }
    }
}
