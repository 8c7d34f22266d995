//! Coaching profiles: who the coach is for one conversation. A profile is a
//! directory of plain files a coach author can edit without touching code:
//!
//! - `profile.toml`: `id`, `name`, `version`, `description`,
//!   `domain = "rocket_league" | "methodology"`, `accepts_images`;
//! - `system.md`: the system prompt;
//! - `guardrails.md`: what the coach must never do;
//! - any other `*.md`: methodology sections, joined in file-name order.
//!
//! Two profiles are built in (embedded at compile time from `crates/coach/profiles/`):
//! `rocket-league`, the default, and `trading`, a methodology coach. A directory of
//! profiles can add to them or replace them by id.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::SystemBlock;

/// A profile file larger than this is refused: prompts are read on every call and
/// a huge one is a mistake (or an attempt to run up token bills).
pub const MAX_PROFILE_FILE_BYTES: u64 = 256 * 1024;

/// The id of the default profile.
pub const DEFAULT_PROFILE_ID: &str = "rocket-league";

/// What a profile coaches on, which decides whether the game tools are offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileDomain {
    /// Rocket League: the coach reads the player's games through the tools.
    RocketLeague,
    /// A methodology coach (trading, public speaking...): chat only, no game tools.
    Methodology,
}

impl ProfileDomain {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RocketLeague => "rocket_league",
            Self::Methodology => "methodology",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub version: String,
    pub description: String,
    pub domain: ProfileDomain,
    /// Whether the coach is meant to read images (chart or scoreboard screenshots).
    pub accepts_images: bool,
    pub system: String,
    pub guardrails: String,
    /// The methodology sections, joined by blank lines; may be empty.
    pub methodology: String,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    #[error("profile file {} is missing", path.display())]
    Missing { path: PathBuf },
    #[error("cannot read profile file {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is {size} bytes, over the {limit}-byte limit for a profile file", path.display())]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("{} is not a valid profile.toml", path.display())]
    Toml {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    #[error("{}: unknown domain {domain:?} (expected \"rocket_league\" or \"methodology\")", path.display())]
    UnknownDomain { path: PathBuf, domain: String },
    #[error("{} is empty: a profile needs a system prompt", path.display())]
    EmptyPrompt { path: PathBuf },
    #[error("{}: {what}", path.display())]
    Invalid { path: PathBuf, what: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    id: String,
    name: String,
    version: String,
    #[serde(default)]
    description: String,
    domain: String,
    #[serde(default)]
    accepts_images: bool,
}

impl Profile {
    /// Loads a profile directory (see the module doc for its files).
    pub fn load_dir(dir: impl AsRef<Path>) -> Result<Profile, ProfileError> {
        let dir = dir.as_ref();
        let manifest_path = dir.join("profile.toml");
        let manifest = read_capped(&manifest_path)?;
        let system_path = dir.join("system.md");
        let system = read_capped(&system_path)?;
        let guardrails = read_capped(&dir.join("guardrails.md"))?;

        let entries = std::fs::read_dir(dir).map_err(|source| ProfileError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let mut sections = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| ProfileError::Io {
                path: dir.to_owned(),
                source,
            })?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_md = Path::new(&name).extension().is_some_and(|e| e == "md");
            if is_md && name != "system.md" && name != "guardrails.md" {
                sections.push(name);
            }
        }
        sections.sort();
        let mut parts = Vec::with_capacity(sections.len());
        for name in sections {
            parts.push(read_capped(&dir.join(name))?);
        }
        Self::from_parts(
            &manifest_path,
            &manifest,
            &system_path,
            system,
            guardrails,
            parts,
        )
    }

    fn from_parts(
        manifest_path: &Path,
        manifest: &str,
        system_path: &Path,
        system: String,
        guardrails: String,
        sections: Vec<String>,
    ) -> Result<Profile, ProfileError> {
        let m: Manifest = toml::from_str(manifest).map_err(|source| ProfileError::Toml {
            path: manifest_path.to_owned(),
            source,
        })?;
        let domain = match m.domain.as_str() {
            "rocket_league" => ProfileDomain::RocketLeague,
            "methodology" => ProfileDomain::Methodology,
            _ => {
                return Err(ProfileError::UnknownDomain {
                    path: manifest_path.to_owned(),
                    domain: m.domain,
                });
            }
        };
        let id_ok = !m.id.is_empty()
            && m.id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !id_ok {
            return Err(ProfileError::Invalid {
                path: manifest_path.to_owned(),
                what: format!(
                    "id {:?} must be non-empty ASCII letters, digits, - or _",
                    m.id
                ),
            });
        }
        if m.name.trim().is_empty() {
            return Err(ProfileError::Invalid {
                path: manifest_path.to_owned(),
                what: "name is empty".to_owned(),
            });
        }
        if system.trim().is_empty() {
            return Err(ProfileError::EmptyPrompt {
                path: system_path.to_owned(),
            });
        }
        let methodology = sections
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
        Ok(Profile {
            id: m.id,
            name: m.name,
            version: m.version,
            description: m.description,
            domain,
            accepts_images: m.accepts_images,
            system: system.trim().to_owned(),
            guardrails: guardrails.trim().to_owned(),
            methodology,
        })
    }

    /// The profile's part of the system prompt. The methodology and the guardrails
    /// come first and every block is marked cacheable: they never change within a
    /// profile version, so the provider caches the whole stable prefix and only the
    /// per-turn block the turn loop appends after them is paid in full.
    pub fn system_blocks(&self) -> Vec<SystemBlock> {
        [&self.methodology, &self.guardrails, &self.system]
            .into_iter()
            .filter(|text| !text.is_empty())
            .map(|text| SystemBlock {
                text: text.clone(),
                cacheable: true,
            })
            .collect()
    }

    /// Whether the game tools are offered to the model.
    pub fn uses_game_tools(&self) -> bool {
        self.domain == ProfileDomain::RocketLeague
    }
}

/// Reads a UTF-8 file, refusing one over [`MAX_PROFILE_FILE_BYTES`] before reading it.
fn read_capped(path: &Path) -> Result<String, ProfileError> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ProfileError::Missing {
                path: path.to_owned(),
            });
        }
        Err(source) => {
            return Err(ProfileError::Io {
                path: path.to_owned(),
                source,
            });
        }
    };
    if meta.len() > MAX_PROFILE_FILE_BYTES {
        return Err(ProfileError::TooLarge {
            path: path.to_owned(),
            size: meta.len(),
            limit: MAX_PROFILE_FILE_BYTES,
        });
    }
    std::fs::read_to_string(path).map_err(|source| ProfileError::Io {
        path: path.to_owned(),
        source,
    })
}

