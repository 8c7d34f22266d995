//! The built-in analyst: the coach that works with no model and no configuration.
//!
//! It is a [`Provider`] like the others and goes through the same tool machinery:
//! given a question it recognises, it answers with tool calls (`Stop(ToolUse)`);
//! given the tool results, it writes the answer from them. The questions it knows:
//! the last session, one stat family (for Rocket League boost, movement,
//! positioning, shooting, demos) or every stat ("am I improving?") against earlier
//! games, strongest and weakest areas ("what should I fix?"), one game explained
//! ("last game", "last one" or a game id), the coaching notes, and periods of time: a summary of
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
//!
//! It names no domain: the stat families and their question words, the stats
//! and how they read, what a recording is called ("game", "talk") and its
//! scoreboard all come from the digest spec of the recordings' kind
//! ([`CoachDigestSpec`]), which the turn hands it from the player's data
//! ([`Provider::for_domains`]).

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use filmroom_domain::{CoachDigestSpec, HeadlineStat};
use futures_util::StreamExt;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, UtcOffset, Weekday};

use crate::citations::{format_citation, format_clock};
use crate::data::{GameDigest, GameResult, NoteView};
use crate::tools::{MAX_GAMES_SCANNED, averages, stat_value};
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

/// The digest specs the analyst words its answers with, by kind.
type Specs = BTreeMap<String, CoachDigestSpec>;

/// The built-in analyst. Periods ("this week", "since 2026-03-01") are resolved
/// against its clock: the system's, or a fixed instant for tests.
#[derive(Debug, Clone, Default)]
pub struct BuiltinAnalyst {
    now: Option<OffsetDateTime>,
    specs: Arc<Specs>,
}

impl BuiltinAnalyst {
    /// The analyst on the system clock.
    pub fn new() -> Self {
        Self::default()
    }

    /// The analyst with "now" fixed at `now`, so answers about periods are
    /// deterministic.
    pub fn with_now(now: OffsetDateTime) -> Self {
        Self {
            now: Some(now),
            ..Self::default()
        }
    }

    /// The analyst wording its answers with these kinds' digest specs.
    pub fn with_specs(mut self, specs: Specs) -> Self {
        self.specs = Arc::new(specs);
        self
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
    /// One stat family (by name) of the last games against the ones before.
    Family(String),
    /// Every stat of the last games against the ones before ("am I improving?").
    Trend,
    /// A summary of one period, or of one stat family over it.
    Period {
        period: Period,
        family: Option<String>,
    },
    /// Two periods side by side, `a` the earlier.
    Compare {
        a: Period,
        b: Period,
        family: Option<String>,
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

/// "last game", "latest match", "previous one"...: the phrases naming the
/// newest recording, with every noun the domains give one.
fn last_recording_phrases(specs: &Specs) -> Vec<String> {
    let mut nouns: Vec<&str> = vec!["one"];
    for spec in specs.values() {
        nouns.push(&spec.words.recording.one);
        nouns.extend(spec.words.recording_aliases.iter().map(String::as_str));
    }
    let mut phrases = Vec::new();
    for which in ["last", "latest", "previous"] {
        for noun in &nouns {
            phrases.push(format!("{which} {noun}"));
        }
    }
    phrases
}

fn classify(question: &str, today: Date, specs: &Specs) -> Intent {
    let q = question.to_lowercase();
    if contains_any(&q, &["note"]) {
        return Intent::Notes;
    }
    if let Some(id) = game_id_in(question) {
        return Intent::Game(id);
    }
    if last_recording_phrases(specs)
        .iter()
        .any(|p| q.contains(p.as_str()))
    {
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
            "fix",
        ],
    ) {
        return Intent::Strengths;
    }
    let family = family_in(&q, specs);
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
    if asks_to_compare(&q) {
        return Intent::Trend;
    }
    Intent::Unknown
}

/// The stat family a question is about, if it names one: the first domain's
/// (in kind order) whose words the question uses.
fn family_in(q: &str, specs: &Specs) -> Option<String> {
    specs
        .values()
        .find_map(|spec| spec.family_asked(q))
        .map(|f| f.name.clone())
}

/// The spec with no words of a domain: neutral nouns, no stats.
fn neutral_spec() -> &'static CoachDigestSpec {
    static NEUTRAL: OnceLock<CoachDigestSpec> = OnceLock::new();
    NEUTRAL.get_or_init(CoachDigestSpec::default)
}

/// The spec of a kind; without one, the only (or first) domain's, else neutral.
fn spec_for<'a>(specs: &'a Specs, kind: Option<&str>) -> &'a CoachDigestSpec {
    kind.and_then(|k| specs.get(k))
        .or_else(|| specs.values().next())
        .unwrap_or(neutral_spec())
}

