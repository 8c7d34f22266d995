//! A PostgreSQL server for the tests of one binary: `initdb` into a temporary
//! directory, `postgres` on 127.0.0.1 at a free port (its socket directory
//! inside that directory, `fsync=off`), started on first use and killed with
//! the test process, however it exits. Each test gets its own fresh
//! database from [`Postgres::database`], so tests run in parallel.
//!
//! The binaries are found with `pg_config --bindir`, else under
//! `/usr/lib/postgresql/*/bin` (Debian's layout; `scripts/setup` installs
//! them); `FILMROOM_PG_BINDIR` overrides both. Missing binaries fail the test
//! with that message: CI never skips PostgreSQL silently.
//!
//! `initdb` and `postgres` refuse to run as root. When the tests run as root
//! (containers, CI), both run as the unprivileged `postgres` user (else
//! `nobody`) through `setpriv`, and the data directory is handed to it.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long `initdb` plus the server's start may take before the test fails.
const STARTUP: Duration = Duration::from_secs(90);

/// The running server of this test binary.
pub struct Postgres {
    /// `postgres://postgres@127.0.0.1:PORT`, without a database name.
    pub base_url: String,
    port: u16,
    bindir: PathBuf,
    log: PathBuf,
    /// The shell that owns `postgres`; it kills the server when this pipe
    /// closes, which the OS does when the test process exits.
    _guard: Mutex<Child>,
    databases: AtomicUsize,
}

/// The server of this test binary, started on first use.
pub fn postgres() -> &'static Postgres {
    static SERVER: OnceLock<Postgres> = OnceLock::new();
    SERVER.get_or_init(Postgres::start)
}

/// The directory holding `initdb` and `postgres`, or a message saying how
/// to install them.
pub fn postgres_bindir() -> Result<PathBuf, String> {
    let has_initdb = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Some(dir) = std::env::var_os("FILMROOM_PG_BINDIR") {
        let dir = PathBuf::from(dir);
        return if has_initdb(&dir) {
            Ok(dir)
        } else {
            Err(format!(
                "FILMROOM_PG_BINDIR={} holds no initdb and postgres",
                dir.display()
            ))
        };
    }
    // Debian's pg_config belongs to the client package and may name a
    // directory without the server: check it, then look where the server goes.
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    let mut candidates: Vec<PathBuf> = from_pg_config.into_iter().collect();
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dir| dir.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    // The newest version first.
    versions.sort_by_key(|p| {
        std::cmp::Reverse(
            p.parent()
                .and_then(|v| v.file_name())
                .and_then(|v| v.to_str())
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(0),
        )
    });
    candidates.extend(versions);
    candidates
        .into_iter()
        .find(|d| has_initdb(d))
        .ok_or_else(|| {
            "PostgreSQL's server (initdb, postgres) is not installed: run scripts/setup \
         (Debian package postgresql), or set FILMROOM_PG_BINDIR"
                .to_owned()
        })
}

/// The user `initdb` and `postgres` run as when we are root: (uid, gid).
fn unprivileged_user() -> Option<(String, String)> {
    let id = |args: &[&str]| {
        Command::new("id")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    if id(&["-u"])? != "0" {
        return None;
    }
    ["postgres", "nobody"]
        .iter()
        .find_map(|name| Some((id(&["-u", name])?, id(&["-g", name])?)))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Postgres {
    fn start() -> Self {
        let bindir = postgres_bindir().unwrap_or_else(|message| panic!("{message}"));
        let dir = tempfile::Builder::new()
            .prefix("filmroom-postgres-")
            .tempdir()
            .expect("a temporary directory")
            .keep();
        let data = dir.join("data");
        let log = dir.join("postgres.log");
        let user = unprivileged_user();
        // Runs a server binary as the unprivileged user when we are root.
        let command = |program: &str| -> Command {
            let path = bindir.join(program);
            match &user {
                Some((uid, gid)) => {
                    let mut c = Command::new("setpriv");
                    c.arg(format!("--reuid={uid}"))
                        .arg(format!("--regid={gid}"))
                        .arg("--clear-groups")
                        .arg(path);
                    c
                }
                None => Command::new(path),
            }
        };
        if let Some((uid, gid)) = &user {
            let chown = Command::new("chown")
                .arg(format!("{uid}:{gid}"))
                .arg(&dir)
                .status()
                .expect("chown runs");
            assert!(
                chown.success(),
                "cannot hand {} to uid {uid}",
                dir.display()
            );
        }
        let init = command("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"])
            .arg("--locale=C")
            .current_dir(&dir)
            .output()
            .expect("initdb runs");
        assert!(
            init.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&init.stdout),
            String::from_utf8_lossy(&init.stderr)
        );
        let port = free_port();
        let server = command("postgres");
        let mut args: Vec<String> = vec![server.get_program().to_string_lossy().into_owned()];
        args.extend(server.get_args().map(|a| a.to_string_lossy().into_owned()));
        args.extend([
            "-D".to_owned(),
            data.display().to_string(),
            "-h".to_owned(),
            "127.0.0.1".to_owned(),
            "-p".to_owned(),
            port.to_string(),
            "-k".to_owned(),
            dir.display().to_string(),
            // Test data is thrown away: durability only costs time.
            "-c".to_owned(),
            "fsync=off".to_owned(),
            "-c".to_owned(),
            "synchronous_commit=off".to_owned(),
            "-c".to_owned(),
            "full_page_writes=off".to_owned(),
            // Tests run in parallel, each with its own pool.
            "-c".to_owned(),
            "max_connections=400".to_owned(),
        ]);
        // As for SeaweedFS: `cat` returns when our end of its stdin closes,
        // at the latest when this process exits; then the server goes.
        let script = r#"dir="$1"; log="$2"; shift 2
"$@" >"$log" 2>&1 &
p=$!
cat >/dev/null
kill -9 "$p" 2>/dev/null
wait "$p" 2>/dev/null
rm -rf "$dir""#;
        let child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("sh")
            .arg(&dir)
            .arg(&log)
            .args(&args)
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sh starts postgres");
        let server = Self {
            base_url: format!("postgres://postgres@127.0.0.1:{port}"),
            port,
            bindir,
            log,
            _guard: Mutex::new(child),
            databases: AtomicUsize::new(0),
        };
        let deadline = Instant::now() + STARTUP;
        while !server.ready() {
            assert!(
                Instant::now() < deadline,
                "PostgreSQL did not accept connections within {STARTUP:?}; its log:\n{}",
                server.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn ready(&self) -> bool {
        Command::new(self.bindir.join("pg_isready"))
            .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
            .status()
            .is_ok_and(|s| s.success())
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// A new, empty database for one test: its `postgres://` URL.
    pub fn database(&self) -> String {
        let n = self.databases.fetch_add(1, Ordering::Relaxed);
        let name = format!("t_{n}");
        let out = Command::new(self.bindir.join("createdb"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
            ])
            .arg(&name)
            .output()
            .expect("createdb runs");
        assert!(
            out.status.success(),
            "createdb {name} failed: {}\nserver log:\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.log_tail()
        );
        format!("{}/{name}", self.base_url)
    }
}
