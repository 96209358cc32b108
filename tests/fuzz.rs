//! A deterministic, seedable mutational fuzzer for the loader and every analysis the app and
//! the CLI run, on the stable toolchain (CI has no nightly, so no cargo-fuzz there).
//!
//! Inputs are real snapshots from `tests/fixtures` (decompressed in memory), whole or cut
//! down to a few hundred nodes (a breadth-first piece of the real graph with the real meta,
//! names and allocation traces, so a case loads in milliseconds), then mutated:
//! structure-aware (header counts, meta field lists and type tables, numbers in every
//! array, `to_node`, string indexes, edge counts, duplicate ids, cycles, missing roots,
//! swapped sections, unicode escapes, deep nesting, allocation traces) and byte-wise (flip,
//! insert, delete, duplicate, truncate). Each case loads through [`snapshot::load_reader`]
//! (sometimes [`snapshot::load_bytes`], plain or gzip) on its own thread and, if it loads,
//! runs the summary report, node reports, retaining paths, a diff against itself and against
//! its unmutated source, leak candidates, the doctor, duplicated strings, search and the
//! allocation view, then checks invariants (retained ≥ self, retained = self + Σ dominated,
//! counts agree). A panic, a case over [`CASE_LIMIT_SECS`] or a broken invariant fails the
//! test, printing the case seed; the input is saved for a regression fixture.
//!
//! Environment:
//! - `HEAPSIGHT_FUZZ_SECS`: how long to fuzz (default 60; `scripts/fuzz.sh` runs longer).
//! - `HEAPSIGHT_FUZZ_SEED`: the run's seed (default 1). Case `i` of a run is derived from the
//!   seed and `i` only, so the same seed replays the same cases.
//! - `HEAPSIGHT_FUZZ_CASES`: stop after this many cases (a fixed amount of work).
//! - `HEAPSIGHT_FUZZ_CASE`: replay one case seed (as printed for a failure) and stop.
//! - `HEAPSIGHT_FUZZ_OUT`: where failing inputs are saved (default: the target's tmp dir).
//!
//! Regression inputs the fuzzer found live in `tests/fixtures/fuzz/`;
//! [`regression_fixtures_load_or_fail_cleanly`] runs every one of them through the same checks.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use heapsight::snapshot::{
    self, NodeIdx, PathLimits, Progress, RetainerView, SearchQuery, SearchScope, Snapshot, report,
};
use serde_json::{Value, json};

use crate::util;

/// A case that takes longer than this (load plus analyses, debug build) is a hang.
const CASE_LIMIT_SECS: u64 = 10;

/// Real snapshots the fuzzer starts from (small ones: a few MB decompressed each).
const SEED_FILES: [&str; 8] = [
    "goldens/closure/baseline.heapsnapshot.gz",
    "goldens/emitter/target.heapsnapshot.gz",
    "goldens/all/final.heapsnapshot.gz",
    "doctor/timeout-rearm/baseline.heapsnapshot.gz",
    "doctor/listeners-single/final.heapsnapshot.gz",
    "allocation/node20/leak.heapsnapshot.gz",
    "allocation/node26/leak.heapsnapshot.gz",
    "chrome/page.heapsnapshot.gz",
];

/// Node counts of the cut-down seeds.
const CUT_SIZES: [usize; 5] = [3, 25, 120, 600, 2500];

// ---------------------------------------------------------------------------------------
// Randomness: SplitMix64, so a seed means the same cases on every machine.

/// A small deterministic generator.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// True with probability `1 / n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The seed of case `index` of a run seeded with `run_seed`.
fn case_seed(run_seed: u64, index: u64) -> u64 {
    let mut r = Rng::new(run_seed.wrapping_mul(0x1000_0000_01B3) ^ index);
    r.next_u64()
}

// ---------------------------------------------------------------------------------------
// Seeds: real snapshots, whole and cut down.

/// A decompressed fixture and its parsed JSON.
struct Seed {
    name: &'static str,
    bytes: Vec<u8>,
    value: Value,
}

fn seeds() -> &'static [Seed] {
    static SEEDS: OnceLock<Vec<Seed>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        SEED_FILES
            .iter()
            .map(|name| {
                let bytes = util::gunzip(&util::fixture(name));
                let value = serde_json::from_slice(&bytes)
                    .unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
                Seed { name, bytes, value }
            })
            .collect()
    })
}

/// A cut-down seed as JSON, and the snapshot it loads as (the reference a mutated copy is
/// compared with).
struct Cut {
    value: Value,
    snapshot: Option<Arc<Snapshot>>,
}

/// The seed `seed` cut to `size` nodes, variant `variant` (memoized; a pure function of its
/// arguments, so the cases stay deterministic).
fn cut(seed: usize, size: usize, variant: u64) -> Arc<Cut> {
    type Cache = Mutex<HashMap<(usize, usize, u64), Arc<Cut>>>;
    static CUTS: OnceLock<Cache> = OnceLock::new();
    let cache = CUTS.get_or_init(Cache::default);
    if let Some(c) = cache.lock().expect("cache").get(&(seed, size, variant)) {
        return c.clone();
    }
    let value = cut_down(&seeds()[seed].value, size, variant);
    let bytes = serde_json::to_vec(&value).expect("serializable");
    let snapshot = snapshot::load_bytes(&bytes, &Progress::new())
        .ok()
        .map(Arc::new);
    let c = Arc::new(Cut { value, snapshot });
    cache
        .lock()
        .expect("cache")
        .insert((seed, size, variant), c.clone());
    c
}

fn as_u64s(v: &Value) -> Vec<u64> {
    v.as_array()
        .map(|a| a.iter().map(|x| x.as_u64().unwrap_or(0)).collect())
        .unwrap_or_default()
}

fn field_pos(meta: &Value, list: &str, name: &str) -> Option<usize> {
    meta[list]
        .as_array()?
        .iter()
        .position(|f| f.as_str() == Some(name))
}

