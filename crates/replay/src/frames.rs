//! The normalized frame model: boxcars' actor updates replayed into per-frame
//! state of the ball, every player's car and boost, plus the raw moments
//! (demolitions, pad pickups, scoreboard changes) the stats and events read.
//!
//! Things this module handles so nothing above it has to:
//! - actors re-sent at every keyframe (same id, no delete): state is kept and
//!   unchanged re-sent values never become events;
//! - player <-> car <-> team links that change over the match (respawns after
//!   demolitions, substitutions, late joins, leaves): a player is one account
//!   (or one name when there is no account), whatever actors carried it;
//! - old replays (net version < 5) whose positions and velocities boxcars
//!   decodes 100 and 10 times too small;
//! - boost, which the game replicates only when it changes enough: the last
//!   replicated amount holds until the next (measured against ballchasing,
//!   simulating the drain in between made the boost stats worse; the boost
//!   bands give that time to the next replicated amount instead);
//! - game phases: countdown, live play, post-goal (goal replays) and the rest.

use std::collections::HashMap;

use boxcars::{Attribute, FrameVisitor, NetworkFrames, RemoteId, Replay, UniqueId};

use crate::actor_map::ActorMap;
use crate::report::PlayerId;

/// The network boost scale: 255 means a full tank (100 on screen).
pub const BOOST_MAX_RAW: f32 = 255.0;
/// The amount every car spawns with (33 on screen).
pub const BOOST_SPAWN_RAW: f32 = 85.0;
/// A demolished car respawns after 3 seconds.
pub const DEMO_RESPAWN_SECONDS: f32 = 3.0;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Vec3 {
    pub x: f32,
    pub y: f32,
    pub z: f32,
}

impl Vec3 {
    pub fn length(self) -> f32 {
        (self.x * self.x + self.y * self.y + self.z * self.z).sqrt()
    }
    pub fn distance(self, other: Vec3) -> f32 {
        Vec3 {
            x: self.x - other.x,
            y: self.y - other.y,
            z: self.z - other.z,
        }
        .length()
    }
    fn scaled(v: boxcars::Vector3f, factor: f32) -> Vec3 {
        Vec3 {
            x: v.x * factor,
            y: v.y * factor,
            z: v.z * factor,
        }
    }
}

/// A rigid body's state. Position in uu, velocities in uu/s; rotation as a
/// unit quaternion (x, y, z, w).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Body {
    pub position: Vec3,
    pub velocity: Vec3,
    // Angular velocity is decoded by boxcars but not kept: no stat reads it,
    // and every byte here is multiplied by frames x players.
    pub rotation: [f32; 4],
    pub sleeping: bool,
}

/// One player's car at one frame.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CarSample {
    pub body: Body,
    /// 0-255 network scale (divide by 2.55 for the on-screen amount).
    pub boost: f32,
    /// The boost component is active (the player holds boost and has some).
    pub boosting: bool,
    /// The handbrake (powerslide) is held.
    pub handbrake: bool,
}

/// What the game is doing at a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Before the first countdown, or after the match ended.
    Inactive,
    /// Kickoff countdown: cars frozen, clock stopped.
    Countdown,
    /// The ball is in play (the clock may still wait for the first touch).
    Live,
    /// After a goal, until the next countdown: celebration and goal replay.
    PostGoal,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameMeta {
    /// Seconds since the first frame.
    pub time: f32,
    pub delta: f32,
    pub phase: Phase,
    /// The game clock when it is known.
    pub seconds_remaining: Option<i32>,
    /// Whether the ball has been touched since the last kickoff.
    pub ball_has_been_hit: bool,
    /// The team that last touched the ball (replicated by the game), if any.
    pub hit_team: Option<u8>,
    /// The kickoff countdown is running (3, 2, 1): cars are frozen. Shorter
    /// than the `Countdown` phase, which starts about a second earlier.
    pub frozen: bool,
}

