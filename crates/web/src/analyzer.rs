//! The workers' analyzers and the start-up re-analysis, from the domains the
//! binary registered: nothing here knows any domain.

use filmroom_domain::Registry;
use filmroom_jobs::Analyzers;
use filmroom_store::{ReanalysisScope, Store, StoreError};

/// Every registered kind, each analysed by its domain within its limits.
pub fn analyzers(domains: &Registry) -> Analyzers {
    Analyzers::from_registry(domains)
}

/// Queues a low-priority re-analysis of every recording a domain analysed
/// with an older revision of its definitions (or before revisions were
/// stored), for every registered domain, so trends never mix old and new
/// numbers for long. Idempotent; returns how many were queued.
pub async fn queue_outdated(
    store: &dyn Store,
    domains: &Registry,
    now: time::OffsetDateTime,
) -> Result<u64, StoreError> {
    let mut queued = 0;
    for domain in domains.domains() {
        queued += store
            .queue_reanalysis(
                domain.kind().as_str(),
                domain.revision(),
                ReanalysisScope::Outdated,
                now,
            )
            .await?;
    }
    Ok(queued)
}
