//! Shared helpers: fixture paths and a tiny `.heapsnapshot` builder.
//!
//! The builder writes the JSON Node's `v8.writeHeapSnapshot()` writes (same `meta`, same
//! top-level keys), from a graph described by hand:
//!
//! ```ignore
//! let mut b = SnapshotBuilder::new(); // node 0: the synthetic root "" @1
//! let global = b.node("object", "global", 3, 100);
//! b.edge(b.root(), "shortcut", "global", global);
//! let snap = b.load();
//! ```
//!
//! Element and hidden edges take their index as the name (`"0"`, `"1"`, …). Setting
//! `HEAPSIGHT_TEST_DUMP_DIR` makes [`SnapshotBuilder::load`] also write each snapshot to
//! `DIR/<test name>-<k>.heapsnapshot` (k counts the loads of the test), to run the DevTools oracle on it by hand.

#![allow(dead_code)] // Each test module uses a different subset.

use std::path::{Path, PathBuf};

use heapsight::snapshot::{self, NodeIdx, Progress, Snapshot};
use serde_json::{Value, json};

/// `tests/fixtures/<rel>`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(rel)
}

/// The golden scenarios stored under `tests/fixtures/goldens`.
pub const SCENARIOS: [&str; 7] = [
    "all",
    "bufferpool",
    "cache",
    "closure",
    "emitter",
    "global",
    "interval",
];

/// The three snapshots of each scenario: (input stem, golden summary file).
pub const STAGES: [(&str, &str); 3] = [
    ("baseline", "summary-baseline.json"),
    ("target", "summary-target.json"),
    ("final", "summary.json"),
];

/// `tests/fixtures/goldens/<scenario>/<stage>.heapsnapshot.gz`.
pub fn golden_input(scenario: &str, stage: &str) -> PathBuf {
    fixture(&format!("goldens/{scenario}/{stage}.heapsnapshot.gz"))
}

/// Reads a gzip file fully into memory (decompressed).
pub fn gunzip(path: &Path) -> Vec<u8> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(file)
        .read_to_end(&mut out)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    out
}

/// Loads a file with a fresh [`Progress`], panicking with the error's message on failure.
pub fn load_path(path: &Path) -> Snapshot {
    snapshot::load_path(path, &Progress::new()).unwrap_or_else(|e| panic!("{e}"))
}

