//! Fuzzes the engine's promise: any bytes give an error or an analysis,
//! never a panic, a hang or an unbounded allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(analysis) = filmroom_replay::analyze(data) {
        // Serializing touches every field, as the CLI does with `--format json`.
        let _ = serde_json::to_vec(&analysis);
    }
    let _ = filmroom_replay::inspect(data);
});
