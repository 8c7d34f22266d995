//! `filmroom serve`: the web app and its workers in one process, configured by
//! defaults, an optional TOML file and `FILMROOM__...` variables.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;
use filmroom_web::config::LogFormat;
use filmroom_web::{App, Config};

use crate::ServeArgs;

pub fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let config = Config::from_env(args.config.as_deref())?;
    init_logging(&config);
    runtime()?.block_on(async {
        let app = App::build(config, crate::domains::registry()?).await?;
        let addr = app
            .local_addr()
            .context("Failed to read the listening address")?;
        tracing::info!(%addr, "filmroom is listening: open http://{addr}/");
        app.serve(filmroom_web::shutdown_signal()).await
    })?;
    Ok(ExitCode::SUCCESS)
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("Failed to start the async runtime")
}

pub fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&config.log.filter))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match config.log.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
