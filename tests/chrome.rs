//! Chrome web-page goldens (`tests/fixtures/chrome`): real Chromium snapshots of a page that
//! leaks detached DOM, with native nodes, `detachedness` 1/2, `Detached <div>` classes and
//! `Window / …` names. Our Summary and Comparison reports must equal the DevTools oracle's
//! stored output byte for byte (minus the `devtoolsFrontendVersion` line), and the DOM state
//! must be what the page built (see the fixture README).

use std::sync::OnceLock;

use heapsight::snapshot::{self, NodeIdx, Progress, Snapshot, report};

use crate::util;

const ORIGIN: &str = "http://127.0.0.1:8765";

fn load(stem: &str) -> Snapshot {
    let path = util::fixture(&format!("chrome/{stem}.heapsnapshot.gz"));
    snapshot::load_path(&path, &Progress::new())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `page.heapsnapshot.gz`: after load (`leak(200, 100)`), loaded once for all tests.
fn page() -> &'static Snapshot {
    static SNAP: OnceLock<Snapshot> = OnceLock::new();
    SNAP.get_or_init(|| load("page"))
}

/// `page-leaked.heapsnapshot.gz`: the same tab after `leak(100, 50)`.
fn page_leaked() -> &'static Snapshot {
    static SNAP: OnceLock<Snapshot> = OnceLock::new();
    SNAP.get_or_init(|| load("page-leaked"))
}

/// The stored oracle output without the `devtoolsFrontendVersion` line.
fn expected(file: &str) -> String {
    let path = util::fixture(&format!("chrome/{file}"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.split_inclusive('\n')
        .filter(|l| !l.trim_start().starts_with("\"devtoolsFrontendVersion\":"))
        .collect()
}

/// Asserts `got == want`, showing the first differing line and its neighbours.
fn assert_same_text(what: &str, got: &str, want: &str) {
    if got == want {
        return;
    }
    let (g, w): (Vec<&str>, Vec<&str>) = (got.lines().collect(), want.lines().collect());
    let i = (0..g.len().max(w.len()))
        .find(|&i| g.get(i) != w.get(i))
        .unwrap_or(0);
    let from = i.saturating_sub(3);
    let show = |lines: &[&str]| -> String {
        lines
            .iter()
            .enumerate()
            .skip(from)
            .take(i - from + 4)
            .map(|(j, l)| format!("{}{:6} {l}\n", if j == i { '>' } else { ' ' }, j + 1))
            .collect()
    };
    panic!(
        "{what} differs from the oracle at line {}:\n--- expected\n{}--- actual\n{}",
        i + 1,
        show(&w),
        show(&g)
    );
}

fn class_index(snap: &Snapshot, name: &str) -> usize {
    snap.classes()
        .iter()
        .position(|c| c.name == name)
        .unwrap_or_else(|| panic!("no Summary class {name:?}"))
}

fn members(snap: &Snapshot, name: &str) -> Vec<NodeIdx> {
    snap.class_members(class_index(snap, name))
        .iter()
        .map(|&n| NodeIdx(n))
        .collect()
}

#[test]
fn chrome_page_summary_matches_oracle() {
    let got = report::to_json_string(&page().summary_report(20, 5));
    assert_same_text("page summary", &got, &expected("summary.json"));
}

#[test]
fn chrome_page_leaked_summary_matches_oracle() {
    let got = report::to_json_string(&page_leaked().summary_report(20, 5));
    assert_same_text(
        "page-leaked summary",
        &got,
        &expected("summary-leaked.json"),
    );
}

#[test]
fn chrome_comparison_matches_oracle() {
    let (base, target) = (page(), page_leaked());
    let diff = snapshot::diff(base, target);
    let got = report::to_json_string(&report::comparison_report(base, target, &diff));
    assert_same_text("comparison", &got, &expected("comparison.json"));
}

#[test]
fn chrome_detached_divs_are_the_leaked_items() {
    let snap = page();
    let divs = members(snap, "Detached <div>");
    assert_eq!(divs.len(), 200, "leak(200, 100) keeps 200 detached divs");
    let class = &snap.classes()[class_index(snap, "Detached <div>")];
    assert_eq!((class.key.as_str(), class.count), (",Detached <div>", 200));
    let mut ids: Vec<String> = divs
        .iter()
        .map(|&n| {
            assert!(snap.is_detached(n), "@{} is detached", snap.node_id(n));
            assert_eq!(snap.node_type_name(n), "native");
            assert_eq!(snap.class_name(n), "Detached <div>");
            let name = snap.node_name(n);
            name.strip_prefix("Detached <div class=\"item\" id=\"")
                .and_then(|rest| rest.strip_suffix("\">"))
                .unwrap_or_else(|| panic!("unexpected name {name:?}"))
                .to_owned()
        })
        .collect();
    ids.sort();
    let mut want: Vec<String> = (0..200).map(|i| format!("item-1-{i}")).collect();
    want.sort();
    assert_eq!(ids, want);

    for (name, count) in [
        ("Detached <li>", 100),
        ("Detached <ul>", 1),
        ("Detached <section>", 1),
        ("Detached <iframe>", 1),
        ("Detached Window", 1),
        ("Detached HTMLDocument", 1),
    ] {
        let m = members(snap, name);
        assert_eq!(m.len(), count, "{name}");
        assert!(m.iter().all(|&n| snap.is_detached(n)), "{name}");
    }
    // The JS objects holding the divs are not DOM nodes.
    let items = members(snap, "LeakedItem");
    assert_eq!(items.len(), 200);
    assert!(items.iter().all(|&n| !snap.is_detached(n)));
}

#[test]
fn chrome_attached_elements_and_window_names() {
    let snap = page();
    for name in ["<canvas>", "<h1>", "<button>", "<iframe>"] {
        let m = members(snap, name);
        assert_eq!(m.len(), 1, "{name}");
        assert!(!snap.is_detached(m[0]), "{name} is attached");
    }
    let app = members(snap, "<div>");
    assert_eq!(app.len(), 1);
    assert_eq!(
        snap.node_name(app[0]),
        "<div id=\"app\" class=\"container\">"
    );
    assert_eq!(members(snap, "<li>").len(), 3);

    let window = format!("Window / {ORIGIN}");
    let windows = members(snap, &window);
    assert_eq!(windows.len(), 2, "the page's and the kept iframe's window");
    for &n in &windows {
        assert_eq!(snap.node_name(n), window);
        assert!(!snap.is_detached(n));
    }
}

#[test]
fn chrome_leak_grows_detached_classes() {
    let snap = page_leaked();
    for (name, count) in [
        ("Detached <div>", 300),
        ("Detached <li>", 150),
        ("Detached <ul>", 2),
        ("Detached <section>", 2),
        ("LeakedItem", 300),
    ] {
        assert_eq!(members(snap, name).len(), count, "{name}");
    }
    let diff = snapshot::diff(page(), snap);
    let row = diff
        .classes
        .iter()
        .find(|c| c.name == "Detached <div>")
        .expect("Detached <div> changed");
    assert_eq!((row.added_count, row.removed_count), (100, 0));
}
