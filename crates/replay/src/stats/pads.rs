//! Boost pads: which are big, and which side of the field each lies on.
//! Pads are told apart by their respawn delay (10 s big, 4 s small), which
//! works on every map; pads never seen respawning fall back to the standard
//! layout's big pad positions.

use std::collections::HashMap;

use crate::frames::{Timeline, Vec3};
use crate::stats::defs::{BIG_PAD_MIN_RESPAWN_SECONDS, NEUTRAL_PAD_HALF_WIDTH};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PadKind {
    pub big: bool,
    /// Mean position of the cars that took it (close to the pad itself).
    pub position: Vec3,
}

pub type PadKinds = HashMap<i32, PadKind>;

/// The standard soccar big pads.
const STANDARD_BIG_PADS: [(f32, f32); 6] = [
    (-3072.0, -4096.0),
    (3072.0, -4096.0),
    (-3584.0, 0.0),
    (3584.0, 0.0),
    (-3072.0, 4096.0),
    (3072.0, 4096.0),
];

pub fn classify(timeline: &Timeline) -> PadKinds {
    let mut positions: HashMap<i32, (Vec3, u32)> = HashMap::new();
    for p in &timeline.pickups {
        let Some(pos) = p.pad_position else { continue };
        let entry = positions
            .entry(p.pad_object)
            .or_insert((Vec3::default(), 0));
        entry.0.x += pos.x;
        entry.0.y += pos.y;
        entry.0.z += pos.z;
        entry.1 += 1;
    }
    // Votes from respawn delays: (big, small).
    let mut votes: HashMap<i32, (u32, u32)> = HashMap::new();
    for p in &timeline.pickups {
        let taken = timeline.frames.get(p.frame).map_or(0.0, |f| f.time);
        let respawn = timeline
            .pad_respawns
            .iter()
            .find(|(pad, frame)| *pad == p.pad_object && *frame > p.frame)
            .and_then(|(_, frame)| timeline.frames.get(*frame))
            .map(|f| f.time - taken);
        let Some(delay) = respawn else { continue };
        // A respawn much later than 10 s means the replay skipped it (goal reset).
        if delay > 11.0 {
            continue;
        }
        let vote = votes.entry(p.pad_object).or_default();
        if f64::from(delay) > BIG_PAD_MIN_RESPAWN_SECONDS {
            vote.0 += 1;
        } else {
            vote.1 += 1;
        }
    }
    positions
        .into_iter()
        .map(|(pad, (sum, n))| {
            let n = n.max(1) as f32;
            let position = Vec3 {
                x: sum.x / n,
                y: sum.y / n,
                z: sum.z / n,
            };
            let big = match votes.get(&pad) {
                Some((big, small)) if big + small > 0 => big > small,
                _ => STANDARD_BIG_PADS
                    .iter()
                    .any(|(x, y)| (position.x - x).hypot(position.y - y) < 400.0),
            };
            (pad, PadKind { big, position })
        })
        .collect()
}

/// Whether taking this pad is taking the opponents' boost: it lies in their half.
pub fn is_stolen(kind: &PadKind, team: u8) -> bool {
    let y = f64::from(kind.position.y);
    if y.abs() < NEUTRAL_PAD_HALF_WIDTH {
        return false;
    }
    if team == 0 { y > 0.0 } else { y < 0.0 }
}
