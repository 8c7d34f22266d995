//! Positioning: field thirds and halves, ball-relative position, distances,
//! and roles within the team (most back/forward, closest/farthest to ball).

use crate::frames::{Phase, Timeline};
use crate::report::PlayerReport;
use crate::stats::defs::THIRD_BOUNDARY;
use crate::stats::types::PositioningStats;
use crate::stats::{frame_weight, own_y, percent};

/// Seconds a player spent in each role within their team, during play.
#[derive(Debug, Clone, Default)]
pub struct RoleTimes {
    /// Whether the team ever had two players at once (roles need a teammate).
    pub has_mates: bool,
    pub most_back: f64,
    pub most_forward: f64,
    pub closest_to_ball: f64,
    pub farthest_from_ball: f64,
}

pub fn roles(
    timeline: &Timeline,
    players: &[PlayerReport],
    track_of: &[Option<usize>],
) -> Vec<RoleTimes> {
    let mut out = vec![RoleTimes::default(); players.len()];
    // Each team's (report index, track) pairs, for players with frames.
    let rosters = [0u8, 1].map(|team| {
        players
            .iter()
            .enumerate()
            .filter(|(_, p)| p.team == team)
            .filter_map(|(i, _)| Some((i, track_of[i]?)))
            .collect::<Vec<_>>()
    });
    for roster in &rosters {
        for &(i, _) in roster {
            out[i].has_mates = roster.len() > 1;
        }
    }
    for (frame, meta) in timeline.frames.iter().enumerate() {
        // Roles are shares of the play time (see `play_seconds`): the frozen
        // 3-2-1 of a kickoff, when every car sits on its spot, is no role.
        if meta.phase == Phase::Inactive || meta.frozen {
            continue;
        }
        let Some(ball) = timeline.ball[frame] else {
            continue;
        };
        let w = frame_weight(timeline, frame);
        for (team, roster) in (0u8..).zip(&rosters) {
            // One pass: (player, value) of the extremes of own-goal-relative y
            // and of distance to the ball. A player alone on the field (mates
            // demolished) holds every role.
            let mut back: Option<(usize, f64)> = None;
            let mut forward: Option<(usize, f64)> = None;
            let mut closest: Option<(usize, f64)> = None;
            let mut farthest: Option<(usize, f64)> = None;
            for &(i, track) in roster {
                let Some(car) = timeline.players[track].cars.get(frame).copied().flatten() else {
                    continue;
                };
                let y = own_y(team, car.body.position.y);
                let d = f64::from(car.body.position.distance(ball.position));
                if back.is_none_or(|(_, v)| y < v) {
                    back = Some((i, y));
                }
                if forward.is_none_or(|(_, v)| y > v) {
                    forward = Some((i, y));
                }
                if closest.is_none_or(|(_, v)| d < v) {
                    closest = Some((i, d));
                }
                if farthest.is_none_or(|(_, v)| d > v) {
                    farthest = Some((i, d));
                }
            }
            if let (Some(b), Some(f), Some(c), Some(far)) = (back, forward, closest, farthest) {
                out[b.0].most_back += w;
                out[f.0].most_forward += w;
                out[c.0].closest_to_ball += w;
                out[far.0].farthest_from_ball += w;
            }
        }
    }
    out
}

