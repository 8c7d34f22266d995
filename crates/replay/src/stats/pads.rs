//! Boost pads: which are big, and which side of the field each lies on.
//! Pads are told apart by their respawn delay (10 s big, 4 s small), which
//! works on every map; pads never seen respawning fall back to the standard
//! layout's big pad positions.

use std::collections::HashMap;

use crate::frames::{Timeline, Vec3};
use crate::stats::defs::{BIG_PAD_MIN_RESPAWN_SECONDS, NEUTRAL_PAD_HALF_WIDTH};
use crate::stats::own_y;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PadKind {
    pub big: bool,
    /// Index in the standard soccar layout (0-33), when the map uses it.
    pub standard_index: Option<u8>,
    /// Mean position of the cars that took it (close to the pad itself).
    pub position: Vec3,
}

pub type PadKinds = HashMap<i32, PadKind>;

/// The standard soccar layout, in the customary index order (by y, then x):
/// (x, y, big). Six big pads, 28 small.
const STANDARD_PADS: [(f32, f32, bool); 34] = [
    (0.0, -4240.0, false),
    (-1792.0, -4184.0, false),
    (1792.0, -4184.0, false),
    (-3072.0, -4096.0, true),
    (3072.0, -4096.0, true),
    (-940.0, -3308.0, false),
    (940.0, -3308.0, false),
    (0.0, -2816.0, false),
    (-3584.0, -2484.0, false),
    (3584.0, -2484.0, false),
    (-1788.0, -2300.0, false),
    (1788.0, -2300.0, false),
    (-2048.0, -1036.0, false),
    (0.0, -1024.0, false),
    (2048.0, -1036.0, false),
    (-3584.0, 0.0, true),
    (-1024.0, 0.0, false),
    (1024.0, 0.0, false),
    (3584.0, 0.0, true),
    (-2048.0, 1036.0, false),
    (0.0, 1024.0, false),
    (2048.0, 1036.0, false),
    (-1788.0, 2300.0, false),
    (1788.0, 2300.0, false),
    (-3584.0, 2484.0, false),
    (3584.0, 2484.0, false),
    (0.0, 2816.0, false),
    (-940.0, 3310.0, false),
    (940.0, 3308.0, false),
    (-3072.0, 4096.0, true),
    (3072.0, 4096.0, true),
    (-1792.0, 4184.0, false),
    (1792.0, 4184.0, false),
    (0.0, 4240.0, false),
];

/// How far the mean position of the cars that took a pad may be from the
/// pad itself (cars touch a pad anywhere within its pickup radius).
const PAD_MATCH_DISTANCE: f32 = 300.0;

/// The standard pad nearest to `position`, if one lies close enough.
fn nearest_standard_pad(position: Vec3) -> Option<(u8, bool)> {
    STANDARD_PADS
        .iter()
        .enumerate()
        .map(|(i, (x, y, big))| (i, *big, (position.x - x).hypot(position.y - y)))
        .filter(|(_, _, d)| *d < PAD_MATCH_DISTANCE)
        .min_by(|a, b| a.2.total_cmp(&b.2))
        .and_then(|(i, big, _)| Some((u8::try_from(i).ok()?, big)))
}

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
    let mut kinds = positions
        .into_iter()
        .map(|(pad, (sum, n))| {
            let n = n.max(1) as f32;
            let position = Vec3 {
                x: sum.x / n,
                y: sum.y / n,
                z: sum.z / n,
            };
            let standard = nearest_standard_pad(position);
            let big = match votes.get(&pad) {
                Some((big, small)) if big + small > 0 => big > small,
                _ => standard.is_some_and(|(_, big)| big),
            };
            // The index only where the pad's size agrees with the layout's.
            let standard_index = standard.filter(|(_, b)| *b == big).map(|(i, _)| i);
            (
                pad,
                PadKind {
                    big,
                    standard_index,
                    position,
                },
            )
        })
        .collect::<PadKinds>();
    // A map with another layout (Hoops, Dropshot, custom maps) may have a few
    // pads near standard spots by chance: indexes are kept only when most of
    // the pads seen fit the standard layout.
    let fitting = kinds
        .values()
        .filter(|k| k.standard_index.is_some())
        .count();
    if fitting * 10 < kinds.len() * 9 {
        for kind in kinds.values_mut() {
            kind.standard_index = None;
        }
    }
    kinds
}

/// Whether taking this pad is taking the opponents' boost: it lies in their half.
pub fn is_stolen(kind: &PadKind, team: u8) -> bool {
    // Beyond the neutral strip on the opponents' side of the halfway line.
    own_y(team, kind.position.y) >= NEUTRAL_PAD_HALF_WIDTH
}
