//! Boost: amounts over time, pad pickups (big/small, stolen, overfill) and
//! boost used while supersonic.

use crate::frames::{Phase, Timeline};
use crate::stats::defs::{BIG_PAD_BOOST, RAW_BOOST_SCALE, SMALL_PAD_BOOST, SUPERSONIC_SPEED};
use crate::stats::pads::{self, PadKinds};
use crate::stats::types::BoostStats;
use crate::stats::{frame_weight, percent};

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
    for (frame, sample) in cars.iter().enumerate() {
        let Some(sample) = sample else {
            previous = None;
            continue;
        };
        let w = frame_weight(timeline, frame);
        let amount = f64::from(sample.boost) / RAW_BOOST_SCALE;
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
            && f64::from(sample.body.velocity.length()) >= SUPERSONIC_SPEED
        {
            s.amount_used_while_supersonic += f64::from(before - sample.boost) / RAW_BOOST_SCALE;
        }
        previous = Some(sample.boost);
    }
    // Pads taken while a goal is celebrated do not count.
    let counted = |frame: usize| {
        timeline
            .frames
            .get(frame)
            .is_some_and(|f| f.phase != Phase::PostGoal)
    };
    for pickup in timeline
        .pickups
        .iter()
        .filter(|p| p.player == track && counted(p.frame))
    {
        let Some(kind) = pad_kinds.get(&pickup.pad_object) else {
            continue;
        };
        let pad_boost = if kind.big {
            BIG_PAD_BOOST
        } else {
            SMALL_PAD_BOOST
        };
        let before = boost_before(timeline, track, pickup.frame).unwrap_or(0.0);
        let gained = pad_boost.min((100.0 - before).max(0.0));
        let overfill = pad_boost - gained;
        let stolen = pads::is_stolen(kind, team);
        s.amount_overfill += overfill;
        if stolen {
            s.amount_overfill_stolen += overfill;
        }
        // A pad taken with a full tank fills nothing: ballchasing counts only its overfill.
        if gained <= 0.0 {
            continue;
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
    s.bpm = s.bcpm.round();
    s.avg_amount = if total > 0.0 {
        amount_time / total
    } else {
        0.0
    };
    s.percent_zero_boost = Some(percent(s.time_zero_boost, total));
    s.percent_full_boost = Some(percent(s.time_full_boost, total));
    s.percent_boost_0_25 = Some(percent(s.time_boost_0_25, total));
    s.percent_boost_25_50 = Some(percent(s.time_boost_25_50, total));
    s.percent_boost_50_75 = Some(percent(s.time_boost_50_75, total));
    s.percent_boost_75_100 = Some(percent(s.time_boost_75_100, total));
    s
}
