//! `filmroom worker`: analysis workers only, no HTTP listener, on the
//! database and object storage a `filmroom serve` (with `jobs.workers = 0`,
//! or with workers of its own) shares. Configured like `serve`.

use std::process::ExitCode;

use filmroom_web::{Config, WorkerProcess};

use crate::WorkerArgs;

pub fn run(args: &WorkerArgs) -> anyhow::Result<ExitCode> {
    let config = Config::from_env(args.config.as_deref())?;
    super::serve::init_logging(&config);
    super::serve::runtime()?.block_on(async {
        let process = WorkerProcess::build(config, crate::domains::registry()?).await?;
        process.run(filmroom_web::shutdown_signal()).await;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
