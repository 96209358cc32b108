//! Graph checks and the reverse (retainer) index.
//!
//! Checks every cross-reference of the parsed columns once ("parse, don't validate"): after
//! [`validate`] succeeds, every `edge_to` is a node ordinal `< node_count`, every node name
//! and every string-named edge name is a valid string index, and the root exists, so later
//! phases index the columns directly.
//!
//! Retainers are a CSR built by a two-pass counting sort, exactly as DevTools'
//! `buildRetainers`: `first_retainer` has length `node_count + 1`; the retainers of node `n`
//! are slots `first_retainer[n]..first_retainer[n + 1]`. Within a node, slots are filled from
//! the end, so retainers appear in *decreasing* edge order, which is the order DevTools lists
//! them in. Both passes are partitioned by target range, one part per core: each part reads
//! every edge in order and writes only its own targets' counts and slots.
//!
//! The slots are filled twice. First with the retaining node and the edge's essential bit
//! ([`retainer_sources`]), all the dominator pass reads; after it, in place, with the edge
//! ordinal ([`sources_to_edges`]), which is what a loaded snapshot keeps (`retainer_edge`;
//! the retaining node is the edge's source, found by binary search over `first_edge`).

use rayon::prelude::*;

use super::edge_kinds::{KindsRead, with_kinds};
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
    if node_count >= ESSENTIAL_RETAINER as usize {
        return Err(graph_err("more than 2^31-1 nodes are not supported"));
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
    let kinds = cols.edge_kinds.view();
    let bad = |t: u8, name: u32| t != element && t != hidden && name as usize >= string_count;
    let bad_name = with_kinds!(kinds, |k| (0..edge_count)
        .into_par_iter()
        .position_any(|i| bad(k.ty(i), k.name(i))));
    if let Some(i) = bad_name {
        return Err(graph_err(format!(
            "edge {i} has name string index {} but there are only {string_count} strings",
            kinds.name(i)
        )));
    }
    Ok(())
}

/// Set in a [`retainer_sources`] slot when the retaining edge is essential (counts for
/// dominance); the low 31 bits are the retaining node's ordinal.
pub(crate) const ESSENTIAL_RETAINER: u32 = 1 << 31;

/// How many target ranges the counting sorts split the nodes into: one per core (each part
/// reads every edge but writes only its own slots), at most 4.
fn part_count(node_count: usize) -> usize {
    if node_count < 1 << 16 {
        1
    } else {
        rayon::current_num_threads().clamp(1, 4)
    }
}

/// `parts + 1` node boundaries splitting `0..node_count` into ranges of about equal total
/// `weight` (from CSR offsets `first`, length node_count + 1).
fn balanced_bounds(first: &[u32], parts: usize) -> Vec<usize> {
    let node_count = first.len() - 1;
    let total = u64::from(first[node_count]);
    let mut bounds = vec![0usize];
    for p in 1..parts {
        let goal = total * p as u64 / parts as u64;
        let at = first
            .partition_point(|&f| u64::from(f) < goal)
            .min(node_count);
        bounds.push(at.max(bounds[p - 1]));
    }
    bounds.push(node_count);
    bounds
}

/// The retainer offsets (`first_retainer`, length node_count + 1): a histogram of
/// `edge_to`, in one pass over the edges. The analysis runs it beside the essential edges,
/// which keep the other core busy longer: split by target range, as [`fill_retainers`] is,
/// both parts would run on this thread, each reading every edge.
pub(crate) fn retainer_offsets(node_count: usize, edge_to: &[u32]) -> Vec<u32> {
    retainer_offsets_in(1, node_count, edge_to)
}

fn retainer_offsets_in(parts: usize, node_count: usize, edge_to: &[u32]) -> Vec<u32> {
    let mut first = vec![0u32; node_count + 1];
    let step = node_count.div_ceil(parts);
    first[..node_count]
        .par_chunks_mut(step.max(1))
        .enumerate()
        .for_each(|(p, counts)| {
            let lo = (p * step) as u32;
            let len = counts.len() as u32;
            for &to in edge_to {
                let i = to.wrapping_sub(lo);
                if i < len {
                    counts[i as usize] += 1;
                }
            }
        });
    let mut next_free = 0u32;
    for f in &mut first[..node_count] {
        let count = *f;
        *f = next_free;
        next_free += count;
    }
    first[node_count] = next_free;
    first
}

/// Fills one value per retainer slot, `value(source node, edge)`, in DevTools' order (each
/// node's slots from the end, so in decreasing edge order): the second pass of the counting
/// sort, run in parallel by target range over `out` (length `first_retainer[node_count]`).
pub(crate) fn fill_retainers(
    first_edge: &[u32],
    edge_to: &[u32],
    first_retainer: &[u32],
    out: &mut [u32],
    value: impl Fn(u32, u32) -> u32 + Sync,
) {
    let parts = part_count(first_edge.len() - 1);
    fill_retainers_in(parts, first_edge, edge_to, first_retainer, out, value);
}

