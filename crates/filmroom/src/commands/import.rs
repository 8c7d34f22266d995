//! `filmroom import-ballchasing`: replays from ballchasing.com (by id, by
//! group with its child groups, or by uploader) downloaded with the user's
//! own API key and sent through a filmroom server's normal upload API, so
//! they are deduplicated, limited and analysed like any upload.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::ImportArgs;
use crate::ballchasing::{Client, parse_id};
use crate::watch::upload::{Outcome, Uploader};

pub fn run(args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let key = match &args.key {
        Some(key) => key.clone(),
        None => std::env::var("BALLCHASING_API_KEY")
            .context("Give your ballchasing.com API key with --key or BALLCHASING_API_KEY")?,
    };
    let token = match &args.token {
        Some(token) => token.clone(),
        None => std::env::var("FILMROOM_TOKEN")
            .context("Give a filmroom API token with --token or FILMROOM_TOKEN")?,
    };
    let replays = args
        .replay
        .iter()
        .map(|id| parse_id(id))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let group = args.group.as_deref().map(parse_id).transpose()?;
    let uploader = args.uploader.as_deref().map(parse_id).transpose()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("Failed to start the import")?;
    runtime.block_on(async {
        let mut client = Client::new(
            &args.api_base,
            key,
            Duration::from_millis(args.min_interval_ms),
        )?;
        let mut ids = replays;
        if let Some(group) = &group {
            ids.extend(client.group_replays(group).await?);
        }
        if let Some(uploader) = &uploader {
            ids.extend(client.uploader_replays(uploader).await?);
        }
        let mut seen = std::collections::HashSet::new();
        ids.retain(|id| seen.insert(id.clone()));
        println!("{} replays to import", ids.len());
        let server = Uploader::new(&args.server, token, Duration::from_millis(args.backoff_ms))?;
        let (mut imported, mut missing, mut refused) = (0u32, 0u32, 0u32);
        for id in &ids {
            let id = match parse_id(id) {
                Ok(id) => id,
                Err(error) => {
                    println!("skipping {id:?}: {error}");
                    refused += 1;
                    continue;
                }
            };
            let Some(bytes) = client.replay_file(&id).await? else {
                println!("missing {id}: ballchasing.com has no such replay file");
                missing += 1;
                continue;
            };
            let name = format!("{id}.replay");
            let outcome = server
                .send(&name, &bytes, |reason, wait| {
                    println!("retrying {id} in {:.1} s: {reason}", wait.as_secs_f64());
                })
                .await?;
            match outcome {
                Outcome::Taken { game_id } => {
                    imported += 1;
                    println!("imported {id} ({} bytes) -> game {game_id}", bytes.len());
                }
                Outcome::Refused { reason } => {
                    refused += 1;
                    println!("refused {id}: {reason}");
                }
            }
        }
        eprintln!("imported {imported}, missing {missing}, refused {refused}");
        Ok(if missing + refused == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    })
}
