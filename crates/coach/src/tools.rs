//! The tools the coach calls to read the player's games and keep notes: their JSON
//! Schemas for the model, and their execution over [`CoachData`].
//!
//! Tools only ever see the player's own data, through the seam. Whatever the model
//! sends (bad JSON, an unknown tool, values out of range), the result is an error
//! message the model can read and correct, never a panic. Results are JSON; every
//! game they mention is listed in [`ToolOutcome::game_ids`] so the turn loop can
//! check the answer's citations against them.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::ToolDefinition;
use crate::data::{CoachData, GameDigest, GameQuery, GameResult, MetricQuery};

/// Aggregates read at most this many games: a few months of heavy play.
pub const MAX_GAMES_SCANNED: usize = 1000;
/// The longest note the coach may save.
pub const MAX_NOTE_CHARS: usize = 2000;
/// A search needs a word, and a question's worth of text at most.
pub const MIN_SEARCH_CHARS: usize = 2;
/// The longest search text.
pub const MAX_SEARCH_CHARS: usize = 100;

/// The result of one tool call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutcome {
    /// JSON: the result, or `{"error": "..."}`.
    pub content: String,
    pub is_error: bool,
    /// The games the result mentions, for citation checking.
    pub game_ids: Vec<String>,
}

impl ToolOutcome {
    fn ok(content: Value, game_ids: Vec<String>) -> Self {
        Self {
            content: content.to_string(),
            is_error: false,
            game_ids,
        }
    }

    fn error(message: impl Into<String>) -> Self {
        Self {
            content: json!({ "error": message.into() }).to_string(),
            is_error: true,
            game_ids: Vec::new(),
        }
    }
}

/// The value of a headline stat (`bpm`) in one game, `None` when the game
/// does not have it.
pub fn stat_value(game: &GameDigest, key: &str) -> Option<f64> {
    game.stat(key)
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// The headline stat names of the player's kinds, so an average over no
/// games still names every stat (as `null`).
fn headline_names(data: &dyn CoachData) -> BTreeSet<String> {
    data.digest_specs()
        .values()
        .flat_map(|spec| spec.headline.iter().map(|h| h.name.clone()))
        .collect()
}

/// Averages of every headline stat the games carry, each over the games that
/// have it, rounded to one decimal; `null` when none has it.
pub fn averages(games: &[GameDigest]) -> BTreeMap<String, Option<f64>> {
    averages_of(games, &BTreeSet::new())
}

/// [`averages`] of the games' stats and of these names.
fn averages_of(games: &[GameDigest], names: &BTreeSet<String>) -> BTreeMap<String, Option<f64>> {
    let mut keys: BTreeSet<&str> = names.iter().map(String::as_str).collect();
    keys.extend(
        games
            .iter()
            .flat_map(|g| g.stats.keys().map(String::as_str)),
    );
    keys.into_iter()
        .map(|key| {
            let values: Vec<f64> = games.iter().filter_map(|g| stat_value(g, key)).collect();
            let avg = if values.is_empty() {
                None
            } else {
                #[allow(clippy::cast_precision_loss)] // at most MAX_GAMES_SCANNED values
                let n = values.len() as f64;
                Some(round1(values.iter().sum::<f64>() / n))
            };
            (key.to_owned(), avg)
        })
        .collect()
}

fn summary(games: &[GameDigest]) -> Value {
    summary_of(games, &BTreeSet::new())
}

/// [`summary`] whose averages name these stats even over no games.
fn summary_of(games: &[GameDigest], names: &BTreeSet<String>) -> Value {
    let count = |r: GameResult| games.iter().filter(|g| g.result == r).count();
    json!({
        "games": games.len(),
        "wins": count(GameResult::Win),
        "losses": count(GameResult::Loss),
        "draws": count(GameResult::Draw),
        "averages": averages_of(games, names),
        "game_ids": ids(games),
    })
}

fn ids(games: &[GameDigest]) -> Vec<String> {
    games.iter().map(|g| g.id.clone()).collect()
}

/// A game without its moments: what list results carry.
fn row(game: &GameDigest) -> Value {
    let mut v = serde_json::to_value(game).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        for detail in ["moments", "metrics", "passages"] {
            map.remove(detail);
        }
    }
    v
}

