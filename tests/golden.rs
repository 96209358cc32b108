//! Golden tests: our Summary report equals the DevTools oracle's stored output, byte for byte.
//!
//! For every scenario in `tests/fixtures/goldens` and each of its baseline, target and final
//! snapshots, `summary_report(20, 5)` serialized by `report::to_json_string` must equal the
//! stored `summary*.json` minus its `devtoolsFrontendVersion` line. One test per scenario,
//! so the harness runs them in parallel. A mismatch prints the first differing totals or
//! statistics fields, Summary class and top node, then the first differing line.

use std::path::Path;
use std::process::Command;

use heapsight::snapshot::report;
use serde_json::Value;

use crate::util::{self, SCENARIOS, STAGES};

/// The oracle's golden text without the `devtoolsFrontendVersion` line.
fn expected_text(golden: &Path) -> String {
    let text = std::fs::read_to_string(golden)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", golden.display()));
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if !line
            .trim_start()
            .starts_with("\"devtoolsFrontendVersion\":")
        {
            out.push_str(line);
        }
    }
    out
}

/// Compares two JSON arrays of objects element by element; describes the first difference.
fn first_array_difference(what: &str, expected: &Value, actual: &Value) -> Option<String> {
    let empty = Vec::new();
    let e = expected.as_array().unwrap_or(&empty);
    let a = actual.as_array().unwrap_or(&empty);
    for i in 0..e.len().max(a.len()) {
        if e.get(i) != a.get(i) {
            let show =
                |v: Option<&Value>| v.map_or_else(|| "(missing)".to_owned(), |v| format!("{v:#}"));
            return Some(format!(
                "first differing {what} at index {i} (of {} expected, {} actual):\n  expected: {}\n  actual:   {}\n",
                e.len(),
                a.len(),
                show(e.get(i)),
                show(a.get(i))
            ));
        }
    }
    None
}

/// Lists the differing fields of two flat JSON objects.
fn object_field_differences(what: &str, expected: &Value, actual: &Value) -> String {
    let mut out = String::new();
    let (Some(e), Some(a)) = (expected.as_object(), actual.as_object()) else {
        if expected != actual {
            out.push_str(&format!("{what}: expected {expected} but got {actual}\n"));
        }
        return out;
    };
    for (key, ev) in e {
        match a.get(key) {
            Some(av) if av == ev => {}
            Some(av) => out.push_str(&format!("{what}.{key}: expected {ev} but got {av}\n")),
            None => out.push_str(&format!("{what}.{key}: missing (expected {ev})\n")),
        }
    }
    for key in a.keys().filter(|k| !e.contains_key(*k)) {
        out.push_str(&format!("{what}.{key}: unexpected field\n"));
    }
    out
}

