//! The GUI-free core: load a V8 heap snapshot and answer questions about it exactly as
//! Chrome DevTools' Memory panel would.
//!
//! ```no_run
//! use heapsight::snapshot::{self, Progress};
//! let snap = snapshot::load_path("app.heapsnapshot".as_ref(), &Progress::new()).unwrap();
//! for class in snap.classes().iter().take(10) {
//!     println!("{} x{} retained {}", class.name, class.count, class.retained_size_bytes);
//! }
//! ```
//!
//! # Memory layout
//! Everything is a flat column indexed by node ordinal ([`NodeIdx`]) or edge ordinal
//! ([`EdgeIdx`]). Bytes per node: type 1, name 4, id 4, self size 2, first edge 4, first
//! retainer 4, distance 2, dominator 4, dominated 4 (the dominator tree's children lists;
//! their offsets, kept only for nodes that dominate something, add about 2: see
//! `dominators::Dominated`), class name 2 (a code into the distinct names, see `dict`),
//! Summary row 2 (4 past 65 534 rows), retained size 4 = **about 41 bytes per node** (plus 1
//! for DOM detachedness
//! when some node is detached), plus 4 per node
//! counted in a Summary row (its member list) and 8 per node whose id is out of order (see
//! `id_index`; a few in V8's files, all nodes' 4 when most are). Bytes per edge: type and
//! name 4 (one `name << 3 | type`, see `edge_kinds`; 5 in the rare file with a name index of
//! 2^29 or more, or more than 8 edge types), target 4, retainer edge 4 = **12 bytes per
//! edge** (a retainer's node is its edge's source, found by binary search). Retained sizes
//! of 4 GiB and more are kept aside (12 bytes each), as are self sizes of 64 KiB and more
//! and distances the 2-byte codes cannot hold (8 bytes each, see `narrow`). Plus the string
//! table (the file's strings, UTF-8, once) and 6 bytes per allocation location (node and a
//! code into the distinct locations). Snapshots written with allocation tracking add their
//! trace tree and a `trace_node_id` column (4 bytes per node); others pay nothing for it.
//! The file itself is never held in memory.

mod aggregate;
pub mod allocation;
mod analyze;
pub mod cache;
mod column;
mod dict;
pub mod diff;
mod distance;
pub mod doctor;
mod dom;
mod dominators;
mod edge_kinds;
mod error;
pub mod export;
mod filters;
mod graph;
pub mod heapprofile;
mod id_index;
pub mod leaks;
mod memory;
mod meta;
mod name_hash;
mod names;
mod narrow;
mod parse;
pub mod paths;
mod progress;
pub mod query;
mod redact;
pub mod report;
pub mod save;
mod scripts;
mod shallow;
mod strings;
mod trace;

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

pub use aggregate::{Aggregates, ClassAggregate, Location, NO_CLASS, NodeClasses, Statistics};
pub use allocation::{
    AllocationCallers, AllocationFunction, AllocationIndex, AllocationRow, CallerPath, FunctionIdx,
};
pub use cache::CacheConfig;
pub use column::Column;
pub use diff::{ClassDiff, Diff, diff, id_agreement};
pub use distance::{BASE_SYSTEM_DISTANCE, BASE_UNREACHABLE_DISTANCE, NO_DISTANCE};
pub use error::{Error, ErrorKind, Result};
pub use filters::StringGroup;
pub use leaks::{LeakClass, leak_candidates};
pub use memory::{LoadOptions, available_memory_bytes, disable_memory_check, estimate_load_bytes};
pub use meta::{Meta, SampleLayout, TraceLayout};
pub use names::{InterfaceDefinition, format_property_name, js_cmp, utf16_len};
pub use paths::{
    PathHop, PathLimits, RetainerView, RetainingEdge, RetainingPaths, retaining_paths,
    shortest_retaining_path,
};
pub use progress::Progress;
pub use query::{SearchQuery, SearchScope, search};
pub use redact::{RedactOptions, RedactStats, redact};
pub use strings::StringTable;

use names::WeakMapEdges;

/// A xorshift generator for the unit tests' random inputs: `rand(m)` is in `0..m`.
#[cfg(test)]
pub(crate) fn test_rand(mut seed: u64) -> impl FnMut(u64) -> u64 {
    move |m| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % m
    }
}

/// A node ordinal (0-based position in the snapshot's node list).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NodeIdx(pub u32);