/// A breadth-first piece of a real snapshot: the root and the first `max_nodes` nodes it
/// reaches (edges visited in an order shuffled by `variant`), their edges among
/// themselves, the strings they use, their locations, and the allocation traces.
pub fn cut_down(full: &Value, max_nodes: usize, variant: u64) -> Value {
    let meta = &full["snapshot"]["meta"];
    let nf = meta["node_fields"].as_array().map_or(0, Vec::len);
    let ef = meta["edge_fields"].as_array().map_or(0, Vec::len);
    let f = |list: &str, name: &str| field_pos(meta, list, name).expect("a real snapshot");
    let (n_name, n_edges) = (f("node_fields", "name"), f("node_fields", "edge_count"));
    let (e_type, e_name, e_to) = (
        f("edge_fields", "type"),
        f("edge_fields", "name_or_index"),
        f("edge_fields", "to_node"),
    );
    let edge_types: Vec<&str> = meta["edge_types"][e_type]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let numeric_name = |t: u64| matches!(edge_types.get(t as usize), Some(&("element" | "hidden")));
    let nodes = as_u64s(&full["nodes"]);
    let edges = as_u64s(&full["edges"]);
    let node_count = nodes.len() / nf;
    let mut first_edge = vec![0usize; node_count + 1];
    for n in 0..node_count {
        first_edge[n + 1] = first_edge[n] + nodes[n * nf + n_edges] as usize;
    }
    // Breadth-first from the root.
    let mut rng = Rng::new(variant);
    let mut new_of = vec![u32::MAX; node_count];
    let mut order = vec![0usize];
    new_of[0] = 0;
    let mut head = 0;
    while head < order.len() && order.len() < max_nodes {
        let n = order[head];
        head += 1;
        let mut targets: Vec<usize> = (first_edge[n]..first_edge[n + 1])
            .map(|e| edges[e * ef + e_to] as usize / nf)
            .collect();
        if variant > 0 {
            for i in (1..targets.len()).rev() {
                targets.swap(i, rng.below(i + 1));
            }
        }
        for t in targets {
            if t < node_count && new_of[t] == u32::MAX && order.len() < max_nodes {
                new_of[t] = order.len() as u32;
                order.push(t);
            }
        }
    }
    // Strings in use, renumbered in order of first use.
    let strings = full["strings"].as_array().cloned().unwrap_or_default();
    let mut new_string: HashMap<u64, u64> = HashMap::new();
    let mut kept_strings: Vec<Value> = Vec::new();
    let mut string = |s: u64| -> u64 {
        *new_string.entry(s).or_insert_with(|| {
            kept_strings.push(strings.get(s as usize).cloned().unwrap_or(json!("")));
            kept_strings.len() as u64 - 1
        })
    };
    let mut new_nodes = Vec::with_capacity(order.len() * nf);
    let mut new_edges = Vec::new();
    for &n in &order {
        let mut record = nodes[n * nf..(n + 1) * nf].to_vec();
        record[n_name] = string(record[n_name]);
        let mut kept = 0;
        for e in first_edge[n]..first_edge[n + 1] {
            let mut edge = edges[e * ef..(e + 1) * ef].to_vec();
            let to = edge[e_to] as usize / nf;
            if to >= node_count || new_of[to] == u32::MAX {
                continue;
            }
            edge[e_to] = u64::from(new_of[to]) * nf as u64;
            if !numeric_name(edge[e_type]) {
                edge[e_name] = string(edge[e_name]);
            }
            new_edges.extend(edge);
            kept += 1;
        }
        record[n_edges] = kept;
        new_nodes.extend(record);
    }
    // Locations of the kept nodes.
    let mut locations = Vec::new();
    let lf = meta["location_fields"].as_array().map_or(0, Vec::len);
    if let Some(o) = field_pos(meta, "location_fields", "object_index") {
        for rec in as_u64s(&full["locations"]).chunks_exact(lf) {
            let n = rec[o] as usize / nf;
            if n < node_count && new_of[n] != u32::MAX {
                let mut rec = rec.to_vec();
                rec[o] = u64::from(new_of[n]) * nf as u64;
                locations.extend(rec);
            }
        }
    }
    // Allocation traces: the function names are string indexes too.
    let mut infos = as_u64s(&full["trace_function_infos"]);
    let tf = meta["trace_function_info_fields"]
        .as_array()
        .map_or(0, Vec::len);
    if tf > 0 {
        let name = field_pos(meta, "trace_function_info_fields", "name");
        let script = field_pos(meta, "trace_function_info_fields", "script_name");
        for rec in infos.chunks_exact_mut(tf) {
            for o in [name, script].into_iter().flatten() {
                rec[o] = string(rec[o]);
            }
        }
    }
    let mut out = full.clone();
    let Value::Object(map) = &mut out else {
        unreachable!("a snapshot is an object")
    };
    map["snapshot"]["node_count"] = json!(order.len());
    map["snapshot"]["edge_count"] = json!(new_edges.len() / ef);
    map["nodes"] = json!(new_nodes);
    map["edges"] = json!(new_edges);
    map["locations"] = json!(locations);
    map["trace_function_infos"] = json!(infos);
    map["strings"] = Value::Array(kept_strings);
    out
}

// ---------------------------------------------------------------------------------------
// Mutations.

/// Numbers that break things: boundaries, huge, negative, fractional.
fn interesting_number(rng: &mut Rng, near: u64) -> Value {
    match rng.below(16) {
        0 => json!(0),
        1 => json!(1),
        2 => json!(u32::MAX),
        3 => json!(u64::from(u32::MAX) + 1),
        4 => json!(u32::MAX - 1),
        5 => json!(i32::MAX),
        6 => json!(-1),
        7 => json!(0.5),
        8 => json!(1e300),
        9 => json!(u64::MAX),
        10 => json!(near.saturating_add(1)),
        11 => json!(near.saturating_sub(1)),
        12 => json!(near.saturating_mul(2)),
        13 => json!(1u64 << 53),
        14 => json!(rng.below(1 << 20)),
        _ => json!(2_000_000_000u64),
    }
}

/// Values of the wrong kind.
fn odd_value(rng: &mut Rng) -> Value {
    match rng.below(8) {
        0 => Value::Null,
        1 => json!("12"),
        2 => json!([]),
        3 => json!({}),
        4 => json!(true),
        5 => json!([[1, 2], [3]]),
        6 => json!(-0.0),
        _ => json!("\u{0}\u{ffff}"),
    }
}

/// Sets `v[path[0]][path[1]]…` when every step is an object (no-op otherwise).
fn set_path(v: &mut Value, path: &[&str], x: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = v;
    for key in parents {
        match cur.get_mut(*key) {
            Some(next) => cur = next,
            None => return,
        }
    }
    if let Some(obj) = cur.as_object_mut() {
        obj.insert((*last).to_owned(), x);
    }
}

fn array_mut<'a>(v: &'a mut Value, key: &str) -> Option<&'a mut Vec<Value>> {
    v.get_mut(key)?.as_array_mut()
}

/// Field count and offsets of the (possibly already mutated) meta, if still readable.
struct Layout {
    nf: usize,
    ef: usize,
    n_type: Option<usize>,
    n_name: Option<usize>,
    n_id: Option<usize>,
    n_size: Option<usize>,
    n_edges: Option<usize>,
    n_trace: Option<usize>,
    e_type: Option<usize>,
    e_name: Option<usize>,
    e_to: Option<usize>,
    node_types: usize,
    edge_types: Vec<String>,
    strings: usize,
}

impl Layout {
    fn of(v: &Value) -> Self {
        let meta = &v["snapshot"]["meta"];
        let len = |k: &str| meta[k].as_array().map_or(0, Vec::len);
        let nf = len("node_fields").max(1);
        let ef = len("edge_fields").max(1);
        let n_type = field_pos(meta, "node_fields", "type");
        let e_type = field_pos(meta, "edge_fields", "type");
        Self {
            nf,
            ef,
            n_type,
            n_name: field_pos(meta, "node_fields", "name"),
            n_id: field_pos(meta, "node_fields", "id"),
            n_size: field_pos(meta, "node_fields", "self_size"),
            n_edges: field_pos(meta, "node_fields", "edge_count"),
            n_trace: field_pos(meta, "node_fields", "trace_node_id"),
            e_type,
            e_name: field_pos(meta, "edge_fields", "name_or_index"),
            e_to: field_pos(meta, "edge_fields", "to_node"),
            node_types: n_type
                .and_then(|t| meta["node_types"][t].as_array())
                .map_or(0, Vec::len),
            edge_types: e_type
                .and_then(|t| meta["edge_types"][t].as_array())
                .map(|a| {
                    a.iter()
                        .map(|x| x.as_str().unwrap_or("").to_owned())
                        .collect()
                })
                .unwrap_or_default(),
            strings: v["strings"].as_array().map_or(0, Vec::len),
        }
    }