/// Everything known about one player over the match.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerTrack {
    pub name: String,
    pub id: Option<PlayerId>,
    pub is_bot: bool,
    /// Last team seen (0 blue, 1 orange).
    pub team: Option<u8>,
    /// One entry per frame; `None` while the player has no car (demolished,
    /// not yet joined, left, spectating) and after a car's last replicated
    /// state when it is deleted or the replay ends without another (a car
    /// left standing: ballchasing stops counting it there).
    pub cars: Vec<Option<CarSample>>,
    /// Team at each frame, for players who switched.
    pub teams: Vec<Option<u8>>,
    /// Scoreboard counters the game replicated, as (frame, value) changes.
    pub counters: Counters,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counters {
    pub goals: Vec<(usize, u32)>,
    pub assists: Vec<(usize, u32)>,
    pub saves: Vec<(usize, u32)>,
    pub shots: Vec<(usize, u32)>,
    pub score: Vec<(usize, u32)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DemoRecord {
    pub frame: usize,
    pub attacker: Option<usize>,
    pub victim: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PickupRecord {
    pub frame: usize,
    pub player: usize,
    /// Where the pad is, from its spawn location or the collecting car.
    pub pad_position: Option<Vec3>,
    /// The pad's object index in the replay, stable over the match.
    pub pad_object: i32,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    pub frames: Vec<FrameMeta>,
    pub ball: Vec<Option<Body>>,
    pub players: Vec<PlayerTrack>,
    pub demos: Vec<DemoRecord>,
    pub pickups: Vec<PickupRecord>,
    /// When each pad became available again, as (pad object, frame): the
    /// delay since its last pickup tells big pads (10 s) from small (4 s).
    pub pad_respawns: Vec<(i32, usize)>,
    /// Frames at which a goal was registered, with the team scored on.
    pub goals_scored_on: Vec<(usize, u8)>,
    pub overtime: bool,
    /// Club or team names (custom team names), when set.
    pub team_names: [Option<String>; 2],
}

/// What an object (class or archetype) name means to us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ActorKind {
    Ball,
    Car,
    Pri,
    BoostComponent,
    Team(u8),
    BoostPad,
    GameEvent,
    Other,
}

fn actor_kind(name: &str) -> ActorKind {
    if name.starts_with("Archetypes.Ball.") {
        ActorKind::Ball
    } else if name.starts_with("Archetypes.Car.Car_") || name.ends_with(":CarArchetype") {
        ActorKind::Car
    } else if name == "TAGame.Default__PRI_TA" || name.ends_with("PRI_TA") {
        ActorKind::Pri
    } else if name.contains("CarComponent_Boost") {
        ActorKind::BoostComponent
    } else if name.starts_with("Archetypes.Teams.Team") {
        ActorKind::Team(u8::from(name.ends_with('1')))
    } else if name.contains("VehiclePickup_Boost_TA") {
        ActorKind::BoostPad
    } else if name.starts_with("Archetypes.GameEvent.GameEvent_") && !name.contains(':') {
        ActorKind::GameEvent
    } else {
        ActorKind::Other
    }
}

/// The attributes we read, by their property name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prop {
    RigidBody,
    PawnPri,
    PriTeam,
    PriName,
    PriUniqueId,
    PriBot,
    ComponentVehicle,
    ComponentActive,
    BoostAmount,
    Handbrake,
    Demolish,
    Pickup,
    HitTeam,
    SecondsRemaining,
    StateName,
    CountdownRemaining,
    BallHasBeenHit,
    ScoredOnTeam,
    Overtime,
    MatchGoals,
    MatchAssists,
    MatchSaves,
    MatchShots,
    MatchScore,
    TeamName,
    Ignored,
}

fn prop_kind(name: &str) -> Prop {
    match name {
        "TAGame.RBActor_TA:ReplicatedRBState" => Prop::RigidBody,
        "Engine.Pawn:PlayerReplicationInfo" => Prop::PawnPri,
        "Engine.PlayerReplicationInfo:Team" => Prop::PriTeam,
        "Engine.PlayerReplicationInfo:PlayerName" => Prop::PriName,
        "Engine.PlayerReplicationInfo:UniqueId" => Prop::PriUniqueId,
        "Engine.PlayerReplicationInfo:bBot" => Prop::PriBot,
        "TAGame.CarComponent_TA:Vehicle" => Prop::ComponentVehicle,
        "TAGame.CarComponent_TA:ReplicatedActive" => Prop::ComponentActive,
        "TAGame.CarComponent_Boost_TA:ReplicatedBoostAmount"
        | "TAGame.CarComponent_Boost_TA:ReplicatedBoost" => Prop::BoostAmount,
        "TAGame.Vehicle_TA:bReplicatedHandbrake" => Prop::Handbrake,
        "TAGame.Car_TA:ReplicatedDemolish"
        | "TAGame.Car_TA:ReplicatedDemolishGoalExplosion"
        | "TAGame.Car_TA:ReplicatedDemolishExtended"
        | "TAGame.Car_TA:ReplicatedDemolish_CustomFX" => Prop::Demolish,
        "TAGame.VehiclePickup_TA:ReplicatedPickupData"
        | "TAGame.VehiclePickup_TA:NewReplicatedPickupData" => Prop::Pickup,
        "TAGame.Ball_TA:HitTeamNum" => Prop::HitTeam,
        "TAGame.GameEvent_Soccar_TA:SecondsRemaining" => Prop::SecondsRemaining,
        "TAGame.GameEvent_TA:ReplicatedStateName" => Prop::StateName,
        "TAGame.GameEvent_TA:ReplicatedGameStateTimeRemaining"
        | "TAGame.GameEvent_TA:ReplicatedRoundCountDownNumber" => Prop::CountdownRemaining,
        "TAGame.GameEvent_Soccar_TA:bBallHasBeenHit" => Prop::BallHasBeenHit,
        "TAGame.GameEvent_Soccar_TA:ReplicatedScoredOnTeam" => Prop::ScoredOnTeam,
        "TAGame.GameEvent_Soccar_TA:bOverTime" => Prop::Overtime,
        "TAGame.PRI_TA:MatchGoals" => Prop::MatchGoals,
        "TAGame.PRI_TA:MatchAssists" => Prop::MatchAssists,
        "TAGame.PRI_TA:MatchSaves" => Prop::MatchSaves,
        "TAGame.PRI_TA:MatchShots" => Prop::MatchShots,
        "TAGame.PRI_TA:MatchScore" => Prop::MatchScore,
        "TAGame.Team_TA:CustomTeamName" | "Engine.TeamInfo:TeamName" => Prop::TeamName,
        _ => Prop::Ignored,
    }
}

