use filmroom_replay::frames::{Phase, Timeline};
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let who = std::env::args().nth(2).unwrap();
    let data = std::fs::read(&path).unwrap();
    let r = boxcars::ParserBuilder::new(&data).must_parse_network_data().on_error_check_crc().parse().unwrap();
    let t = Timeline::build(&r);
    let p = t.players.iter().find(|p| p.name == who).unwrap();
    let mut zs: Vec<(f32, f32)> = Vec::new();
    let mut hb_ground = 0.0; let mut hb_count = 0; let mut prev = false;
    let mut nodrain_buckets = [0.0f32; 4];
    for (i, c) in p.cars.iter().enumerate() {
        let Some(c) = c else { prev = false; continue };
        let f = t.frames[i];
        zs.push((c.body.position.z, f.delta));
        let on = c.handbrake && c.body.position.z < 20.0;
        if on { hb_ground += f.delta; if !prev { hb_count += 1; } }
        prev = on;
        let _ = (Phase::Live, &mut nodrain_buckets);
    }
    zs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut acc = 0.0;
    for (z, d) in &zs { acc += d; if acc >= 28.43 { println!("high air threshold ~ {z}"); break; } }
    let mut acc = 0.0;
    for (z, d) in &zs { acc += d; if acc >= 28.43 + 131.13 { println!("ground threshold ~ {z}"); break; } }
    println!("handbrake on ground {hb_ground} count {hb_count}");
}
