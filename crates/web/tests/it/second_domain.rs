//! A second kind of recording, defined here and nowhere in the platform:
//! plain-text transcripts of `[m:ss] text` lines. Registered beside Rocket
//! League, it goes through the real app like any domain: upload (recognized
//! by its name and first line, within its own size limit), the job, the
//! stored metrics, events and passages, the list and detail API and the
//! recording's page. If the web, the jobs or the store named a kind, this
//! would fail.

use std::sync::Arc;
use std::time::Duration;

use filmroom_domain::{
    Analysis, AnalysisError, AnalysisInput, CoachProfile, Column, Domain, Event, Fact, Facts,
    InputMode, Kind, Limits, Metric, MetricDefinition, Participant, Passage, Recognition,
    ReportError, Section, SectionBody, Span, Subject, Table, TableRow, TimelineEntry, Unit,
    parse_clock,
};
use reqwest::StatusCode;
use serde_json::Value;

use crate::{TestApp, User, replay_bytes, spawn_app_with_domains};

const MAGIC: &str = "#filmroom-test-transcript";
const MAX_BYTES: u64 = 4096;

/// Transcripts: `#filmroom-test-transcript`, `speaker: NAME`, then
/// `[m:ss] text` lines in time order.
struct Transcripts;

/// What the domain reads out of a transcript: its report.
#[derive(serde::Serialize, serde::Deserialize)]
struct Report {
    speaker: String,
    lines: Vec<(u64, String)>,
    words: usize,
    wpm: f64,
}

fn parse(text: &str) -> Result<Report, String> {
    let mut lines = text.lines();
    if lines.next() != Some(MAGIC) {
        return Err("no transcript header".into());
    }
    let speaker = lines
        .next()
        .and_then(|l| l.strip_prefix("speaker: "))
        .ok_or("no speaker line")?
        .trim()
        .to_owned();
    let mut out = Vec::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let (clock, said) = line
            .strip_prefix('[')
            .and_then(|l| l.split_once("] "))
            .ok_or_else(|| format!("not a [m:ss] line: {line:?}"))?;
        let t = parse_clock(clock).ok_or_else(|| format!("not a time: {clock:?}"))?;
        out.push((t, said.to_owned()));
    }
    let words = out.iter().map(|(_, s)| s.split_whitespace().count()).sum();
    let minutes = out.last().map_or(0, |(t, _)| *t + 5) as f64 / 60.0;
    Ok(Report {
        speaker,
        wpm: if minutes > 0.0 {
            words as f64 / minutes
        } else {
            0.0
        },
        lines: out,
        words,
    })
}

fn speaker_key(report: &Report) -> String {
    format!("speaker:{}", report.speaker.to_lowercase())
}

impl Domain for Transcripts {
    fn kind(&self) -> Kind {
        Kind::from_static("test_transcript")
    }

    fn display_name(&self) -> &str {
        "test transcript"
    }

    fn recognize(&self, filename: &str, head: &[u8]) -> Recognition {
        if filename.ends_with(".transcript") && head.starts_with(MAGIC.as_bytes()) {
            Recognition::ByContent
        } else {
            Recognition::No
        }
    }

    fn limits(&self) -> Limits {
        Limits {
            max_bytes: MAX_BYTES,
            time_limit: Duration::from_secs(10),
            input: InputMode::Bytes,
        }
    }

    fn revision(&self) -> u32 {
        1
    }