#[derive(Debug, Default)]
struct CarActor {
    pri: Option<i32>,
    /// The PRI even after the game unlinked it (it does so in the very frame
    /// of a demolition, before the demolition itself).
    last_pri: Option<i32>,
    body: Option<Body>,
    handbrake: bool,
    /// When this car was last linked to its player (a sequence number): a
    /// player with two cars (a wreck not yet deleted) is followed in the newest.
    linked: u64,
    /// The boost component that most recently attached itself to this car.
    boost: Option<i32>,
    /// Last demolition value seen, so keyframe re-sends are not new demos.
    last_demo: Option<(Option<i32>, Option<i32>)>,
    /// The (player, frame) samples recorded from this car since its state
    /// was last replicated. If the game never replicates the car again (it
    /// stopped, then was deleted or the replay ended) these frames are
    /// dropped: ballchasing counts a car up to its last replicated state.
    stale: Vec<(usize, usize)>,
    /// The frame of the last replicated state.
    replicated_at: Option<usize>,
}

#[derive(Debug, Default)]
struct BoostActor {
    car: Option<i32>,
    /// Last replicated amount, 0-255.
    amount: f32,
    active: bool,
}

#[derive(Debug, Default)]
struct PriActor {
    name: Option<String>,
    unique_id: Option<UniqueId>,
    bot: bool,
    team_actor: Option<i32>,
    player: Option<usize>,
    /// Counter values from before the player index was known.
    pending_counters: Vec<(Prop, u32)>,
}

#[derive(Debug, Default)]
struct PadState {
    /// Last pickup value, so keyframe re-sends are not new pickups.
    last: Option<(Option<i32>, u8)>,
    position: Option<Vec3>,
}

/// Replays the actor graph. Keyed by actor id; an id reused after a delete
/// starts fresh, an id re-sent at a keyframe keeps its state.
struct Builder {
    /// The replay's name table (game state names are indices into it).
    names: Vec<String>,
    kinds: Vec<ActorKind>,
    props: Vec<Prop>,
    /// Before net version 5 positions and velocities come 100 and 10 times
    /// too small out of boxcars (which divides every vector by 100).
    position_scale: f32,
    velocity_scale: f32,
    /// Object (class) and kind of every live actor.
    actors: ActorMap<(i32, ActorKind)>,
    cars: ActorMap<CarActor>,
    boosts: ActorMap<BoostActor>,
    pris: ActorMap<PriActor>,
    /// Team actor id -> team number.
    teams: ActorMap<u8>,
    /// A PRI got a name or an account id this frame: players need resolving.
    players_dirty: bool,
    /// Which car each player drives and which team each is on, as
    /// (player, car id) and (player, team): recomputed only when a link
    /// between actors changed (`links_dirty`), used at every frame.
    chosen_cars: Vec<(usize, i32)>,
    chosen_teams: Vec<(usize, u8)>,
    links_dirty: bool,
    pads: HashMap<i32, PadState>,
    /// Player index by account key.
    player_keys: HashMap<String, usize>,
    ball_actor: Option<i32>,
    ball: Option<Body>,
    state_name: Option<String>,
    countdown: bool,
    seconds_remaining: Option<i32>,
    ball_has_been_hit: bool,
    hit_team: Option<u8>,
    scored_on: Option<u8>,
    post_goal: bool,
    started: bool,
    /// Time of the frame being built, since the first frame.
    current_time: f32,
    link_sequence: u64,
    /// Frames the header announces, to size per-player vectors once.
    frame_count: usize,
    /// Time of the first frame: frame times count from it.
    start: Option<f32>,
    out: Timeline,
}

/// Reserving per-frame vectors for more frames than this (a header can claim
/// anything its file size allows) is left to normal growth.
const MAX_RESERVED_FRAMES: usize = 60_000;

