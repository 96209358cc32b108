//! Allocation traces of a snapshot written with allocation tracking on (`node
//! --track-heap-objects`, DevTools' "Allocations on timeline" with stack traces): the
//! `trace_function_infos` and `trace_tree` sections, checked once at load.
//!
//! Layout (all columns indexed by a *trace node ordinal*, the node's position in a preorder
//! walk of the file's nested `trace_tree`, which is the order DevTools' `traverseNode` visits):
//! - [`TraceTree::id`]: the trace node id objects refer to through their `trace_node_id`
//!   field (0 in an object means "no stack recorded").
//! - [`TraceTree::function`]: index into [`TraceData::functions`].
//! - [`TraceTree::count`] / [`TraceTree::size`]: allocations (and bytes) recorded at exactly
//!   this stack, live or dead.
//! - [`TraceTree::parent`]: the caller's trace node ordinal, [`NO_PARENT`] for the root.
//!
//! A snapshot without traces (`trace_function_count` 0) has no [`TraceData`] at all and no
//! per-node `trace_node_id` column: tracking costs nothing when it was off.

use super::error::{Error, ErrorKind, Result};
use super::meta::{Meta, TraceLayout};

/// Parent of a trace tree root.
pub const NO_PARENT: u32 = u32::MAX;

/// One `trace_function_infos` record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TraceFunction {
    /// String index of the function name.
    pub name: u32,
    /// String index of the script name (URL).
    pub script_name: u32,
    /// V8 script id.
    pub script_id: u32,
    /// 1-based line of the function start, as stored (0 when unknown).
    pub line: u32,
    /// 1-based column, as stored (0 when unknown).
    pub column: u32,
}

/// The allocation call tree, in preorder (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct TraceTree {
    pub id: Vec<u32>,
    pub function: Vec<u32>,
    pub count: Vec<u64>,
    pub size: Vec<u64>,
    pub parent: Vec<u32>,
}

impl TraceTree {
    /// Number of trace nodes.
    pub fn len(&self) -> usize {
        self.id.len()
    }

    /// Appends a node; returns its ordinal.
    pub fn push(&mut self, parent: u32) -> u32 {
        self.id.push(0);
        self.function.push(0);
        self.count.push(0);
        self.size.push(0);
        self.parent.push(parent);
        (self.id.len() - 1) as u32
    }
}

/// The checked allocation traces of a snapshot.
#[derive(Debug)]
pub(crate) struct TraceData {
    pub functions: Vec<TraceFunction>,
    pub tree: TraceTree,
}

impl TraceData {
    /// Memory held by the functions and the tree (capacities).
    pub fn heap_bytes(&self) -> u64 {
        fn cap<T>(v: &Vec<T>) -> u64 {
            (v.capacity() * std::mem::size_of::<T>()) as u64
        }
        let t = &self.tree;
        cap(&self.functions)
            + cap(&t.id)
            + cap(&t.function)
            + cap(&t.count)
            + cap(&t.size)
            + cap(&t.parent)
    }
}

/// Shorthand for an [`ErrorKind::Trace`] error.
pub(crate) fn trace_err(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Trace(message.into()))
}

/// Checks the parsed trace sections against the header and the string table and builds
/// [`TraceData`]. `None` when the snapshot has no traces (`trace_function_count` 0).
pub(crate) fn build(
    meta: &Meta,
    raw_functions: &[u64],
    tree: TraceTree,
    string_count: usize,
) -> Result<Option<TraceData>> {
    let Some(layout) = meta.trace_layout else {
        return Ok(None);
    };
    let functions = functions(&layout, raw_functions, string_count)?;
    if functions.len() as u64 != meta.trace_function_count {
        return Err(trace_err(format!(
            "the header says trace_function_count {} but \"trace_function_infos\" holds {} functions",
            meta.trace_function_count,
            functions.len()
        )));
    }
    if tree.len() == 0 {
        return Err(trace_err(format!(
            "the header says trace_function_count {} but \"trace_tree\" is empty",
            meta.trace_function_count
        )));
    }
    if let Some(i) = tree
        .function
        .iter()
        .position(|&f| f as usize >= functions.len())
    {
        return Err(trace_err(format!(
            "trace node {} (id {}) has function_info_index {} but there are only {} functions",
            i,
            tree.id[i],
            tree.function[i],
            functions.len()
        )));
    }
    Ok(Some(TraceData { functions, tree }))
}

fn functions(layout: &TraceLayout, raw: &[u64], string_count: usize) -> Result<Vec<TraceFunction>> {
    let width = layout.function_info_field_count;
    if !raw.len().is_multiple_of(width) {
        return Err(trace_err(format!(
            "the \"trace_function_infos\" array length {} is not a multiple of the {width} function info fields",
            raw.len()
        )));
    }
    let mut out = Vec::with_capacity(raw.len() / width);
    for (i, r) in raw.chunks_exact(width).enumerate() {
        let value = |offset: usize, what: &str| -> Result<u32> {
            u32::try_from(r[offset]).map_err(|_| {
                trace_err(format!(
                    "trace function {i} has {what} {}, which is out of range",
                    r[offset]
                ))
            })
        };
        let string = |offset: usize, what: &str| -> Result<u32> {
            let s = value(offset, what)?;
            if s as usize >= string_count {
                return Err(trace_err(format!(
                    "trace function {i} has {what} string index {s} but there are only {string_count} strings"
                )));
            }
            Ok(s)
        };
        out.push(TraceFunction {
            name: string(layout.function_name, "name")?,
            script_name: string(layout.function_script_name, "script_name")?,
            script_id: value(layout.function_script_id, "script_id")?,
            line: value(layout.function_line, "line")?,
            column: value(layout.function_column, "column")?,
        });
    }
    Ok(out)
}
