//! Configuration: defaults, then a TOML file, then `FILMROOM__SECTION__KEY`
//! environment variables, into typed structs that reject unknown keys.
//! Nothing here is global: `build` takes a [`Config`] and passes parts of it on.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use filmroom_store::objects::s3::S3Settings;
use serde::Deserialize;

/// The prefix of every environment variable read; `__` separates section and key.
pub const ENV_PREFIX: &str = "FILMROOM__";

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub storage: StorageConfig,
    pub limits: LimitsConfig,
    pub jobs: JobsConfig,
    pub auth: AuthConfig,
    pub log: LogConfig,
    pub coach: CoachConfig,
    /// Usage plans by name; every user is on `coach.default_plan` unless an
    /// operator moved them (`filmroom user plan NAME PLAN`).
    pub plans: Plans,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `text` for people, `json` for log collectors.
    pub format: LogFormat,
    /// A `tracing` filter such as `info` or `filmroom_web=debug,info`;
    /// `RUST_LOG` wins when set.
    pub filter: String,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            filter: "info".to_owned(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on; loopback by default so a fresh install is not exposed.
    pub listen: SocketAddr,
    /// Take the client address from `X-Forwarded-For` (its last entry) for the
    /// login and sign-up limits: only behind a reverse proxy that sets it.
    pub trust_forwarded_for: bool,
    /// Seconds from the first byte of a request to the end of its headers:
    /// a client sending headers slower is disconnected.
    pub header_read_timeout_secs: f64,
    /// Seconds a connection may wait, between requests or before its first,
    /// without sending anything before it is closed.
    pub idle_timeout_secs: f64,
    /// Seconds a request body may stall (no new bytes) before the request
    /// fails; a slow upload that keeps moving is never cut.
    pub body_timeout_secs: f64,
    /// Seconds a handler may take to answer, except the streams (job events,
    /// the coach's chat) and replay uploads.
    pub request_timeout_secs: f64,
    /// Open connections at most; more are answered 503 and closed.
    pub max_connections: usize,
    /// Open connections per client IP address at most (0: no such cap).
    /// Behind a reverse proxy every client has the proxy's address.
    pub max_connections_per_address: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            trust_forwarded_for: false,
            header_read_timeout_secs: 10.0,
            idle_timeout_secs: 60.0,
            body_timeout_secs: 30.0,
            request_timeout_secs: 30.0,
            max_connections: 4096,
            max_connections_per_address: 256,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Holds the SQLite database and the objects directory unless those are set.
    pub data_dir: PathBuf,
    /// A store URL (`sqlite://PATH`); default `sqlite://DATA_DIR/filmroom.db`.
    pub database_url: Option<String>,
    /// An object storage URL (`file://PATH`, a path, or `s3://BUCKET` on the
    /// server `[storage.s3]` describes); default `DATA_DIR/objects`.
    pub objects_url: Option<String>,
    /// The S3-compatible server of an `s3://` objects URL.
    pub s3: S3Settings,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            database_url: None,
            objects_url: None,
            s3: S3Settings::default(),
        }
    }
}

impl StorageConfig {
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("filmroom.db").display()))
    }

    pub fn objects_url(&self) -> String {
        self.objects_url
            .clone()
            .unwrap_or_else(|| self.data_dir.join("objects").display().to_string())
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    pub max_files_per_batch: usize,
    pub max_file_bytes: usize,
    /// Queued plus running jobs above which new uploads get 503.
    pub max_queue_depth: u64,
    /// The largest request body of one upload batch (files and form fields).
    pub max_batch_bytes: usize,
    /// Upload bytes this process holds at once (received, not yet stored or
    /// refused), across all requests; past it, uploads get 503 with Retry-After.
    pub max_concurrent_upload_bytes: usize,
    /// Live job-event streams (`/api/v1/events`) one user may hold open; one
    /// more is refused with 429.
    pub max_event_streams_per_user: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_files_per_batch: 50,
            // Each domain lowers it to its own limit (replays 10 MiB, talks
            // 500 MB): this is the operator's ceiling over all of them.
            max_file_bytes: 512 * 1024 * 1024,
            max_queue_depth: 1000,
            max_batch_bytes: 1024 * 1024 * 1024,
            max_concurrent_upload_bytes: 2048 * 1024 * 1024,
            max_event_streams_per_user: 8,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct JobsConfig {
    /// Worker tasks in this process (0: the web only; run workers elsewhere).
    pub workers: usize,
    /// This process's name in the process registry and in worker ids
    /// (`NODE-PID-wN`). Unset: `HOST-PID-RANDOM`, unique to the process. Set it
    /// to a stable name so a restart frees at once what its killed previous
    /// run held (jobs, budget reservations); a second live process with the
    /// same name is refused at startup.
    pub node: Option<String>,
    pub job_timeout_secs: u64,
    /// Seconds a running job may go without a heartbeat before another worker takes it.
    pub lease_secs: u64,
    pub poll_interval_ms: u64,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            workers: 2,
            node: None,
            job_timeout_secs: 30,
            lease_secs: 60,
            poll_interval_ms: 500,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Set the cookie's `Secure` flag: on whenever the app is served over HTTPS.
    pub secure_cookies: bool,
    pub session_ttl_hours: u64,
    /// Failed logins in a row one address may make against one account before
    /// that pair (only) must pause: 1 s, then 2 s, 4 s ... The old name
    /// `login_attempts_per_minute` is still read.
    #[serde(alias = "login_attempts_per_minute")]
    pub login_failures_before_backoff: u32,
    /// The longest pause the backoff asks for.
    pub login_backoff_max_secs: u64,
    /// Failed logins one address may make in an hour across all accounts.
    pub login_failures_per_address_per_hour: u32,
    /// Accounts one address may create in an hour.
    pub signups_per_address_per_hour: u32,
    /// Whether anyone may sign up (the first account can always be created).
    pub open_signup: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            session_ttl_hours: 24 * 14,
            login_failures_before_backoff: 5,
            login_backoff_max_secs: 900,
            login_failures_per_address_per_hour: 100,
            signups_per_address_per_hour: 5,
            open_signup: true,
        }
    }
}