impl Timeline {
    /// Builds the model from a replay whose network frames were decoded and
    /// kept. A replay without frames gives an empty timeline.
    pub fn build(replay: &Replay) -> Timeline {
        let Some(NetworkFrames { frames }) = replay.network_frames.as_ref() else {
            return Timeline::default();
        };
        let mut builder = TimelineBuilder::default();
        builder.begin(replay);
        for frame in frames {
            builder.frame(frame);
        }
        builder.finish()
    }
}

/// Builds a [`Timeline`] while boxcars decodes the frames (a
/// [`FrameVisitor`]): each frame is read while it is still in cache and its
/// memory is reused for the next, instead of walking a fully materialized
/// replay afterwards.
#[derive(Default)]
pub struct TimelineBuilder {
    builder: Option<Builder>,
}

impl TimelineBuilder {
    /// The timeline of the frames visited so far (empty if none were).
    pub fn finish(self) -> Timeline {
        self.builder.map(Builder::into_timeline).unwrap_or_default()
    }
}

impl FrameVisitor for TimelineBuilder {
    fn begin(&mut self, replay: &Replay) {
        self.builder = Some(Builder::new(replay));
    }

    fn frame(&mut self, frame: &boxcars::Frame) {
        if let Some(builder) = self.builder.as_mut() {
            builder.frame(frame);
        }
    }
}

impl Builder {
    fn new(replay: &Replay) -> Builder {
        // Before net version 5 the game sent positions and velocities in
        // coarser units than boxcars assumes (its decoder divides by 100).
        let old_scale = replay.net_version.unwrap_or(0) < 5;
        let frame_count = replay
            .properties
            .iter()
            .find(|(key, _)| key == "NumFrames")
            .and_then(|(_, value)| value.as_i32())
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0)
            .min(MAX_RESERVED_FRAMES);
        let mut out = Timeline::default();
        out.frames.reserve(frame_count);
        out.ball.reserve(frame_count);
        Builder {
            names: replay.names.clone(),
            kinds: replay.objects.iter().map(|o| actor_kind(o)).collect(),
            props: replay.objects.iter().map(|o| prop_kind(o)).collect(),
            position_scale: if old_scale { 100.0 } else { 1.0 },
            velocity_scale: if old_scale { 10.0 } else { 1.0 },
            actors: ActorMap::default(),
            cars: ActorMap::default(),
            boosts: ActorMap::default(),
            pris: ActorMap::default(),
            teams: ActorMap::default(),
            players_dirty: false,
            chosen_cars: Vec::new(),
            chosen_teams: Vec::new(),
            links_dirty: true,
            pads: HashMap::new(),
            player_keys: HashMap::new(),
            ball_actor: None,
            ball: None,
            state_name: None,
            countdown: false,
            seconds_remaining: None,
            ball_has_been_hit: false,
            hit_team: None,
            scored_on: None,
            post_goal: false,
            started: false,
            current_time: 0.0,
            link_sequence: 0,
            frame_count,
            start: None,
            out,
        }
    }
}

fn kind_of(kinds: &[ActorKind], object: i32) -> ActorKind {
    usize::try_from(object)
        .ok()
        .and_then(|i| kinds.get(i).copied())
        .unwrap_or(ActorKind::Other)
}

/// A stable key for an account: platform + id, plus the split-screen slot so
/// guests sharing an account stay apart. Bots and id-less players key by name.
fn account_key(id: &UniqueId, name: &str) -> (String, Option<PlayerId>) {
    let (platform, value) = match &id.remote_id {
        RemoteId::Steam(v) => ("steam", v.to_string()),
        RemoteId::PlayStation(ps) => ("ps4", ps.online_id.to_string()),
        RemoteId::Xbox(v) => ("xbox", v.to_string()),
        RemoteId::Switch(s) => ("switch", s.online_id.to_string()),
        RemoteId::Epic(v) => ("epic", v.clone()),
        RemoteId::PsyNet(p) => ("psynet", p.online_id.to_string()),
        RemoteId::QQ(v) => ("qq", v.to_string()),
        RemoteId::SplitScreen(_) => ("splitscreen", String::new()),
        _ => ("unknown", String::new()),
    };
    if value.is_empty() || value == "0" {
        return (format!("name:{name}"), None);
    }
    let key = format!("{platform}:{value}:{}", id.local_id);
    let shown_id = if platform == "ps4" && value.is_empty() {
        name.to_owned()
    } else {
        value
    };
    (
        key,
        Some(PlayerId {
            platform: platform.to_owned(),
            id: shown_id,
        }),
    )
}

impl Builder {
    fn body(&self, rb: &boxcars::RigidBody) -> Body {
        let zero = boxcars::Vector3f {
            x: 0.0,
            y: 0.0,
            z: 0.0,
        };
        Body {
            position: Vec3::scaled(rb.location, self.position_scale),
            velocity: Vec3::scaled(rb.linear_velocity.unwrap_or(zero), self.velocity_scale),
            rotation: [rb.rotation.x, rb.rotation.y, rb.rotation.z, rb.rotation.w],
            sleeping: rb.sleeping,
        }
    }

