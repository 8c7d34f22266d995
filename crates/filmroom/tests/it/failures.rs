//! Bad inputs: each is a failure for its own path, never a crash, and the
//! good files of the same run are still written.

use std::fs;

use crate::{corpus, filmroom, replays, scratch};

#[test]
fn a_corrupt_replay_and_a_text_file_fail_with_exit_code_1_while_good_files_are_still_written() {
    let dir = scratch("bad_inputs");
    let text = dir.join("notes.replay.txt");
    fs::write(&text, "this is not a replay\n").unwrap();
    let bad = replays().join("bad").join("fuzz-slice-index.replay");
    let out = dir.join("out");
    let run = filmroom([
        "analyze".as_ref(),
        corpus("07e9").as_os_str(),
        bad.as_os_str(),
        text.as_os_str(),
        corpus("heatseeker").as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("FAILED {}: ", bad.display())),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!("FAILED {}: ", text.display())),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("analysed 2, degraded "),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(", failed 2"), "{}", run.stderr);
    assert!(out.join("07e9.json").is_file());
    assert!(out.join("heatseeker.json").is_file());
    assert_eq!(
        fs::read_dir(&out).unwrap().count(),
        2,
        "nothing written for failures"
    );
}

#[test]
fn a_missing_path_is_a_failure_for_that_path_only() {
    let missing = replays().join("corpus").join("does-not-exist.replay");
    let run = filmroom([
        "analyze".as_ref(),
        missing.as_os_str(),
        corpus("07e9").as_os_str(),
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains(&format!("FAILED {}: ", missing.display())),
        "{}",
        run.stderr
    );
    let docs = run.json();
    assert_eq!(
        docs.as_array().unwrap().len(),
        1,
        "the good file is still printed"
    );
}

#[test]
fn a_directory_without_replays_is_an_error_with_exit_code_1() {
    let dir = scratch("no_replays");
    fs::write(dir.join("readme.txt"), "nothing here").unwrap();
    let run = filmroom(["analyze".as_ref(), dir.as_os_str()]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("FAILED"), "{}", run.stderr);
    assert!(run.stderr.contains("no .replay files"), "{}", run.stderr);
}

#[test]
fn an_unknown_format_is_a_usage_error_with_exit_code_2() {
    let run = filmroom([
        "analyze".as_ref(),
        corpus("07e9").as_os_str(),
        "--format".as_ref(),
        "xml".as_ref(),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn a_file_over_32_mib_is_refused_without_being_read() {
    let dir = scratch("huge_file");
    let huge = dir.join("huge.replay");
    // Sparse: costs no disk, but its size says 33 MiB.
    fs::File::create(&huge)
        .unwrap()
        .set_len(33 * 1024 * 1024)
        .unwrap();
    let run = filmroom(["analyze".as_ref(), huge.as_os_str()]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("larger than the"), "{}", run.stderr);
    assert!(
        run.stdout.is_empty(),
        "a single failed file prints nothing: {}",
        run.stdout
    );
}
