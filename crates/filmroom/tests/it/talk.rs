//! A talk through the real binary: `filmroom serve` registers the talk
//! domain with the bundled Whisper model (crates/filmroom/src/speech.rs), so
//! speech uploaded without a transcript is heard, and its words reach the
//! pace, filler and score measures.

use std::path::Path;
use std::time::{Duration, Instant};

use filmroom_test_support::speech;
use serde_json::Value;

use crate::scratch;
use crate::serve::{free_port, sign_up_with_token, start_with};

/// Two sentences spoken by espeak-ng with 2 s of silence between them.
fn spoken_talk(dir: &Path) -> Vec<u8> {
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

#[tokio::test]
async fn a_talk_uploaded_to_the_binary_is_heard_by_whisper_and_scored_from_its_words() {
    let data = scratch("talk-whisper");
    let server = start_with(&data, free_port(), &[]).await;
    let token = sign_up_with_token(&server.base).await;
    let client = reqwest::Client::new();
    let form = reqwest::multipart::Form::new().part(
        "files",
        reqwest::multipart::Part::bytes(spoken_talk(&data)).file_name("rehearsal.wav"),
    );
    let body: Value = client
        .post(format!("{}/api/v1/recordings", server.base))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["recordings"][0]["kind"], "talk", "{body}");
    let id = body["recordings"][0]["recording_id"].as_str().unwrap();

    let deadline = Instant::now() + Duration::from_secs(180);
    let detail = loop {
        let detail: Value = client
            .get(format!("{}/api/v1/recordings/{id}", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if matches!(detail["state"].as_str(), Some("done" | "dead")) {
            break detail;
        }
        assert!(Instant::now() < deadline, "not analysed: {detail}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(detail["state"], "done", "{detail}");

    let metric = |key: &str| -> f64 {
        detail["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["key"] == key)
            .and_then(|m| m["value"].as_f64())
            .unwrap_or_else(|| panic!("no {key}: {detail}"))
    };
    // Measures that exist only when words were heard.
    assert!(metric("pace.wpm") > 60.0, "{detail}");
    assert_eq!(
        metric("fillers.count"),
        0.0,
        "nothing but clean speech was said"
    );
    let score = metric("score");
    assert!((0.0..=100.0).contains(&score), "{score}");
    // The transcript the coach cites is what was said.
    let transcript: String = detail["passages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["text"].as_str().unwrap().to_lowercase())
        .collect::<Vec<_>>()
        .join(" ");
    for word in ["morning", "thank", "built", "year"] {
        assert!(transcript.contains(word), "{word} not heard: {transcript}");
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
}
