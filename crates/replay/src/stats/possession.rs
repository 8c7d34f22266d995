//! Ball touches and possession. Replays do not say who touched the ball, so a
//! touch is inferred: the ball's velocity changes by more than gravity
//! explains while a car is close enough to have hit it. The game's own
//! last-touch team (`HitTeamNum`) confirms the team when it changes.

use crate::frames::{Phase, Timeline, Vec3};
use crate::stats::defs::BALL_RADIUS;
use crate::stats::types::BallStats;
use crate::stats::{frame_weight, own_y};

/// Gravity on the ball (uu/s^2).
const GRAVITY: f32 = -650.0;
/// A velocity change this much beyond gravity is a hit or a bounce (uu/s).
const HIT_VELOCITY_CHANGE: f32 = 120.0;
/// Centre-to-centre distance within which a car can have touched the ball:
/// ball radius 92.75 + half the longest car hitbox (~ 90) + one frame of travel.
const TOUCH_DISTANCE: f32 = 260.0;
/// Touches by the same player closer than this are one touch (seconds).
const TOUCH_MERGE_SECONDS: f32 = 0.15;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Touch {
    pub frame: usize,
    /// Index into `timeline.players`.
    pub track: usize,
    pub team: u8,
    pub position: Vec3,
}

fn closest_car(
    timeline: &Timeline,
    frame: usize,
    ball: Vec3,
    team: Option<u8>,
) -> Option<(usize, u8, f32)> {
    timeline
        .players
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let car = p.cars.get(frame).copied().flatten()?;
            let car_team = p.teams.get(frame).copied().flatten().or(p.team)?;
            if team.is_some_and(|t| t != car_team) {
                return None;
            }
            Some((i, car_team, car.body.position.distance(ball)))
        })
        .min_by(|a, b| a.2.total_cmp(&b.2))
}

pub fn touches(timeline: &Timeline) -> Vec<Touch> {
    let mut out: Vec<Touch> = Vec::new();
    for frame in 1..timeline.frames.len() {
        let meta = timeline.frames[frame];
        if meta.phase != Phase::Live {
            continue;
        }
        let (Some(ball), Some(prev)) = (timeline.ball[frame], timeline.ball[frame - 1]) else {
            continue;
        };
        let dt = meta.delta.max(0.0);
        let change = Vec3 {
            x: ball.velocity.x - prev.velocity.x,
            y: ball.velocity.y - prev.velocity.y,
            z: ball.velocity.z - prev.velocity.z - GRAVITY * dt,
        }
        .length();
        let team_changed =
            meta.hit_team.is_some() && meta.hit_team != timeline.frames[frame - 1].hit_team;
        if change < HIT_VELOCITY_CHANGE && !team_changed {
            continue;
        }
        let team = if team_changed { meta.hit_team } else { None };
        let candidate = [frame, frame - 1]
            .into_iter()
            .filter_map(|f| {
                let ball_at = timeline.ball[f]?.position;
                closest_car(timeline, f, ball_at, team)
            })
            .min_by(|a, b| a.2.total_cmp(&b.2));
        let Some((track, car_team, distance)) = candidate else {
            continue;
        };
        if distance > TOUCH_DISTANCE && !team_changed {
            continue;
        }
        if distance > TOUCH_DISTANCE * 2.0 {
            continue;
        }
        let merged = out.last().is_some_and(|t| {
            t.track == track && meta.time - timeline.frames[t.frame].time < TOUCH_MERGE_SECONDS
        });
        if !merged {
            out.push(Touch {
                frame,
                track,
                team: car_team,
                position: ball.position,
            });
        }
    }
    out
}

/// The team in possession at each frame, during live play: the game's own
/// last-touch team once the ball has been hit, or, in replays that do not
/// replicate it, the team of the last inferred touch.
pub fn possession(timeline: &Timeline, touches: &[Touch]) -> Vec<Option<u8>> {
    let uses_hit_team = timeline.frames.iter().any(|f| f.hit_team.is_some());
    let mut out = vec![None; timeline.frames.len()];
    let mut next = touches.iter().peekable();
    let mut current = None;
    for (frame, meta) in timeline.frames.iter().enumerate() {
        if meta.phase != Phase::Live {
            current = None;
        }
        while let Some(t) = next.peek() {
            if t.frame > frame {
                break;
            }
            current = Some(t.team);
            next.next();
        }
        if meta.phase == Phase::Live {
            out[frame] = if uses_hit_team {
                meta.hit_team.filter(|_| meta.ball_has_been_hit)
            } else {
                current
            };
        }
    }
    out
}

/// Possession and time the ball spent in the team's half, over the frames
/// the ball is in play (`in_play`, see `stats::ball_in_play`).
pub fn ball_stats(
    timeline: &Timeline,
    possession: &[Option<u8>],
    in_play: &[bool],
    team: u8,
) -> Option<BallStats> {
    let mut s = BallStats::default();
    for frame in (0..timeline.frames.len()).filter(|&f| in_play[f]) {
        let w = frame_weight(timeline, frame);
        if possession.get(frame).copied().flatten() == Some(team) {
            s.possession_time += w;
        }
        if timeline.ball[frame].is_some_and(|ball| ball_in_half(ball.position.y, team)) {
            s.time_in_side += w;
        }
    }
    Some(s)
}

/// Whether any part of the ball is in the team's half: a ball on the halfway
/// line is in both (measured: ballchasing's two `time_in_side` add up to more
/// than the time in play, and the centre-only split left both 2-5 s short).
fn ball_in_half(y: f32, team: u8) -> bool {
    own_y(team, y) < BALL_RADIUS
}
