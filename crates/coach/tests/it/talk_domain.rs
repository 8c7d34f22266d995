//! The built-in analyst over a domain defined here, not Rocket League: recorded
//! talks with a speaking pace, fillers per minute and a score. Its words and
//! numbers come from the talk domain's digest spec alone, so nothing of Rocket
//! League's (games, goals, boost, replays, wins) is needed or said.

use std::collections::BTreeMap;
use std::sync::Arc;

use filmroom_coach::analyst::fmt_num;
use filmroom_coach::citations::format_citation;
use filmroom_coach::{GameDigest, InMemoryData, ProviderBinding, TurnOutcome};
use filmroom_domain::{
    CoachDigestSpec, CoachRecording, CoachWords, FactWord, HeadlineStat, Noun, StatFamily,
};
use time::OffsetDateTime;
use time::macros::datetime;

use crate::turn::{RecordingMeter, done, request, run};

const KIND: &str = "talk";

fn stat(name: &str, metric: &str, label: &str, family: &str, suffix: &str) -> HeadlineStat {
    HeadlineStat {
        name: name.to_owned(),
        metric: metric.to_owned(),
        label: label.to_owned(),
        family: family.to_owned(),
        suffix: suffix.to_owned(),
        higher_is_better: None,
        whole: false,
        noun: None,
        short_label: String::new(),
    }
}

/// Two families: delivery (pace, fillers) and the overall score.
fn talk_spec() -> CoachDigestSpec {
    let pace = stat("pace", "pace.wpm", "speaking pace", "delivery", " wpm");
    let fillers = HeadlineStat {
        higher_is_better: Some(false),
        short_label: "fillers per minute".to_owned(),
        ..stat(
            "fillers",
            "fillers.per_minute",
            "fillers per minute",
            "delivery",
            "",
        )
    };
    let score = HeadlineStat {
        higher_is_better: Some(true),
        whole: true,
        short_label: "overall".to_owned(),
        ..stat("score", "score", "overall score", "overall", "/100")
    };
    let family = |name: &str, title: &str, words: &[&str]| StatFamily {
        name: name.to_owned(),
        title: title.to_owned(),
        asked_as: name.to_owned(),
        words: words.iter().map(|w| (*w).to_owned()).collect(),
        precedence: 0,
    };
    CoachDigestSpec {
        headline: vec![pace, fillers, score],
        families: vec![
            family("delivery", "delivery", &["pace", "filler", "delivery"]),
            family("overall", "overall score", &["score"]),
        ],
        words: CoachWords {
            domain: "Talk".to_owned(),
            recording: Noun::new("talk", "talks"),
            file: "recording".to_owned(),
            facts: vec![FactWord {
                facet: "venue".to_owned(),
                template: "at {value}".to_owned(),
            }],
            line_values: vec!["pace".to_owned(), "fillers".to_owned(), "score".to_owned()],
            session_stats: vec!["pace".to_owned(), "fillers".to_owned(), "score".to_owned()],
            period_stats: vec!["pace".to_owned(), "fillers".to_owned(), "score".to_owned()],
            ..CoachWords::default()
        },
        ..CoachDigestSpec::default()
    }
}

/// (id, when, pace, fillers per minute, score), newest first: the speaker
/// slows down, says fewer fillers and scores better in the last five.
const TALKS: [(&str, OffsetDateTime, f64, f64, f64); 7] = [
    (
        "talk-07",
        datetime!(2026-03-10 18:00 UTC),
        141.6,
        2.04,
        81.0,
    ),
    ("talk-06", datetime!(2026-03-08 18:00 UTC), 148.0, 2.5, 78.0),
    ("talk-05", datetime!(2026-03-06 18:00 UTC), 150.2, 3.1, 74.0),
    ("talk-04", datetime!(2026-03-04 18:00 UTC), 152.0, 3.0, 75.0),
    ("talk-03", datetime!(2026-03-02 18:00 UTC), 155.0, 3.4, 70.0),
    ("talk-02", datetime!(2026-02-27 18:00 UTC), 171.0, 5.2, 61.0),
    ("talk-01", datetime!(2026-02-25 18:00 UTC), 168.0, 4.8, 64.0),
];

