//! Malformed input: every broken file is a typed [`ErrorKind`] whose message names the
//! problem and (when loaded from a file) the file. Never a panic, never a hang.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use heapsight::snapshot::{self, Error, ErrorKind, Progress, Snapshot};
use rayon::prelude::*;
use serde_json::{Value, json};

use crate::util::{self, SnapshotBuilder, scratch_dir, within_secs};

/// A valid tiny snapshot to break: root -> global -> A -> B, with named edges.
fn tiny() -> SnapshotBuilder {
    let mut b = SnapshotBuilder::new();
    let g = b.global(3, 10);
    let a = b.node("object", "A", 5, 20);
    let bb = b.node("object", "B", 7, 30);
    b.prop(g, "a", a).prop(a, "b", bb);
    b
}

/// Writes `bytes` to a fresh file named `name` in this test's scratch directory.
fn write_file(test: &str, name: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch_dir(test).join(name);
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    path
}

/// Loads `bytes` from a file and returns the error (panics if it loads).
fn load_err(test: &str, name: &str, bytes: &[u8]) -> (PathBuf, Error) {
    let path = write_file(test, name, bytes);
    let err = match snapshot::load_path(&path, &Progress::new()) {
        Ok(snap) => panic!("{name} loaded ({} nodes) but must fail", snap.node_count()),
        Err(err) => err,
    };
    (path, err)
}

/// Checks that the error names the file (last, as the style guide asks) and contains
/// every phrase in `phrases`.
fn assert_message(path: &Path, err: &Error, phrases: &[&str]) {
    let message = err.to_string();
    let shown = path.display().to_string();
    assert!(
        message.ends_with(&format!(" in {shown}")),
        "the message must end with the file: {message}"
    );
    assert_eq!(err.path(), Some(path));
    for phrase in phrases {
        assert!(
            message.contains(phrase),
            "{phrase:?} missing from: {message}"
        );
    }
}

/// The snapshot of [`tiny`] as JSON, changed by `edit`, as bytes.
fn edited(edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v = tiny().to_value();
    edit(&mut v);
    serde_json::to_vec(&v).expect("serializable")
}

/// `v[key]` as a mutable array.
fn array<'a>(v: &'a mut Value, key: &str) -> &'a mut Vec<Value> {
    v[key].as_array_mut().expect("an array")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).expect("gzip in memory");
    enc.finish().expect("gzip in memory")
}

#[test]
fn the_tiny_snapshot_itself_loads() {
    // The baseline of every test below.
    let path = write_file("tiny_ok", "tiny.heapsnapshot", &tiny().to_bytes());
    let snap: Snapshot = util::load_path(&path);
    assert_eq!(snap.node_count(), 4);
    let gz = write_file("tiny_ok", "tiny.heapsnapshot.gz", &gzip(&tiny().to_bytes()));
    assert_eq!(util::load_path(&gz).edge_count(), 3);
}

#[test]
fn empty_file() {
    let (path, err) = load_err("empty", "empty.heapsnapshot", b"");
    assert!(matches!(err.kind(), ErrorKind::Empty), "{err:?}");
    assert_message(&path, &err, &["empty"]);
    // Only whitespace is no better.
    let (path, err) = load_err("empty", "blank.heapsnapshot", b" \n\t\n");
    assert!(
        matches!(err.kind(), ErrorKind::Empty | ErrorKind::Truncated { .. }),
        "{err:?}"
    );
    assert_message(&path, &err, &[]);
    // An empty gzip stream decompresses to nothing.
    let (path, err) = load_err("empty", "empty.heapsnapshot.gz", &gzip(b""));
    assert!(matches!(err.kind(), ErrorKind::Empty), "{err:?}");
    assert_message(&path, &err, &["empty"]);
}

#[test]
fn missing_file_names_the_path() {
    let path = scratch_dir("missing").join("no-such.heapsnapshot");
    let err = snapshot::load_path(&path, &Progress::new()).expect_err("no such file");
    assert!(matches!(err.kind(), ErrorKind::Io(_)), "{err:?}");
    assert_message(&path, &err, &["cannot read"]);
}