    fn analyze(&self, input: AnalysisInput<'_>) -> Result<Analysis, AnalysisError> {
        let AnalysisInput::Bytes(bytes) = input else {
            return Err(AnalysisError::Internal("bytes expected".into()));
        };
        let text = std::str::from_utf8(bytes).map_err(|e| AnalysisError::Invalid {
            reason: e.to_string(),
        })?;
        let report = parse(text).map_err(|reason| AnalysisError::Invalid { reason })?;
        let me = Subject::Participant(speaker_key(&report));
        let duration = report.lines.last().map_or(0, |(t, _)| *t + 5) as f64;
        let metric = |subject: &Subject, key: &str, value: f64, unit| Metric {
            subject: subject.clone(),
            key: key.into(),
            value,
            unit,
            higher_is_better: None,
        };
        let mut events = Vec::new();
        for (t, said) in &report.lines {
            let kind = if said.contains(" um ") {
                "filler"
            } else {
                "line"
            };
            events.push(Event {
                t_s: *t as f64,
                kind: kind.into(),
                subject: me.clone(),
                label: said.clone(),
                position: None,
                payload: Value::Null,
            });
        }
        let passages = report
            .lines
            .iter()
            .map(|(t, said)| Passage {
                span: Span::Time {
                    start_s: *t as f64,
                    end_s: *t as f64,
                },
                text: said.clone(),
            })
            .collect();
        Ok(Analysis {
            facts: Facts {
                title: format!("{} speaking", report.speaker),
                occurred_at: None,
                duration_s: Some(duration),
                facets: [("speaker".to_owned(), report.speaker.to_lowercase())].into(),
                outcome: filmroom_domain::Outcome::None,
            },
            sides: vec![],
            participants: vec![Participant {
                key: speaker_key(&report),
                display_name: report.speaker.clone(),
                side: None,
                is_bot: false,
            }],
            metrics: vec![
                metric(&me, "pace.wpm", report.wpm, Unit::PerMinute),
                metric(&me, "pace.words", report.words as f64, Unit::Count),
                metric(
                    &Subject::Recording,
                    "text.lines",
                    report.lines.len() as f64,
                    Unit::Count,
                ),
            ],
            events,
            passages,
            report: serde_json::to_value(&report)
                .map_err(|e| AnalysisError::Internal(e.to_string()))?,
            revision: 1,
            degraded: None,
        })
    }

    fn metric_definitions(&self) -> Vec<MetricDefinition> {
        let def = |key: &str, label: &str, unit| MetricDefinition {
            key: key.into(),
            label: label.into(),
            unit,
            description: label.into(),
            higher_is_better: None,
            family: key.split('.').next().unwrap_or_default().into(),
        };
        vec![
            def("pace.wpm", "Words per minute", Unit::PerMinute),
            def("pace.words", "Words", Unit::Count),
            def("text.lines", "Lines", Unit::Count),
        ]
    }

    fn coach_profile(&self) -> CoachProfile {
        CoachProfile {
            name: "Transcripts".into(),
            markdown: "Pace is in words per minute.".into(),
        }
    }

    fn page_sections(&self, report: &Value) -> Result<Vec<Section>, ReportError> {
        let report: Report = serde_json::from_value(report.clone()).map_err(|e| ReportError {
            reason: e.to_string(),
        })?;
        Ok(vec![
            Section {
                title: "Delivery".into(),
                body: SectionBody::Facts {
                    facts: vec![Fact {
                        label: "Speaker".into(),
                        value: report.speaker.clone(),
                    }],
                },
            },
            Section {
                title: "Pace".into(),
                body: SectionBody::Table(Table {
                    columns: vec![
                        Column {
                            label: "Words".into(),
                            unit: Some(Unit::Count),
                        },
                        Column {
                            label: "Pace".into(),
                            unit: Some(Unit::PerMinute),
                        },
                    ],
                    rows: vec![TableRow {
                        label: report.speaker.clone(),
                        cells: vec![
                            filmroom_domain::Cell::Number(report.words as f64),
                            filmroom_domain::Cell::Number(report.wpm),
                        ],
                    }],
                }),
            },
            Section {
                title: "What was said".into(),
                body: SectionBody::Timeline {
                    entries: report
                        .lines
                        .iter()
                        .map(|(t, said)| TimelineEntry {
                            t_s: *t as f64,
                            kind: "line".into(),
                            label: said.clone(),
                        })
                        .collect(),
                },
            },
        ])
    }
}

/// Rocket League and the transcripts, as a binary with both would register them.
fn two_domains() -> filmroom_domain::Registry {
    let mut domains = crate::rl_domains();
    domains.register(Arc::new(Transcripts)).unwrap();
    domains
}

