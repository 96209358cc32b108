//! The leak doctor on real Node programs (tests/fixtures/doctor, tests/fixtures/goldens) and a
//! Chromium page: each leak pattern is named with its kind and its holder's variable; healthy
//! programs report no leak; unrelated and out-of-order snapshots are handled.

use std::process::Command;

use heapsight::snapshot::Snapshot;
use heapsight::snapshot::doctor::{Diagnosis, FindingKind, Method, Severity, diagnose};

use crate::util::{fixture, load_path};

fn load_stages(dir: &str, stages: &[&str]) -> Vec<Snapshot> {
    stages
        .iter()
        .map(|s| load_path(&fixture(&format!("{dir}/{s}.heapsnapshot.gz"))))
        .collect()
}

fn doctor(dir: &str, stages: &[&str]) -> Diagnosis {
    let snaps = load_stages(dir, stages);
    let refs: Vec<&Snapshot> = snaps.iter().collect();
    diagnose(&refs)
}

const THREE: [&str; 3] = ["baseline", "target", "final"];

/// The leaks found, as (kind, holder name, event, last count).
fn leaks(d: &Diagnosis) -> Vec<(FindingKind, String, Option<String>, u64)> {
    d.findings
        .iter()
        .filter(|f| f.severity == Severity::Leak)
        .map(|f| {
            (
                f.kind,
                f.holder.name.clone(),
                f.holder.event.clone(),
                f.growth.last().map_or(0, |g| g.count),
            )
        })
        .collect()
}

fn assert_leak(d: &Diagnosis, kind: FindingKind, name: &str, counts: &[u64]) {
    let f = d
        .findings
        .iter()
        .find(|f| f.kind == kind && f.holder.name == name)
        .unwrap_or_else(|| panic!("no {kind:?} finding for {name}: {:#?}", leaks(d)));
    assert_eq!(f.severity, Severity::Leak, "{}", f.title);
    let got: Vec<u64> = f.growth.iter().map(|g| g.count).collect();
    assert_eq!(got, counts, "{}", f.title);
    assert!(!f.path.is_empty() && !f.explanation.is_empty() && !f.fix.is_empty());
    assert_eq!(f.path.last().map(|p| p.id), Some(f.holder.id));
}

#[test]
fn every_golden_pattern_is_named_by_its_holder() {
    let cases: [(&str, FindingKind, &str, [u64; 3]); 7] = [
        (
            "cache",
            FindingKind::Collection,
            "responseCache",
            [0, 100, 200],
        ),
        (
            "cache",
            FindingKind::Collection,
            "statsByRoute",
            [0, 100, 200],
        ),
        (
            "emitter",
            FindingKind::Listeners,
            "configBus",
            [0, 100, 200],
        ),
        ("interval", FindingKind::Timers, "heartbeat", [0, 100, 200]),
        ("closure", FindingKind::Closure, "theThing", [0, 100, 200]),
        ("global", FindingKind::Global, "requestLog", [0, 100, 200]),
        ("bufferpool", FindingKind::External, "all", [0, 100, 200]),
    ];
    for (scenario, kind, name, counts) in cases {
        let d = doctor(&format!("goldens/{scenario}"), &THREE);
        assert_eq!(d.method, Method::ThreeSnapshot);
        assert_leak(&d, kind, name, &counts);
        // One root cause per leak: nothing else is called a leak.
        let expected = if scenario == "cache" { 2 } else { 1 };
        assert_eq!(leaks(&d).len(), expected, "{scenario}: {:#?}", leaks(&d));
    }
}

#[test]
fn listener_event_and_function_are_named() {
    let d = doctor("goldens/emitter", &THREE);
    let f = &d.findings[0];
    assert_eq!(f.holder.event.as_deref(), Some("config-changed"));
    assert_eq!(f.holder.class_name, "ConfigBus");
    assert!(f.title.contains("`onConfigChanged`"), "{}", f.title);
    assert!(
        f.held_classes
            .iter()
            .any(|h| h.class_name == "LeakyRequestContext" && h.count == 200)
    );
    // The path is named as the Retainers pane names it: closures by function name.
    assert!(
        f.path.iter().any(|p| p.name == "handleRequest"),
        "{:?}",
        f.path
    );
}

#[test]
fn express_app_with_two_leaks_gives_two_findings() {
    let d = doctor("doctor/express-leaks", &THREE);
    let l = leaks(&d);
    assert_eq!(l.len(), 2, "{l:#?}");
    assert_leak(&d, FindingKind::Listeners, "bus", &[0, 50, 100]);
    assert_leak(&d, FindingKind::Collection, "profileCache", &[0, 50, 100]);
    let listeners = d
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::Listeners)
        .unwrap();
    assert_eq!(listeners.holder.event.as_deref(), Some("config-changed"));
    assert!(
        listeners.title.contains("`onConfig`"),
        "{}",
        listeners.title
    );
    for class in ["IncomingMessage", "ServerResponse"] {
        assert!(
            listeners.held_classes.iter().any(|h| h.class_name == class),
            "{class} not held by the listeners"
        );
    }
}

