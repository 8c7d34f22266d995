//! Coaching profiles: the built-ins, directories of profiles, and every way a
//! profile directory can be wrong.

use std::path::{Path, PathBuf};

use filmroom_coach::profiles::MAX_PROFILE_FILE_BYTES;
use filmroom_coach::{Profile, ProfileDomain, ProfileError, ProfileSet};

fn write_profile(dir: &Path, id: &str, domain: &str) -> PathBuf {
    let path = dir.join(id);
    std::fs::create_dir_all(&path).unwrap();
    std::fs::write(
        path.join("profile.toml"),
        format!(
            "id = \"{id}\"\nname = \"Test {id}\"\nversion = \"2\"\ndescription = \"d\"\ndomain = \"{domain}\"\naccepts_images = false\n"
        ),
    )
    .unwrap();
    std::fs::write(path.join("system.md"), "You are a test coach.\n").unwrap();
    std::fs::write(path.join("guardrails.md"), "Never lie.\n").unwrap();
    path
}

#[test]
fn the_built_ins_are_the_rocket_league_coach_by_default_and_a_trading_coach() {
    let set = ProfileSet::builtin();
    let default = set.default_profile();
    assert_eq!(default.id, "rocket-league");
    assert_eq!(default.domain, ProfileDomain::RocketLeague);
    assert!(default.uses_game_tools());
    assert!(default.system.contains("recent_games"));
    assert!(default.methodology.contains("bpm"));

    let trading = set.get("trading").unwrap();
    assert_eq!(trading.domain, ProfileDomain::Methodology);
    assert!(trading.accepts_images);
    assert!(!trading.uses_game_tools());
    assert!(trading.methodology.contains("risk per trade"));
    // Sections in file-name order: risk, then setups, then the journal.
    let risk = trading.methodology.find("part 1").unwrap();
    let journal = trading.methodology.find("part 3").unwrap();
    assert!(risk < journal);

    let ids: Vec<String> = set.list().iter().map(|p| p.id.clone()).collect();
    assert_eq!(ids, ["rocket-league", "trading"]);
    assert!(set.get("nope").is_none());
}

#[test]
fn the_embedded_profiles_are_the_same_as_their_directories() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    let set = ProfileSet::builtin();
    for id in ["rocket-league", "trading"] {
        let from_dir = Profile::load_dir(root.join(id)).unwrap();
        assert_eq!(&from_dir, set.get(id).unwrap().as_ref(), "{id}");
    }
}

#[test]
fn system_blocks_put_the_methodology_and_the_guardrails_first_all_cacheable() {
    let profile = ProfileSet::builtin().default_profile();
    let blocks = profile.system_blocks();
    assert_eq!(blocks.len(), 3);
    assert_eq!(blocks[0].text, profile.methodology);
    assert_eq!(blocks[1].text, profile.guardrails);
    assert_eq!(blocks[2].text, profile.system);
    assert!(blocks.iter().all(|b| b.cacheable));
}

#[test]
fn a_profile_directory_joins_its_other_markdown_files_in_file_name_order() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = write_profile(tmp.path(), "speaker", "methodology");
    std::fs::write(dir.join("20-second.md"), "Second section.").unwrap();
    std::fs::write(dir.join("10-first.md"), "First section.").unwrap();
    std::fs::write(dir.join("notes.txt"), "not markdown, ignored").unwrap();

    let profile = Profile::load_dir(&dir).unwrap();
    assert_eq!(profile.id, "speaker");
    assert_eq!(profile.version, "2");
    assert_eq!(profile.domain, ProfileDomain::Methodology);
    assert!(!profile.accepts_images);
    assert_eq!(profile.system, "You are a test coach.");
    assert_eq!(profile.guardrails, "Never lie.");
    assert_eq!(profile.methodology, "First section.\n\nSecond section.");
}

