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

/// Whisper (crates/asr, the model `scripts/setup` installs) behind the talk
/// domain's transcriber seam, as the binary wires it.
struct Whisper(filmroom_asr::Whisper);

impl filmroom_talk::Transcriber for Whisper {
    fn transcribe(
        &self,
        samples: &[f32],
    ) -> Result<Vec<filmroom_talk::TimedWord>, filmroom_talk::TranscribeError> {
        let words = self
            .0
            .transcribe(samples)
            .map_err(|e| filmroom_talk::TranscribeError::Failed(e.to_string()))?;
        Ok(words
            .into_iter()
            .map(|w| filmroom_talk::TimedWord {
                text: w.text,
                start_s: w.start_s,
                end_s: w.end_s,
            })
            .collect())
    }
}

/// Replays and talks whose words Whisper hears, so talks get a score.
pub(crate) fn heard_talk_domains() -> filmroom_domain::Registry {
    let model = filmroom_asr::find_tiny_en().expect("Whisper tiny.en: run scripts/setup");
    let whisper = Whisper(filmroom_asr::Whisper::load(&model).unwrap());
    let mut domains = crate::rl_domains();
    domains
        .register(Arc::new(
            filmroom_talk::Talk::default().with_transcriber(Arc::new(whisper)),
        ))
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

#[tokio::test]
async fn the_progress_of_a_users_talks_lists_each_scored_talk_oldest_first_with_its_components() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with_domains(heard_talk_domains()).await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    let bob = app.sign_up("bob", crate::PASSWORD).await;
    let mut ids = Vec::new();
    // The values are "me"'s: the platform infers "me" once three
    // recordings share a participant. The last talk has a 4 s silence: a
    // long pause that costs points.
    for (name, gap_s) in [("first.wav", 1.0), ("second.wav", 1.0), ("third.wav", 4.0)] {
        let sub = dir.path().join(name);
        std::fs::create_dir_all(&sub).unwrap();
        let wav = speech::spoken_wav(
            &sub,
            &[
                "Good morning, and thank you all for coming today.",
                "Let me show you what we built this year.",
            ],
            140,
            gap_s,
        );
        let (status, body) = alice
            .upload_recordings(&app, vec![(name, std::fs::read(wav).unwrap())])
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let id = body["recordings"][0]["recording_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let detail = alice.settled_recording(&app, &id).await;
        assert_eq!(detail["state"], "done", "{detail}");
        ids.push((id, detail));
    }

    let progress = alice.get_json(&app, "/api/v1/progress?kind=talk").await;
    let kinds = progress["kinds"].as_array().unwrap();
    assert_eq!(kinds.len(), 1, "{progress}");
    let talks = &kinds[0];
    assert_eq!(talks["kind"], "talk");
    assert_eq!(talks["headline"]["key"], "score");
    let components: Vec<&str> = talks["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        components,
        [
            "score.pace",
            "score.fluency",
            "score.pauses",
            "score.pitch",
            "score.volume"
        ]
    );
    let recordings = talks["recordings"].as_array().unwrap();
    let listed: Vec<&str> = recordings
        .iter()
        .map(|r| r["recording_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        [ids[0].0.as_str(), ids[1].0.as_str(), ids[2].0.as_str()],
        "oldest first"
    );
    for (row, (_, detail)) in recordings.iter().zip(&ids) {
        let stored = detail["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["key"] == "score")
            .and_then(|m| m["value"].as_f64())
            .unwrap_or_else(|| panic!("a heard talk is scored: {detail}"));
        let headline = row["headline"]
            .as_f64()
            .unwrap_or_else(|| panic!("no headline in {progress}"));
        assert_eq!(headline, stored, "the stored score");
        // The components are the score's parts: they sum to it.
        let sum: f64 = row["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_f64().unwrap())
            .sum();
        assert!((sum - headline).abs() < 1e-6, "{sum} vs {headline}");
    }
    let pauses = |i: usize| recordings[i]["components"][2].as_f64().unwrap();
    assert!(pauses(2) < pauses(0), "the long pause cost pause points");

    // The page: a row per talk linking to it, and the score charted.
    let page = alice.get_page(&app, "/progress").await;
    for (id, _) in &ids {
        assert!(page.contains(&format!("href=\"/games/{id}\"")), "{page}");
    }
    assert!(page.contains("<svg"), "{page}");
    assert!(
        page.contains("href=\"/progress\""),
        "linked from the header"
    );

    // Nobody else's talks, and no progress view of a kind that has none.
    let theirs = bob.get_json(&app, "/api/v1/progress").await;
    assert_eq!(theirs["kinds"], serde_json::json!([]), "{theirs}");
    let response = alice
        .client
        .get(app.url("/api/v1/progress?kind=rl_replay"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(crate::error_code(response).await, "no_progress");
}
