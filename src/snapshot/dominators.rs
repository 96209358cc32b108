//! Dominator tree and retained sizes, computed exactly as DevTools does.
//!
//! - [`page_owned_flags`]: DevTools' `markPageOwnedNodes`: one bit per node, set for nodes
//!   reachable from the root's shortcut edges (the global objects) and `(Document DOM
//!   trees)` without crossing weak edges.
//! - [`essential_edges`]: one bit per edge, DevTools' `computeIsEssentialEdge`: weak edges,
//!   self edges, shortcut edges (except from the root), WeakMap table→value edges, and edges
//!   from non-page-owned to page-owned nodes do not count for dominance.
//! - [`search`] then [`finish`] (together `dominators`, which the tests call): Lengauer–Tarjan
//!   ("simple" eval/link with iterative path compression),
//!   a line-by-line port of `calculateDominatorsAndRetainedSizes`, including its handling of
//!   nodes unreachable from the root (attached to the root), so the tree is identical. Once
//!   the semidominators are known, the dominators come from Semi-NCA when the DFS numbered
//!   every node (the tree is then unique, and Semi-NCA needs no buckets), else from DevTools'
//!   own bucket steps. Result: `dominator[n]` = node ordinal of the immediate dominator (the root is its own),
//!   and the DFS order used to accumulate retained sizes.
//! - [`retained_sizes`]: self size plus the retained sizes of dominated nodes (`u64`).
//! - [`Dominated`]: children lists of the dominator tree, offsets only for the nodes that
//!   dominate something.
//!
//! Temporary memory of the two halves: at most 5 `u32` arrays of node_count + 1 entries with
//! Semi-NCA, 6 with the buckets (the retainer slots are rewritten in place, see [`finish`]).

use rayon::prelude::*;

use super::column::Column;
use super::edge_kinds::{EdgeKindsRef, KindsRead, with_kinds};
use super::graph::ESSENTIAL_RETAINER;
use super::meta::EdgeTypes;
use super::names::WeakMapEdges;
use super::narrow::SelfSizes;

/// A fixed-size bit vector.
#[derive(Clone, Debug, Default)]
pub struct BitVec {
    words: Vec<u64>,
}

impl BitVec {
    /// `len` bits, all zero.
    pub fn new(len: usize) -> Self {
        Self {
            words: vec![0; len.div_ceil(64)],
        }
    }

    /// Sets bit `i`.
    #[inline]
    pub fn set(&mut self, i: usize) {
        self.words[i >> 6] |= 1 << (i & 63);
    }

    /// Reads bit `i`.
    #[inline]
    pub fn get(&self, i: usize) -> bool {
        self.words[i >> 6] & (1 << (i & 63)) != 0
    }
}

/// Inputs shared by the graph phases: the edge columns and the CSR offsets.
pub(crate) struct EdgeView<'a> {
    pub first_edge: &'a [u32],
    pub edge_to: &'a [u32],
    pub edge_kinds: EdgeKindsRef<'a>,
}

/// DevTools' `markPageOwnedNodes`.
pub(crate) fn page_owned_flags(
    g: &EdgeView<'_>,
    et: &EdgeTypes,
    root: u32,
    is_document_dom_trees_root: impl Fn(u32) -> bool,
) -> BitVec {
    let node_count = g.first_edge.len() - 1;
    let mut flags = BitVec::new(node_count);
    let mut stack: Vec<u32> = Vec::new();
    let r = root as usize;
    with_kinds!(g.edge_kinds, |k| {
        for e in g.first_edge[r] as usize..g.first_edge[r + 1] as usize {
            let t = k.ty(e);
            let to = g.edge_to[e];
            if t == et.element {
                if !is_document_dom_trees_root(to) {
                    continue;
                }
            } else if t != et.shortcut {
                continue;
            }
            stack.push(to);
            flags.set(to as usize);
        }
        while let Some(n) = stack.pop() {
            let n = n as usize;
            for e in g.first_edge[n] as usize..g.first_edge[n + 1] as usize {
                let to = g.edge_to[e];
                if flags.get(to as usize) || k.ty(e) == et.weak {
                    continue;
                }
                stack.push(to);
                flags.set(to as usize);
            }
        }
    });
    flags
}

/// Which edges count when computing dominators ([`essential_edges`]), and which nodes one
/// of them points to.
pub(crate) struct Essential {
    /// One bit per edge.
    pub edges: BitVec,
    /// One bit per node: some essential edge points to it (DevTools' dominator pass asks
    /// the opposite, "has only weak retainers", of nodes the root does not reach).
    pub retained: BitVec,
}

