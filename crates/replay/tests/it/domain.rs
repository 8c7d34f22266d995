//! Rocket League as a filmroom domain: every shared replay maps to a neutral
//! analysis that validates, header-only replays say why, the reference
//! replays carry ballchasing's players and goals, the registry tells a
//! replay from a text file, and broken files end in typed errors.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use filmroom_domain::{
    Analysis, AnalysisError, AnalysisInput, Domain, RECOGNITION_HEAD_BYTES, Registry, SectionBody,
    Subject,
};
use filmroom_replay::domain::{KIND, MAX_BYTES, RocketLeague, metric_definitions};
use serde_json::Value;

use crate::support::{replay_files, replays_dir};

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// Every corpus replay through the domain, once, on two threads.
fn corpus() -> &'static [(String, Analysis)] {
    static CORPUS: OnceLock<Vec<(String, Analysis)>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let files = replay_files("corpus");
        let (left, right) = files.split_at(files.len() / 2);
        let run = |part: &[std::path::PathBuf]| {
            part.iter()
                .map(|path| {
                    let analysis = RocketLeague
                        .analyze(AnalysisInput::Bytes(&read(path)))
                        .unwrap_or_else(|e| panic!("{}: {e}", name(path)));
                    (name(path), analysis)
                })
                .collect::<Vec<_>>()
        };
        std::thread::scope(|s| {
            let other = s.spawn(|| run(right));
            let mut all = run(left);
            all.extend(other.join().unwrap());
            all
        })
    })
}