/// Which model answers the coach's questions.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CoachProviderKind {
    /// The built-in analyst: deterministic answers from the player's data, no model.
    Builtin,
    /// A GGUF model run in this process (SmolLM2 from `scripts/setup` by default).
    Local,
    Anthropic,
    /// Any server speaking OpenAI's Chat Completions: OpenAI, Ollama, vLLM, llama.cpp.
    Openai,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CoachConfig {
    pub provider: CoachProviderKind,
    /// Answers questions with images when `provider` reads none (its section
    /// must say `vision = true`); unset, such questions are refused.
    pub vision_provider: Option<CoachProviderKind>,
    /// The most output tokens one model call may produce.
    pub max_tokens: u32,
    /// How many rounds of tool calls one answer may take.
    pub max_tool_rounds: u8,
    /// A directory of extra coach profiles (one subdirectory each); built-in
    /// profiles with the same id are replaced.
    pub profiles_dir: Option<PathBuf>,
    /// The plan of users who were not given one.
    pub default_plan: String,
    /// Largest image attachment accepted, in bytes.
    pub max_image_bytes: usize,
    #[serde(deserialize_with = "anthropic_keys")]
    pub anthropic: RemoteProviderConfig,
    #[serde(deserialize_with = "openai_keys")]
    pub openai: RemoteProviderConfig,
    pub local: LocalProviderConfig,
    /// A PEM file of CA certificates trusted besides the system's roots, for a
    /// model server behind a private CA (both remote providers use it).
    pub ca_file: Option<PathBuf>,
    /// Prices by model name, in micro-dollars per million tokens. A model
    /// without a price costs nothing (local and self-hosted models).
    pub prices: filmroom_coach::PriceTable,
}

impl Default for CoachConfig {
    fn default() -> Self {
        Self {
            provider: CoachProviderKind::Builtin,
            vision_provider: None,
            max_tokens: 1024,
            max_tool_rounds: 4,
            profiles_dir: None,
            default_plan: "free".to_owned(),
            max_image_bytes: 5 * 1024 * 1024,
            anthropic: RemoteProviderConfig::anthropic(),
            openai: RemoteProviderConfig::openai(),
            local: LocalProviderConfig::default(),
            ca_file: None,
            prices: filmroom_coach::PriceTable::default(),
        }
    }
}

/// A hosted or self-hosted model server. Each provider has its own defaults
/// (see [`RemoteProviderConfig::anthropic`] and [`RemoteProviderConfig::openai`]),
/// so setting one key, such as the API key from the environment, keeps the others.
#[derive(Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RemoteProviderConfig {
    pub base_url: String,
    pub api_key: Option<String>,
    pub model: String,
    /// Whether the model reads images (attachments are refused otherwise).
    pub vision: bool,
}

impl RemoteProviderConfig {
    pub fn anthropic() -> Self {
        Self {
            base_url: "https://api.anthropic.com".to_owned(),
            api_key: None,
            model: "claude-sonnet-4-5".to_owned(),
            vision: true,
        }
    }

    pub fn openai() -> Self {
        Self {
            base_url: "http://127.0.0.1:11434".to_owned(),
            api_key: None,
            model: "llama3.1".to_owned(),
            vision: false,
        }
    }
}

/// The keys of a provider section, each optional: what is left out keeps the
/// provider's default.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RemoteProviderKeys {
    base_url: Option<String>,
    api_key: Option<String>,
    model: Option<String>,
    vision: Option<bool>,
}