/// An edge ordinal (0-based position in the snapshot's edge list).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct EdgeIdx(pub u32);

/// How long loading took.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timings {
    /// Reading and tokenizing the file.
    pub parse_secs: f64,
    /// All analysis phases.
    pub analyze_secs: f64,
}

impl Timings {
    /// Parse plus analysis.
    pub fn total_secs(&self) -> f64 {
        self.parse_secs + self.analyze_secs
    }
}

/// Edge types, for matching in code (the names come from the snapshot's meta).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// A variable in a closure context (`->name`).
    Context,
    /// An array element (`[i]`).
    Element,
    /// A named property (`.name`).
    Property,
    /// A V8-internal field (`{name}`).
    Internal,
    /// A hidden link (`{i}`).
    Hidden,
    /// A shortcut (e.g. root → global object).
    Shortcut,
    /// A weak reference (`[[name]]`); never retains.
    Weak,
    /// DevTools' synthetic type (never in files).
    Invisible,
    /// A type this version does not know.
    Other,
}

/// A loaded, fully analyzed heap snapshot. Immutable; share it as `Arc<Snapshot>`.
pub struct Snapshot {
    pub(crate) path: Option<PathBuf>,
    pub(crate) file_bytes: u64,
    pub(crate) timings: Timings,
    pub(crate) meta: Meta,
    pub(crate) strings: StringTable,
    pub(crate) node_type: Column<u8>,
    pub(crate) node_name: Column<u32>,
    pub(crate) node_id: Column<u32>,
    pub(crate) self_size: narrow::SelfSizes,
    /// Empty when no node is detached.
    pub(crate) detachedness: Column<u8>,
    pub(crate) first_edge: Column<u32>,
    /// Each edge's type and name index ([`edge_kinds::EdgeKinds`]).
    pub(crate) edge_kinds: edge_kinds::EdgeKinds,
    pub(crate) edge_to: Column<u32>,
    pub(crate) first_retainer: Column<u32>,
    pub(crate) retainer_edge: Column<u32>,
    pub(crate) distance: narrow::Distances,
    pub(crate) dominator: Column<u32>,
    pub(crate) retained: dominators::RetainedSizes,
    pub(crate) dominated: dominators::Dominated,
    pub(crate) class_index: dict::ClassIndex,
    pub(crate) aggregates: aggregate::Aggregates,
    pub(crate) statistics: Statistics,
    pub(crate) locations: dict::Locations,
    pub(crate) interfaces: Vec<InterfaceDefinition>,
    /// String indexes of the `{a, b}` interface names added so far (reused by comparisons).
    pub(crate) interface_names: HashMap<String, u32>,
    pub(crate) weak_maps: WeakMapEdges,
    /// Finds nodes by id.
    pub(crate) by_id: id_index::IdIndex,
    pub(crate) unreachable_count: usize,
    /// Allocation traces (None unless the snapshot was written with allocation tracking).
    pub(crate) trace: Option<trace::TraceData>,
    /// Each node's `trace_node_id` (empty unless `trace` is set and the nodes have the field).
    pub(crate) trace_node_id: Column<u32>,
    /// The raw `samples` array (timeline recordings only).
    pub(crate) samples: Vec<u64>,
    /// The allocation view's index, built on first use.
    pub(crate) allocation: OnceLock<AllocationIndex>,
    /// Script id -> string index of the script's name, built on first use.
    pub(crate) script_names: OnceLock<HashMap<u32, u32>>,
    /// The source file's key when this snapshot was loaded from it through the cache and
    /// its index may be written ([`cache::store_in_background`]).
    pub(crate) cache_source: Option<cache::SourceKey>,
    /// True when the columns are mapped from a persisted index.
    pub(crate) opened_from_index: bool,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("path", &self.path)
            .field("nodes", &self.node_count())
            .field("edges", &self.edge_count())
            .finish_non_exhaustive()
    }
}

