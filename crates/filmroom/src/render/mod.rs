//! Turning analyses into text: JSON is plain serde, Markdown and CSV have
//! their own modules. Stat fields are discovered from the stat types
//! themselves (the engine's `stats::fields`), so a stat added to the engine
//! shows up here without touching this crate.

pub mod csv;
pub mod md;

/// m:ss, as the game's clock shows it (the one formatter every layer uses).
pub use filmroom_domain::format_clock as clock;

pub fn team_color(team: u8) -> &'static str {
    if team == 0 { "blue" } else { "orange" }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::clock;

    #[test]
    fn clock_shows_minutes_and_padded_seconds() {
        assert_eq!(clock(0.0), "0:00");
        assert_eq!(clock(65.9), "1:05");
        assert_eq!(clock(600.0), "10:00");
        assert_eq!(clock(f64::NAN), "-:--");
    }
}
