//! The events timeline: goals, shots, saves, demolitions, kickoffs, boost
//! pickups and ball touches, time-ordered, players as report indexes.

use crate::frames::{Phase, Timeline};
use crate::report::{Event, EventKind, Position};
use crate::stats::defs::{BIG_PAD_BOOST, SMALL_PAD_BOOST};
use crate::stats::{Computed, boost, pads};

/// Frames of a scoreboard counter going up, as (frame, track).
fn increments(
    timeline: &Timeline,
    pick: fn(&crate::frames::Counters) -> &Vec<(usize, u32)>,
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (track, player) in timeline.players.iter().enumerate() {
        let mut previous = 0;
        for &(frame, value) in pick(&player.counters) {
            for _ in previous..value {
                out.push((frame, track));
            }
            previous = value;
        }
    }
    out
}

fn time_of(timeline: &Timeline, frame: usize) -> f64 {
    timeline
        .frames
        .get(frame)
        .map_or(0.0, |f| f64::from(f.time))
}

pub fn collect(timeline: &Timeline, computed: &Computed) -> Vec<Event> {
    let report_of = |track: usize| computed.track_of.iter().position(|t| *t == Some(track));
    let event = |frame: usize, kind: EventKind| Event {
        time: time_of(timeline, frame),
        frame: u32::try_from(frame).unwrap_or(u32::MAX),
        kind,
    };
    let mut events = Vec::new();

    // Goals: the frame the game registered it; scorer and assister from the
    // replicated scoreboard counters that moved around it.
    let goal_counts = increments(timeline, |c| &c.goals);
    let assist_counts = increments(timeline, |c| &c.assists);
    let near = |list: &[(usize, usize)], frame: usize| {
        list.iter()
            .filter(|(f, _)| f.abs_diff(frame) <= 60)
            .min_by_key(|(f, _)| f.abs_diff(frame))
            .map(|(_, track)| *track)
    };
    for &(frame, scored_on) in &timeline.goals_scored_on {
        // The ball is frozen (or gone) once the goal registers: its speed is
        // the last one it had in play, up to a second before.
        let ball_speed = (frame.saturating_sub(30)..=frame)
            .rev()
            .filter_map(|f| timeline.ball.get(f).copied().flatten())
            .map(|b| b.velocity.length())
            .find(|speed| *speed > 0.0);
        events.push(event(
            frame,
            EventKind::Goal {
                team: 1 - scored_on.min(1),
                scorer: near(&goal_counts, frame).and_then(report_of),
                assister: near(&assist_counts, frame).and_then(report_of),
                ball_speed,
            },
        ));
    }
    for (frame, track) in increments(timeline, |c| &c.shots) {
        if let Some(player) = report_of(track) {
            events.push(event(frame, EventKind::Shot { player }));
        }
    }
    for (frame, track) in increments(timeline, |c| &c.saves) {
        if let Some(player) = report_of(track) {
            events.push(event(frame, EventKind::Save { player }));
        }
    }
    for demo in &timeline.demos {
        events.push(event(
            demo.frame,
            EventKind::Demo {
                attacker: demo.attacker.and_then(report_of),
                victim: demo.victim.and_then(report_of),
            },
        ));
    }
    // Kickoffs start when a countdown ends; the first touch is the first one
    // before play stops again.
    for frame in 1..timeline.frames.len() {
        if timeline.frames[frame].phase != Phase::Live
            || timeline.frames[frame - 1].phase != Phase::Countdown
        {
            continue;
        }
        let end = (frame..timeline.frames.len())
            .find(|&f| timeline.frames[f].phase != Phase::Live)
            .unwrap_or(timeline.frames.len());
        let first = computed
            .touches
            .iter()
            .find(|t| t.frame >= frame && t.frame < end);
        events.push(event(
            frame,
            EventKind::Kickoff {
                first_touch_time: first
                    .map(|t| time_of(timeline, t.frame) - time_of(timeline, frame)),
                first_touch_player: first.and_then(|t| report_of(t.track)),
            },
        ));
    }
    for pickup in &timeline.pickups {
        let (Some(player), Some(kind)) = (
            report_of(pickup.player),
            computed.pad_kinds.get(&pickup.pad_object),
        ) else {
            continue;
        };
        let team = computed.players[player].team;
        let pad_boost = if kind.big {
            BIG_PAD_BOOST
        } else {
            SMALL_PAD_BOOST
        };
        let before = boost::boost_before(timeline, pickup.player, pickup.frame).unwrap_or(0.0);
        events.push(event(
            pickup.frame,
            EventKind::BoostPickup {
                player,
                pad: kind.standard_index,
                big: kind.big,
                amount: pad_boost.min((100.0 - before).max(0.0)) as f32,
                stolen: pads::is_stolen(kind, team),
            },
        ));
    }
    for touch in &computed.touches {
        if let Some(player) = report_of(touch.track) {
            let p = touch.position;
            events.push(event(
                touch.frame,
                EventKind::BallTouch {
                    player,
                    position: Position {
                        x: p.x,
                        y: p.y,
                        z: p.z,
                    },
                },
            ));
        }
    }
    events.sort_by_key(|e| e.frame);
    events
}
