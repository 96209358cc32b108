//! DevTools' Allocation view, GUI-free: a port of `AllocationProfile.ts` (chrome-devtools-frontend
//! `entrypoints/heap_snapshot_worker/`) over the allocation traces of a tracked snapshot.
//!
//! - [`Snapshot::allocation_functions`]: the view's rows (`serializeTraceTops`): every function
//!   that allocated, with its allocation count and size (live or dead) and the count and
//!   shallow size of its objects still alive, biggest size first.
//! - [`Snapshot::allocation_callers`]: expanding a row (`serializeCallers`): the callers of a
//!   function, bottom-up, with chains of single callers collapsed.
//! - [`Snapshot::allocation_stack`]: one object's allocation stack (`allocationStack`).
//! - [`Snapshot::allocated_by`] / [`Snapshot::aggregates_allocated_by`]: the Summary filter of a
//!   selected row (DevTools' `traceIds` and `createAllocationStackFilter`).
//!
//! A row is addressed by its [`CallerPath`]: the allocating function followed by its callers,
//! innermost first, exactly the chain of functions DevTools' bottom-up tree merges by. Rows are
//! recomputed from the trace tree on each call (a few microseconds per allocating stack);
//! what needs a pass over all nodes (live counts and sizes per trace node, the trace id
//! index) is computed once, on first use, and cached in the snapshot ([`AllocationIndex`]).
//!
//! Array layout of [`AllocationIndex`] (trace node ordinals as in `trace.rs`):
//! `live_count`/`live_size` have one entry per trace node; `first_top` (functions + 1
//! entries) and `tops` are a CSR of each function's allocating trace nodes (count > 0) in
//! preorder; `rows` holds the sorted top-level rows.

use std::collections::HashMap;

use serde::Serialize;

use super::narrow::SelfSizes;
use super::trace::{NO_PARENT, TraceData};
use super::{Aggregates, NodeIdx, Snapshot};

/// A function of the allocation traces (its record number in `trace_function_infos`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FunctionIdx(pub u32);

/// A function as the allocation traces record it (strings borrowed from the snapshot).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllocationFunction<'a> {
    /// Function name (empty for anonymous functions and top-level script code).
    pub name: &'a str,
    /// Script name or URL (empty when unknown, e.g. for `(root)` and `(V8 API)`).
    pub script_name: &'a str,
    /// V8 script id (0 when unknown).
    pub script_id: u32,
    /// 1-based line of the function's start, as stored (0 when unknown).
    pub line: u32,
    /// 1-based column, as stored (0 when unknown).
    pub column: u32,
}

impl AllocationFunction<'_> {
    /// `script:line:column` as DevTools shows it beside the function (empty without a script
    /// name; `script` alone without a line).
    pub fn location_label(&self) -> String {
        match (self.script_name.is_empty(), self.line) {
            (true, _) => String::new(),
            (false, 0) => self.script_name.to_owned(),
            (false, line) => format!("{}:{}:{}", self.script_name, line, self.column),
        }
    }

    /// The name DevTools shows for it: `(anonymous)` for an empty name.
    pub fn display_name(&self) -> &str {
        if self.name.is_empty() {
            "(anonymous)"
        } else {
            self.name
        }
    }
}

/// A node of the bottom-up allocation tree: the allocating function, then its caller, then
/// that caller's caller, … (innermost first). A top-level row's path has one element.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct CallerPath(pub Vec<FunctionIdx>);

impl CallerPath {
    /// The path of a top-level row.
    pub fn of(function: FunctionIdx) -> Self {
        Self(vec![function])
    }

    /// The function this path ends in (the row's function); None for an empty path.
    pub fn function(&self) -> Option<FunctionIdx> {
        self.0.last().copied()
    }

    /// The allocating function (the top-level row this path expands); None when empty.
    pub fn allocating_function(&self) -> Option<FunctionIdx> {
        self.0.first().copied()
    }

    /// Depth below the top-level row (0 for a top-level row).
    pub fn depth(&self) -> usize {
        self.0.len().saturating_sub(1)
    }
}

