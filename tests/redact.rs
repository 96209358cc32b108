//! `heapsight redact`: no secret survives, every figure does.
//!
//! `fixtures/redact/secrets.heapsnapshot.gz` is written by `secrets.js` (see its `make.sh`)
//! with marker secrets (`HSMARK_…`) in strings, Map values, an environment variable, its own
//! source text, concatenated strings and captured numbers. The oracle's output for the
//! redacted copy is stored beside it (`oracle-redacted*.json`, made by `make.sh`), so these
//! tests never need Node.

use std::path::{Path, PathBuf};

use heapsight::snapshot::{self, ErrorKind, Progress, RedactOptions, Snapshot, report};
use serde_json::Value;

use crate::util::{self, SCENARIOS, SnapshotBuilder, heapsight};

fn secrets_input() -> PathBuf {
    util::fixture("redact/secrets.heapsnapshot.gz")
}

/// Markers of `secrets.js`: none may be in a redacted copy.
const MARKERS: [&str; 6] = [
    "HSMARK",
    "hunter2",
    "HUNTER2",
    "sk-live-000111222333",
    "31415926",
    "271828",
];

fn redact_to(input: &Path, out: &Path) {
    snapshot::redact(input, out, &RedactOptions::default(), &Progress::new())
        .unwrap_or_else(|e| panic!("redacting {}: {e}", input.display()));
}

