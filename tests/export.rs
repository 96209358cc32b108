//! Reports (`heapsight report`, `snapshot::export`): Markdown, JSON and HTML exports of the
//! Summary/Comparison rows, retainer paths, dominator chains and Statistics.

use std::path::{Path, PathBuf};

use heapsight::snapshot::Snapshot;
use heapsight::snapshot::export::{self, Report, ReportRequest, Section};
use serde_json::Value;

use crate::util::{self, SnapshotBuilder, heapsight};

/// A tiny program heap: `global.holder` is a `Holder` with two `Item`s, a closure and a
/// string; one class name needs escaping in every format.
fn tiny() -> SnapshotBuilder {
    let mut b = SnapshotBuilder::new();
    let global = b.global(3, 100);
    let holder = b.node("object", "Holder", 5, 40);
    b.prop(global, "holder", holder);
    let a = b.node("object", "Item", 7, 20);
    let c = b.node("object", "Item", 9, 30);
    b.prop(holder, "first", a).prop(holder, "second|x", c);
    let on_tick = b.node("closure", "onTick", 11, 32);
    b.prop(c, "cb", on_tick);
    let odd = b.node("object", "A<b>&\"c\"|`d`", 13, 8);
    b.prop(global, "odd", odd);
    let s = b.node("string", "hello", 15, 16);
    b.prop(holder, "greeting", s);
    b
}

fn tiny_report(snap: &Snapshot, filter: &str) -> Report {
    Report::build(
        snap,
        &ReportRequest {
            filter,
            base: None,
            nodes: &[util::by_id(snap, 11)],
            statistics: true,
        },
    )
}

#[test]
fn markdown_of_a_tiny_snapshot_is_exact() {
    let snap = tiny().load();
    let md = tiny_report(&snap, "").to_markdown();
    let expected = EXPECTED_MARKDOWN;
    assert_eq!(md, expected, "\n{md}");
    // "Copy as Markdown" of two selected Summary rows: just the table.
    let item = snap
        .classes()
        .iter()
        .position(|c| c.name == "Item")
        .expect("Item row");
    let holder = snap
        .classes()
        .iter()
        .position(|c| c.name == "Holder")
        .expect("Holder row");
    let table = export::summary_rows_table(&snap, snap.aggregates(), &[item, holder]);
    assert_eq!(
        table.to_markdown(),
        "| Constructor | Distance | Count | Shallow Size | Shallow % | Retained Size | Retained % |\n\
         |---|---:|---:|---:|---:|---:|---:|\n\
         | Item | 3 | 2 | 50 B | 20.3 % | 82 B | 33.3 % |\n\
         | Holder | 2 | 1 | 40 B | 16.3 % | 138 B | 56.1 % |\n"
    );
}

/// Checked by hand: 246 bytes in all; `Holder` retains itself, both `Item`s, the closure
/// (through the second item) and the string; the closure is named by its function.
const EXPECTED_MARKDOWN: &str = "# heapsight report

- (in memory): 8 nodes, 246 B

## Summary

| Constructor | Distance | Count | Shallow Size | Shallow % | Retained Size | Retained % |
|---|---:|---:|---:|---:|---:|---:|
| global | 1 | 1 | 100 B | 40.7 % | 246 B | 100.0 % |
| Holder | 2 | 1 | 40 B | 16.3 % | 138 B | 56.1 % |
| Item | 3 | 2 | 50 B | 20.3 % | 82 B | 33.3 % |
| Function | 4 | 1 | 32 B | 13.0 % | 32 B | 13.0 % |
| (string) | 3 | 1 | 16 B | 6.5 % | 16 B | 6.5 % |
| A\\<b\\>&\"c\"\\|\\`d\\` | 2 | 1 | 8 B | 3.3 % | 8 B | 3.3 % |

## Retainer path of onTick @11

1. onTick @11 (Function, distance 4, retained 32 B)
2. .cb in Item @9 (Item, distance 3, retained 62 B)
3. .second\\|x in Holder @5 (Holder, distance 2, retained 138 B)
4. .holder in global @3 (global, distance 1, retained 246 B)

## Dominator chain of onTick @11

1. onTick @11 (Function, distance 4, retained 32 B)
2. Item @9 (Item, distance 3, retained 62 B)
3. Holder @5 (Holder, distance 2, retained 138 B)
4. global @3 (global, distance 1, retained 246 B)
5. (synthetic) @1 ((synthetic), distance \u{2212}, retained 246 B)

## Statistics

| Category | Size | % |
|---|---:|---:|
| Code | 0 B | 0.0 % |
| Strings | 16 B | 6.5 % |
| JS arrays | 0 B | 0.0 % |
| Typed arrays | 0 B | 0.0 % |
| System objects | 0 B | 0.0 % |
| Other JS objects | 230 B | 93.5 % |
| Other non-JS objects | 0 B | 0.0 % |
| Total | 246 B | 100.0 % |

";

