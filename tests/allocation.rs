//! Allocation data: DevTools' Allocation view of tracked snapshots (`alloc --json` equals the
//! oracle's stored output), offline script names, sampling heap profiles (figures checked by
//! `check-heapprofile.py`), untracked snapshots, and bad trace data.
//!
//! Fixtures: `tests/fixtures/allocation/{node20,node26}/` (see its README and make.sh).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use heapsight::snapshot::heapprofile::HeapProfile;
use heapsight::snapshot::{self, CallerPath, ErrorKind, NodeIdx, Progress, Snapshot, report};
use serde_json::{Value, json};

use crate::util::{self, SnapshotBuilder, scratch_dir};

/// The Node versions of the fixtures.
const NODES: [&str; 2] = ["node20", "node26"];

/// The directory the fixture program ran in (make.sh), hence the script name in the files.
const SCRIPT: &str = "/tmp/heapsight-alloc-fixture/leak.js";

fn fixture(node: &str, file: &str) -> PathBuf {
    util::fixture(&format!("allocation/{node}/{file}"))
}

fn heapsight(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_heapsight"))
        // Never write into the user's cache folder (tests/cache.rs tests the cache).
        .env("HEAPSIGHT_NO_CACHE", "1")
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .expect("run heapsight")
}

fn heapsight_ok(args: &[&Path]) -> String {
    let out = heapsight(args);
    assert!(
        out.status.success(),
        "heapsight {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The oracle's golden text without its `devtoolsFrontendVersion` line.
fn golden_text(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.split_inclusive('\n')
        .filter(|line| {
            !line
                .trim_start()
                .starts_with("\"devtoolsFrontendVersion\":")
        })
        .collect()
}

fn json_file(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Panics with the first differing function row or stack, then the first differing line.
fn assert_same_report(expected: &str, actual: &str, what: &str) {
    if expected == actual {
        return;
    }
    let mut message = format!("{what} differs from the oracle's golden\n");
    if let (Ok(e), Ok(a)) = (
        serde_json::from_str::<Value>(expected),
        serde_json::from_str::<Value>(actual),
    ) {
        for list in ["functions", "stacks"] {
            let (e, a) = (&e["allocation"][list], &a["allocation"][list]);
            let len = e
                .as_array()
                .map_or(0, Vec::len)
                .max(a.as_array().map_or(0, Vec::len));
            if let Some(i) = (0..len).find(|&i| e.get(i) != a.get(i)) {
                message.push_str(&format!(
                    "first differing {list} entry {i}:\n  expected {}\n  actual   {}\n",
                    e.get(i).map_or("(missing)".into(), Value::to_string),
                    a.get(i).map_or("(missing)".into(), Value::to_string),
                ));
            }
        }
    }
    let (el, al): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    if let Some(i) = (0..el.len().max(al.len())).find(|&i| el.get(i) != al.get(i)) {
        message.push_str(&format!(
            "first differing line {}:\n  expected {:?}\n  actual   {:?}\n",
            i + 1,
            el.get(i),
            al.get(i)
        ));
    }
    panic!("{message}");
}

fn load(node: &str) -> Snapshot {
    util::load_path(&fixture(node, "leak.heapsnapshot.gz"))
}

#[test]
fn alloc_report_matches_the_oracle() {
    for node in NODES {
        let snap = load(node);
        assert!(snap.has_allocation_data(), "{node}");
        let actual = report::to_json_string(&snap.allocation_report(50, 20));
        assert_same_report(
            &golden_text(&fixture(node, "alloc.json")),
            &actual,
            &format!("allocation_report of {node}"),
        );
    }
}

#[test]
fn cli_alloc_json_matches_the_oracle() {
    for node in NODES {
        let input = fixture(node, "leak.heapsnapshot.gz");
        let stdout = heapsight_ok(&["alloc".as_ref(), &input, "--json".as_ref()]);
        assert_same_report(
            &golden_text(&fixture(node, "alloc.json")),
            &stdout,
            &format!("`heapsight alloc {} --json`", input.display()),
        );
    }
}

#[test]
fn alloc_table_shows_the_leaking_functions() {
    for node in NODES {
        let input = fixture(node, "leak.heapsnapshot.gz");
        let table = heapsight_ok(&["alloc".as_ref(), &input]);
        let golden = json_file(&fixture(node, "alloc.json"));
        for name in ["SessionPayload", "UserSession", "rememberSession"] {
            let row = golden["allocation"]["functions"]
                .as_array()
                .expect("functions")
                .iter()
                .find(|f| f["name"] == name)
                .unwrap_or_else(|| panic!("{name} in the {node} golden"));
            let location = format!("leak.js:{}:{}", row["line"], row["column"]);
            let line = table
                .lines()
                .find(|l| l.starts_with(&format!("{name} ")))
                .unwrap_or_else(|| panic!("no {name} row in:\n{table}"));
            assert!(line.contains(&location), "{line:?} lacks {location}");
            // Count and Live Count, digits grouped by some separator.
            let words: Vec<String> = line
                .split("leak.js")
                .nth(1)
                .unwrap_or_default()
                .split("  ")
                .skip(1)
                .map(|w| w.chars().filter(char::is_ascii_digit).collect::<String>())
                .filter(|w| !w.is_empty())
                .collect();
            assert_eq!(words.first(), Some(&row["count"].to_string()), "{line}");
        }
        assert!(table.contains("Live Count"), "{table}");
    }
}

#[test]
fn alloc_function_shows_callers_and_live_objects() {
    let input = fixture("node20", "leak.heapsnapshot.gz");
    let text = heapsight_ok(&[
        "alloc".as_ref(),
        &input,
        "--function".as_ref(),
        "SessionPayload".as_ref(),
    ]);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("SessionPayload "), "{text}");
    assert!(lines[1].starts_with("  called by UserSession "), "{text}");
    assert!(lines[2].starts_with("    by rememberSession "), "{text}");
    assert!(text.contains("live objects by class:"), "{text}");
    let out = heapsight(&[
        "alloc".as_ref(),
        &input,
        "--function".as_ref(),
        "noSuchFunction".as_ref(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("noSuchFunction"));
}

#[test]
fn leaked_objects_show_their_allocation_stack_and_callers() {
    for node in NODES {
        let snap = load(node);
        // A leaked UserSession: allocated by rememberSession, called by handleRequest.
        let class = snap
            .classes()
            .iter()
            .position(|c| c.name == "UserSession")
            .expect("a UserSession row");
        let member = NodeIdx(snap.class_members(class)[0]);
        let stack = snap.allocation_stack(member).expect("a recorded stack");
        let names: Vec<&str> = stack.iter().map(|f| f.name).collect();
        assert_eq!(names[..2], ["rememberSession", "handleRequest"], "{node}");
        assert_eq!(stack[0].script_name, SCRIPT);
        // The SessionPayload row expands to one chain of callers.
        let row = snap
            .allocation_functions()
            .iter()
            .find(|r| snap.allocation_function(r.function()).name == "SessionPayload")
            .expect("a SessionPayload row");
        let callers = snap.allocation_callers(&row.path);
        let chain: Vec<&str> = callers
            .single_caller_chain
            .iter()
            .map(|r| snap.allocation_function(r.function()).name)
            .collect();
        assert_eq!(
            chain[..3],
            ["UserSession", "rememberSession", "handleRequest"]
        );
        // Its live objects are the Summary filter's objects, and they are its arrays.
        let live = snap.nodes_allocated_by(&row.path);
        assert_eq!(live.len() as u64, row.live_count, "{node}");
        let live_size: u64 = live.iter().map(|&n| snap.self_size(n)).sum();
        assert_eq!(live_size, row.live_size_bytes, "{node}");
        let ids = snap.allocation_trace_ids(&row.path);
        assert!(live.iter().all(|&n| ids.contains(&snap.trace_node_id(n))));
        // A caller row's path narrows the filter (here: the same objects, one caller).
        let via = CallerPath(
            row.path
                .0
                .iter()
                .copied()
                .chain([callers.single_caller_chain[0].function()])
                .collect(),
        );
        assert_eq!(snap.nodes_allocated_by(&via), live);
    }
}

#[test]
fn script_names_come_from_script_objects() {
    // Node 20 links SharedFunctionInfo -> Script by `script_or_debug_info`, Node 26 by `script`.
    for node in NODES {
        let snap = load(node);
        let closure = (0..snap.node_count() as u32)
            .map(NodeIdx)
            .find(|&n| snap.node_type_name(n) == "closure" && snap.raw_name(n) == "rememberSession")
            .expect("the rememberSession closure");
        let location = snap.location(closure).expect("a location");
        assert_eq!(snap.script_name(location.script_id), Some(SCRIPT), "{node}");
        // The closure starts where the allocation traces say the function does (1-based).
        assert_eq!(
            snap.location_label(closure).as_deref(),
            Some(format!("{SCRIPT}:28:25").as_str()),
            "{node}"
        );
        assert!(
            snap.script_name(location.script_id + 100_000).is_none(),
            "an unknown script id"
        );
    }
}

#[test]
fn untracked_snapshots_say_no_allocation_data() {
    // Node 20 (7 node fields, trace ids all 0) and Node 24 (6 node fields, no trace_node_id).
    for input in [
        util::golden_input("cache", "final"),
        util::fixture("doctor/node24-cache/final.heapsnapshot.gz"),
    ] {
        let snap = util::load_path(&input);
        assert!(!snap.has_allocation_data(), "{}", input.display());
        assert!(snap.allocation_functions().is_empty());
        let table = heapsight_ok(&["alloc".as_ref(), &input]);
        assert!(table.contains("has no allocation data"), "{table}");
        assert!(table.contains("--track-heap-objects"), "{table}");
        let out: Value = serde_json::from_str(&heapsight_ok(&[
            "alloc".as_ref(),
            &input,
            "--json".as_ref(),
        ]))
        .expect("JSON");
        // The oracle prints exactly this for files without allocation tracking.
        assert_eq!(out["allocation"], json!({"hasAllocationData": false}));
        assert_eq!(
            out["fileBytes"],
            std::fs::metadata(&input).expect("size").len()
        );
    }
}

#[test]
fn heap_profiles_match_the_independent_figures() {
    for node in NODES {
        let input = fixture(node, "leak.heapprofile.gz");
        let expected = json_file(&fixture(node, "profile.json"));
        let actual: Value = serde_json::from_str(&heapsight_ok(&[
            "profile".as_ref(),
            &input,
            "--json".as_ref(),
        ]))
        .expect("JSON");
        assert_eq!(
            actual, expected,
            "{node}: profile --json vs check-heapprofile.py"
        );
        let profile = HeapProfile::load_path(&input).expect("a profile");
        assert_eq!(
            Some(profile.total_size_bytes()),
            expected["totalSize"].as_u64()
        );
        // Total sizes: the root's is everything; a function's is at least its self size.
        assert!(
            profile
                .functions
                .iter()
                .all(|f| f.total_size_bytes >= f.self_size_bytes)
        );
        let session = profile
            .functions
            .iter()
            .find(|f| f.frame.function_name == "rememberSession")
            .expect("rememberSession sampled");
        assert_eq!(session.frame.url, SCRIPT);
        assert_eq!((session.frame.line(), session.frame.column()), (28, 25));
        // The recursive buildRoute: 7 stacks, its total counted once per stack (no callee).
        let route = profile
            .functions
            .iter()
            .find(|f| f.frame.function_name == "buildRoute")
            .expect("buildRoute sampled");
        assert_eq!(route.node_count, 7, "{node}");
        assert_eq!(route.total_size_bytes, route.self_size_bytes, "{node}");
        let table = heapsight_ok(&["profile".as_ref(), &input]);
        assert!(table.contains("leak.js:28:25"), "{table}");
        assert!(
            table.lines().next().is_some_and(|l| l.contains("sampled")),
            "{table}"
        );
    }
}

#[test]
fn bad_heap_profiles_are_errors_naming_the_file() {
    let dir = scratch_dir("bad_heapprofile");
    for (name, bytes) in [
        ("truncated.heapprofile", &b"{\"head\":{\"callFrame\":"[..]),
        ("snapshot.heapprofile", &b"{\"snapshot\":{}}"[..]),
        ("empty.heapprofile", &b""[..]),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write");
        let out = heapsight(&["profile".as_ref(), &path]);
        assert!(!out.status.success(), "{name} must fail");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("not a sampling heap profile"), "{stderr}");
        assert!(
            stderr.trim_end().ends_with(&path.display().to_string()),
            "{stderr}"
        );
    }
    let missing = dir.join("missing.heapprofile");
    let err = HeapProfile::load_path(&missing).expect_err("no such file");
    assert_eq!(err.path(), Some(missing.as_path()));
}

// ---------------------------------------------------------------------------------------
// Bad trace data: a typed error naming the problem and the file, never a panic.

/// A tiny snapshot with allocation traces: the builder's graph plus `infos` and `tree`.
fn tracked(infos: Value, tree: Value, count: u64) -> Value {
    let mut b = SnapshotBuilder::new();
    let g = b.global(3, 10);
    let a = b.node("object", "A", 5, 20);
    b.prop(g, "a", a);
    let mut v = b.to_value();
    v["snapshot"]["trace_function_count"] = json!(count);
    v["trace_function_infos"] = infos;
    v["trace_tree"] = tree;
    v
}

/// Valid infos: (root) and `A` (string indexes into the builder's strings: 0 is "").
fn infos() -> Value {
    json!([0, 0, 0, 0, 0, 0, 1, 0, 0, 7, 1, 1])
}

fn load_err(test: &str, v: &Value) -> (PathBuf, snapshot::Error) {
    let path = scratch_dir(test).join("tracked.heapsnapshot");
    std::fs::write(&path, serde_json::to_vec(v).expect("JSON")).expect("write");
    match snapshot::load_path(&path, &Progress::new()) {
        Ok(_) => panic!("{test}: loaded but must fail"),
        Err(err) => (path, err),
    }
}

fn assert_trace_error(test: &str, v: &Value, phrases: &[&str]) {
    let (path, err) = load_err(test, v);
    let message = err.to_string();
    assert!(
        message.ends_with(&format!(" in {}", path.display())),
        "{test}: the message must end with the file: {message}"
    );
    for phrase in phrases {
        assert!(
            message.contains(phrase),
            "{test}: {phrase:?} missing from: {message}"
        );
    }
}

#[test]
fn valid_tiny_tracked_snapshot_loads() {
    let v = tracked(infos(), json!([1, 0, 0, 0, [2, 1, 1, 20, []]]), 2);
    let snap = snapshot::load_bytes(&serde_json::to_vec(&v).expect("JSON"), &Progress::new())
        .expect("loads");
    assert!(snap.has_allocation_data());
    let rows = snap.allocation_functions();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].count, rows[0].size_bytes, rows[0].live_count),
        (1, 20, 0)
    );
}

