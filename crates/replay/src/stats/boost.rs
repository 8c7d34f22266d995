//! Boost: amounts over time, pad pickups (big/small, stolen, overfill) and
//! boost used while supersonic.

use crate::frames::Timeline;
use crate::stats::defs::{BIG_PAD_BOOST, RAW_BOOST_SCALE, SMALL_PAD_BOOST, SUPERSONIC_SPEED};
use crate::stats::pads::{self, PadKinds};
use crate::stats::types::BoostStats;
use crate::stats::{frame_weight, percent};

/// What a pickup gave: boost gained (0-100 scale) and the pad's boost that
/// did not fit in the tank.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PickupGain {
    pub gained: f64,
    pub overfill: f64,
}

/// Boost burns at 100/3 per second (a full tank lasts three seconds).
const BOOST_BURN_PER_SECOND: f64 = 100.0 / 3.0;

/// How many frames after a pickup the new amount may take to be replicated.
const PICKUP_REPLICATION_FRAMES: usize = 8;

/// The gain of a pickup at `frame`, or `None` when the car's boost did not
/// rise: the game reported the pad taken but the tank did not fill (a car
/// with a full tank, or a pickup the server reverted). ballchasing does not
/// count those, and neither do we (measured: the counts then match exactly).
pub(crate) fn pickup_gain(
    timeline: &Timeline,
    track: usize,
    frame: usize,
    big: bool,
) -> Option<PickupGain> {
    let cars = &timeline.players.get(track)?.cars;
    let before = boost_before(timeline, track, frame)?;
    let end = (frame + PICKUP_REPLICATION_FRAMES).min(cars.len());
    let after = cars
        .get(frame..end)?
        .iter()
        .flatten()
        .map(|s| f64::from(s.boost) / RAW_BOOST_SCALE)
        .fold(f64::MIN, f64::max);
    if after <= before {
        return None;
    }
    let pad_boost = if big { BIG_PAD_BOOST } else { SMALL_PAD_BOOST };
    // The gain is what the tank actually rose by; the network's 0-255 scale
    // turns a small pad's 12 into 30 or 31 steps, so a rise within one
    // percent of the pad's value is the whole pad.
    let mut gained = (after - before).clamp(0.0, pad_boost);
    if gained >= pad_boost - 1.0 {
        gained = pad_boost;
    }
    let nominal = pad_boost.min((100.0 - before).max(0.0));
    Some(PickupGain {
        gained,
        overfill: pad_boost - nominal,
    })
}

/// Boost (0-100) a player had just before `frame`.
pub(crate) fn boost_before(timeline: &Timeline, track: usize, frame: usize) -> Option<f64> {
    let cars = &timeline.players.get(track)?.cars;
    (frame.saturating_sub(3)..frame)
        .rev()
        .find_map(|i| cars.get(i).copied().flatten())
        .map(|s| f64::from(s.boost) / RAW_BOOST_SCALE)
}

pub fn stats(
    timeline: &Timeline,
    track: usize,
    team: u8,
    pad_kinds: &PadKinds,
    play_seconds: f64,
) -> BoostStats {
    let mut s = BoostStats::default();
    let mut total = 0.0;
    let mut amount_time = 0.0;
    let cars = &timeline.players[track].cars;
    let mut previous: Option<f32> = None;
    let mut used = 0.0;
    for (frame, sample) in cars.iter().enumerate() {
        let Some(sample) = sample else {
            previous = None;
            continue;
        };
        let amount = f64::from(sample.boost) / RAW_BOOST_SCALE;
        let w = frame_weight(timeline, frame);
        total += w;
        amount_time += amount * w;
        if sample.boost < 1.0 {
            s.time_zero_boost += w;
        }
        if sample.boost > 254.0 {
            s.time_full_boost += w;
        }
        match amount {
            a if a < 25.0 => s.time_boost_0_25 += w,
            a if a < 50.0 => s.time_boost_25_50 += w,
            a if a < 75.0 => s.time_boost_50_75 += w,
            _ => s.time_boost_75_100 += w,
        }
        // Boost used is what the tank lost between two frames of one car.
        if let Some(before) = previous
            && sample.boost < before
        {
            used += f64::from(before - sample.boost) / RAW_BOOST_SCALE;
        }
        // The replicated amount lags behind the tank, so boost burnt while
        // supersonic is the game's burn rate over the frames the boost
        // component was active at supersonic speed.
        if sample.boosting
            && sample.boost > 0.0
            && f64::from(sample.body.velocity.length()) >= SUPERSONIC_SPEED
        {
            s.amount_used_while_supersonic += BOOST_BURN_PER_SECOND * w;
        }
        previous = Some(sample.boost);
    }
    for pickup in timeline.pickups.iter().filter(|p| p.player == track) {
        let Some(kind) = pad_kinds.get(&pickup.pad_object) else {
            continue;
        };
        let Some(gain) = pickup_gain(timeline, track, pickup.frame, kind.big) else {
            continue;
        };
        let PickupGain { gained, overfill } = gain;
        let stolen = pads::is_stolen(kind, team);
        s.amount_overfill += overfill;
        if stolen {
            s.amount_overfill_stolen += overfill;
        }
        s.amount_collected += gained;
        if kind.big {
            s.amount_collected_big += gained;
            s.count_collected_big += 1;
        } else {
            s.amount_collected_small += gained;
            s.count_collected_small += 1;
        }
        if stolen {
            s.amount_stolen += gained;
            if kind.big {
                s.amount_stolen_big += gained;
                s.count_stolen_big += 1;
            } else {
                s.amount_stolen_small += gained;
                s.count_stolen_small += 1;
            }
        }
    }
    let minutes = play_seconds / 60.0;
    s.bcpm = if minutes > 0.0 {
        s.amount_collected / minutes
    } else {
        0.0
    };
    // bpm is boost *used* per minute (ballchasing's bpm and bcpm differ by
    // more than rounding, and bpm follows consumption).
    s.bpm = if minutes > 0.0 {
        (used / minutes).round()
    } else {
        0.0
    };
    s.avg_amount = if total > 0.0 {
        amount_time / total
    } else {
        0.0
    };
    // ballchasing divides these two by the match's play time, not by the
    // player's own time (measured: one denominator for every player).
    s.percent_zero_boost = Some(percent(s.time_zero_boost, play_seconds));
    s.percent_full_boost = Some(percent(s.time_full_boost, play_seconds));
    s.percent_boost_0_25 = Some(percent(s.time_boost_0_25, total));
    s.percent_boost_25_50 = Some(percent(s.time_boost_25_50, total));
    s.percent_boost_50_75 = Some(percent(s.time_boost_50_75, total));
    s.percent_boost_75_100 = Some(percent(s.time_boost_75_100, total));
    s
}
