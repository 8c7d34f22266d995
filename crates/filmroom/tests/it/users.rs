//! `filmroom users export` and `filmroom users delete` as an operator runs
//! them, beside a running server on the same data directory.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::serve::{free_port, jobs, sign_up_with_token, start};
use crate::{corpus, scratch};

fn run(data: &std::path::Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_filmroom"))
        .args(args)
        .env("FILMROOM__STORAGE__DATA_DIR", data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn files_under(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| {
            if e.path().is_dir() {
                files_under(&e.path())
            } else {
                1
            }
        })
        .sum()
}

#[tokio::test]
async fn an_operator_exports_a_user_to_a_zip_then_erases_them_and_their_files() {
    let data = scratch("users-cli");
    let server = start(&data, free_port()).await;
    let token = sign_up_with_token(&server.base).await;
    let bytes = std::fs::read(corpus("07e9")).unwrap();
    let uploaded = reqwest::Client::new()
        .post(format!("{}/api/v1/replays", server.base))
        .bearer_auth(&token)
        .multipart(reqwest::multipart::Form::new().part(
            "files",
            reqwest::multipart::Part::bytes(bytes.clone()).file_name("mine.replay"),
        ))
        .send()
        .await
        .unwrap();
    assert!(uploaded.status().is_success());
    let deadline = Instant::now() + Duration::from_secs(60);
    while !jobs(&server.base, &token)
        .await
        .iter()
        .all(|j| j["state"] == "done")
    {
        assert!(Instant::now() < deadline, "the upload was not analysed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let out = data.join("alice.zip");
    let out_arg = out.to_str().unwrap();
    let (code, stdout, stderr) = run(&data, &["users", "export", "alice", "--out", out_arg], "");
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("exported alice"), "{stdout}");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let recordings: serde_json::Value = {
        let entry = zip.by_name("recordings.json").unwrap();
        serde_json::from_reader(entry).unwrap()
    };
    let file = recordings[0]["file"].as_str().unwrap().to_owned();
    let mut stored = Vec::new();
    std::io::Read::read_to_end(&mut zip.by_name(&file).unwrap(), &mut stored).unwrap();
    assert_eq!(stored, bytes);
    // An existing file is never overwritten.
    let (code, _, stderr) = run(&data, &["users", "export", "alice", "--out", out_arg], "");
    assert_eq!(code, 1, "{stderr}");

    let objects = data.join("objects");
    assert_eq!(files_under(&objects), 1);
    // Without --yes the name must be typed again.
    let (code, _, stderr) = run(&data, &["users", "delete", "alice"], "bob\n");
    assert_eq!(code, 1);
    assert!(stderr.contains("nothing was erased"), "{stderr}");
    let (code, stdout, stderr) = run(&data, &["users", "delete", "alice"], "alice\n");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("erased alice: 1 recording(s) deleted"),
        "{stdout}"
    );
    assert_eq!(files_under(&objects), 0);
    let (_, listed, _) = run(&data, &["users", "list"], "");
    assert!(!listed.contains("alice"), "{listed}");
    // Her token died with her account.
    let me = reqwest::Client::new()
        .get(format!("{}/api/v1/me", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), reqwest::StatusCode::UNAUTHORIZED);
    let (code, _, stderr) = run(&data, &["users", "delete", "alice", "--yes"], "");
    assert_eq!(code, 1);
    assert!(stderr.contains("no user named alice"), "{stderr}");
}