    fn node_count(&self, v: &Value) -> usize {
        v["nodes"].as_array().map_or(0, Vec::len) / self.nf
    }

    fn edge_count(&self, v: &Value) -> usize {
        v["edges"].as_array().map_or(0, Vec::len) / self.ef
    }
}

/// Sets field `field` of record `i` of array `key` (no-op when out of range).
fn set_field(v: &mut Value, key: &str, width: usize, i: usize, field: Option<usize>, x: Value) {
    if let (Some(f), Some(a)) = (field, array_mut(v, key))
        && let Some(slot) = a.get_mut(i * width + f)
    {
        *slot = x;
    }
}

fn get_field(v: &Value, key: &str, width: usize, i: usize, field: Option<usize>) -> u64 {
    field
        .and_then(|f| v[key].get(i * width + f))
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

/// Makes the header counts agree with the arrays again (so deeper checks are reached).
fn fix_counts(v: &mut Value) {
    let l = Layout::of(v);
    let (nodes, edges) = (l.node_count(v), l.edge_count(v));
    if let Some(h) = v.get_mut("snapshot").and_then(Value::as_object_mut) {
        h.insert("node_count".into(), json!(nodes));
        h.insert("edge_count".into(), json!(edges));
    }
}

/// Inserts an edge `from -> to` (ordinals) of type `edge_type` named `name`, keeping the
/// edge counts consistent.
fn insert_edge(v: &mut Value, from: usize, to: u64, edge_type: u64, name: u64) {
    let l = Layout::of(v);
    let (Some(n_edges), Some(e_type), Some(e_name), Some(e_to)) =
        (l.n_edges, l.e_type, l.e_name, l.e_to)
    else {
        return;
    };
    let node_count = l.node_count(v);
    if from >= node_count {
        return;
    }
    let before: u64 = (0..from)
        .map(|n| get_field(v, "nodes", l.nf, n, Some(n_edges)))
        .fold(0u64, u64::saturating_add);
    let mut record = vec![json!(0); l.ef];
    record[e_type] = json!(edge_type);
    record[e_name] = json!(name);
    record[e_to] = json!(to);
    let count = get_field(v, "nodes", l.nf, from, Some(n_edges));
    set_field(
        v,
        "nodes",
        l.nf,
        from,
        Some(n_edges),
        json!(count.saturating_add(1)),
    );
    if let Some(edges) = array_mut(v, "edges") {
        let at = usize::try_from(before)
            .unwrap_or(usize::MAX)
            .saturating_mul(l.ef)
            .min(edges.len());
        edges.splice(at..at, record);
    }
    fix_counts(v);
}

/// One structure-aware mutation of a snapshot's JSON.
fn mutate_value(v: &mut Value, rng: &mut Rng) {
    let l = Layout::of(v);
    let nodes = l.node_count(v).max(1);
    let edges = l.edge_count(v);
    let any_node = |rng: &mut Rng| rng.below(nodes);
    let type_of = |name: &str| l.edge_types.iter().position(|t| t == name).unwrap_or(0) as u64;
    match rng.below(34) {
        // Header counts.
        0 => {
            let key = *rng.pick(&["node_count", "edge_count", "trace_function_count"]);
            let near = v["snapshot"][key].as_u64().unwrap_or(0);
            let x = if rng.one_in(5) {
                odd_value(rng)
            } else {
                interesting_number(rng, near)
            };
            set_path(v, &["snapshot", key], x);
        }
        1 => {
            let key = *rng.pick(&["node_count", "edge_count", "meta", "root_index"]);
            if let Some(h) = v.get_mut("snapshot").and_then(Value::as_object_mut) {
                h.remove(key);
            }
        }
        2 => {
            let key = *rng.pick(&["root_index", "extra_native_bytes"]);
            let x = match rng.below(4) {
                0 => json!(l.nf * any_node(rng)),
                1 => json!(l.nf * any_node(rng) + 1),
                2 => odd_value(rng),
                _ => interesting_number(rng, 0),
            };
            if let Some(h) = v.get_mut("snapshot").and_then(Value::as_object_mut) {
                h.insert(key.into(), x);
            }
        }
        // Meta field lists.
        3 | 4 => {
            let list = *rng.pick(&[
                "node_fields",
                "edge_fields",
                "location_fields",
                "trace_function_info_fields",
                "trace_node_fields",
                "sample_fields",
            ]);
            if let Some(a) = v
                .pointer_mut(&format!("/snapshot/meta/{list}"))
                .and_then(Value::as_array_mut)
            {
                let len = a.len();
                match rng.below(6) {
                    0 if len > 0 => {
                        a.remove(rng.below(len));
                    }
                    1 if len > 0 => {
                        let x = a[rng.below(len)].clone();
                        a.insert(rng.below(len + 1), x);
                    }
                    2 if len > 1 => a.swap(rng.below(len), rng.below(len)),
                    3 => a.push(json!("future_field")),
                    4 => a.clear(),
                    _ => {
                        let extra = rng.below(40);
                        a.extend((0..extra).map(|i| json!(format!("f{i}"))));
                    }
                }
            }
        }
        5 => {
            // Type tables: shorter, longer, empty, not strings, not a list.
            let list = *rng.pick(&["node_types", "edge_types"]);
            if let Some(a) = v
                .pointer_mut(&format!("/snapshot/meta/{list}"))
                .and_then(Value::as_array_mut)
                && !a.is_empty()
            {
                let t = rng.below(a.len());
                match rng.below(5) {
                    0 => {
                        if let Some(types) = a[t].as_array_mut() {
                            let keep = rng.below(types.len() + 1);
                            types.truncate(keep);
                        }
                    }
                    1 => {
                        if let Some(types) = a[t].as_array_mut() {
                            let extra = *rng.pick(&[1, 100, 240, 300]);
                            types.extend((0..extra).map(|i| json!(format!("type{i}"))));
                        }
                    }
                    2 => {
                        if let Some(types) = a[t].as_array_mut()
                            && !types.is_empty()
                        {
                            let i = rng.below(types.len());
                            types[i] = odd_value(rng);
                        }
                    }
                    3 => a[t] = odd_value(rng),
                    _ => {
                        if let Some(types) = a[t].as_array_mut() {
                            for i in (1..types.len()).rev() {
                                types.swap(i, rng.below(i + 1));
                            }
                        }
                    }
                }
            }
        }
        6 => {
            let x = odd_value(rng);
            set_path(v, &["snapshot", "meta"], x);
        }
        // Numbers in the arrays.
        7..=9 => {
            let key = *rng.pick(&[
                "nodes",
                "nodes",
                "edges",
                "edges",
                "locations",
                "samples",
                "trace_function_infos",
            ]);
            if let Some(a) = array_mut(v, key)
                && !a.is_empty()
            {
                for _ in 0..1 + rng.below(3) {
                    let i = rng.below(a.len());
                    let near = a[i].as_u64().unwrap_or(0);
                    a[i] = if rng.one_in(10) {
                        odd_value(rng)
                    } else {
                        interesting_number(rng, near)
                    };
                }
            }
        }
        // to_node: not a multiple of the field count, out of range, self, root.
        10 | 11 => {
            if edges > 0 {
                let e = rng.below(edges);
                let to = match rng.below(5) {
                    0 => (any_node(rng) * l.nf + 1 + rng.below(l.nf.max(2) - 1)) as u64,
                    1 => (nodes * l.nf) as u64,
                    2 => (nodes * l.nf + l.nf * rng.below(5)) as u64,
                    3 => 0,
                    _ => (any_node(rng) * l.nf) as u64,
                };
                set_field(v, "edges", l.ef, e, l.e_to, json!(to));
            }
        }
        // String indexes, types and edge counts out of range.
        12 => {
            let i = any_node(rng);
            let s = [l.strings, l.strings + 1, u32::MAX as usize][rng.below(3)];
            set_field(v, "nodes", l.nf, i, l.n_name, json!(s));
        }
        13 => {
            if edges > 0 {
                let e = rng.below(edges);
                let s = [l.strings, u32::MAX as usize, rng.below(l.strings.max(1))][rng.below(3)];
                set_field(v, "edges", l.ef, e, l.e_name, json!(s));
            }
        }
        14 => {
            let i = any_node(rng);
            let t = [l.node_types, 255, 256, rng.below(l.node_types.max(1))][rng.below(4)];
            set_field(v, "nodes", l.nf, i, l.n_type, json!(t));
        }
        15 => {
            if edges > 0 {
                let e = rng.below(edges);
                let n = l.edge_types.len();
                let t = [n, n + 1, 255, rng.below(n.max(1))][rng.below(4)];
                set_field(v, "edges", l.ef, e, l.e_type, json!(t));
            }
        }
        16 => {
            let i = any_node(rng);
            let count = get_field(v, "nodes", l.nf, i, l.n_edges);
            let x = match rng.below(4) {
                0 => count.saturating_add(1),
                1 => count.saturating_sub(1),
                2 => u64::from(u32::MAX),
                _ => (edges + 1) as u64,
            };
            set_field(v, "nodes", l.nf, i, l.n_edges, json!(x));
        }
        17 => {
            // Move edges from one node to another (the total stays right).
            let (a, b) = (any_node(rng), any_node(rng));
            let ca = get_field(v, "nodes", l.nf, a, l.n_edges);
            if ca > 0 && a != b {
                let k = 1 + rng.below(ca as usize) as u64;
                let cb = get_field(v, "nodes", l.nf, b, l.n_edges);
                set_field(v, "nodes", l.nf, a, l.n_edges, json!(ca - k));
                set_field(v, "nodes", l.nf, b, l.n_edges, json!(cb.saturating_add(k)));
            }
        }
        // Duplicate ids.
        18 => {
            let (a, b) = (any_node(rng), any_node(rng));
            let id = get_field(v, "nodes", l.nf, a, l.n_id);
            let all = rng.one_in(4);
            for n in 0..nodes {
                if all || n == b {
                    set_field(v, "nodes", l.nf, n, l.n_id, json!(id));
                }
            }
        }
        // Cycles and self loops, of strong, weak, and shortcut edges.
        19 | 20 => {
            let (a, b) = (any_node(rng), any_node(rng));
            const KINDS: [&str; 7] = [
                "property", "element", "internal", "weak", "shortcut", "context", "hidden",
            ];
            let t = type_of(KINDS[rng.below(KINDS.len())]);
            let name = rng.below(l.strings.max(1)) as u64;
            insert_edge(v, a, (b * l.nf) as u64, t, name);
            insert_edge(v, b, (a * l.nf) as u64, t, name);
            if rng.one_in(3) {
                insert_edge(v, a, (a * l.nf) as u64, t, name);
            }
        }
        21 => {
            // A long chain (deep dominator tree and retainer paths).
            let len = *rng.pick(&[50, 1000, 20_000]);
            let base = nodes;
            let mut extra_nodes = Vec::with_capacity(len * l.nf);
            let mut extra_edges = Vec::with_capacity(len * l.ef);
            let prop = type_of("property");
            for k in 0..len {
                let mut rec = vec![json!(0); l.nf];
                let mut edge = vec![json!(0); l.ef];
                for (f, x) in [
                    (l.n_type, json!(rng.below(l.node_types.max(1)))),
                    (l.n_name, json!(rng.below(l.strings.max(1)))),
                    (l.n_id, json!(1_000_001 + 2 * k)),
                    (l.n_size, json!(16)),
                    (l.n_edges, json!(u64::from(k + 1 < len))),
                ] {
                    if let Some(f) = f {
                        rec[f] = x;
                    }
                }
                extra_nodes.extend(rec);
                if k + 1 < len {
                    for (f, x) in [
                        (l.e_type, json!(prop)),
                        (l.e_name, json!(0)),
                        (l.e_to, json!((base + k + 1) * l.nf)),
                    ] {
                        if let Some(f) = f {
                            edge[f] = x;
                        }
                    }
                    extra_edges.extend(edge);
                }
            }
            if let Some(a) = array_mut(v, "nodes") {
                a.extend(extra_nodes);
            }
            if let Some(a) = array_mut(v, "edges") {
                a.extend(extra_edges);
            }
            fix_counts(v);
            insert_edge(v, any_node(rng), (base * l.nf) as u64, prop, 0);
        }
        // Missing roots: the root loses its edges, or the root index moves.
        22 => {
            let count =
                usize::try_from(get_field(v, "nodes", l.nf, 0, l.n_edges)).unwrap_or(usize::MAX);
            set_field(v, "nodes", l.nf, 0, l.n_edges, json!(0));
            if let Some(a) = array_mut(v, "edges") {
                let end = count.saturating_mul(l.ef).min(a.len());
                a.drain(..end);
            }
            fix_counts(v);
        }
        // Swapped, removed, renamed and duplicated sections.
        23 => {
            let keys = [
                "nodes",
                "edges",
                "strings",
                "locations",
                "samples",
                "trace_tree",
            ];
            let (a, b) = (*rng.pick(&keys), *rng.pick(&keys));
            if let Some(obj) = v.as_object_mut()
                && let (Some(x), Some(y)) = (obj.get(a).cloned(), obj.get(b).cloned())
            {
                obj.insert(a.into(), y);
                obj.insert(b.into(), x);
            }
        }
        24 => {
            if let Some(obj) = v.as_object_mut() {
                let keys: Vec<String> = obj.keys().cloned().collect();
                let k = rng.pick(&keys).clone();
                match rng.below(3) {
                    0 => {
                        obj.shift_remove(&k);
                    }
                    1 => {
                        let x = obj.shift_remove(&k).unwrap_or_default();
                        obj.insert(k, x);
                    }
                    _ => {
                        obj.insert(k, odd_value(rng));
                    }
                }
            }
        }
        25 => {
            // Swap two runs of records inside the nodes or edges array.
            let (key, width) = *rng.pick(&[("nodes", l.nf), ("edges", l.ef)]);
            if let Some(a) = array_mut(v, key) {
                let records = a.len() / width;
                if records > 2 {
                    let run = 1 + rng.below(records / 2);
                    let x = rng.below(records - run + 1);
                    let y = rng.below(records - run + 1);
                    if x + run <= y || y + run <= x {
                        for k in 0..run * width {
                            a.swap(x * width + k, y * width + k);
                        }
                    }
                }
            }
        }
        // Strings: odd unicode, empty, long, fewer.
        26 | 27 => {
            if let Some(a) = array_mut(v, "strings")
                && !a.is_empty()
            {
                let i = rng.below(a.len());
                a[i] = json!(match rng.below(9) {
                    0 => String::new(),
                    1 => "\u{0}\u{1f}\u{7f}".to_owned(),
                    2 => "😀 emoji ✓ ñ \u{ffff}".to_owned(),
                    3 => "x".repeat(5000),
                    4 => "Detached <div id=\"x\">".to_owned(),
                    5 => "(Document DOM trees)".to_owned(),
                    6 => format!(
                        "{} / part of key (Object @{}) -> value (Object @{}) pair in WeakMap (table @{})",
                        rng.below(9),
                        rng.below(100),
                        rng.below(100),
                        rng.next_u64()
                    ),
                    7 => format!("{} / part of key", rng.below(9)),
                    _ => (*rng.pick(&[
                        "Window",
                        "global",
                        "system / Context",
                        "Map",
                        "EventEmitter",
                        "Timeout",
                        "Promise",
                        "Object",
                        "__proto__",
                        "(GC roots)",
                        "Array",
                        "WeakMap",
                        "_events",
                        "table",
                        "(concatenated string)",
                        "Set",
                        "first",
                        "second",
                    ]))
                    .to_owned(),
                });
            }
        }
        28 => {
            if let Some(a) = array_mut(v, "strings") {
                let keep = rng.below(a.len() + 1);
                a.truncate(keep);
            }
        }
        // Types and names of real nodes and edges changed to other valid ones (e.g. cycles
        // of concatenated strings).
        29 => {
            for _ in 0..1 + rng.below(nodes.min(50)) {
                let i = any_node(rng);
                if rng.one_in(2) {
                    set_field(
                        v,
                        "nodes",
                        l.nf,
                        i,
                        l.n_type,
                        json!(rng.below(l.node_types.max(1))),
                    );
                } else {
                    set_field(
                        v,
                        "nodes",
                        l.nf,
                        i,
                        l.n_name,
                        json!(rng.below(l.strings.max(1))),
                    );
                }
            }
        }
        30 => {
            for _ in 0..1 + rng.below(edges.min(50)) {
                let e = rng.below(edges.max(1));
                if rng.one_in(2) {
                    set_field(
                        v,
                        "edges",
                        l.ef,
                        e,
                        l.e_type,
                        json!(rng.below(l.edge_types.len().max(1))),
                    );
                } else {
                    set_field(v, "edges", l.ef, e, l.e_to, json!(l.nf * any_node(rng)));
                }
            }
        }
        // Sizes: huge self sizes everywhere.
        31 => {
            let all = rng.one_in(2);
            for n in 0..nodes {
                if all || rng.one_in(4) {
                    set_field(v, "nodes", l.nf, n, l.n_size, json!(u32::MAX));
                }
            }
        }
        // Allocation traces.
        32 => {
            match rng.below(5) {
                0 => {
                    let i = any_node(rng);
                    let x = interesting_number(rng, 0);
                    set_field(v, "nodes", l.nf, i, l.n_trace, x);
                }
                1 => {
                    // Deep trace tree (text made after serializing: see `expand_deep`).
                    let depth = *rng.pick(&[10, 500, 5000, 200_000]);
                    set_path(v, &["trace_tree"], json!(format!("{DEEP_TRACE}{depth}")));
                }
                2 => {
                    let x = odd_value(rng);
                    set_path(v, &["trace_tree"], x);
                }
                3 => {
                    if let Some(h) = v.get_mut("snapshot").and_then(Value::as_object_mut) {
                        let x = json!(rng.below(5));
                        h.insert("trace_function_count".into(), x);
                    }
                }
                _ => {
                    if let Some(a) = array_mut(v, "trace_function_infos") {
                        let keep = rng.below(a.len() + 1);
                        a.truncate(keep);
                    }
                }
            }
        }
        // Deep nesting where any value may go (text made after serializing).
        _ => {
            let depth = *rng.pick(&[100, 129, 1000, 100_000]);
            let deep = json!(format!("{DEEP_NEST}{depth}"));
            match rng.below(4) {
                0 => set_path(v, &["unknown"], deep),
                1 => set_path(v, &["snapshot", "meta", "deep"], deep),
                2 => set_path(v, &["snapshot", "meta", "node_types"], json!([deep])),
                _ => set_path(v, &["snapshot", "deep"], deep),
            }
        }
    }
}

/// Placeholders for deeply nested values, which `serde_json::Value` cannot hold (its
/// recursion limit) and should not (dropping it recurses): [`expand_deep`] writes them.
const DEEP_TRACE: &str = "@@deep-trace-tree@@";
const DEEP_NEST: &str = "@@deep-nesting@@";

/// Replaces the placeholders (`"@@…@@DEPTH"`) in serialized JSON with nested text.
fn expand_deep(bytes: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8_lossy(&bytes);
    if !text.contains("@@deep-") {
        return bytes;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest: &str = &text;
    while let Some(at) = rest.find("\"@@deep-") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let end = after.find('"').unwrap_or(after.len());
        let token = &after[..end];
        let (kind, depth) = token.rsplit_once("@@").unwrap_or(("", "0"));
        let depth: usize = depth.parse().unwrap_or(0);
        if kind == DEEP_TRACE.trim_end_matches("@@") {
            // A chain of trace nodes: [id, function, count, size, [ … ]].
            for k in 0..depth {
                out.push_str(&format!("[{},{},1,16,", k + 1, k % 3));
            }
            out.push_str("[]");
            out.push_str(&"]".repeat(depth));
        } else {
            out.push_str(&"[".repeat(depth));
            out.push_str(&"]".repeat(depth));
        }
        rest = &after[(end + 1).min(after.len())..];
    }
    out.push_str(rest);
    out.into_bytes()
}

/// Byte-level mutations of the serialized text.
fn mutate_bytes(bytes: &mut Vec<u8>, rng: &mut Rng) {
    if bytes.is_empty() {
        bytes.push(b'{');
        return;
    }
    let len = bytes.len();
    // Mostly near the start (the header and the first records), sometimes anywhere.
    let at = |rng: &mut Rng| {
        if rng.one_in(2) {
            rng.below(len.min(4096))
        } else {
            rng.below(len)
        }
    };
    const TOKENS: [&[u8]; 24] = [
        b",",
        b"]",
        b"[",
        b"\"",
        b"\\",
        b"-",
        b".5",
        b"e9",
        b"99999999999",
        b"4294967296",
        b"\\u",
        b"\\ud800",
        b"\\udc00",
        b"\\u0000",
        b"{",
        b"}",
        b":",
        b"0",
        b" ",
        b"\n",
        b"null",
        b"\xff\xfe",
        b"\xc3",
        b"18446744073709551616",
    ];
    match rng.below(9) {
        0 => {
            let i = at(rng);
            bytes[i] ^= 1 << rng.below(8);
        }
        1 => {
            let i = at(rng);
            bytes[i] = rng.next_u64() as u8;
        }
        2 => {
            let i = at(rng);
            let t = rng.pick(&TOKENS);
            bytes.splice(i..i, t.iter().copied());
        }
        3 => {
            let i = at(rng);
            let n = 1 + rng.below(16.min(len - i));
            bytes.drain(i..i + n);
        }
        4 => {
            let i = at(rng);
            let n = 1 + rng.below(64.min(len - i));
            let copy = bytes[i..i + n].to_vec();
            let j = at(rng);
            bytes.splice(j..j, copy);
        }
        5 => bytes.truncate(rng.below(len)),
        6 => {
            // Replace a digit run with an odd number.
            let i = at(rng);
            if let Some(start) = bytes[i..]
                .iter()
                .position(u8::is_ascii_digit)
                .map(|k| i + k)
            {
                let end = bytes[start..]
                    .iter()
                    .position(|b| !b.is_ascii_digit())
                    .map_or(bytes.len(), |k| start + k);
                const ODD: [&[u8]; 9] = [
                    b"-1",
                    b"1.5",
                    b"1e3",
                    b"4294967295",
                    b"4294967296",
                    b"00000000000000000001",
                    b"99999999999999999999999",
                    b"-0",
                    b"0x10",
                ];
                let t = ODD[rng.below(ODD.len())];
                bytes.splice(start..end, t.iter().copied());
            }
        }
        7 => {
            // Swap two runs.
            let n = 1 + rng.below(256.min(len / 2).max(1));
            let (a, b) = (rng.below(len - n + 1), rng.below(len - n + 1));
            if a + n <= b || b + n <= a {
                for k in 0..n {
                    bytes.swap(a + k, b + k);
                }
            }
        }
        _ => {
            // A string escape inside a string.
            let i = at(rng);
            if let Some(k) = bytes[i..].iter().position(|&b| b == b'"') {
                const ESCAPES: [&[u8]; 8] = [
                    b"\\ud83d\\ude00",
                    b"\\ud800x",
                    b"\\udfff",
                    b"\\ud800\\u0041",
                    b"\\u00e9",
                    b"\\uzzzz",
                    b"\\x",
                    b"\\/\\b\\f",
                ];
                let t = ESCAPES[rng.below(ESCAPES.len())];
                bytes.splice(i + k + 1..i + k + 1, t.iter().copied());
            }
        }
    }
}

/// How a case feeds the loader.
#[derive(Clone, Copy, Debug)]
enum Feed {
    Reader,
    Bytes,
    Gzip,
    /// Written to a file, redacted (`snapshot::redact`, the CLI's `redact` and the app's
    /// Save Redacted Copy, which has its own pass over the input), then both files loaded.
    Redact,
}

/// One generated input.
struct Case {
    seed: u64,
    description: String,
    bytes: Vec<u8>,
    feed: Feed,
    /// The unmutated cut-down snapshot the case came from (compared with the case).
    reference: Option<Arc<Snapshot>>,
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).expect("gzip in memory");
    enc.finish().expect("gzip in memory")
}

