//! A transcript uploaded beside a talk's media (issue 10): paired by name in
//! one `POST /api/v1/recordings` batch, stored with the recording, and used
//! by the analysis instead of speech recognition; a malformed one, one with
//! no media, or one beside a kind that takes none is refused on its own
//! line, leaving nothing behind; a new transcript for stored media
//! re-analyses it.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use filmroom_talk::{Talk, TimedWord, TranscribeError, Transcriber};
use filmroom_test_support::speech;
use reqwest::StatusCode;
use serde_json::Value;

use crate::{TestApp, User, spawn_app_with_domains};

/// Stands in for speech recognition with words nobody said in the audio,
/// so a test can tell which source an analysis used.
struct Scripted;

const HEARD: &str = "zebras";

impl Transcriber for Scripted {
    fn transcribe(&self, samples: &[f32]) -> Result<Vec<TimedWord>, TranscribeError> {
        let seconds = samples.len() as f64 / 16_000.0;
        Ok((0..6)
            .map(|i| TimedWord {
                text: if i == 5 {
                    format!("{HEARD}.")
                } else {
                    HEARD.to_owned()
                },
                start_s: seconds * f64::from(i) / 7.0,
                end_s: seconds * (f64::from(i) + 0.8) / 7.0,
            })
            .collect())
    }
}

fn domains() -> filmroom_domain::Registry {
    let mut domains = crate::rl_domains();
    domains
        .register(Arc::new(
            Talk::default().with_transcriber(Arc::new(Scripted)),
        ))
        .unwrap();
    domains
}