pub fn stats(
    timeline: &Timeline,
    track: usize,
    team: u8,
    possession: &[Option<u8>],
    in_play: &[bool],
    roles: &RoleTimes,
    play_seconds: f64,
) -> PositioningStats {
    let mut s = PositioningStats::default();
    let mut total = 0.0;
    let (mut dist, mut dist_w) = (0.0, 0.0);
    let (mut dist_pos, mut dist_pos_w) = (0.0, 0.0);
    let (mut dist_nopos, mut dist_nopos_w) = (0.0, 0.0);
    let (mut mates, mut mates_w) = (0.0, 0.0);
    let cars = &timeline.players[track].cars;
    // Only players who ever drove can be a mate (spectators have tracks too).
    let drivers: Vec<usize> = (0..timeline.players.len())
        .filter(|&i| timeline.players[i].cars.iter().any(Option::is_some))
        .collect();
    for (frame, sample) in cars.iter().enumerate() {
        let Some(sample) = sample else { continue };
        let w = frame_weight(timeline, frame);
        total += w;
        let pos = sample.body.position;
        let y = own_y(team, pos.y);
        if y < -THIRD_BOUNDARY {
            s.time_defensive_third += w;
        } else if y > THIRD_BOUNDARY {
            s.time_offensive_third += w;
        } else {
            s.time_neutral_third += w;
        }
        if y < 0.0 {
            s.time_defensive_half += w;
        } else {
            s.time_offensive_half += w;
        }
        if let Some(ball) = timeline.ball[frame] {
            if y < own_y(team, ball.position.y) {
                s.time_behind_ball += w;
            } else {
                s.time_infront_ball += w;
            }
            // Distance to the ball while the ball is in play: not on the
            // kickoff spots nor while the ball waits for the first touch,
            // but after a goal (measured against ballchasing: this fits
            // better than live play with or without the kickoff wait).
            if in_play[frame] {
                let d = f64::from(pos.distance(ball.position));
                dist += d * w;
                dist_w += w;
                match possession.get(frame).copied().flatten() {
                    Some(t) if t == team => {
                        dist_pos += d * w;
                        dist_pos_w += w;
                    }
                    Some(_) => {
                        dist_nopos += d * w;
                        dist_nopos_w += w;
                    }
                    None => {}
                }
            }
            // Distance to mates in live play only: kickoff spots and goal
            // celebrations would say nothing about positioning.
            if timeline.frames[frame].phase != Phase::Live {
                continue;
            }
        }
        let (mut mate_sum, mut mate_count) = (0.0, 0u32);
        for &i in &drivers {
            let other = &timeline.players[i];
            if i == track || other.teams.get(frame).copied().flatten() != Some(team) {
                continue;
            }
            if let Some(car) = other.cars.get(frame).copied().flatten() {
                mate_sum += f64::from(car.body.position.distance(pos));
                mate_count += 1;
            }
        }
        if mate_count > 0 {
            mates += mate_sum / f64::from(mate_count) * w;
            mates_w += w;
        }
    }
    let avg = |sum: f64, w: f64| (w > 0.0).then(|| sum / w);
    s.avg_distance_to_ball = avg(dist, dist_w);
    s.avg_distance_to_ball_possession = avg(dist_pos, dist_pos_w);
    s.avg_distance_to_ball_no_possession = avg(dist_nopos, dist_nopos_w);
    s.avg_distance_to_mates = avg(mates, mates_w);
    s.percent_defensive_third = Some(percent(s.time_defensive_third, total));
    s.percent_neutral_third = Some(percent(s.time_neutral_third, total));
    s.percent_offensive_third = Some(percent(s.time_offensive_third, total));
    s.percent_defensive_half = Some(percent(s.time_defensive_half, total));
    s.percent_offensive_half = Some(percent(s.time_offensive_half, total));
    s.percent_behind_ball = Some(percent(s.time_behind_ball, total));
    s.percent_infront_ball = Some(percent(s.time_infront_ball, total));
    if roles.has_mates {
        s.time_most_back = Some(roles.most_back);
        s.time_most_forward = Some(roles.most_forward);
        s.time_closest_to_ball = Some(roles.closest_to_ball);
        s.time_farthest_from_ball = Some(roles.farthest_from_ball);
        s.percent_most_back = Some(percent(roles.most_back, play_seconds));
        s.percent_most_forward = Some(percent(roles.most_forward, play_seconds));
        s.percent_closest_to_ball = Some(percent(roles.closest_to_ball, play_seconds));
        s.percent_farthest_from_ball = Some(percent(roles.farthest_from_ball, play_seconds));
    }
    s
}

/// For each goal, the conceding team's last defender (the player nearest
/// their own goal line) at the moment of the goal.
pub fn assign_last_defender_goals(
    timeline: &Timeline,
    players: &mut [PlayerReport],
    track_of: &[Option<usize>],
) {
    let mut counts = vec![0u32; players.len()];
    for &(frame, scored_on) in &timeline.goals_scored_on {
        let last_defender = players
            .iter()
            .enumerate()
            .filter(|(_, p)| p.team == scored_on)
            .filter_map(|(i, _)| {
                let track = timeline.players.get(track_of[i]?)?;
                // The frame of the goal, or the last frame the car existed before it.
                let car = (frame.saturating_sub(30)..=frame)
                    .rev()
                    .find_map(|f| track.cars.get(f).copied().flatten())?;
                Some((i, own_y(scored_on, car.body.position.y)))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((i, _)) = last_defender {
            counts[i] += 1;
        }
    }
    for (player, count) in players.iter_mut().zip(counts) {
        if let Some(pos) = player.stats.positioning.as_mut()
            && count > 0
        {
            pos.goals_against_while_last_defender = Some(count);
        }
    }
}