/// A unique scratch directory for one test, under the target directory's tmp dir.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("heapsight-tests")
        .join(format!("{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

/// The `snapshot.meta` of Node 24's `v8.writeHeapSnapshot()`, copied from
/// `goldens/cache/baseline.heapsnapshot.gz`.
pub const NODE_META: &str = r#"{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic","concatenated string","sliced string","symbol","bigint","object shape","wasm object"],"string","number","number","number","number","number"],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"],"trace_function_info_fields":["function_id","name","script_name","script_id","line","column"],"trace_node_fields":["id","function_info_index","count","size","children"],"sample_fields":["timestamp_us","last_assigned_id"],"location_fields":["object_index","script_id","line","column"]}"#;

/// Node types in [`NODE_META`] order.
const NODE_TYPES: [&str; 16] = [
    "hidden",
    "array",
    "string",
    "object",
    "code",
    "closure",
    "regexp",
    "number",
    "native",
    "synthetic",
    "concatenated string",
    "sliced string",
    "symbol",
    "bigint",
    "object shape",
    "wasm object",
];

/// Edge types in [`NODE_META`] order.
const EDGE_TYPES: [&str; 7] = [
    "context", "element", "property", "internal", "hidden", "shortcut", "weak",
];

/// Fields per node and per edge in [`NODE_META`].
pub const NODE_FIELDS: usize = 7;
pub const EDGE_FIELDS: usize = 3;

/// A node handle of the builder: the node's ordinal.
pub type N = usize;

struct NodeSpec {
    type_code: u32,
    name: u32,
    id: u32,
    self_size: u32,
    detachedness: u32,
    edges: Vec<[u32; 3]>,
}

/// Builds a small heap snapshot; see the module docs.
pub struct SnapshotBuilder {
    nodes: Vec<NodeSpec>,
    strings: Vec<String>,
    locations: Vec<[u32; 4]>,
}

impl Default for SnapshotBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl SnapshotBuilder {
    /// A snapshot holding only the synthetic root (`""`, id 1, as V8 writes it).
    pub fn new() -> Self {
        let mut b = Self {
            nodes: Vec::new(),
            strings: Vec::new(),
            locations: Vec::new(),
        };
        b.node("synthetic", "", 1, 0);
        b
    }

    /// The root's handle (node 0).
    pub fn root(&self) -> N {
        0
    }

    fn string(&mut self, s: &str) -> u32 {
        if let Some(i) = self.strings.iter().position(|x| x == s) {
            return i as u32;
        }
        self.strings.push(s.to_owned());
        (self.strings.len() - 1) as u32
    }

    /// Adds a node; `node_type` is one of the meta's node type names.
    pub fn node(&mut self, node_type: &str, name: &str, id: u32, self_size: u32) -> N {
        let type_code = NODE_TYPES
            .iter()
            .position(|t| *t == node_type)
            .unwrap_or_else(|| panic!("unknown node type {node_type:?}"))
            as u32;
        let name = self.string(name);
        self.nodes.push(NodeSpec {
            type_code,
            name,
            id,
            self_size,
            detachedness: 0,
            edges: Vec::new(),
        });
        self.nodes.len() - 1
    }

    /// Adds an edge `from -> to`. For `element` and `hidden` edges `name` is the index.
    pub fn edge(&mut self, from: N, edge_type: &str, name: &str, to: N) -> &mut Self {
        let type_code = EDGE_TYPES
            .iter()
            .position(|t| *t == edge_type)
            .unwrap_or_else(|| panic!("unknown edge type {edge_type:?}"))
            as u32;
        let name = if matches!(edge_type, "element" | "hidden") {
            name.parse()
                .unwrap_or_else(|_| panic!("{edge_type} edge name {name:?} is not an index"))
        } else {
            self.string(name)
        };
        self.nodes[from].edges.push([type_code, name, to as u32]);
        self
    }

    /// Sets a node's `detachedness` field (0 unknown, 1 attached, 2 detached).
    pub fn detachedness(&mut self, node: N, state: u32) -> &mut Self {
        self.nodes[node].detachedness = state;
        self
    }

    /// Shorthand for a `property` edge.
    pub fn prop(&mut self, from: N, name: &str, to: N) -> &mut Self {
        self.edge(from, "property", name, to)
    }

    /// Records an allocation location for `node` (DevTools keys such objects by it).
    pub fn location(&mut self, node: N, script_id: u32, line: u32, column: u32) -> &mut Self {
        self.locations
            .push([(node * NODE_FIELDS) as u32, script_id, line, column]);
        self
    }

    /// Adds a user root: `global` object linked from the root by a shortcut edge, as V8
    /// links the global object. Returns the global.
    pub fn global(&mut self, id: u32, self_size: u32) -> N {
        let g = self.node("object", "global", id, self_size);
        self.edge(0, "shortcut", "global", g);
        g
    }

    /// Adds `(GC roots)` under the root (element edge), as V8 does. Returns it.
    pub fn gc_roots(&mut self, id: u32) -> N {
        let g = self.node("synthetic", "(GC roots)", id, 0);
        let index = self.nodes[0].edges.len() + 1;
        self.edge(0, "element", &index.to_string(), g);
        g
    }

    /// The snapshot as a JSON value (mutate it to make broken files).
    pub fn to_value(&self) -> Value {
        let mut nodes = Vec::with_capacity(self.nodes.len() * NODE_FIELDS);
        let mut edges = Vec::new();
        for n in &self.nodes {
            nodes.extend([
                n.type_code,
                n.name,
                n.id,
                n.self_size,
                n.edges.len() as u32,
                0,
                n.detachedness,
            ]);
            for e in &n.edges {
                edges.extend([e[0], e[1], e[2] * NODE_FIELDS as u32]);
            }
        }
        let meta: Value = serde_json::from_str(NODE_META).expect("NODE_META is JSON");
        json!({
            "snapshot": {
                "meta": meta,
                "node_count": self.nodes.len(),
                "edge_count": edges.len() / EDGE_FIELDS,
                "trace_function_count": 0,
            },
            "nodes": nodes,
            "edges": edges,
            "trace_function_infos": [],
            "trace_tree": [],
            "samples": [],
            "locations": self.locations.concat(),
            "strings": self.strings,
        })
    }

    /// The snapshot as `.heapsnapshot` bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.to_value()).expect("serializable")
    }

    /// Loads the snapshot through [`heapsight::snapshot::load_bytes`]; panics on error.
    pub fn load(&self) -> Snapshot {
        let bytes = self.to_bytes();
        if let Some(dir) = std::env::var_os("HEAPSIGHT_TEST_DUMP_DIR") {
            thread_local!(static COUNT: std::cell::Cell<u32> = const { std::cell::Cell::new(0) });
            let k = COUNT.with(|c| c.replace(c.get() + 1));
            let thread = std::thread::current();
            let name = thread.name().unwrap_or("snapshot").replace("::", "-");
            let path = Path::new(&dir).join(format!("{name}-{k}.heapsnapshot"));
            std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        snapshot::load_bytes(&bytes, &Progress::new()).unwrap_or_else(|e| panic!("{e}"))
    }
}

/// Node lookup by id that panics with a clear message.
pub fn by_id(snap: &Snapshot, id: u32) -> NodeIdx {
    snap.find_by_id(id)
        .unwrap_or_else(|| panic!("no node @{id}"))
}

/// Ids of the dominator chain of node `@id` (immediate dominator first, root last).
pub fn chain_ids(snap: &Snapshot, id: u32) -> Vec<u32> {
    snap.dominator_chain(by_id(snap, id))
        .into_iter()
        .map(|n| snap.node_id(n))
        .collect()
}

/// Id of the immediate dominator of `@id`.
pub fn dominator_id(snap: &Snapshot, id: u32) -> u32 {
    snap.node_id(snap.dominator(by_id(snap, id)))
}

/// `(retainer id, edge label)` of the visible retainers of `@id`, in the core's order.
pub fn visible_retainers(snap: &Snapshot, id: u32) -> Vec<(u32, String)> {
    snap.visible_retainers(by_id(snap, id))
        .map(|(from, e)| (snap.node_id(from), snap.edge_label(e)))
        .collect()
}

/// Runs `f` on another thread and fails the test if it takes more than `secs` seconds or
/// panics (a hung thread is left behind; the test binary exits when the tests are done).
pub fn within_secs<T: Send + 'static>(
    secs: u64,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name(what.to_owned())
        .spawn(move || {
            tx.send(f()).ok();
        })
        .expect("spawn a test thread");
    rx.recv_timeout(std::time::Duration::from_secs(secs))
        .unwrap_or_else(|e| panic!("{what}: no answer within {secs} s ({e})"))
}

/// Steps the app until nothing has been busy for four frames in a row (a view starts its job
/// when first drawn); fails after three minutes.
#[cfg(feature = "gui")]
pub fn wait_app_idle(h: &mut egui_kittest::Harness<'static, heapsight::app::HeapsightApp>) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    let mut idle_frames = 0;
    while idle_frames < 4 {
        h.step();
        if h.state().is_busy() {
            idle_frames = 0;
            std::thread::sleep(std::time::Duration::from_millis(10));
        } else {
            idle_frames += 1;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the app stayed busy for 3 minutes"
        );
    }
}

/// The whole app in a 1280×`height` window, started with `options`, once its loads are done.
#[cfg(feature = "gui")]
pub fn app_harness(
    options: heapsight::app::StartOptions,
    height: f32,
) -> egui_kittest::Harness<'static, heapsight::app::HeapsightApp> {
    harness_of(heapsight::app::HeapsightApp::with_options(options), height)
}

