//! Finding a node by its snapshot object id, in a few bytes per *out-of-order* node rather
//! than 4 bytes per node.
//!
//! V8 numbers objects as it first meets them, so ids mostly increase in node order (the
//! 1.1 GB benchmark file has 2 exceptions in 15.5 M nodes, all near the end). A node is *in
//! order* when its id is above every earlier node's: the in-order nodes' ids increase
//! strictly with their ordinals, so they are found by binary search over the node ordinals,
//! skipping the others. The out-of-order nodes are listed twice, by ordinal (to skip them)
//! and by id (to search them). When more than half the nodes are out of order (e.g. a second
//! snapshot of a process, where old and new objects interleave), every node is listed by id
//! instead, as a plain sorted index (4 bytes per node).

use rayon::slice::ParallelSliceMut as _;

use super::column::Column;

/// See the module docs.
#[derive(Debug, Default)]
pub(crate) struct IdIndex {
    /// True when `by_id` lists every node (and `out_of_order` is empty).
    pub all: bool,
    /// The out-of-order nodes, by ordinal.
    pub out_of_order: Column<u32>,
    /// The out-of-order nodes (or all nodes when `all`), by (id, ordinal).
    pub by_id: Column<u32>,
}

impl IdIndex {
    /// Builds the index of `node_id`.
    pub fn build(node_id: &[u32]) -> Self {
        let mut out_of_order: Vec<u32> = Vec::new();
        let mut max: Option<u32> = None;
        for (n, &id) in node_id.iter().enumerate() {
            if max.is_some_and(|m| id <= m) {
                out_of_order.push(n as u32);
            } else {
                max = Some(id);
            }
        }
        let all = out_of_order.len() > node_id.len() / 2;
        let mut by_id = if all {
            out_of_order = Vec::new();
            (0..node_id.len() as u32).collect()
        } else {
            out_of_order.clone()
        };
        by_id.par_sort_unstable_by_key(|&n| (node_id[n as usize], n));
        Self {
            all,
            out_of_order: out_of_order.into(),
            by_id: by_id.into(),
        }
    }

    /// Number of in-order nodes.
    fn in_order_count(&self, node_count: usize) -> usize {
        if self.all {
            0
        } else {
            node_count - self.out_of_order.len()
        }
    }

    /// Ordinal of the `k`-th in-order node: `k` plus the out-of-order nodes before it (those
    /// with at most `k` in-order nodes before them, `out_of_order[i] - i <= k`).
    fn in_order_ordinal(&self, k: usize) -> usize {
        let ooo = &self.out_of_order;
        k + partition_point(ooo.len(), |i| ooo[i] as usize - i <= k)
    }

    /// The node with id `id` (the lowest ordinal when several share it).
    pub fn find(&self, node_id: &[u32], id: u32) -> Option<u32> {
        let i = self.by_id.partition_point(|&n| node_id[n as usize] < id);
        let listed = self
            .by_id
            .get(i)
            .copied()
            .filter(|&n| node_id[n as usize] == id);
        let in_order_count = self.in_order_count(node_id.len());
        let k = partition_point(in_order_count, |k| node_id[self.in_order_ordinal(k)] < id);
        let in_order = (k < in_order_count)
            .then(|| self.in_order_ordinal(k) as u32)
            .filter(|&n| node_id[n as usize] == id);
        match (listed, in_order) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Every node, by (id, ordinal).
    pub fn nodes_by_id<'a>(&'a self, node_id: &'a [u32]) -> impl Iterator<Item = u32> + 'a {
        let mut listed = self.by_id.iter().copied().peekable();
        let mut in_order = (0..self.in_order_count(node_id.len()))
            .scan(0usize, move |skipped, k| {
                // Walk the out-of-order list alongside instead of searching it each time.
                while *skipped < self.out_of_order.len()
                    && self.out_of_order[*skipped] as usize <= k + *skipped
                {
                    *skipped += 1;
                }
                Some((k + *skipped) as u32)
            })
            .peekable();
        std::iter::from_fn(move || match (listed.peek(), in_order.peek()) {
            (Some(&a), Some(&b)) => {
                if (node_id[a as usize], a) < (node_id[b as usize], b) {
                    listed.next()
                } else {
                    in_order.next()
                }
            }
            (Some(_), None) => listed.next(),
            (None, _) => in_order.next(),
        })
    }

    /// True when the lengths fit a snapshot of `node_count` nodes (for a mapped index).
    pub fn fits(&self, node_count: usize) -> bool {
        if self.all {
            self.out_of_order.is_empty() && self.by_id.len() == node_count
        } else {
            self.by_id.len() == self.out_of_order.len() && self.by_id.len() <= node_count
        }
    }

    /// Bytes held.
    pub fn heap_bytes(&self) -> u64 {
        self.out_of_order.held_bytes() + self.by_id.held_bytes()
    }
}

/// The first `k` in `0..len` for which `pred` is false (`pred` true then false).
fn partition_point(len: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0usize, len);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(ids: &[u32]) {
        let index = IdIndex::build(ids);
        let mut expected: Vec<u32> = (0..ids.len() as u32).collect();
        expected.sort_by_key(|&n| (ids[n as usize], n));
        let order: Vec<u32> = index.nodes_by_id(ids).collect();
        assert_eq!(order, expected, "ids {ids:?}");
        for probe in 0..=ids.iter().copied().max().unwrap_or(0) + 1 {
            let want = expected.iter().copied().find(|&n| ids[n as usize] == probe);
            assert_eq!(index.find(ids, probe), want, "id {probe} in {ids:?}");
        }
    }

    #[test]
    fn finds_every_id_whatever_the_order() {
        check(&[]);
        check(&[1]);
        check(&[1, 3, 5, 7]);
        check(&[1, 3, 2, 5, 4, 4, 9, 0]);
        check(&[9, 8, 7, 6, 5]);
        check(&[1, 1, 1, 2]);
        let mut rand = crate::snapshot::test_rand(0x9E37_79B9_7F4A_7C15u64);
        for _ in 0..200 {
            let len = rand(40) as usize;
            let ids: Vec<u32> = (0..len)
                .map(|i| {
                    if rand(4) == 0 {
                        rand(2 * len as u64 + 2) as u32
                    } else {
                        2 * i as u32 + 1
                    }
                })
                .collect();
            check(&ids);
        }
    }
}