/// DevTools' `initEssentialEdges`: which edges count when computing dominators.
pub(crate) fn essential_edges(
    g: &EdgeView<'_>,
    et: &EdgeTypes,
    root: u32,
    node_id: &[u32],
    page_owned: &BitVec,
    weak_maps: &WeakMapEdges,
) -> Essential {
    let node_count = g.first_edge.len() - 1;
    let mut bits = BitVec::new(g.edge_to.len());
    let mut retained = BitVec::new(node_count);
    with_kinds!(g.edge_kinds, |k| for n in 0..node_count {
        let node_flag = page_owned.get(n);
        for e in g.first_edge[n] as usize..g.first_edge[n + 1] as usize {
            let t = k.ty(e);
            if t == et.internal
                && let Some(info) = weak_maps.get(k.name(e))
                && u64::from(node_id[n]) == info.table_id
            {
                continue;
            }
            if t == et.weak {
                continue;
            }
            let to = g.edge_to[e] as usize;
            if to == n {
                continue;
            }
            if n != root as usize {
                if t == et.shortcut {
                    continue;
                }
                if page_owned.get(to) && !node_flag {
                    continue;
                }
            }
            bits.set(e);
            retained.set(to);
        }
    });
    Essential {
        edges: bits,
        retained,
    }
}

/// Result of [`finish`].
pub(crate) struct DominatorTree {
    /// Immediate dominator of each node (node ordinal); the root's is itself.
    pub dominator: Vec<u32>,
    /// Nodes (1-based vertex numbers minus one = ordinals) in DFS preorder; retained sizes
    /// are accumulated in reverse of this order.
    pub preorder: Vec<u32>,
    /// Number of nodes not reachable from the root through essential edges.
    pub unreachable_count: usize,
}

/// Lengauer–Tarjan over the essential edges. See the module docs.
///
/// [`search`] and then [`finish`]: the retainer slots
/// ([`super::graph::retainer_sources`]) are only read by the main loop, so `retainer_source`
/// builds them on the other core while the DFS runs (the DFS follows outgoing edges only).
/// They are returned, renamed to DFS numbers, for reuse. The analysis calls the two halves
/// itself, to run other work beside the main loop.
#[cfg(test)]
pub(crate) fn dominators(
    g: &EdgeView<'_>,
    essential: &Essential,
    first_retainer: &[u32],
    retainer_source: impl FnOnce() -> Vec<u32> + Send,
    root: u32,
    cancelled: &dyn Fn() -> bool,
) -> Option<(DominatorTree, Vec<u32>)> {
    let (searched, retainer_source) = rayon::join(|| search(g, essential, root), retainer_source);
    finish(
        g,
        searched,
        first_retainer,
        retainer_source,
        root,
        cancelled,
    )
}

/// The DFS of [`search`]: every vertex numbered, with its DFS parent.
pub(crate) struct Search {
    /// DFS parent of each vertex (1-based vertex numbers; 0: none).
    parent: Vec<u32>,
    /// Vertex of each DFS number.
    vertex: Vec<u32>,
    /// DFS number of each vertex.
    semi: Vec<u32>,
    /// The DFS's edge cursor per vertex, reused by the main loop.
    next_edge: Vec<u32>,
    /// Vertices numbered from the root.
    reached_from_root: usize,
    /// Vertices numbered by a search (from the root or from a vertex with only weak
    /// retainers); the rest were numbered without one.
    searched: usize,
}