    fn frame(&mut self, frame: &boxcars::Frame) {
        let index = self.out.frames.len();
        let start = *self.start.get_or_insert(frame.time);
        self.current_time = frame.time - start;
        for deleted in &frame.deleted_actors {
            self.delete(deleted.0);
        }
        for new in &frame.new_actors {
            let id = new.actor_id.0;
            let object = new.object_id.0;
            let kind = kind_of(&self.kinds, object);
            let same = self.actors.get(&id).map(|(o, _)| *o) == Some(object);
            if !same {
                self.delete(id);
            }
            self.actors.insert(id, (object, kind));
            match kind {
                ActorKind::Ball => {
                    // A new ball (kickoff after a goal) has not been touched:
                    // the last-touch team of the old one must not carry over.
                    if !same {
                        self.hit_team = None;
                        self.ball_has_been_hit = false;
                    }
                    self.ball_actor = Some(id);
                }
                ActorKind::Team(team) => {
                    self.links_dirty = true;
                    self.teams.insert(id, team);
                }
                ActorKind::BoostPad => {
                    let location = new.initial_trajectory.location.map(|l| Vec3 {
                        x: l.x as f32,
                        y: l.y as f32,
                        z: l.z as f32,
                    });
                    let pad = self.pads.entry(object).or_default();
                    if pad.position.is_none() {
                        pad.position = location;
                    }
                }
                _ => {}
            }
        }
        for update in &frame.updated_actors {
            self.update(index, update);
        }
        if self.players_dirty {
            self.players_dirty = false;
            self.links_dirty = true;
            self.resolve_players();
        }
        self.record(index, frame, start);
    }

    fn delete(&mut self, id: i32) {
        let Some((_, kind)) = self.actors.remove(&id) else {
            return;
        };
        self.links_dirty = true;
        match kind {
            ActorKind::Car => {
                if let Some(car) = self.cars.remove(&id) {
                    self.drop_stale(&car.stale);
                }
            }
            ActorKind::BoostComponent => {
                self.boosts.remove(&id);
            }
            ActorKind::Pri => {
                self.pris.remove(&id);
            }
            ActorKind::Ball if self.ball_actor == Some(id) => {
                self.ball_actor = None;
                self.ball = None;
            }
            _ => {}
        }
    }

