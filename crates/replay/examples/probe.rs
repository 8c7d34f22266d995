use filmroom_replay::frames::{Phase, Timeline};
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let data = std::fs::read(&path).unwrap();
    let r = boxcars::ParserBuilder::new(&data).must_parse_network_data().on_error_check_crc().parse().unwrap();
    let t = Timeline::build(&r);
    let mut by_phase = std::collections::BTreeMap::new();
    for f in &t.frames { *by_phase.entry(format!("{:?}", f.phase)).or_insert(0.0f32) += f.delta; }
    println!("{by_phase:?} frames {}", t.frames.len());
    // transitions
    let mut last = None;
    for (i, f) in t.frames.iter().enumerate() { if Some(f.phase) != last { println!("  {i} {:.2} {:?} sr={:?}", f.time, f.phase, f.seconds_remaining); last = Some(f.phase); } }
    for p in &t.players {
        let mut live = 0.0; let mut live_next = 0.0; let mut cd = 0.0;
        for (i, f) in t.frames.iter().enumerate() {
            if p.cars[i].is_some() {
                if f.phase == Phase::Live { live += f.delta; }
                if f.phase == Phase::Countdown { cd += f.delta; }
                if let Some(n) = t.frames.get(i+1) { if f.phase == Phase::Live { live_next += n.time - f.time; } }
            }
        }
        println!("{} team {:?} live {live:.2} live_next {live_next:.2} countdown {cd:.2} id {:?}", p.name, p.team, p.id);
    }
    println!("demos {:?}", t.demos);
    println!("pickups {}", t.pickups.len());
    println!("goals {:?}", t.goals_scored_on);
}