#[test]
fn every_corpus_replay_maps_to_a_neutral_analysis_that_validates() {
    let corpus = corpus();
    assert_eq!(corpus.len(), replay_files("corpus").len());
    let mut failures = Vec::new();
    for (file, analysis) in corpus {
        if let Err(e) = analysis.validate() {
            failures.push(format!("{file}: {e}"));
        }
        assert_eq!(analysis.revision, RocketLeague.revision(), "{file}");
        assert_eq!(analysis.sides.len(), 2, "{file}");
        assert!(!analysis.passages.is_empty(), "{file}: no summary passage");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The mapping is exercised, not vacuous: the full analyses carry events,
    // per-player metrics and a passage per goal.
    let full: Vec<_> = corpus
        .iter()
        .filter(|(_, a)| a.degraded.is_none())
        .collect();
    assert!(full.len() > 60, "only {} full analyses", full.len());
    for (file, a) in &full {
        assert!(!a.events.is_empty(), "{file}: no events");
        let goals = a.events.iter().filter(|e| e.kind == "goal").count();
        let goal_passages = a
            .passages
            .iter()
            .filter(|p| p.text.contains(" Goal by "))
            .count();
        assert_eq!(goals, goal_passages, "{file}");
    }
}

#[test]
fn header_only_replays_are_degraded_with_a_reason_and_still_carry_facts_and_participants() {
    let degraded: Vec<_> = corpus()
        .iter()
        .filter(|(_, a)| a.degraded.is_some())
        .collect();
    assert!(
        degraded.iter().any(|(file, _)| file == "no-frames.replay"),
        "no-frames.replay should be header-only"
    );
    assert!(
        degraded.iter().any(|(_, a)| !a.participants.is_empty()),
        "no header-only replay with a scoreboard"
    );
    for (file, a) in degraded {
        let d = a.degraded.as_ref().unwrap();
        assert!(!d.code.is_empty() && !d.reason.is_empty(), "{file}");
        assert!(!a.facts.title.is_empty(), "{file}");
        // The header's facts, where it has them (6688's has no map).
        assert_eq!(
            a.facts.facets.get("map").map(String::as_str),
            a.report["replay"]["map_code"].as_str(),
            "{file}"
        );
        assert!(a.facts.facets.contains_key("playlist"), "{file}");
        // Everyone on the header's scoreboard (no-frames.replay has none).
        assert_eq!(
            a.participants.len(),
            a.report["players"].as_array().unwrap().len(),
            "{file}"
        );
        assert!(a.events.is_empty(), "{file}: events without frames");
        // Only the scoreboard is known without frames.
        assert!(
            a.metrics.iter().all(|m| m.key.starts_with("core.")),
            "{file}: frame metrics in a header-only analysis"
        );
        assert!(a.passages[0].text.contains("Header-only"), "{file}");
        // Its page shows the facts, the scoreboard and why, nothing from frames.
        let sections = RocketLeague.page_sections(&a.report).unwrap();
        let titles: Vec<&str> = sections.iter().map(|s| s.title.as_str()).collect();
        assert!(
            titles
                .iter()
                .all(|t| ["Match", "Scoreboard", "Teams"].contains(t)),
            "{file}: {titles:?}"
        );
        let SectionBody::Facts { facts } = &sections[0].body else {
            panic!("{file}: the match section is facts");
        };
        assert!(
            facts
                .iter()
                .any(|f| f.label == "Analysis" && f.value.starts_with("header only")),
            "{file}: {facts:?}"
        );
    }
}

#[test]
fn every_metric_key_produced_has_a_definition_with_the_same_unit() {
    let definitions = metric_definitions();
    let mut produced = BTreeSet::new();
    for (file, a) in corpus() {
        for m in &a.metrics {
            let def = definitions
                .iter()
                .find(|d| d.key == m.key)
                .unwrap_or_else(|| panic!("{file}: {} has no definition", m.key));
            assert_eq!(def.unit, m.unit, "{file}: {}", m.key);
            assert_eq!(def.higher_is_better, m.higher_is_better, "{}", m.key);
            produced.insert(m.key.clone());
        }
    }
    // Every family shows up in the corpus, players' and teams'.
    for family in [
        "core.",
        "boost.",
        "movement.",
        "positioning.",
        "demo.",
        "ball.",
    ] {
        assert!(produced.iter().any(|k| k.starts_with(family)), "{family}");
    }
}

fn reference(stem: &str) -> (Analysis, Value) {
    let dir = replays_dir().join("ballchasing");
    let analysis = RocketLeague
        .analyze(AnalysisInput::Path(&dir.join(format!("{stem}.replay"))))
        .unwrap();
    let json = read(&dir.join(format!("{stem}.ballchasing.json")));
    (analysis, serde_json::from_slice(&json).unwrap())
}

fn metric(a: &Analysis, subject: &Subject, key: &str) -> Option<f64> {
    a.metrics
        .iter()
        .find(|m| &m.subject == subject && m.key == key)
        .map(|m| m.value)
}

#[test]
fn a_reference_replay_has_ballchasings_participants_goals_and_result() {
    let (a, bc) = reference("rlcs-2025-worlds-grand-final-flcn-nrg-g5");
    assert_eq!(a.validate(), Ok(()));
    assert!(a.degraded.is_none());
    let mut expected = BTreeSet::new();
    for side in ["blue", "orange"] {
        for p in bc[side]["players"].as_array().unwrap() {
            let key = format!(
                "{}:{}",
                p["id"]["platform"].as_str().unwrap(),
                p["id"]["id"].as_str().unwrap()
            );
            let participant = a
                .participants
                .iter()
                .find(|x| x.key == key)
                .unwrap_or_else(|| panic!("{key} missing from {:?}", a.participants));
            // ballchasing shows the account's current name, which may differ in case.
            assert!(
                participant
                    .display_name
                    .eq_ignore_ascii_case(p["name"].as_str().unwrap()),
                "{key}: {}",
                participant.display_name
            );
            assert_eq!(participant.side.as_deref(), Some(side));
            let goals = metric(&a, &Subject::Participant(key.clone()), "core.goals");
            assert_eq!(goals, p["stats"]["core"]["goals"].as_f64(), "{key}");
            expected.insert(key);
        }
        let team_goals = metric(&a, &Subject::Side(side.into()), "core.goals");
        assert_eq!(
            team_goals,
            bc[side]["stats"]["core"]["goals"].as_f64(),
            "{side}"
        );
    }
    let actual: BTreeSet<_> = a.participants.iter().map(|p| p.key.clone()).collect();
    assert_eq!(actual, expected);
    // Orange won 3-2.
    assert_eq!(
        a.facts.outcome.for_side("orange"),
        Some(filmroom_domain::SideOutcome::Win)
    );
    // ballchasing lowercases map codes.
    assert!(a.facts.facets["map"].eq_ignore_ascii_case(bc["map_code"].as_str().unwrap()));
    assert_eq!(
        a.facts.facets.get("team_size").map(String::as_str),
        Some("3")
    );
    let when = a.facts.occurred_at.unwrap();
    assert_eq!(when.year().to_string(), bc["date"].as_str().unwrap()[..4]);
    // The goals as events and passages, the last one at 2-3.
    let goals: Vec<_> = a.events.iter().filter(|e| e.kind == "goal").collect();
    assert_eq!(goals.len(), 5);
    assert!(
        goals[4].label.ends_with("(2-3)") || goals[4].label.contains("(2-3),"),
        "{}",
        goals[4].label
    );
    // The report the pages render is the engine's own.
    let report = filmroom_replay::analyze(&read(
        &replays_dir().join("ballchasing/rlcs-2025-worlds-grand-final-flcn-nrg-g5.replay"),
    ))
    .unwrap();
    assert_eq!(a.report, serde_json::to_value(&report).unwrap());
}

#[test]
fn ball_touches_carry_a_position_and_goals_name_their_scorer() {
    let (a, _) = reference("recent-ranked-doubles-2026-03-10");
    let touch = a.events.iter().find(|e| e.kind == "ball_touch").unwrap();
    let [x, y, z] = touch.position.unwrap();
    assert!(x.abs() < 5000.0 && y.abs() < 6500.0 && (0.0..2100.0).contains(&z));
    assert!(matches!(touch.subject, Subject::Participant(_)));
    for goal in a.events.iter().filter(|e| e.kind == "goal") {
        if let Subject::Participant(key) = &goal.subject {
            assert_eq!(goal.payload["scorer"].as_str(), Some(key.as_str()));
        }
    }
}

#[test]
fn the_page_sections_show_the_match_scoreboard_stats_and_timeline() {
    let (a, _) = reference("recent-ranked-standard-2026-03-10-a");
    let sections = RocketLeague.page_sections(&a.report).unwrap();
    let titles: Vec<&str> = sections.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Match",
            "Scoreboard",
            "Teams",
            "Boost",
            "Movement",
            "Positioning",
            "Demolitions",
            "Timeline"
        ]
    );
    let SectionBody::Table(scoreboard) = &sections[1].body else {
        panic!("the scoreboard is a table");
    };
    assert_eq!(scoreboard.rows.len(), a.participants.len());
    assert!(
        scoreboard
            .rows
            .iter()
            .all(|r| r.cells.len() == scoreboard.columns.len())
    );
    let SectionBody::Timeline { entries } = &sections[7].body else {
        panic!("the timeline is a timeline");
    };
    let goals = entries.iter().filter(|e| e.kind == "goal").count();
    let score: f64 = ["blue", "orange"]
        .iter()
        .map(|s| metric(&a, &Subject::Side((*s).into()), "core.goals").unwrap())
        .sum();
    assert_eq!(goals as f64, score);
    assert!(entries.iter().all(|e| e.kind != "ball_touch"));
}

