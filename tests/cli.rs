//! The `heapsight` binary's headless commands, run as a user would run them.

use std::path::Path;
use std::process::Output;

use clap::CommandFactory as _;
use heapsight::cli::Cli;
use serde_json::Value;

use crate::util::{self, heapsight, scratch_dir};

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8 stdout")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs and requires success.
fn heapsight_ok(args: &[&str]) -> String {
    let out = heapsight(args);
    assert!(
        out.status.success(),
        "heapsight {args:?} failed ({}): {}",
        out.status,
        stderr(&out)
    );
    stdout(&out)
}

/// `tests/fixtures/goldens/cache/final.heapsnapshot.gz` and its oracle output.
fn cache_final() -> (String, Value) {
    let input = util::golden_input("cache", "final");
    let golden = util::fixture("goldens/cache/summary.json");
    let text = std::fs::read_to_string(&golden).expect("golden");
    (
        input.display().to_string(),
        serde_json::from_str(&text).expect("golden JSON"),
    )
}

#[test]
fn help_lists_every_subcommand() {
    let help = heapsight_ok(&["--help"]);
    let subcommands: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    for expected in ["summary", "node", "diff", "leaks", "strings", "bench"] {
        assert!(
            subcommands.iter().any(|s| s == expected),
            "no `{expected}` subcommand in {subcommands:?}"
        );
    }
    for name in &subcommands {
        let listed = help.lines().any(|line| {
            line.split_whitespace()
                .next()
                .is_some_and(|word| word == name)
        });
        assert!(listed, "`{name}` is not listed in --help:\n{help}");
        // And each documents itself.
        let sub_help = heapsight_ok(&[name, "--help"]);
        assert!(
            sub_help.contains("Usage:") && sub_help.contains(name.as_str()),
            "`{name} --help`:\n{sub_help}"
        );
    }
}

#[test]
fn summary_table_shows_the_leaking_class() {
    let (input, golden) = cache_final();
    let table = heapsight_ok(&["summary", &input]);
    assert!(table.contains("Constructor"), "{table}");
    assert!(table.contains("Retained"), "{table}");
    let row = table
        .lines()
        .find(|line| line.starts_with("CachedApiResponse "))
        .unwrap_or_else(|| panic!("no CachedApiResponse row:\n{table}"));
    // Its count and distance, as the oracle has them.
    let class = golden["summary"]["classes"]
        .as_array()
        .expect("classes")
        .iter()
        .find(|c| c["name"] == "CachedApiResponse")
        .expect("CachedApiResponse in the golden");
    let words: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(words[1], class["distance"].to_string(), "{row}");
    assert_eq!(words[2], class["count"].to_string(), "{row}");
    // Totals line names the file and the node count.
    let first = table.lines().next().expect("a first line");
    assert!(first.contains("final.heapsnapshot.gz"), "{first}");
    // The node count comes before " nodes", with digits grouped by some separator.
    let before = &first[..first.find(" nodes").expect("a node count")];
    let count: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit() || !c.is_alphanumeric() && *c != ':')
        .filter(char::is_ascii_digit)
        .collect::<Vec<char>>()
        .into_iter()
        .rev()
        .collect();
    assert_eq!(count, golden["totals"]["nodeCount"].to_string(), "{first}");
}

