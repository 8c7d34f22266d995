//! Where the shared replays live, relative to the workspace.
use std::path::PathBuf;

/// `../shared/replays` next to the project root (override with FILMROOM_REPLAYS).
pub fn replays_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("FILMROOM_REPLAYS") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/replays")
}

/// Every `.replay` file in a subfolder, sorted by name.
pub fn replay_files(sub: &str) -> Vec<PathBuf> {
    let dir = replays_dir().join(sub);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "replay"))
        .collect();
    files.sort();
    files
}