/// The profiles a server offers, by id.
#[derive(Debug, Clone)]
pub struct ProfileSet {
    profiles: BTreeMap<String, Arc<Profile>>,
    default: Arc<Profile>,
}

struct Builtin {
    dir: &'static str,
    manifest: &'static str,
    system: &'static str,
    guardrails: &'static str,
    sections: &'static [&'static str],
}

const BUILTINS: [Builtin; 2] = [
    Builtin {
        dir: "rocket-league",
        manifest: include_str!("../profiles/rocket-league/profile.toml"),
        system: include_str!("../profiles/rocket-league/system.md"),
        guardrails: include_str!("../profiles/rocket-league/guardrails.md"),
        sections: &[include_str!("../profiles/rocket-league/10-methodology.md")],
    },
    Builtin {
        dir: "trading",
        manifest: include_str!("../profiles/trading/profile.toml"),
        system: include_str!("../profiles/trading/system.md"),
        guardrails: include_str!("../profiles/trading/guardrails.md"),
        sections: &[
            include_str!("../profiles/trading/10-risk.md"),
            include_str!("../profiles/trading/20-setups.md"),
            include_str!("../profiles/trading/30-journal.md"),
        ],
    },
];

impl Builtin {
    fn load(&self) -> Result<Profile, ProfileError> {
        let dir = Path::new("builtin").join(self.dir);
        Profile::from_parts(
            &dir.join("profile.toml"),
            self.manifest,
            &dir.join("system.md"),
            self.system.to_owned(),
            self.guardrails.to_owned(),
            self.sections.iter().map(|s| (*s).to_owned()).collect(),
        )
    }
}

/// The built-in Rocket League profile, assembled without its manifest: only used if
/// the embedded manifest failed to parse, which the crate's tests rule out.
fn fallback_default() -> Profile {
    let b = &BUILTINS[0];
    Profile {
        id: DEFAULT_PROFILE_ID.to_owned(),
        name: "Rocket League coach".to_owned(),
        version: "1".to_owned(),
        description: String::new(),
        domain: ProfileDomain::RocketLeague,
        accepts_images: true,
        system: b.system.trim().to_owned(),
        guardrails: b.guardrails.trim().to_owned(),
        methodology: b.sections.join("\n\n"),
    }
}

impl ProfileSet {
    /// The embedded profiles: `rocket-league` (the default) and `trading`.
    pub fn builtin() -> Self {
        let profiles: BTreeMap<String, Arc<Profile>> = BUILTINS
            .iter()
            .filter_map(|b| b.load().ok())
            .map(|p| (p.id.clone(), Arc::new(p)))
            .collect();
        let default = profiles
            .get(DEFAULT_PROFILE_ID)
            .cloned()
            .unwrap_or_else(|| Arc::new(fallback_default()));
        Self { profiles, default }
    }

    /// Adds every subdirectory of `dir` as a profile; one with the id of a profile
    /// already in the set replaces it (including the default). Any bad profile is
    /// an error: a half-loaded set would hide a typo.
    pub fn with_dir(mut self, dir: impl AsRef<Path>) -> Result<Self, ProfileError> {
        let dir = dir.as_ref();
        let io = |source| ProfileError::Io {
            path: dir.to_owned(),
            source,
        };
        let mut subdirs = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            if entry.file_type().map_err(io)?.is_dir() {
                subdirs.push(entry.path());
            }
        }
        subdirs.sort();
        for sub in subdirs {
            let profile = Arc::new(Profile::load_dir(&sub)?);
            if profile.id == DEFAULT_PROFILE_ID {
                self.default = profile.clone();
            }
            self.profiles.insert(profile.id.clone(), profile);
        }
        Ok(self)
    }

    pub fn get(&self, id: &str) -> Option<Arc<Profile>> {
        self.profiles.get(id).cloned()
    }

    /// The Rocket League coach (or the profile that replaced it).
    pub fn default_profile(&self) -> Arc<Profile> {
        self.default.clone()
    }

    /// Every profile, by id.
    pub fn list(&self) -> Vec<Arc<Profile>> {
        self.profiles.values().cloned().collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_profile_parses() {
        for b in &BUILTINS {
            let profile = b.load().unwrap();
            assert_eq!(profile.id, b.dir);
        }
    }
}