#[test]
fn node_json_is_a_top_node_with_all_retainers_and_the_dominator_chain() {
    let (input, golden) = cache_final();
    let top_nodes = golden["topNodes"].as_array().expect("topNodes");
    // @6197 (a Module) has 19 retainers; the oracle lists 5 of them.
    let expected = top_nodes
        .iter()
        .find(|n| n["id"] == 6197)
        .expect("@6197 in the golden");
    assert_eq!(expected["retainerCount"], 19);

    let text = heapsight_ok(&["node", &input, "@6197", "--json"]);
    let node: Value = serde_json::from_str(&text).expect("JSON");
    let fields: Vec<&String> = node.as_object().expect("object").keys().collect();
    let mut want: Vec<&String> = expected.as_object().expect("object").keys().collect();
    let chain_key = "dominatorChain".to_owned();
    want.push(&chain_key);
    assert_eq!(
        fields, want,
        "the fields of a topNodes entry, then dominatorChain"
    );
    for key in [
        "id",
        "name",
        "className",
        "type",
        "selfSize",
        "retainedSize",
        "distance",
        "dominatorId",
        "retainerCount",
    ] {
        assert_eq!(node[key], expected[key], "{key}");
    }
    let retainers = node["retainers"].as_array().expect("retainers");
    assert_eq!(retainers.len(), 19, "all retainers");
    assert_eq!(
        retainers[..5],
        expected["retainers"].as_array().expect("retainers")[..],
        "the first five are the oracle's"
    );
    let chain: Vec<u64> = node["dominatorChain"]
        .as_array()
        .expect("dominatorChain")
        .iter()
        .map(|v| v.as_u64().expect("an id"))
        .collect();
    assert_eq!(chain, [6047, 1]);

    // A deeper node: every link of its chain agrees with the oracle's dominatorId.
    let text = heapsight_ok(&["node", &input, "83085", "--json"]);
    let node: Value = serde_json::from_str(&text).expect("JSON");
    let chain: Vec<u64> = node["dominatorChain"]
        .as_array()
        .expect("dominatorChain")
        .iter()
        .map(|v| v.as_u64().expect("an id"))
        .collect();
    assert_eq!(chain.first(), node["dominatorId"].as_u64().as_ref());
    assert_eq!(chain.last(), Some(&1), "the chain ends at the root @1");
    assert!(chain.len() >= 5, "{chain:?}");
    let mut child = 83085u64;
    for &dominator in &chain {
        if let Some(entry) = top_nodes.iter().find(|n| n["id"] == child) {
            assert_eq!(entry["dominatorId"], dominator, "dominator of @{child}");
        }
        child = dominator;
    }
}

#[test]
fn node_table_lists_retainers_and_the_chain() {
    let (input, _) = cache_final();
    let table = heapsight_ok(&["node", &input, "@6197"]);
    assert!(table.starts_with("Module @6197"), "{table}");
    assert!(table.contains("Retainers (19):"), "{table}");
    assert!(table.contains("Dominator chain:"), "{table}");
    assert!(table.contains("global @6047"), "{table}");
}