/// The first half of the dominator pass: DevTools' DFS from the root over the essential edges,
/// then from each unreached vertex with only weak retainers, then the rest numbered in
/// ordinal order.
pub(crate) fn search(g: &EdgeView<'_>, essential: &Essential, root: u32) -> Search {
    let Essential {
        edges: essential,
        retained: essentially_retained,
    } = essential;
    let node_count = g.first_edge.len() - 1;
    let len = node_count + 1;
    // 1-based vertex numbers; 0 means "none".
    let mut parent = vec![0u32; len];
    let mut vertex = vec![0u32; len];
    let mut semi = vec![0u32; len];
    let mut next_edge = vec![0u32; len];
    let mut n: u32 = 0;

    let has_only_weak_retainers = |ordinal: usize| !essentially_retained.get(ordinal);

    // Iterative DFS from `start` (a vertex number), as DevTools' `dfs`.
    // `visited` mirrors `semi[v] != 0` in a bit vector that stays in cache.
    let mut visited = BitVec::new(len);
    let dfs = |start: u32,
               n: &mut u32,
               visited: &mut BitVec,
               parent: &mut [u32],
               vertex: &mut [u32],
               semi: &mut [u32],
               next_edge: &mut [u32]| {
        let start_ordinal = (start - 1) as usize;
        next_edge[start_ordinal] = g.first_edge[start_ordinal];
        let mut v = start;
        while v != 0 {
            let vu = v as usize;
            if !visited.get(vu) {
                visited.set(vu);
                *n += 1;
                semi[vu] = *n;
                vertex[*n as usize] = v;
            }
            let mut v_next = parent[vu];
            let v_ordinal = vu - 1;
            let end = g.first_edge[v_ordinal + 1];
            while next_edge[v_ordinal] < end {
                let e = next_edge[v_ordinal] as usize;
                if essential.get(e) {
                    let w_ordinal = g.edge_to[e] as usize;
                    let w = w_ordinal + 1;
                    if !visited.get(w) {
                        parent[w] = v;
                        next_edge[w_ordinal] = g.first_edge[w_ordinal];
                        v_next = w as u32;
                        break;
                    }
                }
                next_edge[v_ordinal] += 1;
            }
            v = v_next;
        }
    };

    let dfs_started = std::time::Instant::now();
    let r = root + 1;
    macro_rules! run_dfs {
        ($start:expr) => {
            dfs(
                $start,
                &mut n,
                &mut visited,
                &mut parent,
                &mut vertex,
                &mut semi,
                &mut next_edge,
            )
        };
    }
    run_dfs!(r);
    let reached_from_root = n as usize;
    if (n as usize) < node_count {
        for v in 1..=node_count {
            if semi[v] == 0 && has_only_weak_retainers(v - 1) {
                parent[v] = r;
                run_dfs!(v as u32);
            }
        }
    }
    // Vertices numbered so far form a true DFS forest under the root (each extra tree
    // hangs from it by a fake edge, and its start has no essential retainer).
    let searched = n as usize;
    if (n as usize) < node_count {
        for v in 1..=node_count {
            if semi[v] == 0 {
                parent[v] = r;
                n += 1;
                semi[v] = n;
                vertex[n as usize] = v as u32;
            }
        }
    }
    log::debug!(
        "    dominators DFS: {:.3} s{}",
        dfs_started.elapsed().as_secs_f64(),
        super::progress::memory_note()
    );
    Search {
        parent,
        vertex,
        semi,
        next_edge,
        reached_from_root,
        searched,
    }
}