    fn update(&mut self, frame: usize, update: &boxcars::UpdatedAttribute) {
        let prop = usize::try_from(update.object_id.0)
            .ok()
            .and_then(|i| self.props.get(i).copied())
            .unwrap_or(Prop::Ignored);
        if prop == Prop::Ignored {
            return;
        }
        let id = update.actor_id.0;
        let kind = self.actors.get(&id).map_or(ActorKind::Other, |(_, k)| *k);
        match (prop, &update.attribute) {
            (Prop::RigidBody, Attribute::RigidBody(rb)) => {
                let body = self.body(rb);
                match kind {
                    ActorKind::Ball if self.ball_actor == Some(id) => self.ball = Some(body),
                    ActorKind::Car => {
                        let car = self.cars.slot(id);
                        // A car is followed from its first position on.
                        self.links_dirty |= car.body.is_none();
                        car.body = Some(body);
                        car.stale.clear();
                        car.replicated_at = Some(frame);
                    }
                    _ => {}
                }
            }
            (Prop::PawnPri, Attribute::ActiveActor(a)) if kind == ActorKind::Car => {
                self.links_dirty = true;
                self.link_sequence += 1;
                let sequence = self.link_sequence;
                let car = self.cars.slot(id);
                let pri = a.active.then_some(a.actor.0);
                if pri.is_some() && pri != car.pri {
                    car.linked = sequence;
                }
                car.pri = pri;
                if car.pri.is_some() {
                    car.last_pri = car.pri;
                } else {
                    // Unlinked (a demolition): its frames up to now count,
                    // replicated or not.
                    car.stale.clear();
                }
            }
            (Prop::PriTeam, Attribute::ActiveActor(a)) => {
                self.links_dirty = true;
                self.pris.slot(id).team_actor = a.active.then_some(a.actor.0);
            }
            (Prop::PriName, Attribute::String(name)) => {
                self.pris.slot(id).name = Some(name.clone());
                self.players_dirty = true;
            }
            (Prop::PriUniqueId, Attribute::UniqueId(uid)) => {
                self.pris.slot(id).unique_id = Some((**uid).clone());
                self.players_dirty = true;
            }
            (Prop::PriBot, Attribute::Boolean(bot)) => {
                self.pris.slot(id).bot = *bot;
                self.players_dirty = true;
            }
            (Prop::ComponentVehicle, Attribute::ActiveActor(a))
                if kind == ActorKind::BoostComponent =>
            {
                let car = a.active.then_some(a.actor.0);
                self.boost_entry(id).car = car;
                if let Some(car) = car {
                    self.cars.slot(car).boost = Some(id);
                }
            }
            (Prop::ComponentActive, Attribute::Byte(b)) if kind == ActorKind::BoostComponent => {
                self.boost_entry(id).active = b % 2 == 1;
            }
            (Prop::BoostAmount, Attribute::Byte(amount)) => {
                let boost = self.boost_entry(id);
                boost.amount = f32::from(*amount);
            }
            (Prop::BoostAmount, Attribute::ReplicatedBoost(b)) => {
                let boost = self.boost_entry(id);
                boost.amount = f32::from(b.boost_amount);
            }
            (Prop::Handbrake, Attribute::Boolean(on)) if kind == ActorKind::Car => {
                self.cars.slot(id).handbrake = *on;
            }
            (Prop::Demolish, attribute) => self.demolish(frame, id, attribute),
            (Prop::Pickup, Attribute::Pickup(p)) => {
                self.pickup(
                    frame,
                    id,
                    p.instigator.map(|a| a.0),
                    u8::from(p.picked_up),
                    true,
                );
            }
            (Prop::Pickup, Attribute::PickupNew(p)) => {
                self.pickup(frame, id, p.instigator.map(|a| a.0), p.picked_up, false);
            }
            (Prop::HitTeam, Attribute::Byte(team)) => {
                self.hit_team = (*team <= 1).then_some(*team);
            }
            (Prop::SecondsRemaining, Attribute::Int(s)) => self.seconds_remaining = Some(*s),
            (Prop::StateName, Attribute::Int(name)) => {
                self.state_name = usize::try_from(*name)
                    .ok()
                    .and_then(|i| self.names.get(i))
                    .cloned();
            }
            (Prop::CountdownRemaining, Attribute::Int(n)) => self.countdown = *n > 0,
            (Prop::BallHasBeenHit, Attribute::Boolean(hit)) => self.ball_has_been_hit = *hit,
            (Prop::ScoredOnTeam, Attribute::Byte(team)) => {
                let team = (*team <= 1).then_some(*team);
                if team.is_some() && team != self.scored_on {
                    if let Some(team) = team {
                        self.out.goals_scored_on.push((frame, team));
                    }
                    self.post_goal = true;
                }
                self.scored_on = team;
            }
            (Prop::Overtime, Attribute::Boolean(ot)) => self.out.overtime |= *ot,
            (
                Prop::MatchGoals
                | Prop::MatchAssists
                | Prop::MatchSaves
                | Prop::MatchShots
                | Prop::MatchScore,
                Attribute::Int(value),
            ) => {
                let value = u32::try_from(*value).unwrap_or(0);
                let pri = self.pris.slot(id);
                match pri.player {
                    Some(player) => self.counter(frame, player, prop, value),
                    None => pri.pending_counters.push((prop, value)),
                }
            }
            (Prop::TeamName, Attribute::String(name)) if !name.is_empty() => {
                if let ActorKind::Team(team) = kind {
                    self.out.team_names[usize::from(team)] = Some(name.clone());
                }
            }
            _ => {}
        }
    }

    fn boost_entry(&mut self, id: i32) -> &mut BoostActor {
        self.boosts.slot_with(id, || BoostActor {
            amount: BOOST_SPAWN_RAW,
            ..BoostActor::default()
        })
    }

    fn counter(&mut self, frame: usize, player: usize, prop: Prop, value: u32) {
        let Some(track) = self.out.players.get_mut(player) else {
            return;
        };
        let list = match prop {
            Prop::MatchGoals => &mut track.counters.goals,
            Prop::MatchAssists => &mut track.counters.assists,
            Prop::MatchSaves => &mut track.counters.saves,
            Prop::MatchShots => &mut track.counters.shots,
            _ => &mut track.counters.score,
        };
        // Keyframes re-send counters; only changes are moments.
        if list.last().map(|(_, v)| *v) != Some(value) {
            list.push((frame, value));
        }
    }

    fn player_of_car(&self, car: i32) -> Option<usize> {
        let pri = self.cars.get(&car)?.last_pri?;
        self.pris.get(&pri)?.player
    }