/// Raw bytes of a snapshot file, decompressed when gzip.
fn raw_bytes(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if bytes.starts_with(&[0x1f, 0x8b]) {
        util::gunzip(path)
    } else {
        bytes
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Node types whose names are texts the redaction replaces.
const REDACTED_TYPES: [&str; 3] = ["string", "concatenated string", "regexp"];
/// Their class names.
const REDACTED_CLASSES: [&str; 3] = ["(string)", "(concatenated string)", "RegExp"];

/// A Summary report (ours or the oracle's) without what redaction may change: `file`,
/// `fileBytes`, `devtoolsFrontendVersion`, and the names of string nodes.
fn comparable_summary(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        for key in ["file", "fileBytes", "devtoolsFrontendVersion"] {
            o.remove(key);
        }
    }
    if let Some(nodes) = v["topNodes"].as_array_mut() {
        for n in nodes {
            if REDACTED_TYPES.contains(&n["type"].as_str().unwrap_or_default())
                && let Some(o) = n.as_object_mut()
            {
                o.remove("name");
            }
            for r in n["retainers"].as_array_mut().into_iter().flatten() {
                if REDACTED_CLASSES.contains(&r["nodeClassName"].as_str().unwrap_or_default())
                    && let Some(o) = r.as_object_mut()
                {
                    o.remove("nodeName");
                }
            }
        }
    }
    v
}

fn summary_json(snap: &Snapshot) -> Value {
    let text = report::to_json_string(&snap.summary_report(20, 5));
    serde_json::from_str(&text).expect("summary JSON")
}

/// `strings --json` without the texts.
fn string_groups_without_text(snap: &Snapshot) -> Value {
    let mut groups = serde_json::to_value(snap.string_group_reports()).expect("groups JSON");
    for g in groups.as_array_mut().expect("array") {
        g.as_object_mut().expect("object").remove("value");
    }
    groups
}

/// Redacts `input` and checks that every figure is the same.
fn assert_figures_kept(input: &Path, out: &Path) {
    redact_to(input, out);
    let (before, after) = (util::load_path(input), util::load_path(out));
    assert_eq!(
        comparable_summary(summary_json(&before)),
        comparable_summary(summary_json(&after)),
        "summary of {} changed by redaction",
        input.display()
    );
    assert_eq!(before.node_count(), after.node_count());
    assert_eq!(before.edge_count(), after.edge_count());
    assert_eq!(
        string_groups_without_text(&before),
        string_groups_without_text(&after),
        "string groups of {} changed by redaction",
        input.display()
    );
}

#[test]
fn no_marker_survives() {
    let dir = util::scratch_dir("redact-markers");
    let out = dir.join("secrets.heapsnapshot.gz");
    redact_to(&secrets_input(), &out);
    let before = raw_bytes(&secrets_input());
    let after = raw_bytes(&out);
    for marker in MARKERS {
        assert!(contains(&before, marker), "the fixture lacks {marker:?}");
        assert!(!contains(&after, marker), "{marker:?} survived redaction");
    }
    // Class names are kept.
    assert!(contains(&after, "system / Context"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn secrets_fixture_figures_and_string_groups_are_kept() {
    let dir = util::scratch_dir("redact-figures");
    let out = dir.join("secrets.heapsnapshot.gz");
    assert_figures_kept(&secrets_input(), &out);
    // The redacted copy gives exactly what DevTools computed on it (stored by make.sh).
    let after = util::load_path(&out);
    let oracle: Value = serde_json::from_str(
        &std::fs::read_to_string(util::fixture("redact/oracle-redacted.json")).expect("golden"),
    )
    .expect("golden JSON");
    let ours = summary_json(&after);
    let strip = |mut v: Value| {
        for key in ["file", "fileBytes", "devtoolsFrontendVersion"] {
            v.as_object_mut().expect("object").remove(key);
        }
        v
    };
    assert_eq!(strip(ours), strip(oracle), "summary of the redacted copy");
    let groups: Value = serde_json::from_str(
        &std::fs::read_to_string(util::fixture("redact/oracle-redacted-string-groups.json"))
            .expect("golden"),
    )
    .expect("golden JSON");
    assert_eq!(
        serde_json::to_value(after.string_group_reports()).expect("JSON"),
        groups,
        "duplicated strings of the redacted copy (texts included: tokens are deterministic)"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn concatenations_still_group_with_equal_flat_strings() {
    // "ab"+"c", "a"+"bc" and a flat "abc" are one group of three; "abcd" and "x"+"abc" are
    // different texts that must stay apart; "b" alone is a part, never counted.
    let mut b = SnapshotBuilder::new();
    let global = b.global(3, 100);
    let mut id = 5;
    let mut string = |b: &mut SnapshotBuilder, text: &str| {
        id += 2;
        b.node("string", text, id, 20)
    };
    let (ab, c, a, bc, abc) = (
        string(&mut b, "ab"),
        string(&mut b, "c"),
        string(&mut b, "a"),
        string(&mut b, "bc"),
        string(&mut b, "abc"),
    );
    let (abcd, x) = (string(&mut b, "abcd"), string(&mut b, "x"));
    let mut k = 0;
    for (first, second) in [(ab, c), (a, bc), (x, abc), (ab, c), (abc, abcd)] {
        let cons = b.node(
            "concatenated string",
            "(concatenated string)",
            101 + 2 * k,
            32,
        );
        k += 1;
        b.edge(cons, "internal", "first", first);
        b.edge(cons, "internal", "second", second);
        b.prop(global, &format!("s{k}"), cons);
    }
    for (i, n) in [ab, c, a, bc, abc, abcd, x].into_iter().enumerate() {
        b.prop(global, &format!("p{i}"), n);
    }
    let dir = util::scratch_dir("redact-cons");
    let input = dir.join("cons.heapsnapshot");
    std::fs::write(&input, b.to_bytes()).expect("write");
    let before = util::load_path(&input);
    let counts = |snap: &Snapshot| -> Vec<usize> {
        snap.string_group_reports()
            .iter()
            .map(|g| g.count)
            .collect()
    };
    assert_eq!(
        counts(&before),
        [4],
        "abc: two concatenations twice and once flat"
    );
    let out = dir.join("out.heapsnapshot");
    assert_figures_kept(&input, &out);
    let after = util::load_path(&out);
    assert_eq!(counts(&after), [4]);
    // The fixture of Node has such texts too, cut in different places.
    let node = util::load_path(&secrets_input());
    let groups = node
        .string_group_reports()
        .into_iter()
        .filter(|g| g.value.starts_with("HSMARK_CONS_prefix_payload_"))
        .count();
    assert_eq!(groups, 3, "the Node fixture's concatenation groups");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn golden_chrome_and_node24_fixtures_keep_their_figures() {
    let dir = util::scratch_dir("redact-goldens");
    let inputs = varied_inputs();
    for (i, input) in inputs.iter().enumerate() {
        // Plain and gzip outputs, alternately.
        let out = dir.join(if i % 2 == 0 {
            format!("{i}.heapsnapshot")
        } else {
            format!("{i}.heapsnapshot.gz")
        });
        assert_figures_kept(input, &out);
        assert!(
            raw_bytes(&out).starts_with(b"{"),
            "{} is a snapshot",
            out.display()
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A tiny snapshot: a string node whose text is also a property name and a class name, a
/// captured number, and a secret.
fn tiny() -> SnapshotBuilder {
    let mut b = SnapshotBuilder::new();
    let global = b.global(3, 100);
    let holder = b.node("object", "Holder", 5, 40);
    b.prop(global, "holder", holder);
    // "Holder" is a class name and a string's text; "holder" a property name and a text.
    let s1 = b.node("string", "Holder", 7, 24);
    let s2 = b.node("string", "holder", 9, 24);
    let secret = b.node("string", "secret-value-HSMARK", 11, 40);
    let secret2 = b.node("string", "secret-value-HSMARK", 13, 40);
    let number = b.node("number", "heap number", 15, 16);
    let value = b.node("string", "3.14159", 17, 0);
    b.prop(holder, "a", s1)
        .prop(holder, "b", s2)
        .prop(holder, "c", secret)
        .prop(holder, "d", secret2)
        .prop(holder, "e", number);
    b.edge(number, "internal", "value", value);
    b
}

#[test]
fn shared_names_are_split_and_numbers_blanked() {
    let dir = util::scratch_dir("redact-tiny");
    let input = dir.join("tiny.heapsnapshot");
    std::fs::write(&input, tiny().to_bytes()).expect("write");
    let out = dir.join("out.heapsnapshot");
    assert_figures_kept(&input, &out);
    let after = util::load_path(&out);
    let raw = raw_bytes(&out);
    assert!(!contains(&raw, "secret-value"));
    assert!(!contains(&raw, "3.14159"));
    let name = |id| after.node_name(util::by_id(&after, id)).into_owned();
    // Class and property names survive; the strings with those texts do not.
    assert_eq!(name(5), "Holder");
    assert_eq!(
        util::visible_retainers(&after, 5),
        [(3, ".holder".to_owned())]
    );
    assert_ne!(name(7), "Holder");
    assert_ne!(name(9), "holder");
    // Equal texts, equal tokens of the same length; different texts, different tokens.
    assert_eq!(name(11), name(13));
    assert_eq!(name(11).len(), "secret-value-HSMARK".len());
    assert_ne!(name(7), name(9));
    assert_eq!(name(17), "");
    assert_eq!(after.class_name(util::by_id(&after, 7)), "(string)");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn any_key_order_works() {
    let dir = util::scratch_dir("redact-key-order");
    let value = tiny().to_value();
    let mut reordered = serde_json::Map::new();
    // `strings` first, `snapshot` last but before the arrays that need it is not required
    // by the redactor; the loader needs the header before nodes and edges.
    for key in [
        "strings",
        "snapshot",
        "locations",
        "edges",
        "trace_tree",
        "nodes",
        "samples",
        "trace_function_infos",
    ] {
        reordered.insert(key.to_owned(), value[key].clone());
    }
    let input = dir.join("reordered.heapsnapshot");
    std::fs::write(
        &input,
        serde_json::to_vec(&Value::Object(reordered)).expect("json"),
    )
    .expect("write");
    let out = dir.join("out.heapsnapshot.gz");
    assert_figures_kept(&input, &out);
    assert!(!contains(&raw_bytes(&out), "secret-value"));
    std::fs::remove_dir_all(&dir).ok();
}

/// Runs `heapsight redact IN OUT` on bad input: exit non-zero, a message naming IN, and
/// neither OUT nor OUT.part afterwards.
fn assert_bad_input(input: &Path, out: &Path, phrase: &str) {
    let output = heapsight(&[
        "redact",
        input.to_str().expect("utf-8"),
        out.to_str().expect("utf-8"),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{}: exit status", input.display());
    assert!(
        stderr.contains(&input.display().to_string()) && stderr.contains(phrase),
        "{}: message {stderr:?} lacks the file or {phrase:?}",
        input.display()
    );
    assert!(!out.exists(), "{} exists after an error", out.display());
    let part = PathBuf::from(format!("{}.part", out.display()));
    assert!(!part.exists(), "{} exists after an error", part.display());
}

#[test]
fn bad_input_is_an_error_naming_the_file_and_writes_nothing() {
    let dir = util::scratch_dir("redact-bad");
    let out = dir.join("out.heapsnapshot.gz");
    assert_bad_input(&dir.join("missing.heapsnapshot"), &out, "cannot read");
    let good = raw_bytes(&secrets_input());
    let truncated = dir.join("truncated.heapsnapshot");
    std::fs::write(&truncated, &good[..good.len() / 2]).expect("write");
    assert_bad_input(&truncated, &out, "truncated");
    let not_snapshot = dir.join("array.heapsnapshot");
    std::fs::write(&not_snapshot, b"[1, 2, 3]").expect("write");
    assert_bad_input(&not_snapshot, &out, "not a V8 heap snapshot");
    let gz_garbage = dir.join("garbage.heapsnapshot.gz");
    std::fs::write(&gz_garbage, [0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7]).expect("write");
    assert_bad_input(&gz_garbage, &out, "gzip");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn unwritable_output_and_same_file_are_errors() {
    let dir = util::scratch_dir("redact-out");
    let input = dir.join("tiny.heapsnapshot");
    std::fs::write(&input, tiny().to_bytes()).expect("write");
    let missing_dir = dir.join("no/such/dir/out.heapsnapshot");
    let err = snapshot::redact(
        &input,
        &missing_dir,
        &RedactOptions::default(),
        &Progress::new(),
    )
    .expect_err("no such directory");
    assert!(
        err.to_string().contains(&missing_dir.display().to_string()),
        "{err}"
    );
    let err = snapshot::redact(&input, &input, &RedactOptions::default(), &Progress::new())
        .expect_err("same file");
    assert!(err.to_string().contains("overwrite its input"), "{err}");
    assert_eq!(std::fs::read(&input).expect("read"), tiny().to_bytes());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn cancelled_redaction_leaves_nothing() {
    let dir = util::scratch_dir("redact-cancel");
    let out = dir.join("out.heapsnapshot");
    let progress = Progress::new();
    progress.cancel();
    let err = snapshot::redact(&secrets_input(), &out, &RedactOptions::default(), &progress)
        .expect_err("cancelled");
    assert!(matches!(err.kind(), ErrorKind::Cancelled), "{err}");
    assert!(!out.exists());
    assert!(!dir.join("out.heapsnapshot.part").exists());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn cli_redact_writes_a_loadable_copy() {
    let dir = util::scratch_dir("redact-cli");
    let out = dir.join("copy.heapsnapshot.gz");
    let output = heapsight(&[
        "redact",
        secrets_input().to_str().expect("utf-8"),
        out.to_str().expect("utf-8"),
        "--json",
    ]);
    assert!(output.status.success(), "{output:?}");
    let stats: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert!(
        stats["redactedNodes"].as_u64().unwrap_or(0) > 1000,
        "{stats}"
    );
    assert!(stats["segmentedTexts"].as_u64().unwrap_or(0) > 0, "{stats}");
    // `summary --json` of the copy equals the input's but for the allowed fields.
    let summary = |path: &Path| -> Value {
        let o = heapsight(&["summary", "--json", path.to_str().expect("utf-8")]);
        assert!(o.status.success(), "{o:?}");
        comparable_summary(serde_json::from_slice(&o.stdout).expect("JSON"))
    };
    assert_eq!(summary(&secrets_input()), summary(&out));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn allocation_function_names_are_kept() {
    // A string whose text is also a function name of `trace_function_infos` (allocation
    // tracking): the function keeps its name, the string node gets a token.
    let mut b = tiny();
    let function = b.node("string", "handleRequest", 19, 32);
    // The global is the first node tiny() adds after the root.
    b.prop(1, "f", function);
    let mut value = b.to_value();
    let strings = value["strings"].as_array().expect("strings").clone();
    let index = |text: &str| strings.iter().position(|s| s == text).expect("string");
    let (name, script) = (index("handleRequest"), index("Holder"));
    value["snapshot"]["trace_function_count"] = 1.into();
    value["trace_function_infos"] = serde_json::json!([1, name, script, 1, 1, 1]);
    // A trace tree of one node (the function's), as V8 writes with tracking on.
    value["trace_tree"] = serde_json::json!([1, 0, 0, 0, []]);
    let dir = util::scratch_dir("redact-alloc");
    let input = dir.join("alloc.heapsnapshot");
    std::fs::write(&input, serde_json::to_vec(&value).expect("json")).expect("write");
    let out = dir.join("out.heapsnapshot");
    assert_figures_kept(&input, &out);
    let after: Value = serde_json::from_slice(&raw_bytes(&out)).expect("JSON");
    let infos = after["trace_function_infos"].as_array().expect("infos");
    let text = |i: &Value| after["strings"][i.as_u64().expect("index") as usize].clone();
    assert_eq!(text(&infos[1]), "handleRequest");
    assert_eq!(text(&infos[2]), "Holder");
    let snap = util::load_path(&out);
    assert_ne!(snap.node_name(util::by_id(&snap, 19)), "handleRequest");
    std::fs::remove_dir_all(&dir).ok();
}

/// Redacts `input` to `out` with hashed names under `key` (None: a random key).
fn redact_hashed(input: &Path, out: &Path, key: Option<&str>) -> snapshot::RedactStats {
    let options = RedactOptions {
        hash_names: true,
        hash_key: key.map(str::to_owned),
        ..Default::default()
    };
    snapshot::redact(input, out, &options, &Progress::new())
        .unwrap_or_else(|e| panic!("redacting {}: {e}", input.display()))
}

/// The Summary rows' figures, names left out: a sorted multiset of
/// (count, shallow size, retained size, distance).
fn row_figures(snap: &Snapshot) -> Vec<(u32, u64, u64, i32)> {
    let mut rows: Vec<_> = snap
        .classes()
        .iter()
        .map(|c| {
            (
                c.count,
                c.shallow_size_bytes,
                c.retained_size_bytes,
                c.distance,
            )
        })
        .collect();
    rows.sort_unstable();
    rows
}

/// Totals, statistics, Summary rows (without names), the largest objects (ids and sizes)
/// and the duplicated strings (without texts) of `before` and `after` are equal.
fn assert_same_figures_without_names(before: &Snapshot, after: &Snapshot, what: &str) {
    let (b, a) = (summary_json(before), summary_json(after));
    assert_eq!(b["totals"], a["totals"], "{what}: totals");
    assert_eq!(b["statistics"], a["statistics"], "{what}: statistics");
    assert_eq!(
        b["summary"]["classCount"], a["summary"]["classCount"],
        "{what}: Summary row count"
    );
    assert_eq!(
        row_figures(before),
        row_figures(after),
        "{what}: Summary rows"
    );
    let top = |v: &Value| -> Vec<(u64, u64, u64, i64, u64)> {
        v["topNodes"]
            .as_array()
            .expect("topNodes")
            .iter()
            .map(|n| {
                (
                    n["id"].as_u64().unwrap_or_default(),
                    n["selfSize"].as_u64().unwrap_or_default(),
                    n["retainedSize"].as_u64().unwrap_or_default(),
                    n["distance"].as_i64().unwrap_or_default(),
                    n["retainerCount"].as_u64().unwrap_or_default(),
                )
            })
            .collect()
    };
    assert_eq!(top(&b), top(&a), "{what}: largest objects");
    assert_eq!(
        string_groups_without_text(before),
        string_groups_without_text(after),
        "{what}: duplicated strings"
    );
    assert_eq!(
        before.interfaces().len(),
        after.interfaces().len(),
        "{what}: {{a, b}} shapes"
    );
}

#[test]
fn hashed_names_keep_every_figure_and_hide_the_program_names() {
    let dir = util::scratch_dir("redact-hash-names");
    // The secrets fixture: its own property names.
    let out = dir.join("secrets.heapsnapshot.gz");
    let stats = redact_hashed(&secrets_input(), &out, None);
    assert!(stats.hashed_names > 100, "{stats:?}");
    let (before, after) = (util::load_path(&secrets_input()), util::load_path(&out));
    assert_same_figures_without_names(&before, &after, "secrets");
    let raw = raw_bytes(&out);
    for name in ["fromEnv", "sessions", "__keep"] {
        assert!(contains(&raw_bytes(&secrets_input()), name), "{name}");
        assert!(!contains(&raw, name), "{name:?} survived --hash-names");
    }
    for marker in MARKERS {
        assert!(!contains(&raw, marker), "{marker:?} survived redaction");
    }
    // What the analysis reads is kept.
    for kept in [
        "system / Context",
        "(GC roots)",
        "__proto__",
        "Object",
        "elements",
    ] {
        assert!(contains(&raw, kept), "{kept:?} was hashed");
    }
    // The cache scenario: its classes are gone, each row is still there.
    for stage in ["baseline", "final"] {
        let input = util::golden_input("cache", stage);
        let out = dir.join(format!("cache-{stage}.heapsnapshot"));
        redact_hashed(&input, &out, Some("shared secret"));
        let (before, after) = (util::load_path(&input), util::load_path(&out));
        assert_same_figures_without_names(&before, &after, stage);
        let raw = raw_bytes(&out);
        for class in ["CachedApiResponse", "RouteStatsEntry"] {
            assert!(contains(&raw_bytes(&input), class));
            assert!(!contains(&raw, class), "{class:?} survived --hash-names");
        }
        let has = |snap: &Snapshot, name: &str| snap.classes().iter().any(|c| c.name == name);
        assert_eq!(has(&before, "CachedApiResponse"), stage == "final");
        assert!(!has(&after, "CachedApiResponse"));
        for kept in [
            "Object",
            "Array",
            "(string)",
            "system / Context",
            "(closure)",
        ] {
            assert_eq!(has(&before, kept), has(&after, kept), "{kept}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn one_key_gives_comparable_copies_and_the_doctor_still_runs() {
    let dir = util::scratch_dir("redact-hash-key");
    let mut before = Vec::new();
    let mut after = Vec::new();
    for stage in ["baseline", "target", "final"] {
        let input = util::golden_input("cache", stage);
        let out = dir.join(format!("{stage}.heapsnapshot.gz"));
        redact_hashed(&input, &out, Some("shared secret"));
        before.push(util::load_path(&input));
        after.push(util::load_path(&out));
    }
    // The Comparison of the copies has the same rows (without names) as the originals'.
    let diff_rows = |base: &Snapshot, target: &Snapshot| {
        let mut rows: Vec<_> = snapshot::diff(base, target)
            .classes
            .iter()
            .map(|c| {
                (
                    c.added_count,
                    c.removed_count,
                    c.added_size_bytes,
                    c.removed_size_bytes,
                )
            })
            .collect();
        rows.sort_unstable();
        rows
    };
    assert_eq!(
        diff_rows(&before[0], &before[1]),
        diff_rows(&after[0], &after[1]),
        "Comparison rows"
    );
    // The leak doctor runs on the copies and finds as much.
    let (refs0, refs1): (Vec<&Snapshot>, Vec<&Snapshot>) =
        (before.iter().collect(), after.iter().collect());
    let (d0, d1) = (
        snapshot::doctor::diagnose(&refs0),
        snapshot::doctor::diagnose(&refs1),
    );
    assert!(!d0.findings.is_empty());
    assert_eq!(d0.findings.len(), d1.findings.len(), "doctor findings");
    let kinds = |d: &snapshot::doctor::Diagnosis| -> Vec<_> {
        d.findings.iter().map(|f| (f.kind, f.severity)).collect()
    };
    assert_eq!(kinds(&d0), kinds(&d1));
    // So does the three-snapshot method: the same candidates by count and size.
    let leak_figures = |v: &[Snapshot]| -> Vec<(bool, u32, u64, u64, usize)> {
        let mut rows: Vec<_> = snapshot::leak_candidates(&v[0], &v[1], &v[2])
            .iter()
            .map(|c| {
                (
                    c.builtin,
                    c.count,
                    c.shallow_size_bytes,
                    c.retained_size_bytes,
                    c.groups.len(),
                )
            })
            .collect();
        rows.sort_unstable();
        rows
    };
    assert_eq!(
        leak_figures(&before),
        leak_figures(&after),
        "leak candidates"
    );
    // Another key, other tokens; the same key, the same tokens.
    let other = dir.join("other.heapsnapshot");
    redact_hashed(
        &util::golden_input("cache", "final"),
        &other,
        Some("another"),
    );
    let other = util::load_path(&other);
    let names = |s: &Snapshot| -> std::collections::BTreeSet<String> {
        s.classes().iter().map(|c| c.name.clone()).collect()
    };
    assert_ne!(names(&other), names(&after[2]));
    let again = dir.join("again.heapsnapshot");
    redact_hashed(
        &util::golden_input("cache", "final"),
        &again,
        Some("shared secret"),
    );
    assert_eq!(names(&util::load_path(&again)), names(&after[2]));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn hashed_names_keep_weak_map_edges_and_shapes() {
    let mut b = SnapshotBuilder::new();
    let global = b.global(3, 100);
    let table = b.node("array", "(WeakMap table)", 5, 64);
    let key = b.node("object", "SessionKey", 7, 32);
    let value = b.node("object", "SessionData", 9, 48);
    let weak_map = b.node("object", "WeakMap", 11, 24);
    b.prop(global, "registry", weak_map);
    b.edge(weak_map, "internal", "table", table);
    b.prop(global, "currentKey", key);
    let pair =
        "1 / part of key (SessionKey @7) -> value (SessionData @9) pair in WeakMap (table @5)";
    b.edge(table, "internal", pair, value);
    b.edge(key, "internal", pair, value);
    // Plain objects with the same properties: one `{a, b}` shape.
    for i in 0..3 {
        let o = b.node("object", "Object", 21 + 2 * i, 40);
        let v = b.node("object", "SessionData", 41 + 2 * i, 16);
        b.prop(global, &format!("item{i}"), o);
        b.prop(o, "userName", v).prop(o, "x,y", v);
    }
    let dir = util::scratch_dir("redact-hash-weakmap");
    let input = dir.join("weak.heapsnapshot");
    std::fs::write(&input, b.to_bytes()).expect("write");
    let out = dir.join("out.heapsnapshot");
    redact_hashed(&input, &out, None);
    let (before, after) = (util::load_path(&input), util::load_path(&out));
    assert_same_figures_without_names(&before, &after, "weak map");
    // The value is retained by the key, not by the table, before and after.
    assert_eq!(util::dominator_id(&before, 9), 7);
    assert_eq!(util::dominator_id(&after, 9), 7);
    let raw = String::from_utf8(raw_bytes(&out)).expect("utf-8");
    for name in [
        "SessionKey",
        "SessionData",
        "userName",
        "currentKey",
        "registry",
    ] {
        assert!(!raw.contains(name), "{name:?} survived");
    }
    assert!(raw.contains("1 / part of key ("), "{raw}");
    // One shape before and after, with a name of the same length.
    let shape = |s: &Snapshot| -> Vec<String> {
        s.classes()
            .iter()
            .filter(|c| c.name.starts_with('{'))
            .map(|c| c.name.clone())
            .collect()
    };
    let (s0, s1) = (shape(&before), shape(&after));
    assert_eq!(s0, ["{userName, \"x,y\"}"]);
    assert_eq!(s1.len(), 1);
    assert_eq!(s1[0].chars().count(), s0[0].chars().count(), "{s1:?}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn cli_redact_hash_names() {
    let dir = util::scratch_dir("redact-hash-cli");
    let out = dir.join("copy.heapsnapshot");
    let input = util::golden_input("cache", "final");
    let output = heapsight(&[
        "redact",
        "--hash-names",
        "--json",
        input.to_str().expect("utf-8"),
        out.to_str().expect("utf-8"),
    ]);
    assert!(output.status.success(), "{output:?}");
    let stats: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert!(stats["hashedNames"].as_u64().unwrap_or(0) > 100, "{stats}");
    assert!(!contains(&raw_bytes(&out), "CachedApiResponse"));
    // --hash-key needs --hash-names.
    let output = heapsight(&[
        "redact",
        "--hash-key",
        "k",
        input.to_str().expect("utf-8"),
        out.to_str().expect("utf-8"),
    ]);
    assert!(!output.status.success());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn hashed_names_keep_the_figures_of_every_golden_and_chrome_fixture() {
    let dir = util::scratch_dir("redact-hash-goldens");
    let inputs = varied_inputs();
    for (i, input) in inputs.iter().enumerate() {
        let out = dir.join(format!("{i}.heapsnapshot"));
        let stats = redact_hashed(input, &out, None);
        assert!(stats.hashed_names > 0, "{}", input.display());
        let (before, after) = (util::load_path(input), util::load_path(&out));
        assert_same_figures_without_names(&before, &after, &input.display().to_string());
        // DOM names and detached nodes are kept.
        let detached = |s: &Snapshot| {
            (0..s.node_count() as u32)
                .filter(|&n| s.is_detached(snapshot::NodeIdx(n)))
                .count()
        };
        assert_eq!(detached(&before), detached(&after), "{}", input.display());
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// The final snapshot of every golden scenario, both Chrome pages, and a Node 24 snapshot
/// (six node fields, no trace_node_id).
fn varied_inputs() -> Vec<PathBuf> {
    let mut inputs: Vec<PathBuf> = SCENARIOS
        .iter()
        .map(|s| util::golden_input(s, "final"))
        .collect();
    inputs.push(util::fixture("chrome/page.heapsnapshot.gz"));
    inputs.push(util::fixture("chrome/page-leaked.heapsnapshot.gz"));
    inputs.push(util::fixture("doctor/node24-cache/final.heapsnapshot.gz"));
    inputs
}