/// Two sentences with a 1.5 s silence between them, as WAV, and the same in
/// an mp4 (AAC) made by ffmpeg.
fn spoken(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    let wav = speech::spoken_wav(
        dir,
        &[
            "Thank you all for coming this morning.",
            "Here is what we learned this year.",
        ],
        150,
        1.5,
    );
    let mp4 = dir.join("talk.mp4");
    let out = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-i"])
        .arg(&wav)
        .args(["-c:a", "aac", "-b:a", "64k"])
        .arg(&mp4)
        .output()
        .expect("ffmpeg (scripts/setup installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (std::fs::read(wav).unwrap(), std::fs::read(mp4).unwrap())
}

fn vtt(first: &str, second: &str) -> Vec<u8> {
    format!("WEBVTT\n\n00:00.000 --> 00:03.500\n{first}\n\n00:03.500 --> 00:07.500\n{second}\n")
        .into_bytes()
}

fn passages(detail: &Value) -> String {
    detail["passages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["text"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join(" | ")
}

async fn total(app: &TestApp, user: &User) -> u64 {
    user.get_json(app, "/api/v1/recordings").await["total"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn a_talk_sent_with_its_vtt_is_analysed_from_the_transcripts_words_not_recognized_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (wav, mp4) = spoken(dir.path());
    let app = spawn_app_with_domains(domains()).await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    let (status, body) = alice
        .upload_recordings(
            &app,
            vec![
                // The transcript may come before its media, in another case.
                (
                    "Keynote.vtt",
                    vtt(
                        "Thank you all for coming this morning.",
                        "Here is what we learned this year.",
                    ),
                ),
                ("keynote.mp4", mp4),
                ("rehearsal.wav", wav),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["stored"], 2, "{body}");
    assert_eq!(body["refused"], 0, "{body}");
    let files = body["recordings"].as_array().unwrap();
    assert_eq!(files[0]["status"], "attached", "{body}");
    assert_eq!(files[0]["purpose"], "transcript");
    assert_eq!(files[0]["recording_id"], files[1]["recording_id"]);
    assert_eq!(files[1]["status"], "stored");
    assert_eq!(files[1]["kind"], "talk");

    let with_transcript = alice
        .settled_recording(&app, files[1]["recording_id"].as_str().unwrap())
        .await;
    assert_eq!(with_transcript["state"], "done", "{with_transcript}");
    let text = passages(&with_transcript);
    assert!(
        text.contains("Thank you all for coming this morning."),
        "{text}"
    );
    assert!(
        text.contains("Here is what we learned this year."),
        "{text}"
    );
    assert!(!text.contains(HEARD), "{text}");
    let words: f64 = with_transcript["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == "pace.wpm")
        .and_then(|m| m["value"].as_f64())
        .unwrap();
    assert!(words > 0.0, "{with_transcript}");

    // The same batch's media without a transcript was recognized instead.
    let recognized = alice
        .settled_recording(&app, files[2]["recording_id"].as_str().unwrap())
        .await;
    assert!(passages(&recognized).contains(HEARD), "{recognized}");
}

#[tokio::test]
async fn a_malformed_transcript_refuses_it_and_its_media_and_leaves_no_row_or_object() {
    let dir = tempfile::tempdir().unwrap();
    let (wav, _) = spoken(dir.path());
    let app = spawn_app_with_domains(domains()).await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    let broken = b"WEBVTT\n\n00:05.000 --> 00:01.000\nbackwards\n".to_vec();
    let (status, body) = alice
        .upload_recordings(&app, vec![("talk.wav", wav), ("talk.vtt", broken)])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["stored"], 0);
    assert_eq!(body["refused"], 2);
    for file in body["recordings"].as_array().unwrap() {
        assert_eq!(file["status"], "refused", "{body}");
        assert_eq!(file["error"]["code"], "unreadable_companion", "{body}");
        let message = file["error"]["message"].as_str().unwrap();
        assert!(message.contains("talk.vtt"), "{message}");
    }
    assert_eq!(total(&app, &alice).await, 0);
    assert_eq!(app.object_files(), 0);
}

#[tokio::test]
async fn a_transcript_without_its_media_or_beside_a_replay_is_refused_on_its_own_line() {
    let app = spawn_app_with_domains(domains()).await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    let replay = crate::replay_bytes("00bb.replay");
    let (status, body) = alice
        .upload_recordings(
            &app,
            vec![
                (
                    "orphan.srt",
                    b"1\n00:00:01,000 --> 00:00:02,000\nHello.\n".to_vec(),
                ),
                ("match.replay", replay),
                ("match.vtt", vtt("One.", "Two.")),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let files = body["recordings"].as_array().unwrap();
    assert_eq!(
        files[0]["error"]["code"], "companion_without_media",
        "{body}"
    );
    assert_eq!(files[1]["status"], "stored", "{body}");
    assert_eq!(
        files[2]["error"]["code"], "companion_not_accepted",
        "{body}"
    );
    assert_eq!(
        (body["stored"].as_u64(), body["refused"].as_u64()),
        (Some(1), Some(2))
    );
    // Only the replay's object is stored.
    assert_eq!(app.object_files(), 1);
    // The upload page offers transcripts and tells its script which files
    // go with a recording, so it sends them together.
    let page = alice.get_page(&app, "/uploads").await;
    assert!(page.contains(r#"data-companions=".vtt,.srt""#), "{page}");
    assert!(page.contains(r#"action="/api/v1/recordings""#), "{page}");
    let accept = page
        .split("accept=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert!(accept.split(',').any(|e| e == ".vtt"), "{accept}");
}

#[tokio::test]
async fn the_same_media_with_a_different_transcript_is_reanalysed_with_its_words() {
    let dir = tempfile::tempdir().unwrap();
    let (wav, _) = spoken(dir.path());
    let app = spawn_app_with_domains(domains()).await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    let (status, body) = alice
        .upload_recordings(
            &app,
            vec![
                ("talk.wav", wav.clone()),
                ("talk.vtt", vtt("First draft.", "Still drafting.")),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["recordings"][0]["recording_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let first = alice.settled_recording(&app, &id).await;
    assert!(passages(&first).contains("First draft."), "{first}");

    let (status, body) = alice
        .upload_recordings(
            &app,
            vec![
                ("talk.wav", wav),
                (
                    "talk.srt",
                    b"1\n00:00:00,000 --> 00:00:07,500\nThe final words.\n".to_vec(),
                ),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stored = &body["recordings"][0];
    assert_eq!(stored["recording_id"], id.as_str());
    assert_eq!(stored["newly_stored"], false);
    assert!(
        stored["job_id"].is_string(),
        "the re-analysis is shown: {body}"
    );
    assert_eq!(body["recordings"][1]["status"], "attached", "{body}");

    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let detail = alice
            .get_json(&app, &format!("/api/v1/recordings/{id}"))
            .await;
        let text = passages(&detail);
        if text.contains("The final words.") {
            assert!(!text.contains("First draft."), "{text}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not re-analysed: {detail}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The replaced transcript's object is gone: the media and the new one remain.
    assert_eq!(app.object_files(), 2);
}