/// The spec of the newest of these games.
fn spec_of<'a>(specs: &'a Specs, games: &[GameDigest]) -> &'a CoachDigestSpec {
    spec_for(specs, games.first().map(|g| g.kind.as_str()))
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
            Move::Answer(no_tools(spec_for(&self.specs, None)))
        } else {
            let today = self.today();
            plan(
                &classify(&question, today, &self.specs),
                &steps,
                today,
                &self.specs,
            )
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

    fn for_domains(&self, specs: &Specs) -> Option<Arc<dyn Provider>> {
        Some(Arc::new(self.clone().with_specs(specs.clone())))
    }
}

/// What the analyst reviews: "Rocket League games", or "recordings".
fn reviews(spec: &CoachDigestSpec) -> String {
    let w = &spec.words;
    if w.domain.is_empty() {
        w.recording.many.clone()
    } else {
        format!("{} {}", w.domain, w.recording.many)
    }
}

fn no_tools(spec: &CoachDigestSpec) -> String {
    let coach = if spec.words.domain.is_empty() {
        "a coach of your recordings".to_owned()
    } else {
        format!("the {} coach", spec.words.domain)
    };
    format!(
        "I'm filmroom's built-in analyst: I review {} from their numbers, without an AI model, so \
         I cannot coach this topic. Choose {coach}, or configure an AI provider (Anthropic, an \
         OpenAI-compatible server or a local model) for this one.",
        reviews(spec)
    )
}

/// The families as the list of questions names them: "boost (or demos, ...)".
fn families_asked(spec: &CoachDigestSpec) -> Vec<&str> {
    spec.families.iter().map(|f| f.asked_as.as_str()).collect()
}

fn capabilities(spec: &CoachDigestSpec) -> String {
    let w = &spec.words;
    let (one, many) = (&w.recording.one, &w.recording.many);
    let mut text = format!(
        "I'm filmroom's built-in analyst. I answer from your {many}' numbers, without an AI \
         model, so I understand only a few kinds of questions:\n\n\
         - \"How was my last session?\"\n"
    );
    let asked = families_asked(spec);
    if let Some((first, rest)) = asked.split_first() {
        let others = if rest.is_empty() {
            String::new()
        } else {
            format!(" (or {})", rest.join(", "))
        };
        text.push_str(&format!(
            "- \"How is my {first}?\"{others}: your last {many} against the ones before\n"
        ));
    } else {
        text.push_str(&format!(
            "- \"Am I improving?\": your last {many} against the ones before\n"
        ));
    }
    text.push_str(&format!(
        "- \"What are my strongest and weakest areas?\"\n\
         - \"Explain my last {one}\" (or a {one} by its id)\n\
         - \"How did I do this week?\" (today, yesterday, this week, last week, this month, last \
         month, the last 7 days, since 2026-03-01, in March)"
    ));
    if let Some(first) = asked.first() {
        text.push_str(&format!(", or \"my {first} this month\""));
    }
    text.push_str(
        "\n- \"This week vs last week\", \"Compare this month with last month\", \"Am I better \
         than last week?\"\n\
         - \"Show my notes\"\n\n\
         Days are UTC calendar days and weeks start on Monday.\n\n\
         For open questions, configure an AI provider (Anthropic, an OpenAI-compatible server or a \
         local model).",
    );
    text
}

const PERIODS_HELP: &str = "I understand these periods: today, yesterday, this week, last week, \
this month, last month, the last N days (or past N days), since YYYY-MM-DD and in <month> (say, \
\"in March\"). Days are UTC calendar days and weeks start on Monday.";