/// One row of the Allocation view: a function that allocated, or one of its callers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllocationRow {
    /// Where the row is in the bottom-up tree; its last element is the row's function.
    pub path: CallerPath,
    /// Allocations made through this row's stacks (live or dead).
    pub count: u64,
    /// Bytes allocated through this row's stacks.
    pub size_bytes: u64,
    /// Objects allocated through this row's stacks that are in the snapshot.
    pub live_count: u64,
    /// Shallow size of those objects (after DevTools' re-attribution).
    pub live_size_bytes: u64,
    /// Whether the row can be expanded (it has callers; for top-level rows, DevTools says
    /// yes for every function but the first, the trace tree's root function).
    pub has_children: bool,
}

impl AllocationRow {
    /// The row's function.
    pub fn function(&self) -> FunctionIdx {
        self.path.function().unwrap_or_default()
    }
}

/// The callers of a row as DevTools expands it (`AllocationNodeCallers`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllocationCallers {
    /// While a row has exactly one caller, that caller (then its only caller, …): DevTools
    /// shows this chain inline, one row under the other.
    pub single_caller_chain: Vec<AllocationRow>,
    /// The callers of the last row of the chain (or of the row itself when the chain is
    /// empty) when there are none or several, in the order they were first met.
    pub branching_callers: Vec<AllocationRow>,
}

/// What the allocation rows need from a pass over every node, computed once per snapshot on
/// first use (see the module docs for the layout).
#[derive(Debug)]
pub struct AllocationIndex {
    live_count: Vec<u64>,
    live_size: Vec<u64>,
    first_top: Vec<u32>,
    tops: Vec<u32>,
    /// Trace node id → ordinal of the last trace node with that id (DevTools' `idToTopDownNode`).
    by_id: IdMap,
    rows: Vec<AllocationRow>,
}

/// Trace node id → trace node ordinal ([`NO_PARENT`] when absent).
#[derive(Debug)]
enum IdMap {
    /// Indexed by id (ids are small: V8 numbers trace nodes from 1).
    Dense(Vec<u32>),
    /// For sparse ids.
    Sparse(HashMap<u32, u32>),
}

impl IdMap {
    fn new(ids: &[u32]) -> Self {
        let max = ids.iter().copied().max().unwrap_or(0) as usize;
        if max <= ids.len().saturating_mul(4) + 1024 {
            let mut map = vec![NO_PARENT; max + 1];
            for (i, &id) in ids.iter().enumerate() {
                map[id as usize] = i as u32;
            }
            Self::Dense(map)
        } else {
            let mut map = HashMap::with_capacity(ids.len());
            for (i, &id) in ids.iter().enumerate() {
                map.insert(id, i as u32);
            }
            Self::Sparse(map)
        }
    }

    fn get(&self, id: u32) -> Option<u32> {
        match self {
            Self::Dense(map) => map.get(id as usize).copied().filter(|&i| i != NO_PARENT),
            Self::Sparse(map) => map.get(&id).copied(),
        }
    }
}

/// Sums of a set of allocating trace nodes.
#[derive(Clone, Copy, Default)]
struct Sums {
    count: u64,
    size: u64,
    live_count: u64,
    live_size: u64,
}

impl AllocationIndex {
    fn build(trace: &TraceData, trace_node_id: &[u32], self_size: &SelfSizes) -> Self {
        let tree = &trace.tree;
        let by_id = IdMap::new(&tree.id);
        // Live objects per trace node id, accumulated at the id's last trace node.
        let mut acc_count = vec![0u64; tree.len()];
        let mut acc_size = vec![0u64; tree.len()];
        for (&t, size) in trace_node_id.iter().zip(self_size.iter()) {
            if let Some(i) = by_id.get(t) {
                acc_count[i as usize] += 1;
                acc_size[i as usize] += u64::from(size);
            }
        }
        // Every trace node with that id sees the id's stats (DevTools' `liveObjects[id]`).
        let mut live_count = vec![0u64; tree.len()];
        let mut live_size = vec![0u64; tree.len()];
        for (i, &id) in tree.id.iter().enumerate() {
            if let Some(last) = by_id.get(id) {
                live_count[i] = acc_count[last as usize];
                live_size[i] = acc_size[last as usize];
            }
        }
        drop((acc_count, acc_size));
        // Allocating trace nodes ("trace tops") per function, in preorder (counting sort).
        let function_count = trace.functions.len();
        let mut first_top = vec![0u32; function_count + 1];
        for (i, &f) in tree.function.iter().enumerate() {
            if tree.count[i] > 0 {
                first_top[f as usize + 1] += 1;
            }
        }
        for f in 0..function_count {
            first_top[f + 1] += first_top[f];
        }
        let mut fill = first_top.clone();
        let mut tops = vec![0u32; first_top[function_count] as usize];
        for (i, &f) in tree.function.iter().enumerate() {
            if tree.count[i] > 0 {
                tops[fill[f as usize] as usize] = i as u32;
                fill[f as usize] += 1;
            }
        }
        let mut index = Self {
            live_count,
            live_size,
            first_top,
            tops,
            by_id,
            rows: Vec::new(),
        };
        let mut rows: Vec<AllocationRow> = (0..function_count as u32)
            .filter_map(|f| {
                let tops = index.tops_of(FunctionIdx(f));
                let sums = index.sums(trace, tops.iter().copied());
                (sums.count > 0).then(|| AllocationRow {
                    path: CallerPath::of(FunctionIdx(f)),
                    count: sums.count,
                    size_bytes: sums.size,
                    live_count: sums.live_count,
                    live_size_bytes: sums.live_size,
                    has_children: f != 0,
                })
            })
            .collect();
        // Stable: equal sizes keep function order, as DevTools' `Array.sort`.
        rows.sort_by_key(|r| std::cmp::Reverse(r.size_bytes));
        index.rows = rows;
        index
    }

