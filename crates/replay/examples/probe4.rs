use filmroom_replay::frames::Timeline;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let data = std::fs::read(&a[1]).unwrap();
    let r = boxcars::ParserBuilder::new(&data).must_parse_network_data().on_error_check_crc().parse().unwrap();
    let t = Timeline::build(&r);
    let pi = t.players.iter().position(|p| p.name == a[2]).unwrap();
    let (s, e): (usize, usize) = (a[3].parse().unwrap(), a[4].parse().unwrap());
    for i in s..e { println!("{i} {:.2} {:?}", t.frames[i].time, t.players[pi].cars[i].map(|c| (c.boost, c.boosting))); }
}