/// Generates the case of seed `seed` (a pure function of the seed).
fn generate(seed: u64) -> Case {
    let mut rng = Rng::new(seed);
    let seeds = seeds();
    let s = rng.below(seeds.len());
    let feed = match rng.below(12) {
        0 => Feed::Bytes,
        1 => Feed::Gzip,
        2 => Feed::Redact,
        _ => Feed::Reader,
    };
    let whole = rng.one_in(12);
    let (mut bytes, mut description, reference) = if whole {
        (
            seeds[s].bytes.clone(),
            format!("{} (whole)", seeds[s].name),
            None,
        )
    } else {
        let size = *rng.pick(&CUT_SIZES);
        let variant = rng.below(3) as u64;
        let c = cut(s, size, variant);
        let mut v = c.value.clone();
        let rounds = if rng.one_in(8) { 0 } else { 1 + rng.below(3) };
        for _ in 0..rounds {
            mutate_value(&mut v, &mut rng);
        }
        if rng.one_in(3) {
            fix_counts(&mut v);
        }
        let bytes = expand_deep(
            if rng.one_in(6) {
                serde_json::to_vec_pretty(&v)
            } else {
                serde_json::to_vec(&v)
            }
            .expect("serializable"),
        );
        (
            bytes,
            format!(
                "{} cut to {size} (variant {variant}), {rounds} structural",
                seeds[s].name
            ),
            c.snapshot.clone(),
        )
    };
    let byte_rounds = if whole {
        1 + rng.below(3)
    } else if rng.one_in(4) {
        1 + rng.below(4)
    } else {
        0
    };
    for _ in 0..byte_rounds {
        mutate_bytes(&mut bytes, &mut rng);
    }
    description.push_str(&format!(", {byte_rounds} byte-wise, fed as {feed:?}"));
    Case {
        seed,
        description,
        bytes,
        feed,
        reference,
    }
}