#[test]
fn not_json() {
    let (path, err) = load_err("not_json", "hello.heapsnapshot", b"hello");
    match err.kind() {
        ErrorKind::Json { offset, .. } => assert_eq!(*offset, 0),
        other => panic!("expected a JSON error, got {other:?}"),
    }
    assert_message(&path, &err, &["invalid JSON", "byte 0", "'h'"]);

    // Broken JSON deeper in: a letter inside the nodes array.
    let bytes = String::from_utf8(tiny().to_bytes())
        .expect("UTF-8")
        .replacen("\"nodes\":[9,", "\"nodes\":[9,x", 1);
    let (path, err) = load_err("not_json", "letter.heapsnapshot", bytes.as_bytes());
    let at = (bytes.find("[9,x").expect("the x") + 3) as u64;
    match err.kind() {
        ErrorKind::Json { offset, .. } => assert_eq!(*offset, at, "{err}"),
        other => panic!("expected a JSON error, got {other:?}"),
    }
    assert_message(&path, &err, &["invalid JSON", &format!("byte {at}")]);

    // Binary junk that is not gzip.
    let (path, err) = load_err("not_json", "junk.heapsnapshot", &[0u8, 1, 2, 3, 0xff]);
    assert!(matches!(err.kind(), ErrorKind::Json { .. }), "{err:?}");
    assert_message(&path, &err, &["invalid JSON"]);
}

#[test]
fn json_that_is_not_a_snapshot() {
    for (i, text) in [
        "[1,2]",
        "{\"a\":1}",
        "{}",
        "42",
        "\"snapshot\"",
        "{\"snapshot\":{}}",
        "{\"snapshot\":{\"meta\":{}},\"nodes\":[],\"edges\":[],\"strings\":[]}",
        "{\"snapshot\":[1]}",
    ]
    .into_iter()
    .enumerate()
    {
        let (path, err) = load_err("not_a_snapshot", &format!("{i}.json"), text.as_bytes());
        assert!(
            matches!(err.kind(), ErrorKind::NotASnapshot(_) | ErrorKind::Meta(_)),
            "{text}: {err:?}"
        );
        assert_message(&path, &err, &[]);
    }
    let (path, err) = load_err("not_a_snapshot", "array.json", b"[1,2]");
    assert!(matches!(err.kind(), ErrorKind::NotASnapshot(_)), "{err:?}");
    assert_message(&path, &err, &["not a V8 heap snapshot"]);
    let (path, err) = load_err("not_a_snapshot", "object.json", b"{\"a\":1}");
    assert!(matches!(err.kind(), ErrorKind::NotASnapshot(_)), "{err:?}");
    assert_message(&path, &err, &["not a V8 heap snapshot", "\"snapshot\""]);
    // A snapshot without one of the arrays.
    for key in ["nodes", "edges", "strings"] {
        let bytes = edited(|v| {
            v.as_object_mut().expect("object").remove(key);
        });
        let (path, err) = load_err("not_a_snapshot", &format!("no-{key}.json"), &bytes);
        assert!(matches!(err.kind(), ErrorKind::NotASnapshot(_)), "{err:?}");
        assert_message(&path, &err, &[&format!("\"{key}\"")]);
    }
}

#[test]
fn meta_that_disagrees_with_the_arrays() {
    let cases: Vec<(&str, Vec<u8>, &[&str])> = vec![
        (
            "node_count",
            edited(|v| v["snapshot"]["node_count"] = json!(5)),
            &["node_count 5", "4 nodes"],
        ),
        (
            "edge_count",
            edited(|v| v["snapshot"]["edge_count"] = json!(2)),
            &["edge_count 2", "3 edges"],
        ),
        (
            "nodes_not_a_multiple",
            edited(|v| array(v, "nodes").push(json!(0))),
            &["\"nodes\"", "multiple", "7"],
        ),
        (
            "edges_not_a_multiple",
            edited(|v| {
                array(v, "edges").pop();
            }),
            &["\"edges\"", "multiple", "3"],
        ),
        (
            "edge_count_sum",
            // Node A (index 2) claims 2 edges: the fields add up to 4, there are 3.
            edited(|v| array(v, "nodes")[2 * 7 + 4] = json!(2)),
            &["add up to 4", "3 edges"],
        ),
        (
            "no_type_field",
            edited(|v| {
                v["snapshot"]["meta"]["node_fields"][0] = json!("kind");
            }),
            &["\"type\""],
        ),
        (
            "no_node_count",
            edited(|v| {
                v["snapshot"]
                    .as_object_mut()
                    .expect("object")
                    .remove("node_count");
            }),
            &["node_count"],
        ),
    ];
    for (name, bytes, phrases) in cases {
        let (path, err) = load_err("meta", &format!("{name}.heapsnapshot"), &bytes);
        assert!(
            matches!(err.kind(), ErrorKind::Meta(_)),
            "{name}: expected a Meta error, got {err:?}"
        );
        assert_message(&path, &err, phrases);
        assert!(err.to_string().contains("metadata"), "{err}");
    }
}