/// The second half of the dominator pass, after [`search`]: semidominators (DevTools' main
/// loop, over the retainers in `retainer_source`, which come back renamed to DFS numbers),
/// then the immediate dominators. `None` when cancelled.
pub(crate) fn finish(
    g: &EdgeView<'_>,
    searched: Search,
    first_retainer: &[u32],
    mut retainer_source: Vec<u32>,
    root: u32,
    cancelled: &dyn Fn() -> bool,
) -> Option<(DominatorTree, Vec<u32>)> {
    if cancelled() {
        return None;
    }
    let main_started = std::time::Instant::now();
    let Search {
        parent,
        vertex,
        semi,
        next_edge,
        reached_from_root,
        searched,
    } = searched;
    let node_count = g.first_edge.len() - 1;
    let len = node_count + 1;
    let r = root + 1;
    let n = vertex.len() as u32 - 1;

    // The main loop works in *preorder space*: vertex `v` is renamed to its DFS number
    // `pre[v]` (= `semi[v]` after the DFS), so the loop walks its arrays sequentially. This
    // is a pure relabeling of DevTools' algorithm (every comparison is on DFS numbers), so
    // the result is identical; it only improves memory locality.
    let pre = semi; // vertex -> preorder number
    let nn = n as usize;
    // `ancestor_p` starts as the DFS parent in preorder space (reusing the DFS's edge cursor
    // array). Vertices are linked in decreasing preorder, so "x is linked" (DevTools:
    // `ancestor[x] != 0`) is `x >= linked_from`, and a vertex's ancestor can hold its parent
    // until it is linked: link(parent[w], w) is then just lowering `linked_from` to `w`.
    // This saves the separate parent array (58 MB for a 1 GB snapshot).
    let mut ancestor_p = next_edge;
    ancestor_p[0] = 0;
    for i in 1..=nn {
        ancestor_p[i] = pre[parent[vertex[i] as usize] as usize];
    }
    let mut semi_p = parent; // reuse: vertex-space parents are no longer needed
    for (i, s) in semi_p.iter_mut().enumerate() {
        *s = i as u32;
    }
    // The retainer slots are renamed to preorder space too (keeping the essential bit), so
    // the main loop needs no `pre` lookups and `pre` is freed before the buckets are
    // allocated: one array less at the peak. Unreached vertices (0) never occur: every
    // vertex has a DFS number by now.
    retainer_source.par_iter_mut().for_each(|slot| {
        let source = (*slot & !ESSENTIAL_RETAINER) as usize;
        *slot = (*slot & ESSENTIAL_RETAINER) | pre[source + 1];
    });
    let r_p = pre[r as usize];
    // Two ways to the dominators once the semidominators are known (both compute them the
    // same way, below):
    // - When the DFS numbered every vertex (`searched == nn`), the numbering is a true DFS
    //   of the essential graph plus the fake root edges, so the immediate dominators are
    //   unique and any correct algorithm finds DevTools' tree. Semi-NCA needs no buckets:
    //   idom(w) is the nearest ancestor of w's parent in the finished part of the tree that
    //   is at most semi(w) (one array, the parents, instead of two: 58 MB less at the peak
    //   for a 1 GB snapshot).
    // - Otherwise the rest were numbered without a search (DevTools' handling of
    //   unreachable vertices with essential retainers), a semidominator need not be a tree
    //   ancestor, and only DevTools' own bucket steps give its answer, some vertices never
    //   leaving their bucket.
    let buckets = searched < nn || force_buckets();
    // Semi-NCA: the DFS parents (preorder space), later the dominators. Buckets: list heads.
    let mut bucket_head = pre;
    if buckets {
        bucket_head.fill(0);
    } else {
        bucket_head.copy_from_slice(&ancestor_p);
    }
    // Buckets as singly linked lists: `bucket_head[b]` and `bucket_next[w]`. A vertex leaves
    // its bucket once, when its dominator is decided: that slot of `bucket_next` then holds
    // the dominator (`dom_p`).
    let mut bucket_next = if buckets { vec![0u32; len] } else { Vec::new() };
    let mut label_p: Vec<u32> = (0..len as u32).collect();
    let mut stack: Vec<u32> = Vec::new();

    // eval(v) with iterative path compression; vertices >= `linked_from` are linked.
    let mut evaluate =
        |v: u32, linked_from: u32, ancestor: &mut [u32], label: &mut [u32], semi: &[u32]| -> u32 {
            if v < linked_from {
                return v;
            }
            stack.clear();
            let mut x = v;
            while ancestor[x as usize] >= linked_from {
                stack.push(x);
                x = ancestor[x as usize];
            }
            while let Some(w) = stack.pop() {
                let wu = w as usize;
                let a = ancestor[wu] as usize;
                if semi[label[a] as usize] < semi[label[wu] as usize] {
                    label[wu] = label[a];
                }
                ancestor[wu] = ancestor[a];
            }
            label[v as usize]
        };

    for w in (2..=nn).rev() {
        if w & 0xFFFFF == 0 && cancelled() {
            return None;
        }
        let w_ordinal = vertex[w] as usize - 1;
        let mut is_orphan = true;
        for ri in first_retainer[w_ordinal]..first_retainer[w_ordinal + 1] {
            let source = retainer_source[ri as usize];
            if source & ESSENTIAL_RETAINER == 0 {
                continue;
            }
            is_orphan = false;
            let v = source & !ESSENTIAL_RETAINER;
            let u = evaluate(v, w as u32 + 1, &mut ancestor_p, &mut label_p, &semi_p);
            if semi_p[u as usize] < semi_p[w] {
                semi_p[w] = semi_p[u as usize];
            }
        }
        if is_orphan {
            semi_p[w] = semi_p[r_p as usize];
        }
        if !buckets {
            continue;
        }
        let b = semi_p[w] as usize;
        bucket_next[w] = bucket_head[b];
        bucket_head[b] = w as u32;
        // link(parent[w], w): `ancestor_p[w]` already holds the parent; w is now linked.
        let p = ancestor_p[w];
        let mut v = bucket_head[p as usize];
        bucket_head[p as usize] = 0;
        while v != 0 {
            let u = evaluate(v, w as u32, &mut ancestor_p, &mut label_p, &semi_p);
            let next = bucket_next[v as usize];
            bucket_next[v as usize] = if semi_p[u as usize] < semi_p[v as usize] {
                u
            } else {
                p
            };
            v = next;
        }
    }
    drop((ancestor_p, label_p));
    let dom_p = if buckets {
        // Vertices still in a bucket were never given a dominator (DevTools leaves them 0;
        // this happens for unreachable cliques whose semidominator is not a tree ancestor):
        // clear their `bucket_next` links so they read as 0 too.
        for b in 0..len {
            let mut v = bucket_head[b];
            while v != 0 {
                let next = bucket_next[v as usize];
                bucket_next[v as usize] = 0;
                v = next;
            }
        }
        drop(bucket_head);
        let mut dom_p = bucket_next;
        dom_p[0] = r_p;
        dom_p[r_p as usize] = r_p;
        for w in 2..=nn {
            if dom_p[w] != semi_p[w] {
                dom_p[w] = dom_p[dom_p[w] as usize];
            }
        }
        dom_p
    } else {
        // Semi-NCA, in increasing preorder so every ancestor's dominator is final.
        let mut dom_p = bucket_head;
        dom_p[0] = r_p;
        dom_p[r_p as usize] = r_p;
        for w in 2..=nn {
            let s = semi_p[w];
            let mut d = dom_p[w];
            while d > s {
                d = dom_p[d as usize];
            }
            dom_p[w] = d;
        }
        dom_p
    };
    drop(semi_p);
    // Back to vertex space: dom[vertex[i]] = vertex[dom_p[i]].
    let mut dom = vec![0u32; len];
    for i in 1..=nn {
        dom[vertex[i] as usize] = vertex[dom_p[i] as usize];
    }
    drop(dom_p);
    log::debug!(
        "    dominators main loop: {:.3} s{}",
        main_started.elapsed().as_secs_f64(),
        super::progress::memory_note()
    );

    let dominator: Vec<u32> = dom[1..].iter().map(|&d| d - 1).collect();
    drop(dom);
    let preorder: Vec<u32> = vertex[1..=n as usize].iter().map(|&v| v - 1).collect();
    Some((
        DominatorTree {
            dominator,
            preorder,
            unreachable_count: node_count - reached_from_root,
        },
        retainer_source,
    ))
}