// ---------------------------------------------------------------------------------------
// Running a case.

/// What a case did.
#[derive(Debug)]
enum Outcome {
    Loaded,
    Rejected(String),
}

/// Loads `bytes` and, if they load, runs every analysis and checks the invariants.
/// Panics on a bug (caught by the caller).
fn run_case(seed: u64, bytes: Vec<u8>, feed: Feed, reference: Option<&Snapshot>) -> Outcome {
    let progress = Progress::new();
    let loaded = match feed {
        Feed::Reader => snapshot::load_reader(std::io::Cursor::new(bytes), None, &progress),
        Feed::Bytes => snapshot::load_bytes(&bytes, &progress),
        Feed::Gzip => snapshot::load_bytes(&gzip(&bytes), &progress),
        Feed::Redact => redact_and_load(seed, &bytes),
    };
    let snap = match loaded {
        Ok(snap) => snap,
        Err(err) => {
            let message = err.to_string();
            assert!(!message.trim().is_empty(), "an error without a message");
            return Outcome::Rejected(message);
        }
    };
    check_invariants(&snap);
    exercise(&snap);
    if let Some(reference) = reference {
        let d = snapshot::diff(reference, &snap);
        report::to_json_string(&report::comparison_report(reference, &snap, &d));
        let d = snapshot::diff(&snap, reference);
        report::to_json_string(&report::comparison_report(&snap, reference, &d));
        let classes = snapshot::leak_candidates(reference, &snap, &snap);
        report::to_json_string(&report::leaks_report(
            [reference, &snap, &snap],
            &classes,
            3,
        ));
        let d = snapshot::doctor::diagnose(&[reference, &snap]);
        snapshot::doctor::findings_markdown(&d);
        let d = snapshot::doctor::diagnose(&[reference, &snap, &snap]);
        report::to_json_string(&d);
    }
    Outcome::Loaded
}