/// Opens `path` as a (possibly gzip-compressed) byte stream, with byte progress.
pub(crate) fn open_reader<'p>(
    path: &Path,
    progress: &'p Progress,
) -> Result<(Box<dyn Read + Send + 'p>, u64, bool)> {
    let file = File::open(path).map_err(|e| Error::new(ErrorKind::Io(e)).with_path(path))?;
    let file_bytes = file
        .metadata()
        .map_err(|e| Error::new(ErrorKind::Io(e)).with_path(path))?
        .len();
    progress.set_bytes_total(file_bytes);
    let mut buffered = BufReader::with_capacity(1 << 20, CountingReader::new(file, progress));
    let head = buffered
        .fill_buf()
        .map_err(|e| Error::new(ErrorKind::Io(e)).with_path(path))?;
    let gzip = head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b;
    let reader: Box<dyn Read + Send + 'p> = if gzip {
        Box::new(flate2::bufread::MultiGzDecoder::new(buffered))
    } else {
        Box::new(buffered)
    };
    Ok((reader, file_bytes, gzip))
}

/// Counts bytes read from the file into the shared progress.
struct CountingReader<'p, R> {
    inner: R,
    read: u64,
    progress: &'p Progress,
}

impl<'p, R> CountingReader<'p, R> {
    fn new(inner: R, progress: &'p Progress) -> Self {
        Self {
            inner,
            read: 0,
            progress,
        }
    }
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        self.progress.set_bytes_read(self.read);
        Ok(n)
    }
}

/// Loads and analyzes a `.heapsnapshot` or `.heapsnapshot.gz` file.
///
/// Progress (bytes read, phase) is reported through `progress`; calling
/// [`Progress::cancel`] from another thread stops the load with [`ErrorKind::Cancelled`].
/// Uses the current rayon pool for parallel phases. A snapshot too big for the memory
/// available fails with [`ErrorKind::TooBig`] as soon as its header is read.
pub fn load_path(path: &Path, progress: &Progress) -> Result<Snapshot> {
    load_path_with(path, &LoadOptions::default(), progress)
}

/// [`load_path`] with explicit [`LoadOptions`] (the memory check).
pub fn load_path_with(path: &Path, options: &LoadOptions, progress: &Progress) -> Result<Snapshot> {
    load_path_inner(path, options, progress).map_err(|e| e.with_path(path))
}

fn load_path_inner(path: &Path, options: &LoadOptions, progress: &Progress) -> Result<Snapshot> {
    let started = Instant::now();
    let (reader, file_bytes, gzip) = open_reader(path, progress)?;
    let parsed = parse::parse(
        reader,
        (!gzip).then_some(file_bytes),
        options,
        memory::Need::Load,
        progress,
    )?;
    let parse_secs = started.elapsed().as_secs_f64();
    analyze::analyze(
        parsed,
        Some(path.to_path_buf()),
        file_bytes,
        parse_secs,
        progress,
    )
}

/// Loads a `.heapsnapshot` or `.heapsnapshot.gz` file through the persisted index (see
/// [`cache`]): when `config` has a valid index for the file as it is now, its arrays are
/// mapped (no parsing, no analysis, and only the pages a view reads are loaded); otherwise
/// the file is loaded as by [`load_path`]. The result is the same snapshot either way.
///
/// This does not write the index: after wrapping the snapshot in an `Arc` (and showing
/// it), call [`cache::store_in_background`], which writes it only after a fresh load.
pub fn load_path_cached(
    path: &Path,
    config: &cache::CacheConfig,
    progress: &Progress,
) -> Result<Snapshot> {
    cache::load_path_cached(path, config, progress).map_err(|e| e.with_path(path))
}

/// Loads and analyzes a snapshot read from `reader` as it arrives (plain JSON, not gzip),
/// e.g. a capture streamed from a live process while it is written to `path`, which the
/// snapshot then names. `file_bytes` is the size recorded for it.
pub fn load_reader(
    reader: impl Read + Send,
    path: Option<PathBuf>,
    progress: &Progress,
) -> Result<Snapshot> {
    load_reader_with(reader, path, &LoadOptions::default(), progress)
}

/// [`load_reader`] with explicit [`LoadOptions`] (the memory check). Errors name `path`.
pub fn load_reader_with(
    reader: impl Read + Send,
    path: Option<PathBuf>,
    options: &LoadOptions,
    progress: &Progress,
) -> Result<Snapshot> {
    let started = Instant::now();
    let counted = CountingReader::new(reader, progress);
    let with_path = |e: Error| match &path {
        Some(p) => e.with_path(p),
        None => e,
    };
    let parsed = parse::parse(
        Box::new(counted),
        None,
        options,
        memory::Need::Load,
        progress,
    )
    .map_err(with_path)?;
    let parse_secs = started.elapsed().as_secs_f64();
    let (bytes_read, _) = progress.bytes();
    analyze::analyze(parsed, path.clone(), bytes_read, parse_secs, progress).map_err(with_path)
}

