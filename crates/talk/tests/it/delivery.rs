//! Delivery measured on synthesized talks whose every sentence, filler and
//! silence is placed at a known time.

use filmroom_domain::{Analysis, AnalysisInput, Domain, SectionBody, Subject};
use filmroom_talk::Talk;
use filmroom_talk::report::Report;

use crate::fixtures::{Made, Piece, TALK_FILLERS, fixtures};

fn analyze(made: &Made) -> Analysis {
    let analysis = Talk::default()
        .analyze_file(&made.wav, Some(&made.srt))
        .unwrap();
    analysis.validate().unwrap();
    analysis
}

fn metric(analysis: &Analysis, key: &str) -> f64 {
    analysis
        .metrics
        .iter()
        .find(|m| m.key == key)
        .unwrap_or_else(|| panic!("no metric {key}"))
        .value
}

fn report(analysis: &Analysis) -> Report {
    serde_json::from_value(analysis.report.clone()).unwrap()
}

fn events<'a>(analysis: &'a Analysis, kind: &str) -> Vec<&'a filmroom_domain::Event> {
    analysis.events.iter().filter(|e| e.kind == kind).collect()
}

#[test]
fn a_scripted_talk_is_measured_at_its_true_pace_within_ten_percent() {
    let f = fixtures();
    for made in [&f.talk, &f.fast] {
        let analysis = analyze(made);
        let wpm = metric(&analysis, "pace.wpm");
        let truth = made.true_wpm();
        println!(
            "espeak-ng -s {}: audio's true rate {truth:.1} wpm, measured {wpm:.1} wpm",
            made.espeak_wpm
        );
        assert!(
            (wpm - truth).abs() <= 0.1 * truth,
            "measured {wpm:.1} wpm, true {truth:.1}"
        );
    }
}

