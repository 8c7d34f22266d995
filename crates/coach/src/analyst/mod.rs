//! The built-in analyst: the coach that works with no model and no configuration.
//!
//! It is a [`Provider`] like the others and goes through the same tool machinery:
//! given a question it recognises, it answers with tool calls (`Stop(ToolUse)`);
//! given the tool results, it writes the answer from them. The questions it knows:
//! the last session, one stat family (boost, movement, positioning, core/shooting,
//! demos) against earlier games, strongest and weakest areas, one game explained
//! ("last game" or a game id), the coaching notes, and periods of time: a summary of
//! one period ("how did I do this week?", "my boost last month", through
//! `stats_over_range`) or two side by side ("this week vs last week", "am I better
//! than last week?", from both periods' `stats_over_range`). Periods are UTC calendar days,
//! weeks start on Monday, and "today" comes from the analyst's clock
//! ([`BuiltinAnalyst::with_now`] fixes it). Anything else gets an honest answer
//! saying what it can answer.
//!
//! Every number it states cites the games it comes from, moments cite their match
//! time, and the output is deterministic: the same data and question give the same
//! text, token for token.

use futures_util::StreamExt;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, UtcOffset, Weekday};

use crate::citations::{format_citation, format_clock};
use crate::data::{GameDigest, GameResult, MomentKind, NoteView};
use crate::tools::{MAX_GAMES_SCANNED, STATS, StatDef, StatFamily, averages, stat_value};
use crate::{
    ChatRequest, Frame, FrameStream, Part, Provider, ProviderError, Role, StopReason, Usage,
};

/// The model name the analyst reports.
pub const BUILTIN_MODEL: &str = "filmroom-analyst-1";

/// Games in "recent" for the trend questions; the earlier window holds up to
/// [`EARLIER_GAMES`] more.
const RECENT_GAMES: usize = 5;
const EARLIER_GAMES: usize = 10;
/// Two games more than this apart (seconds) are in different sessions.
const SESSION_GAP_SECONDS: i64 = 2 * 3600;

/// The built-in analyst. Periods ("this week", "since 2026-03-01") are resolved
/// against its clock: the system's, or a fixed instant for tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuiltinAnalyst {
    now: Option<OffsetDateTime>,
}

impl BuiltinAnalyst {
    /// The analyst on the system clock.
    pub fn new() -> Self {
        Self::default()
    }

    /// The analyst with "now" fixed at `now`, so answers about periods are
    /// deterministic.
    pub fn with_now(now: OffsetDateTime) -> Self {
        Self { now: Some(now) }
    }

