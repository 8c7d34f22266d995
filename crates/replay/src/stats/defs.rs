//! Every constant a stat depends on, in one place. Units: uu (Unreal units,
//! 1 uu = 1 cm), seconds, boost on the 0-100 scale. `docs/stats.md` explains
//! each one and where it comes from.

/// Top speed of a car (uu/s); avg_speed_percentage divides by it.
pub const MAX_CAR_SPEED: f64 = 2300.0;
/// Supersonic from this speed (uu/s).
pub const SUPERSONIC_SPEED: f64 = 2200.0;
/// Below this a car is at rest: a parked car's replicated velocity jitters
/// up to ~9.5 uu/s (measured over every kickoff countdown, cars frozen).
pub const MOVING_SPEED: f64 = 10.0;
/// A jump longer than this between two consecutive positions of a car is a
/// teleport, not driving: the game replicates a moving car's position about
/// every 0.1 s, in which a car at top speed covers 230 uu (1000 uu would
/// take 0.43 s).
pub const TELEPORT_DISTANCE: f64 = 1000.0;
/// Faster than this needs boost (the top throttle-only speed, uu/s).
pub const BOOST_SPEED: f64 = 1410.0;
/// A car resting on the floor has its centre at z ~ 17 uu; below this it is on the ground.
pub const GROUND_HEIGHT: f64 = 20.0;
/// Above this a car is in high air (measured against ballchasing: it is
/// higher than the crossbar, 642.775).
pub const HIGH_AIR_HEIGHT: f64 = 840.0;
/// Field half-length to the goal line (uu); thirds split it in three.
pub const FIELD_HALF_LENGTH: f64 = 5120.0;
pub const THIRD_BOUNDARY: f64 = FIELD_HALF_LENGTH / 3.0;
/// Radius of the (soccar) ball: the ball is in a half while any part of it
/// is (team `time_in_side`).
pub const BALL_RADIUS: f64 = 92.75;
/// Boost a big and a small pad give.
pub const BIG_PAD_BOOST: f64 = 100.0;
pub const SMALL_PAD_BOOST: f64 = 12.0;
/// Pads respawn after 10 s (big) or 4 s (small): a delay above this is a big pad.
pub const BIG_PAD_MIN_RESPAWN_SECONDS: f64 = 7.0;
/// Pads closer than this to the halfway line belong to neither side.
pub const NEUTRAL_PAD_HALF_WIDTH: f64 = 512.0;
/// The network boost scale (255 = 100 on screen).
pub const RAW_BOOST_SCALE: f64 = 2.55;
/// Boost burns at 100/3 per second (a full tank lasts three seconds).
pub const BOOST_BURN_PER_SECOND: f64 = 100.0 / 3.0;
/// A quarter of a tank on the network scale: the edges of the four boost bands.
pub const BOOST_QUARTER_RAW: f64 = 255.0 / 4.0;
/// Zero boost: below one network step.
pub const ZERO_BOOST_MAX_RAW: f64 = 1.0;
/// Full boost: a full tank (255; the half step keeps 254 out).
pub const FULL_BOOST_MIN_RAW: f64 = 254.5;