#[cfg(not(test))]
fn force_buckets() -> bool {
    false
}

#[cfg(test)]
thread_local! {
    /// Makes [`finish`] take DevTools' bucket steps even where Semi-NCA applies.
    static FORCE_BUCKETS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[cfg(test)]
fn force_buckets() -> bool {
    FORCE_BUCKETS.with(std::cell::Cell::get)
}

/// Retained size of every node: self size plus everything it dominates.
/// Accumulated in the 4-byte form directly (sizes that outgrow it move to a map), so no
/// 8-byte column is ever allocated.
pub(crate) fn retained_sizes(
    preorder: &[u32],
    dominator: &[u32],
    self_size: &SelfSizes,
) -> RetainedSizes {
    const LARGE: u32 = RetainedSizes::LARGE;
    let mut small: Vec<u32> = self_size.to_vec();
    let mut large: std::collections::HashMap<u32, u64> = self_size
        .parts()
        .1
        .iter()
        .filter(|&&(_, s)| s == LARGE)
        .map(|&(n, s)| (n, u64::from(s)))
        .collect();
    for &n in preorder[1..].iter().rev() {
        let d = dominator[n as usize];
        let size = match small[n as usize] {
            LARGE => large[&n],
            s => u64::from(s),
        };
        if size == 0 {
            continue;
        }
        let total = match small[d as usize] {
            LARGE => large[&d] + size,
            s => u64::from(s) + size,
        };
        match u32::try_from(total) {
            Ok(t) if t != LARGE => small[d as usize] = t,
            _ => {
                small[d as usize] = LARGE;
                large.insert(d, total);
            }
        }
    }
    let mut large: Vec<(u32, u64)> = large.into_iter().collect();
    large.sort_unstable();
    RetainedSizes {
        small: small.into(),
        large,
    }
}

/// Retained sizes in 4 bytes per node: a size from [`RetainedSizes::LARGE`] up (the root's
/// and those of a few huge subtrees) reads `LARGE` in `small` and is kept in `large`.
#[derive(Debug, Default)]
pub(crate) struct RetainedSizes {
    /// The size of each node, or `LARGE`.
    pub small: Column<u32>,
    /// (node, size) of the nodes whose `small` is `LARGE`, by node.
    pub large: Vec<(u32, u64)>,
}

impl RetainedSizes {
    /// `small` value of a size kept in `large`.
    pub const LARGE: u32 = u32::MAX;

    /// Splits full sizes into the two parts.
    #[cfg(test)]
    pub fn from_sizes(sizes: &[u64]) -> Self {
        let mut large = Vec::new();
        let small: Vec<u32> = sizes
            .iter()
            .enumerate()
            .map(|(n, &size)| match u32::try_from(size) {
                Ok(s) if s != Self::LARGE => s,
                _ => {
                    large.push((n as u32, size));
                    Self::LARGE
                }
            })
            .collect();
        Self {
            small: small.into(),
            large,
        }
    }

    /// The retained size of node `n`.
    #[inline]
    pub fn get(&self, n: usize) -> u64 {
        match self.small[n] {
            Self::LARGE => self
                .large
                .binary_search_by_key(&(n as u32), |&(node, _)| node)
                .map_or(u64::from(Self::LARGE), |i| self.large[i].1),
            size => u64::from(size),
        }
    }

    /// Number of nodes.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.small.len()
    }
}