fn fill_retainers_in(
    parts: usize,
    first_edge: &[u32],
    edge_to: &[u32],
    first_retainer: &[u32],
    out: &mut [u32],
    value: impl Fn(u32, u32) -> u32 + Sync,
) {
    let node_count = first_edge.len() - 1;
    let bounds = balanced_bounds(first_retainer, parts);
    // Split `out` at the parts' first slots.
    let mut pieces: Vec<(usize, usize, &mut [u32])> = Vec::with_capacity(bounds.len() - 1);
    let mut rest = out;
    for w in bounds.windows(2) {
        let (lo, hi) = (w[0], w[1]);
        let len = (first_retainer[hi] - first_retainer[lo]) as usize;
        let (piece, tail) = rest.split_at_mut(len);
        pieces.push((lo, hi, piece));
        rest = tail;
    }
    pieces.into_par_iter().for_each(|(lo, hi, piece)| {
        let base = first_retainer[lo];
        // Next free slot (exclusive end) of each target in this part, relative to `piece`.
        let mut end: Vec<u32> = first_retainer[lo + 1..=hi]
            .iter()
            .map(|&f| f - base)
            .collect();
        let (lo32, len) = (lo as u32, (hi - lo) as u32);
        for src in 0..node_count {
            for e in first_edge[src]..first_edge[src + 1] {
                let i = edge_to[e as usize].wrapping_sub(lo32);
                if i < len {
                    let slot = &mut end[i as usize];
                    *slot -= 1;
                    piece[*slot as usize] = value(src as u32, e);
                }
            }
        }
    });
}

/// The retainers' source nodes, each with [`ESSENTIAL_RETAINER`] set when `essential(edge)`:
/// what the dominator pass reads. [`sources_to_edges`] turns it into `retainer_edge`.
pub(crate) fn retainer_sources(
    first_edge: &[u32],
    edge_to: &[u32],
    first_retainer: &[u32],
    essential: impl Fn(u32) -> bool + Sync,
) -> Vec<u32> {
    let mut out = vec![0u32; edge_to.len()];
    fill_retainers(first_edge, edge_to, first_retainer, &mut out, |src, e| {
        if essential(e) {
            src | ESSENTIAL_RETAINER
        } else {
            src
        }
    });
    out
}

/// Overwrites the slots of [`retainer_sources`] with their edge ordinals (`retainer_edge`).
pub(crate) fn sources_to_edges(
    first_edge: &[u32],
    edge_to: &[u32],
    first_retainer: &[u32],
    slots: &mut [u32],
) {
    fill_retainers(first_edge, edge_to, first_retainer, slots, |_, e| e);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retainers_are_in_decreasing_edge_order() {
        // 0 -> 1, 0 -> 2, 1 -> 2, 2 -> 1
        let first_edge = [0, 2, 3, 4];
        let edge_to = [1, 2, 2, 1];
        let first_retainer = retainer_offsets(3, &edge_to);
        assert_eq!(first_retainer, vec![0, 0, 2, 4]);
        let sources = retainer_sources(&first_edge, &edge_to, &first_retainer, |e| e != 1);
        assert_eq!(
            &sources[0..2],
            &[2 | ESSENTIAL_RETAINER, ESSENTIAL_RETAINER]
        );
        assert_eq!(&sources[2..4], &[1 | ESSENTIAL_RETAINER, 0]);
        let mut edges = sources;
        sources_to_edges(&first_edge, &edge_to, &first_retainer, &mut edges);
        assert_eq!(&edges[0..2], &[3, 0]);
        assert_eq!(&edges[2..4], &[2, 1]);
    }

    #[test]
    fn parts_give_the_same_csr() {
        let mut rand = crate::snapshot::test_rand(0x2545_F491_4F6C_DD1Du64);
        let node_count = 500usize;
        let mut first_edge = vec![0u32];
        let mut edge_to = Vec::new();
        for _ in 0..node_count {
            for _ in 0..rand(8) {
                // Skewed targets, so parts differ in size.
                let limit = rand(node_count as u64) + 1;
                let to = rand(limit) as u32;
                edge_to.push(to);
            }
            first_edge.push(edge_to.len() as u32);
        }
        let one = retainer_offsets_in(1, node_count, &edge_to);
        let mut edges_one = vec![0u32; edge_to.len()];
        fill_retainers_in(1, &first_edge, &edge_to, &one, &mut edges_one, |_, e| e);
        for parts in 2..=5 {
            let first = retainer_offsets_in(parts, node_count, &edge_to);
            assert_eq!(first, one);
            let mut edges = vec![0u32; edge_to.len()];
            fill_retainers_in(parts, &first_edge, &edge_to, &first, &mut edges, |_, e| e);
            assert_eq!(edges, edges_one, "{parts} parts");
        }
        // Decreasing edge order within each node, every edge once.
        for n in 0..node_count {
            let slots = &edges_one[one[n] as usize..one[n + 1] as usize];
            assert!(slots.windows(2).all(|w| w[0] > w[1]));
            assert!(slots.iter().all(|&e| edge_to[e as usize] == n as u32));
        }
    }
}