/// Loads a snapshot from bytes in memory (plain JSON or gzip).
pub fn load_bytes(bytes: &[u8], progress: &Progress) -> Result<Snapshot> {
    let started = Instant::now();
    let gzip = bytes.len() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
    let owned = bytes.to_vec();
    let reader: Box<dyn Read + Send> = if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(std::io::Cursor::new(
            owned,
        )))
    } else {
        Box::new(std::io::Cursor::new(owned))
    };
    let parsed = parse::parse(
        reader,
        (!gzip).then_some(bytes.len() as u64),
        &LoadOptions::default(),
        memory::Need::Load,
        progress,
    )?;
    let parse_secs = started.elapsed().as_secs_f64();
    analyze::analyze(parsed, None, bytes.len() as u64, parse_secs, progress)
}

impl Snapshot {
    /// The file this snapshot was loaded from (None for in-memory loads).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// True when this snapshot was opened from its persisted index (columns mapped from
    /// the cache) rather than parsed and analyzed.
    pub fn opened_from_index(&self) -> bool {
        self.opened_from_index
    }

    /// The file's base name, e.g. `final.heapsnapshot.gz` (empty for in-memory loads).
    pub fn file_name(&self) -> String {
        self.path
            .as_deref()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// Size of the input on disk, in bytes (compressed size for `.gz`).
    pub fn file_bytes(&self) -> u64 {
        self.file_bytes
    }

    /// How long parsing and analysis took.
    pub fn timings(&self) -> Timings {
        self.timings
    }

    /// The snapshot's field layout and type tables.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// The string table (file strings plus the class names analysis added).
    pub fn strings(&self) -> &StringTable {
        &self.strings
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.node_id.len()
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.edge_to.len()
    }

    /// Number of nodes the dominator pass could not reach from the root (attached to it).
    pub fn unreachable_count(&self) -> usize {
        self.unreachable_count
    }

    /// The synthetic root node.
    pub fn root(&self) -> NodeIdx {
        NodeIdx(self.meta.root_ordinal)
    }

    /// The node's snapshot object id (shown as `@id`).
    pub fn node_id(&self, n: NodeIdx) -> u32 {
        self.node_id[n.0 as usize]
    }

    /// The node's type name (`object`, `closure`, `string`, `hidden`, …).
    pub fn node_type_name(&self, n: NodeIdx) -> &str {
        self.meta
            .node_types
            .get(usize::from(self.node_type[n.0 as usize]))
            .map_or("", String::as_str)
    }

    /// The node's type code (index into [`Meta::node_types`]).
    pub fn node_type_code(&self, n: NodeIdx) -> u8 {
        self.node_type[n.0 as usize]
    }

    /// The node's name as stored (after DevTools' `Detached ` renaming).
    pub fn raw_name(&self, n: NodeIdx) -> &str {
        self.strings.get(self.node_name[n.0 as usize])
    }

    /// The node's name as DevTools shows it: concatenated strings are joined (first 1024
    /// characters), plain objects are named by their properties (`{a, b, …, z}`).
    pub fn node_name(&self, n: NodeIdx) -> std::borrow::Cow<'_, str> {
        let t = self.node_type[n.0 as usize];
        if t == self.meta.nt.cons_string {
            return std::borrow::Cow::Owned(self.cons_string_name(n));
        }
        if t == self.meta.nt.object && self.raw_name(n) == "Object" {
            return std::borrow::Cow::Owned(self.plain_object_name(n));
        }
        std::borrow::Cow::Borrowed(self.raw_name(n))
    }

    fn cons_string_name(&self, n: NodeIdx) -> String {
        let columns = names::ConsColumns {
            node_type: &self.node_type,
            node_name: &self.node_name,
            first_edge: &self.first_edge,
            edge_kinds: self.edge_kinds.view(),
            edge_to: &self.edge_to,
            strings: &self.strings,
            cons: self.meta.nt.cons_string,
            internal: self.meta.et.internal,
        };
        let mut name = String::new();
        names::cons_string_parts(&columns, n.0, |_, part| name.push_str(part));
        name
    }