/// A readable account of how `actual` differs from `expected` (both report texts).
fn describe_mismatch(expected: &str, actual: &str) -> String {
    let mut out = String::new();
    match (
        serde_json::from_str::<Value>(expected),
        serde_json::from_str::<Value>(actual),
    ) {
        (Ok(e), Ok(a)) => {
            for section in ["file", "fileBytes", "totals", "statistics"] {
                out.push_str(&object_field_differences(section, &e[section], &a[section]));
            }
            if e["summary"]["classCount"] != a["summary"]["classCount"] {
                out.push_str(&format!(
                    "summary.classCount: expected {} but got {}\n",
                    e["summary"]["classCount"], a["summary"]["classCount"]
                ));
            }
            let keys = |v: &Value| -> Vec<String> {
                v["summary"]["classes"]
                    .as_array()
                    .map(|c| {
                        c.iter()
                            .map(|c| c["classKey"].as_str().unwrap_or("").to_owned())
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let (ek, ak) = (keys(&e), keys(&a));
            let missing: Vec<&String> = ek.iter().filter(|k| !ak.contains(k)).take(5).collect();
            let extra: Vec<&String> = ak.iter().filter(|k| !ek.contains(k)).take(5).collect();
            if !missing.is_empty() {
                out.push_str(&format!("classes missing from ours: {missing:?}\n"));
            }
            if !extra.is_empty() {
                out.push_str(&format!("classes only in ours: {extra:?}\n"));
            }
            out.extend(first_array_difference(
                "summary class",
                &e["summary"]["classes"],
                &a["summary"]["classes"],
            ));
            out.extend(first_array_difference(
                "top node",
                &e["topNodes"],
                &a["topNodes"],
            ));
        }
        (Err(err), _) => out.push_str(&format!("the golden is not JSON: {err}\n")),
        (_, Err(err)) => out.push_str(&format!("our output is not JSON: {err}\n")),
    }
    let (el, al): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    if let Some(i) = (0..el.len().max(al.len())).find(|&i| el.get(i) != al.get(i)) {
        let from = i.saturating_sub(3);
        out.push_str(&format!("first differing line {}:\n", i + 1));
        for (label, lines) in [("expected", &el), ("actual", &al)] {
            out.push_str(&format!("--- {label}\n"));
            for (j, line) in lines.iter().enumerate().skip(from).take(i - from + 4) {
                let marker = if j == i { '>' } else { ' ' };
                out.push_str(&format!("{marker}{:6} {line}\n", j + 1));
            }
        }
    }
    out
}

/// Panics with a diff unless `actual` equals the golden's text.
fn assert_matches_golden(golden: &Path, actual: &str, source: &str) {
    let expected = expected_text(golden);
    if expected != actual {
        panic!(
            "{source} differs from {}:\n{}",
            golden.display(),
            describe_mismatch(&expected, actual)
        );
    }
}

/// Checks the three snapshots of one scenario.
fn check_scenario(scenario: &str) {
    for (stage, golden_name) in STAGES {
        let input = util::golden_input(scenario, stage);
        let snap = util::load_path(&input);
        let actual = report::to_json_string(&snap.summary_report(20, 5));
        let golden = util::fixture(&format!("goldens/{scenario}/{golden_name}"));
        assert_matches_golden(&golden, &actual, &format!("summary of {}", input.display()));
    }
}

macro_rules! golden_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check_scenario(stringify!($name));
            }
        )*

        #[test]
        fn every_scenario_has_a_test() {
            let tested = [$(stringify!($name)),*];
            assert_eq!(tested, SCENARIOS);
            let dir = util::fixture("goldens");
            let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .filter_map(|entry| entry.ok())
                .filter(|entry| entry.path().is_dir())
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect();
            on_disk.sort();
            assert_eq!(on_disk, SCENARIOS, "scenario directories in {}", dir.display());
        }
    };
}

golden_tests!(all, bufferpool, cache, closure, emitter, global, interval);

/// The real binary's `summary FILE --json` prints the golden too (covers the CLI path:
/// argument parsing, `file`/`fileBytes`, stdout).
#[test]
fn cli_summary_json_matches_golden() {
    let input = util::golden_input("emitter", "target");
    let output = Command::new(env!("CARGO_BIN_EXE_heapsight"))
        // Never write into the user's cache folder (tests/cache.rs tests the cache).
        .env("HEAPSIGHT_NO_CACHE", "1")
        .arg("summary")
        .arg(&input)
        .arg("--json")
        .output()
        .expect("run heapsight");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "heapsight failed: {stderr}");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
    assert_matches_golden(
        &util::fixture("goldens/emitter/summary-target.json"),
        &stdout,
        "`heapsight summary --json` output",
    );
}

/// The mismatch report names the first differing class, so a failure is actionable.
#[test]
fn mismatch_report_names_the_first_differing_class() {
    let golden = util::fixture("goldens/cache/summary-baseline.json");
    let expected = expected_text(&golden);
    let needle = "\"count\": ";
    let at = expected.find(needle).expect("a class count") + needle.len();
    let mut actual = expected.clone();
    actual.insert(at, '9');
    let report = describe_mismatch(&expected, &actual);
    assert!(
        report.contains("first differing summary class at index 0"),
        "{report}"
    );
    assert!(report.contains("first differing line"), "{report}");
}
