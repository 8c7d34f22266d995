//! Turning the command line's paths into the list of replays to analyse, and
//! reading a replay from disk without trusting its size.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use filmroom_replay::MAX_REPLAY_BYTES;

/// One entry of the work list, in input order. A path that could not even be
/// resolved (missing, an empty directory...) keeps its place as a failure so
/// the summary reports it where the user named it.
#[derive(Debug)]
pub struct Input {
    pub path: PathBuf,
    pub problem: Option<anyhow::Error>,
}

impl Input {
    fn file(path: PathBuf) -> Self {
        Self {
            path,
            problem: None,
        }
    }

    fn failed(path: PathBuf, problem: anyhow::Error) -> Self {
        Self {
            path,
            problem: Some(problem),
        }
    }
}

/// Expands directories (recursively, sorted by name so runs are reproducible)
/// into their `*.replay` files; keeps explicitly named files whatever their
/// extension.
pub fn resolve(paths: &[PathBuf]) -> Vec<Input> {
    let mut inputs = Vec::new();
    for path in paths {
        match fs::metadata(path) {
            Err(error) => {
                inputs.push(Input::failed(path.clone(), anyhow::Error::new(error)));
            }
            Ok(meta) if meta.is_dir() => {
                let mut found = 0;
                walk(path, &mut inputs, &mut found);
                if found == 0 {
                    let problem = anyhow::anyhow!("no .replay files in this directory");
                    inputs.push(Input::failed(path.clone(), problem));
                }
            }
            Ok(_) => inputs.push(Input::file(path.clone())),
        }
    }
    inputs
}

fn is_replay_name(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("replay"))
}

fn walk(dir: &Path, inputs: &mut Vec<Input>, found: &mut usize) {
    let entries = match fs::read_dir(dir).and_then(|it| it.collect::<Result<Vec<_>, _>>()) {
        Ok(entries) => entries,
        Err(error) => {
            let error = anyhow::Error::new(error).context("cannot list directory");
            inputs.push(Input::failed(dir.to_path_buf(), error));
            return;
        }
    };
    let mut entries: Vec<_> = entries.into_iter().map(|e| (e.file_name(), e)).collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, entry) in entries {
        let path = entry.path();
        // `file_type` does not follow symlinks: linked directories are skipped
        // so a link loop cannot make the walk endless.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            walk(&path, inputs, found);
        } else if is_replay_name(&path) {
            if kind.is_symlink() && fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
                continue;
            }
            *found += 1;
            inputs.push(Input::file(path));
        }
    }
}

/// Reads a replay file, refusing anything that is not a regular file or is
/// larger than the engine accepts, before it is loaded into memory. The read
/// is capped as well, in case the file grows while we read it.
pub fn read_replay(path: &Path) -> anyhow::Result<Vec<u8>> {
    let meta = fs::metadata(path).context("cannot read file")?;
    if !meta.is_file() {
        bail!("not a regular file");
    }
    let limit = u64::try_from(MAX_REPLAY_BYTES).unwrap_or(u64::MAX);
    if meta.len() > limit {
        bail!(
            "file is {} bytes, larger than the {MAX_REPLAY_BYTES}-byte limit for a replay",
            meta.len()
        );
    }
    let file = File::open(path).context("cannot open file")?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .context("cannot read file")?;
    if bytes.len() > MAX_REPLAY_BYTES {
        bail!("file grew past the {MAX_REPLAY_BYTES}-byte limit for a replay while being read");
    }
    Ok(bytes)
}