/// Children lists of the dominator tree, in about 2 bytes per node: only nodes that
/// dominate something (44 % of the 1.1 GB benchmark file's) have an offset, found by rank
/// over a bit per node, instead of a 4-byte offset for every node.
#[derive(Clone, Debug, Default)]
pub(crate) struct Dominated {
    /// Bit `n`: node `n` dominates some node.
    pub has: Column<u64>,
    /// Number of set bits in `has` before each word.
    pub rank: Column<u32>,
    /// Where the children of the `k`-th dominating node (in node order) start in `nodes`;
    /// one more entry holds the end.
    pub starts: Column<u32>,
    /// Node ordinals, grouped by dominator; within a group in decreasing ordinal order, as
    /// DevTools fills them.
    pub nodes: Column<u32>,
}

impl Dominated {
    /// Children CSR of the dominator tree `dominator` (the root dominates itself).
    pub fn build(dominator: &[u32], root: u32) -> Self {
        let node_count = dominator.len();
        let children = || {
            dominator
                .iter()
                .enumerate()
                .filter(move |&(n, _)| n != root as usize)
                .map(|(n, &d)| (n as u32, d as usize))
        };
        let mut has = vec![0u64; node_count.div_ceil(64)];
        for (_, d) in children() {
            has[d >> 6] |= 1 << (d & 63);
        }
        let mut rank = Vec::with_capacity(has.len());
        let mut total = 0u32;
        for w in &has {
            rank.push(total);
            total += w.count_ones();
        }
        let slot = |d: usize| -> usize {
            rank[d >> 6] as usize + (has[d >> 6] & ((1u64 << (d & 63)) - 1)).count_ones() as usize
        };
        // Counts, then each group's end; filling from the end turns every end back into the
        // group's start.
        let mut starts = vec![0u32; total as usize + 1];
        for (_, d) in children() {
            starts[slot(d)] += 1;
        }
        let mut end = 0u32;
        for s in &mut starts[..total as usize] {
            end += *s;
            *s = end;
        }
        starts[total as usize] = end;
        let mut nodes = vec![0u32; end as usize];
        for (n, d) in children() {
            let s = &mut starts[slot(d)];
            *s -= 1;
            nodes[*s as usize] = n;
        }
        Self {
            has: has.into(),
            rank: rank.into(),
            starts: starts.into(),
            nodes: nodes.into(),
        }
    }

    /// The nodes `n` immediately dominates.
    #[inline]
    pub fn of(&self, n: usize) -> &[u32] {
        &self.nodes[self.range(n)]
    }

    /// Where the nodes `n` immediately dominates are in `nodes`.
    #[inline]
    pub fn range(&self, n: usize) -> std::ops::Range<usize> {
        let Some(&word) = self.has.get(n >> 6) else {
            return 0..0;
        };
        if word >> (n & 63) & 1 == 0 {
            return 0..0;
        }
        let k =
            self.rank[n >> 6] as usize + (word & ((1u64 << (n & 63)) - 1)).count_ones() as usize;
        self.starts[k] as usize..self.starts[k + 1] as usize
    }

    /// True when the parts fit together for `node_count` nodes (a persisted index's check).
    pub fn fits(&self, node_count: usize) -> bool {
        let set: u64 = self.has.iter().map(|w| u64::from(w.count_ones())).sum();
        self.has.len() == node_count.div_ceil(64)
            && self.rank.len() == self.has.len()
            && self.starts.len() as u64 == set + 1
            && self
                .starts
                .last()
                .is_some_and(|&e| e as usize == self.nodes.len())
    }

