//! `filmroom watch`: wires the options, the domains (to recognise a file and
//! read its declared length), the uploader and the sent-state into a
//! [`crate::watch::Watcher`] and runs it until stopped.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::WatchArgs;
use crate::watch::state::State;
use crate::watch::upload::Uploader;
use crate::watch::{Options, Watcher};

/// The state file's default name, inside the watched folder.
const STATE_FILE: &str = ".filmroom-watch.json";

pub fn run(args: &WatchArgs) -> anyhow::Result<ExitCode> {
    let server = args.server.trim_end_matches('/').to_owned();
    if !(server.starts_with("http://") || server.starts_with("https://")) {
        anyhow::bail!("--server must be an http:// or https:// URL, not {server:?}");
    }
    let token = match &args.token {
        Some(token) => token.clone(),
        None => std::env::var("FILMROOM_TOKEN")
            .context("Give an API token with --token or FILMROOM_TOKEN")?,
    };
    let state_path = args
        .state
        .clone()
        .unwrap_or_else(|| args.dir.join(STATE_FILE));
    let state = State::load(&state_path, &server)?;
    let uploader = Uploader::new(&server, token, Duration::from_millis(args.backoff_ms))?;
    let options = Options {
        dir: args.dir.clone(),
        extensions: args
            .ext
            .iter()
            .map(|e| e.trim_start_matches('.').to_lowercase())
            .collect(),
        stable: Duration::from_millis(args.stable_ms),
        poll: Duration::from_millis(args.poll_ms.max(10)),
        skip_existing: args.skip_existing,
    };
    let domains = crate::domains::registry()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("Failed to start the watcher")?;
    runtime.block_on(Watcher::new(options, domains, uploader, state).run())?;
    Ok(ExitCode::SUCCESS)
}