const TALK: &str = "#filmroom-test-transcript
speaker: Ann
[0:00] good morning everyone and welcome
[0:07] today we look at um three ideas
[1:05] the second idea is the one that matters
";

/// Waits for the recording's analysis, which must succeed.
async fn wait_until_analysed(app: &TestApp, user: &User, id: &str) -> Value {
    let detail = user.settled_recording(app, id).await;
    assert_eq!(detail["state"], "done", "the job died: {detail}");
    detail
}

/// Uploads [`TALK`] through the real app and waits for its analysis: the
/// recording's id and its detail. The coach's tool-and-citation step of the
/// second-domain test starts from here.
pub async fn upload_and_analyse_transcript(app: &TestApp, user: &User) -> (String, Value) {
    let (status, body) = user
        .upload_recordings(app, vec![("talk.transcript", TALK.into())])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let file = &body["recordings"][0];
    assert_eq!(file["status"], "stored", "{body}");
    assert_eq!(file["kind"], "test_transcript");
    let id = file["recording_id"].as_str().unwrap().to_owned();
    let detail = wait_until_analysed(app, user, &id).await;
    (id, detail)
}

#[tokio::test]
async fn a_domain_defined_in_a_test_goes_from_upload_to_stored_rows_api_and_page() {
    let app = spawn_app_with_domains(two_domains()).await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    let (id, detail) = upload_and_analyse_transcript(&app, &alice).await;

    // The detail API: the domain's facts, participants, metrics, events and passages.
    assert_eq!(detail["kind"], "test_transcript");
    assert_eq!(detail["facts"]["title"], "Ann speaking");
    assert_eq!(detail["facts"]["facets"]["speaker"], "ann");
    assert_eq!(detail["participants"][0]["key"], "speaker:ann");
    let metric = |key: &str| {
        detail["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["key"] == key)
            .unwrap_or_else(|| panic!("no {key}: {detail}"))
            .clone()
    };
    // 20 words over 70 seconds (the last line at 1:05, plus 5 s).
    assert_eq!(metric("pace.words")["value"], 20.0);
    let wpm = metric("pace.wpm")["value"].as_f64().unwrap();
    assert!((wpm - 20.0 / (70.0 / 60.0)).abs() < 1e-9, "{wpm}");
    assert_eq!(metric("pace.wpm")["unit"], "per_minute");
    assert_eq!(metric("text.lines")["subject"], "recording");
    let events = detail["events"].as_array().unwrap();
    let kinds: Vec<(&str, f64)> = events
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["t_s"].as_f64().unwrap()))
        .collect();
    assert_eq!(kinds, [("line", 0.0), ("filler", 7.0), ("line", 65.0)]);
    let passages = detail["passages"].as_array().unwrap();
    assert_eq!(passages.len(), 3);
    assert_eq!(
        passages[2]["text"],
        "the second idea is the one that matters"
    );

    // The list by kind, beside Rocket League.
    let (status, _) = alice
        .upload_recordings(&app, vec![("game.replay", replay_bytes("07e9.replay"))])
        .await;
    assert_eq!(status, StatusCode::OK);
    let talks = alice
        .get_json(&app, "/api/v1/recordings?kind=test_transcript")
        .await;
    assert_eq!(talks["total"], 1, "{talks}");
    assert_eq!(talks["recordings"][0]["id"], id.as_str());
    let all = alice.get_json(&app, "/api/v1/recordings").await;
    assert_eq!(all["total"], 2, "{all}");
    let replays = alice
        .get_json(&app, "/api/v1/recordings?kind=rl_replay")
        .await;
    assert_eq!(replays["total"], 1, "{replays}");

    // The report is the domain's own.
    let report = alice
        .get_json(&app, &format!("/api/v1/recordings/{id}/report"))
        .await;
    assert_eq!(report["speaker"], "Ann");
    assert_eq!(report["words"], 20);

    // The recording's page shows the domain's sections, laid out by the web.
    let page = alice
        .client
        .get(app.url(&format!("/games/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    for expected in [
        "Delivery",
        "Speaker",
        "What was said",
        "Words (count)",
        "Pace (/min)",
        "17.1",
        "1:05",
        "the second idea is the one that matters",
    ] {
        assert!(html.contains(expected), "{expected:?} missing from {html}");
    }
}

#[tokio::test]
async fn files_of_the_second_domain_are_refused_on_their_own_with_their_domains_limits() {
    let app = spawn_app_with_domains(two_domains()).await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    let mut long = TALK.to_owned();
    while long.len() as u64 <= MAX_BYTES {
        long.push_str("[1:10] and more words to make it long\n");
    }
    let (status, body) = alice
        .upload_recordings(
            &app,
            vec![
                ("long.transcript", long.into_bytes()),
                // The right name without the first line, and the reverse.
                ("plain.transcript", b"[0:01] hello".to_vec()),
                ("talk.txt", TALK.into()),
                ("talk.transcript", TALK.into()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let outcomes: Vec<(&str, &str)> = body["recordings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["filename"].as_str().unwrap(),
                f["error"]["code"].as_str().unwrap_or("stored"),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("long.transcript", "file_too_large"),
            ("plain.transcript", "unrecognized_file"),
            ("talk.txt", "unrecognized_file"),
            ("talk.transcript", "stored"),
        ]
    );
    let message = body["recordings"][1]["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("plain.transcript") && message.contains("test transcript"),
        "{message}"
    );
    assert_eq!(app.object_files(), 1);
    assert_eq!(app.temp_files(), 0);
    let list = alice.get_json(&app, "/api/v1/recordings").await;
    assert_eq!(list["total"], 1);
}

/// The last leg: a coach tool finds the domain's stored passage of the
/// uploaded transcript and the answer cites its moment as `[rec:ID@m:ss]`,
/// which links to the recording's page at that moment.
#[tokio::test]
async fn the_coach_finds_the_second_domains_moment_with_a_tool_and_cites_it() {
    use crate::coach::{FakeModel, plan, use_fake_model};
    use crate::coach_stored::{SearchingModel, search};

    let model = SearchingModel::start().await;
    let fake = FakeModel {
        base_url: model.base_url.clone(),
        input_tokens: Arc::default(),
        output_tokens: Arc::default(),
        calls: Arc::default(),
        requests: Arc::default(),
    };
    let app = crate::spawn_app_built(
        |config| use_fake_model(config, &fake, plan(10_000_000, 1_000)),
        false,
        axum::Router::new(),
        two_domains(),
    )
    .await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    let (id, _) = upload_and_analyse_transcript(&app, &alice).await;

    let (reply, found) = search(&alice, &app, &model, "the one that matters").await;
    let results = found["results"].as_array().unwrap();
    assert!(!results.is_empty(), "{found}");
    for hit in results {
        assert_eq!(hit["recording_id"], id.as_str(), "{hit}");
    }
    let cite = results[0]["cite_as"].as_str().unwrap();
    assert_eq!(cite, format!("[rec:{id}@1:05]"));
    assert!(reply.text().contains(cite), "{}", reply.text());
    let done = reply.event("done").unwrap();
    let citations = done["citations"].as_array().unwrap();
    assert_eq!(citations.len(), 1, "{done}");
    let url = citations[0]["url"].as_str().unwrap();
    assert_eq!(url, format!("/games/{id}?tab=timeline&t=65"));

    // The cited link opens the transcript's page at that moment.
    let page = alice.client.get(app.url(url)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Cited moment: 1:05"), "{html}");
    assert!(html.contains("the second idea is the one that matters"));
}

#[tokio::test]
async fn the_api_document_offers_every_registered_kind_for_the_identities_and_no_other() {
    let app = spawn_app_with_domains(two_domains()).await;
    let doc: Value = app
        .client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kind = &doc["components"]["schemas"]["SetIdentities"]["properties"]["kind"];
    let mut kinds: Vec<&str> = kind["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["rl_replay", "test_transcript"]);
    let key = &doc["components"]["schemas"]["SetIdentities"]["properties"]["participants"];
    assert_eq!(key["maxItems"], 20);
    assert_eq!(key["items"]["maxLength"], 200);
}