impl RemoteProviderKeys {
    fn over(self, default: RemoteProviderConfig) -> RemoteProviderConfig {
        RemoteProviderConfig {
            base_url: self.base_url.unwrap_or(default.base_url),
            api_key: self.api_key.or(default.api_key),
            model: self.model.unwrap_or(default.model),
            vision: self.vision.unwrap_or(default.vision),
        }
    }
}

fn anthropic_keys<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<RemoteProviderConfig, D::Error> {
    Ok(RemoteProviderKeys::deserialize(d)?.over(RemoteProviderConfig::anthropic()))
}

fn openai_keys<'de, D: serde::Deserializer<'de>>(d: D) -> Result<RemoteProviderConfig, D::Error> {
    Ok(RemoteProviderKeys::deserialize(d)?.over(RemoteProviderConfig::openai()))
}

impl std::fmt::Debug for RemoteProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteProviderConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("model", &self.model)
            .field("vision", &self.vision)
            .finish()
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LocalProviderConfig {
    /// The GGUF file; default: SmolLM2-135M-Instruct as `scripts/setup` installs it.
    pub model_path: Option<PathBuf>,
    /// 0 answers greedily (the same question gets the same answer).
    pub temperature: f64,
}

/// What one plan allows.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanConfig {
    /// Tokens (input, output and cache) a user may spend per calendar month (UTC).
    pub monthly_tokens: u64,
    pub messages_per_day: u64,
    pub requests_per_minute: u64,
    pub requests_per_hour: u64,
    /// Bytes of recordings a user may have uploaded (each counted once, even
    /// when another user uploaded the same bytes); 0 means no limit.
    #[serde(default)]
    pub storage_bytes: u64,
    /// Daily limits on uploads of one kind (`[plans.free.kinds.talk]`); a
    /// kind not listed has none.
    #[serde(default)]
    pub kinds: BTreeMap<String, KindLimits>,
}

/// What one plan allows of one kind of recording per UTC day. 0 means no
/// limit.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KindLimits {
    /// New recordings of the kind a user may upload per day.
    #[serde(default)]
    pub uploads_per_day: u64,
    /// Minutes of recordings of the kind (their length as the domain reads
    /// it at upload) a user may upload per day.
    #[serde(default)]
    pub minutes_per_day: u64,
}

/// The plans by name. Without a `[plans.*]` section there are two, `free` and
/// `pro`; a config that defines any plan defines them all.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Plans(pub BTreeMap<String, PlanConfig>);

impl Default for Plans {
    fn default() -> Self {
        Self(BTreeMap::from([
            (
                "free".to_owned(),
                PlanConfig {
                    monthly_tokens: 200_000,
                    messages_per_day: 50,
                    requests_per_minute: 5,
                    requests_per_hour: 60,
                    storage_bytes: 2 * 1024 * 1024 * 1024,
                    kinds: BTreeMap::new(),
                },
            ),
            (
                "pro".to_owned(),
                PlanConfig {
                    monthly_tokens: 5_000_000,
                    messages_per_day: 1_000,
                    requests_per_minute: 30,
                    requests_per_hour: 600,
                    storage_bytes: 50 * 1024 * 1024 * 1024,
                    kinds: BTreeMap::new(),
                },
            ),
        ]))
    }
}

impl Config {
    /// The named plan, or the default plan when the name is unknown (a plan
    /// removed from the config), or `None` when neither exists.
    pub fn plan(&self, name: Option<&str>) -> Option<(&str, &PlanConfig)> {
        let lookup = |n: &str| self.plans.0.get_key_value(n).map(|(k, v)| (k.as_str(), v));
        name.and_then(lookup)
            .or_else(|| lookup(&self.coach.default_plan))
    }
}

impl Config {
    /// Defaults, overlaid by `file` (when given) and then by the `FILMROOM__`
    /// variables among `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("Failed to read config file {}", path.display()))?;
                toml::from_str::<toml::Table>(&text)
                    .with_context(|| format!("Failed to parse config file {}", path.display()))?
            }
            None => toml::Table::new(),
        };
        for (name, value) in env {
            let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let path: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
            set_path(&mut table, &path, env_value(&value))
                .with_context(|| format!("Invalid environment variable {name}"))?;
        }
        toml::Value::Table(table)
            .try_into()
            .context("Invalid configuration")
    }

    /// Defaults, the optional file and this process's environment.
    pub fn from_env(file: Option<&Path>) -> anyhow::Result<Self> {
        Self::load(file, std::env::vars())
    }
}

/// An environment value is read as a TOML value when it is one (`8080`,
/// `true`, `[1, 2]`) and as a string otherwise, so `127.0.0.1:80` needs no quotes.
fn env_value(raw: &str) -> toml::Value {
    let wrapped = format!("v = {raw}");
    toml::from_str::<toml::Table>(&wrapped)
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()))
}