/// [`app_harness`] with a saved state restored (as eframe restores it on start).
#[cfg(feature = "gui")]
pub fn app_harness_with_state(
    state: heapsight::app::state::AppState,
    options: heapsight::app::StartOptions,
    height: f32,
) -> egui_kittest::Harness<'static, heapsight::app::HeapsightApp> {
    harness_of(
        heapsight::app::HeapsightApp::with_saved_state(state, options),
        height,
    )
}

#[cfg(feature = "gui")]
fn harness_of(
    app: heapsight::app::HeapsightApp,
    height: f32,
) -> egui_kittest::Harness<'static, heapsight::app::HeapsightApp> {
    let mut h = egui_kittest::Harness::builder()
        .with_size(egui::vec2(1280.0, height))
        .allow_missing_glyphs()
        .build_ui_state(
            |ui, app: &mut heapsight::app::HeapsightApp| app.show(ui),
            app,
        );
    wait_app_idle(&mut h);
    h
}

/// Runs the binary with a subcommand and `args`, never writing into the user's cache folder
/// (tests/cache.rs tests the cache) and logging warnings only.
pub fn heapsight(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_heapsight"))
        .env("HEAPSIGHT_NO_CACHE", "1")
        .env("RUST_LOG", "warn")
        .args(args)
        .output()
        .expect("run heapsight")
}

/// Clicks the perspective tab `label` (the row under the menu bar; the tiles' own tabs carry
/// the same titles).
#[cfg(feature = "gui")]
pub fn click_view(h: &egui_kittest::Harness<'static, heapsight::app::HeapsightApp>, label: &str) {
    use egui_kittest::kittest::Queryable as _;
    h.get_all_by_label(label)
        .next()
        .unwrap_or_else(|| panic!("no perspective tab {label:?}"))
        .click();
}
