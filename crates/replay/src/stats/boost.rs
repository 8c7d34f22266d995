//! Boost: amounts over time, pad pickups (big/small, stolen, overfill) and
//! boost used while supersonic.

use crate::frames::{Phase, Timeline};
use crate::stats::defs::{
    BIG_PAD_BOOST, BOOST_BURN_PER_SECOND, BOOST_QUARTER_RAW, FULL_BOOST_MIN_RAW, RAW_BOOST_SCALE,
    SMALL_PAD_BOOST, SUPERSONIC_SPEED, ZERO_BOOST_MAX_RAW,
};
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
    // A pad overfills only a tank it filled: the boost the tank had no room
    // for, counted when the tank reached 255 after the pickup. Without that
    // check a pad taken while boosting (the replicated amount before it is
    // too high) would overfill a tank that never became full.
    let overfill = if after * RAW_BOOST_SCALE >= FULL_BOOST_MIN_RAW {
        pad_boost - pad_boost.min((100.0 - before).max(0.0))
    } else {
        0.0
    };
    Some(PickupGain { gained, overfill })
}

/// Boost (0-100) a player had just before `frame`.
pub(crate) fn boost_before(timeline: &Timeline, track: usize, frame: usize) -> Option<f64> {
    let cars = &timeline.players.get(track)?.cars;
    (frame.saturating_sub(3)..frame)
        .rev()
        .find_map(|i| cars.get(i).copied().flatten())
        .map(|s| f64::from(s.boost) / RAW_BOOST_SCALE)
}

/// Whether a frame counts for the boost level stats (zero, full, the four
/// bands, the average): the kickoff countdown and live play, not the
/// post-goal celebration and goal replay (measured: with post-goal frames
/// our band times exceed ballchasing's by a few seconds per goal).
fn counts_for_levels(timeline: &Timeline, frame: usize) -> bool {
    matches!(timeline.frames[frame].phase, Phase::Countdown | Phase::Live)
}

/// For every frame of a player, the amount (0-255) the game replicates at
/// the next change (or the car's last amount when none follows): the value
/// ballchasing gives the time between two replicated amounts. The game
/// sends the amount mostly when a boost ends, so the later value is closer
/// to what the tank held while the player boosted.
fn later_amounts(timeline: &Timeline, track: usize) -> Vec<Option<f64>> {
    let cars = &timeline.players[track].cars;
    let mut out = vec![None; cars.len()];
    // Walking backwards: the value of the run after the current one.
    let mut later: Option<f32> = None;
    let mut next_sample: Option<f32> = None;
    let mut next_frame: Option<usize> = None;
    for (frame, sample) in cars.iter().enumerate().rev() {
        let Some(sample) = sample else {
            // A gap ends the run, except the one before a kickoff (the cars
            // are re-created): ballchasing gives the time before a goal the
            // amount of the car that spawns for the next kickoff.
            let kickoff_next =
                next_frame.is_some_and(|f| timeline.frames[f].phase == Phase::Countdown);
            if !kickoff_next {
                later = None;
                next_sample = None;
            }
            continue;
        };
        next_frame = Some(frame);
        match next_sample {
            None => later = Some(sample.boost),
            Some(next) if next != sample.boost => later = Some(next),
            Some(_) => {}
        }
        out[frame] = later.map(f64::from);
        next_sample = Some(sample.boost);
    }
    out
}

/// Adds `w` seconds at `amount` (raw 0-255) to its band.
fn add_to_band(s: &mut BoostStats, w: f64, amount: f64) {
    let quarters = amount / BOOST_QUARTER_RAW;
    match quarters {
        q if q < 1.0 => s.time_boost_0_25 += w,
        q if q < 2.0 => s.time_boost_25_50 += w,
        q if q < 3.0 => s.time_boost_50_75 += w,
        _ => s.time_boost_75_100 += w,
    }
}

pub fn stats(
    timeline: &Timeline,
    track: usize,
    team: u8,
    pad_kinds: &PadKinds,
    play_seconds: f64,
) -> BoostStats {
    let mut s = BoostStats::default();
    let mut level_time = 0.0;
    let mut amount_time = 0.0;
    let cars = &timeline.players[track].cars;
    let later = later_amounts(timeline, track);
    let mut previous: Option<f32> = None;
    let mut used = 0.0;
    for (frame, sample) in cars.iter().enumerate() {
        let (Some(sample), Some(later)) = (sample, later[frame]) else {
            previous = None;
            continue;
        };
        let w = frame_weight(timeline, frame);
        let replicated = f64::from(sample.boost);
        if counts_for_levels(timeline, frame) {
            level_time += w;
            amount_time += w * replicated / RAW_BOOST_SCALE;
            if replicated < ZERO_BOOST_MAX_RAW {
                s.time_zero_boost += w;
            }
            if replicated >= FULL_BOOST_MIN_RAW {
                s.time_full_boost += w;
            }
            add_to_band(&mut s, w, later);
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
    s.avg_amount = if level_time > 0.0 {
        amount_time / level_time
    } else {
        0.0
    };
    // ballchasing divides these two by the match's play time, not by the
    // player's own time (measured: one denominator for every player).
    s.percent_zero_boost = Some(percent(s.time_zero_boost, play_seconds));
    s.percent_full_boost = Some(percent(s.time_full_boost, play_seconds));
    s.percent_boost_0_25 = Some(percent(s.time_boost_0_25, level_time));
    s.percent_boost_25_50 = Some(percent(s.time_boost_25_50, level_time));
    s.percent_boost_50_75 = Some(percent(s.time_boost_50_75, level_time));
    s.percent_boost_75_100 = Some(percent(s.time_boost_75_100, level_time));
    s
}