fn set_path(table: &mut toml::Table, path: &[String], value: toml::Value) -> anyhow::Result<()> {
    match path {
        [] => anyhow::bail!("empty key"),
        [key] if !key.is_empty() => {
            table.insert(key.clone(), value);
            Ok(())
        }
        [section, rest @ ..] if !section.is_empty() => {
            let entry = table
                .entry(section.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry {
                toml::Value::Table(inner) => set_path(inner, rest, value),
                _ => anyhow::bail!("`{section}` is not a section"),
            }
        }
        _ => anyhow::bail!("empty key segment"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_need_no_file_and_no_environment() {
        let config = Config::load(None, env(&[])).unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.limits.max_files_per_batch, 50);
        assert_eq!(config.storage.database_url(), "sqlite://./data/filmroom.db");
    }

    #[test]
    fn environment_overrides_the_file_which_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("filmroom.toml");
        std::fs::write(
            &file,
            "[server]\nlisten = \"0.0.0.0:9000\"\n[limits]\nmax_file_bytes = 5\n",
        )
        .unwrap();
        let config = Config::load(
            Some(&file),
            env(&[
                ("FILMROOM__LIMITS__MAX_FILE_BYTES", "7"),
                ("FILMROOM__AUTH__SECURE_COOKIES", "true"),
                ("FILMROOM__STORAGE__DATA_DIR", "/tmp/x y"),
                ("OTHER", "ignored"),
            ]),
        )
        .unwrap();
        assert_eq!(config.server.listen.port(), 9000);
        assert_eq!(config.limits.max_file_bytes, 7);
        assert!(config.auth.secure_cookies);
        assert_eq!(config.storage.data_dir, PathBuf::from("/tmp/x y"));
    }

    #[test]
    fn the_example_file_parses_and_states_the_defaults() {
        let path = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/filmroom.example.toml"
        ));
        let config = Config::load(Some(path), env(&[])).unwrap();
        assert_eq!(config, Config::default());
    }

    #[test]
    fn one_provider_key_from_the_environment_keeps_the_other_defaults() {
        let config = Config::load(
            None,
            env(&[
                ("FILMROOM__COACH__ANTHROPIC__API_KEY", "sk-test"),
                ("FILMROOM__COACH__PROVIDER", "anthropic"),
            ]),
        )
        .unwrap();
        assert_eq!(config.coach.provider, CoachProviderKind::Anthropic);
        assert_eq!(config.coach.anthropic.api_key.as_deref(), Some("sk-test"));
        assert_eq!(config.coach.anthropic.model, "claude-sonnet-4-5");
        assert!(!format!("{config:?}").contains("sk-test"));
    }

    #[test]
    fn s3_keys_come_from_the_environment_and_the_secret_is_never_shown() {
        let config = Config::load(
            None,
            env(&[
                ("FILMROOM__STORAGE__OBJECTS_URL", "s3://films"),
                ("FILMROOM__STORAGE__S3__ENDPOINT", "http://127.0.0.1:8333"),
                ("FILMROOM__STORAGE__S3__ACCESS_KEY_ID", "AKIDEXAMPLE"),
                ("FILMROOM__STORAGE__S3__SECRET_ACCESS_KEY", "wJalrXUtnFEMI"),
            ]),
        )
        .unwrap();
        assert_eq!(config.storage.objects_url(), "s3://films");
        let s3 = &config.storage.s3;
        assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:8333"));
        assert_eq!(s3.access_key_id.as_deref(), Some("AKIDEXAMPLE"));
        assert_eq!(s3.secret_access_key.as_deref(), Some("wJalrXUtnFEMI"));
        let shown = format!("{config:?} {s3:?}");
        assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
        assert!(shown.contains("AKIDEXAMPLE"));
    }

    #[test]
    fn an_unknown_plan_name_falls_back_to_the_default_plan() {
        let config = Config::default();
        assert_eq!(config.plan(Some("pro")).unwrap().0, "pro");
        assert_eq!(config.plan(Some("gone")).unwrap().0, "free");
        assert_eq!(config.plan(None).unwrap().1.messages_per_day, 50);
    }

    #[test]
    fn the_old_login_attempts_key_still_sets_the_failures_before_backoff() {
        let config = Config::load(
            None,
            env(&[("FILMROOM__AUTH__LOGIN_ATTEMPTS_PER_MINUTE", "9")]),
        )
        .unwrap();
        assert_eq!(config.auth.login_failures_before_backoff, 9);
    }

    #[test]
    fn unknown_keys_are_rejected() {
        assert!(Config::load(None, env(&[("FILMROOM__SERVER__LISTN", "x")])).is_err());
        assert!(Config::load(None, env(&[("FILMROOM__NOPE__X", "1")])).is_err());
    }
}