    fn plain_object_name(&self, n: NodeIdx) -> String {
        let property = self.meta.et.property;
        let n = n.0 as usize;
        let mut start = String::from("{");
        let mut start_len = 1usize;
        let mut end = String::from("}");
        let mut end_len = 1usize;
        // Edge positions as signed so `from_end` may pass below `from_start`.
        let mut from_start = self.first_edge[n] as i64;
        let mut from_end = self.first_edge[n + 1] as i64 - 1;
        let mut next_from_end = false;
        while from_start <= from_end {
            let e = if next_from_end { from_end } else { from_start } as usize;
            let name = self.strings.get(self.edge_kinds.name(e));
            if self.edge_kinds.ty(e) != property || name == "__proto__" {
                if next_from_end {
                    from_end -= 1;
                } else {
                    from_start += 1;
                }
                continue;
            }
            let formatted = format_property_name(name);
            let formatted_len = utf16_len(&formatted);
            if start_len > 1 && start_len + end_len + formatted_len > 100 {
                break;
            }
            if next_from_end {
                from_end -= 1;
                if end_len > 1 {
                    end.insert_str(0, ", ");
                    end_len += 2;
                }
                end.insert_str(0, &formatted);
                end_len += formatted_len;
            } else {
                from_start += 1;
                if start_len > 1 {
                    start.push_str(", ");
                    start_len += 2;
                }
                start.push_str(&formatted);
                start_len += formatted_len;
            }
            next_from_end = !next_from_end;
        }
        if from_start <= from_end {
            start.push_str(", …");
        }
        if end_len > 1 {
            start.push_str(", ");
        }
        start.push_str(&end);
        start
    }