    /// Today's UTC calendar day.
    fn today(&self) -> Date {
        self.now
            .unwrap_or_else(OffsetDateTime::now_utc)
            .to_offset(UtcOffset::UTC)
            .date()
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Intent {
    Notes,
    LastGame,
    Game(String),
    Strengths,
    Family(StatFamily),
    /// A summary of one period, or of one stat family over it.
    Period {
        period: Period,
        family: Option<StatFamily>,
    },
    /// Two periods side by side, `a` the earlier.
    Compare {
        a: Period,
        b: Period,
        family: Option<StatFamily>,
    },
    /// A period phrase that cannot be a period (a bad or future date).
    BadPeriod(String),
    Session,
    Unknown,
}

fn contains_any(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| text.contains(w))
}

/// A recording id written in the question: `rec:<id>`, `[rec:<id>@m:ss]`,
/// `game:<id>`, `[game:<id>@m:ss]` or `game <id>` where the id has a digit and
/// at least six characters.
fn game_id_in(text: &str) -> Option<String> {
    let is_id = |t: &str| {
        t.len() >= 6
            && t.chars().any(|c| c.is_ascii_digit())
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    // ASCII lowering keeps byte offsets, so the id can be cut from the original text.
    let lower = text.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some((i, marker)) = ["game", "rec"]
        .iter()
        .filter_map(|m| rest.find(m).map(|i| (i, m.len())))
        .min()
    {
        let after = rest.get(i + marker..).unwrap_or("");
        let after_sep = after.trim_start_matches([':', ' ', '#']);
        let token: String = after_sep
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        if after_sep.len() < after.len() && is_id(&token) {
            // Take the id as the player wrote it (ids may be case-sensitive).
            let start = text.len() - after_sep.len();
            return text.get(start..start + token.len()).map(str::to_owned);
        }
        rest = after;
    }
    None
}

fn classify(question: &str, today: Date) -> Intent {
    let q = question.to_lowercase();
    if contains_any(&q, &["note"]) {
        return Intent::Notes;
    }
    if let Some(id) = game_id_in(question) {
        return Intent::Game(id);
    }
    if contains_any(
        &q,
        &[
            "last game",
            "latest game",
            "previous game",
            "last match",
            "latest match",
            "last replay",
        ],
    ) {
        return Intent::LastGame;
    }
    if contains_any(
        &q,
        &[
            "strength",
            "strongest",
            "weak",
            "best at",
            "worst at",
            "work on",
            "improve on",
        ],
    ) {
        return Intent::Strengths;
    }
    let family = family_in(&q);
    match periods_in(&q, today) {
        Err(message) => return Intent::BadPeriod(message),
        Ok(found) => {
            let pair = match found.as_slice() {
                [] => None,
                [one] if asks_to_compare(&q) => counterpart(one, today).map(|o| (one.clone(), o)),
                [one] => {
                    return Intent::Period {
                        period: one.clone(),
                        family,
                    };
                }
                [x, y, ..] => Some((x.clone(), y.clone())),
            };
            if let Some((x, y)) = pair {
                let (a, b) = if (x.from, x.to) <= (y.from, y.to) {
                    (x, y)
                } else {
                    (y, x)
                };
                return Intent::Compare { a, b, family };
            }
        }
    }
    if let Some(family) = family {
        return Intent::Family(family);
    }
    if contains_any(
        &q,
        &[
            "session",
            "tonight",
            "how did i do",
            "how was i",
            "how am i doing",
            "lately",
            "recent",
        ],
    ) {
        return Intent::Session;
    }
    Intent::Unknown
}

/// The stat family a question is about, if it names one.
fn family_in(q: &str) -> Option<StatFamily> {
    let families: [(StatFamily, &[&str]); 5] = [
        (StatFamily::Boost, &["boost", "bpm", "pads"]),
        (StatFamily::Demos, &["demo", "bump"]),
        (
            StatFamily::Positioning,
            &[
                "position",
                "rotation",
                "defensive third",
                "behind the ball",
                "behind ball",
            ],
        ),
        (
            StatFamily::Movement,
            &["speed", "movement", "supersonic", "fast", "slow"],
        ),
        (
            StatFamily::Core,
            &[
                "shoot",
                "shot",
                "goal",
                "scoring",
                "finishing",
                "saves",
                "assist",
                "core",
            ],
        ),
    ];
    families
        .into_iter()
        .find(|(_, words)| contains_any(q, words))
        .map(|(family, _)| family)
}

/// A tool call of this turn with its result.
struct Step {
    name: String,
    content: String,
    is_error: bool,
}

/// The question (the last user text) and the tool rounds that followed it.
fn read_turn(req: &ChatRequest) -> (String, Vec<Step>, usize) {
    let question_at = req.messages.iter().rposition(|m| {
        m.role == Role::User
            && m.parts.iter().any(|p| matches!(p, Part::Text(_)))
            && !m.parts.iter().any(|p| matches!(p, Part::ToolResult { .. }))
    });
    let Some(at) = question_at else {
        return (String::new(), Vec::new(), 0);
    };
    let question = req
        .messages
        .get(at)
        .map(|m| {
            m.parts
                .iter()
                .filter_map(|p| match p {
                    Part::Text(t) => Some(t.as_str()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    let mut names = Vec::new();
    let mut steps = Vec::new();
    let mut rounds = 0;
    for message in req.messages.iter().skip(at + 1) {
        if message.role == Role::Assistant {
            rounds += 1;
        }
        for part in &message.parts {
            match part {
                Part::ToolCall { id, name, .. } => names.push((id.clone(), name.clone())),
                Part::ToolResult {
                    tool_call_id,
                    content,
                    is_error,
                } => {
                    let name = names
                        .iter()
                        .find(|(id, _)| id == tool_call_id)
                        .map(|(_, n)| n.clone())
                        .unwrap_or_default();
                    steps.push(Step {
                        name,
                        content: content.clone(),
                        is_error: *is_error,
                    });
                }
                _ => {}
            }
        }
    }
    (question, steps, rounds)
}

/// The next move: call these tools, or answer with this text.
enum Move {
    Call(Vec<(String, Value)>),
    Answer(String),
}

#[async_trait::async_trait]
impl Provider for BuiltinAnalyst {
    async fn stream(&self, req: ChatRequest) -> Result<FrameStream, ProviderError> {
        let (question, steps, rounds) = read_turn(&req);
        let mut frames = Vec::new();
        let has_tools = !req.tools.is_empty();
        let next = if !has_tools {
            Move::Answer(NO_TOOLS.to_owned())
        } else {
            let today = self.today();
            plan(&classify(&question, today), &steps, today)
        };
        match next {
            Move::Call(calls) => {
                for (k, (name, args)) in calls.into_iter().enumerate() {
                    frames.push(Frame::ToolCall {
                        id: format!("builtin-{}-{}", rounds + 1, k + 1),
                        name,
                        arguments_json: args.to_string(),
                    });
                }
                frames.push(Frame::Usage(Usage::default()));
                frames.push(Frame::Stop(StopReason::ToolUse));
            }
            Move::Answer(text) => {
                // Paragraph by paragraph, so the page streams it like a model's answer.
                for piece in text.split_inclusive("\n\n") {
                    frames.push(Frame::TextDelta(piece.to_owned()));
                }
                frames.push(Frame::Usage(Usage::default()));
                frames.push(Frame::Stop(StopReason::EndTurn));
            }
        }
        Ok(futures_util::stream::iter(frames.into_iter().map(Ok)).boxed())
    }
}

const NO_TOOLS: &str = "I'm filmroom's built-in analyst: I review Rocket League games from their \
numbers, without an AI model, so I cannot coach this topic. Choose the Rocket League coach, or \
configure an AI provider (Anthropic, an OpenAI-compatible server or a local model) for this one.";

const CAPABILITIES: &str = "I'm filmroom's built-in analyst. I answer from your games' numbers, \
without an AI model, so I understand only a few kinds of questions:\n\n\
- \"How was my last session?\"\n\
- \"How is my boost?\" (or movement, positioning, shooting, demos): your last games against the ones before\n\
- \"What are my strongest and weakest areas?\"\n\
- \"Explain my last game\" (or a game by its id)\n\
- \"How did I do this week?\" (today, yesterday, this week, last week, this month, last month, the last 7 days, since 2026-03-01, in March), or \"my boost this month\"\n\
- \"This week vs last week\", \"Compare this month with last month\", \"Am I better than last week?\"\n\
- \"Show my notes\"\n\n\
Days are UTC calendar days and weeks start on Monday.\n\n\
For open questions, configure an AI provider (Anthropic, an OpenAI-compatible server or a local model).";

const PERIODS_HELP: &str = "I understand these periods: today, yesterday, this week, last week, \
this month, last month, the last N days (or past N days), since YYYY-MM-DD and in <month> (say, \
\"in March\"). Days are UTC calendar days and weeks start on Monday.";

const NO_GAMES: &str = "You have no analysed games yet, so there is nothing I can review. \
Upload a replay and ask again: I can then summarise your last session, compare your boost, \
movement, positioning, shooting and demos with earlier games, find your strongest and weakest \
areas, and walk through a game's moments.";

fn find<'a>(steps: &'a [Step], name: &str) -> Option<&'a Step> {
    steps.iter().rev().find(|s| s.name == name)
}

/// The games of a `recent_games` result (or the tool's error message).
fn games_of(step: &Step) -> Result<Vec<GameDigest>, String> {
    if step.is_error {
        return Err(error_of(step));
    }
    let value: Value = serde_json::from_str(&step.content).map_err(|e| e.to_string())?;
    let games = value.get("games").cloned().unwrap_or(Value::Array(vec![]));
    serde_json::from_value(games).map_err(|e| e.to_string())
}

/// The answer to a comparison from each period's `stats_over_range` result:
/// the games to cite and the averages to compare both come from them.
fn compare_move(
    range_a: &Step,
    range_b: &Step,
    a: &Period,
    b: &Period,
    family: Option<StatFamily>,
    today: Date,
) -> Move {
    match (games_of(range_a), games_of(range_b)) {
        (Ok(ga), Ok(gb)) => Move::Answer(compare_answer(
            &Side {
                period: a,
                games: ga,
            },
            &Side {
                period: b,
                games: gb,
            },
            family,
            today,
        )),
        (Err(e), _) | (_, Err(e)) => tool_failed(&e),
    }
}

fn tool_failed(message: &str) -> Move {
    Move::Answer(format!(
        "I could not read your games just now ({message}), so I cannot answer without guessing. \
         Please try again in a moment."
    ))
}

fn plan(intent: &Intent, steps: &[Step], today: Date) -> Move {
    let recent = |n: usize| ("recent_games".to_owned(), json!({ "n": n }));
    let detail = |id: &str| ("game_detail".to_owned(), json!({ "game_id": id }));
    match intent {
        Intent::Unknown => Move::Answer(CAPABILITIES.to_owned()),
        Intent::BadPeriod(message) => Move::Answer(format!("{message}\n\n{PERIODS_HELP}")),
        Intent::Period { period, family } => match range_step(steps, period) {
            Some(step) => match games_of(step) {
                Err(e) => tool_failed(&e),
                Ok(games) => Move::Answer(period_answer(period, *family, &games, today)),
            },
            None => match find(steps, "stats_over_range") {
                Some(step) if step.is_error => tool_failed(&error_of(step)),
                // No result yet, or one for other days (the UTC day changed
                // between two rounds of this turn): ask for this period's.
                _ => Move::Call(vec![range_call(period)]),
            },
        },
        Intent::Compare { a, b, family } => {
            let failed = steps
                .iter()
                .find(|s| s.is_error && s.name == "stats_over_range");
            match (failed, range_step(steps, a), range_step(steps, b)) {
                (Some(step), _, _) => tool_failed(&error_of(step)),
                (None, Some(ra), Some(rb)) => compare_move(ra, rb, a, b, *family, today),
                // No results yet, or results for other days (the UTC day changed
                // between two rounds of this turn): ask for these periods'.
                (None, _, _) => Move::Call(vec![range_call(a), range_call(b)]),
            }
        }
        Intent::Notes => match find(steps, "list_notes") {
            None => Move::Call(vec![("list_notes".to_owned(), json!({}))]),
            Some(step) => notes_answer(step),
        },
        Intent::Game(id) => match find(steps, "game_detail") {
            None => Move::Call(vec![detail(id)]),
            Some(step) => game_answer(step, "This game"),
        },
        Intent::LastGame => match (find(steps, "recent_games"), find(steps, "game_detail")) {
            (None, _) => Move::Call(vec![recent(1)]),
            (Some(list), None) => match games_of(list) {
                Err(e) => tool_failed(&e),
                Ok(games) => match games.first() {
                    None => Move::Answer(NO_GAMES.to_owned()),
                    Some(game) => Move::Call(vec![detail(&game.id)]),
                },
            },
            (Some(_), Some(step)) => game_answer(step, "Your last game"),
        },
        Intent::Session => match (find(steps, "recent_games"), find(steps, "game_detail")) {
            (None, _) => Move::Call(vec![recent(20)]),
            (Some(list), detail_step) => match games_of(list) {
                Err(e) => tool_failed(&e),
                Ok(games) => match (games.first(), detail_step) {
                    (None, _) => Move::Answer(NO_GAMES.to_owned()),
                    (Some(newest), None) => Move::Call(vec![detail(&newest.id)]),
                    (Some(_), Some(d)) => {
                        let newest = parse_game(d).ok();
                        Move::Answer(session_answer(&games, newest.as_ref()))
                    }
                },
            },
        },
        Intent::Family(family) => match find(steps, "recent_games") {
            None => Move::Call(vec![recent(RECENT_GAMES + EARLIER_GAMES)]),
            Some(list) => match games_of(list) {
                Err(e) => tool_failed(&e),
                Ok(games) if games.is_empty() => Move::Answer(NO_GAMES.to_owned()),
                Ok(games) => Move::Answer(family_answer(*family, &games)),
            },
        },
        Intent::Strengths => match find(steps, "recent_games") {
            None => Move::Call(vec![recent(RECENT_GAMES + EARLIER_GAMES)]),
            Some(list) => match games_of(list) {
                Err(e) => tool_failed(&e),
                Ok(games) if games.is_empty() => Move::Answer(NO_GAMES.to_owned()),
                Ok(games) => Move::Answer(strengths_answer(&games)),
            },
        },
    }
}

/// `412` or `412.3`: values arrive rounded to one decimal.
pub fn fmt_num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn cite(game: &GameDigest) -> String {
    format_citation(&game.id, 0.0)
}

fn cites(games: &[GameDigest]) -> String {
    games.iter().map(cite).collect::<Vec<_>>().join(" ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn result_word(result: GameResult) -> &'static str {
    match result {
        GameResult::Win => "win",
        GameResult::Loss => "loss",
        GameResult::Draw => "draw",
        GameResult::Unknown => "game",
    }
}

fn record(games: &[GameDigest]) -> String {
    let count = |r| games.iter().filter(|g| g.result == r).count();
    let mut parts = vec![
        plural(count(GameResult::Win), "win", "wins"),
        plural(count(GameResult::Loss), "loss", "losses"),
    ];
    let draws = count(GameResult::Draw);
    if draws > 0 {
        parts.push(plural(draws, "draw", "draws"));
    }
    parts.join(", ")
}

fn parse_game(step: &Step) -> Result<GameDigest, String> {
    let value: Value = serde_json::from_str(&step.content).map_err(|e| e.to_string())?;
    if step.is_error {
        return Err(value
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("unknown error")
            .to_owned());
    }
    serde_json::from_value(value).map_err(|e| e.to_string())
}

/// The stat with its unit: `412.3 bpm`, `8.5%`.
fn with_unit(def: &StatDef, v: f64) -> String {
    format!("{}{}", fmt_num(v), def.unit)
}

fn stat_def(key: &str) -> Option<&'static StatDef> {
    STATS.iter().find(|d| d.key == key)
}

fn game_line(game: &GameDigest) -> String {
    let s = &game.stats;
    let mut line = format!(
        "- {} {}-{}{} {}: {}, {}, {}, {}",
        capitalise(result_word(game.result)),
        game.score_for,
        game.score_against,
        game.map
            .as_deref()
            .map(|m| format!(" on {m}"))
            .unwrap_or_default(),
        cite(game),
        plural(s.goals as usize, "goal", "goals"),
        plural(s.assists as usize, "assist", "assists"),
        plural(s.saves as usize, "save", "saves"),
        plural(s.shots as usize, "shot", "shots"),
    );
    for key in ["bpm", "percent_zero_boost"] {
        if let (Some(def), Some(v)) = (stat_def(key), stat_value(game, key)) {
            let item = format!("{} {}", with_unit(def, v), short_label(key));
            line.push_str(&format!(", {}", item.trim_end()));
        }
    }
    if !game.complete {
        line.push_str(" (scoreboard only: the replay could not be fully analysed)");
    }
    line
}

/// How a stat reads after its value in a list (`412 bpm` needs nothing more).
fn short_label(key: &str) -> &'static str {
    match key {
        "percent_zero_boost" => "at zero boost",
        "percent_supersonic" => "supersonic",
        "percent_behind_ball" => "behind the ball",
        "percent_defensive_third" => "in the defensive third",
        "avg_speed" => "average speed",
        "avg_boost_amount" => "average boost",
        "avg_distance_to_ball" => "average distance to the ball",
        _ => "",
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The newest game and the ones played before it without a long break.
fn last_session(games: &[GameDigest]) -> Vec<GameDigest> {
    let mut session: Vec<GameDigest> = Vec::new();
    for game in games {
        let Some(prev) = session.last() else {
            session.push(game.clone());
            continue;
        };
        let close = match (prev.played_at, game.played_at) {
            (Some(later), Some(earlier)) => {
                (later - earlier).whole_seconds() <= SESSION_GAP_SECONDS
            }
            _ => false,
        };
        if !close {
            break;
        }
        session.push(game.clone());
    }
    session
}

fn session_answer(games: &[GameDigest], newest: Option<&GameDigest>) -> String {
    let session = last_session(games);
    let day = session
        .first()
        .and_then(|g| g.played_at)
        .map(|at| format!(" on {}", at.date()))
        .unwrap_or_default();
    let mut text = format!(
        "Your last session{day}: {}, {}.\n\n",
        plural(session.len(), "game", "games"),
        record(&session)
    );
    text.push_str("Game by game, newest first:\n");
    for game in &session {
        text.push_str(&game_line(game));
        text.push('\n');
    }
    let avg = averages(&session);
    let mut bits = Vec::new();
    for key in [
        "goals",
        "saves",
        "shots",
        "bpm",
        "avg_speed",
        "percent_behind_ball",
    ] {
        if let (Some(def), Some(Some(v))) = (stat_def(key), avg.get(key)) {
            let label = match key {
                "goals" | "saves" | "shots" => format!("{} {key} per game", fmt_num(*v)),
                _ => format!("{} {}", with_unit(def, *v), short_label(key))
                    .trim_end()
                    .to_owned(),
            };
            bits.push(label);
        }
    }
    if session.len() > 1 && !bits.is_empty() {
        text.push_str(&format!(
            "\nOver these {} games you averaged {} ({}).\n",
            session.len(),
            join_and(&bits),
            cites(&session)
        ));
    }
    if let Some(game) = newest {
        text.push('\n');
        text.push_str(&moments_paragraph(game, "In your last game"));
        text.push('\n');
    }
    if let (Some(def), Some(Some(zero))) = (
        stat_def("percent_zero_boost"),
        avg.get("percent_zero_boost"),
    ) && *zero > 10.0
    {
        text.push_str(&format!(
            "\nOne thing to practise: you spent {} of the time at zero boost ({}). Take the small \
             pads on your way back so you arrive at the ball with boost.\n",
            with_unit(def, *zero),
            cites(&session)
        ));
    }
    if session.len() < games.len() {
        text.push_str(&format!(
            "\n(Games played more than {} hours before the newest one count as earlier sessions.)\n",
            SESSION_GAP_SECONDS / 3600
        ));
    }
    text.trim_end().to_owned()
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn moment_name(kind: MomentKind) -> &'static str {
    match kind {
        MomentKind::Goal => "your goal",
        MomentKind::Assist => "your assist",
        MomentKind::Save => "your save",
        MomentKind::Shot => "your shot",
        MomentKind::GoalAgainst => "a goal against",
    }
}

fn moments_paragraph(game: &GameDigest, lead: &str) -> String {
    let against: Vec<String> = game
        .moments
        .iter()
        .filter(|m| m.kind == MomentKind::GoalAgainst)
        .map(|m| {
            format!(
                "{} {}",
                format_clock(m.at_seconds),
                format_citation(&game.id, m.at_seconds)
            )
        })
        .collect();
    let mine: Vec<String> = game
        .moments
        .iter()
        .filter(|m| matches!(m.kind, MomentKind::Goal | MomentKind::Save))
        .map(|m| {
            format!(
                "{} at {} {}",
                moment_name(m.kind),
                format_clock(m.at_seconds),
                format_citation(&game.id, m.at_seconds)
            )
        })
        .collect();
    let mut text = String::new();
    if against.is_empty() {
        text.push_str(&format!(
            "{lead} {}, no goal was scored against you.",
            cite(game)
        ));
    } else {
        let goals = if against.len() == 1 {
            "the goal against"
        } else {
            "the goals against"
        };
        text.push_str(&format!(
            "{lead}, worth a second look: {goals} at {}.",
            join_and(&against)
        ));
    }
    if !mine.is_empty() {
        text.push_str(&format!(" Your highlights: {}.", join_and(&mine)));
    }
    text
}

fn game_answer(step: &Step, lead: &str) -> Move {
    let game = match parse_game(step) {
        Ok(game) => game,
        Err(e) if step.is_error => {
            return Move::Answer(format!(
                "I could not find that game among yours ({e}). Ask about \"my last game\", or copy the \
                 game's id from its page."
            ));
        }
        Err(e) => return tool_failed(&e),
    };
    let s = &game.stats;
    let mut facts = Vec::new();
    if let Some(p) = &game.playlist {
        facts.push(p.clone());
    }
    if let Some(n) = game.team_size {
        facts.push(format!("{n}v{n}"));
    }
    if let Some(d) = game.duration_seconds {
        facts.push(format!("{} long", format_clock(d)));
    }
    let mut text = format!(
        "{lead} {}: a {} {}-{}{}{}, playing {} as {}.\n\n",
        cite(&game),
        result_word(game.result),
        game.score_for,
        game.score_against,
        game.map
            .as_deref()
            .map(|m| format!(" on {m}"))
            .unwrap_or_default(),
        if facts.is_empty() {
            String::new()
        } else {
            format!(" ({})", facts.join(", "))
        },
        game.my_team,
        game.my_name,
    );
    text.push_str(&format!(
        "Your scoreboard: {}, {}, {}, {} and a score of {} {}.",
        plural(s.goals as usize, "goal", "goals"),
        plural(s.assists as usize, "assist", "assists"),
        plural(s.saves as usize, "save", "saves"),
        plural(s.shots as usize, "shot", "shots"),
        s.score,
        cite(&game)
    ));
    let mut detail = Vec::new();
    for def in STATS.iter().filter(|d| d.family != StatFamily::Core) {
        if let Some(v) = stat_value(&game, def.key) {
            let label = match def.key {
                "bpm" => with_unit(def, v),
                "demos_inflicted" => format!("{} demos inflicted", fmt_num(v)),
                "demos_taken" => format!("{} demos taken", fmt_num(v)),
                key => format!("{} {}", with_unit(def, v), short_label(key)),
            };
            detail.push(label);
        }
    }
    if detail.is_empty() {
        text.push_str(
            " The replay could not be fully analysed, so I only have the scoreboard for it.",
        );
    } else {
        text.push_str(&format!(
            " In detail: {} {}.",
            join_and(&detail),
            cite(&game)
        ));
    }
    text.push_str("\n\n");
    text.push_str(&moments_paragraph(&game, "In this game"));
    Move::Answer(text)
}

fn split_windows(games: &[GameDigest]) -> (Vec<GameDigest>, Vec<GameDigest>) {
    let n = games.len().min(RECENT_GAMES);
    let recent = games.get(..n).unwrap_or_default().to_vec();
    let earlier = games
        .get(n..)
        .unwrap_or_default()
        .iter()
        .take(EARLIER_GAMES)
        .cloned()
        .collect();
    (recent, earlier)
}

fn family_name(family: StatFamily) -> &'static str {
    match family {
        StatFamily::Core => "shooting and scoreboard numbers",
        StatFamily::Boost => "boost",
        StatFamily::Movement => "movement",
        StatFamily::Positioning => "positioning",
        StatFamily::Demos => "demos",
    }
}

/// The games of a window that have the stat, so an average cites only the games it
/// was computed from (a header-only replay has no boost numbers).
fn having(games: &[GameDigest], key: &str) -> Vec<GameDigest> {
    games
        .iter()
        .filter(|g| stat_value(g, key).is_some())
        .cloned()
        .collect()
}

fn family_answer(family: StatFamily, games: &[GameDigest]) -> String {
    let (recent, earlier) = split_windows(games);
    let mut lines = Vec::new();
    for def in STATS.iter().filter(|d| d.family == family) {
        let (now_games, before_games) = (having(&recent, def.key), having(&earlier, def.key));
        let Some(Some(now)) = averages(&now_games).get(def.key).copied() else {
            continue;
        };
        let mut line = format!(
            "- {}: {} over your last {} ({})",
            capitalise(def.label),
            with_unit(def, now),
            plural(now_games.len(), "game", "games"),
            cites(&now_games)
        );
        if let Some(Some(before)) = averages(&before_games).get(def.key).copied() {
            let diff = ((now - before) * 10.0).round() / 10.0;
            let change = if diff == 0.0 {
                "no change".to_owned()
            } else {
                format!(
                    "{} {}",
                    if diff > 0.0 { "up" } else { "down" },
                    with_unit(def, diff.abs())
                )
            };
            line.push_str(&format!(
                ", against {} over the {} before ({}): {change}",
                with_unit(def, before),
                plural(before_games.len(), "game", "games"),
                cites(&before_games)
            ));
        }
        line.push('.');
        lines.push(line);
    }
    if lines.is_empty() {
        return format!(
            "I have no {} numbers for your recent games: their replays could only be read for the \
             scoreboard ({}).",
            family_name(family),
            cites(&recent)
        );
    }
    let mut text = format!("Your {}:\n\n{}", family_name(family), lines.join("\n"));
    if earlier.is_empty() {
        text.push_str("\n\nThere are no earlier games to compare with yet.");
    } else if recent.len() < 3 || earlier.len() < 3 {
        text.push_str("\n\nWith this few games the comparison is a hint, not a trend.");
    }
    text
}

struct Change {
    def: &'static StatDef,
    now: f64,
    before: f64,
    rel: f64,
    now_games: Vec<GameDigest>,
    before_games: Vec<GameDigest>,
}

fn strengths_answer(games: &[GameDigest]) -> String {
    let (recent, earlier) = split_windows(games);
    if recent.len() < 2 || earlier.len() < 2 {
        return format!(
            "I need at least {} games to tell your strongest and weakest areas apart from game-to-game \
             noise, and I have {} ({}). Play a few more and ask again; meanwhile I can summarise your \
             last session or explain your last game.",
            RECENT_GAMES + 2,
            games.len(),
            cites(games)
        );
    }
    // Each stat's relative change, signed so that positive is better, with the
    // games each average covers.
    let mut changes: Vec<Change> = Vec::new();
    for def in STATS {
        let Some(better_up) = def.higher_is_better else {
            continue;
        };
        let (now_games, before_games) = (having(&recent, def.key), having(&earlier, def.key));
        if let (Some(Some(now)), Some(Some(before))) = (
            averages(&now_games).get(def.key).copied(),
            averages(&before_games).get(def.key).copied(),
        ) {
            let base = before.abs().max(1.0);
            let rel = (now - before) / base * if better_up { 1.0 } else { -1.0 };
            changes.push(Change {
                def,
                now,
                before,
                rel,
                now_games,
                before_games,
            });
        }
    }
    // Stable order first, so ties resolve the same way every time.
    changes.sort_by(|a, b| b.rel.total_cmp(&a.rel));
    let (Some(best), Some(worst)) = (changes.first(), changes.last()) else {
        return "Your recent replays could only be read for the scoreboard, so I cannot rank your \
                areas."
            .to_owned();
    };
    let describe = |c: &Change| {
        format!(
            "{}: {} over your last {} ({}) against {} over the {} before ({})",
            c.def.label,
            with_unit(c.def, c.now),
            plural(c.now_games.len(), "game", "games"),
            cites(&c.now_games),
            with_unit(c.def, c.before),
            plural(c.before_games.len(), "game", "games"),
            cites(&c.before_games)
        )
    };
    let mut text = format!(
        "Compared with your earlier games, your strongest area lately is {}.\n\nYour weakest is {}.",
        describe(best),
        describe(worst)
    );
    if worst.rel >= 0.0 {
        text.push_str(
            " Every area held steady or improved, so this is the one that improved least.",
        );
    } else {
        text.push_str(" That is the one to work on next.");
    }
    if recent.len() < 3 || earlier.len() < 3 {
        text.push_str("\n\nWith this few games it is a hint, not a trend.");
    }
    text
}

fn notes_answer(step: &Step) -> Move {
    let value: Value = serde_json::from_str(&step.content).unwrap_or(Value::Null);
    if step.is_error {
        let message = value
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("unknown error");
        return tool_failed(message);
    }
    let notes: Vec<NoteView> = value
        .get("notes")
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    if notes.is_empty() {
        return Move::Answer(
            "There are no coaching notes yet. A coach with an AI provider can save notes when you ask \
             it to remember something."
                .to_owned(),
        );
    }
    let mut text = format!("Your coaching notes ({}):\n", notes.len());
    for note in &notes {
        text.push_str(&format!(
            "\n- {} ({}, {})",
            note.text,
            note.author,
            note.updated_at.date()
        ));
    }
    Move::Answer(text)
}

mod period_answers;
mod periods;

use period_answers::*;
use periods::*;

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    /// Today in the tests of phrases: Sunday 22 November 2026.
    const TODAY: Date = date!(2026 - 11 - 22);

    fn classify(question: &str) -> Intent {
        super::classify(question, TODAY)
    }

    #[test]
    fn questions_are_classified_by_their_words() {
        assert_eq!(classify("How was my last session?"), Intent::Session);
        assert_eq!(
            classify("how is my boost management"),
            Intent::Family(StatFamily::Boost)
        );
        assert_eq!(classify("What are my strengths?"), Intent::Strengths);
        assert_eq!(classify("Explain my last game"), Intent::LastGame);
        assert_eq!(
            classify("what happened in game 3f2a9c01?"),
            Intent::Game("3f2a9c01".to_owned())
        );
        assert_eq!(classify("show my notes"), Intent::Notes);
        assert_eq!(classify("what's the weather?"), Intent::Unknown);
    }

    /// The one period a question names, resolved against `today`.
    fn one_period(question: &str, today: Date) -> (Date, Date) {
        match periods_in(&question.to_lowercase(), today).as_deref() {
            Ok([p]) => (p.from, p.to),
            other => panic!("{question}: {other:?}"),
        }
    }

    #[test]
    fn each_period_phrase_resolves_to_its_utc_days() {
        let cases = [
            (
                "how did I do today?",
                date!(2026 - 11 - 22),
                date!(2026 - 11 - 22),
            ),
            (
                "and yesterday",
                date!(2026 - 11 - 21),
                date!(2026 - 11 - 21),
            ),
            (
                "How did I do this week?",
                date!(2026 - 11 - 16),
                date!(2026 - 11 - 22),
            ),
            ("last week", date!(2026 - 11 - 09), date!(2026 - 11 - 15)),
            (
                "the previous week",
                date!(2026 - 11 - 09),
                date!(2026 - 11 - 15),
            ),
            ("this month", date!(2026 - 11 - 01), date!(2026 - 11 - 22)),
            ("last month", date!(2026 - 10 - 01), date!(2026 - 10 - 31)),
            (
                "my last 7 days",
                date!(2026 - 11 - 16),
                date!(2026 - 11 - 22),
            ),
            (
                "the past 30 days",
                date!(2026 - 10 - 24),
                date!(2026 - 11 - 22),
            ),
            ("last 1 day", date!(2026 - 11 - 22), date!(2026 - 11 - 22)),
            (
                "since 2026-11-02?",
                date!(2026 - 11 - 02),
                date!(2026 - 11 - 22),
            ),
            (
                "since 2026-11-22",
                date!(2026 - 11 - 22),
                date!(2026 - 11 - 22),
            ),
            ("in March", date!(2026 - 03 - 01), date!(2026 - 03 - 31)),
            (
                "during february",
                date!(2026 - 02 - 01),
                date!(2026 - 02 - 28),
            ),
            ("in November", date!(2026 - 11 - 01), date!(2026 - 11 - 22)),
            // A month still to come this year is last year's.
            ("in December", date!(2025 - 12 - 01), date!(2025 - 12 - 31)),
            (
                "in march 2024",
                date!(2024 - 03 - 01),
                date!(2024 - 03 - 31),
            ),
        ];
        for (question, from, to) in cases {
            assert_eq!(one_period(question, TODAY), (from, to), "{question}");
        }
        // On a Monday this week is that day alone; in January last month is last year's.
        let monday = date!(2026 - 11 - 16);
        assert_eq!(one_period("this week", monday), (monday, monday));
        assert_eq!(
            one_period("last week", monday),
            (date!(2026 - 11 - 09), date!(2026 - 11 - 15))
        );
        assert_eq!(
            one_period("last month", date!(2027 - 01 - 05)),
            (date!(2026 - 12 - 01), date!(2026 - 12 - 31))
        );
        // Leap years.
        assert_eq!(
            one_period("in february 2028", date!(2028 - 06 - 01)),
            (date!(2028 - 02 - 01), date!(2028 - 02 - 29))
        );
        // No period, no error.
        assert_eq!(periods_in("how was my last session", TODAY), Ok(vec![]));
        assert_eq!(periods_in("since my last game", TODAY), Ok(vec![]));
    }

    #[test]
    fn periods_are_written_with_their_days_and_utc() {
        let p = |q: &str| match classify(q) {
            Intent::Period { period, .. } => period,
            other => panic!("{q}: {other:?}"),
        };
        assert_eq!(
            range_text(&p("this week"), TODAY),
            "Mon 16 Nov - today, UTC"
        );
        assert_eq!(
            range_text(&p("last week"), TODAY),
            "Mon 9 Nov - Sun 15 Nov, UTC"
        );
        assert_eq!(range_text(&p("today"), TODAY), "Sun 22 Nov, UTC");
        assert_eq!(range_text(&p("yesterday"), TODAY), "Sat 21 Nov, UTC");
        assert_eq!(
            range_text(&p("in december"), TODAY),
            "Mon 1 Dec 2025 - Wed 31 Dec 2025, UTC"
        );
        assert_eq!(p("the past 3 days").when, "in the last 3 days");
        assert_eq!(p("since 2026-11-02").name, "since 2026-11-02");
    }

    #[test]
    fn bad_and_future_dates_are_refused_with_a_reason() {
        let bad = |q: &str| match classify(q) {
            Intent::BadPeriod(message) => message,
            other => panic!("{q}: {other:?}"),
        };
        assert!(bad("how did I do since 2026-13-45").contains("\"2026-13-45\" is not a date"));
        assert!(bad("since 2026-02-30").contains("is not a date"));
        assert!(bad("since 26-1-1").contains("YYYY-MM-DD"));
        assert!(bad("since 2026-11-23").contains("2026-11-23 is in the future"));
        assert!(bad("in march 2027").contains("March 2027 is in the future"));
        assert!(bad("my last 0 days").contains("1 to 3660 days"));
        assert!(bad("the last 99999999999999999999 days").contains("1 to 3660 days"));
    }

    fn at(kind: PeriodKind) -> Period {
        resolve(kind, TODAY).unwrap_or_else(|| panic!("{kind:?}"))
    }

    #[test]
    fn period_questions_and_comparisons_are_classified() {
        let this_week = at(PeriodKind::ThisWeek);
        let last_week = at(PeriodKind::LastWeek);
        let this_month = at(PeriodKind::ThisMonth);
        let last_month = at(PeriodKind::LastMonth);
        assert_eq!(
            classify("How did I do this week?"),
            Intent::Period {
                period: this_week.clone(),
                family: None
            }
        );
        assert_eq!(
            classify("my boost this week"),
            Intent::Period {
                period: this_week.clone(),
                family: Some(StatFamily::Boost)
            }
        );
        let weeks = Intent::Compare {
            a: last_week.clone(),
            b: this_week.clone(),
            family: None,
        };
        assert_eq!(classify("this week vs last week"), weeks);
        assert_eq!(classify("last week versus this week?"), weeks);
        assert_eq!(classify("Am I better than last week?"), weeks);
        assert_eq!(classify("did I improve this week"), weeks);
        assert_eq!(
            classify("how did I do against that team this week"),
            Intent::Period {
                period: this_week.clone(),
                family: None
            }
        );
        assert_eq!(
            classify("compare this month with last month"),
            Intent::Compare {
                a: last_month,
                b: this_month,
                family: None
            }
        );
        match classify("is my positioning better in the last 7 days?") {
            Intent::Compare { a, b, family } => {
                assert_eq!(
                    (a.from, a.to),
                    (date!(2026 - 11 - 09), date!(2026 - 11 - 15))
                );
                assert_eq!(a.name, "the 7 days before");
                assert_eq!((b.from, b.to), (date!(2026 - 11 - 16), TODAY));
                assert_eq!(family, Some(StatFamily::Positioning));
            }
            other => panic!("{other:?}"),
        }
        // What was there before keeps its meaning.
        assert_eq!(classify("How did I do?"), Intent::Session);
        assert_eq!(classify("explain my last game this week"), Intent::LastGame);
        assert_eq!(classify("my notes from last week"), Intent::Notes);
        assert_eq!(classify("what are my weak spots"), Intent::Strengths);
        assert_eq!(
            classify("thanks! how is my speed"),
            Intent::Family(StatFamily::Movement)
        );
        // The note on capped periods names the tools' real limit.
        assert!(CAPPED.contains(&format!("{MAX_GAMES_SCANNED} newest")));
    }

    #[test]
    fn a_result_for_other_days_is_asked_again_and_a_failure_is_reported() {
        let this_week = at(PeriodKind::ThisWeek);
        let intent = Intent::Period {
            period: this_week.clone(),
            family: None,
        };
        let step = |from: &str, until: &str| Step {
            name: "stats_over_range".to_owned(),
            content: json!({"from": from, "until": until, "summary": {}, "games": []}).to_string(),
            is_error: false,
        };
        // The result of yesterday's "this week" (the day changed between rounds).
        let stale = [step("2026-11-16T00:00:00Z", "2026-11-22T00:00:00Z")];
        match plan(&intent, &stale, TODAY) {
            Move::Call(calls) => assert_eq!(
                calls,
                [(
                    "stats_over_range".to_owned(),
                    json!({"from": "2026-11-16", "until": "2026-11-22"})
                )]
            ),
            Move::Answer(text) => panic!("{text}"),
        }
        let fresh = [step("2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z")];
        match plan(&intent, &fresh, TODAY) {
            Move::Answer(text) => assert!(
                text.starts_with("You played no games this week (Mon 16 Nov - today, UTC)"),
                "{text}"
            ),
            Move::Call(calls) => panic!("{calls:?}"),
        }
        let failed = [Step {
            name: "stats_over_range".to_owned(),
            content: json!({"error": "the player's data is unavailable"}).to_string(),
            is_error: true,
        }];
        match plan(&intent, &failed, TODAY) {
            Move::Answer(text) => assert!(
                text.contains(
                    "could not read your games just now (the player's data is unavailable)"
                ),
                "{text}"
            ),
            Move::Call(calls) => panic!("{calls:?}"),
        }
    }
}
