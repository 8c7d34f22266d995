//! `filmroom`: the command-line binary. Glue only: argument parsing and
//! dispatch live here, the work lives in [`commands`] (one module per
//! subcommand), [`inputs`] (finding and reading files) and [`render`]
//! (turning analyses into text). The analysis itself is `filmroom-replay`.

mod ballchasing;
mod commands;
mod domains;
mod inputs;
mod render;
mod speech;
mod watch;

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// filmroom: a self-hosted coaching platform. Analyse Rocket League replays.
#[derive(Debug, Parser)]
#[command(name = "filmroom", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Analyse replays: stats per player and team, and the events timeline.
    ///
    /// Directories are searched recursively for `*.replay` files; files named
    /// explicitly are analysed whatever their extension. Replays are analysed
    /// in parallel and reported in input order. A summary goes to stderr.
    /// Exit code: 0 when every input was analysed, 1 when any failed.
    Analyze(AnalyzeArgs),
    /// Print what a replay's header says: match facts, scoreboard, goals, tick marks.
    Inspect(InspectArgs),
    /// Run the web app and its analysis workers (SQLite and files in ./data by default).
    ///
    /// Configuration: defaults, then the TOML file given with --config, then
    /// FILMROOM__SECTION__KEY environment variables (e.g. FILMROOM__SERVER__LISTEN).
    Serve(ServeArgs),
    /// Run analysis workers only (no HTTP listener) on the database and object
    /// storage a `filmroom serve` shares; run as many as you like.
    ///
    /// Configured like `serve` (jobs.workers is the number of workers in this
    /// process; jobs.node its name). Web processes list it on /status.
    Worker(WorkerArgs),
    /// Manage accounts: create, list, reset-password (passwords are read from stdin),
    /// plan, export and delete (erase).
    #[command(visible_alias = "users")]
    User(UserArgs),
    /// Queue re-analysis jobs: the recordings analysed by an older revision
    /// of their domain's definitions (a server does this itself at start),
    /// or with --all every analysed recording. Running workers take them
    /// after any waiting upload.
    Reanalyze(ReanalyzeArgs),
    /// Watch a folder and upload each new replay to a filmroom server once
    /// the game has finished writing it (its size stable and as long as its
    /// header declares). Remembers what it sent (by content) in a state file,
    /// so a restart sends nothing twice; retries while the server is down.
    Watch(WatchArgs),
    /// Import replays from ballchasing.com with your own API key, by replay
    /// id, by group (with its child groups) or by uploader, into a filmroom
    /// server through its upload API. Exit code 1 when any replay was
    /// missing or refused.
    ImportBallchasing(ImportArgs),
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("what").required(true).multiple(true).args(["replay", "group", "uploader"])))]
pub struct ImportArgs {
    /// A replay id (repeatable).
    #[arg(long, value_name = "ID")]
    pub replay: Vec<String>,
    /// A group id: its replays and those of its child groups, recursively.
    #[arg(long, value_name = "ID")]
    pub group: Option<String>,
    /// An uploader's Steam id (or `me`, the key's owner): every replay they uploaded.
    #[arg(long, value_name = "STEAM_ID")]
    pub uploader: Option<String>,
    /// Your ballchasing.com API key (or the BALLCHASING_API_KEY variable).
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,
    /// The filmroom server's address.
    #[arg(long, value_name = "URL")]
    pub server: String,
    /// A filmroom API token from the account page (or FILMROOM_TOKEN).
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// ballchasing.com's API.
    #[arg(
        long,
        value_name = "URL",
        default_value = "https://ballchasing.com/api"
    )]
    pub api_base: String,
    /// The least time between two calls to ballchasing.com, in ms: 500 keeps
    /// to the free tier's 2 calls a second; patrons may lower it.
    #[arg(long, value_name = "MS", default_value_t = 500)]
    pub min_interval_ms: u64,
    /// The first wait after a failed upload to filmroom, in ms (doubled each retry).
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    pub backoff_ms: u64,
}

#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// The folder the game saves replays in (searched four levels deep).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The server's address, e.g. https://filmroom.example.com.
    #[arg(long, value_name = "URL")]
    pub server: String,
    /// An API token from the account page (or the FILMROOM_TOKEN variable).
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Where to remember what was sent (default: DIR/.filmroom-watch.json).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Leave the files already in DIR alone; send only new or changed ones.
    #[arg(long)]
    pub skip_existing: bool,
    /// How long a file must stay unchanged before it is sent, in ms.
    #[arg(long, value_name = "MS", default_value_t = 3000)]
    pub stable_ms: u64,
    /// How often the folder is looked at, in ms.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub poll_ms: u64,
    /// The first wait after a failed upload, in ms; doubled each retry, to 5 minutes.
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    pub backoff_ms: u64,
    /// File extensions to send (repeatable).
    #[arg(long, value_name = "EXT", default_values_t = ["replay".to_owned()])]
    pub ext: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct ReanalyzeArgs {
    /// A TOML configuration file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Only this kind of recording (e.g. rl_replay); every kind by default.
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,
    /// Every analysed recording, not only the outdated ones.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// A TOML configuration file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    /// A TOML configuration file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct UserArgs {
    /// A TOML configuration file (to find the database).
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: UserCommand,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account (the first one is the admin); the password is read from stdin.
    Create { username: String },
    /// List accounts.
    List,
    /// Set a new password (read from stdin) and log the account out everywhere.
    ResetPassword { username: String },
    /// Put an account on a usage plan from the config's `[plans.*]`
    /// (`default` puts it back on `coach.default_plan`).
    Plan { username: String, plan: String },
    /// Write a zip of everything the account owns (docs/data-rights.md).
    Export {
        username: String,
        /// Where to write the zip (must not exist yet).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Erase the account and every recording no other account owns, for
    /// good; recordings others also own stay theirs. Recorded in the audit log.
    Delete {
        username: String,
        /// Confirms the erasure without asking (for scripts).
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// Replay files and directories of replays.
    #[arg(required = true, value_name = "FILE|DIR")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AnalyzeFormat::Json)]
    pub format: AnalyzeFormat,
    /// Write one file per replay into DIR (created if missing) instead of stdout;
    /// csv writes a single `players.csv`.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replays analysed at once (default: the number of cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<NonZeroUsize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AnalyzeFormat {
    /// filmroom's report (schema in docs/report.md), pretty-printed.
    Json,
    /// ballchasing.com's `GET /api/replays/{id}` document.
    Ballchasing,
    /// A readable Markdown dossier per replay.
    Md,
    /// One row per player, every stat as a `family.field` column.
    Csv,
}

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// A replay file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = InspectFormat::Text)]
    pub format: InspectFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InspectFormat {
    Text,
    Json,
}

fn main() -> ExitCode {
    // Usage errors exit with clap's code 2 from inside `parse`.
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(args) => commands::analyze::run(&args),
        Command::Inspect(args) => commands::inspect::run(&args),
        Command::Serve(args) => commands::serve::run(&args),
        Command::Worker(args) => commands::worker::run(&args),
        Command::User(args) => commands::user::run(&args),
        Command::Reanalyze(args) => commands::reanalyze::run(&args),
        Command::Watch(args) => commands::watch::run(&args),
        Command::ImportBallchasing(args) => commands::import::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(error) if commands::is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", commands::error_line(&error));
            ExitCode::FAILURE
        }
    }
}