#[test]
fn a_directory_of_profiles_adds_new_ones_and_replaces_built_ins_with_the_same_id() {
    let tmp = tempfile::tempdir().unwrap();
    write_profile(tmp.path(), "rocket-league", "rocket_league");
    write_profile(tmp.path(), "speaker", "methodology");
    std::fs::write(
        tmp.path().join("README.md"),
        "files beside profiles are ignored",
    )
    .unwrap();

    let set = ProfileSet::builtin().with_dir(tmp.path()).unwrap();
    let ids: Vec<String> = set.list().iter().map(|p| p.id.clone()).collect();
    assert_eq!(ids, ["rocket-league", "speaker", "trading"]);
    assert_eq!(set.default_profile().name, "Test rocket-league");
    assert_eq!(set.get("rocket-league").unwrap().name, "Test rocket-league");
}

#[test]
fn a_profile_without_its_system_prompt_is_a_missing_file_error_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = write_profile(tmp.path(), "p", "methodology");
    std::fs::remove_file(dir.join("system.md")).unwrap();
    let err = Profile::load_dir(&dir).unwrap_err();
    assert!(
        matches!(&err, ProfileError::Missing { path } if path.ends_with("system.md")),
        "{err:?}"
    );
    assert!(err.to_string().contains("system.md"));

    std::fs::write(dir.join("system.md"), "x").unwrap();
    std::fs::remove_file(dir.join("guardrails.md")).unwrap();
    let err = Profile::load_dir(&dir).unwrap_err();
    assert!(matches!(&err, ProfileError::Missing { path } if path.ends_with("guardrails.md")));

    let err = Profile::load_dir(tmp.path().join("absent")).unwrap_err();
    assert!(matches!(&err, ProfileError::Missing { path } if path.ends_with("profile.toml")));
}

#[test]
fn a_profile_with_bad_toml_or_unknown_fields_is_a_toml_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = write_profile(tmp.path(), "p", "methodology");
    std::fs::write(dir.join("profile.toml"), "id = \"p\"\nname = ").unwrap();
    let err = Profile::load_dir(&dir).unwrap_err();
    assert!(matches!(err, ProfileError::Toml { .. }), "{err:?}");

    std::fs::write(
        dir.join("profile.toml"),
        "id = \"p\"\nname = \"n\"\nversion = \"1\"\ndomain = \"methodology\"\ncolour = \"red\"\n",
    )
    .unwrap();
    let err = Profile::load_dir(&dir).unwrap_err();
    assert!(matches!(err, ProfileError::Toml { .. }), "{err:?}");
}

#[test]
fn a_profile_with_an_unknown_domain_is_refused_naming_the_domain() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = write_profile(tmp.path(), "p", "chess");
    let err = Profile::load_dir(&dir).unwrap_err();
    assert!(matches!(&err, ProfileError::UnknownDomain { domain, .. } if domain == "chess"));
    assert!(err.to_string().contains("chess"));
}

#[test]
fn a_profile_with_an_empty_system_prompt_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = write_profile(tmp.path(), "p", "methodology");
    std::fs::write(dir.join("system.md"), "  \n\n").unwrap();
    let err = Profile::load_dir(&dir).unwrap_err();
    assert!(matches!(err, ProfileError::EmptyPrompt { .. }), "{err:?}");
}

#[test]
fn a_profile_file_over_256_kib_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = write_profile(tmp.path(), "p", "methodology");
    let big = "a".repeat(usize::try_from(MAX_PROFILE_FILE_BYTES).unwrap() + 1);
    std::fs::write(dir.join("10-huge.md"), big).unwrap();
    let err = Profile::load_dir(&dir).unwrap_err();
    assert!(
        matches!(err, ProfileError::TooLarge { size, limit, .. } if size == limit + 1),
        "{err:?}"
    );
}

#[test]
fn a_bad_profile_in_a_directory_fails_the_whole_set() {
    let tmp = tempfile::tempdir().unwrap();
    write_profile(tmp.path(), "good", "methodology");
    write_profile(tmp.path(), "bad", "astrology");
    let err = ProfileSet::builtin().with_dir(tmp.path()).unwrap_err();
    assert!(matches!(err, ProfileError::UnknownDomain { .. }));
}