#[test]
fn bad_trace_data_is_a_typed_error() {
    let tree = || json!([1, 0, 0, 0, [2, 1, 1, 20, []]]);
    let cases: Vec<(&str, Value, Vec<&str>)> = vec![
        (
            "function_index",
            tracked(infos(), json!([1, 0, 0, 0, [2, 9, 1, 20, []]]), 2),
            vec![
                "invalid allocation trace data",
                "function_info_index 9",
                "only 2 functions",
            ],
        ),
        (
            "name_string",
            tracked(json!([0, 0, 0, 0, 0, 0, 1, 999, 0, 7, 1, 1]), tree(), 2),
            vec!["invalid allocation trace data", "name string index 999"],
        ),
        (
            "infos_length",
            tracked(json!([0, 0, 0, 0, 0, 0, 1, 0, 0]), tree(), 2),
            vec!["invalid allocation trace data", "not a multiple of the 6"],
        ),
        (
            "function_count",
            tracked(infos(), tree(), 3),
            vec!["trace_function_count 3", "holds 2 functions"],
        ),
        (
            "empty_tree",
            tracked(infos(), json!([]), 2),
            vec!["invalid allocation trace data", "\"trace_tree\" is empty"],
        ),
        (
            "short_record",
            tracked(infos(), json!([1, 0, 0, 0, [2, 1, 1, []]]), 2),
            vec![
                "invalid allocation trace data",
                "3 values before its children",
            ],
        ),
        (
            "children_not_array",
            tracked(infos(), json!([1, 0, 0, 0, 5]), 2),
            vec!["invalid allocation trace data", "children are not an array"],
        ),
        (
            "record_cut_short",
            tracked(infos(), json!([1, 0, 0, 0, [], 2, 0]), 2),
            vec!["invalid allocation trace data", "has 2 values", "has 5"],
        ),
        (
            "negative",
            tracked(infos(), json!([1, 0, -1, 0, []]), 2),
            vec!["invalid JSON", "non-negative integer"],
        ),
        (
            "id_range",
            tracked(
                infos(),
                json!([1, 0, 0, 0, [8_589_934_592u64, 1, 1, 20, []]]),
                2,
            ),
            vec!["invalid allocation trace data", "id 8589934592"],
        ),
    ];
    for (test, v, phrases) in &cases {
        assert_trace_error(test, v, phrases);
    }
    // Missing layout: trace_node_fields without "children".
    let mut v = tracked(infos(), tree(), 2);
    v["snapshot"]["meta"]["trace_node_fields"] =
        json!(["id", "function_info_index", "count", "size"]);
    let (_, err) = load_err("no_children_field", &v);
    assert!(matches!(err.kind(), ErrorKind::Meta(_)), "{err:?}");
    assert!(err.to_string().contains("no \"children\" field"), "{err}");
    // Truncated inside the trace tree.
    let text = serde_json::to_string(&tracked(infos(), tree(), 2)).expect("JSON");
    let cut = &text[..text.find("\"trace_tree\":").expect("trace_tree") + 20];
    let path = scratch_dir("truncated_tree").join("cut.heapsnapshot");
    std::fs::write(&path, cut).expect("write");
    let err = snapshot::load_path(&path, &Progress::new()).expect_err("truncated");
    assert!(matches!(err.kind(), ErrorKind::Truncated { .. }), "{err:?}");
    assert!(
        err.to_string().contains("inside the \"trace_tree\" array"),
        "{err}"
    );
}