#[test]
fn node_and_edge_indices_out_of_range() {
    let nodes = 4 * 7;
    let past_end = format!("node index {nodes}");
    let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
        (
            "to_node_past_the_end",
            edited(|v| array(v, "edges")[2] = json!(nodes)),
            vec!["edge 0", &past_end, "4 nodes"],
        ),
        (
            "to_node_far_past_the_end",
            edited(|v| array(v, "edges")[3 + 2] = json!(7_000_000)),
            vec!["edge 1", "7000000"],
        ),
        (
            "to_node_not_a_multiple",
            edited(|v| array(v, "edges")[2] = json!(8)),
            vec!["edge 0", "node index 8", "multiple"],
        ),
        (
            "node_name",
            edited(|v| array(v, "nodes")[7 + 1] = json!(99)),
            vec!["node 1", "@3", "string index 99"],
        ),
        (
            "edge_name",
            edited(|v| array(v, "edges")[3 + 1] = json!(1234)),
            vec!["edge 1", "string index 1234"],
        ),
        (
            "node_type",
            edited(|v| array(v, "nodes")[2 * 7] = json!(16)),
            vec!["node 2", "type 16"],
        ),
        (
            "edge_type",
            edited(|v| array(v, "edges")[3] = json!(7)),
            vec!["edge 1", "type 7"],
        ),
    ];
    for (name, bytes, phrases) in cases {
        let (path, err) = load_err("indices", &format!("{name}.heapsnapshot"), &bytes);
        assert!(
            matches!(err.kind(), ErrorKind::Graph(_)),
            "{name}: expected a Graph error, got {err:?}"
        );
        assert_message(&path, &err, &phrases);
    }
    // An element edge's name is an index, not a string: a big one is fine.
    let mut b = tiny();
    b.edge(1, "element", "4000000000", 2);
    assert_eq!(b.load().edge_count(), 4);
}

#[test]
fn numbers_that_are_not_u32() {
    let text = String::from_utf8(tiny().to_bytes()).expect("UTF-8");
    for (name, from, to) in [
        ("negative", "\"nodes\":[9,", "\"nodes\":[-9,"),
        ("fraction", "\"nodes\":[9,", "\"nodes\":[9.5,"),
        ("too_large", "\"nodes\":[9,", "\"nodes\":[4294967296,"),
    ] {
        let bytes = text.replacen(from, to, 1);
        let (path, err) = load_err("numbers", &format!("{name}.heapsnapshot"), bytes.as_bytes());
        assert!(
            matches!(err.kind(), ErrorKind::Json { .. }),
            "{name}: {err:?}"
        );
        assert_message(&path, &err, &["invalid JSON"]);
    }
}

#[test]
fn gzip_garbage() {
    // Valid gzip magic, then junk.
    let mut junk = vec![0x1f, 0x8b, 0x08, 0x00];
    junk.extend((0..500u32).map(|i| (i * 7919 % 251) as u8));
    let (path, err) = load_err("gzip", "junk.heapsnapshot.gz", &junk);
    assert!(matches!(err.kind(), ErrorKind::Gzip(_)), "{err:?}");
    assert_message(&path, &err, &["gzip"]);

    // A real snapshot's .gz cut in half, and cut just before its trailer.
    let gz = std::fs::read(util::golden_input("cache", "baseline")).expect("golden input");
    for (name, len) in [("half", gz.len() / 2), ("no_trailer", gz.len() - 4)] {
        let (path, err) = load_err("gzip", &format!("{name}.heapsnapshot.gz"), &gz[..len]);
        assert!(
            matches!(err.kind(), ErrorKind::Gzip(_)),
            "{name}: expected a gzip error, got {err:?}"
        );
        assert_message(&path, &err, &["gzip", "truncated"]);
    }

    // A valid gzip of something that is not a snapshot.
    let (path, err) = load_err("gzip", "hello.heapsnapshot.gz", &gzip(b"hello"));
    assert!(matches!(err.kind(), ErrorKind::Json { .. }), "{err:?}");
    assert_message(&path, &err, &["invalid JSON"]);
}

