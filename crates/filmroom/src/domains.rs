//! The kinds of recording this binary handles. Adding a domain is one line
//! here: the platform (web, jobs, store, coach) finds it through the registry.

use std::sync::Arc;

use filmroom_domain::Registry;

/// Every domain the binary ships, in the order recognition prefers them.
pub fn registry() -> anyhow::Result<Registry> {
    let mut domains = Registry::new();
    domains.register(Arc::new(filmroom_replay::domain::RocketLeague))?;
    let mut talk = filmroom_talk::Talk::default();
    if let Some(transcriber) = crate::speech::WhisperTranscriber::installed() {
        talk = talk.with_transcriber(transcriber);
    }
    domains.register(Arc::new(talk))?;
    Ok(domains)
}
