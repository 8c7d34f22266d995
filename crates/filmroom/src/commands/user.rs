//! `filmroom user create|list|reset-password|plan|export|delete` (also spelled
//! `filmroom users`): account administration for the
//! operator, straight against the configured store. Passwords are read from
//! stdin (one line), never from the command line where `ps` would show them.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, bail};
use filmroom_store::Username;
use filmroom_web::Config;
use filmroom_web::auth::{hash_password, password_problem};

use crate::commands::serve::runtime;
use crate::{UserArgs, UserCommand};

pub fn run(args: &UserArgs) -> anyhow::Result<ExitCode> {
    let config = Config::from_env(args.config.as_deref())?;
    runtime()?.block_on(async {
        let store = filmroom_store::connect(&config.storage.database_url())
            .await
            .context("Failed to open the database")?;
        let now = time::OffsetDateTime::now_utc();
        match &args.command {
            UserCommand::Create { username } => {
                let username = parse_username(username)?;
                let password = read_password()?;
                let hash = hash_password(password).await?;
                let user = store
                    .create_user(&username, &hash, now)
                    .await
                    .with_context(|| format!("Failed to create {username}"))?;
                let role = if user.is_admin { "admin" } else { "user" };
                println!("created {} ({role}, id {})", user.username, user.id);
            }
            UserCommand::List => {
                let mut out = std::io::stdout().lock();
                writeln!(
                    out,
                    "{:<32} {:<6} {:<36} created (UTC)",
                    "username", "role", "id"
                )?;
                for user in store.list_users().await? {
                    let role = if user.is_admin { "admin" } else { "user" };
                    let c = user.created_at;
                    writeln!(
                        out,
                        "{:<32} {role:<6} {:<36} {:04}-{:02}-{:02} {:02}:{:02}",
                        user.username.as_str(),
                        user.id.to_string(),
                        c.year(),
                        u8::from(c.month()),
                        c.day(),
                        c.hour(),
                        c.minute()
                    )?;
                }
            }
            UserCommand::ResetPassword { username } => {
                let username = parse_username(username)?;
                let Some(user) = store.user_by_username(&username).await? else {
                    bail!("no user named {username}");
                };
                let password = read_password()?;
                let hash = hash_password(password).await?;
                store.set_password_hash(user.id, &hash).await?;
                let ended = store.delete_user_sessions(user.id).await?;
                println!(
                    "password of {} reset; {ended} session(s) logged out",
                    user.username
                );
            }
            UserCommand::Plan { username, plan } => {
                let username = parse_username(username)?;
                let Some(user) = store.user_by_username(&username).await? else {
                    bail!("no user named {username}");
                };
                let plan = (plan != "default").then_some(plan.as_str());
                if let Some(name) = plan
                    && !config.plans.0.contains_key(name)
                {
                    let known: Vec<&str> = config.plans.0.keys().map(String::as_str).collect();
                    bail!(
                        "no plan named {name:?} in the config (plans: {})",
                        known.join(", ")
                    );
                }
                store.set_user_plan(user.id, plan).await?;
                println!(
                    "{} is on the {} plan",
                    user.username,
                    plan.unwrap_or(&config.coach.default_plan)
                );
            }
            UserCommand::Export { username, out } => {
                let username = parse_username(username)?;
                let Some(user) = store.user_by_username(&username).await? else {
                    bail!("no user named {username}");
                };
                let objects = filmroom_web::app::open_objects(&config).await?;
                let mut zip = filmroom_web::rights::export::write_export(&store, &objects, &user, now)
                    .await
                    .with_context(|| format!("Failed to export {username}"))?;
                let mut dest = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(out)
                    .with_context(|| format!("Failed to create {}", out.display()))?;
                let bytes = std::io::copy(&mut zip, &mut dest)
                    .with_context(|| format!("Failed to write {}", out.display()))?;
                println!("exported {username} to {} ({bytes} bytes)", out.display());
            }
            UserCommand::Delete { username, yes } => {
                let username = parse_username(username)?;
                let Some(user) = store.user_by_username(&username).await? else {
                    bail!("no user named {username}");
                };
                if !yes && !confirm(&username)? {
                    bail!("not confirmed: nothing was erased");
                }
                let objects = filmroom_web::app::open_objects(&config).await?;
                let erased = filmroom_web::rights::service::erase(
                    &store,
                    &objects,
                    user.id,
                    filmroom_web::rights::service::ACTOR_OPERATOR,
                    now,
                )
                .await
                .with_context(|| format!("Failed to erase {username}"))?;
                let Some(erased) = erased else {
                    bail!("no user named {username}");
                };
                println!(
                    "erased {username}: {} recording(s) deleted, {} shared recording(s) kept for their other owners",
                    erased.recordings_deleted, erased.recordings_kept
                );
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// Asks on stdin to type the username again.
fn confirm(username: &Username) -> anyhow::Result<bool> {
    eprint!("erase {username} and everything only they own? type the username to confirm: ");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("Failed to read the confirmation from stdin")?;
    Ok(line.trim() == username.as_str())
}

fn parse_username(raw: &str) -> anyhow::Result<Username> {
    Username::parse(raw).map_err(|e| anyhow::anyhow!("invalid username {raw:?}: {e}"))
}

fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("password (input is shown; pipe it in to hide it): ");
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("Failed to read the password from stdin")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if let Some(problem) = password_problem(&password) {
        bail!("{problem}");
    }
    Ok(password)
}