    fn tops_of(&self, f: FunctionIdx) -> &[u32] {
        let f = f.0 as usize;
        match (self.first_top.get(f), self.first_top.get(f + 1)) {
            (Some(&a), Some(&b)) => &self.tops[a as usize..b as usize],
            _ => &[],
        }
    }

    fn sums(&self, trace: &TraceData, tops: impl Iterator<Item = u32>) -> Sums {
        let mut s = Sums::default();
        for t in tops {
            let t = t as usize;
            s.count += trace.tree.count[t];
            s.size += trace.tree.size[t];
            s.live_count += self.live_count[t];
            s.live_size += self.live_size[t];
        }
        s
    }

    /// The allocating trace nodes whose callers match `path`, each with the trace node of
    /// the path's last function: `(top, node)`.
    fn matching(&self, trace: &TraceData, path: &CallerPath) -> Vec<(u32, u32)> {
        let Some(first) = path.allocating_function() else {
            return Vec::new();
        };
        let tree = &trace.tree;
        self.tops_of(first)
            .iter()
            .filter_map(|&top| {
                let mut at = top;
                for f in &path.0[1..] {
                    at = tree.parent[at as usize];
                    if at == NO_PARENT || tree.function[at as usize] != f.0 {
                        return None;
                    }
                }
                Some((top, at))
            })
            .collect()
    }

    fn row(&self, trace: &TraceData, path: CallerPath, members: &[(u32, u32)]) -> AllocationRow {
        let sums = self.sums(trace, members.iter().map(|&(top, _)| top));
        AllocationRow {
            path,
            count: sums.count,
            size_bytes: sums.size,
            live_count: sums.live_count,
            live_size_bytes: sums.live_size,
            has_children: members
                .iter()
                .any(|&(_, at)| trace.tree.parent[at as usize] != NO_PARENT),
        }
    }

    fn callers(&self, trace: &TraceData, path: &CallerPath) -> AllocationCallers {
        // Each row of the chain holds its whole path, so a chain costs its length squared:
        // stop following it after this many rows and list the rest as one branching
        // caller (expandable again). V8 records at most 64 frames per allocation, so only a
        // malformed trace tree gets there.
        const MAX_SINGLE_CALLER_CHAIN: usize = 256;
        let tree = &trace.tree;
        let mut members = self.matching(trace, path);
        let mut path = path.clone();
        let mut out = AllocationCallers::default();
        loop {
            // Group by caller function, in the order callers are first met.
            let mut groups: Vec<(u32, Vec<(u32, u32)>)> = Vec::new();
            for &(top, at) in &members {
                let caller = tree.parent[at as usize];
                if caller == NO_PARENT {
                    continue;
                }
                let f = tree.function[caller as usize];
                match groups.iter_mut().find(|(g, _)| *g == f) {
                    Some((_, list)) => list.push((top, caller)),
                    None => groups.push((f, vec![(top, caller)])),
                }
            }
            if groups.len() == 1 && out.single_caller_chain.len() < MAX_SINGLE_CALLER_CHAIN {
                if let Some((f, list)) = groups.pop() {
                    path.0.push(FunctionIdx(f));
                    out.single_caller_chain
                        .push(self.row(trace, path.clone(), &list));
                    members = list;
                }
                continue;
            }
            out.branching_callers = groups
                .into_iter()
                .map(|(f, list)| {
                    let mut p = path.clone();
                    p.0.push(FunctionIdx(f));
                    self.row(trace, p, &list)
                })
                .collect();
            return out;
        }
    }
}