fn no_games(spec: &CoachDigestSpec) -> String {
    let w = &spec.words;
    let (one, many) = (&w.recording.one, &w.recording.many);
    let asked: Vec<String> = families_asked(spec)
        .into_iter()
        .map(str::to_owned)
        .collect();
    let compare = if asked.is_empty() {
        String::new()
    } else {
        format!("compare your {} with earlier {many}, ", join_and(&asked))
    };
    format!(
        "You have no analysed {many} yet, so there is nothing I can review. Upload a {} and ask \
         again: I can then summarise your last session, {compare}find your strongest and weakest \
         areas, and walk through a {one}'s moments.",
        w.file
    )
}

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
    family: Option<&str>,
    today: Date,
    specs: &Specs,
) -> Move {
    match (games_of(range_a), games_of(range_b)) {
        (Ok(ga), Ok(gb)) => {
            let spec = spec_of(specs, if gb.is_empty() { &ga } else { &gb });
            Move::Answer(compare_answer(
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
                spec,
            ))
        }
        (Err(e), _) | (_, Err(e)) => tool_failed(&e, spec_for(specs, None)),
    }
}

fn tool_failed(message: &str, spec: &CoachDigestSpec) -> Move {
    Move::Answer(format!(
        "I could not read your {} just now ({message}), so I cannot answer without guessing. \
         Please try again in a moment.",
        spec.words.recording.many
    ))
}