    /// Memory held (owned capacity plus mapped length).
    pub fn heap_bytes(&self) -> u64 {
        self.has.held_bytes()
            + self.rank.held_bytes()
            + self.starts.held_bytes()
            + self.nodes.held_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::edge_kinds::EdgeKinds;
    use crate::snapshot::graph::{retainer_offsets, retainer_sources};

    /// The dominator tree of an all-essential graph given as adjacency lists (root 0).
    fn tree(adj: &[&[u32]]) -> DominatorTree {
        tree_with(adj, |_| true)
    }

    /// The dominator tree of a graph whose edge `e` (in adjacency order) is essential when
    /// `essential_edge(e)`.
    fn tree_with(adj: &[&[u32]], essential_edge: impl Fn(usize) -> bool) -> DominatorTree {
        let mut first_edge = vec![0u32];
        let mut edge_to = Vec::new();
        for targets in adj {
            edge_to.extend_from_slice(targets);
            first_edge.push(edge_to.len() as u32);
        }
        let kinds = EdgeKinds::from_pairs(7, &vec![(0, 0); edge_to.len()]);
        let g = EdgeView {
            first_edge: &first_edge,
            edge_to: &edge_to,
            edge_kinds: kinds.view(),
        };
        let mut essential = Essential {
            edges: BitVec::new(edge_to.len()),
            retained: BitVec::new(adj.len()),
        };
        for (e, &to) in edge_to.iter().enumerate() {
            if essential_edge(e) {
                essential.edges.set(e);
                essential.retained.set(to as usize);
            }
        }
        let first_retainer = retainer_offsets(adj.len(), &edge_to);
        let sources = || {
            retainer_sources(&first_edge, &edge_to, &first_retainer, |e| {
                essential.edges.get(e as usize)
            })
        };
        dominators(&g, &essential, &first_retainer, sources, 0, &|| false)
            .expect("not cancelled")
            .0
    }

    fn idoms(adj: &[&[u32]]) -> Vec<u32> {
        tree(adj).dominator
    }

    /// Naive reference: d dominates n iff n is unreachable from the root without d.
    fn naive_idoms(adj: &[&[u32]]) -> Vec<u32> {
        let count = adj.len();
        let reach = |skip: Option<usize>| {
            let mut seen = vec![false; count];
            let mut stack = vec![0usize];
            seen[0] = true;
            while let Some(v) = stack.pop() {
                for &w in adj[v] {
                    let w = w as usize;
                    if Some(w) != skip && !seen[w] {
                        seen[w] = true;
                        stack.push(w);
                    }
                }
            }
            seen
        };
        let all = reach(None);
        let mut doms: Vec<Vec<usize>> = vec![Vec::new(); count];
        for d in 0..count {
            let without = reach(Some(d));
            for n in 0..count {
                if n != d && all[n] && !without[n] {
                    doms[n].push(d);
                }
            }
        }
        // The immediate dominator is the dominator dominated by all other dominators.
        (0..count)
            .map(|n| {
                if n == 0 {
                    return 0;
                }
                doms[n]
                    .iter()
                    .copied()
                    .find(|&d| doms[n].iter().all(|&o| o == d || doms[d].contains(&o)))
                    .unwrap_or(0) as u32
            })
            .collect()
    }

    #[test]
    fn diamond() {
        // 0 -> 1, 2; 1 -> 3; 2 -> 3; 3 -> 4
        let adj: &[&[u32]] = &[&[1, 2], &[3], &[3], &[4], &[]];
        assert_eq!(idoms(adj), vec![0, 0, 0, 0, 3]);
    }

    #[test]
    fn idom_is_not_a_retainer() {
        // 0 -> 1; 1 -> 2, 3; 2 -> 4; 3 -> 4: idom(4) = 1, which does not retain 4 directly.
        let adj: &[&[u32]] = &[&[1], &[2, 3], &[4], &[4], &[]];
        assert_eq!(idoms(adj), vec![0, 0, 1, 1, 1]);
    }

    #[test]
    fn cycles_and_back_edges_match_naive() {
        let adj: &[&[u32]] = &[
            &[1, 5],
            &[2, 3],
            &[4, 1],
            &[4],
            &[1, 6],
            &[6, 7],
            &[2],
            &[5, 0],
        ];
        assert_eq!(idoms(adj), naive_idoms(adj));
    }

    #[test]
    fn random_graphs_match_naive() {
        let mut rand = crate::snapshot::test_rand(0x9E37_79B9_7F4A_7C15u64);
        for _ in 0..200 {
            let count = 2 + rand(14) as usize;
            let mut lists: Vec<Vec<u32>> = vec![Vec::new(); count];
            // A spanning chain keeps everything reachable; extra random edges add joins.
            for v in 1..count {
                let from = rand(v as u64) as usize;
                lists[from].push(v as u32);
            }
            for _ in 0..rand(3 * count as u64) {
                let a = rand(count as u64) as usize;
                let b = rand(count as u64) as u32;
                lists[a].push(b);
            }
            let adj: Vec<&[u32]> = lists.iter().map(Vec::as_slice).collect();
            assert_eq!(idoms(&adj), naive_idoms(&adj), "graph {lists:?}");
        }
    }

    /// Semi-NCA (taken when the DFS numbers every vertex) and DevTools' bucket steps give
    /// the same tree, on graphs with weak edges and parts the root does not reach; where
    /// the DFS leaves vertices to number without a search, both run the bucket steps.
    #[test]
    fn semi_nca_and_buckets_agree() {
        let mut rand = crate::snapshot::test_rand(0x2545_F491_4F6C_DD1Du64);
        let mut searched_extra_trees = 0;
        for _ in 0..400 {
            let count = 2 + rand(20) as usize;
            let mut lists: Vec<Vec<u32>> = vec![Vec::new(); count];
            for _ in 0..rand(3 * count as u64) {
                let a = rand(count as u64) as usize;
                let b = 1 + rand(count as u64 - 1) as u32;
                lists[a].push(b);
            }
            let weak: Vec<bool> = (0..lists.iter().map(Vec::len).sum::<usize>())
                .map(|_| rand(4) == 0)
                .collect();
            let adj: Vec<&[u32]> = lists.iter().map(Vec::as_slice).collect();
            let auto = tree_with(&adj, |e| !weak[e]);
            FORCE_BUCKETS.with(|f| f.set(true));
            let buckets = tree_with(&adj, |e| !weak[e]);
            FORCE_BUCKETS.with(|f| f.set(false));
            assert_eq!(
                auto.dominator, buckets.dominator,
                "graph {lists:?} weak {weak:?}"
            );
            assert_eq!(auto.preorder, buckets.preorder);
            if auto.unreachable_count > 0 {
                searched_extra_trees += 1;
            }
        }
        assert!(searched_extra_trees > 50, "{searched_extra_trees}");
    }

    #[test]
    fn unreachable_nodes_hang_off_the_root() {
        // 0 -> 1; 2 <-> 3 form a clique nobody reaches; 4 -> 1 (4 unreachable).
        let adj: &[&[u32]] = &[&[1], &[], &[3], &[2], &[1]];
        let d = idoms(adj);
        assert_eq!(d[1], 0);
        assert_eq!(d[2], 0);
        assert_eq!(d[3], 0);
        assert_eq!(d[4], 0);
    }

    #[test]
    fn retained_sizes_sum_dominated_subtrees() {
        let adj: &[&[u32]] = &[&[1, 2], &[3], &[3], &[4], &[]];
        let tree = tree(adj);
        let retained = retained_sizes(
            &tree.preorder,
            &tree.dominator,
            &SelfSizes::from_iter([0, 10, 20, 30, 40]),
        );
        let all: Vec<u64> = (0..retained.len()).map(|n| retained.get(n)).collect();
        assert_eq!(all, vec![100, 10, 20, 70, 40]);
        let dominated = Dominated::build(&tree.dominator, 0);
        assert_eq!(dominated.of(0), &[3, 2, 1]);
        assert_eq!(dominated.of(1), &[] as &[u32]);
        assert_eq!(dominated.of(3), &[4]);
        assert_eq!(dominated.of(4), &[] as &[u32]);
        assert_eq!(dominated.of(5), &[] as &[u32], "past the end");
        assert_eq!(
            dominated.starts.len(),
            3,
            "two dominating nodes and the end"
        );
        assert!(dominated.fits(5));
        assert!(!dominated.fits(65));
    }

    #[test]
    fn dominated_lists_match_the_dominators_across_words() {
        let mut rand = crate::snapshot::test_rand(0x51_7CC1_B727_220Au64);
        let count = 1000;
        // A random tree: every node's dominator comes before it; node 0 is the root.
        let dominator: Vec<u32> = (0..count)
            .map(|n| if n == 0 { 0 } else { rand(n as u64) as u32 })
            .collect();
        let dominated = Dominated::build(&dominator, 0);
        assert!(dominated.fits(count));
        for d in 0..count {
            let expected: Vec<u32> = (1..count as u32)
                .rev()
                .filter(|&n| dominator[n as usize] == d as u32)
                .collect();
            assert_eq!(dominated.of(d), expected.as_slice(), "node {d}");
        }
    }

    #[test]
    fn retained_sizes_past_4_gib_are_exact() {
        // 0 -> 1 -> 2 -> 3, 0 -> 4: sums cross u32::MAX on the way up the chain.
        let adj: &[&[u32]] = &[&[1, 4], &[2], &[3], &[], &[]];
        let big = u32::MAX - 1;
        let t = tree(adj);
        let retained = retained_sizes(
            &t.preorder,
            &t.dominator,
            &SelfSizes::from_iter([1, big, u32::MAX, big, 3]),
        );
        let b = u64::from(big);
        let m = u64::from(u32::MAX);
        let all: Vec<u64> = (0..retained.len()).map(|n| retained.get(n)).collect();
        assert_eq!(all, vec![1 + 2 * b + m + 3, 2 * b + m, b + m, b, 3]);
    }

    #[test]
    fn large_retained_sizes_keep_every_bit() {
        let sizes = [
            0,
            7,
            u64::from(u32::MAX) - 1,
            u64::from(u32::MAX),
            1 << 40,
            5,
        ];
        let retained = RetainedSizes::from_sizes(&sizes);
        assert_eq!(retained.large.len(), 2);
        for (n, &size) in sizes.iter().enumerate() {
            assert_eq!(retained.get(n), size);
        }
    }
}