impl Snapshot {
    /// True when the snapshot has allocation traces (it was written with allocation
    /// tracking on: `trace_function_count > 0`). Only then do the `allocation_*` methods
    /// return anything.
    pub fn has_allocation_data(&self) -> bool {
        self.trace.is_some()
    }

    /// The allocation index, computed on first use (one pass over every node: call it on a
    /// worker first). None without allocation data.
    pub fn allocation_index(&self) -> Option<&AllocationIndex> {
        let trace = self.trace.as_ref()?;
        Some(
            self.allocation.get_or_init(|| {
                AllocationIndex::build(trace, &self.trace_node_id, &self.self_size)
            }),
        )
    }

    /// Number of functions in the allocation traces (0 without allocation data).
    pub fn allocation_function_count(&self) -> usize {
        self.trace.as_ref().map_or(0, |t| t.functions.len())
    }

    /// A function of the allocation traces. Unknown indexes give an empty function.
    pub fn allocation_function(&self, f: FunctionIdx) -> AllocationFunction<'_> {
        match self
            .trace
            .as_ref()
            .and_then(|t| t.functions.get(f.0 as usize))
        {
            Some(info) => AllocationFunction {
                name: self.strings.get(info.name),
                script_name: self.strings.get(info.script_name),
                script_id: info.script_id,
                line: info.line,
                column: info.column,
            },
            None => AllocationFunction {
                name: "",
                script_name: "",
                script_id: 0,
                line: 0,
                column: 0,
            },
        }
    }

    /// The Allocation view's top-level rows (DevTools' `allocationTracesTops()`): every
    /// function that allocated, biggest allocated size first (ties in function order).
    /// Empty without allocation data. The first call builds the [`AllocationIndex`].
    pub fn allocation_functions(&self) -> &[AllocationRow] {
        self.allocation_index().map_or(&[], |i| &i.rows)
    }

    /// The callers of the row at `path`, as DevTools expands it (`allocationNodeCallers()`):
    /// the chain of single callers, then the branching callers. Expand a caller row by
    /// passing its own `path`.
    pub fn allocation_callers(&self, path: &CallerPath) -> AllocationCallers {
        match (self.trace.as_ref(), self.allocation_index()) {
            (Some(trace), Some(index)) => index.callers(trace, path),
            _ => AllocationCallers::default(),
        }
    }

    /// The row at `path` on its own (its sums and whether it has callers); None when no
    /// allocating stack matches the path.
    pub fn allocation_row(&self, path: &CallerPath) -> Option<AllocationRow> {
        let trace = self.trace.as_ref()?;
        let index = self.allocation_index()?;
        let members = index.matching(trace, path);
        if members.is_empty() {
            return None;
        }
        let mut row = index.row(trace, path.clone(), &members);
        if path.0.len() == 1 {
            // Top-level rows: DevTools' flag (every function but the tree root's).
            row.has_children = path.0[0].0 != 0;
        }
        Some(row)
    }

    /// The allocation stack of object `n` (DevTools' `allocationStack()`): the function that
    /// allocated it first, then its callers up to the root. None when no stack was recorded
    /// for it ("Stack was not recorded for this object": trace node id 0, or no allocation
    /// data); an empty list when its trace node id is not in the trace tree.
    pub fn allocation_stack(&self, n: NodeIdx) -> Option<Vec<AllocationFunction<'_>>> {
        let trace = self.trace.as_ref()?;
        let id = *self.trace_node_id.get(n.0 as usize)?;
        if id == 0 {
            return None;
        }
        let index = self.allocation_index()?;
        let mut frames = Vec::new();
        let mut at = index.by_id.get(id).unwrap_or(NO_PARENT);
        while at != NO_PARENT && frames.len() <= trace.tree.len() {
            frames.push(self.allocation_function(FunctionIdx(trace.tree.function[at as usize])));
            at = trace.tree.parent[at as usize];
        }
        Some(frames)
    }

    /// The trace node id of object `n` (0: no stack recorded, or no allocation data).
    pub fn trace_node_id(&self, n: NodeIdx) -> u32 {
        self.trace_node_id.get(n.0 as usize).copied().unwrap_or(0)
    }

    /// The trace node ids of the row at `path` (DevTools' `traceIds()`): its allocating
    /// stacks, in trace tree order. The objects whose trace node id is one of them are the
    /// row's live objects.
    pub fn allocation_trace_ids(&self, path: &CallerPath) -> Vec<u32> {
        match (self.trace.as_ref(), self.allocation_index()) {
            (Some(trace), Some(index)) => index
                .matching(trace, path)
                .into_iter()
                .map(|(top, _)| trace.tree.id[top as usize])
                .collect(),
            _ => Vec::new(),
        }
    }

    /// One flag per node: allocated through the row at `path` (DevTools'
    /// `createAllocationStackFilter`, the Summary filter of a selected Allocation row).
    /// All false without allocation data. Walks every node: run it on a worker.
    pub fn allocated_by(&self, path: &CallerPath) -> Vec<bool> {
        let mut ids = self.allocation_trace_ids(path);
        ids.sort_unstable();
        ids.dedup();
        let mut flags = vec![false; self.node_count()];
        if ids.is_empty() {
            return flags;
        }
        for (flag, id) in flags.iter_mut().zip(&self.trace_node_id) {
            *flag = ids.binary_search(id).is_ok();
        }
        flags
    }

    /// The node ordinals [`Snapshot::allocated_by`] flags, in snapshot order.
    pub fn nodes_allocated_by(&self, path: &CallerPath) -> Vec<NodeIdx> {
        self.allocated_by(path)
            .iter()
            .enumerate()
            .filter(|(_, f)| **f)
            .map(|(i, _)| NodeIdx(i as u32))
            .collect()
    }

    /// Summary aggregates of the objects allocated through the row at `path` (see
    /// [`Snapshot::allocated_by`]). Walks the whole graph: run it on a worker.
    pub fn aggregates_allocated_by(&self, path: &CallerPath) -> Aggregates {
        let flags = self.allocated_by(path);
        self.aggregates_where(&|n| flags[n])
    }

    /// The timeline samples of an "Allocations on timeline" recording: `(timestamp_us,
    /// last_assigned_id)` pairs, in file order (empty for `writeHeapSnapshot` files).
    pub fn allocation_samples(&self) -> Vec<(u64, u64)> {
        let Some(layout) = self.meta.sample_layout else {
            return Vec::new();
        };
        self.samples
            .chunks_exact(layout.field_count)
            .map(|r| (r[layout.timestamp_us], r[layout.last_assigned_id]))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// The oracle's JSON (`node oracle.js FILE --sections allocation`).

/// The `alloc --json` report: the oracle's output minus `devtoolsFrontendVersion`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AllocationReport {
    /// Base name of the input.
    pub file: String,
    /// Size of the input on disk.
    pub file_bytes: u64,
    /// The `allocation` section.
    pub allocation: AllocationSection,
}

