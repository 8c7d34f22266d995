//! The built-in analyst end to end through the turn loop, over real games.

use std::sync::Arc;

use filmroom_coach::analyst::fmt_num;
use filmroom_coach::citations::format_citation;
use filmroom_coach::data::MomentKind;
use filmroom_coach::tools::averages;
use filmroom_coach::{
    CallOutcome, CoachData, GameDigest, InMemoryData, ProfileSet, ProviderBinding, TurnOutcome,
    Usage, extract_citations,
};

use crate::games::{SESSION, data, digests, game};
use crate::turn::{RecordingMeter, done, request, run};

async fn ask(data: Arc<dyn CoachData>, question: &str) -> (TurnOutcome, Arc<RecordingMeter>) {
    let meter = Arc::new(RecordingMeter::default());
    let events = run(
        ProviderBinding::builtin(),
        data,
        meter.clone(),
        request(question),
    )
    .await;
    (done(&events).clone(), meter)
}

fn assert_every_citation_is_kept(outcome: &TurnOutcome) {
    let written = extract_citations(&outcome.text);
    assert!(!written.is_empty(), "{}", outcome.text);
    assert_eq!(outcome.citations, written, "{}", outcome.text);
}

/// The line of the answer that cites `id` at 0:00 first.
fn line_of<'a>(text: &'a str, id: &str) -> &'a str {
    let cite = format_citation(id, 0.0);
    text.lines()
        .find(|l| l.contains(&cite))
        .unwrap_or_else(|| panic!("no line cites {id}:\n{text}"))
}

#[tokio::test]
async fn how_was_my_last_session_is_answered_with_the_digest_values_and_valid_citations() {
    let (outcome, meter) = ask(Arc::new(data()), "How was my last session?").await;
    let text = &outcome.text;

    let names: Vec<&str> = outcome.tool_calls.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["recent_games", "game_detail"]);
    assert!(
        text.starts_with("Your last session on 2026-03-10: 3 games"),
        "{text}"
    );

    // Each game of the session, with its own numbers, cited.
    for id in SESSION {
        let d = &game(id).digest;
        let line = line_of(text, id);
        assert!(
            line.contains(&format!("{}-{}", d.score_for, d.score_against)),
            "{line}"
        );
        let goals = if d.stats.goals == 1 { "goal" } else { "goals" };
        assert!(
            line.contains(&format!("{} {goals}", d.stats.goals)),
            "{line}"
        );
        let shots = if d.stats.shots == 1 { "shot" } else { "shots" };
        assert!(
            line.contains(&format!("{} {shots}", d.stats.shots)),
            "{line}"
        );
        assert!(
            line.contains(&format!("{} bpm", fmt_num(d.stats.bpm.unwrap()))),
            "{line}"
        );
    }
    // The averages are those of the three games, citing all three.
    let session: Vec<GameDigest> = digests().into_iter().take(3).collect();
    let avg = averages(&session);
    let averages_line = text.lines().find(|l| l.contains("you averaged")).unwrap();
    assert!(
        averages_line.contains(&format!("{} bpm", fmt_num(avg["bpm"].unwrap()))),
        "{averages_line}"
    );
    assert!(averages_line.contains(&format!(
        "{} goals per game",
        fmt_num(avg["goals"].unwrap())
    )));
    for id in SESSION {
        assert!(averages_line.contains(&format_citation(id, 0.0)));
    }
    // The newest game's goals against are cited at their match time.
    let newest = &game(SESSION[0]).digest;
    for m in newest
        .moments
        .iter()
        .filter(|m| m.kind == MomentKind::GoalAgainst)
    {
        assert!(
            text.contains(&format_citation(&newest.id, m.at_seconds)),
            "{text}"
        );
    }
    // An older game is not part of the session.
    assert!(!text.contains("c-8206e"));

    assert_every_citation_is_kept(&outcome);
    assert!(
        outcome
            .citations
            .iter()
            .all(|c| SESSION.contains(&c.game_id.as_str()))
    );

    // Three calls (two tool rounds, then the answer), each metered at zero.
    let records = meter.records();
    assert_eq!(records.len(), 3);
    assert!(
        records
            .iter()
            .all(|r| r.usage == Usage::default() && r.cost == 0 && r.outcome == CallOutcome::Ok)
    );
    assert!(records.iter().all(|r| r.provider == "builtin"));
    assert_eq!(outcome.usage, Usage::default());
}

#[tokio::test]
async fn explain_my_last_game_cites_its_moments_at_their_match_times() {
    let (outcome, _) = ask(Arc::new(data()), "Can you explain my last game?").await;
    let d = &game(SESSION[0]).digest;
    assert!(
        outcome
            .text
            .starts_with(&format!("Your last game {}", format_citation(&d.id, 0.0)))
    );
    assert!(
        outcome
            .text
            .contains(&format!("playing {} as {}", d.my_team, d.my_name))
    );
    for m in d.moments.iter().filter(|m| {
        matches!(
            m.kind,
            MomentKind::Goal | MomentKind::Save | MomentKind::GoalAgainst
        )
    }) {
        assert!(
            outcome.text.contains(&format_citation(&d.id, m.at_seconds)),
            "{:?}\n{}",
            m,
            outcome.text
        );
    }
    assert_every_citation_is_kept(&outcome);
}

