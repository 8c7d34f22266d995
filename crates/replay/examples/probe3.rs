use filmroom_replay::frames::Timeline;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let who = std::env::args().nth(2).unwrap();
    let data = std::fs::read(&path).unwrap();
    let r = boxcars::ParserBuilder::new(&data).must_parse_network_data().on_error_check_crc().parse().unwrap();
    let t = Timeline::build(&r);
    let pi = t.players.iter().position(|p| p.name == who).unwrap();
    for p in t.pickups.iter().filter(|p| p.player == pi) {
        let f = t.frames[p.frame];
        let car = t.players[pi].cars[p.frame.saturating_sub(1)];
        let after = (p.frame..p.frame+10).find_map(|i| t.players[pi].cars.get(i).copied().flatten()).map(|c| c.boost);
        let resp = t.pad_respawns.iter().find(|(o, fr)| *o == p.pad_object && *fr > p.frame).map(|(_, fr)| t.frames[*fr].time - f.time);
        println!("{:.2} {:?} pad {} pos {:?} before {:?} after {:?} respawn {:?}", f.time, f.phase, p.pad_object, p.pad_position.map(|v| (v.x as i32, v.y as i32)), car.map(|c| c.boost), after, resp);
    }
}