#[test]
fn every_side_has_the_headers_final_score_which_counts_goals_of_players_who_left() {
    for (file, a) in corpus() {
        let final_score: Vec<f64> = ["blue", "orange"]
            .iter()
            .map(|s| metric(a, &Subject::Side((*s).into()), "core.final_score").unwrap())
            .collect();
        let header = a.report["replay"]["score"].as_array().unwrap();
        let header: Vec<f64> = header.iter().map(|v| v.as_f64().unwrap()).collect();
        assert_eq!(final_score, header, "{file}");
    }
    // 8a26 ended 7-5; an orange scorer left, so orange's players' goals add to 4.
    let (_, a) = corpus().iter().find(|(f, _)| f == "8a26.replay").unwrap();
    let side = |s: &str, key: &str| metric(a, &Subject::Side(s.into()), key).unwrap();
    assert_eq!(side("blue", "core.final_score"), 7.0);
    assert_eq!(side("orange", "core.final_score"), 5.0);
    assert_eq!(side("orange", "core.goals"), 4.0);
    assert_eq!(
        a.facts.outcome.for_side("blue"),
        Some(filmroom_domain::SideOutcome::Win)
    );
}

#[test]
fn the_game_page_has_five_tabs_with_charts_and_a_unit_in_every_column() {
    let (a, _) = reference("recent-ranked-standard-2026-03-10-a");
    let page = RocketLeague.page(&a.report).unwrap();
    page.check().unwrap();
    let keys: Vec<&str> = page.tabs.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(
        keys,
        ["overview", "boost", "movement", "positioning", "timeline"]
    );
    assert_eq!(page.sides, ["blue", "orange"]);
    assert!(page.notice.is_none());
    assert_eq!(
        page.heading.as_deref(),
        a.facts.facets.get("map").map(String::as_str)
    );
    for tab in &page.tabs {
        // Every tab draws a chart.
        assert!(
            tab.sections
                .iter()
                .any(|s| matches!(s.body, SectionBody::Chart { .. } | SectionBody::Moments(_))),
            "{}",
            tab.key
        );
        for section in &tab.sections {
            let grid = match &section.body {
                SectionBody::Chart {
                    table: Some(grid), ..
                } => grid,
                SectionBody::Grid(grid) => grid,
                _ => continue,
            };
            assert_eq!(grid.rows.len(), a.participants.len(), "{}", section.title);
            for column in &grid.columns {
                assert!(
                    column.unit.is_some() || column.label == "Team",
                    "{}: {} has no unit",
                    section.title,
                    column.label
                );
            }
            for row in &grid.rows {
                assert_eq!(row.cells.len(), grid.columns.len());
                assert!(
                    row.side
                        .as_deref()
                        .is_some_and(|s| page.sides.iter().any(|x| x == s))
                );
            }
        }
    }
    // The timeline lists every goal, shot, save, demo and kickoff, marks the
    // first four on the chart, and counts touches and pickups in its title.
    let timeline = &page.tab("timeline").unwrap().sections[0];
    let SectionBody::Moments(moments) = &timeline.body else {
        panic!("the timeline is moments");
    };
    let listed = |kind: &str| moments.moments.iter().filter(|m| m.kind == kind).count();
    let events = |kind: &str| a.events.iter().filter(|e| e.kind == kind).count();
    for kind in ["goal", "shot", "save", "demo", "kickoff"] {
        assert_eq!(listed(kind), events(kind), "{kind}");
    }
    assert_eq!(listed("ball_touch") + listed("boost_pickup"), 0);
    assert!(
        timeline
            .title
            .contains(&format!("{} ball touches", events("ball_touch")))
    );
    assert!(
        moments
            .moments
            .iter()
            .all(|m| m.mark.is_some() == (m.kind != "kickoff"))
    );
}

