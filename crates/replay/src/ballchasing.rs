//! The analysis in ballchasing.com's shape (`GET /api/replays/{id}`), so a
//! user can diff filmroom against the reference they know field by field.
//! Field names come straight from the stat structs, which use ballchasing's.

use serde_json::{Map, Value, json};

use crate::report::{Analysis, PlayerReport};

fn player_json(p: &PlayerReport) -> Value {
    let mut obj = Map::new();
    obj.insert("start_time".into(), json!(p.start_time));
    obj.insert("end_time".into(), json!(p.end_time));
    obj.insert("name".into(), json!(p.name));
    if let Some(id) = &p.id {
        obj.insert("id".into(), json!({ "platform": id.platform, "id": id.id }));
    }
    if p.stats.core.mvp == Some(true) {
        obj.insert("mvp".into(), json!(true));
    }
    obj.insert(
        "stats".into(),
        serde_json::to_value(&p.stats).unwrap_or(Value::Null),
    );
    Value::Object(obj)
}

/// ballchasing's replay document: match facts plus `blue` and `orange`, each
/// with `players[]` (`stats.core|boost|movement|positioning|demo`) and team `stats`.
pub fn to_json(analysis: &Analysis) -> Value {
    let info = &analysis.replay;
    let mut doc = Map::new();
    doc.insert("rocket_league_id".into(), json!(info.id));
    doc.insert("title".into(), json!(info.name));
    doc.insert(
        "map_code".into(),
        json!(info.map_code.as_ref().map(|m| m.to_lowercase())),
    );
    doc.insert("match_type".into(), json!(info.match_type));
    doc.insert("team_size".into(), json!(info.team_size));
    doc.insert(
        "duration".into(),
        json!(info.duration.map(|d| d.round() as i64)),
    );
    doc.insert("overtime".into(), json!(info.overtime));
    doc.insert("date".into(), json!(info.date));
    for (index, team) in analysis.teams.iter().enumerate() {
        let players: Vec<Value> = analysis
            .players
            .iter()
            .filter(|p| usize::from(p.team) == index)
            .map(player_json)
            .collect();
        let mut obj = Map::new();
        obj.insert("color".into(), json!(team.color));
        if let Some(name) = &team.name {
            obj.insert("name".into(), json!(name));
        }
        obj.insert("players".into(), Value::Array(players));
        obj.insert(
            "stats".into(),
            serde_json::to_value(&team.stats).unwrap_or(Value::Null),
        );
        doc.insert(team.color.clone(), Value::Object(obj));
    }
    Value::Object(doc)
}