fn plan(intent: &Intent, steps: &[Step], today: Date, specs: &Specs) -> Move {
    let recent = |n: usize| ("recent_games".to_owned(), json!({ "n": n }));
    let detail = |id: &str| ("game_detail".to_owned(), json!({ "game_id": id }));
    let any = spec_for(specs, None);
    let failed = |e: &str| tool_failed(e, any);
    match intent {
        Intent::Unknown => Move::Answer(capabilities(any)),
        Intent::BadPeriod(message) => Move::Answer(format!("{message}\n\n{PERIODS_HELP}")),
        Intent::Period { period, family } => match range_step(steps, period) {
            Some(step) => match games_of(step) {
                Err(e) => failed(&e),
                Ok(games) => Move::Answer(period_answer(
                    period,
                    family.as_deref(),
                    &games,
                    today,
                    spec_of(specs, &games),
                )),
            },
            None => match find(steps, "stats_over_range") {
                Some(step) if step.is_error => failed(&error_of(step)),
                // No result yet, or one for other days (the UTC day changed
                // between two rounds of this turn): ask for this period's.
                _ => Move::Call(vec![range_call(period)]),
            },
        },
        Intent::Compare { a, b, family } => {
            let failed_step = steps
                .iter()
                .find(|s| s.is_error && s.name == "stats_over_range");
            match (failed_step, range_step(steps, a), range_step(steps, b)) {
                (Some(step), _, _) => failed(&error_of(step)),
                (None, Some(ra), Some(rb)) => {
                    compare_move(ra, rb, a, b, family.as_deref(), today, specs)
                }
                // No results yet, or results for other days (the UTC day changed
                // between two rounds of this turn): ask for these periods'.
                (None, _, _) => Move::Call(vec![range_call(a), range_call(b)]),
            }
        }
        Intent::Notes => match find(steps, "list_notes") {
            None => Move::Call(vec![("list_notes".to_owned(), json!({}))]),
            Some(step) => notes_answer(step, any),
        },
        Intent::Game(id) => match find(steps, "game_detail") {
            None => Move::Call(vec![detail(id)]),
            Some(step) => game_answer(step, Lead::This, specs),
        },
        Intent::LastGame => match (find(steps, "recent_games"), find(steps, "game_detail")) {
            (None, _) => Move::Call(vec![recent(1)]),
            (Some(list), None) => match games_of(list) {
                Err(e) => failed(&e),
                Ok(games) => match games.first() {
                    None => Move::Answer(no_games(any)),
                    Some(game) => Move::Call(vec![detail(&game.id)]),
                },
            },
            (Some(_), Some(step)) => game_answer(step, Lead::Last, specs),
        },
        Intent::Session => match (find(steps, "recent_games"), find(steps, "game_detail")) {
            (None, _) => Move::Call(vec![recent(20)]),
            (Some(list), detail_step) => match games_of(list) {
                Err(e) => failed(&e),
                Ok(games) => match (games.first(), detail_step) {
                    (None, _) => Move::Answer(no_games(any)),
                    (Some(newest), None) => Move::Call(vec![detail(&newest.id)]),
                    (Some(_), Some(d)) => {
                        let newest = parse_game(d).ok();
                        Move::Answer(session_answer(
                            &games,
                            newest.as_ref(),
                            spec_of(specs, &games),
                        ))
                    }
                },
            },
        },
        Intent::Family(_) | Intent::Trend | Intent::Strengths => {
            match find(steps, "recent_games") {
                None => Move::Call(vec![recent(RECENT_GAMES + EARLIER_GAMES)]),
                Some(list) => match games_of(list) {
                    Err(e) => failed(&e),
                    Ok(games) if games.is_empty() => Move::Answer(no_games(any)),
                    Ok(games) => {
                        let spec = spec_of(specs, &games);
                        Move::Answer(match intent {
                            Intent::Family(family) => family_answer(Some(family), &games, spec),
                            Intent::Trend => family_answer(None, &games, spec),
                            _ => strengths_answer(&games, spec),
                        })
                    }
                },
            }
        }
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

/// `3 games`, `1 talk`.
fn count_of(n: usize, spec: &CoachDigestSpec) -> String {
    let noun = &spec.words.recording;
    plural(n, &noun.one, &noun.many)
}

fn result_word(result: GameResult, spec: &CoachDigestSpec) -> &str {
    match result {
        GameResult::Win => "win",
        GameResult::Loss => "loss",
        GameResult::Draw => "draw",
        GameResult::Unknown => &spec.words.recording.one,
    }
}

/// Whether results are worth saying: the domain keeps a score, or some game
/// has a known result.
fn has_results(games: &[GameDigest], spec: &CoachDigestSpec) -> bool {
    !spec.score_metrics.is_empty() || games.iter().any(|g| g.result != GameResult::Unknown)
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

/// `3 games, 2 wins, 1 loss`, or `3 talks` where there are no results.
fn count_and_record(games: &[GameDigest], spec: &CoachDigestSpec) -> String {
    if has_results(games, spec) {
        format!("{}, {}", count_of(games.len(), spec), record(games))
    } else {
        count_of(games.len(), spec)
    }
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
fn with_unit(def: &HeadlineStat, v: f64) -> String {
    format!("{}{}", fmt_num(v), def.suffix)
}

/// The stat with its unit and short label: `8.5% at zero boost`, `412 bpm`.
fn labelled(def: &HeadlineStat, v: f64) -> String {
    format!("{} {}", with_unit(def, v), def.short_label)
        .trim_end()
        .to_owned()
}

/// A count with its noun (`2 goals`), else the stat with its unit and label.
fn counted(def: &HeadlineStat, v: f64) -> String {
    match &def.noun {
        Some(noun) => {
            let n = fmt_num(v);
            let word = if n == "1" { &noun.one } else { &noun.many };
            format!("{n} {word}")
        }
        None => labelled(def, v),
    }
}

/// ` on DFH Stadium`: where the game happened, when the domain says.
fn place(game: &GameDigest, spec: &CoachDigestSpec) -> String {
    spec.words
        .place_facet
        .as_ref()
        .and_then(|facet| game.facets.get(facet))
        .map(|p| format!(" on {p}"))
        .unwrap_or_default()
}

/// ` 3-2`, when the domain keeps a score.
fn score_text(game: &GameDigest, spec: &CoachDigestSpec) -> String {
    if spec.score_metrics.is_empty() {
        String::new()
    } else {
        format!(" {}-{}", game.score_for, game.score_against)
    }
}

fn game_line(game: &GameDigest, spec: &CoachDigestSpec) -> String {
    let w = &spec.words;
    let mut items: Vec<String> = Vec::new();
    for name in &w.line_counts {
        if let (Some(def), Some(v)) = (spec.stat(name), stat_value(game, name)) {
            items.push(counted(def, v));
        }
    }
    for name in &w.line_values {
        if let (Some(def), Some(v)) = (spec.stat(name), stat_value(game, name)) {
            items.push(labelled(def, v));
        }
    }
    let mut line = format!(
        "- {}{}{} {}",
        capitalise(result_word(game.result, spec)),
        score_text(game, spec),
        place(game, spec),
        cite(game),
    );
    if !items.is_empty() {
        line.push_str(&format!(": {}", items.join(", ")));
    }
    if !game.complete {
        line.push_str(&format!(
            " ({} only: the {} could not be fully analysed)",
            w.scoreboard, w.file
        ));
    }
    line
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

fn session_answer(
    games: &[GameDigest],
    newest: Option<&GameDigest>,
    spec: &CoachDigestSpec,
) -> String {
    let w = &spec.words;
    let (one, many) = (&w.recording.one, &w.recording.many);
    let session = last_session(games);
    let day = session
        .first()
        .and_then(|g| g.played_at)
        .map(|at| format!(" on {}", at.date()))
        .unwrap_or_default();
    let mut text = format!(
        "Your last session{day}: {}.\n\n",
        count_and_record(&session, spec)
    );
    text.push_str(&format!("{} by {one}, newest first:\n", capitalise(one)));
    for game in &session {
        text.push_str(&game_line(game, spec));
        text.push('\n');
    }
    let avg = averages(&session);
    let mut bits = Vec::new();
    for key in &w.session_stats {
        if let (Some(def), Some(Some(v))) = (spec.stat(key), avg.get(key)) {
            let label = match &def.noun {
                Some(noun) => format!("{} {} per {one}", fmt_num(*v), noun.many),
                None => labelled(def, *v),
            };
            bits.push(label);
        }
    }
    if session.len() > 1 && !bits.is_empty() {
        text.push_str(&format!(
            "\nOver these {} {many} you averaged {} ({}).\n",
            session.len(),
            join_and(&bits),
            cites(&session)
        ));
    }
    if let Some(game) = newest {
        let moments = moments_paragraph(game, &format!("In your last {one}"), spec);
        if !moments.is_empty() {
            text.push('\n');
            text.push_str(&moments);
            text.push('\n');
        }
    }
    for tip in &w.tips {
        if let (Some(def), Some(Some(v))) = (spec.stat(&tip.stat), avg.get(&tip.stat))
            && *v > tip.above
        {
            let advice = tip
                .text
                .replace("{value}", &with_unit(def, *v))
                .replace("{cites}", &cites(&session));
            text.push_str(&format!("\n{advice}\n"));
        }
    }
    if session.len() < games.len() {
        text.push_str(&format!(
            "\n({} played more than {} hours before the newest one count as earlier sessions.)\n",
            capitalise(many),
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

/// The game's moments worth a second look (against the player) and its
/// highlights, as the domain's moment rules mark them; empty when the domain
/// marks neither.
fn moments_paragraph(game: &GameDigest, lead: &str, spec: &CoachDigestSpec) -> String {
    let rule = |kind: &str| spec.moments.iter().find(|r| r.moment == kind);
    let marks_against = spec.moments.iter().any(|r| r.against);
    let against: Vec<String> = game
        .moments
        .iter()
        .filter(|m| rule(&m.kind).is_some_and(|r| r.against))
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
        .filter_map(|m| {
            let name = rule(&m.kind)?.highlight.as_ref()?;
            Some(format!(
                "{name} at {} {}",
                format_clock(m.at_seconds),
                format_citation(&game.id, m.at_seconds)
            ))
        })
        .collect();
    let mut text = String::new();
    if !against.is_empty() {
        text.push_str(&format!(
            "{lead}, worth a second look: {} at {}.",
            spec.words.against.of(against.len()),
            join_and(&against)
        ));
    } else if marks_against {
        text.push_str(&format!(
            "{lead} {}, {}.",
            cite(game),
            spec.words.none_against
        ));
    }
    if !mine.is_empty() {
        if text.is_empty() {
            text.push_str(&format!("{lead} {}:", cite(game)));
        }
        text.push_str(&format!(" Your highlights: {}.", join_and(&mine)));
    }
    text
}

/// How a game's explanation starts.
#[derive(Clone, Copy)]
enum Lead {
    /// "This game"
    This,
    /// "Your last game"
    Last,
}

fn game_answer(step: &Step, lead: Lead, specs: &Specs) -> Move {
    let game = match parse_game(step) {
        Ok(game) => game,
        Err(e) if step.is_error => {
            let one = &spec_for(specs, None).words.recording.one;
            return Move::Answer(format!(
                "I could not find that {one} among yours ({e}). Ask about \"my last {one}\", or \
                 copy the {one}'s id from its page."
            ));
        }
        Err(e) => return tool_failed(&e, spec_for(specs, None)),
    };
    let spec = spec_for(specs, Some(&game.kind));
    let w = &spec.words;
    let one = &w.recording.one;
    let lead = match lead {
        Lead::This => format!("This {one}"),
        Lead::Last => format!("Your last {one}"),
    };
    let mut facts = Vec::new();
    for fact in &w.facts {
        if let Some(value) = game.facets.get(&fact.facet) {
            facts.push(fact.template.replace("{value}", value));
        }
    }
    if let Some(d) = game.duration_seconds {
        facts.push(format!("{} long", format_clock(d)));
    }
    let who = if game.my_team.is_empty() {
        format!("as {}", game.my_name)
    } else {
        format!("playing {} as {}", game.my_team, game.my_name)
    };
    let mut text = format!(
        "{lead} {}: a {}{}{}{}, {who}.\n\n",
        cite(&game),
        result_word(game.result, spec),
        score_text(&game, spec),
        place(&game, spec),
        if facts.is_empty() {
            String::new()
        } else {
            format!(" ({})", facts.join(", "))
        },
    );
    let mut board: Vec<String> = Vec::new();
    for name in &w.line_counts {
        if let (Some(def), Some(v)) = (spec.stat(name), stat_value(&game, name)) {
            board.push(counted(def, v));
        }
    }
    let total = w.total.as_ref();
    if let Some((name, phrase)) = total
        && let Some(v) = stat_value(&game, name)
    {
        board.push(format!("{phrase} {}", fmt_num(v)));
    }
    let mut sentences = Vec::new();
    if !board.is_empty() {
        sentences.push(format!(
            "Your {}: {} {}.",
            w.scoreboard,
            join_and(&board),
            cite(&game)
        ));
    }
    let on_board = |name: &str| {
        w.line_counts.iter().any(|c| c == name) || total.is_some_and(|(t, _)| t == name)
    };
    let mut detail = Vec::new();
    for def in spec.headline.iter().filter(|d| !on_board(&d.name)) {
        if let Some(v) = stat_value(&game, &def.name) {
            detail.push(labelled(def, v));
        }
    }
    if detail.is_empty() {
        sentences.push(format!(
            "The {} could not be fully analysed, so I only have the {} for it.",
            w.file, w.scoreboard
        ));
    } else {
        sentences.push(format!("In detail: {} {}.", join_and(&detail), cite(&game)));
    }
    text.push_str(&sentences.join(" "));
    let moments = moments_paragraph(&game, &format!("In this {one}"), spec);
    if !moments.is_empty() {
        text.push_str("\n\n");
        text.push_str(&moments);
    }
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

/// How an answer names a family ("boost"), or every stat ("numbers").
fn family_name<'a>(family: Option<&str>, spec: &'a CoachDigestSpec) -> &'a str {
    family
        .and_then(|f| spec.family(f))
        .map_or("numbers", |f| f.title.as_str())
}

/// The headline stats of a family, or all of them.
fn stats_of<'a>(
    family: Option<&'a str>,
    spec: &'a CoachDigestSpec,
) -> impl Iterator<Item = &'a HeadlineStat> + 'a {
    spec.headline
        .iter()
        .filter(move |d| family.is_none_or(|f| d.family == f))
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

/// One family's stats (or, for "am I improving?", every stat) over the last
/// games against the ones before.
fn family_answer(family: Option<&str>, games: &[GameDigest], spec: &CoachDigestSpec) -> String {
    let w = &spec.words;
    let many = &w.recording.many;
    let (recent, earlier) = split_windows(games);
    let mut lines = Vec::new();
    let (mut better, mut worse) = (0, 0);
    for def in stats_of(family, spec) {
        let (now_games, before_games) = (having(&recent, &def.name), having(&earlier, &def.name));
        let Some(Some(now)) = averages(&now_games).get(&def.name).copied() else {
            continue;
        };
        let mut line = format!(
            "- {}: {} over your last {} ({})",
            capitalise(&def.label),
            with_unit(def, now),
            count_of(now_games.len(), spec),
            cites(&now_games)
        );
        if let Some(Some(before)) = averages(&before_games).get(&def.name).copied() {
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
            match def.higher_is_better {
                Some(up) if diff != 0.0 && up == (diff > 0.0) => better += 1,
                Some(_) if diff != 0.0 => worse += 1,
                _ => {}
            }
            line.push_str(&format!(
                ", against {} over the {} before ({}): {change}",
                with_unit(def, before),
                count_of(before_games.len(), spec),
                cites(&before_games)
            ));
        }
        line.push('.');
        lines.push(line);
    }
    if lines.is_empty() {
        let what = match family {
            Some(_) => format!("{} numbers", family_name(family, spec)),
            None => "numbers".to_owned(),
        };
        return format!(
            "I have no {what} for your recent {many}: their {}s could only be read for the {} \
             ({}).",
            w.file,
            w.scoreboard,
            cites(&recent)
        );
    }
    let mut text = format!(
        "Your {}:\n\n{}",
        family_name(family, spec),
        lines.join("\n")
    );
    if earlier.is_empty() {
        text.push_str(&format!(
            "\n\nThere are no earlier {many} to compare with yet."
        ));
    } else {
        if family.is_none() {
            text.push_str(&format!(
                "\n\nOf the numbers where more or less is better, {} improved and {} got worse.",
                plural(better, "one", "ones"),
                worse
            ));
        }
        if recent.len() < 3 || earlier.len() < 3 {
            text.push_str(&format!(
                "\n\nWith this few {many} the comparison is a hint, not a trend."
            ));
        }
    }
    text
}

struct Change<'a> {
    def: &'a HeadlineStat,
    now: f64,
    before: f64,
    rel: f64,
    now_games: Vec<GameDigest>,
    before_games: Vec<GameDigest>,
}

fn strengths_answer(games: &[GameDigest], spec: &CoachDigestSpec) -> String {
    let w = &spec.words;
    let (one, many) = (&w.recording.one, &w.recording.many);
    let (recent, earlier) = split_windows(games);
    if recent.len() < 2 || earlier.len() < 2 {
        return format!(
            "I need at least {} {many} to tell your strongest and weakest areas apart from \
             {one}-to-{one} noise, and I have {} ({}). Play a few more and ask again; meanwhile I \
             can summarise your last session or explain your last {one}.",
            RECENT_GAMES + 2,
            games.len(),
            cites(games)
        );
    }
    // Each stat's relative change, signed so that positive is better, with the
    // games each average covers.
    let mut changes: Vec<Change<'_>> = Vec::new();
    for def in &spec.headline {
        let Some(better_up) = def.higher_is_better else {
            continue;
        };
        let (now_games, before_games) = (having(&recent, &def.name), having(&earlier, &def.name));
        if let (Some(Some(now)), Some(Some(before))) = (
            averages(&now_games).get(&def.name).copied(),
            averages(&before_games).get(&def.name).copied(),
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
        return format!(
            "Your recent {}s could only be read for the {}, so I cannot rank your areas.",
            w.file, w.scoreboard
        );
    };
    let describe = |c: &Change<'_>| {
        format!(
            "{}: {} over your last {} ({}) against {} over the {} before ({})",
            c.def.label,
            with_unit(c.def, c.now),
            count_of(c.now_games.len(), spec),
            cites(&c.now_games),
            with_unit(c.def, c.before),
            count_of(c.before_games.len(), spec),
            cites(&c.before_games)
        )
    };
    let mut text = format!(
        "Compared with your earlier {many}, your strongest area lately is {}.\n\nYour weakest is {}.",
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
        text.push_str(&format!(
            "\n\nWith this few {many} it is a hint, not a trend."
        ));
    }
    text
}

fn notes_answer(step: &Step, spec: &CoachDigestSpec) -> Move {
    let value: Value = serde_json::from_str(&step.content).unwrap_or(Value::Null);
    if step.is_error {
        let message = value
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("unknown error");
        return tool_failed(message, spec);
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

    /// The Rocket League domain's words, as the registry gives them.
    fn specs() -> Specs {
        [(
            "rl_replay".to_owned(),
            filmroom_replay::domain::coach_digest(),
        )]
        .into()
    }

    fn classify(question: &str) -> Intent {
        super::classify(question, TODAY, &specs())
    }

    #[test]
    fn questions_are_classified_by_their_words() {
        assert_eq!(classify("How was my last session?"), Intent::Session);
        assert_eq!(
            classify("how is my boost management"),
            Intent::Family("boost".to_owned())
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
                family: Some("boost".to_owned())
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
                assert_eq!(family.as_deref(), Some("positioning"));
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
            Intent::Family("movement".to_owned())
        );
        // The note on capped periods names the tools' real limit.
        assert!(capped(neutral_spec()).contains(&format!("{MAX_GAMES_SCANNED} newest")));
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
        match plan(&intent, &stale, TODAY, &specs()) {
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
        match plan(&intent, &fresh, TODAY, &specs()) {
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
        match plan(&intent, &failed, TODAY, &specs()) {
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
