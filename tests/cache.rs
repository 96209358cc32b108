//! The persisted index: a snapshot reopened from its index answers exactly as the fresh
//! load, and a changed, corrupt, truncated or unwritable index only costs the speed-up.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use heapsight::snapshot::{self, CacheConfig, Progress, Snapshot, cache};
use serde_json::Value;

use crate::util::{self, SCENARIOS, scratch_dir};

/// Runs the binary with its cache folder in `cache_dir` (debug logs on stderr).
fn heapsight(cache_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_heapsight"))
        .args(args)
        .env("RUST_LOG", "heapsight=debug")
        .env("HEAPSIGHT_CACHE_DIR", cache_dir)
        .env_remove("HEAPSIGHT_NO_CACHE")
        .output()
        .expect("run heapsight")
}

/// Runs, requires success, returns (stdout, stderr).
fn heapsight_ok(cache_dir: &Path, args: &[&str]) -> (String, String) {
    let out = heapsight(cache_dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success() || out.status.code() == Some(1),
        "heapsight {args:?} failed ({}): {stderr}",
        out.status
    );
    (String::from_utf8(out.stdout).expect("UTF-8"), stderr)
}

fn opened_from_index(stderr: &str) -> usize {
    stderr.matches("opened the index").count()
}

fn index_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "hsidx"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Every command's output from indexes equals the fresh load's (which the golden tests
/// compare with the DevTools oracle), for every golden scenario.
#[test]
fn cached_outputs_equal_fresh_ones() {
    for scenario in SCENARIOS {
        let dir = scratch_dir(&format!("cache-equal-{scenario}"));
        let files: Vec<String> = ["baseline", "target", "final"]
            .iter()
            .map(|stage| util::golden_input(scenario, stage).display().to_string())
            .collect();
        let [b, t, f] = [&files[0], &files[1], &files[2]].map(String::as_str);
        let fresh_summary = heapsight_ok(&dir, &["summary", "--json", "--no-cache", f]).0;
        let summary: Value = serde_json::from_str(&fresh_summary).expect("JSON");
        let id = format!("@{}", summary["topNodes"][0]["id"]);
        let commands: Vec<Vec<&str>> = vec![
            vec!["summary", "--json", f],
            vec!["summary", f],
            vec!["node", "--json", f, &id],
            vec!["diff", "--json", b, t],
            vec!["leaks", "--json", b, t, f],
            vec!["doctor", "--json", b, t, f],
            vec!["strings", "--json", f],
        ];
        for args in &commands {
            let mut no_cache = args.clone();
            no_cache.insert(1, "--no-cache");
            let (fresh, _) = heapsight_ok(&dir, &no_cache);
            // The first run writes the indexes that the second one maps.
            heapsight_ok(&dir, args);
            let (cached, log) = heapsight_ok(&dir, args);
            assert!(opened_from_index(&log) > 0, "{scenario} {args:?}: {log}");
            // The text summary names its load time; compare the rest.
            let strip = |s: &str| -> String {
                s.lines()
                    .map(|l| l.split(", loaded in").next().unwrap_or(l))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            assert_eq!(strip(&fresh), strip(&cached), "{scenario} {args:?}");
        }
        assert_eq!(
            index_files(&dir).len(),
            3,
            "{scenario}: one index per snapshot"
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}

/// A plain (not gzip) copy of a golden snapshot in `dir`.
fn plain_copy(dir: &Path) -> PathBuf {
    let path = dir.join("final.heapsnapshot");
    std::fs::write(&path, util::gunzip(&util::golden_input("closure", "final")))
        .expect("write the copy");
    path
}

/// Loads through the cache and waits for the index to be written (if any).
fn load_and_store(path: &Path, config: &CacheConfig) -> Arc<Snapshot> {
    let snap =
        Arc::new(snapshot::load_path_cached(path, config, &Progress::new()).expect("a snapshot"));
    if let Some(writer) = cache::store_in_background(config, Arc::clone(&snap)) {
        writer.join().expect("the index writer");
    }
    snap
}

fn summary_json(snap: &Snapshot) -> String {
    snapshot::report::to_json_string(&snap.summary_report(20, 5))
}

#[test]
fn reopen_maps_the_index_and_answers_the_same() {
    let dir = scratch_dir("cache-reopen");
    let config = CacheConfig::in_dir(dir.join("cache"));
    let path = plain_copy(&dir);
    let fresh = load_and_store(&path, &config);
    assert!(!fresh.opened_from_index());
    assert_eq!(index_files(&dir.join("cache")).len(), 1);
    let cached = load_and_store(&path, &config);
    assert!(cached.opened_from_index());
    assert_eq!(summary_json(&fresh), summary_json(&cached));
    assert_eq!(fresh.node_count(), cached.node_count());
    assert_eq!(fresh.edge_count(), cached.edge_count());
    assert_eq!(fresh.strings().len(), cached.strings().len());
    for n in (0..fresh.node_count() as u32).map(snapshot::NodeIdx) {
        assert_eq!(fresh.node_name(n), cached.node_name(n));
        assert_eq!(fresh.class_name(n), cached.class_name(n));
        assert_eq!(fresh.self_size(n), cached.self_size(n));
        assert_eq!(fresh.distance(n), cached.distance(n));
        assert_eq!(fresh.retained_size(n), cached.retained_size(n));
        assert_eq!(fresh.location(n), cached.location(n));
        let edges = |s: &Snapshot| -> Vec<String> { s.edges(n).map(|e| s.edge_label(e)).collect() };
        assert_eq!(edges(&fresh), edges(&cached));
        assert!(fresh.retainers(n).eq(cached.retainers(n)));
        assert!(fresh.dominated(n).eq(cached.dominated(n)));
    }
    assert_eq!(fresh.interfaces(), cached.interfaces());
    std::fs::remove_dir_all(&dir).ok();
}

/// Element and hidden indexes too large to share a `u32` with the edge type (2^29 and up)
/// keep the edges' type and name columns apart: the fresh load and its index answer as
/// with small indexes.
#[test]
fn huge_element_indexes_load_and_reopen_exactly() {
    let mut b = util::SnapshotBuilder::new();
    let g = b.global(3, 10);
    let t = b.node("object", "T", 5, 20);
    let u = b.node("object", "U", 7, 30);
    b.prop(g, "name", t)
        .edge(g, "element", "536870911", t)
        .edge(g, "element", "536870912", u)
        .edge(g, "hidden", "4294967295", u)
        .edge(g, "weak", "w", u)
        .edge(t, "internal", "x", u);
    let labels = |s: &Snapshot| -> Vec<String> {
        (0..s.node_count() as u32)
            .map(snapshot::NodeIdx)
            .flat_map(|n| s.edges(n).map(|e| s.edge_label(e)))
            .collect()
    };
    let expected = [
        ".global",
        ".name",
        "[536870911]",
        "[536870912]",
        "{4294967295}",
        "[[w]]",
        "{x}",
    ];
    let fresh = b.load();
    assert_eq!(labels(&fresh), expected);
    let g_idx = util::by_id(&fresh, 3);
    assert_eq!(fresh.retained_size(g_idx), 60);
    assert_eq!(util::dominator_id(&fresh, 7), 3);

    let dir = scratch_dir("cache-huge-indexes");
    let config = CacheConfig::in_dir(dir.join("cache"));
    let path = dir.join("huge.heapsnapshot");
    std::fs::write(&path, b.to_bytes()).expect("write the snapshot");
    let stored = load_and_store(&path, &config);
    assert!(!stored.opened_from_index());
    let cached = load_and_store(&path, &config);
    assert!(cached.opened_from_index());
    assert_eq!(labels(&stored), expected);
    assert_eq!(labels(&cached), expected);
    assert_eq!(summary_json(&stored), summary_json(&cached));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_changed_file_is_never_read_from_its_old_index() {
    let dir = scratch_dir("cache-stale");
    let config = CacheConfig::in_dir(dir.join("cache"));
    let path = plain_copy(&dir);
    load_and_store(&path, &config);
    // Touched: same bytes, newer mtime.
    let file = std::fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
        .unwrap();
    drop(file);
    let touched = load_and_store(&path, &config);
    assert!(
        !touched.opened_from_index(),
        "a touched file is loaded afresh"
    );
    assert!(
        load_and_store(&path, &config).opened_from_index(),
        "and indexed again"
    );
    // Another size (a trailing newline keeps the JSON valid), same mtime.
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.push(b'\n');
    std::fs::write(&path, &bytes).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let resized = load_and_store(&path, &config);
    assert!(
        !resized.opened_from_index(),
        "a resized file is loaded afresh"
    );
    assert_eq!(resized.file_bytes(), bytes.len() as u64);
    assert!(load_and_store(&path, &config).opened_from_index());
    std::fs::remove_dir_all(&dir).ok();
}

/// Damages the one index in `cache_dir` with `damage`, then checks it is detected, the
/// snapshot loads afresh with the same answers, and a good index replaces it.
fn check_damage(name: &str, damage: impl Fn(&Path)) {
    let dir = scratch_dir(name);
    let config = CacheConfig::in_dir(dir.join("cache"));
    let path = plain_copy(&dir);
    let expected = summary_json(&load_and_store(&path, &config));
    let [index] = index_files(&dir.join("cache"))
        .try_into()
        .expect("read or write the index");
    damage(&index);
    let reloaded = load_and_store(&path, &config);
    assert!(
        !reloaded.opened_from_index(),
        "{name}: a damaged index is not used"
    );
    assert_eq!(summary_json(&reloaded), expected);
    let again = load_and_store(&path, &config);
    assert!(again.opened_from_index(), "{name}: the index was rebuilt");
    assert_eq!(summary_json(&again), expected);
    std::fs::remove_dir_all(&dir).ok();
}

fn flip_byte_at(path: &Path, at: impl Fn(usize) -> usize) {
    let mut bytes = std::fs::read(path).expect("read or write the index");
    let i = at(bytes.len());
    bytes[i] ^= 0x40;
    std::fs::write(path, bytes).expect("read or write the index");
}

/// The byte range of section `name` in an index (read from its header, see the format in
/// `snapshot::cache`'s docs).
fn section_range(path: &Path, name: &str) -> std::ops::Range<usize> {
    let bytes = std::fs::read(path).expect("read or write the index");
    let header_len =
        u64::from_ne_bytes(bytes[16..24].try_into().expect("read or write the index")) as usize;
    let header: Value =
        serde_json::from_slice(&bytes[40..40 + header_len]).expect("read or write the index");
    let data_start = (40 + header_len).div_ceil(64) * 64;
    let section = header["sections"]
        .as_array()
        .expect("a section table")
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no section {name}"));
    let start = data_start + section["offset"].as_u64().expect("read or write the index") as usize;
    start
        ..start
            + section["len_bytes"]
                .as_u64()
                .expect("read or write the index") as usize
}

#[test]
fn a_flipped_byte_in_a_section_is_detected() {
    for name in ["small", "strings.text", "edge_to", "retained", "by_id"] {
        check_damage(&format!("cache-corrupt-{name}"), |p| {
            let range = section_range(p, name);
            assert!(!range.is_empty(), "{name}");
            flip_byte_at(p, |_| range.start + range.len() / 2);
        });
    }
}

#[test]
fn a_flipped_byte_in_the_header_is_detected() {
    check_damage("cache-corrupt-header", |p| flip_byte_at(p, |_| 60));
    check_damage("cache-corrupt-magic", |p| flip_byte_at(p, |_| 0));
}

#[test]
fn a_truncated_or_extended_index_is_detected() {
    let truncate = |keep: fn(u64) -> u64| {
        move |p: &Path| {
            let f = std::fs::File::options().write(true).open(p).unwrap();
            let len = f.metadata().unwrap().len();
            f.set_len(keep(len)).unwrap();
        }
    };
    check_damage("cache-truncated", truncate(|len| len - 4096));
    check_damage("cache-truncated-header", truncate(|_| 20));
    check_damage("cache-empty", truncate(|_| 0));
    check_damage("cache-extended", truncate(|len| len + 64));
}

#[test]
fn an_unwritable_cache_folder_costs_only_the_speed_up() {
    // Root ignores permission bits, so the "folder" is a file: nothing can be created in it.
    let dir = scratch_dir("cache-unwritable");
    let blocked = dir.join("not-a-folder");
    std::fs::write(&blocked, b"x").unwrap();
    let config = CacheConfig::in_dir(&blocked);
    let path = plain_copy(&dir);
    let expected = summary_json(&util::load_path(&path));
    for _ in 0..2 {
        let snap = load_and_store(&path, &config);
        assert!(!snap.opened_from_index());
        assert_eq!(summary_json(&snap), expected);
    }
    assert_eq!(std::fs::read(&blocked).unwrap(), b"x");
    // Through the CLI as well.
    let out = Command::new(env!("CARGO_BIN_EXE_heapsight"))
        .args(["summary", "--json"])
        .arg(&path)
        .env("HEAPSIGHT_CACHE_DIR", &blocked)
        .env_remove("HEAPSIGHT_NO_CACHE")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn no_cache_flag_and_env_write_nothing() {
    let dir = scratch_dir("cache-off");
    let cache_dir = dir.join("cache");
    let path = plain_copy(&dir);
    let file = path.display().to_string();
    heapsight_ok(&cache_dir, &["summary", "--json", "--no-cache", &file]);
    assert!(
        index_files(&cache_dir).is_empty(),
        "--no-cache writes nothing"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_heapsight"))
        .args(["summary", "--json", &file])
        .env("HEAPSIGHT_CACHE_DIR", &cache_dir)
        .env("HEAPSIGHT_NO_CACHE", "1")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        index_files(&cache_dir).is_empty(),
        "HEAPSIGHT_NO_CACHE=1 writes nothing"
    );
    // And neither reads: with an index present, --no-cache parses the file.
    let (_, log) = heapsight_ok(&cache_dir, &["summary", "--json", &file]);
    assert_eq!(opened_from_index(&log), 0);
    assert_eq!(index_files(&cache_dir).len(), 1);
    let (_, log) = heapsight_ok(&cache_dir, &["summary", "--json", "--no-cache", &file]);
    assert_eq!(opened_from_index(&log), 0);
    let (_, log) = heapsight_ok(&cache_dir, &["summary", "--json", &file]);
    assert_eq!(opened_from_index(&log), 1);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_size_cap_evicts_the_oldest_index() {
    let dir = scratch_dir("cache-cap");
    let cache_dir = dir.join("cache");
    let inputs: Vec<PathBuf> = ["baseline", "target", "final"]
        .iter()
        .map(|stage| {
            let path = dir.join(format!("{stage}.heapsnapshot"));
            std::fs::write(&path, util::gunzip(&util::golden_input("closure", stage))).unwrap();
            path
        })
        .collect();
    let unlimited = CacheConfig::in_dir(&cache_dir);
    load_and_store(&inputs[0], &unlimited);
    let [first] = index_files(&cache_dir).try_into().unwrap();
    let one = std::fs::metadata(&first).unwrap().len();
    // Room for two indexes of this size: the third write evicts the oldest.
    let capped = CacheConfig::in_dir(&cache_dir).with_max_bytes(one * 5 / 2);
    std::thread::sleep(std::time::Duration::from_millis(20));
    load_and_store(&inputs[1], &capped);
    std::thread::sleep(std::time::Duration::from_millis(20));
    load_and_store(&inputs[2], &capped);
    let left = index_files(&cache_dir);
    assert_eq!(left.len(), 2);
    assert!(!left.contains(&first), "the oldest index was evicted");
    assert!(load_and_store(&inputs[2], &capped).opened_from_index());
    assert!(!load_and_store(&inputs[0], &capped).opened_from_index());
    // An index larger than the cap is not written at all.
    let tiny = CacheConfig::in_dir(dir.join("tiny")).with_max_bytes(1000);
    load_and_store(&inputs[0], &tiny);
    assert!(index_files(&dir.join("tiny")).is_empty());
    std::fs::remove_dir_all(&dir).ok();
}

/// Self sizes and distances the 2-byte codes cannot hold (sizes from 65 535 up, owned
/// arrays re-attributed past it, depths past 32 767, system depths past base + 32 765)
/// read exactly, from the fresh load and from the reopened index.
#[test]
fn sizes_and_distances_past_the_2_byte_codes_survive_the_index() {
    const USER_CHAIN: u32 = 33_000;
    const SYSTEM_CHAIN: u32 = 32_800;
    let user_size = |k: u32| match k {
        5 => 4_000_000_000,
        7 => 65_535,
        8 => 65_534,
        _ if k.is_multiple_of(1000) => 70_000 + k,
        _ => k % 7 + 1,
    };
    let mut b = util::SnapshotBuilder::new();
    let mut id = 1;
    let mut next_id = || {
        id += 2;
        id
    };
    let global = b.global(next_id(), 10);
    // Owned arrays hand their size to their owners: 10 + 60 000, and 1 + 65 534 = 65 535.
    let holder = b.node("object", "Holder", next_id(), 10);
    let elements = b.node("array", "(object elements)", next_id(), 60_000);
    let small_holder = b.node("object", "Holder", next_id(), 1);
    let small_elements = b.node("array", "(object elements)", next_id(), 65_534);
    b.prop(global, "holder", holder)
        .prop(global, "small", small_holder)
        .edge(holder, "internal", "elements", elements)
        .edge(small_holder, "internal", "elements", small_elements);
    let mut user = Vec::new();
    let mut from = global;
    for k in 0..USER_CHAIN {
        let n = b.node("object", "Link", next_id(), user_size(k));
        b.prop(from, "next", n);
        user.push(n);
        from = n;
    }
    let roots = b.gc_roots(next_id());
    let mut system = Vec::new();
    let mut from = roots;
    for _ in 0..SYSTEM_CHAIN {
        let n = b.node("object", "SystemLink", next_id(), 3);
        b.prop(from, "next", n);
        system.push(n);
        from = n;
    }
    let lost = b.node("object", "Lost", next_id(), 70_000);
    let dir = scratch_dir("cache-narrow");
    let config = CacheConfig::in_dir(dir.join("cache"));
    let path = dir.join("narrow.heapsnapshot");
    std::fs::write(&path, b.to_bytes()).expect("write the snapshot");
    let fresh = load_and_store(&path, &config);
    let cached = load_and_store(&path, &config);
    assert!(!fresh.opened_from_index());
    assert!(cached.opened_from_index());
    let user_total: u64 = (0..USER_CHAIN).map(|k| u64::from(user_size(k))).sum();
    for snap in [&fresh, &cached] {
        let node = |n: usize| snapshot::NodeIdx(n as u32);
        assert_eq!(snap.self_size(node(holder)), 60_010);
        assert_eq!(snap.self_size(node(small_holder)), 65_535);
        assert_eq!(snap.self_size(node(elements)), 0);
        assert_eq!(snap.self_size(node(lost)), 70_000);
        assert_eq!(snap.distance(node(lost)), snapshot::NO_DISTANCE);
        assert_eq!(snap.distance(node(holder)), 2);
        let mut retained = user_total;
        for (k, &n) in user.iter().enumerate() {
            let k = k as u32;
            assert_eq!(snap.self_size(node(n)), u64::from(user_size(k)), "link {k}");
            assert_eq!(snap.distance(node(n)), k as i32 + 2, "link {k}");
            assert_eq!(snap.retained_size(node(n)), retained, "link {k}");
            retained -= u64::from(user_size(k));
        }
        for (k, &n) in system.iter().enumerate() {
            // The root is at the base, `(GC roots)` one below it.
            let expected = snapshot::BASE_SYSTEM_DISTANCE + k as i32 + 2;
            assert_eq!(snap.distance(node(n)), expected, "system link {k}");
        }
        let link = snap
            .classes()
            .iter()
            .find(|c| c.name == "Link")
            .expect("a Link row");
        assert_eq!(
            (link.count, link.shallow_size_bytes),
            (USER_CHAIN, user_total)
        );
        assert_eq!(link.distance, 2);
        assert_eq!(
            snap.total_shallow_size(),
            user_total + 60_010 + 65_535 + 10 + 70_000 + 3 * u64::from(SYSTEM_CHAIN)
        );
    }
    assert_eq!(summary_json(&fresh), summary_json(&cached));
    std::fs::remove_dir_all(&dir).ok();
}