/// The JSON Schema of a tool's arguments, derived from their type: inline (no
/// `$defs`), without the meta-schema and title the providers do not want.
fn schema_of<T: JsonSchema>() -> Value {
    let generator = schemars::generate::SchemaSettings::draft07()
        .with(|s| {
            s.meta_schema = None;
            s.inline_subschemas = true;
        })
        .into_generator();
    let mut schema = generator.into_root_schema_for::<T>().to_value();
    if let Value::Object(map) = &mut schema {
        map.remove("title");
        map.remove("description");
        // An argument-less tool still takes an object (and nothing in it).
        map.entry("properties").or_insert_with(|| json!({}));
    }
    schema
}

/// The tools offered to the model, with their JSON Schemas.
pub fn tool_definitions() -> Vec<ToolDefinition> {
    let def = |name: &str, description: &str, input_schema: Value| ToolDefinition {
        name: name.to_owned(),
        description: description.to_owned(),
        input_schema,
    };
    vec![
        def(
            "recent_games",
            "The player's most recent recordings (games), newest first: result, score, map, playlist and their key stats per game (no moments; use game_detail for those).",
            schema_of::<RecentArgs>(),
        ),
        def(
            "stats_by_playlist",
            "The player's averages per playlist over their games: games, wins, losses and the average of every stat.",
            schema_of::<NoArgs>(),
        ),
        def(
            "stats_over_range",
            "The player's averages over a period and the list of its games. A YYYY-MM-DD `until` includes that whole day.",
            schema_of::<RangeArgs>(),
        ),
        def(
            "game_detail",
            "One recording (game): its stats, every stored metric of the player, its moments (the player's goals, assists, saves and shots, and goals against) and passages with their times in seconds.",
            schema_of::<GameArgs>(),
        ),
        def(
            "compare_periods",
            "Averages over two periods (A then B) and the differences B - A, to see whether the player improved.",
            schema_of::<CompareArgs>(),
        ),
        def(
            "metric_summary",
            "One metric of the player (any stored key such as boost.bpm or movement.avg_speed, or a headline stat such as bpm) over their recordings: count, average, min, max and results, optionally within a period and grouped by a facet such as playlist or map.",
            schema_of::<MetricArgs>(),
        ),
        def(
            "search_moments",
            "Searches the player's recordings for moments and passages whose text contains the words (a player's name, \"demolished\", \"save\"), newest recordings first, with their times in seconds to cite.",
            schema_of::<SearchArgs>(),
        ),
        def(
            "list_notes",
            "The coaching notes kept with the player (goals, habits to work on, things to remember).",
            schema_of::<NoArgs>(),
        ),
        def(
            "save_note",
            "Saves a coaching note for later conversations. Only when the player asks or agrees.",
            schema_of::<NoteArgs>(),
        ),
        def(
            "delete_note",
            "Deletes one coaching note by its id (from list_notes).",
            schema_of::<DeleteArgs>(),
        ),
    ]
}

/// `recent_games`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RecentArgs {
    /// How many games (default 10).
    #[schemars(range(min = 1, max = 50))]
    n: Option<i64>,
    /// Only this playlist, as the games name it.
    playlist: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NoArgs {}