#[test]
fn a_header_only_game_page_has_a_notice_and_says_why_its_stat_tabs_are_empty() {
    let (_, a) = corpus().iter().find(|(f, _)| f == "6688.replay").unwrap();
    let page = RocketLeague.page(&a.report).unwrap();
    assert!(
        page.notice
            .as_deref()
            .is_some_and(|n| n.starts_with("Only the scoreboard is known: ")),
        "{:?}",
        page.notice
    );
    for key in ["boost", "movement", "positioning"] {
        let tab = page.tab(key).unwrap();
        assert!(
            matches!(
                &tab.sections[..],
                [section] if matches!(section.body, SectionBody::Note { .. })
                    && section.title.ends_with(": not available")
            ),
            "{key}: {:?}",
            tab.sections
        );
    }
}

#[test]
fn the_registry_recognizes_a_replay_by_its_header_and_refuses_a_text_file() {
    let mut registry = Registry::new();
    registry.register(Arc::new(RocketLeague)).unwrap();
    assert!(registry.register(Arc::new(RocketLeague)).is_err());
    for path in replay_files("corpus")
        .iter()
        .chain(&replay_files("ballchasing"))
    {
        let bytes = read(path);
        let head = &bytes[..bytes.len().min(RECOGNITION_HEAD_BYTES)];
        // The name does not matter: a replay renamed is still a replay.
        let found = registry.recognize("upload.bin", head);
        assert_eq!(found.map(|d| d.kind()), Some(KIND), "{}", name(path));
    }
    let text = read(&replays_dir().join("README.md"));
    assert!(
        registry
            .recognize("notes.replay", &text[..RECOGNITION_HEAD_BYTES])
            .is_none()
    );
    let err = RocketLeague
        .analyze(AnalysisInput::Bytes(&text))
        .unwrap_err();
    assert!(matches!(err, AnalysisError::NotThisKind { .. }), "{err:?}");
}

