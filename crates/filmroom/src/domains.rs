//! The kinds of recording this binary handles. Adding a domain is one line
//! here: the platform (web, jobs, store, coach) finds it through the registry.

use std::sync::Arc;

use filmroom_domain::Registry;

/// Every domain the binary ships, in the order recognition prefers them.
pub fn registry() -> anyhow::Result<Registry> {
    let mut domains = Registry::new();
    domains.register(Arc::new(filmroom_replay::domain::RocketLeague))?;
    domains.register(Arc::new(filmroom_talk::Talk::default()))?;
    Ok(domains)
}
