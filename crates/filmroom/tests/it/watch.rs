//! `filmroom watch` against a real `filmroom serve`: the real binaries, a
//! real folder written the way a game writes it, real HTTP. Every wait is a
//! condition polled with a deadline (a line from the watcher, a job on the
//! server), never a fixed sleep.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::serve::{free_port, jobs, sign_up_with_token, start};
use crate::{corpus, scratch};

/// A running watcher and the lines it prints.
struct Watch {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Watch {
    fn start(dir: &Path, base: &str, token: &str) -> Self {
        Self::start_with(dir, base, token, &[])
    }

    fn start_with(dir: &Path, base: &str, token: &str, extra: &[&OsStr]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_filmroom"))
            .args(["watch".as_ref(), dir.as_os_str()])
            .args(["--server", base, "--token", token])
            .args([
                "--stable-ms",
                "300",
                "--poll-ms",
                "20",
                "--backoff-ms",
                "100",
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (up to a minute) for a line containing every one of `parts`.
    fn expect(&mut self, parts: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if parts.iter().all(|p| line.contains(p)) {
                        return line;
                    }
                }
                Err(_) => panic!("no line with {parts:?}; the watcher said: {:#?}", self.seen),
            }
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn wait_for_jobs(base: &str, token: &str, count: usize) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now = jobs(base, token).await;
        if now.len() >= count {
            return now;
        }
        assert!(Instant::now() < deadline, "no {count} jobs: {now:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_replay_written_slowly_is_sent_once_when_complete_and_not_again_after_a_restart() {
    let data = scratch("watch-slow");
    let folder = data.join("demos");
    std::fs::create_dir_all(&folder).unwrap();
    let server = start(&data.join("server"), free_port()).await;
    let token = sign_up_with_token(&server.base).await;
    let bytes = std::fs::read(corpus("07e9")).unwrap();
    let mut watch = Watch::start(&folder, &server.base, &token);
    watch.expect(&["watching"]);

    // The game writes the file in chunks: the watcher sees each size and
    // sends nothing while the file is short of its declared length.
    let path = folder.join("07e9.replay");
    let mut file = std::fs::File::create(&path).unwrap();
    let chunk = bytes.len() / 4 + 1;
    let mut written = 0;
    for part in bytes.chunks(chunk) {
        file.write_all(part).unwrap();
        file.flush().unwrap();
        written += part.len();
        if written < bytes.len() {
            watch.expect(&["07e9.replay", &format!("({written} bytes")]);
            assert!(
                jobs(&server.base, &token).await.is_empty(),
                "sent before it was complete"
            );
        }
    }
    drop(file);
    let sent = watch.expect(&["sent 07e9.replay", &format!("({} bytes)", bytes.len())]);
    let game_id = sent.rsplit(' ').next().unwrap().to_owned();
    let jobs_now = wait_for_jobs(&server.base, &token, 1).await;
    assert_eq!(jobs_now.len(), 1, "{jobs_now:?}");
    let listed: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/v1/recordings", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let recordings = listed["recordings"].as_array().unwrap();
    assert_eq!(recordings.len(), 1, "{listed}");
    assert_eq!(recordings[0]["id"], game_id.as_str());
    assert_eq!(recordings[0]["size_bytes"], bytes.len());
    assert!(
        !watch.seen.iter().any(|l| l.starts_with("retrying")),
        "{:#?}",
        watch.seen
    );

    // A restarted watcher finds the file in its state and does not send it.
    drop(watch);
    let mut again = Watch::start(&folder, &server.base, &token);
    again.expect(&["already sent 07e9.replay", &game_id]);
    assert!(
        !again.seen.iter().any(|l| l.starts_with("sent ")),
        "{:#?}",
        again.seen
    );
    assert_eq!(jobs(&server.base, &token).await.len(), 1);

    // With --skip-existing (and a fresh state) the files already there are
    // left alone; a new one is still sent. The old files were due first
    // (seen earlier, sorted first), so a send of theirs would show by now.
    drop(again);
    std::fs::copy(corpus("heatseeker"), folder.join("heatseeker.replay")).unwrap();
    let state = data.join("fresh-state.json");
    let mut skipping = Watch::start_with(
        &folder,
        &server.base,
        &token,
        &[
            "--skip-existing".as_ref(),
            "--state".as_ref(),
            state.as_os_str(),
        ],
    );
    skipping.expect(&["watching"]);
    std::fs::copy(
        corpus("dropshot_rumble"),
        folder.join("dropshot_rumble.replay"),
    )
    .unwrap();
    skipping.expect(&["sent dropshot_rumble.replay"]);
    assert!(
        !skipping
            .seen
            .iter()
            .any(|l| l.contains("07e9") || l.contains("heatseeker")),
        "{:#?}",
        skipping.seen
    );
    assert_eq!(wait_for_jobs(&server.base, &token, 2).await.len(), 2);
}

#[tokio::test]
async fn a_replay_saved_while_the_server_is_down_is_sent_once_it_is_back() {
    let data = scratch("watch-down");
    let folder = data.join("demos");
    std::fs::create_dir_all(&folder).unwrap();
    let port = free_port();
    let server = start(&data.join("server"), port).await;
    let token = sign_up_with_token(&server.base).await;
    let base = server.base.clone();
    drop(server);

    let mut watch = Watch::start(&folder, &base, &token);
    watch.expect(&["watching"]);
    std::fs::copy(corpus("heatseeker"), folder.join("heatseeker.replay")).unwrap();
    watch.expect(&["retrying heatseeker.replay", "unreachable"]);

    let server = start(&data.join("server"), port).await;
    watch.expect(&["sent heatseeker.replay"]);
    let sent = wait_for_jobs(&server.base, &token, 1).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
}
