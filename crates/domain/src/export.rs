//! What a domain offers to take its analyses elsewhere: a document per
//! recording in another program's format, and a table over many recordings
//! (a CSV of a filtered list). The web serves them; the domain writes them
//! from its stored report, so a download matches its own command-line tools.

/// Another program's document format a domain writes a recording's
/// analysis in ([`crate::Domain::exchange_document`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExchangeFormat {
    /// A short name for file names (`ballchasing`): `[a-z0-9_]+`.
    pub name: &'static str,
    /// What to call it for people ("ballchasing.com JSON").
    pub label: &'static str,
}
