//! The talk domain (crates/talk) through the real app: a WAV spoken by
//! espeak-ng with a silence cut in by sox is uploaded, analysed by a
//! worker from its stored file path, and shows up in the API and on its
//! page; a text file named like a video is refused at upload, and a silent
//! recording fails its job with a reason.

use std::path::Path;
use std::sync::Arc;

use filmroom_test_support::speech;
use reqwest::StatusCode;
use serde_json::Value;

use crate::spawn_app_with_domains;

/// Two sentences with 2 s of silence between them, as 16 kHz WAV bytes.
pub(crate) fn spoken_talk(dir: &Path) -> Vec<u8> {
    let talk = speech::spoken_wav(
        dir,
        &[
            "Good morning, and thank you all for coming today.",
            "Let me show you what we built this year.",
        ],
        140,
        2.0,
    );
    std::fs::read(talk).unwrap()
}

fn silent_wav(dir: &Path) -> Vec<u8> {
    std::fs::read(speech::silent_wav(dir, 2.0)).unwrap()
}

pub(crate) fn talk_domains() -> filmroom_domain::Registry {
    let mut domains = crate::rl_domains();
    domains
        .register(Arc::new(filmroom_talk::Talk::default()))
        .unwrap();
    domains
}

#[tokio::test]
async fn a_spoken_wav_uploads_as_a_talk_with_its_pause_audio_metrics_and_page() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with_domains(talk_domains()).await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    let (status, body) = alice
        .upload_recordings(&app, vec![("rehearsal.wav", spoken_talk(dir.path()))])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let file = &body["recordings"][0];
    assert_eq!(file["kind"], "talk", "{body}");
    let id = file["recording_id"].as_str().unwrap().to_owned();
    let detail = alice.settled_recording(&app, &id).await;
    assert_eq!(detail["state"], "done", "{detail}");
    assert_eq!(detail["kind"], "talk");
    let keys: Vec<&str> = detail["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["key"].as_str().unwrap())
        .collect();
    for key in [
        "pauses.count",
        "pauses.longest_s",
        "speech.ratio",
        "pitch.mean_hz",
        "pitch.range_st",
        "volume.level_db",
    ] {
        assert!(keys.contains(&key), "{key} missing: {keys:?}");
    }
    let pauses: Vec<&Value> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "pause" && e["payload"]["duration_s"].as_f64().unwrap() >= 1.5)
        .collect();
    assert_eq!(pauses.len(), 1, "{detail}");
    // Each tab of the talk's page, rendered by the web's own templates.
    for (tab, text) in [
        ("overview", "Speaking time"),
        ("charts", "Pitch per 30 seconds"),
        ("flags", "Pause of"),
    ] {
        let page = alice
            .client
            .get(app.url(&format!("/games/{id}?tab={tab}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        assert!(html.contains(text), "{text} not on the {tab} tab");
    }
    let talks = alice.get_json(&app, "/api/v1/recordings?kind=talk").await;
    assert_eq!(talks["total"], 1, "{talks}");
}

#[tokio::test]
async fn the_upload_page_offers_every_kinds_files_and_states_each_kinds_own_size_limit() {
    let app = spawn_app_with_domains(talk_domains()).await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    let page = alice.get_page(&app, "/uploads").await;
    let accept = page
        .split("accept=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no accept list: {page}"));
    let offered: Vec<&str> = accept.split(',').collect();
    for extension in [".replay", ".mp4", ".wav", ".webm", ".flac"] {
        assert!(offered.contains(&extension), "{extension} not in {accept}");
    }
    // Replays keep their 10 MiB below the 512 MiB ceiling; talks their 500 MB.
    assert!(page.contains("Rocket League replay 10 MB"), "{page}");
    assert!(page.contains("Talk 500 MB"), "{page}");
}

#[tokio::test]
async fn a_text_file_named_mp4_is_refused_at_upload_and_silence_fails_its_job_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with_domains(talk_domains()).await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    let (status, body) = alice
        .upload_recordings(
            &app,
            vec![("keynote.mp4", b"speaker notes, not a video".to_vec())],
        )
        .await;
    let file = &body["recordings"][0];
    assert!(
        status.is_client_error() || file["status"] != "stored",
        "{status} {body}"
    );
    assert!(body.to_string().contains("not_media"), "{body}");
    let listed = alice.get_json(&app, "/api/v1/recordings").await;
    assert_eq!(listed["total"], 0, "{listed}");

    let (status, body) = alice
        .upload_recordings(&app, vec![("silence.wav", silent_wav(dir.path()))])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["recordings"][0]["recording_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let detail = alice.settled_recording(&app, &id).await;
    assert_eq!(detail["state"], "dead", "{detail}");
    assert!(
        detail["error"]
            .as_str()
            .unwrap_or_default()
            .contains("no speech"),
        "{detail}"
    );
}