#[test]
fn json_round_trips() {
    let snap = tiny().load();
    let report = tiny_report(&snap, "");
    let json = report.to_json();
    assert_eq!(Report::from_json(&json).expect("parses"), report);
    let value: Value = serde_json::from_str(&json).expect("JSON");
    let kinds: Vec<&str> = value["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .map(|s| s["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["table", "path", "path", "chart"]);
    // Numbers are exact figures.
    let rows = value["sections"][0]["rows"].as_array().expect("rows");
    let holder = rows.iter().find(|r| r[0] == "Holder").expect("Holder");
    assert_eq!(holder[2], 1);
    assert_eq!(holder[3], 40);
}

#[test]
fn html_is_self_contained_and_escaped() {
    let snap = tiny().load();
    let html = tiny_report(&snap, "").to_html();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    for banned in [
        "http", "src=", "<script", "url(", "@import", "<link", "<img",
    ] {
        assert!(!html.contains(banned), "{banned:?} in\n{html}");
    }
    assert!(html.contains("<svg"), "the chart is inline SVG");
    assert!(html.contains("A&lt;b&gt;&amp;&quot;c&quot;|`d`"), "{html}");
    assert!(!html.contains("A<b>"), "{html}");
    assert!(
        html.contains("onTick"),
        "closures are named by function name"
    );
}

fn path_arg(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Runs `heapsight ARGS` and parses its stdout as JSON.
fn json_of(args: &[&str]) -> Value {
    let output = heapsight(args);
    assert!(output.status.success(), "{args:?}: {output:?}");
    serde_json::from_slice(&output.stdout).expect("JSON")
}

#[test]
fn summary_rows_equal_summary_json() {
    let file = util::golden_input("cache", "final");
    let summary = json_of(&["summary", "--json", path_arg(&file)]);
    let dir = util::scratch_dir("export-summary");
    let out = dir.join("report.json");
    let output = heapsight(&[
        "report",
        path_arg(&file),
        "--filter",
        "cAcHeD",
        "-o",
        path_arg(&out),
    ]);
    assert!(output.status.success(), "{output:?}");
    let report = Report::from_json(&std::fs::read_to_string(&out).expect("report")).expect("JSON");
    let Section::Table(table) = &report.sections[0] else {
        panic!("the first section is the Summary table");
    };
    let classes = summary["summary"]["classes"].as_array().expect("classes");
    let expected: Vec<&Value> = classes
        .iter()
        .filter(|c| {
            c["name"]
                .as_str()
                .unwrap_or_default()
                .to_lowercase()
                .contains("cached")
        })
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(table.rows.len(), expected.len());
    let n = |v: &Value| export::Cell::Number(v.as_i64().expect("number"));
    for (row, class) in table.rows.iter().zip(&expected) {
        assert_eq!(
            row[0],
            export::Cell::text(class["name"].as_str().unwrap_or_default())
        );
        assert_eq!(row[1], n(&class["distance"]));
        assert_eq!(row[2], n(&class["count"]));
        assert_eq!(row[3], n(&class["shallowSize"]));
        assert_eq!(row[5], n(&class["retainedSize"]));
    }
    // The Statistics chart is the summary's.
    let Some(Section::Chart(chart)) = report.sections.last() else {
        panic!("the last section is the chart");
    };
    assert_eq!(
        chart.total_bytes,
        summary["statistics"]["total"].as_u64().expect("total")
    );
    let sum: u64 = chart.categories.iter().map(|c| c.bytes).sum();
    assert_eq!(sum, chart.total_bytes, "the categories add up to the total");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn comparison_rows_equal_diff_json() {
    let base = util::golden_input("cache", "baseline");
    let target = util::golden_input("cache", "target");
    let diff = json_of(&["diff", "--json", path_arg(&base), path_arg(&target)]);
    let report = json_of(&[
        "report",
        "--format",
        "json",
        "--base",
        path_arg(&base),
        path_arg(&target),
    ]);
    let rows = report["sections"][0]["rows"].as_array().expect("rows");
    let classes = diff["comparison"]["classes"].as_array().expect("classes");
    assert_eq!(rows.len(), classes.len());
    for (row, class) in rows.iter().zip(classes) {
        let expected = [
            &class["name"],
            &class["addedCount"],
            &class["removedCount"],
            &class["countDelta"],
            &class["addedSize"],
            &class["removedSize"],
            &class["sizeDelta"],
        ];
        let got: Vec<&Value> = row.as_array().expect("row").iter().collect();
        assert_eq!(got, expected);
    }
    assert_eq!(report["sources"].as_array().map(Vec::len), Some(2));
    // With a filter: the rows whose class matches, in the same order.
    let filtered = json_of(&[
        "report",
        "--format",
        "json",
        "--filter",
        "Route",
        "--base",
        path_arg(&base),
        path_arg(&target),
    ]);
    let names: Vec<&Value> = filtered["sections"][0]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| &r[0])
        .collect();
    let expected: Vec<&Value> = classes
        .iter()
        .map(|c| &c["name"])
        .filter(|n| {
            n.as_str()
                .unwrap_or_default()
                .to_lowercase()
                .contains("route")
        })
        .collect();
    assert_eq!(names, expected);
}

#[test]
fn node_paths_match_the_node_command() {
    let file = util::golden_input("cache", "final");
    let snap = util::load_path(&file);
    let class = snap
        .classes()
        .iter()
        .position(|c| c.name == "CachedApiResponse")
        .expect("class");
    let n = heapsight::snapshot::NodeIdx(snap.class_members(class)[0]);
    let id = snap.node_id(n);
    let node = json_of(&["node", "--json", path_arg(&file), &format!("@{id}")]);
    let report = json_of(&[
        "report",
        "--format",
        "json",
        "--node",
        &format!("@{id}"),
        path_arg(&file),
    ]);
    // The dominator chain: the object, then the `node` command's chain.
    let chain: Vec<u64> = report["sections"][2]["hops"]
        .as_array()
        .expect("hops")
        .iter()
        .map(|h| h["id"].as_u64().expect("id"))
        .collect();
    let mut expected = vec![u64::from(id)];
    expected.extend(
        node["dominatorChain"]
            .as_array()
            .expect("chain")
            .iter()
            .map(|v| v.as_u64().expect("id")),
    );
    assert_eq!(chain, expected);
    // The retainer path starts at the object, goes through its retainer nearest to the
    // roots, and each hop's distance is one less than the one before.
    let hops = report["sections"][1]["hops"].as_array().expect("hops");
    assert_eq!(hops[0]["id"], id);
    assert_eq!(hops[0]["retainedSizeBytes"], node["retainedSize"]);
    let retainer_ids: Vec<&Value> = node["retainers"]
        .as_array()
        .expect("retainers")
        .iter()
        .map(|r| &r["nodeId"])
        .collect();
    assert!(retainer_ids.contains(&&hops[1]["id"]), "{hops:?}");
    for pair in hops.windows(2) {
        assert_eq!(
            pair[1]["distance"].as_i64().expect("distance") + 1,
            pair[0]["distance"].as_i64().expect("distance"),
            "{pair:?}"
        );
    }
    assert!(hops.len() >= 3);
}

#[test]
fn format_follows_the_extension() {
    let dir = util::scratch_dir("export-formats");
    let input = dir.join("tiny.heapsnapshot");
    std::fs::write(&input, tiny().to_bytes()).expect("write");
    for (name, starts) in [
        ("r.html", "<!DOCTYPE html>"),
        ("r.json", "{"),
        ("r.md", "# heapsight report: tiny.heapsnapshot"),
    ] {
        let out = dir.join(name);
        let output = heapsight(&["report", path_arg(&input), "-o", path_arg(&out)]);
        assert!(output.status.success(), "{output:?}");
        let text = std::fs::read_to_string(&out).expect("written");
        assert!(text.starts_with(starts), "{name}: {text}");
        assert!(output.stdout.is_empty());
    }
    // --format wins over the extension; stdout without -o.
    let output = heapsight(&["report", path_arg(&input), "--format", "html"]);
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("<!DOCTYPE html>"));
    std::fs::remove_dir_all(&dir).ok();
}