/// Redacts `bytes` (as a file) and loads the original; when both the redaction and the load
/// succeed, the redacted copy must load too, with the same counts.
fn redact_and_load(seed: u64, bytes: &[u8]) -> snapshot::Result<Snapshot> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fuzz-redact")
        .join(format!("{}-{seed}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let input = dir.join("in.heapsnapshot");
    let output = dir.join("out.heapsnapshot");
    std::fs::write(&input, bytes).unwrap_or_else(|e| panic!("{}: {e}", input.display()));
    let redacted = snapshot::redact(
        &input,
        &output,
        &snapshot::RedactOptions::default(),
        &Progress::new(),
    );
    let loaded = snapshot::load_path(&input, &Progress::new());
    if let (Ok(stats), Ok(snap)) = (&redacted, &loaded) {
        let copy = snapshot::load_path(&output, &Progress::new())
            .unwrap_or_else(|e| panic!("the redacted copy does not load: {e}"));
        assert_eq!(copy.node_count(), snap.node_count(), "redacted node count");
        assert_eq!(copy.edge_count(), snap.edge_count(), "redacted edge count");
        assert_eq!(stats.node_count, snap.node_count());
        assert_eq!(
            copy.retained_size(copy.root()),
            snap.retained_size(snap.root()),
            "redacted total"
        );
    }
    if let (Err(err), Ok(_)) = (&redacted, &loaded) {
        panic!("the snapshot loads but does not redact: {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
    loaded
}

/// The analyses of two snapshots: `snap` against an earlier `reference` and the reverse.
fn compare(reference: &Snapshot, snap: &Snapshot) {
    let d = snapshot::diff(reference, snap);
    report::to_json_string(&report::comparison_report(reference, snap, &d));
    let d = snapshot::diff(snap, reference);
    report::to_json_string(&report::comparison_report(snap, reference, &d));
    let classes = snapshot::leak_candidates(reference, snap, snap);
    report::to_json_string(&report::leaks_report([reference, snap, snap], &classes, 3));
    let classes = snapshot::leak_candidates(reference, reference, snap);
    report::to_json_string(&report::leaks_report(
        [reference, reference, snap],
        &classes,
        3,
    ));
    for series in [
        &[reference, snap][..],
        &[reference, snap, snap],
        &[snap, reference],
    ] {
        let d = snapshot::doctor::diagnose(series);
        report::to_json_string(&d);
        snapshot::doctor::findings_markdown(&d);
    }
}

/// What must hold for any snapshot that loads.
fn check_invariants(snap: &Snapshot) {
    let nodes = snap.node_count();
    let edges = snap.edge_count();
    assert!(nodes > 0, "a loaded snapshot has a root");
    let totals = snap.totals();
    assert_eq!(totals.node_count, nodes);
    assert_eq!(totals.edge_count, edges);
    assert_eq!(totals.header_node_count, nodes as u64, "header node_count");
    assert_eq!(totals.header_edge_count, edges as u64, "header edge_count");
    let mut out_edges = 0;
    let mut in_edges = 0;
    for i in 0..nodes as u32 {
        let n = NodeIdx(i);
        out_edges += snap.edge_count_of(n);
        in_edges += snap.retainer_count(n);
        let (own, retained) = (snap.self_size(n), snap.retained_size(n));
        assert!(
            retained >= own,
            "@{}: retained {retained} < self {own}",
            snap.node_id(n)
        );
        let children: u64 = snap.dominated(n).map(|d| snap.retained_size(d)).sum();
        assert_eq!(
            retained,
            own + children,
            "@{}: retained size is not self plus the dominated nodes' retained sizes",
            snap.node_id(n)
        );
        let d = snap.dominator(n);
        assert!((d.0 as usize) < nodes, "dominator out of range");
        for e in snap.edges(n) {
            assert!(
                (snap.edge_target(e).0 as usize) < nodes,
                "edge target out of range"
            );
        }
        assert!(
            snap.find_by_id(snap.node_id(n))
                .is_some_and(|m| snap.node_id(m) == snap.node_id(n)),
            "find_by_id misses @{}",
            snap.node_id(n)
        );
    }
    assert_eq!(out_edges, edges, "per-node edge counts add up");
    assert_eq!(in_edges, edges, "retainer counts add up");
    assert_eq!(
        snap.retained_size(snap.root()),
        snap.total_shallow_size(),
        "the root retains everything"
    );
    let members: usize = snap.classes().iter().map(|c| c.count as usize).sum();
    assert_eq!(
        members,
        snap.aggregates().members.len(),
        "class member counts"
    );
    for (i, c) in snap.classes().iter().enumerate() {
        for &m in snap.class_members(i) {
            assert_eq!(snap.node_class(NodeIdx(m)), Some(i), "member of {}", c.name);
        }
    }
}

/// Everything the CLI and the app compute on one snapshot.
fn exercise(snap: &Snapshot) {
    report::to_json_string(&snap.summary_report(20, 5));
    snap.statistics();
    snap.memory_usage();
    snap.prepare_lookups();
    let mut picks: Vec<NodeIdx> = snap.top_retainers(4);
    picks.push(snap.root());
    let nodes = snap.node_count() as u32;
    picks.extend([NodeIdx(nodes - 1), NodeIdx(nodes / 2), NodeIdx(nodes / 3)]);
    let view = RetainerView::new();
    let ignoring = RetainerView::with_ignored(snap, [NodeIdx(nodes / 3)]);
    for &n in &picks {
        report::to_json_string(&snap.node_report(n, usize::MAX, true));
        snap.node_name(n);
        snap.location(n);
        snap.location_label(n);
        snap.allocation_stack(n);
        for e in snap.edges(n).take(200) {
            snap.edge_label(e);
            snap.is_weak_edge(e);
            snap.edge_source(e);
        }
        for (from, e) in snap.visible_retainers(n).take(200) {
            snap.edge_label(e);
            snap.node_name(from);
            ignoring.retainer_distance(snap, from, e);
        }
        snap.dominated(n).take(200).for_each(|d| {
            snap.class_name(d);
        });
        snapshot::retaining_paths(snap, &view, n, PathLimits::default());
        snapshot::retaining_paths(snap, &ignoring, n, PathLimits::default());
        snapshot::leaks::path_signature(snap, n);
    }
    let d = snapshot::diff(snap, snap);
    report::to_json_string(&report::comparison_report(snap, snap, &d));
    snapshot::id_agreement(snap, snap);
    let classes = snapshot::leak_candidates(snap, snap, snap);
    report::to_json_string(&report::leaks_report([snap, snap, snap], &classes, 3));
    for series in [&[snap][..], &[snap, snap], &[snap, snap, snap]] {
        let d = snapshot::doctor::diagnose(series);
        report::to_json_string(&d);
        snapshot::doctor::findings_markdown(&d);
        for f in &d.findings {
            snapshot::doctor::path_text(f);
        }
    }
    report::to_json_string(&snap.string_group_reports());
    snap.aggregates_of_duplicated_strings();
    let max_id = snap.max_js_node_id();
    snap.aggregates_in_id_range(max_id / 2, max_id);
    for (text, scope) in [
        ("a", SearchScope::ClassOrName),
        ("Object", SearchScope::ClassName),
        ("", SearchScope::StringValue),
        ("@1", SearchScope::ClassOrName),
        ("ñ😀", SearchScope::StringValue),
    ] {
        snapshot::search(
            snap,
            &SearchQuery {
                text: text.to_owned(),
                case_sensitive: false,
                scope,
            },
        );
    }
    if snap.has_allocation_data() {
        report::to_json_string(&snap.allocation_report(50, 20));
        for row in snap.allocation_functions().iter().take(10) {
            snap.allocation_function(row.function()).location_label();
            snap.allocation_callers(&row.path);
            snap.aggregates_allocated_by(&row.path);
            snap.nodes_allocated_by(&row.path);
        }
        snap.allocation_samples();
    }
}

/// A failed case: its seed, what went wrong, and where its input was saved.
#[derive(Debug)]
struct Failure {
    seed: u64,
    description: String,
    problem: String,
    saved: PathBuf,
}

fn failure_dir() -> PathBuf {
    let dir = std::env::var_os("HEAPSIGHT_FUZZ_OUT").map_or_else(
        || Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

/// Runs `f` on a named thread with a time limit. `Err` holds the panic message or "hang".
fn guarded<T: Send + 'static>(
    name: String,
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            tx.send(result).ok();
        })
        .expect("spawn a fuzz thread");
    match rx.recv_timeout(limit) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(panic)) => Err(panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .map_or_else(|| "panic".to_owned(), |m| format!("panic: {m}"))),
        Err(_) => Err(format!("hang: no result within {} s", limit.as_secs())),
    }
}