    fn demolish(&mut self, frame: usize, car: i32, attribute: &Attribute) {
        let (attacker_pri, attacker, victim) = match attribute {
            Attribute::Demolish(d) => (
                None,
                d.attacker_flag.then_some(d.attacker.0),
                d.victim_flag.then_some(d.victim.0),
            ),
            Attribute::DemolishFx(d) => (
                None,
                d.attacker_flag.then_some(d.attacker.0),
                d.victim_flag.then_some(d.victim.0),
            ),
            Attribute::DemolishExtended(d) => (
                d.attacker_pri.active.then_some(d.attacker_pri.actor.0),
                d.attacker.active.then_some(d.attacker.actor.0),
                d.victim.active.then_some(d.victim.actor.0),
            ),
            _ => return,
        };
        let entry = self.cars.slot(car);
        if entry.last_demo == Some((attacker, victim)) {
            return;
        }
        entry.last_demo = Some((attacker, victim));
        let attacker = attacker_pri
            .and_then(|pri| self.pris.get(&pri)?.player)
            .or_else(|| attacker.and_then(|a| self.player_of_car(a)));
        let Some(victim) = victim.and_then(|v| self.player_of_car(v)) else {
            return;
        };
        // Keyframes re-create the wrecked car with its demolition attached: the
        // same victim cannot be demolished twice within one respawn time.
        let time = self.frame_time(frame);
        let repeated = self.out.demos.iter().rev().any(|d| {
            d.victim == Some(victim)
                && d.attacker == attacker
                && time - self.frame_time(d.frame) < DEMO_RESPAWN_SECONDS
        });
        if !repeated {
            self.out.demos.push(DemoRecord {
                frame,
                attacker,
                victim: Some(victim),
            });
        }
    }

    /// Forgets the samples a car left after its last replicated state.
    fn drop_stale(&mut self, stale: &[(usize, usize)]) {
        for &(player, frame) in stale {
            if let Some(slot) = self
                .out
                .players
                .get_mut(player)
                .and_then(|t| t.cars.get_mut(frame))
            {
                *slot = None;
            }
        }
    }

    /// The timeline, once every frame is in: cars still on the field at the
    /// end count up to their last replicated state too.
    fn into_timeline(mut self) -> Timeline {
        let stale: Vec<(usize, usize)> = self
            .cars
            .iter()
            .flat_map(|(_, car)| car.stale.iter().copied())
            .collect();
        self.drop_stale(&stale);
        self.out
    }

    /// Time of a recorded frame, or of the frame being built.
    fn frame_time(&self, frame: usize) -> f32 {
        self.out
            .frames
            .get(frame)
            .map_or(self.current_time, |f| f.time)
    }

    fn pickup(&mut self, frame: usize, pad_actor: i32, car: Option<i32>, value: u8, legacy: bool) {
        let Some(&(object, _)) = self.actors.get(&pad_actor) else {
            return;
        };
        let pad = self.pads.entry(object).or_default();
        let previous = pad.last.replace((car, value));
        // Legacy pads replicate a bool: true when taken. Newer pads replicate a
        // counter that changes on every pickup; both re-send on keyframes.
        let is_new = if legacy {
            value == 1 && previous.is_none_or(|(_, v)| v != 1)
        } else {
            previous.is_none_or(|(c, v)| v != value || c != car)
        };
        let available = if legacy { value == 0 } else { car.is_none() };
        let was_taken = previous.is_some_and(|(c, v)| if legacy { v == 1 } else { c.is_some() });
        if available && was_taken {
            self.out.pad_respawns.push((object, frame));
        }
        let pad_position = pad.position;
        if !is_new {
            return;
        }
        let Some(car) = car else { return };
        let Some(player) = self.player_of_car(car) else {
            return;
        };
        let position = pad_position.or_else(|| self.cars.get(&car)?.body.map(|b| b.position));
        self.out.pickups.push(PickupRecord {
            frame,
            player,
            pad_position: position,
            pad_object: object,
        });
    }

    /// Gives every PRI that has a name a player index, merging PRIs of the same
    /// account (rejoins, keyframe re-sends).
    fn resolve_players(&mut self) {
        let frames_so_far = self.out.frames.len();
        let mut newly_resolved = Vec::new();
        // Sorted so that player indexes do not depend on hash order.
        let mut unresolved: Vec<i32> = self
            .pris
            .iter()
            .filter(|(_, p)| p.player.is_none())
            .map(|(id, _)| id)
            .collect();
        unresolved.sort_unstable();
        for pri_id in unresolved {
            let Some(pri) = self.pris.get_mut(&pri_id) else {
                continue;
            };
            let Some(name) = pri.name.clone() else {
                continue;
            };
            let (key, id) = match &pri.unique_id {
                Some(uid) if !pri.bot => account_key(uid, &name),
                _ => (format!("name:{name}"), None),
            };
            let index = *self.player_keys.entry(key).or_insert_with(|| {
                let mut cars = Vec::with_capacity(self.frame_count);
                cars.resize(frames_so_far, None);
                let mut teams = Vec::with_capacity(self.frame_count);
                teams.resize(frames_so_far, None);
                self.out.players.push(PlayerTrack {
                    name: name.clone(),
                    id,
                    is_bot: pri.bot,
                    team: None,
                    cars,
                    teams,
                    counters: Counters::default(),
                });
                self.out.players.len() - 1
            });
            if let Some(track) = self.out.players.get_mut(index) {
                track.name = name;
                track.is_bot |= pri.bot;
            }
            pri.player = Some(index);
            newly_resolved.push((pri_id, index));
        }
        for (pri_id, index) in newly_resolved {
            let pending = self
                .pris
                .get_mut(&pri_id)
                .map(|p| std::mem::take(&mut p.pending_counters))
                .unwrap_or_default();
            for (prop, value) in pending {
                self.counter(frames_so_far, index, prop, value);
            }
        }
    }