#[test]
fn the_inserted_and_set_off_fillers_are_counted_and_i_like_pizza_is_not() {
    let f = fixtures();
    let analysis = analyze(&f.talk);
    assert_eq!(metric(&analysis, "fillers.count"), TALK_FILLERS as f64);
    assert_eq!(metric(&analysis, "fillers.always"), 3.0);
    assert_eq!(metric(&analysis, "fillers.contextual"), 2.0);
    let fillers = events(&analysis, "filler");
    assert_eq!(fillers.len(), TALK_FILLERS);
    // Each spoken-alone filler is found where it was put.
    for placed in f
        .talk
        .pieces
        .iter()
        .filter(|p| matches!(p.piece, Piece::Filler(_)))
    {
        assert!(
            fillers
                .iter()
                .any(|e| (e.t_s - placed.start_s).abs() <= 0.3),
            "no filler event near {:.2}s: {fillers:?}",
            placed.start_s
        );
    }
    let texts: Vec<&str> = fillers
        .iter()
        .map(|e| e.payload["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["so", "um", "like", "uh", "um"]);
    let minutes = metric(&analysis, "speech.seconds") / 60.0;
    assert!((metric(&analysis, "fillers.per_minute") - 5.0 / minutes).abs() < 1e-9);
}

#[test]
fn each_inserted_silence_is_found_as_a_pause_within_0_3_s() {
    let f = fixtures();
    let analysis = analyze(&f.talk);
    let pauses = events(&analysis, "pause");
    for (start, end) in f.talk.silences() {
        let found = pauses
            .iter()
            .find(|p| (p.t_s - start).abs() <= 0.3)
            .unwrap_or_else(|| panic!("no pause near {start:.2}s: {pauses:?}"));
        let duration = found.payload["duration_s"].as_f64().unwrap();
        assert!(
            (duration - (end - start)).abs() <= 0.3,
            "{duration} vs {}",
            end - start
        );
    }
    let long: Vec<_> = pauses
        .iter()
        .filter(|p| p.payload["duration_s"].as_f64().unwrap() >= 1.5)
        .collect();
    assert_eq!(long.len(), f.talk.silences().len(), "{long:?}");
    assert_eq!(metric(&analysis, "pauses.count"), pauses.len() as f64);
    assert!((metric(&analysis, "pauses.longest_s") - 2.5).abs() <= 0.3);
}

#[test]
fn a_monotone_voice_is_flagged_and_a_lively_one_is_not() {
    let f = fixtures();
    let monotone = analyze(&f.monotone);
    let lively = analyze(&f.lively);
    let pitch_flags = |a: &Analysis| {
        events(a, "flag")
            .into_iter()
            .filter(|e| e.payload["component"] == "pitch")
            .count()
    };
    println!(
        "pitch variation: monotone {:.2} st (range {:.1}), lively {:.2} st (range {:.1})",
        metric(&monotone, "pitch.variation_st"),
        metric(&monotone, "pitch.range_st"),
        metric(&lively, "pitch.variation_st"),
        metric(&lively, "pitch.range_st"),
    );
    assert!(pitch_flags(&monotone) >= 1);
    assert!(metric(&monotone, "score.pitch") < 20.0);
    assert!(metric(&monotone, "pitch.monotone_s") > 0.0);
    assert_eq!(pitch_flags(&lively), 0);
    assert_eq!(metric(&lively, "score.pitch"), 20.0);
    assert_eq!(metric(&lively, "pitch.monotone_s"), 0.0);
}

#[test]
fn a_fast_talk_is_flagged_too_fast_and_a_comfortable_one_keeps_its_pace_points() {
    let f = fixtures();
    let fast = analyze(&f.fast);
    let too_fast = events(&fast, "flag")
        .into_iter()
        .find(|e| e.payload["component"] == "pace")
        .expect("a pace flag");
    assert_eq!(too_fast.payload["title"], "Too fast");
    assert!(too_fast.payload["tip"].as_str().unwrap().len() > 20);
    assert!(metric(&fast, "score.pace") < 25.0);
    let comfortable = analyze(&f.talk);
    assert_eq!(metric(&comfortable, "score.pace"), 25.0);
}

#[test]
fn every_point_lost_is_a_flag_with_evidence_and_the_score_is_within_0_to_100() {
    let f = fixtures();
    for made in [&f.talk, &f.fast, &f.monotone, &f.lively] {
        let analysis = analyze(made);
        let score = metric(&analysis, "score");
        assert!((0.0..=100.0).contains(&score));
        let flags = events(&analysis, "flag");
        let lost: f64 = flags
            .iter()
            .map(|e| e.payload["points_lost"].as_f64().unwrap())
            .sum();
        assert!(
            (100.0 - lost - score).abs() < 1e-6,
            "{score} + {lost} != 100"
        );
        for flag in &flags {
            for field in ["component", "severity", "evidence", "tip"] {
                assert!(!flag.payload[field].is_null(), "{field} missing: {flag:?}");
            }
        }
        let components: f64 = ["pace", "fluency", "pauses", "pitch", "volume"]
            .iter()
            .map(|c| metric(&analysis, &format!("score.{c}")))
            .sum();
        assert!((components - score).abs() < 1e-6);
        assert_eq!(metric(&analysis, "flags.count"), flags.len() as f64);
    }
}

#[test]
fn the_talk_has_every_metric_key_defined_its_sentences_as_passages_and_one_speaker() {
    let f = fixtures();
    let talk = Talk::default();
    let analysis = analyze(&f.talk);
    let defined: Vec<String> = talk
        .metric_definitions()
        .into_iter()
        .map(|d| d.key)
        .collect();
    for m in &analysis.metrics {
        assert!(defined.contains(&m.key), "{} has no definition", m.key);
        assert_eq!(m.subject, Subject::Participant("speaker".into()));
    }
    for key in [
        "score",
        "pace.wpm",
        "fillers.count",
        "fillers.per_minute",
        "pauses.count",
        "pauses.longest_s",
        "speech.ratio",
        "pitch.mean_hz",
        "pitch.range_st",
        "pitch.variation_st",
        "volume.level_db",
        "volume.variation_db",
        "sentences.mean_words",
    ] {
        metric(&analysis, key);
    }
    let sentences = f
        .talk
        .pieces
        .iter()
        .filter(|p| matches!(p.piece, Piece::Say(_)))
        .count();
    assert_eq!(analysis.passages.len(), sentences);
    assert!(analysis.passages[0].text.starts_with("So, today"));
    // espeak's voice sits near 100-200 Hz.
    let hz = metric(&analysis, "pitch.mean_hz");
    assert!((70.0..250.0).contains(&hz), "{hz}");
    assert_eq!(report(&analysis).words.unwrap().fillers.len(), TALK_FILLERS);
}

#[test]
fn without_a_transcript_the_audio_is_measured_and_the_score_is_left_out() {
    let f = fixtures();
    let analysis = Talk::default()
        .analyze(AnalysisInput::Path(&f.talk.wav))
        .unwrap();
    analysis.validate().unwrap();
    assert_eq!(
        events(&analysis, "pause").len(),
        analyze(&f.talk)
            .events
            .iter()
            .filter(|e| e.kind == "pause")
            .count()
    );
    assert!(
        analysis
            .metrics
            .iter()
            .all(|m| m.key != "score" && m.key != "pace.wpm")
    );
    metric(&analysis, "pitch.mean_hz");
    let page = Talk::default().page(&analysis.report).unwrap();
    page.check().unwrap();
}

#[test]
fn the_page_has_a_player_and_overview_transcript_charts_and_flags_with_fillers_marked() {
    let f = fixtures();
    let analysis = analyze(&f.talk);
    let page = Talk::default().page(&analysis.report).unwrap();
    page.check().unwrap();
    assert!(page.player, "a talk's page asks for the media player");
    let keys: Vec<&str> = page.tabs.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(keys, ["overview", "transcript", "charts", "flags"]);
    let SectionBody::TimedText { lines } = &page.tab("transcript").unwrap().sections[0].body else {
        panic!("the transcript is timed text");
    };
    let words: Vec<&filmroom_domain::TimedWord> = lines.iter().flat_map(|l| &l.words).collect();
    let said: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
    let joined = said.join(" ");
    assert!(joined.contains("I like pizza"), "{joined}");
    let um = words
        .iter()
        .find(|w| {
            w.text
                .trim_matches(|c: char| !c.is_alphabetic())
                .eq_ignore_ascii_case("um")
        })
        .unwrap_or_else(|| panic!("no um in {joined}"));
    assert!(um.marked, "the filler is marked");
    let pizza = words.iter().find(|w| w.text.starts_with("pizza")).unwrap();
    assert!(!pizza.marked, "a plain word is not");
    // Every word carries its time, in order, within the talk.
    assert!(words.windows(2).all(|p| p[0].t_s <= p[1].t_s));
    assert!(
        words
            .iter()
            .all(|w| w.t_s >= 0.0 && w.t_s <= analysis.facts.duration_s.unwrap_or(f64::MAX))
    );
    let charts = serde_json::to_string(page.tab("charts").unwrap()).unwrap();
    for title in [
        "Pace per 30 seconds",
        "Pitch per 30 seconds",
        "Volume per 30 seconds",
    ] {
        assert!(charts.contains(title), "{title} missing");
    }
}