#[test]
fn broken_files_give_typed_errors_or_a_degraded_analysis_never_a_panic() {
    let mut outcomes = Vec::new();
    for path in replay_files("bad") {
        let bytes = read(&path);
        let result = catch_unwind(AssertUnwindSafe(|| {
            RocketLeague.analyze(AnalysisInput::Bytes(&bytes))
        }))
        .unwrap_or_else(|_| panic!("{} panicked", name(&path)));
        match result {
            Ok(a) => {
                assert!(
                    a.degraded.is_some(),
                    "{}: a broken file analysed fully",
                    name(&path)
                );
                assert_eq!(a.validate(), Ok(()), "{}", name(&path));
                outcomes.push("degraded");
            }
            Err(AnalysisError::Invalid { reason }) => {
                assert!(!reason.is_empty());
                outcomes.push("invalid");
            }
            Err(e) => panic!("{}: unexpected error {e:?}", name(&path)),
        }
    }
    assert_eq!(outcomes.len(), 7);
    assert!(outcomes.contains(&"invalid"), "{outcomes:?}");
}

#[test]
fn a_file_above_the_limit_is_refused_by_its_size_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.replay");
    let file = std::fs::File::create(&path).unwrap();
    // Sparse: the domain must refuse it from its size, not its bytes.
    file.set_len(MAX_BYTES + 1).unwrap();
    let err = RocketLeague
        .analyze(AnalysisInput::Path(&path))
        .unwrap_err();
    assert!(
        matches!(err, AnalysisError::TooLarge { size, limit } if size == MAX_BYTES + 1 && limit == MAX_BYTES),
        "{err:?}"
    );
    let missing = RocketLeague
        .analyze(AnalysisInput::Path(&dir.path().join("missing.replay")))
        .unwrap_err();
    assert!(matches!(missing, AnalysisError::Read(_)), "{missing:?}");
}

#[test]
fn a_replay_read_from_a_path_analyses_the_same_as_from_bytes() {
    let path = replays_dir().join("corpus/181d6.replay");
    let from_path = RocketLeague.analyze(AnalysisInput::Path(&path)).unwrap();
    let from_bytes = RocketLeague
        .analyze(AnalysisInput::Bytes(&read(&path)))
        .unwrap();
    assert_eq!(from_path, from_bytes);
}

const DOC_BEGIN: &str = "<!-- rl-metrics:begin (generated by the replay tests: FILMROOM_UPDATE_DOCS=1 cargo test -p filmroom-replay --test it domain::) -->\n";
const DOC_END: &str = "<!-- rl-metrics:end -->";

/// The Rocket League metric keys as docs/domain.md lists them.
fn metric_keys_table() -> String {
    let mut out = String::from(
        "| key | unit | higher is better | label | description |\n|---|---|---|---|---|\n",
    );
    for d in metric_definitions() {
        let better = match d.higher_is_better {
            Some(true) => "yes",
            Some(false) => "no",
            None => "depends",
        };
        out.push_str(&format!(
            "| `{}` | {} | {better} | {} | {} |\n",
            d.key,
            d.unit.as_str(),
            d.label,
            d.description
        ));
    }
    out
}

#[test]
fn the_documented_metric_keys_match_the_definitions() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/domain.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let start = doc.find(DOC_BEGIN).expect("the begin marker") + DOC_BEGIN.len();
    let end = doc.find(DOC_END).expect("the end marker");
    let expected = metric_keys_table();
    if doc[start..end] != expected {
        if std::env::var_os("FILMROOM_UPDATE_DOCS").is_some() {
            std::fs::write(&path, format!("{}{expected}{}", &doc[..start], &doc[end..])).unwrap();
        } else {
            panic!(
                "docs/domain.md lists other metric keys than the definitions; \
                 regenerate with FILMROOM_UPDATE_DOCS=1 cargo test -p filmroom-replay --test it domain::"
            );
        }
    }
}