fn talks() -> Vec<GameDigest> {
    let spec = talk_spec();
    TALKS
        .iter()
        .map(|&(id, at, pace, fillers, score)| {
            let my_metrics: BTreeMap<String, f64> = [
                ("pace.wpm", pace),
                ("fillers.per_minute", fillers),
                ("score", score),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
            let stored = CoachRecording {
                id: id.to_owned(),
                kind: KIND.to_owned(),
                title: Some(format!("Talk {id}")),
                occurred_at: Some(at),
                duration_s: Some(720.0),
                facets: [("venue".to_owned(), "Room B".to_owned())].into(),
                complete: true,
                me: Some("speaker:ana".to_owned()),
                me_name: Some("Ana".to_owned()),
                my_metrics: my_metrics.clone(),
                ..CoachRecording::default()
            };
            GameDigest::from_stored(&stored, &spec, &[])
                .unwrap()
                .with_detail(&my_metrics, &[])
        })
        .collect()
}

async fn ask(question: &str) -> TurnOutcome {
    let data = InMemoryData::new(talks()).with_spec(KIND, talk_spec());
    let meter = Arc::new(RecordingMeter::default());
    let events = run(
        ProviderBinding::builtin(),
        Arc::new(data),
        meter,
        request(question),
    )
    .await;
    done(&events).clone()
}

/// No word of Rocket League's, nor a result the talk domain does not keep.
fn assert_no_rocket_league_words(text: &str) {
    let lower = text.to_lowercase();
    for word in [
        "game",
        "goal",
        "boost",
        "replay",
        "win",
        "loss",
        "save",
        "shot",
        "scoreboard",
    ] {
        assert!(!lower.contains(word), "{word:?} in:\n{text}");
    }
}

fn mean(values: &[f64]) -> f64 {
    let avg = values.iter().sum::<f64>() / values.len() as f64;
    (avg * 10.0).round() / 10.0
}

#[tokio::test]
async fn how_did_my_last_one_go_is_answered_with_the_talk_domains_words_and_numbers() {
    let outcome = ask("How did my last one go?").await;
    let text = &outcome.text;
    let names: Vec<&str> = outcome.tool_calls.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["recent_games", "game_detail"]);
    let cite = format_citation("talk-07", 0.0);
    assert!(
        text.starts_with(&format!(
            "Your last talk {cite}: a talk (at Room B, 12:00 long), as Ana."
        )),
        "{text}"
    );
    // Its own numbers, with the domain's suffixes and labels, rounded as the
    // digest rounds them.
    assert!(
        text.contains(&format!(
            "In detail: 141.6 wpm, 2 fillers per minute and 81/100 overall {cite}."
        )),
        "{text}"
    );
    assert_no_rocket_league_words(text);
    // Both sentences cite the talk, kept as the player's.
    assert_eq!(outcome.citations.len(), 1, "{text}");
    assert_eq!(outcome.citations[0].game_id, "talk-07");
}

#[tokio::test]
async fn am_i_improving_compares_the_last_five_talks_with_the_ones_before_in_the_domains_words() {
    let outcome = ask("Am I improving?").await;
    let text = &outcome.text;
    let names: Vec<&str> = outcome.tool_calls.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["recent_games"]);
    let column = |k: usize| -> Vec<f64> {
        TALKS
            .iter()
            .map(|t| [t.2, t.3, t.4][k])
            .map(|v| (v * 10.0).round() / 10.0)
            .collect()
    };
    let cites = |ids: &[(&str, OffsetDateTime, f64, f64, f64)]| {
        ids.iter()
            .map(|t| format_citation(t.0, 0.0))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (recent, earlier) = TALKS.split_at(5);
    assert!(text.starts_with("Your numbers:\n\n"), "{text}");
    for (k, label, suffix) in [
        (0, "Speaking pace", " wpm"),
        (1, "Fillers per minute", ""),
        (2, "Overall score", "/100"),
    ] {
        let values = column(k);
        let (now, before) = (mean(&values[..5]), mean(&values[5..]));
        let diff = ((now - before) * 10.0).round() / 10.0;
        let line = format!(
            "- {label}: {}{suffix} over your last 5 talks ({}), against {}{suffix} over the 2 \
             talks before ({}): {} {}{suffix}.",
            fmt_num(now),
            cites(recent),
            fmt_num(before),
            cites(earlier),
            if diff > 0.0 { "up" } else { "down" },
            fmt_num(diff.abs()),
        );
        assert!(text.contains(&line), "{line}\n{text}");
    }
    // Fewer fillers and a higher score are better; the pace has no better way.
    assert!(
        text.contains(
            "Of the numbers where more or less is better, 2 ones improved and 0 got worse."
        ),
        "{text}"
    );
    assert_no_rocket_league_words(text);
}

#[tokio::test]
async fn a_family_of_the_talk_domain_is_asked_by_its_own_words() {
    let outcome = ask("How are my fillers?").await;
    let text = &outcome.text;
    assert!(
        text.starts_with("Your delivery:\n\n- Speaking pace:"),
        "{text}"
    );
    assert!(!text.contains("Overall score"), "{text}");
    assert_no_rocket_league_words(text);
}
