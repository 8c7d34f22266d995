//! Criterion benches of the engine on one typical replay (2023, 3v3, 1.5 MB):
//! boxcars' own network parse as the baseline, `analyze` (parse + frames +
//! stats) and `inspect` (header only). Target: analyze <= 1.5x the parse.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn replay_path() -> PathBuf {
    let dir = std::env::var("FILMROOM_REPLAYS").map_or_else(
        |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/replays"),
        PathBuf::from,
    );
    dir.join("corpus/181d6.replay")
}

fn engine(c: &mut Criterion) {
    let path = replay_path();
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.sample_size(20);
    group.bench_function("boxcars_network_parse", |b| {
        b.iter(|| {
            boxcars::ParserBuilder::new(black_box(&data))
                .must_parse_network_data()
                .on_error_check_crc()
                .parse()
                .unwrap()
        })
    });
    group.bench_function("filmroom_analyze", |b| {
        b.iter(|| filmroom_replay::analyze(black_box(&data)).unwrap())
    });
    group.bench_function("filmroom_inspect", |b| {
        b.iter(|| filmroom_replay::inspect(black_box(&data)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