fn env_u64(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    Some(
        text.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text:?} is not a number")),
    )
}

/// Tallies of a run, for the summary line.
#[derive(Default)]
struct Tally {
    cases: u64,
    loaded: u64,
    rejected: HashMap<String, u64>,
    /// The slowest case: milliseconds and seed.
    slowest: (u128, u64),
}

/// Runs one case; returns a failure, or notes the outcome in `tally`.
fn fuzz_one(seed: u64, tally: &mut Tally) -> Option<Failure> {
    // A panic here is a bug of the fuzzer itself: report it like any other.
    let case = match std::panic::catch_unwind(|| generate(seed)) {
        Ok(case) => case,
        Err(_) => {
            return Some(Failure {
                seed,
                description: "(not generated)".to_owned(),
                problem: "panic in the fuzzer's own case generator".to_owned(),
                saved: PathBuf::new(),
            });
        }
    };
    let Case {
        seed,
        description,
        bytes,
        feed,
        reference,
    } = case;
    let input = bytes.clone();
    let started = Instant::now();
    let result = guarded(
        format!("fuzz-case-{seed}"),
        Duration::from_secs(CASE_LIMIT_SECS),
        move || run_case(seed, bytes, feed, reference.as_deref()),
    );
    tally.cases += 1;
    let millis = started.elapsed().as_millis();
    if millis > tally.slowest.0 {
        tally.slowest = (millis, seed);
    }
    match result {
        Ok(Outcome::Loaded) => {
            tally.loaded += 1;
            None
        }
        Ok(Outcome::Rejected(message)) => {
            // Group messages by their first words (offsets and numbers vary).
            let mut key = String::new();
            for c in message.chars().take(72) {
                if !c.is_ascii_digit() {
                    key.push(c);
                } else if !key.ends_with('#') {
                    key.push('#');
                }
            }
            *tally.rejected.entry(key).or_default() += 1;
            None
        }
        Err(problem) => {
            let saved = failure_dir().join(format!("case-{seed}.heapsnapshot"));
            std::fs::write(&saved, &input).ok();
            Some(Failure {
                seed,
                description,
                problem,
                saved,
            })
        }
    }
}