#[test]
fn more_node_patterns() {
    let d = doctor("doctor/promises", &THREE);
    assert_leak(&d, FindingKind::Promises, "ready", &[0, 100, 200]);
    let d = doctor("doctor/timeout-rearm", &THREE);
    assert_leak(&d, FindingKind::Timers, "poll", &[0, 100, 200]);
    let d = doctor("doctor/object-cache", &THREE);
    assert_leak(&d, FindingKind::Collection, "sessions", &[0, 100, 200]);
    // Node 24 writes 6 node fields and names oddballs by value.
    let d = doctor("doctor/node24-emitter", &THREE);
    assert_leak(&d, FindingKind::Listeners, "configBus", &[0, 100, 200]);
    let d = doctor("doctor/node24-cache", &THREE);
    assert_leak(&d, FindingKind::Collection, "responseCache", &[0, 100, 200]);
}

#[test]
fn healthy_programs_report_no_leak() {
    for dir in ["doctor/healthy", "doctor/healthy-express"] {
        for stages in [&THREE[..], &["baseline", "final"][..], &["final"][..]] {
            let d = doctor(dir, stages);
            assert!(
                d.findings.iter().all(|f| f.severity < Severity::Leak),
                "{dir} {stages:?}: {:#?}",
                leaks(&d)
            );
        }
    }
}

#[test]
fn one_snapshot_only_unmistakable_patterns() {
    let d = doctor("doctor/listeners-single", &["final"]);
    assert_eq!(d.method, Method::Single);
    let l = leaks(&d);
    assert_eq!(
        l,
        vec![(
            FindingKind::Listeners,
            "ticker".to_owned(),
            Some("tick".to_owned()),
            300
        )]
    );
    // A Map growing is invisible in one snapshot: no leak claimed.
    let d = doctor("goldens/cache", &["final"]);
    assert!(leaks(&d).is_empty(), "{:#?}", leaks(&d));
}

#[test]
fn browser_detached_dom() {
    let snaps = [
        load_path(&fixture("chrome/page.heapsnapshot.gz")),
        load_path(&fixture("chrome/page-leaked.heapsnapshot.gz")),
    ];
    let d = diagnose(&[&snaps[0], &snaps[1]]);
    assert!(
        d.findings
            .iter()
            .any(|f| f.kind == FindingKind::DetachedDom && f.severity == Severity::Leak),
        "{:#?}",
        leaks(&d)
    );
    // Node's embedder objects ("Detached Node / …") are not DOM.
    let d = doctor("goldens/cache", &THREE);
    assert!(
        d.findings
            .iter()
            .all(|f| f.kind != FindingKind::DetachedDom)
    );
}

#[test]
fn unrelated_and_out_of_order_snapshots() {
    let a = load_path(&fixture("goldens/cache/baseline.heapsnapshot.gz"));
    let b = load_path(&fixture("goldens/emitter/final.heapsnapshot.gz"));
    let d = diagnose(&[&a, &b]);
    assert_eq!(d.method, Method::Single);
    assert!(
        d.notes
            .iter()
            .any(|n| n.contains("do not come from one process"))
    );
    // Only the last snapshot's own pattern (400 listeners of one function) remains.
    assert!(leaks(&d).iter().all(|l| l.0 == FindingKind::Listeners));

    let s = load_stages("goldens/cache", &["final", "baseline", "target"]);
    let d = diagnose(&[&s[0], &s[1], &s[2]]);
    assert!(d.notes.iter().any(|n| n.contains("out of order")));
    assert_eq!(d.order, vec![1, 2, 0]);
    assert_leak(&d, FindingKind::Collection, "responseCache", &[0, 100, 200]);
}

#[test]
fn cli_json_and_exit_codes() {
    let dir = fixture("goldens/emitter");
    let files: Vec<String> = THREE
        .iter()
        .map(|s| {
            dir.join(format!("{s}.heapsnapshot.gz"))
                .display()
                .to_string()
        })
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_heapsight"))
        // Never write into the user's cache folder (tests/cache.rs tests the cache).
        .env("HEAPSIGHT_NO_CACHE", "1")
        .arg("doctor")
        .args(&files)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "a leak exits 1");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &v["findings"][0];
    for key in [
        "kind",
        "severity",
        "title",
        "holder",
        "path",
        "growth",
        "heldClasses",
        "retainedSize",
        "explanation",
        "fix",
    ] {
        assert!(f.get(key).is_some(), "missing {key}");
    }
    assert_eq!(f["kind"], "listeners");
    assert_eq!(f["holder"]["name"], "configBus");
    assert_eq!(v["snapshots"].as_array().map(Vec::len), Some(3));

    let healthy = fixture("doctor/healthy/final.heapsnapshot.gz");
    let out = Command::new(env!("CARGO_BIN_EXE_heapsight"))
        // Never write into the user's cache folder (tests/cache.rs tests the cache).
        .env("HEAPSIGHT_NO_CACHE", "1")
        .args(["doctor", &healthy.display().to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));

    let missing = dir.join("nope.heapsnapshot");
    let out = Command::new(env!("CARGO_BIN_EXE_heapsight"))
        // Never write into the user's cache folder (tests/cache.rs tests the cache).
        .env("HEAPSIGHT_NO_CACHE", "1")
        .args(["doctor", &missing.display().to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.heapsnapshot"));
}