    fn phase(&mut self) -> Phase {
        if let Some(state) = self.state_name.as_deref() {
            // Modern replays name the game state outright.
            return match state {
                "Countdown" => {
                    self.started = true;
                    self.post_goal = false;
                    Phase::Countdown
                }
                "Active" => {
                    self.started = true;
                    self.post_goal = false;
                    Phase::Live
                }
                "PostGoalScored" | "ReplayPlayback" => Phase::PostGoal,
                _ => Phase::Inactive,
            };
        }
        // Older replays: infer from the countdown and the scored-on flag.
        if self.countdown {
            self.started = true;
            self.post_goal = false;
            return Phase::Countdown;
        }
        if self.post_goal {
            return Phase::PostGoal;
        }
        if self.started || self.seconds_remaining.is_some() {
            self.started = true;
            Phase::Live
        } else {
            Phase::Inactive
        }
    }

    fn record(&mut self, index: usize, frame: &boxcars::Frame, start: f32) {
        let phase = self.phase();
        self.out.frames.push(FrameMeta {
            time: frame.time - start,
            delta: frame.delta,
            phase,
            seconds_remaining: self.seconds_remaining,
            ball_has_been_hit: self.ball_has_been_hit,
            hit_team: self.hit_team,
            frozen: self.countdown,
        });
        self.out
            .ball
            .push(self.ball.filter(|_| self.ball_actor.is_some()));
        for track in &mut self.out.players {
            track.cars.push(None);
            track.teams.push(track.team);
        }
        if self.links_dirty {
            self.links_dirty = false;
            self.choose_cars_and_teams();
        }
        for &(player, car_id) in &self.chosen_cars {
            let Some(car) = self.cars.get_mut(&car_id) else {
                continue;
            };
            let Some(body) = car.body else { continue };
            let boost = car
                .boost
                .and_then(|b| self.boosts.get(&b))
                .filter(|b| b.car == Some(car_id));
            if let Some(slot) = self
                .out
                .players
                .get_mut(player)
                .and_then(|t| t.cars.get_mut(index))
            {
                *slot = Some(CarSample {
                    body,
                    boost: boost.map_or(0.0, |b| b.amount),
                    boosting: boost.is_some_and(|b| b.active),
                    handbrake: car.handbrake,
                });
                if car.replicated_at != Some(index) {
                    car.stale.push((player, index));
                }
            }
        }
        for &(player, team) in &self.chosen_teams {
            if let Some(track) = self.out.players.get_mut(player) {
                track.team = Some(team);
                if let Some(slot) = track.teams.get_mut(index) {
                    *slot = Some(team);
                }
            }
        }
    }

    /// One car per player: the most recently linked one (a wreck not yet
    /// deleted can still point at its player). One team per player: from the
    /// PRI driving a car if several PRIs carry the player (a rejoin), then
    /// the newest.
    fn choose_cars_and_teams(&mut self) {
        let mut candidates: Vec<(usize, u64, i32)> = Vec::new();
        for (car_id, car) in self.cars.iter() {
            if car.body.is_none() {
                continue;
            }
            if let Some(player) = car
                .pri
                .and_then(|p| self.pris.get(&p))
                .and_then(|p| p.player)
            {
                candidates.push((player, car.linked, car_id));
            }
        }
        candidates.sort_unstable();
        self.chosen_cars.clear();
        for (i, &(player, _, car_id)) in candidates.iter().enumerate() {
            // Sorted by player then link sequence: the last entry of a player wins.
            if candidates.get(i + 1).is_none_or(|next| next.0 != player) {
                self.chosen_cars.push((player, car_id));
            }
        }
        let mut teams: Vec<(usize, (bool, i32), u8)> = Vec::new();
        for (pri_id, pri) in self.pris.iter() {
            let (Some(player), Some(team_actor)) = (pri.player, pri.team_actor) else {
                continue;
            };
            let Some(&team) = self.teams.get(&team_actor) else {
                continue;
            };
            let driving = self.cars.values().any(|c| c.pri == Some(pri_id));
            teams.push((player, (driving, pri_id), team));
        }
        teams.sort_unstable();
        self.chosen_teams.clear();
        for (i, &(player, _, team)) in teams.iter().enumerate() {
            if teams.get(i + 1).is_none_or(|next| next.0 != player) {
                self.chosen_teams.push((player, team));
            }
        }
    }
}