#[tokio::test]
async fn a_game_named_by_its_id_is_explained_and_an_unknown_id_is_answered_honestly() {
    let (outcome, _) = ask(Arc::new(data()), "What happened in game c-8206e?").await;
    assert!(
        outcome.text.starts_with("This game [game:c-8206e@0:00]"),
        "{}",
        outcome.text
    );
    assert_every_citation_is_kept(&outcome);

    let (outcome, _) = ask(Arc::new(data()), "What happened in game zz-999999?").await;
    assert!(
        outcome.text.contains("could not find that game"),
        "{}",
        outcome.text
    );
    assert!(outcome.citations.is_empty());
}

#[tokio::test]
async fn a_boost_question_compares_the_last_five_games_with_the_ones_before() {
    let (outcome, _) = ask(Arc::new(data()), "How is my boost management?").await;
    let all = digests();
    // The header-only replay has no boost numbers: it is neither averaged nor cited.
    let with_boost: Vec<GameDigest> = all
        .iter()
        .filter(|d| d.stats.bpm.is_some())
        .cloned()
        .collect();
    assert_eq!(with_boost.len(), all.len() - 1);
    let (recent, earlier) = (&with_boost[..5], &with_boost[5..]);
    let (now, before) = (averages(recent), averages(earlier));
    let line = outcome
        .text
        .lines()
        .find(|l| l.contains("Boost used per minute"))
        .unwrap();
    let now_text = format!(
        "{} bpm over your last 5 games",
        fmt_num(now["bpm"].unwrap())
    );
    let before_text = format!(
        "against {} bpm over the 4 games before",
        fmt_num(before["bpm"].unwrap())
    );
    assert!(line.contains(&now_text), "{line}");
    assert!(line.contains(&before_text), "{line}");
    for d in &with_boost {
        assert!(line.contains(&format_citation(&d.id, 0.0)));
    }
    assert!(!line.contains("c-6688"));
    assert_every_citation_is_kept(&outcome);
}

#[tokio::test]
async fn strongest_and_weakest_areas_are_named_with_cited_numbers() {
    let (outcome, _) = ask(Arc::new(data()), "What are my strongest and weakest areas?").await;
    assert!(
        outcome.text.contains("your strongest area lately is"),
        "{}",
        outcome.text
    );
    assert!(outcome.text.contains("Your weakest is"));
    assert_every_citation_is_kept(&outcome);
}

#[tokio::test]
async fn an_unanswerable_question_gets_an_honest_answer_listing_what_it_can_answer() {
    let (outcome, meter) = ask(Arc::new(data()), "Will it rain tomorrow in Lisbon?").await;
    assert!(outcome.text.contains("only a few kinds of questions"));
    assert!(outcome.text.contains("How was my last session?"));
    assert!(outcome.tool_calls.is_empty());
    assert!(outcome.citations.is_empty());
    assert_eq!(meter.records().len(), 1);
}

#[tokio::test]
async fn a_player_without_games_gets_an_honest_answer() {
    for question in [
        "How was my last session?",
        "How is my boost?",
        "Explain my last game",
    ] {
        let (outcome, _) = ask(Arc::new(InMemoryData::new(vec![])), question).await;
        assert!(
            outcome.text.contains("no analysed games yet"),
            "{question}: {}",
            outcome.text
        );
        assert!(outcome.citations.is_empty());
    }
}

#[tokio::test]
async fn notes_are_read_back() {
    let data = Arc::new(data());
    data.save_note("Take small pads on the way back.")
        .await
        .unwrap();
    let (outcome, _) = ask(data, "Show my notes").await;
    assert!(outcome.text.contains("Take small pads on the way back."));
    assert!(outcome.text.contains("2026-03-11"));
}

#[tokio::test]
async fn the_same_question_over_the_same_games_gives_the_same_answer() {
    let (a, _) = ask(Arc::new(data()), "How was my last session?").await;
    let (b, _) = ask(Arc::new(data()), "How was my last session?").await;
    assert_eq!(a.text, b.text);
    assert_eq!(a.tool_calls, b.tool_calls);
}

#[tokio::test]
async fn the_analyst_says_it_cannot_coach_a_methodology_profile() {
    let meter = Arc::new(RecordingMeter::default());
    let mut req = request("How much should I risk per trade?");
    req.profile = ProfileSet::builtin().get("trading").unwrap();
    let events = run(ProviderBinding::builtin(), Arc::new(data()), meter, req).await;
    let outcome = done(&events);
    assert!(outcome.text.contains("cannot coach this topic"));
    assert!(outcome.tool_calls.is_empty());
}