fn assert_error_and_nothing_written(args: &[&str], out: &Path, phrase: &str) {
    let output = heapsight(args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{args:?} succeeded");
    assert!(
        stderr.contains(phrase),
        "{args:?}: {stderr:?} lacks {phrase:?}"
    );
    assert!(!out.exists(), "{} exists after an error", out.display());
    let part = PathBuf::from(format!("{}.part", out.display()));
    assert!(!part.exists(), "{} exists after an error", part.display());
}

#[test]
fn bad_input_is_an_error_naming_the_file_and_writes_nothing() {
    let dir = util::scratch_dir("export-bad");
    let out = dir.join("report.html");
    let truncated = dir.join("truncated.heapsnapshot");
    let bytes = tiny().to_bytes();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");
    let t = path_arg(&truncated);
    assert_error_and_nothing_written(&["report", t, "-o", path_arg(&out)], &out, t);
    let missing = dir.join("missing.heapsnapshot");
    let m = path_arg(&missing);
    assert_error_and_nothing_written(&["report", m, "-o", path_arg(&out)], &out, m);
    // A bad base is named too.
    let good = dir.join("good.heapsnapshot");
    std::fs::write(&good, &bytes).expect("write");
    let g = path_arg(&good);
    assert_error_and_nothing_written(&["report", g, "--base", t, "-o", path_arg(&out)], &out, t);
    // An id that is not in the snapshot, and a bad format.
    assert_error_and_nothing_written(
        &["report", g, "--node", "@424242", "-o", path_arg(&out)],
        &out,
        "@424242",
    );
    assert_error_and_nothing_written(
        &["report", g, "--format", "pdf", "-o", path_arg(&out)],
        &out,
        "pdf",
    );
    std::fs::remove_dir_all(&dir).ok();
}