/// The oracle's `allocation` section.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AllocationSection {
    /// False for snapshots written without allocation tracking (then nothing else is set).
    pub has_allocation_data: bool,
    /// Number of top-level rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_count: Option<usize>,
    /// The first top-level rows, each with its callers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub functions: Option<Vec<FunctionReport>>,
    /// Allocation stacks of the largest objects that have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stacks: Option<Vec<StackReport>>,
}

/// A row in the oracle's shape.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RowReport {
    /// Function name.
    pub name: String,
    /// Script name.
    pub script_name: String,
    /// Script id.
    pub script_id: u32,
    /// Line as stored (1-based).
    pub line: u32,
    /// Column as stored (1-based).
    pub column: u32,
    /// Allocations.
    pub count: u64,
    /// Bytes allocated.
    pub size: u64,
    /// Live objects.
    pub live_count: u64,
    /// Their shallow size.
    pub live_size: u64,
    /// Expandable.
    pub has_children: bool,
}

/// A top-level row with its callers.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionReport {
    /// The row.
    #[serde(flatten)]
    pub row: RowReport,
    /// [`AllocationCallers::single_caller_chain`].
    pub single_caller_chain: Vec<RowReport>,
    /// [`AllocationCallers::branching_callers`].
    pub branching_callers: Vec<RowReport>,
}

