//! The built-in analyst end to end through the turn loop, over real games.

use std::collections::BTreeSet;
use std::sync::Arc;

use filmroom_coach::analyst::fmt_num;
use filmroom_coach::citations::format_citation;
use filmroom_coach::tools::averages;
use filmroom_coach::{
    BuiltinAnalyst, CallOutcome, CoachData, DataError, GameDigest, GameQuery, GameResult,
    InMemoryData, NoteView, ProfileSet, ProviderBinding, TurnOutcome, Usage, extract_citations,
};

use crate::games::{NOW, SESSION, data, digests, game};
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
        let goals = if d.stat("goals") == Some(1.0) {
            "goal"
        } else {
            "goals"
        };
        assert!(
            line.contains(&format!("{} {goals}", fmt_num(d.stat("goals").unwrap()))),
            "{line}"
        );
        let shots = if d.stat("shots") == Some(1.0) {
            "shot"
        } else {
            "shots"
        };
        assert!(
            line.contains(&format!("{} {shots}", fmt_num(d.stat("shots").unwrap()))),
            "{line}"
        );
        assert!(
            line.contains(&format!("{} bpm", fmt_num(d.stat("bpm").unwrap()))),
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
    for m in newest.moments.iter().filter(|m| m.kind == "goal_against") {
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
    for m in d
        .moments
        .iter()
        .filter(|m| ["goal", "save", "goal_against"].contains(&m.kind.as_str()))
    {
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
        outcome.text.starts_with("This game [rec:c-8206e@0:00]"),
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
        .filter(|d| d.stat("bpm").is_some())
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
        let (outcome, _) = ask(Arc::new(crate::games::with_specs(vec![])), question).await;
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

// ---------------------------------------------------------------------------
// Periods. The analyst's clock is fixed at NOW (Wednesday 2026-03-11 09:00 UTC):
// this week is Mon 9 - Wed 11 March (c-8206e and the three session games), last
// week Mon 2 - Sun 8 March (five corpus games), last month February (c-6688).

const THIS_WEEK: [&str; 4] = [
    "bc-doubles-0310",
    "bc-standard-0310",
    "bc-rlcs-0310",
    "c-8206e",
];
const LAST_WEEK: [&str; 5] = ["c-eac", "c-1afa", "c-28fd", "c-9eee", "c-bd8b7"];

/// The analyst with its clock at NOW.
fn analyst_at_now() -> ProviderBinding {
    ProviderBinding {
        provider: Arc::new(BuiltinAnalyst::with_now(NOW)),
        ..ProviderBinding::builtin()
    }
}

async fn ask_at_now(data: Arc<dyn CoachData>, question: &str) -> TurnOutcome {
    let meter = Arc::new(RecordingMeter::default());
    let events = run(analyst_at_now(), data, meter, request(question)).await;
    done(&events).clone()
}

fn digests_of(ids: &[&str]) -> Vec<GameDigest> {
    ids.iter().map(|id| game(id).digest.clone()).collect()
}

fn cited_games(outcome: &TurnOutcome) -> BTreeSet<String> {
    outcome
        .citations
        .iter()
        .map(|c| c.game_id.clone())
        .collect()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

fn args(outcome: &TurnOutcome, k: usize) -> serde_json::Value {
    serde_json::from_str(&outcome.tool_calls[k].arguments_json).unwrap()
}

fn record_text(games: &[GameDigest]) -> String {
    let count = |r| games.iter().filter(|g| g.result == r).count();
    let n = |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
    let mut text = format!(
        "{}, {}",
        n(count(GameResult::Win), "win", "wins"),
        n(count(GameResult::Loss), "loss", "losses")
    );
    let draws = count(GameResult::Draw);
    if draws > 0 {
        text.push_str(&format!(", {}", n(draws, "draw", "draws")));
    }
    text
}

#[tokio::test]
async fn a_week_question_is_answered_from_that_weeks_games_only() {
    let outcome = ask_at_now(Arc::new(data()), "How did I do this week?").await;
    let text = &outcome.text;
    eprintln!("{text}");

    let names: Vec<&str> = outcome.tool_calls.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["stats_over_range"]);
    assert_eq!(
        args(&outcome, 0),
        serde_json::json!({"from": "2026-03-09", "until": "2026-03-11"})
    );
    let week = digests_of(&THIS_WEEK);
    assert!(
        text.starts_with(&format!(
            "This week (Mon 9 Mar - today, UTC): 4 games, {}.",
            record_text(&week)
        )),
        "{text}"
    );
    // Every game of the week has its line; the games before it are neither cited
    // nor counted.
    for id in THIS_WEEK {
        let d = &game(id).digest;
        assert!(
            line_of(text, id).contains(&format!("{}-{}", d.score_for, d.score_against)),
            "{text}"
        );
    }
    assert_eq!(cited_games(&outcome), set(&THIS_WEEK));
    for id in LAST_WEEK.iter().chain(&["c-6688"]) {
        assert!(!text.contains(id), "{id} is not this week's:\n{text}");
    }
    // The averages are those of the four games, citing the four.
    let avg = averages(&week);
    let line = text
        .lines()
        .find(|l| l.starts_with("Over these 4 games you averaged"))
        .unwrap_or_else(|| panic!("{text}"));
    for (key, unit) in [
        ("goals", " goals per game"),
        ("saves", " saves per game"),
        ("shots", " shots per game"),
        ("bpm", " bpm"),
        ("avg_speed", " uu/s average speed"),
        ("percent_behind_ball", "% behind the ball"),
    ] {
        let v = fmt_num(avg[key].unwrap());
        // "1 goal per game", "2 goals per game".
        let unit = if v == "1" {
            unit.replacen("s per", " per", 1)
        } else {
            unit.to_owned()
        };
        let value = format!("{v}{unit}");
        assert!(line.contains(&value), "{value} in {line}");
    }
    for id in THIS_WEEK {
        assert!(line.contains(&format_citation(id, 0.0)), "{line}");
    }
    assert_every_citation_is_kept(&outcome);

    // The same question gives the same answer.
    let again = ask_at_now(Arc::new(data()), "How did I do this week?").await;
    assert_eq!(again.text, outcome.text);
}

#[tokio::test]
async fn a_stat_family_over_a_period_is_averaged_over_that_period() {
    let outcome = ask_at_now(Arc::new(data()), "How was my boost last week?").await;
    let text = &outcome.text;
    eprintln!("{text}");
    assert_eq!(
        args(&outcome, 0),
        serde_json::json!({"from": "2026-03-02", "until": "2026-03-08"})
    );
    assert!(
        text.starts_with("Last week (Mon 2 Mar - Sun 8 Mar, UTC): 5 games"),
        "{text}"
    );
    let avg = averages(&digests_of(&LAST_WEEK));
    let line = text
        .lines()
        .find(|l| l.starts_with("- Boost used per minute"))
        .unwrap();
    assert!(
        line.contains(&format!(
            "{} bpm over 5 games",
            fmt_num(avg["bpm"].unwrap())
        )),
        "{line}"
    );
    let zero = text
        .lines()
        .find(|l| l.starts_with("- Time at zero boost"))
        .unwrap();
    assert!(
        zero.contains(&format!(
            "{}% over 5 games",
            fmt_num(avg["percent_zero_boost"].unwrap())
        )),
        "{zero}"
    );
    // Only the family's stats.
    assert!(!text.contains("speed"), "{text}");
    assert_eq!(cited_games(&outcome), set(&LAST_WEEK));
    assert_every_citation_is_kept(&outcome);
}

#[tokio::test]
async fn this_week_against_last_week_names_both_periods_with_their_numbers() {
    let outcome = ask_at_now(Arc::new(data()), "this week vs last week?").await;
    let text = &outcome.text;
    eprintln!("{text}");

    let names: Vec<&str> = outcome.tool_calls.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["stats_over_range", "stats_over_range"]);
    assert_eq!(
        [args(&outcome, 0), args(&outcome, 1)],
        [
            serde_json::json!({"from": "2026-03-02", "until": "2026-03-08"}),
            serde_json::json!({"from": "2026-03-09", "until": "2026-03-11"}),
        ]
    );
    let (a, b) = (digests_of(&LAST_WEEK), digests_of(&THIS_WEEK));
    assert!(text.starts_with("Last week against this week:"), "{text}");
    assert!(
        text.contains(&format!(
            "- Last week (Mon 2 Mar - Sun 8 Mar, UTC): 5 games, {}",
            record_text(&a)
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "- This week (Mon 9 Mar - today, UTC): 4 games, {}",
            record_text(&b)
        )),
        "{text}"
    );

    // Each change line: last week's average citing last week's games, this week's
    // citing this week's, and the difference.
    let (avg_a, avg_b) = (averages(&a), averages(&b));
    let mut expected: Vec<(f64, &str)> = Vec::new();
    let spec = filmroom_replay::domain::coach_digest();
    for def in &spec.headline {
        let (Some(x), Some(y)) = (avg_a[&def.name], avg_b[&def.name]) else {
            continue;
        };
        let diff = ((y - x) * 10.0).round() / 10.0;
        expected.push((diff.abs() / x.abs().max(1.0), def.label.as_str()));
        let label = {
            let mut c = def.label.chars();
            let first = c.next().unwrap().to_uppercase().to_string();
            first + c.as_str()
        };
        let Some(line) = text.lines().find(|l| l.starts_with(&format!("- {label}:"))) else {
            continue; // beyond the six biggest changes
        };
        let cites = |games: &[GameDigest]| {
            games
                .iter()
                .map(|g| format_citation(&g.id, 0.0))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let want = format!(
            "- {label}: {}{u} ({}) to {}{u} ({}), ",
            fmt_num(x),
            cites(&a),
            fmt_num(y),
            cites(&b),
            u = def.suffix
        );
        assert!(line.starts_with(&want), "{want}\n{line}");
        let change = if diff == 0.0 {
            "no change".to_owned()
        } else {
            format!(
                "{} {}{}",
                if diff > 0.0 { "up" } else { "down" },
                fmt_num(diff.abs()),
                def.suffix
            )
        };
        assert!(line.contains(&change), "{change}\n{line}");
    }
    // Biggest changes first: the six largest relative changes, in order.
    expected.sort_by(|l, r| r.0.total_cmp(&l.0));
    let shown: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.contains("biggest changes first"))
        .filter(|l| l.starts_with("- "))
        .map(|l| l[2..].split(':').next().unwrap())
        .collect();
    let want: Vec<String> = expected
        .iter()
        .take(6)
        .map(|(_, label)| {
            let mut c = label.chars();
            c.next().unwrap().to_uppercase().to_string() + c.as_str()
        })
        .collect();
    assert_eq!(shown, want, "{text}");

    assert_eq!(
        cited_games(&outcome),
        set(&[&THIS_WEEK[..], &LAST_WEEK[..]].concat())
    );
    assert!(!text.contains("c-6688"));
    assert_every_citation_is_kept(&outcome);

    // "Am I better than last week?" is the same comparison.
    let better = ask_at_now(Arc::new(data()), "Am I better than last week?").await;
    assert_eq!(better.text, outcome.text);
}

#[tokio::test]
async fn an_empty_period_says_so_and_names_the_days_it_looked_at() {
    let outcome = ask_at_now(Arc::new(data()), "How did I do today?").await;
    eprintln!("{}", outcome.text);
    assert_eq!(outcome.tool_calls.len(), 1);
    assert!(
        outcome
            .text
            .starts_with("You played no games today (Wed 11 Mar, UTC)"),
        "{}",
        outcome.text
    );
    assert!(outcome.text.contains("How was my last session?"));
    assert!(outcome.citations.is_empty());

    // A comparison with an empty side says which side is empty.
    let outcome = ask_at_now(Arc::new(data()), "yesterday vs today").await;
    eprintln!("{}", outcome.text);
    assert!(
        outcome.text.starts_with("Yesterday against today:"),
        "{}",
        outcome.text
    );
    assert!(
        outcome
            .text
            .contains("- Today (Wed 11 Mar, UTC): no games.")
    );
    assert!(
        outcome
            .text
            .contains("There is nothing to compare: you played no games today."),
        "{}",
        outcome.text
    );
    assert_eq!(cited_games(&outcome), set(&SESSION));
}

#[tokio::test]
async fn a_bad_or_future_date_is_answered_plainly_without_calling_tools() {
    for (question, says) in [
        (
            "How did I do since 2026-13-45?",
            "\"2026-13-45\" is not a date I can read",
        ),
        (
            "how did I do since 2026-04-01",
            "2026-04-01 is in the future (today is 2026-03-11, UTC)",
        ),
        ("my last 0 days", "ask about 1 to 3660 days"),
    ] {
        let outcome = ask_at_now(Arc::new(data()), question).await;
        assert!(outcome.text.contains(says), "{question}: {}", outcome.text);
        assert!(outcome.text.contains("weeks start on Monday"));
        assert!(outcome.tool_calls.is_empty(), "{question}");
        assert!(outcome.citations.is_empty());
    }
}

/// The real games, but every query over a period fails.
struct RangesFail(InMemoryData);

#[async_trait::async_trait]
impl CoachData for RangesFail {
    async fn games(&self, query: &GameQuery) -> Result<Vec<GameDigest>, DataError> {
        if query.from.is_some() {
            return Err(DataError::Backend("the database is gone".into()));
        }
        self.0.games(query).await
    }
    async fn game(&self, id: &str) -> Result<Option<GameDigest>, DataError> {
        self.0.game(id).await
    }
    async fn notes(&self) -> Result<Vec<NoteView>, DataError> {
        self.0.notes().await
    }
    async fn save_note(&self, text: &str) -> Result<NoteView, DataError> {
        self.0.save_note(text).await
    }
    async fn delete_note(&self, id: &str) -> Result<bool, DataError> {
        self.0.delete_note(id).await
    }
    fn now(&self) -> time::OffsetDateTime {
        self.0.now()
    }
    fn digest_specs(&self) -> std::collections::BTreeMap<String, filmroom_domain::CoachDigestSpec> {
        self.0.digest_specs()
    }
    async fn search(
        &self,
        text: &str,
        limit: usize,
    ) -> Result<Vec<filmroom_coach::SearchHit>, DataError> {
        self.0.search(text, limit).await
    }
    async fn metric_groups(
        &self,
        query: &filmroom_coach::MetricQuery,
    ) -> Result<Vec<filmroom_coach::MetricGroup>, DataError> {
        if query.from.is_some() {
            return Err(DataError::Backend("the database is gone".into()));
        }
        self.0.metric_groups(query).await
    }
}

#[tokio::test]
async fn a_failing_tool_over_a_period_is_reported_as_a_failure() {
    for question in ["How did I do this week?", "this week vs last week"] {
        let outcome = ask_at_now(Arc::new(RangesFail(data())), question).await;
        assert!(
            outcome
                .text
                .starts_with("I could not read your games just now"),
            "{question}: {}",
            outcome.text
        );
        assert!(outcome.text.contains("unavailable"), "{}", outcome.text);
        assert!(!outcome.text.contains("no games"), "{}", outcome.text);
        assert!(outcome.citations.is_empty());
        assert!(outcome.tool_calls.iter().any(|c| c.is_error));
    }
}

#[tokio::test]
async fn a_month_and_a_since_date_read_their_own_games() {
    // February holds one header-only game: its scoreboard, no per-game wording.
    let outcome = ask_at_now(Arc::new(data()), "How did I do last month?").await;
    let text = &outcome.text;
    eprintln!("{text}");
    assert_eq!(
        args(&outcome, 0),
        serde_json::json!({"from": "2026-02-01", "until": "2026-02-28"})
    );
    assert!(
        text.starts_with("Last month (Sun 1 Feb - Sat 28 Feb, UTC): 1 game"),
        "{text}"
    );
    let d = &game("c-6688").digest;
    assert!(
        line_of(text, "c-6688").contains("scoreboard only"),
        "{text}"
    );
    let goals = if d.stat("goals") == Some(1.0) {
        "goal"
    } else {
        "goals"
    };
    assert!(
        text.contains(&format!(
            "In that game you had {} {goals}",
            fmt_num(d.stat("goals").unwrap())
        )),
        "{text}"
    );
    assert!(!text.contains("per game"), "{text}");
    assert_eq!(cited_games(&outcome), set(&["c-6688"]));

    // "in February" is the same month; "since" runs to today.
    let february = ask_at_now(Arc::new(data()), "and in February?").await;
    assert_eq!(
        february.tool_calls[0].arguments_json,
        outcome.tool_calls[0].arguments_json
    );
    let since = ask_at_now(Arc::new(data()), "How did I do since 2026-03-08?").await;
    assert!(
        since
            .text
            .starts_with("Since 2026-03-08 (Sun 8 Mar - today, UTC): 5 games"),
        "{}",
        since.text
    );
    assert_eq!(
        cited_games(&since),
        set(&[&THIS_WEEK[..], &["c-eac"][..]].concat())
    );
    assert_every_citation_is_kept(&since);
}