    /// The name a person calls `n` by in paths, graphs and chains: closures by their
    /// function name (`onConfig`, or `(anonymous function)`), every other object by its
    /// class (the Retainers pane's naming).
    pub fn object_name(&self, n: NodeIdx) -> std::borrow::Cow<'_, str> {
        if self.node_type[n.0 as usize] != self.meta.nt.closure {
            return std::borrow::Cow::Borrowed(self.class_name(n));
        }
        match self.raw_name(n) {
            "" => std::borrow::Cow::Borrowed("(anonymous function)"),
            name => std::borrow::Cow::Borrowed(name),
        }
    }

    /// `object_name @id` (`onConfig @142669`, `Map @5`).
    pub fn object_at_id(&self, n: NodeIdx) -> String {
        format!("{} @{}", self.object_name(n), self.node_id(n))
    }

    /// True for V8's storage between an object and what it holds, which the retainer
    /// graph can fold away: a closure's `system / Context`, `(object elements)` and
    /// `(object properties)` stores, `system / PropertyArray`, and the hash tables of Map,
    /// Set, WeakMap and WeakSet (the unnamed array behind their internal `table` edge).
    pub fn is_v8_plumbing(&self, n: NodeIdx) -> bool {
        let t = self.node_type[n.0 as usize];
        let name = self.raw_name(n);
        if matches!(
            name,
            "system / Context"
                | "(object elements)"
                | "(object properties)"
                | "system / PropertyArray"
        ) {
            return true;
        }
        t == self.meta.nt.array
            && name.is_empty()
            && self.retainers(n).any(|(from, e)| {
                self.edge_kinds.ty(e.0 as usize) == self.meta.et.internal
                    && self.edge_name(e) == "table"
                    && matches!(self.raw_name(from), "Map" | "Set" | "WeakMap" | "WeakSet")
            })
    }

    /// The node's class name as shown in the Summary's Constructor column.
    pub fn class_name(&self, n: NodeIdx) -> &str {
        self.strings.get(self.class_index.get(n.0 as usize))
    }

    /// Shallow size in bytes, after DevTools' re-attribution of owned internal arrays.
    pub fn self_size(&self, n: NodeIdx) -> u64 {
        u64::from(self.self_size.get(n.0 as usize))
    }

    /// Retained size in bytes.
    pub fn retained_size(&self, n: NodeIdx) -> u64 {
        self.retained.get(n.0 as usize)
    }

    /// Distance from the GC roots as DevTools computes it ([`NO_DISTANCE`] when
    /// unreachable, `>= BASE_SYSTEM_DISTANCE` when only reachable via system roots).
    pub fn distance(&self, n: NodeIdx) -> i32 {
        self.distance.get(n.0 as usize)
    }

    /// The immediate dominator (the root dominates itself).
    pub fn dominator(&self, n: NodeIdx) -> NodeIdx {
        NodeIdx(self.dominator[n.0 as usize])
    }

    /// The nodes `n` immediately dominates (children in the dominator tree).
    pub fn dominated(&self, n: NodeIdx) -> impl ExactSizeIterator<Item = NodeIdx> + '_ {
        self.dominated.of(n.0 as usize).iter().map(|&d| NodeIdx(d))
    }

    /// Ids from the immediate dominator of `n` up to the root (inclusive).
    pub fn dominator_chain(&self, n: NodeIdx) -> Vec<NodeIdx> {
        let mut chain = Vec::new();
        let mut cur = n;
        while cur != self.root() {
            cur = self.dominator(cur);
            chain.push(cur);
            if chain.len() > self.node_count() {
                break;
            }
        }
        chain
    }

    /// True for native nodes DevTools considers detached from the DOM.
    pub fn is_detached(&self, n: NodeIdx) -> bool {
        self.detachedness.get(n.0 as usize) == Some(&dom::DETACHED)
    }

    /// The allocation location of the node, when the snapshot records one.
    pub fn location(&self, n: NodeIdx) -> Option<Location> {
        self.locations.get(n.0)
    }

    /// The node's outgoing edges, in snapshot order.
    pub fn edges(&self, n: NodeIdx) -> impl ExactSizeIterator<Item = EdgeIdx> + use<> {
        (self.first_edge[n.0 as usize]..self.first_edge[n.0 as usize + 1]).map(EdgeIdx)
    }

    /// Number of outgoing edges.
    pub fn edge_count_of(&self, n: NodeIdx) -> usize {
        (self.first_edge[n.0 as usize + 1] - self.first_edge[n.0 as usize]) as usize
    }

    /// The node an edge points to.
    pub fn edge_target(&self, e: EdgeIdx) -> NodeIdx {
        NodeIdx(self.edge_to[e.0 as usize])
    }

    /// The node an edge starts from (binary search over the edge offsets).
    pub fn edge_source(&self, e: EdgeIdx) -> NodeIdx {
        let i = self.first_edge.partition_point(|&f| f <= e.0);
        NodeIdx(i.saturating_sub(1) as u32)
    }

    /// The edge's type name (`property`, `element`, `context`, `internal`, …).
    pub fn edge_type_name(&self, e: EdgeIdx) -> &str {
        self.meta
            .edge_types
            .get(usize::from(self.edge_kinds.ty(e.0 as usize)))
            .map_or("", String::as_str)
    }

    /// The edge's type as an enum.
    pub fn edge_kind(&self, e: EdgeIdx) -> EdgeKind {
        let t = self.edge_kinds.ty(e.0 as usize);
        let et = self.meta.et;
        match t {
            _ if t == et.context => EdgeKind::Context,
            _ if t == et.element => EdgeKind::Element,
            _ if t == et.property => EdgeKind::Property,
            _ if t == et.internal => EdgeKind::Internal,
            _ if t == et.hidden => EdgeKind::Hidden,
            _ if t == et.shortcut => EdgeKind::Shortcut,
            _ if t == et.weak => EdgeKind::Weak,
            _ if t == et.invisible => EdgeKind::Invisible,
            _ => EdgeKind::Other,
        }
    }

    /// True for weak edges and for the WeakMap table→value half of an ephemeron pair:
    /// edges that never make a path retaining.
    pub fn is_weak_edge(&self, e: EdgeIdx) -> bool {
        match self.edge_kind(e) {
            EdgeKind::Weak => true,
            EdgeKind::Internal => self
                .weak_maps
                .get(self.edge_kinds.name(e.0 as usize))
                .is_some_and(|w| u64::from(self.node_id(self.edge_source(e))) == w.table_id),
            _ => false,
        }
    }

    /// For each of `texts`, the indexes of the strings equal to it (usually one; none when no
    /// string is that text), so that names are found by index instead of comparing text at
    /// every node or edge. One pass over the strings, on both cores.
    pub(crate) fn string_indexes<const N: usize>(&self, texts: [&str; N]) -> [Vec<u32>; N] {
        use rayon::prelude::*;
        let hits: Vec<(usize, u32)> = (0..self.strings.len() as u32)
            .into_par_iter()
            .filter_map(|i| {
                let text = self.strings.get(i);
                texts.iter().position(|&t| t == text).map(|k| (k, i))
            })
            .collect();
        let mut out: [Vec<u32>; N] = std::array::from_fn(|_| Vec::new());
        for (k, i) in hits {
            out[k].push(i);
        }
        out
    }

    /// The edge's name as DevTools' `name()` returns it: the index for elements and hidden
    /// edges, a number for numeric shortcut names, otherwise the string.
    pub fn edge_name(&self, e: EdgeIdx) -> std::borrow::Cow<'_, str> {
        let raw = self.edge_kinds.name(e.0 as usize);
        match self.edge_kind(e) {
            EdgeKind::Element | EdgeKind::Hidden => std::borrow::Cow::Owned(raw.to_string()),
            EdgeKind::Shortcut => {
                let s = self.strings.get(raw);
                match distance::js_parse_int(s) {
                    Some(v) => std::borrow::Cow::Owned(v.to_string()),
                    None => std::borrow::Cow::Borrowed(s),
                }
            }
            _ => std::borrow::Cow::Borrowed(self.strings.get(raw)),
        }
    }

    /// The edge as DevTools renders it: `.name`, `["a b"]`, `[0]`, `->name`, `{name}`,
    /// `[[name]]`.
    pub fn edge_label(&self, e: EdgeIdx) -> String {
        let name = self.edge_name(e);
        match self.edge_kind(e) {
            EdgeKind::Context => format!("->{name}"),
            EdgeKind::Element => format!("[{name}]"),
            EdgeKind::Weak => format!("[[{name}]]"),
            EdgeKind::Property | EdgeKind::Shortcut => {
                if name.contains(' ') {
                    format!("[\"{name}\"]")
                } else {
                    format!(".{name}")
                }
            }
            EdgeKind::Internal | EdgeKind::Hidden | EdgeKind::Invisible => format!("{{{name}}}"),
            EdgeKind::Other => format!("?{name}?"),
        }
    }

    /// All retainers of `n` as (retaining node, edge), in DevTools' order.
    pub fn retainers(&self, n: NodeIdx) -> impl ExactSizeIterator<Item = (NodeIdx, EdgeIdx)> + '_ {
        let range = self.first_retainer[n.0 as usize] as usize
            ..self.first_retainer[n.0 as usize + 1] as usize;
        range.map(|i| {
            let e = EdgeIdx(self.retainer_edge[i]);
            (self.edge_source(e), e)
        })
    }

    /// Number of retaining edges (unfiltered).
    pub fn retainer_count(&self, n: NodeIdx) -> usize {
        (self.first_retainer[n.0 as usize + 1] - self.first_retainer[n.0 as usize]) as usize
    }

    /// The retainers DevTools' Retainers view shows: no weak or invisible edges and none
    /// from the root.
    pub fn visible_retainers(&self, n: NodeIdx) -> impl Iterator<Item = (NodeIdx, EdgeIdx)> + '_ {
        let root = self.root();
        self.retainers(n).filter(move |&(from, e)| {
            from != root && !matches!(self.edge_kind(e), EdgeKind::Weak | EdgeKind::Invisible)
        })
    }

    /// The Summary rows, sorted by retained size descending.
    pub fn classes(&self) -> &[ClassAggregate] {
        &self.aggregates.classes
    }

    /// Instances of Summary row `class` (node ordinals in snapshot order).
    pub fn class_members(&self, class: usize) -> &[u32] {
        self.aggregates
            .classes
            .get(class)
            .map_or(&[], |c| &self.aggregates.members[c.members.clone()])
    }

    /// The Summary row `n` belongs to (None for nodes with zero shallow size).
    pub fn node_class(&self, n: NodeIdx) -> Option<usize> {
        self.aggregates.node_class(n.0)
    }

    /// DevTools' Statistics.
    pub fn statistics(&self) -> &Statistics {
        &self.statistics
    }

    /// The Summary rows and members (all objects).
    pub fn aggregates(&self) -> &Aggregates {
        &self.aggregates
    }

    /// The largest odd (JavaScript object) id: ids above another snapshot's value were
    /// allocated after it (DevTools' `maxJsNodeId`).
    pub fn max_js_node_id(&self) -> u32 {
        self.node_id
            .iter()
            .copied()
            .filter(|id| id % 2 == 1)
            .max()
            .unwrap_or(0)
    }

    /// Summary aggregates of the objects with `min_exclusive < id <= max_inclusive`: DevTools'
    /// "Objects allocated between Snapshot 1 and Snapshot 2" (pass the two snapshots'
    /// [`Snapshot::max_js_node_id`]). Walks the whole graph: run it on a worker.
    pub fn aggregates_in_id_range(&self, min_exclusive: u32, max_inclusive: u32) -> Aggregates {
        let ids = &self.node_id;
        self.aggregates_where(&|n| ids[n] > min_exclusive && ids[n] <= max_inclusive)
    }

    /// Summary aggregates of the nodes (ordinals) `include` accepts.
    pub(crate) fn aggregates_where(&self, include: &(dyn Fn(usize) -> bool + Sync)) -> Aggregates {
        aggregate::aggregates(
            &aggregate::ClassInputs {
                meta: &self.meta,
                strings: &self.strings,
                node_type: &self.node_type,
                self_size: &self.self_size,
                class_index: &self.class_index,
                distance: &self.distance,
                locations: &self.locations,
                include: Some(include),
            },
            &aggregate::TreeInputs {
                root: self.meta.root_ordinal,
                retained: &self.retained,
                dominated: &self.dominated,
            },
        )
    }

    /// The plain-object interface definitions inferred for this snapshot (`{a, b}` names).
    pub fn interfaces(&self) -> &[InterfaceDefinition] {
        &self.interfaces
    }

    /// The node with snapshot object id `id`.
    pub fn find_by_id(&self, id: u32) -> Option<NodeIdx> {
        self.by_id.find(&self.node_id, id).map(NodeIdx)
    }

    /// Every node ordinal, by increasing id (ties: by ordinal).
    pub(crate) fn nodes_by_id(&self) -> impl Iterator<Item = u32> + '_ {
        self.by_id.nodes_by_id(&self.node_id)
    }

    /// Sum of all shallow sizes.
    pub fn total_shallow_size(&self) -> u64 {
        self.self_size.iter().map(u64::from).sum()
    }

    /// Root retained size plus the header's `extra_native_bytes` (DevTools' total size).
    pub fn total_size(&self) -> u64 {
        self.retained_size(self.root()) + self.meta.extra_native_bytes
    }
}