/// One object's allocation stack.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StackReport {
    /// `@id`.
    pub id: u32,
    /// Class name.
    pub class_name: String,
    /// Retained size.
    pub retained_size: u64,
    /// Frames, allocating function first.
    pub stack: Vec<FrameReport>,
}

/// One frame of an allocation stack.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FrameReport {
    /// Function name.
    pub function_name: String,
    /// Script name.
    pub script_name: String,
    /// Script id.
    pub script_id: u32,
    /// Line as stored.
    pub line: u32,
    /// Column as stored.
    pub column: u32,
}

impl From<AllocationFunction<'_>> for FrameReport {
    fn from(f: AllocationFunction<'_>) -> Self {
        Self {
            function_name: f.name.to_owned(),
            script_name: f.script_name.to_owned(),
            script_id: f.script_id,
            line: f.line,
            column: f.column,
        }
    }
}

impl Snapshot {
    fn row_report(&self, row: &AllocationRow) -> RowReport {
        let f = self.allocation_function(row.function());
        RowReport {
            name: f.name.to_owned(),
            script_name: f.script_name.to_owned(),
            script_id: f.script_id,
            line: f.line,
            column: f.column,
            count: row.count,
            size: row.size_bytes,
            live_count: row.live_count,
            live_size: row.live_size_bytes,
            has_children: row.has_children,
        }
    }

    /// The oracle's `allocation` report: the first `top_functions` rows with their callers,
    /// and the allocation stacks of the `top_nodes` objects with the largest retained size
    /// that have one (ties: lower id first).
    pub fn allocation_report(&self, top_functions: usize, top_nodes: usize) -> AllocationReport {
        AllocationReport {
            file: self.file_name(),
            file_bytes: self.file_bytes,
            allocation: self.allocation_section(top_functions, top_nodes),
        }
    }