/// A period.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RangeArgs {
    /// Start, inclusive: an RFC 3339 date-time or a YYYY-MM-DD date.
    from: String,
    /// End: an RFC 3339 date-time or a YYYY-MM-DD date (a date includes that day).
    until: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct GameArgs {
    /// The recording's id, as the other tools give it.
    game_id: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CompareArgs {
    /// Period A start: an RFC 3339 date-time or a YYYY-MM-DD date.
    a_from: String,
    /// Period A end: an RFC 3339 date-time or a YYYY-MM-DD date.
    a_until: String,
    /// Period B start: an RFC 3339 date-time or a YYYY-MM-DD date.
    b_from: String,
    /// Period B end: an RFC 3339 date-time or a YYYY-MM-DD date.
    b_until: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct MetricArgs {
    /// A stored metric key (`boost.bpm`) or a headline stat (`bpm`).
    #[schemars(length(min = 1, max = 100))]
    metric: String,
    /// Start, inclusive: an RFC 3339 date-time or a YYYY-MM-DD date.
    from: Option<String>,
    /// End: an RFC 3339 date-time or a YYYY-MM-DD date (a date includes that day).
    until: Option<String>,
    /// A facet to group by (`playlist`, `map`, `team_size`).
    #[schemars(length(min = 1, max = 50))]
    group_by: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SearchArgs {
    /// The words to find, as they would appear in the text.
    #[schemars(length(min = MIN_SEARCH_CHARS, max = MAX_SEARCH_CHARS))]
    text: String,
    /// At most this many results (default 20).
    #[schemars(range(min = 1, max = 50))]
    limit: Option<i64>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NoteArgs {
    /// The note.
    #[schemars(length(min = 1, max = MAX_NOTE_CHARS))]
    text: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct DeleteArgs {
    /// The note's id.
    note_id: String,
}

fn parse_args<T: DeserializeOwned>(tool: &str, arguments_json: &str) -> Result<T, ToolOutcome> {
    let text = if arguments_json.trim().is_empty() {
        "{}"
    } else {
        arguments_json
    };
    serde_json::from_str(text)
        .map_err(|e| ToolOutcome::error(format!("invalid arguments for {tool}: {e}")))
}

/// Whether a bound is the start or the end of a period: a bare date as an end
/// includes that whole day.
#[derive(Clone, Copy)]
enum Bound {
    Start,
    End,
}

/// An RFC 3339 date-time, or a `YYYY-MM-DD` date (UTC midnight; the next midnight
/// for an end bound).
pub fn parse_date(text: &str, field: &str) -> Result<OffsetDateTime, String> {
    parse_bound(text, field, Bound::Start)
}

fn parse_bound(text: &str, field: &str, bound: Bound) -> Result<OffsetDateTime, String> {
    let text = text.trim();
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(at);
    }
    let bad = || format!("{field}: {text:?} is not an RFC 3339 date-time or a YYYY-MM-DD date");
    let mut parts = text.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let year: i32 = y.parse().map_err(|_| bad())?;
    let month: u8 = m.parse().map_err(|_| bad())?;
    let day: u8 = d.parse().map_err(|_| bad())?;
    let month = time::Month::try_from(month).map_err(|_| bad())?;
    let date = time::Date::from_calendar_date(year, month, day).map_err(|_| bad())?;
    let date = match bound {
        Bound::Start => date,
        Bound::End => date.next_day().ok_or_else(bad)?,
    };
    Ok(date.midnight().assume_utc())
}

fn range(
    from: &str,
    until: &str,
    prefix: &str,
) -> Result<(OffsetDateTime, OffsetDateTime), String> {
    let from_at = parse_bound(from, &format!("{prefix}from"), Bound::Start)?;
    let until_at = parse_bound(until, &format!("{prefix}until"), Bound::End)?;
    if until_at <= from_at {
        return Err(format!(
            "{prefix}until must be after {prefix}from ({until} is not after {from})"
        ));
    }
    Ok((from_at, until_at))
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// Runs one tool call over the player's data.
pub async fn execute_tool(data: &dyn CoachData, name: &str, arguments_json: &str) -> ToolOutcome {
    let result = match name {
        "recent_games" => recent_games(data, arguments_json).await,
        "stats_by_playlist" => stats_by_playlist(data, arguments_json).await,
        "stats_over_range" => stats_over_range(data, arguments_json).await,
        "game_detail" => game_detail(data, arguments_json).await,
        "compare_periods" => compare_periods(data, arguments_json).await,
        "metric_summary" => metric_summary(data, arguments_json).await,
        "search_moments" => search_moments(data, arguments_json).await,
        "list_notes" => list_notes(data, arguments_json).await,
        "save_note" => save_note(data, arguments_json).await,
        "delete_note" => delete_note(data, arguments_json).await,
        other => {
            let known: Vec<String> = tool_definitions().into_iter().map(|t| t.name).collect();
            Err(ToolOutcome::error(format!(
                "unknown tool {other:?}; the tools are {}",
                known.join(", ")
            )))
        }
    };
    result.unwrap_or_else(|e| e)
}

type Outcome = Result<ToolOutcome, ToolOutcome>;

fn data_error(e: crate::data::DataError) -> ToolOutcome {
    ToolOutcome::error(format!("the player's data is unavailable: {e}"))
}

async fn recent_games(data: &dyn CoachData, args: &str) -> Outcome {
    let args: RecentArgs = parse_args("recent_games", args)?;
    let n = args.n.unwrap_or(10);
    if !(1..=50).contains(&n) {
        return Err(ToolOutcome::error(format!(
            "n must be between 1 and 50, got {n}"
        )));
    }
    let query = GameQuery {
        limit: usize::try_from(n).unwrap_or(10),
        playlist: args.playlist.filter(|p| !p.trim().is_empty()),
        ..GameQuery::default()
    };
    let games = data.games(&query).await.map_err(data_error)?;
    let rows: Vec<Value> = games.iter().map(row).collect();
    Ok(ToolOutcome::ok(
        json!({"count": games.len(), "summary": summary_of(&games, &headline_names(data)), "games": rows}),
        ids(&games),
    ))
}

async fn stats_by_playlist(data: &dyn CoachData, args: &str) -> Outcome {
    let _: NoArgs = parse_args("stats_by_playlist", args)?;
    let games = data
        .games(&GameQuery::recent(MAX_GAMES_SCANNED))
        .await
        .map_err(data_error)?;
    let mut by: BTreeMap<String, Vec<GameDigest>> = BTreeMap::new();
    for game in &games {
        let key = game
            .playlist
            .clone()
            .unwrap_or_else(|| "unknown".to_owned());
        by.entry(key).or_default().push(game.clone());
    }
    let playlists: Vec<Value> = by
        .iter()
        .map(|(playlist, games)| {
            let mut v = summary(games);
            v["playlist"] = json!(playlist);
            v
        })
        .collect();
    Ok(ToolOutcome::ok(
        json!({"games": games.len(), "playlists": playlists}),
        ids(&games),
    ))
}

async fn games_between(
    data: &dyn CoachData,
    from: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<Vec<GameDigest>, ToolOutcome> {
    let query = GameQuery {
        limit: MAX_GAMES_SCANNED,
        from: Some(from),
        until: Some(until),
        ..GameQuery::default()
    };
    data.games(&query).await.map_err(data_error)
}

async fn stats_over_range(data: &dyn CoachData, args: &str) -> Outcome {
    let args: RangeArgs = parse_args("stats_over_range", args)?;
    let (from, until) = range(&args.from, &args.until, "").map_err(ToolOutcome::error)?;
    let games = games_between(data, from, until).await?;
    let rows: Vec<Value> = games.iter().map(row).collect();
    Ok(ToolOutcome::ok(
        json!({
            "from": rfc3339(from),
            "until": rfc3339(until),
            "summary": summary_of(&games, &headline_names(data)),
            "games": rows,
        }),
        ids(&games),
    ))
}

async fn game_detail(data: &dyn CoachData, args: &str) -> Outcome {
    let args: GameArgs = parse_args("game_detail", args)?;
    let id = args.game_id.trim();
    match data.game(id).await.map_err(data_error)? {
        Some(game) => {
            let content = serde_json::to_value(&game).unwrap_or(Value::Null);
            Ok(ToolOutcome::ok(content, vec![game.id]))
        }
        None => Err(ToolOutcome::error(format!(
            "no game {id:?} among the player's games"
        ))),
    }
}

async fn compare_periods(data: &dyn CoachData, args: &str) -> Outcome {
    let args: CompareArgs = parse_args("compare_periods", args)?;
    let (a_from, a_until) = range(&args.a_from, &args.a_until, "a_").map_err(ToolOutcome::error)?;
    let (b_from, b_until) = range(&args.b_from, &args.b_until, "b_").map_err(ToolOutcome::error)?;
    let a = games_between(data, a_from, a_until).await?;
    let b = games_between(data, b_from, b_until).await?;
    let names = headline_names(data);
    let (avg_a, avg_b) = (averages_of(&a, &names), averages_of(&b, &names));
    let differences: BTreeMap<&String, Option<f64>> = avg_a
        .keys()
        .chain(avg_b.keys())
        .map(|key| {
            let d = match (avg_a.get(key), avg_b.get(key)) {
                (Some(Some(x)), Some(Some(y))) => Some(round1(y - x)),
                _ => None,
            };
            (key, d)
        })
        .collect();
    let mut game_ids = ids(&a);
    game_ids.extend(ids(&b));
    Ok(ToolOutcome::ok(
        json!({
            "a": {"from": rfc3339(a_from), "until": rfc3339(a_until), "summary": summary_of(&a, &names)},
            "b": {"from": rfc3339(b_from), "until": rfc3339(b_until), "summary": summary_of(&b, &names)},
            "differences_b_minus_a": differences,
        }),
        game_ids,
    ))
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

async fn metric_summary(data: &dyn CoachData, args: &str) -> Outcome {
    let args: MetricArgs = parse_args("metric_summary", args)?;
    let metric = args.metric.trim();
    if metric.is_empty() || metric.len() > 100 {
        return Err(ToolOutcome::error("metric must be 1 to 100 characters"));
    }
    let from = args
        .from
        .as_deref()
        .map(|t| parse_bound(t, "from", Bound::Start))
        .transpose()
        .map_err(ToolOutcome::error)?;
    let until = args
        .until
        .as_deref()
        .map(|t| parse_bound(t, "until", Bound::End))
        .transpose()
        .map_err(ToolOutcome::error)?;
    if let (Some(f), Some(u)) = (from, until)
        && u <= f
    {
        return Err(ToolOutcome::error("until must be after from"));
    }
    let group_by = args
        .group_by
        .map(|g| g.trim().to_owned())
        .filter(|g| !g.is_empty());
    if group_by.as_ref().is_some_and(|g| g.len() > 50) {
        return Err(ToolOutcome::error("group_by must be at most 50 characters"));
    }
    let query = MetricQuery {
        metric: metric.to_owned(),
        from,
        until,
        group_by: group_by.clone(),
    };
    let groups = data.metric_groups(&query).await.map_err(data_error)?;
    let rows: Vec<Value> = groups
        .iter()
        .map(|g| {
            json!({
                "group": g.group,
                "recordings": g.recordings,
                "wins": g.wins,
                "losses": g.losses,
                "draws": g.draws,
                "average": round2(g.average),
                "min": round2(g.min),
                "max": round2(g.max),
            })
        })
        .collect();
    let mut content = json!({"metric": metric, "group_by": group_by, "groups": rows});
    if groups.is_empty() {
        content["notice"] = json!(
            "no recording of the player has this metric in this period; check the key (domain.field, e.g. boost.bpm)"
        );
    }
    if let Some(from) = from {
        content["from"] = json!(rfc3339(from));
    }
    if let Some(until) = until {
        content["until"] = json!(rfc3339(until));
    }
    Ok(ToolOutcome::ok(content, Vec::new()))
}

async fn search_moments(data: &dyn CoachData, args: &str) -> Outcome {
    let args: SearchArgs = parse_args("search_moments", args)?;
    let text = args.text.trim();
    let chars = text.chars().count();
    if !(MIN_SEARCH_CHARS..=MAX_SEARCH_CHARS).contains(&chars) {
        return Err(ToolOutcome::error(format!(
            "text must be {MIN_SEARCH_CHARS} to {MAX_SEARCH_CHARS} characters, got {chars}"
        )));
    }
    let limit = args.limit.unwrap_or(20);
    if !(1..=50).contains(&limit) {
        return Err(ToolOutcome::error(format!(
            "limit must be between 1 and 50, got {limit}"
        )));
    }
    let hits = data
        .search(text, usize::try_from(limit).unwrap_or(20))
        .await
        .map_err(data_error)?;
    let mut game_ids: Vec<String> = Vec::new();
    for hit in &hits {
        if !game_ids.contains(&hit.recording_id) {
            game_ids.push(hit.recording_id.clone());
        }
    }
    let results: Vec<Value> = hits
        .iter()
        .map(|h| {
            let mut v = serde_json::to_value(h).unwrap_or(Value::Null);
            v["cite_as"] = json!(crate::citations::format_citation(
                &h.recording_id,
                h.start_seconds
            ));
            v
        })
        .collect();
    Ok(ToolOutcome::ok(
        json!({"text": text, "count": hits.len(), "results": results}),
        game_ids,
    ))
}

async fn list_notes(data: &dyn CoachData, args: &str) -> Outcome {
    let _: NoArgs = parse_args("list_notes", args)?;
    let notes = data.notes().await.map_err(data_error)?;
    Ok(ToolOutcome::ok(json!({"notes": notes}), Vec::new()))
}

async fn save_note(data: &dyn CoachData, args: &str) -> Outcome {
    let args: NoteArgs = parse_args("save_note", args)?;
    let text = args.text.trim();
    let chars = text.chars().count();
    if chars == 0 || chars > MAX_NOTE_CHARS {
        return Err(ToolOutcome::error(format!(
            "text must be 1 to {MAX_NOTE_CHARS} characters, got {chars}"
        )));
    }
    let note = data.save_note(text).await.map_err(data_error)?;
    Ok(ToolOutcome::ok(json!({"saved": note}), Vec::new()))
}

async fn delete_note(data: &dyn CoachData, args: &str) -> Outcome {
    let args: DeleteArgs = parse_args("delete_note", args)?;
    let deleted = data
        .delete_note(args.note_id.trim())
        .await
        .map_err(data_error)?;
    if deleted {
        Ok(ToolOutcome::ok(
            json!({"deleted": args.note_id.trim()}),
            Vec::new(),
        ))
    } else {
        Err(ToolOutcome::error(format!(
            "no note {:?} to delete",
            args.note_id.trim()
        )))
    }
}