/// Memory held by a loaded snapshot (capacities of its columns).
#[derive(Clone, Copy, Debug, Default)]
pub struct MemoryUsage {
    /// All columns, strings and aggregates.
    pub total_bytes: u64,
    /// Bytes of per-node columns divided by the node count.
    pub bytes_per_node: f64,
    /// Bytes of per-edge columns divided by the edge count.
    pub bytes_per_edge: f64,
    /// The string table.
    pub string_bytes: u64,
}

impl Snapshot {
    /// Measures the memory of the loaded snapshot.
    pub fn memory_usage(&self) -> MemoryUsage {
        fn cap<T>(v: &Vec<T>) -> u64 {
            (v.capacity() * std::mem::size_of::<T>()) as u64
        }
        let per_node = self.node_type.held_bytes()
            + self.node_name.held_bytes()
            + self.node_id.held_bytes()
            + self.self_size.heap_bytes()
            + self.self_size.mapped_bytes()
            + self.detachedness.held_bytes()
            + self.first_edge.held_bytes()
            + self.first_retainer.held_bytes()
            + self.distance.heap_bytes()
            + self.distance.mapped_bytes()
            + self.dominator.held_bytes()
            + self.retained.small.held_bytes()
            + cap(&self.retained.large)
            + self.dominated.heap_bytes()
            + self.class_index.heap_bytes()
            + self.aggregates.node_class.heap_bytes()
            + self.aggregates.members.held_bytes()
            + self.by_id.heap_bytes()
            + self.trace_node_id.held_bytes();
        let per_edge = self.edge_kinds.heap_bytes()
            + self.edge_kinds.mapped_bytes()
            + self.edge_to.held_bytes()
            + self.retainer_edge.held_bytes();
        let string_bytes = self.strings.heap_bytes() as u64;
        MemoryUsage {
            total_bytes: per_node
                + per_edge
                + string_bytes
                + self.locations.heap_bytes()
                + self.trace.as_ref().map_or(0, trace::TraceData::heap_bytes)
                + cap(&self.samples),
            bytes_per_node: per_node as f64 / self.node_count().max(1) as f64,
            bytes_per_edge: per_edge as f64 / self.edge_count().max(1) as f64,
            string_bytes,
        }
    }
}
