//! Comparison (diff) goldens against the DevTools oracle, and the three-snapshot leak
//! candidates against the scenarios' known leaking classes.

use std::path::PathBuf;

use heapsight::snapshot::{self, Progress, Snapshot, report};
use rayon::prelude::*;

const SCENARIOS: [&str; 7] = [
    "all",
    "bufferpool",
    "cache",
    "closure",
    "emitter",
    "global",
    "interval",
];

fn golden_dir(scenario: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/goldens")
        .join(scenario)
}

fn load(scenario: &str, which: &str) -> Snapshot {
    let path = golden_dir(scenario).join(format!("{which}.heapsnapshot.gz"));
    snapshot::load_path(&path, &Progress::new()).expect("golden input loads")
}

/// The stored oracle output without the line we do not reproduce.
fn expected(scenario: &str, file: &str) -> String {
    let text = std::fs::read_to_string(golden_dir(scenario).join(file)).expect("golden exists");
    text.lines()
        .filter(|l| !l.contains("\"devtoolsFrontendVersion\""))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn comparison_matches_oracle_for_every_scenario() {
    let failures: Vec<String> = SCENARIOS
        .par_iter()
        .flat_map_iter(|&scenario| {
            let base = load(scenario, "baseline");
            [
                ("target", "comparison-target.json"),
                ("final", "comparison.json"),
            ]
            .into_iter()
            .filter_map(|(which, golden)| {
                let target = load(scenario, which);
                let diff = snapshot::diff(&base, &target);
                let got = report::to_json_string(&report::comparison_report(&base, &target, &diff));
                let want = expected(scenario, golden);
                (got != want).then(|| {
                    let line = got
                        .lines()
                        .zip(want.lines())
                        .position(|(a, b)| a != b)
                        .unwrap_or(0);
                    format!(
                        "{scenario}/{golden}: first difference at line {}: got {:?}, want {:?}",
                        line + 1,
                        got.lines().nth(line),
                        want.lines().nth(line)
                    )
                })
            })
            .collect::<Vec<_>>()
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Leaking classes of each scenario (the oracle's goldens/SANITY.txt), and whether the
/// count may exceed the iteration count (Timeout and Buffer have other instances).
pub(crate) fn leaking_classes(scenario: &str) -> Vec<(&'static str, bool)> {
    match scenario {
        "cache" => vec![("CachedApiResponse", false), ("RouteStatsEntry", false)],
        "emitter" => vec![("LeakyRequestContext", false)],
        "interval" => vec![("TelemetrySocket", false), ("Timeout", true)],
        "closure" => vec![("ReplacedThing", false), ("LargeBlob", false)],
        "global" => vec![("AccidentalGlobalEntry", false)],
        "bufferpool" => vec![("PooledBuffer", false), ("Buffer", true)],
        "all" => [
            "cache",
            "emitter",
            "interval",
            "closure",
            "global",
            "bufferpool",
        ]
        .into_iter()
        .flat_map(leaking_classes)
        .collect(),
        _ => Vec::new(),
    }
}

#[test]
fn leak_candidates_find_every_leaking_class_with_the_iteration_count() {
    const ITERATIONS: u32 = 100;
    let failures: Vec<String> = SCENARIOS
        .par_iter()
        .flat_map_iter(|&scenario| {
            let (baseline, (target, last)) = rayon::join(
                || load(scenario, "baseline"),
                || rayon::join(|| load(scenario, "target"), || load(scenario, "final")),
            );
            let candidates = snapshot::leak_candidates(&baseline, &target, &last);
            leaking_classes(scenario)
                .into_iter()
                .filter_map(|(class, at_least)| {
                    let found = candidates.iter().find(|c| c.class_name == class);
                    let ok = match found {
                        Some(c) if at_least => c.count >= ITERATIONS,
                        Some(c) => c.count == ITERATIONS,
                        None => false,
                    };
                    (!ok).then(|| format!("{scenario}: {class}: got {:?}", found.map(|c| c.count)))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn unrelated_snapshots_compare_with_no_common_ids() {
    // The same file against itself shares every id and has no changes.
    let a = load("cache", "baseline");
    let same = snapshot::diff(&a, &a);
    assert!(same.classes.is_empty());
    assert_eq!(same.common_ids, a.node_count());
}

/// DevTools' "Objects allocated between Snapshot 1 and Snapshot 2" Summary filter, against
/// rows the DevTools worker computed (`tests/fixtures/filters/oracle-filter.js`).
#[test]
fn allocated_between_filter_matches_oracle() {
    for scenario in ["cache", "all"] {
        let (base, target) =
            rayon::join(|| load(scenario, "baseline"), || load(scenario, "target"));
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!(
            "tests/fixtures/filters/{scenario}-target-between-baseline-and-target.json"
        ));
        let want: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("golden")).expect("json");
        assert_eq!(
            want["maxJsNodeId"].as_u64(),
            Some(u64::from(target.max_js_node_id()))
        );
        let agg = target.aggregates_in_id_range(base.max_js_node_id(), target.max_js_node_id());
        let got: Vec<serde_json::Value> = agg.classes().iter().map(class_row_json).collect();
        assert_eq!(
            serde_json::Value::Array(got),
            want["rows"],
            "{scenario}: filtered Summary differs from DevTools"
        );
        // Every member passes the filter.
        for (c, _) in agg.classes().iter().enumerate() {
            for &n in agg.class_members(c) {
                let id = target.node_id(heapsight::snapshot::NodeIdx(n));
                assert!(id > base.max_js_node_id() && id <= target.max_js_node_id());
            }
        }
    }
}

/// DevTools' "Duplicated strings" Summary filter, against rows the DevTools worker computed
/// (`tests/fixtures/filters/oracle-filter.js FILE duplicatedStrings`), on two scenario
/// snapshots and a Chromium page.
#[test]
fn duplicated_strings_filter_matches_oracle() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let cases = [
        (
            golden_dir("cache").join("final.heapsnapshot.gz"),
            "cache-final",
        ),
        (golden_dir("all").join("final.heapsnapshot.gz"), "all-final"),
        (fixtures.join("chrome/page.heapsnapshot.gz"), "chrome-page"),
    ];
    for (input, name) in cases {
        let snap = snapshot::load_path(&input, &Progress::new()).expect("loads");
        let path = fixtures.join(format!("filters/{name}-duplicated-strings.json"));
        let want: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("golden")).expect("json");
        let agg = snap.aggregates_of_duplicated_strings();
        let got: Vec<serde_json::Value> = agg.classes().iter().map(class_row_json).collect();
        assert_eq!(
            serde_json::Value::Array(got),
            want["rows"],
            "{name}: duplicated strings differ from DevTools"
        );
        // Every member is a string whose text another member shares.
        let members: Vec<u32> = (0..agg.classes().len())
            .flat_map(|c| agg.class_members(c).iter().copied())
            .collect();
        let mut texts: std::collections::HashMap<String, usize> = Default::default();
        for &n in &members {
            *texts
                .entry(snap.node_name(snapshot::NodeIdx(n)).into_owned())
                .or_default() += 1;
        }
        assert!(texts.values().all(|&k| k >= 2), "{name}: a lone string");
    }
}

/// A Summary row in the shape of the DevTools filter goldens (tests/fixtures/filters).
pub(crate) fn class_row_json(c: &heapsight::snapshot::ClassAggregate) -> serde_json::Value {
    serde_json::json!({
        "classKey": c.key,
        "name": c.name,
        "count": c.count,
        "shallowSize": c.shallow_size_bytes,
        "retainedSize": c.retained_size_bytes,
        "distance": c.distance,
    })
}