    fn allocation_section(&self, top_functions: usize, top_nodes: usize) -> AllocationSection {
        if !self.has_allocation_data() {
            return AllocationSection {
                has_allocation_data: false,
                function_count: None,
                functions: None,
                stacks: None,
            };
        }
        let rows = self.allocation_functions();
        let functions = rows
            .iter()
            .take(top_functions)
            .map(|row| {
                let callers = self.allocation_callers(&row.path);
                FunctionReport {
                    row: self.row_report(row),
                    single_caller_chain: callers
                        .single_caller_chain
                        .iter()
                        .map(|r| self.row_report(r))
                        .collect(),
                    branching_callers: callers
                        .branching_callers
                        .iter()
                        .map(|r| self.row_report(r))
                        .collect(),
                }
            })
            .collect();
        // Objects with a recorded stack, by retained size (ties: lower id first).
        let mut candidates: Vec<u32> = (0..self.trace_node_id.len() as u32)
            .filter(|&n| self.trace_node_id[n as usize] != 0)
            .collect();
        candidates.sort_unstable_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            self.retained
                .get(b)
                .cmp(&self.retained.get(a))
                .then(self.node_id[a].cmp(&self.node_id[b]))
        });
        let stacks = candidates
            .into_iter()
            .take(top_nodes)
            .filter_map(|n| {
                let n = NodeIdx(n);
                let stack = self.allocation_stack(n)?;
                Some(StackReport {
                    id: self.node_id(n),
                    class_name: self.class_name(n).to_owned(),
                    retained_size: self.retained_size(n),
                    stack: stack.into_iter().map(FrameReport::from).collect(),
                })
            })
            .collect();
        AllocationSection {
            has_allocation_data: true,
            function_count: Some(rows.len()),
            functions: Some(functions),
            stacks: Some(stacks),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::snapshot::{Progress, load_bytes};

    /// Node 20's `snapshot.meta` (7 node fields, allocation trace fields).
    pub(crate) const META: &str = r#"{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"],"node_types":[["hidden","array","string","object","code","closure","regexp","number","native","synthetic","concatenated string","sliced string","symbol","bigint","object shape","wasm object"],"string","number","number","number","number","number"],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"],"trace_function_info_fields":["function_id","name","script_name","script_id","line","column"],"trace_node_fields":["id","function_info_index","count","size","children"],"sample_fields":["timestamp_us","last_assigned_id"],"location_fields":["object_index","script_id","line","column"]}"#;

    /// A tiny tracked snapshot, written by hand:
    ///
    /// ```text
    /// root -> (GC roots); root -shortcut-> global @5
    /// global .a .b -> Foo @7, Foo @9 (trace 3)   .c -> Foo @11 (trace 5)
    /// global .f -> closure make @13 (trace 2) -{shared}-> SFI @15 (trace 42, not in the tree)
    ///           -{script_or_debug_info}-> Script "app.js" @17
    /// trace tree: 1 (root) -> 2 main [1 x 16 B] -> 3 make [2 x 64 B]
    ///                                           -> 4 helper -> 5 make [1 x 32 B]
    /// ```
    pub(crate) fn tiny_json(trace_function_count: u32, trace_tree: &str) -> String {
        format!(
            r#"{{"snapshot":{{"meta":{META},"node_count":9,"edge_count":8,"trace_function_count":{trace_function_count}}},
"nodes":[9,0,1,0,2,0,0, 9,1,3,0,0,0,0, 3,2,5,10,4,0,0, 3,3,7,32,0,3,0, 3,3,9,32,0,3,0,
 3,3,11,20,0,5,0, 5,4,13,32,1,2,0, 4,4,15,40,1,42,0, 4,5,17,100,0,0,0],
"edges":[1,1,7, 5,2,14, 2,11,21, 2,12,28, 2,13,35, 2,14,42, 3,8,49, 3,9,56],
"trace_function_infos":[0,6,0,0,0,0, 1,7,5,5,1,1, 2,4,5,5,3,10, 3,10,5,5,8,2],
"trace_tree":{trace_tree},
"samples":[10,20, 30,40],
"locations":[42,5,2,9, 21,5,4,0, 35,99,7,3],
"strings":["","(GC roots)","global","Foo","make","app.js","(root)","main","shared","script_or_debug_info","helper","a","b","c","f"]}}"#
        )
    }

    pub(crate) const TREE: &str = "[1,0,0,0,[2,1,1,16,[3,2,2,64,[],4,3,0,0,[5,2,1,32,[]]]]]";

    pub(crate) fn tiny() -> Snapshot {
        load_bytes(tiny_json(4, TREE).as_bytes(), &Progress::new()).expect("the tiny snapshot")
    }

    fn by_id(snap: &Snapshot, id: u32) -> NodeIdx {
        snap.find_by_id(id).expect("a node")
    }

    fn path(fs: &[u32]) -> CallerPath {
        CallerPath(fs.iter().map(|&f| FunctionIdx(f)).collect())
    }

    /// (function name, count, size, live count, live size, has children).
    fn summary(snap: &Snapshot, row: &AllocationRow) -> (String, u64, u64, u64, u64, bool) {
        (
            snap.allocation_function(row.function()).name.to_owned(),
            row.count,
            row.size_bytes,
            row.live_count,
            row.live_size_bytes,
            row.has_children,
        )
    }

    #[test]
    fn rows_are_functions_that_allocated_by_size() {
        let snap = tiny();
        assert!(snap.has_allocation_data());
        let rows: Vec<_> = snap
            .allocation_functions()
            .iter()
            .map(|r| summary(&snap, r))
            .collect();
        assert_eq!(
            rows,
            [
                ("make".to_owned(), 3, 96, 3, 84, true),
                ("main".to_owned(), 1, 16, 1, 32, true),
            ]
        );
        let make = snap.allocation_function(FunctionIdx(2));
        assert_eq!(make.location_label(), "app.js:3:10");
        assert_eq!(snap.allocation_samples(), [(10, 20), (30, 40)]);
    }

    #[test]
    fn callers_branch_then_collapse_single_callers() {
        let snap = tiny();
        let callers = snap.allocation_callers(&path(&[2]));
        assert!(callers.single_caller_chain.is_empty());
        let branching: Vec<_> = callers
            .branching_callers
            .iter()
            .map(|r| summary(&snap, r))
            .collect();
        assert_eq!(
            branching,
            [
                ("main".to_owned(), 2, 64, 2, 64, true),
                ("helper".to_owned(), 1, 32, 1, 20, true),
            ]
        );
        assert_eq!(callers.branching_callers[1].path, path(&[2, 3]));
        // helper's only caller is main, whose only caller is the root.
        let callers = snap.allocation_callers(&path(&[2, 3]));
        let chain: Vec<_> = callers
            .single_caller_chain
            .iter()
            .map(|r| summary(&snap, r))
            .collect();
        assert_eq!(
            chain,
            [
                ("main".to_owned(), 1, 32, 1, 20, true),
                ("(root)".to_owned(), 1, 32, 1, 20, false),
            ]
        );
        assert_eq!(callers.single_caller_chain[1].path, path(&[2, 3, 1, 0]));
        assert!(callers.branching_callers.is_empty());
        assert_eq!(
            snap.allocation_row(&path(&[2, 1])).map(|r| r.count),
            Some(2)
        );
        assert_eq!(snap.allocation_row(&path(&[2, 0])), None);
    }

    #[test]
    fn stacks_trace_ids_and_the_summary_filter() {
        let snap = tiny();
        let names = |id: u32| -> Option<Vec<&str>> {
            snap.allocation_stack(by_id(&snap, id))
                .map(|s| s.iter().map(|f| f.name).collect())
        };
        assert_eq!(names(11), Some(vec!["make", "helper", "main", "(root)"]));
        assert_eq!(names(7), Some(vec!["make", "main", "(root)"]));
        assert_eq!(names(5), None, "trace node id 0: no stack recorded");
        assert_eq!(names(15), Some(vec![]), "an id the tree does not have");
        assert_eq!(snap.allocation_trace_ids(&path(&[2])), [3, 5]);
        assert_eq!(snap.allocation_trace_ids(&path(&[2, 1])), [3]);
        let ids = |nodes: Vec<NodeIdx>| -> Vec<u32> {
            nodes.into_iter().map(|n| snap.node_id(n)).collect()
        };
        assert_eq!(ids(snap.nodes_allocated_by(&path(&[2]))), [7, 9, 11]);
        assert_eq!(ids(snap.nodes_allocated_by(&path(&[2, 3]))), [11]);
        let aggregates = snap.aggregates_allocated_by(&path(&[2]));
        // Three rows: DevTools keys objects with a location by it (two locations, one without).
        assert!(aggregates.classes.iter().all(|c| c.name == "Foo"));
        let count: u32 = aggregates.classes.iter().map(|c| c.count).sum();
        assert_eq!((aggregates.classes.len(), count), (3, 3));
    }

    #[test]
    fn untracked_snapshots_have_no_trace_column() {
        let snap = load_bytes(tiny_json(0, "[]").as_bytes(), &Progress::new()).expect("loads");
        assert!(!snap.has_allocation_data());
        assert!(snap.trace_node_id.is_empty());
        assert!(snap.allocation_functions().is_empty());
        assert_eq!(snap.allocation_stack(by_id(&snap, 7)), None);
        assert!(snap.nodes_allocated_by(&path(&[2])).is_empty());
        let report = snap.allocation_report(50, 20);
        assert!(!report.allocation.has_allocation_data);
        let tracked = tiny();
        assert_eq!(
            tracked.memory_usage().total_bytes - snap.memory_usage().total_bytes,
            tracked.trace_node_id.heap_bytes()
                + tracked.trace.as_ref().map_or(0, |t| t.heap_bytes())
        );
    }

    #[test]
    fn trace_tree_fields_are_found_by_name() {
        // `children` first and `id` last: same tree, other layout.
        let json = tiny_json(
            4,
            "[[[[],3,2,2,64,[[],5,2,1,32],4,3,0,0],2,1,1,16],1,0,0,0]",
        )
        .replace(
            r#""trace_node_fields":["id","function_info_index","count","size","children"]"#,
            r#""trace_node_fields":["children","id","function_info_index","count","size"]"#,
        );
        let snap = load_bytes(json.as_bytes(), &Progress::new()).expect("loads");
        let rows: Vec<_> = snap
            .allocation_functions()
            .iter()
            .map(|r| summary(&snap, r))
            .collect();
        let expected: Vec<_> = tiny()
            .allocation_functions()
            .iter()
            .map(|r| summary(&tiny(), r))
            .collect();
        assert_eq!(rows, expected);
    }
}
