use std::collections::BTreeMap;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let data = std::fs::read(&path).unwrap();
    let r = boxcars::ParserBuilder::new(&data).must_parse_network_data().on_error_check_crc().parse().unwrap();
    for (k, v) in &r.properties { if k != "PlayerStats" && k!="Goals" && k!="HighLights" { println!("{k}: {v:?}"); } }
    if let Some((_, v)) = r.properties.iter().find(|(k,_)| k=="PlayerStats") { println!("PlayerStats: {:?}", v); }
    if let Some((_, v)) = r.properties.iter().find(|(k,_)| k=="Goals") { println!("Goals: {:?}", v); }
    let nf = r.network_frames.unwrap();
    println!("frames {}", nf.frames.len());
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut news: BTreeMap<String, usize> = BTreeMap::new();
    for f in &nf.frames {
        for u in &f.updated_actors { *counts.entry(r.objects[u.object_id.0 as usize].clone()).or_default() += 1; }
        for n in &f.new_actors { *news.entry(r.objects[n.object_id.0 as usize].clone()).or_default() += 1; }
    }
    for (k, v) in news { println!("NEW {v:7} {k}"); }
    for (k, v) in counts { println!("UPD {v:7} {k}"); }
    for tm in &r.tick_marks { println!("tick {} {}", tm.frame, tm.description); }
    if std::env::args().nth(2).as_deref() == Some("ball") {
        let mut n = 0;
        for f in nf.frames.iter() { for u in &f.updated_actors { if let boxcars::Attribute::RigidBody(rb) = &u.attribute { if n < 8 && u.actor_id.0 == 0 || n % 500 == 0 { println!("{:.2} a{} {:?} {:?}", f.time, u.actor_id.0, rb.location, rb.linear_velocity); } n += 1; } } }
    }
    if std::env::args().nth(2).as_deref() == Some("events") {
        for (i, f) in nf.frames.iter().enumerate() {
            for u in &f.updated_actors {
                let name = &r.objects[u.object_id.0 as usize];
                if name.contains("RBState") || name.contains("ClientLoadout") || name.contains("Ping") || name.contains("Throttle") || name.contains("Steer") || name.contains("Loadout") { continue; }
                println!("{i} {:.2} a{} {} {:?}", f.time, u.actor_id.0, name, u.attribute);
            }
            for n in &f.new_actors { println!("{i} {:.2} NEW a{} {}", f.time, n.actor_id.0, r.objects[n.object_id.0 as usize]); }
            for d in &f.deleted_actors { println!("{i} {:.2} DEL a{}", f.time, d.0); }
        }
    }
}
#[allow(dead_code)]
fn unused() {}
