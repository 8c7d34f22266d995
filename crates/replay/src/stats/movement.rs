//! Movement: speed bands, height bands, distance and powerslides.

use crate::frames::{Phase, Timeline, Vec3};
use crate::stats::defs::{
    BOOST_SPEED, GROUND_HEIGHT, HIGH_AIR_HEIGHT, MAX_CAR_SPEED, MOVING_SPEED, SUPERSONIC_SPEED,
    TELEPORT_DISTANCE,
};
use crate::stats::types::MovementStats;
use crate::stats::{frame_weight, percent};

pub fn stats(timeline: &Timeline, track: usize) -> MovementStats {
    let mut s = MovementStats::default();
    let mut total = 0.0;
    let mut speed_time = 0.0;
    let mut moving_time = 0.0;
    let mut sliding = false;
    let mut last_position: Option<Vec3> = None;
    let cars = &timeline.players[track].cars;
    for (frame, sample) in cars.iter().enumerate() {
        let Some(sample) = sample else {
            sliding = false;
            last_position = None;
            continue;
        };
        let w = frame_weight(timeline, frame);
        let speed = f64::from(sample.body.velocity.length());
        total += w;
        // Distance is the path the car's replicated positions trace, except
        // the jump onto the kickoff spot when a countdown starts (the game
        // places the cars; a demolition's respawn has no car in between) and
        // any other jump no car could drive (a respawn, a recording gap).
        let kickoff_placement = timeline.frames[frame].phase == Phase::Countdown
            && frame
                .checked_sub(1)
                .and_then(|f| timeline.frames.get(f))
                .is_some_and(|f| f.phase != Phase::Countdown);
        if let Some(last) = last_position
            && !kickoff_placement
        {
            let step = f64::from(sample.body.position.distance(last));
            if step <= TELEPORT_DISTANCE {
                s.total_distance += step;
            }
        }
        last_position = Some(sample.body.position);
        // The average is over the time the car moves: a car at rest (frozen
        // for a kickoff, parked) replicates a jittering velocity below
        // MOVING_SPEED, and ballchasing leaves that time out.
        if speed >= MOVING_SPEED {
            speed_time += speed * w;
            moving_time += w;
        }
        match speed {
            v if v >= SUPERSONIC_SPEED => s.time_supersonic_speed += w,
            v if v >= BOOST_SPEED => s.time_boost_speed += w,
            _ => s.time_slow_speed += w,
        }
        let z = f64::from(sample.body.position.z);
        match z {
            z if z <= GROUND_HEIGHT => s.time_ground += w,
            z if z < HIGH_AIR_HEIGHT => s.time_low_air += w,
            _ => s.time_high_air += w,
        }
        // A powerslide is the handbrake held with the wheels on the floor.
        let powersliding = sample.handbrake && z <= GROUND_HEIGHT;
        if powersliding {
            s.time_powerslide += w;
            if !sliding {
                s.count_powerslide += 1;
            }
        }
        sliding = powersliding;
    }
    let avg_speed = if moving_time > 0.0 {
        speed_time / moving_time
    } else {
        0.0
    };
    s.avg_speed = Some(avg_speed);
    s.avg_speed_percentage = Some(avg_speed * 100.0 / MAX_CAR_SPEED);
    s.avg_powerslide_duration = Some(if s.count_powerslide > 0 {
        s.time_powerslide / f64::from(s.count_powerslide)
    } else {
        0.0
    });
    s.percent_slow_speed = Some(percent(s.time_slow_speed, total));
    s.percent_boost_speed = Some(percent(s.time_boost_speed, total));
    s.percent_supersonic_speed = Some(percent(s.time_supersonic_speed, total));
    s.percent_ground = Some(percent(s.time_ground, total));
    s.percent_low_air = Some(percent(s.time_low_air, total));
    s.percent_high_air = Some(percent(s.time_high_air, total));
    s
}