/// Offsets to cut the snapshot at: evenly spread, plus the start, the end and both sides of
/// every top-level key.
fn truncation_offsets(text: &[u8]) -> Vec<usize> {
    let len = text.len();
    let mut offsets: Vec<usize> = (0..120).map(|i| i * len / 120).collect();
    offsets.extend([1, 2, 10, 13, 100, 500, 1000, len - 1, len - 2, len - 10]);
    let find = |needle: &[u8]| {
        text.windows(needle.len())
            .position(|w| w == needle)
            .unwrap_or_else(|| panic!("{:?} not found", String::from_utf8_lossy(needle)))
    };
    for key in [
        &b"\"meta\""[..],
        b"\"node_count\"",
        b"\"nodes\"",
        b"\"edges\"",
        b"\"trace_function_infos\"",
        b"\"samples\"",
        b"\"locations\"",
        b"\"strings\"",
    ] {
        let at = find(key);
        offsets.extend([
            at - 1,
            at,
            at + 1,
            at + key.len(),
            at + key.len() + 1,
            at + key.len() + 2,
        ]);
        // A few more inside the section that follows.
        offsets.extend((1..=4).map(|k| (at + k * 997).min(len - 1)));
    }
    // Inside a string with an escape: cut right after the backslash.
    let strings = find(b"\"strings\"");
    if let Some(k) = text[strings..].iter().position(|&b| b == b'\\') {
        offsets.extend([strings + k, strings + k + 1, strings + k + 2]);
    }
    offsets.sort_unstable();
    offsets.dedup();
    offsets
}