#[test]
fn unknown_node_id_fails_with_a_clear_message() {
    let (input, _) = cache_final();
    let out = heapsight(&["node", &input, "@4294967295", "--json"]);
    assert!(!out.status.success());
    assert!(stdout(&out).is_empty(), "nothing on stdout");
    let err = stderr(&out);
    assert!(err.contains("no node with id @4294967295"), "{err}");
    assert!(err.contains("final.heapsnapshot.gz"), "{err}");

    let out = heapsight(&["node", &input, "@abc"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("\"@abc\" is not a node id"), "{err}");
}

#[test]
fn missing_file_gives_an_error_naming_it() {
    let missing = scratch_dir("cli_missing").join("nope.heapsnapshot");
    let shown = missing.display().to_string();
    for args in [
        vec!["summary", shown.as_str()],
        vec!["summary", shown.as_str(), "--json"],
        vec!["node", shown.as_str(), "@1"],
    ] {
        let out = heapsight(&args);
        assert!(!out.status.success(), "{args:?} must fail");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(stdout(&out).is_empty(), "{args:?}: nothing on stdout");
        let err = stderr(&out);
        assert!(err.contains(&shown), "{args:?}: {err}");
        assert!(err.contains("cannot read the file"), "{args:?}: {err}");
    }
}

#[test]
fn broken_file_error_reaches_the_user() {
    let path = scratch_dir("cli_broken").join("empty.heapsnapshot");
    std::fs::write(&path, b"").expect("write");
    let out = heapsight(&["summary", path.to_str().expect("UTF-8 path")]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("the file is empty"), "{err}");
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Runs the binary with `args` and extra environment variables.
fn heapsight_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_heapsight"))
        .args(args)
        .env("HEAPSIGHT_NO_CACHE", "1")
        .env("RUST_LOG", "warn")
        .env_remove("HEAPSIGHT_IGNORE_MEMORY_CHECK")
        .envs(env.iter().copied())
        .output()
        .expect("run heapsight")
}

#[test]
fn too_big_for_the_memory_available_reaches_the_user_and_can_be_overridden() {
    let (input, _) = cache_final();
    // A machine with 1 MB available: every snapshot is too big for it.
    let small_machine = [("HEAPSIGHT_AVAILABLE_MEMORY", "1000000")];
    for args in [
        vec!["summary", input.as_str(), "--json"],
        vec!["doctor", input.as_str()],
    ] {
        let out = heapsight_env(&args, &small_machine);
        assert!(!out.status.success(), "{args:?} must fail");
        assert!(stdout(&out).is_empty(), "{args:?}: nothing on stdout");
        let err = stderr(&out);
        for phrase in ["needs about", "but only 1.0 MiB is available", &input] {
            assert!(
                err.contains(phrase),
                "{args:?}: {phrase:?} missing from {err}"
            );
        }
        assert!(err.contains("--ignore-memory-check"), "{err}");
    }
    // The flag and the variable turn the check off.
    for (args, env) in [
        (
            vec!["summary", input.as_str(), "--json", "--ignore-memory-check"],
            &small_machine[..],
        ),
        (
            vec!["summary", input.as_str(), "--json"],
            &[
                ("HEAPSIGHT_AVAILABLE_MEMORY", "1000000"),
                ("HEAPSIGHT_IGNORE_MEMORY_CHECK", "1"),
            ][..],
        ),
    ] {
        let out = heapsight_env(&args, env);
        assert!(out.status.success(), "{args:?} {env:?}: {}", stderr(&out));
    }
}

#[test]
fn node_json_on_a_tiny_snapshot() {
    // Ids may be given with or without `@`; the root's chain is empty.
    let mut b = util::SnapshotBuilder::new();
    let g = b.global(3, 10);
    let a = b.node("object", "A", 5, 20);
    b.prop(g, "a", a);
    let path = scratch_dir("cli_tiny").join("tiny.heapsnapshot");
    std::fs::write(&path, b.to_bytes()).expect("write");
    let file = path.to_str().expect("UTF-8 path");
    let with_at = heapsight_ok(&["node", file, "@5", "--json"]);
    let without = heapsight_ok(&["node", file, "5", "--json"]);
    assert_eq!(with_at, without);
    let node: Value = serde_json::from_str(&with_at).expect("JSON");
    assert_eq!(node["dominatorChain"], serde_json::json!([3, 1]));
    assert_eq!(node["retainers"][0]["edgeName"], "a");
    let root: Value =
        serde_json::from_str(&heapsight_ok(&["node", file, "@1", "--json"])).expect("JSON");
    assert_eq!(root["dominatorChain"], serde_json::json!([]));
    assert_eq!(root["dominatorId"], 1);
    assert!(Path::new(file).exists());
}

/// `heapsight strings --json` equals DevTools' `getDuplicateStrings()` (computed by the
/// DevTools worker: tests/fixtures/filters/oracle-filter.js FILE --string-groups), on a
/// scenario snapshot and a Chromium page; the table names the biggest group.
#[test]
fn strings_json_equals_devtools_duplicate_strings() {
    let cases = [
        (util::golden_input("cache", "final"), "cache-final"),
        (util::fixture("chrome/page.heapsnapshot.gz"), "chrome-page"),
    ];
    for (input, name) in cases {
        let input = input.display().to_string();
        let got: Value =
            serde_json::from_str(&heapsight_ok(&["strings", &input, "--json"])).expect("JSON");
        let golden = util::fixture(&format!("filters/{name}-string-groups.json"));
        let want: Value =
            serde_json::from_str(&std::fs::read_to_string(golden).expect("golden")).expect("json");
        assert_eq!(got, want, "{name}: duplicate strings differ from DevTools");
    }
    let (input, _) = cache_final();
    let table = heapsight_ok(&["strings", &input, "--top", "3"]);
    assert!(
        table.contains(" duplicated strings in 236 texts"),
        "{table}"
    );
    assert!(table.contains("\"get [kIsNodeError]\" @9489"), "{table}");
    assert!(table.contains("233 more"), "{table}");
}

/// `heapsight --version` names the version, the commit built from (`unknown` without a git
/// checkout) and the DevTools version the goldens come from; `-V` is the first two on one line.
#[test]
fn version_names_commit_and_devtools_version() {
    let out = heapsight_ok(&["--version"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(lines[0], format!("heapsight {}", env!("CARGO_PKG_VERSION")));
    let commit = lines[1].strip_prefix("commit ").expect("a commit line");
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{out}"
    );
    assert_eq!(
        lines[2],
        "numbers checked against chrome-devtools-frontend 1.0.1705227"
    );
    let short = heapsight_ok(&["-V"]);
    assert_eq!(
        short.trim_end(),
        format!("heapsight {} ({commit})", env!("CARGO_PKG_VERSION"))
    );

    // The version named is the one the goldens were computed with.
    let golden = util::fixture("goldens/cache/summary.json");
    let golden: Value =
        serde_json::from_str(&std::fs::read_to_string(golden).expect("golden")).expect("JSON");
    assert_eq!(
        golden["devtoolsFrontendVersion"].as_str(),
        Some(heapsight::version::DEVTOOLS_FRONTEND)
    );
}

#[test]
fn synth_family_writes_three_snapshots_with_a_leak() {
    let dir = scratch_dir("cli_synth_family").join("fam");
    let dir_arg = dir.display().to_string();
    let out = heapsight_ok(&["synth", "3", &dir_arg, "--family"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "one line per file:\n{out}");
    let mut files = Vec::new();
    for (line, name) in lines.iter().zip(["baseline", "target", "final"]) {
        let path = dir.join(format!("{name}.heapsnapshot"));
        assert!(
            line.starts_with(&format!("wrote {} (", path.display())),
            "{line}"
        );
        let bytes = std::fs::metadata(&path).expect("written").len();
        assert!(
            (2_700_000..3_300_000).contains(&bytes),
            "{name}: {bytes} bytes"
        );
        assert!(line.contains(&format!("({bytes} bytes, ")), "{line}");
        files.push(path.display().to_string());
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "baseline.heapsnapshot",
            "final.heapsnapshot",
            "target.heapsnapshot"
        ],
        "no temporary files left"
    );
    // The target line names L, the leak the three-snapshot method must find.
    let entries: u32 = lines[1]
        .split(", ")
        .find_map(|part| Some(part.split_once(" leakyCache entries)")?.0))
        .and_then(|n| n.parse().ok())
        .expect("leakyCache entries in the target line");
    assert!(lines[2].contains(&format!(", {} leakyCache entries)", 2 * entries)));
    let leaks = heapsight_ok(&["leaks", &files[0], &files[1], &files[2], "--json"]);
    let leaks: Value = serde_json::from_str(&leaks).expect("leaks JSON");
    let first = &leaks["classes"][0];
    assert_eq!(first["className"], "LeakedSession");
    assert_eq!(first["count"].as_u64(), Some(u64::from(entries)));
    assert_eq!(
        first["groups"][0]["path"][2],
        "system / Context ->leakyCache"
    );
    std::fs::remove_dir_all(&dir).ok();
}
