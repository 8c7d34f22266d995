//! `filmroom reanalyze [--kind K] [--all]`: queues re-analysis jobs by hand,
//! straight against the configured store. A server queues the outdated ones
//! itself at start; this is for an operator who wants them now, or wants
//! every recording analysed again (`--all`) after fixing a domain bug.
//! Running workers pick the jobs up after any waiting upload.

use std::process::ExitCode;

use anyhow::{Context, bail};
use filmroom_store::ReanalysisScope;
use filmroom_web::Config;

use crate::ReanalyzeArgs;
use crate::commands::serve::runtime;

pub fn run(args: &ReanalyzeArgs) -> anyhow::Result<ExitCode> {
    let registry = crate::domains::registry()?;
    let domains: Vec<_> = match &args.kind {
        Some(kind) => match registry.get_str(kind) {
            Some(domain) => vec![domain.clone()],
            None => {
                let known: Vec<String> = registry
                    .domains()
                    .map(|d| d.kind().as_str().to_owned())
                    .collect();
                bail!(
                    "unknown kind {kind:?}: this binary knows {}",
                    known.join(", ")
                )
            }
        },
        None => registry.domains().cloned().collect(),
    };
    let scope = if args.all {
        ReanalysisScope::Every
    } else {
        ReanalysisScope::Outdated
    };
    let config = Config::from_env(args.config.as_deref())?;
    runtime()?.block_on(async {
        let store = filmroom_store::connect(&config.storage.database_url())
            .await
            .context("Failed to open the database")?;
        let now = time::OffsetDateTime::now_utc();
        for domain in domains {
            let kind = domain.kind();
            let queued = store
                .queue_reanalysis(kind.as_str(), domain.revision(), scope, now)
                .await
                .with_context(|| format!("Failed to queue the re-analysis of {kind}"))?;
            println!(
                "{kind}: queued {queued} re-analyses (revision {})",
                domain.revision()
            );
        }
        Ok(ExitCode::SUCCESS)
    })
}
