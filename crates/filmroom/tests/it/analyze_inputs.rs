//! How `analyze` finds its inputs, orders its results and writes `--out`.

use std::fs;

use crate::{TINY, corpus, filmroom, scratch};

#[test]
fn out_dir_gets_one_file_per_replay_named_after_its_stem() {
    let out = scratch("out_dir_per_replay");
    let files: Vec<_> = TINY.iter().map(|stem| corpus(stem)).collect();
    for (format, suffix) in [
        ("json", ".json"),
        ("ballchasing", ".ballchasing.json"),
        ("md", ".md"),
    ] {
        let mut args = vec![
            "analyze".into(),
            "--format".into(),
            format.into(),
            "--out".into(),
            out.clone().into_os_string(),
        ];
        args.extend(files.iter().map(|f| f.clone().into_os_string()));
        let run = filmroom(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stdout.is_empty(), "nothing on stdout with --out");
        for stem in TINY {
            let path = out.join(format!("{stem}{suffix}"));
            let text =
                fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            if suffix.ends_with(".json") {
                serde_json::from_str::<serde_json::Value>(&text).unwrap();
            }
        }
    }
    let mut args = vec![
        "analyze".into(),
        "--format".into(),
        "csv".into(),
        "--out".into(),
        out.clone().into_os_string(),
    ];
    args.extend(files.iter().map(|f| f.clone().into_os_string()));
    assert_eq!(filmroom(&args).code, 0);
    let csv = fs::read_to_string(out.join("players.csv")).unwrap();
    assert!(csv.starts_with("file,replay_id,"));
}

#[test]
fn a_directory_is_walked_recursively_and_reported_in_input_order() {
    let dir = scratch("directory_walk");
    fs::create_dir_all(dir.join("b-nested")).unwrap();
    fs::copy(corpus("heatseeker"), dir.join("a-heatseeker.replay")).unwrap();
    fs::copy(corpus("07e9"), dir.join("b-nested").join("07e9.replay")).unwrap();
    fs::copy(corpus("dropshot_rumble"), dir.join("c-dropshot.replay")).unwrap();
    fs::write(dir.join("notes.txt"), "not a replay, and not named .replay").unwrap();

    let run = filmroom([
        "analyze".as_ref(),
        dir.as_os_str(),
        "--format".as_ref(),
        "csv".as_ref(),
        "--jobs".as_ref(),
        "2".as_ref(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let files: Vec<String> = csv::Reader::from_reader(run.stdout.as_bytes())
        .records()
        .map(|r| r.unwrap()[0].to_owned())
        .collect();
    let mut distinct = files.clone();
    distinct.dedup();
    let names: Vec<_> = distinct
        .iter()
        .map(|f| f.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(
        names,
        ["a-heatseeker.replay", "07e9.replay", "c-dropshot.replay"]
    );
    assert!(
        run.stderr.contains("analysed 3, degraded "),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(", failed 0"), "{}", run.stderr);

    let json = filmroom(["analyze".as_ref(), dir.as_os_str()]);
    let ids: Vec<_> = json
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["replay"]["id"].clone())
        .collect();
    let expected: Vec<_> = ["heatseeker", "07e9", "dropshot_rumble"]
        .iter()
        .map(|stem| {
            filmroom(["analyze".as_ref(), corpus(stem).as_os_str()]).json()["replay"]["id"].clone()
        })
        .collect();
    assert_eq!(
        ids, expected,
        "a directory prints a JSON array in walk order"
    );
}

#[test]
fn several_markdown_documents_are_separated_by_a_rule() {
    let run = filmroom([
        "analyze".as_ref(),
        corpus("07e9").as_os_str(),
        corpus("heatseeker").as_os_str(),
        "--format".as_ref(),
        "md".as_ref(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.matches("\n---\n").count(), 1, "{}", run.stdout);
}

#[test]
fn two_replays_with_the_same_stem_do_not_overwrite_each_other() {
    let out = scratch("same_stem");
    let run = filmroom([
        "analyze".as_ref(),
        corpus("07e9").as_os_str(),
        corpus("07e9").as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(out.join("07e9.json").is_file());
    assert!(out.join("07e9-2.json").is_file());
}
