//! Graph checks and the reverse (retainer) index.
//!
//! Checks every cross-reference of the parsed columns once ("parse, don't validate"): after
//! [`validate`] succeeds, every `edge_to` is a node ordinal `< node_count`, every node name
//! and every string-named edge name is a valid string index, and the root exists, so later
//! phases index the columns directly.
//!
//! Retainers are a CSR built by a two-pass counting sort, exactly as DevTools'
//! `buildRetainers`: `first_retainer` has length `node_count + 1`; the retainers of node `n`
//! are slots `first_retainer[n]..first_retainer[n + 1]` of `retainer_edge` (edge ordinal) and
//! `retainer_node` (source node ordinal). Within a node, slots are filled from the end, so
//! retainers appear in *decreasing* edge order, which is the order DevTools lists them in.

use rayon::prelude::*;

use super::error::{Result, graph_err, meta_err};
use super::meta::Meta;
use super::parse::RawColumns;

/// Checks counts against the header and every index against its table.
pub(crate) fn validate(meta: &Meta, cols: &RawColumns, string_count: usize) -> Result<()> {
    let node_count = cols.node_id.len();
    let edge_count = cols.edge_to.len();
    if node_count == 0 {
        return Err(graph_err("the snapshot has no nodes"));
    }
    if node_count as u64 != meta.header_node_count {
        return Err(meta_err(format!(
            "the header says node_count {} but the \"nodes\" array holds {node_count} nodes",
            meta.header_node_count
        )));
    }
    if edge_count as u64 != meta.header_edge_count {
        return Err(meta_err(format!(
            "the header says edge_count {} but the \"edges\" array holds {edge_count} edges",
            meta.header_edge_count
        )));
    }
    let edge_total = cols.first_edge.last().copied().unwrap_or(0) as usize;
    if edge_total != edge_count {
        return Err(meta_err(format!(
            "the nodes' edge_count fields add up to {edge_total} but there are {edge_count} edges"
        )));
    }
    if meta.root_ordinal as usize >= node_count {
        return Err(meta_err(format!(
            "root_index points past the last node ({} >= {node_count})",
            meta.root_ordinal
        )));
    }
    if node_count >= u32::MAX as usize - 1 {
        return Err(graph_err("more than 2^32-2 nodes are not supported"));
    }
    if let Some(i) = cols
        .edge_to
        .par_iter()
        .position_any(|&to| to as usize >= node_count)
    {
        return Err(graph_err(format!(
            "edge {i} points to node index {} but there are only {node_count} nodes",
            u64::from(cols.edge_to[i]) * meta.node_field_count as u64
        )));
    }
    if let Some(i) = cols
        .node_name
        .par_iter()
        .position_any(|&s| s as usize >= string_count)
    {
        return Err(graph_err(format!(
            "node {i} (@{}) has name string index {} but there are only {string_count} strings",
            cols.node_id[i], cols.node_name[i]
        )));
    }
    let (element, hidden) = (meta.et.element, meta.et.hidden);
    if let Some(i) = (0..edge_count).into_par_iter().position_any(|i| {
        let t = cols.edge_type[i];
        t != element && t != hidden && cols.edge_name[i] as usize >= string_count
    }) {
        return Err(graph_err(format!(
            "edge {i} has name string index {} but there are only {string_count} strings",
            cols.edge_name[i]
        )));
    }
    Ok(())
}

/// Reverse index of the edges, see the module docs.
#[derive(Debug, Default)]
pub(crate) struct Retainers {
    pub first_retainer: Vec<u32>,
    pub retainer_edge: Vec<u32>,
    pub retainer_node: Vec<u32>,
}

/// Turns per-node counts (`first[n]` for n < len - 1; the last slot is ignored) into CSR
/// offsets in place (`first[n]` = start of node n's slots, last = total), and returns the
/// counts, which callers count down while filling each node's slots from the end.
pub(crate) fn counts_to_offsets(first: &mut [u32]) -> Vec<u32> {
    let node_count = first.len() - 1;
    let mut fill = vec![0u32; node_count];
    let mut next_free = 0u32;
    for n in 0..node_count {
        let count = first[n];
        first[n] = next_free;
        fill[n] = count;
        next_free += count;
    }
    first[node_count] = next_free;
    fill
}

/// Builds the retainer CSR from `first_edge` and `edge_to`.
pub(crate) fn build_retainers(first_edge: &[u32], edge_to: &[u32]) -> Retainers {
    let node_count = first_edge.len() - 1;
    let edge_count = edge_to.len();
    let mut first_retainer = vec![0u32; node_count + 1];
    for &to in edge_to {
        first_retainer[to as usize] += 1;
    }
    let mut fill = counts_to_offsets(&mut first_retainer);
    let mut retainer_edge = vec![0u32; edge_count];
    let mut retainer_node = vec![0u32; edge_count];
    for src in 0..node_count {
        for e in first_edge[src]..first_edge[src + 1] {
            let to = edge_to[e as usize] as usize;
            fill[to] -= 1;
            let slot = (first_retainer[to] + fill[to]) as usize;
            retainer_edge[slot] = e;
            retainer_node[slot] = src as u32;
        }
    }
    Retainers {
        first_retainer,
        retainer_edge,
        retainer_node,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retainers_are_in_decreasing_edge_order() {
        // 0 -> 1, 0 -> 2, 1 -> 2, 2 -> 1
        let first_edge = [0, 2, 3, 4];
        let edge_to = [1, 2, 2, 1];
        let r = build_retainers(&first_edge, &edge_to);
        assert_eq!(r.first_retainer, vec![0, 0, 2, 4]);
        assert_eq!(&r.retainer_edge[0..2], &[3, 0]);
        assert_eq!(&r.retainer_node[0..2], &[2, 0]);
        assert_eq!(&r.retainer_edge[2..4], &[2, 1]);
        assert_eq!(&r.retainer_node[2..4], &[1, 0]);
    }
}