#[test]
fn truncated_at_many_offsets() {
    let text = util::gunzip(&util::golden_input("cache", "baseline"));
    let offsets = truncation_offsets(&text);
    assert!(offsets.len() >= 200, "{} offsets", offsets.len());
    let text = Arc::new(text);
    let failures = within_secs(240, "truncated loads", move || {
        offsets
            .par_iter()
            .filter_map(|&cut| {
                let result = std::panic::catch_unwind(|| {
                    snapshot::load_bytes(&text[..cut], &Progress::new())
                });
                let problem = match result {
                    Err(_) => "panicked".to_owned(),
                    Ok(Ok(_)) => "loaded".to_owned(),
                    Ok(Err(err)) => {
                        let message = err.to_string();
                        match err.kind() {
                            ErrorKind::Empty if cut == 0 => return None,
                            ErrorKind::Truncated { offset, context }
                                if *offset <= cut as u64
                                    && !context.is_empty()
                                    && message.contains("truncated") =>
                            {
                                return None;
                            }
                            _ => format!("{err:?}: {message}"),
                        }
                    }
                };
                Some(format!("cut at {cut}: {problem}"))
            })
            .collect::<Vec<String>>()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn truncated_file_error_names_the_file_and_the_section() {
    let text = util::gunzip(&util::golden_input("cache", "baseline"));
    let edges = text
        .windows(8)
        .position(|w| w == b"\"edges\":")
        .expect("edges");
    let cut = edges + 1000;
    let (path, err) = load_err("truncated", "cut.heapsnapshot", &text[..cut]);
    assert!(matches!(err.kind(), ErrorKind::Truncated { .. }), "{err:?}");
    assert_message(
        &path,
        &err,
        &["truncated", "\"edges\"", &format!("byte {cut}")],
    );
    // The same through gzip (the offset is in the decompressed stream).
    let (path, err) = load_err("truncated", "cut.heapsnapshot.gz", &gzip(&text[..cut]));
    assert!(matches!(err.kind(), ErrorKind::Truncated { .. }), "{err:?}");
    assert_message(&path, &err, &["truncated", &format!("byte {cut}")]);
}

#[test]
fn cancelled_before_starting() {
    let progress = Progress::new();
    progress.cancel();
    let err = snapshot::load_bytes(&tiny().to_bytes(), &progress).expect_err("cancelled");
    assert!(err.is_cancelled(), "{err:?}");
    assert!(matches!(err.kind(), ErrorKind::Cancelled));
    assert!(err.to_string().contains("cancelled"), "{err}");
}

/// Cancels from another thread while the load is waiting for input: the snapshot is fed
/// through a named pipe, and `cancel()` is called before the rest of it is written, so
/// the loader cannot finish first.
#[cfg(unix)]
#[test]
fn cancel_from_another_thread() {
    let dir = scratch_dir("cancel");
    let fifo = dir.join("pipe.heapsnapshot");
    std::fs::remove_file(&fifo).ok();
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo failed");

    let progress = Arc::new(Progress::new());
    let loader = {
        let progress = Arc::clone(&progress);
        let fifo = fifo.clone();
        std::thread::Builder::new()
            .name("cancel-loader".into())
            .spawn(move || snapshot::load_path(&fifo, &progress).map(|s| s.node_count()))
            .expect("spawn")
    };
    let text = util::gunzip(&util::golden_input("cache", "baseline"));
    let mut pipe = std::fs::OpenOptions::new()
        .write(true)
        .open(&fifo)
        .expect("open the pipe");
    let half = text.len() / 2;
    pipe.write_all(&text[..half]).expect("write the first half");
    progress.cancel();
    // The loader may stop reading at any time now: ignore broken-pipe errors.
    pipe.write_all(&text[half..]).ok();
    drop(pipe);
    let result = within_secs(60, "cancelled load", move || loader.join());
    let err = result
        .expect("the loader does not panic")
        .expect_err("the load is cancelled");
    assert!(matches!(err.kind(), ErrorKind::Cancelled), "{err:?}");
    assert!(err.is_cancelled());
    assert_message(&fifo, &err, &["cancelled"]);
    std::fs::remove_file(&fifo).ok();
}

/// The tiny snapshot with a header claiming 2 billion nodes and 5 billion edges.
fn claims_to_be_huge() -> Vec<u8> {
    edited(|v| {
        v["snapshot"]["node_count"] = json!(2_000_000_000u64);
        v["snapshot"]["edge_count"] = json!(5_000_000_000u64);
    })
}

#[test]
fn too_big_for_the_memory_available_fails_before_allocating() {
    let path = write_file("too_big", "huge.heapsnapshot", &claims_to_be_huge());
    let options = snapshot::LoadOptions {
        available_memory_bytes: Some(1 << 30),
        ..snapshot::LoadOptions::default()
    };
    let started = std::time::Instant::now();
    let err = snapshot::load_path_with(&path, &options, &Progress::new()).expect_err("too big");
    assert!(
        started.elapsed() < std::time::Duration::from_millis(500),
        "the check must come before any work: {:?}",
        started.elapsed()
    );
    match err.kind() {
        ErrorKind::TooBig {
            needed_bytes,
            available_bytes,
            node_count,
            edge_count,
        } => {
            assert_eq!(*node_count, 2_000_000_000);
            assert_eq!(*edge_count, 5_000_000_000);
            assert_eq!(*available_bytes, 1 << 30);
            assert_eq!(
                *needed_bytes,
                snapshot::estimate_load_bytes(2_000_000_000, 5_000_000_000)
            );
        }
        other => panic!("expected TooBig, got {other:?}"),
    }
    assert_message(
        &path,
        &err,
        &[
            "needs about",
            "(2.0 G nodes, 5.0 G edges)",
            "only 1.0 GiB is available",
            "close other programs",
        ],
    );

    // A reader (a live capture) is checked the same way, and the error names its file.
    let err = snapshot::load_reader_with(
        std::io::Cursor::new(claims_to_be_huge()),
        Some(path.clone()),
        &options,
        &Progress::new(),
    )
    .expect_err("too big");
    assert!(matches!(err.kind(), ErrorKind::TooBig { .. }), "{err:?}");
    assert_message(&path, &err, &["needs about"]);

    // Without the check the header's counts are simply wrong.
    let unchecked = snapshot::LoadOptions {
        memory_check: false,
        ..options
    };
    let err =
        snapshot::load_path_with(&path, &unchecked, &Progress::new()).expect_err("wrong counts");
    assert!(matches!(err.kind(), ErrorKind::Meta(_)), "{err:?}");
}

#[test]
fn a_snapshot_that_fits_passes_the_memory_check() {
    let bytes = tiny().to_bytes();
    let needed = snapshot::estimate_load_bytes(4, 3);
    let with = |available: u64| snapshot::LoadOptions {
        available_memory_bytes: Some(available),
        ..snapshot::LoadOptions::default()
    };
    let load = |options: &snapshot::LoadOptions| {
        snapshot::load_reader_with(
            std::io::Cursor::new(bytes.clone()),
            None,
            options,
            &Progress::new(),
        )
    };
    assert_eq!(load(&with(needed)).expect("fits exactly").node_count(), 4);
    let err = load(&with(needed - 1)).expect_err("one byte short");
    assert!(matches!(err.kind(), ErrorKind::TooBig { .. }), "{err:?}");
    // The machine's own figure: a real fixture fits on any machine that runs the tests.
    let path = util::golden_input("cache", "final");
    assert!(snapshot::load_path(&path, &Progress::new()).is_ok());
    if cfg!(target_os = "linux") {
        assert!(snapshot::available_memory_bytes().is_some_and(|b| b > 0));
    }
}