#[test]
fn fuzz_loader_and_analyses() {
    let run_seed = env_u64("HEAPSIGHT_FUZZ_SEED").unwrap_or(1);
    let secs = env_u64("HEAPSIGHT_FUZZ_SECS").unwrap_or(60);
    let max_cases = env_u64("HEAPSIGHT_FUZZ_CASES").unwrap_or(u64::MAX);
    let started = Instant::now();
    seeds();
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    let one = env_u64("HEAPSIGHT_FUZZ_CASE");
    let mut index = 0u64;
    loop {
        if one.is_none() && (index >= max_cases || started.elapsed() >= Duration::from_secs(secs)) {
            break;
        }
        let seed = one.unwrap_or_else(|| case_seed(run_seed, index));
        index += 1;
        if let Some(f) = fuzz_one(seed, &mut tally) {
            eprintln!(
                "fuzz: case {} FAILED: {}\n  input: {}\n  saved: {}\n  replay: HEAPSIGHT_FUZZ_CASE={} cargo test --no-default-features --test integration fuzz::fuzz_loader_and_analyses",
                f.seed,
                f.problem,
                f.description,
                f.saved.display(),
                f.seed
            );
            let hang = f.problem.starts_with("hang");
            failures.push(f);
            // A hung case keeps its thread busy: stop rather than pile them up.
            if hang || failures.len() >= 20 {
                break;
            }
        }
        if one.is_some() {
            break;
        }
    }
    let mut rejected: Vec<(String, u64)> = tally.rejected.into_iter().collect();
    rejected.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    eprintln!(
        "fuzz: seed {run_seed}: {} cases in {:.1} s: {} loaded, {} rejected, {} failed; slowest case {} ({:.2} s)",
        tally.cases,
        started.elapsed().as_secs_f64(),
        tally.loaded,
        rejected.iter().map(|r| r.1).sum::<u64>(),
        failures.len(),
        tally.slowest.1,
        tally.slowest.0 as f64 / 1000.0,
    );
    for (message, count) in rejected.iter().take(40) {
        eprintln!("  {count:>6}  {message}");
    }
    assert!(
        failures.is_empty(),
        "{} fuzz case(s) failed; seeds: {:?}",
        failures.len(),
        failures.iter().map(|f| f.seed).collect::<Vec<_>>()
    );
}

/// Every input the fuzzer once broke heapsight with either loads (and survives every
/// analysis and invariant, redaction, and the comparisons with `NAME.base.heapsnapshot` when
/// that file exists beside `NAME.heapsnapshot`) or fails with an error that names the file.
#[test]
fn regression_fixtures_load_or_fail_cleanly() {
    let dir = util::fixture("fuzz");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains(".heapsnapshot"))
        })
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no fixtures in {}", dir.display());
    for (index, path) in paths.into_iter().enumerate() {
        let name = path.display().to_string();
        let base = PathBuf::from(name.replacen(".heapsnapshot", ".base.heapsnapshot", 1));
        let p = path.clone();
        let result = guarded(
            "fuzz-fixture".to_owned(),
            Duration::from_secs(CASE_LIMIT_SECS),
            move || {
                let reference = base
                    .exists()
                    .then(|| snapshot::load_path(&base, &Progress::new()).ok())
                    .flatten();
                // The redactor reads the file its own way: it must take what loads.
                let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                redact_and_load(index as u64, &bytes).ok();
                match snapshot::load_path(&p, &Progress::new()) {
                    Ok(snap) => {
                        check_invariants(&snap);
                        exercise(&snap);
                        if let Some(reference) = &reference {
                            compare(reference, &snap);
                        }
                        Ok(())
                    }
                    Err(err) => Err(err.to_string()),
                }
            },
        );
        match result {
            Ok(Ok(())) => {}
            Ok(Err(message)) => assert!(
                message.ends_with(&name),
                "the error must name the file: {message}"
            ),
            Err(problem) => panic!("{name}: {problem}"),
        }
    }
}
