//! The analysis on tiny hand-written snapshots, with answers worked out by hand from
//! DevTools' rules (`HeapSnapshot.ts`) and checked against the DevTools oracle.
//!
//! Conventions: node 0 is the synthetic root `@1`; the global object is the user root,
//! linked from the root by a shortcut edge (distance 1). Sizes are chosen so every sum is
//! unambiguous.

use heapsight::snapshot::{BASE_SYSTEM_DISTANCE, EdgeKind, NO_DISTANCE, NodeIdx, Snapshot, report};

use crate::util::{
    SnapshotBuilder, by_id, chain_ids, dominator_id, visible_retainers, within_secs,
};

/// `(self size, retained size, distance)` of `@id`.
fn sizes(snap: &Snapshot, id: u32) -> (u64, u64, i32) {
    let n = by_id(snap, id);
    (snap.self_size(n), snap.retained_size(n), snap.distance(n))
}

/// Ids of the nodes `@id` immediately dominates, sorted.
fn dominated_ids(snap: &Snapshot, id: u32) -> Vec<u32> {
    let mut ids: Vec<u32> = snap
        .dominated(by_id(snap, id))
        .map(|n| snap.node_id(n))
        .collect();
    ids.sort_unstable();
    ids
}

/// The Summary row named `name`: (count, shallow, retained, distance).
fn class_row(snap: &Snapshot, name: &str) -> (u32, u64, u64, i32) {
    let c = snap
        .classes()
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| {
            let names: Vec<&str> = snap.classes().iter().map(|c| c.name.as_str()).collect();
            panic!("no Summary row {name:?} in {names:?}")
        });
    (
        c.count,
        c.shallow_size_bytes,
        c.retained_size_bytes,
        c.distance,
    )
}

// ---------------------------------------------------------------------------------------
// Dominators and retained sizes

/// root -> G; G -> A, G -> B; A -> D, B -> D.
fn diamond() -> Snapshot {
    let mut b = SnapshotBuilder::new();
    let g = b.global(3, 10);
    let a = b.node("object", "A", 5, 20);
    let bb = b.node("object", "B", 7, 30);
    let d = b.node("object", "D", 9, 40);
    b.prop(g, "a", a)
        .prop(g, "b", bb)
        .prop(a, "d", d)
        .prop(bb, "d", d);
    b.load()
}

#[test]
fn diamond_dominators_and_retained_sizes() {
    let snap = diamond();
    assert_eq!(snap.node_count(), 5);
    assert_eq!(snap.edge_count(), 5);
    // D has two retainers; neither dominates it, so its immediate dominator is G.
    assert_eq!(dominator_id(&snap, 9), 3);
    assert_eq!(dominator_id(&snap, 5), 3);
    assert_eq!(dominator_id(&snap, 7), 3);
    assert_eq!(dominator_id(&snap, 3), 1);
    assert_eq!(snap.dominator(snap.root()), snap.root());
    assert_eq!(dominated_ids(&snap, 3), [5, 7, 9]);
    assert_eq!(dominated_ids(&snap, 1), [3]);
    assert_eq!(dominated_ids(&snap, 9), Vec::<u32>::new());

    assert_eq!(sizes(&snap, 9), (40, 40, 3));
    assert_eq!(sizes(&snap, 5), (20, 20, 2));
    assert_eq!(sizes(&snap, 7), (30, 30, 2));
    assert_eq!(sizes(&snap, 3), (10, 100, 1));
    assert_eq!(snap.retained_size(snap.root()), 100);
    assert_eq!(snap.distance(snap.root()), BASE_SYSTEM_DISTANCE);
    assert_eq!(snap.total_size(), 100);
    assert_eq!(snap.unreachable_count(), 0);
    assert_eq!(
        visible_retainers(&snap, 9),
        [(7, ".d".to_owned()), (5, ".d".to_owned())]
    );
}

/// The graph of Lengauer & Tarjan's paper (Fig. 1), with R as the global object. Most
/// immediate dominators there are not retainers: I is retained by F, G, J and K, yet only
/// R dominates it.
fn lengauer_tarjan_graph() -> Snapshot {
    let mut b = SnapshotBuilder::new();
    let r = b.global(3, 4096);
    let names = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L"];
    // A = @5 size 1, B = @7 size 2, C = @9 size 4, … L = @27 size 2048.
    let v: Vec<usize> = names
        .iter()
        .enumerate()
        .map(|(i, name)| b.node("object", name, 5 + 2 * i as u32, 1 << i))
        .collect();
    let [a, bb, c, d, e, f, g, h, i, j, k, l] = v[..] else {
        unreachable!()
    };
    for (from, to) in [
        (r, a),
        (r, bb),
        (r, c),
        (a, d),
        (bb, a),
        (bb, d),
        (bb, e),
        (c, f),
        (c, g),
        (d, l),
        (e, h),
        (f, i),
        (g, i),
        (g, j),
        (h, e),
        (h, k),
        (i, k),
        (j, i),
        (k, i),
        (k, r),
        (l, h),
    ] {
        b.prop(from, "to", to);
    }
    b.load()
}

#[test]
fn immediate_dominator_need_not_be_a_retainer() {
    let snap = lengauer_tarjan_graph();
    // (node, immediate dominator) by name, from the paper.
    let expected = [
        ("A", "global"),
        ("B", "global"),
        ("C", "global"),
        ("D", "global"),
        ("E", "global"),
        ("F", "C"),
        ("G", "C"),
        ("H", "global"),
        ("I", "global"),
        ("J", "G"),
        ("K", "global"),
        ("L", "D"),
    ];
    for (i, (node, idom)) in expected.iter().enumerate() {
        let n = by_id(&snap, 5 + 2 * i as u32);
        assert_eq!(snap.raw_name(n), *node);
        assert_eq!(snap.raw_name(snap.dominator(n)), *idom, "idom of {node}");
    }
    let i = by_id(&snap, 21);
    assert!(
        snap.retainers(i)
            .all(|(from, _)| snap.raw_name(from) != "global"),
        "I must not be retained by its dominator for this test to mean anything"
    );
    // Retained sizes: sizes are powers of two, so each is the sum of a subtree.
    let retained = |name: &str| {
        let n = (0..snap.node_count() as u32)
            .map(NodeIdx)
            .find(|&n| snap.raw_name(n) == name)
            .expect("node");
        snap.retained_size(n)
    };
    assert_eq!(retained("L"), 2048);
    assert_eq!(retained("D"), 8 + 2048);
    assert_eq!(retained("J"), 512);
    assert_eq!(retained("G"), 64 + 512);
    assert_eq!(retained("C"), 4 + 32 + 64 + 512);
    assert_eq!(retained("I"), 256);
    assert_eq!(retained("global"), 8191);
    assert_eq!(chain_ids(&snap, 27), [11, 3, 1]); // L: D, global, root
}

#[test]
fn cycles() {
    // G -> A <-> B -> C -> B, and G -> X <-> Y <- G (a cycle entered twice).
    let mut b = SnapshotBuilder::new();
    let g = b.global(3, 1);
    let a = b.node("object", "A", 5, 2);
    let bb = b.node("object", "B", 7, 4);
    let c = b.node("object", "C", 9, 8);
    let x = b.node("object", "X", 11, 16);
    let y = b.node("object", "Y", 13, 32);
    b.prop(g, "a", a)
        .prop(a, "next", bb)
        .prop(bb, "prev", a)
        .prop(bb, "c", c)
        .prop(c, "back", bb)
        .prop(g, "x", x)
        .prop(g, "y", y)
        .prop(x, "y", y)
        .prop(y, "x", x)
        .prop(a, "self", a);
    let snap = b.load();
    assert_eq!(dominator_id(&snap, 5), 3);
    assert_eq!(dominator_id(&snap, 7), 5);
    assert_eq!(dominator_id(&snap, 9), 7);
    assert_eq!(dominator_id(&snap, 11), 3);
    assert_eq!(dominator_id(&snap, 13), 3);
    assert_eq!(sizes(&snap, 9), (8, 8, 4));
    assert_eq!(sizes(&snap, 7), (4, 12, 3));
    assert_eq!(sizes(&snap, 5), (2, 14, 2));
    assert_eq!(sizes(&snap, 11), (16, 16, 2));
    assert_eq!(sizes(&snap, 13), (32, 32, 2));
    assert_eq!(sizes(&snap, 3), (1, 63, 1));
    // The self edge is a retainer but not a path to the root. Retainers are listed as
    // DevTools lists them: by decreasing edge position in the file (B's edges come after
    // A's, which come after G's).
    assert_eq!(
        visible_retainers(&snap, 5),
        [
            (7, ".prev".to_owned()),
            (5, ".self".to_owned()),
            (3, ".a".to_owned())
        ]
    );
}

/// A tiny deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

/// Dominators by the textbook fixpoint `Dom(v) = {v} ∪ ⋂ Dom(p)` on bit sets (node 0 is
/// the start). Returns `dom[v]` as a bit set (`u64`, so at most 64 nodes).
fn naive_dominator_sets(preds: &[Vec<usize>]) -> Vec<u64> {
    let n = preds.len();
    assert!(n <= 64);
    let all = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
    let mut dom = vec![all; n];
    dom[0] = 1;
    let mut changed = true;
    while changed {
        changed = false;
        for v in 1..n {
            let meet = preds[v].iter().fold(all, |acc, &p| acc & dom[p]);
            let new = meet | (1 << v);
            if new != dom[v] {
                dom[v] = new;
                changed = true;
            }
        }
    }
    dom
}

#[test]
fn dominators_match_a_naive_reference_on_random_graphs() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..60 {
        // Node 0 = root, 1 = global, 2.. = objects; every object gets a strong edge from an
        // earlier node so all are reachable; extra edges (strong or weak) add cycles,
        // cross edges and self edges.
        let objects = 2 + rng.below(40);
        let mut b = SnapshotBuilder::new();
        let mut sizes = vec![0u64, 1];
        let mut handles = vec![b.root(), b.global(3, 1)];
        for i in 0..objects {
            let size = 1 + rng.below(1000) as u32;
            handles.push(b.node("object", "O", 5 + 2 * i as u32, size));
            sizes.push(u64::from(size));
        }
        let n = handles.len();
        let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
        preds[1].push(0);
        let mut adjacency: Vec<Vec<(usize, bool)>> = vec![Vec::new(); n];
        for to in 2..n {
            let from = 1 + rng.below(to - 1);
            adjacency[from].push((to, true));
        }
        for _ in 0..rng.below(3 * objects) {
            let from = 1 + rng.below(n - 1);
            let to = 1 + rng.below(n - 1);
            adjacency[from].push((to, rng.below(4) != 0));
        }
        for (from, targets) in adjacency.iter().enumerate() {
            for (k, &(to, strong)) in targets.iter().enumerate() {
                if strong {
                    b.prop(handles[from], &format!("p{k}"), handles[to]);
                    preds[to].push(from);
                } else {
                    b.edge(handles[from], "weak", &format!("w{k}"), handles[to]);
                }
            }
        }
        let snap = b.load();
        let dom = naive_dominator_sets(&preds);
        for v in 1..n {
            // The immediate dominator is the strict dominator with the most dominators.
            let strict = dom[v] & !(1 << v);
            let idom = (0..n)
                .filter(|&d| strict & (1 << d) != 0)
                .max_by_key(|&d| dom[d].count_ones())
                .expect("a strict dominator");
            let node = NodeIdx(v as u32);
            assert_eq!(
                snap.dominator(node),
                NodeIdx(idom as u32),
                "round {round}: idom of node {v}"
            );
            let retained: u64 = (0..n)
                .filter(|&u| dom[u] & (1 << v) != 0)
                .map(|u| sizes[u])
                .sum();
            assert_eq!(
                snap.retained_size(node),
                retained,
                "round {round}: retained size of node {v}"
            );
        }
        // BFS distances over strong edges from the global (distance 1).
        let mut dist = vec![-1i32; n];
        dist[1] = 1;
        let mut queue = std::collections::VecDeque::from([1usize]);
        while let Some(v) = queue.pop_front() {
            for &(to, strong) in &adjacency[v] {
                if strong && dist[to] < 0 {
                    dist[to] = dist[v] + 1;
                    queue.push_back(to);
                }
            }
        }
        for (v, &d) in dist.iter().enumerate().skip(1) {
            assert_eq!(
                snap.distance(NodeIdx(v as u32)),
                d,
                "round {round}: node {v}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Weak edges and unreachable nodes

#[test]
fn weakly_retained_node_is_unreachable_and_attached_to_the_root() {
    // G -> A strongly; G -[[w]]-> W weakly; W -> X strongly.
    let mut b = SnapshotBuilder::new();
    let g = b.global(3, 10);
    let a = b.node("object", "A", 5, 20);
    let w = b.node("object", "W", 7, 30);
    let x = b.node("object", "X", 9, 40);
    b.prop(g, "a", a).edge(g, "weak", "w", w).prop(w, "x", x);
    let snap = b.load();

    // Distances never follow weak edges: W and X are unreachable.
    assert_eq!(sizes(&snap, 7), (30, 70, NO_DISTANCE));
    assert_eq!(sizes(&snap, 9), (40, 40, NO_DISTANCE));
    assert_eq!(NO_DISTANCE, -5);
    // The dominator pass attaches the weakly held W to the root; X hangs below W.
    assert_eq!(dominator_id(&snap, 7), 1);
    assert_eq!(dominator_id(&snap, 9), 7);
    assert_eq!(snap.unreachable_count(), 2);
    assert_eq!(sizes(&snap, 3), (10, 30, 1));
    assert_eq!(snap.retained_size(snap.root()), 100);

    let wn = by_id(&snap, 7);
    assert_eq!(snap.retainer_count(wn), 1);
    let (from, e) = snap.retainers(wn).next().expect("one retainer");
    assert_eq!(snap.node_id(from), 3);
    assert_eq!(snap.edge_kind(e), EdgeKind::Weak);
    assert!(snap.is_weak_edge(e));
    assert_eq!(snap.edge_label(e), "[[w]]");
    assert_eq!(visible_retainers(&snap, 7), []);

    let totals = snap.totals();
    assert_eq!(totals.node_count, 5);
    assert_eq!(totals.reachable_node_count, 3); // root, G, A
    assert_eq!(totals.reachable_shallow_size, 30);
    assert_eq!(totals.total_shallow_size, 100);
    assert_eq!(totals.total_reachable_size, 100);
    assert_eq!(class_row(&snap, "W"), (1, 30, 70, NO_DISTANCE));
}

#[test]
fn weak_retainers_are_never_visible_and_never_dominate() {
    // T is held strongly by A and weakly by G (the earlier edge in the file) and B.
    let mut b = SnapshotBuilder::new();
    let g = b.global(3, 1);
    let a = b.node("object", "A", 5, 2);
    let bb = b.node("object", "B", 7, 4);
    let t = b.node("object", "T", 9, 8);
    b.edge(g, "weak", "t", t)
        .prop(g, "a", a)
        .prop(g, "b", bb)
        .prop(a, "t", t)
        .edge(bb, "weak", "t", t);
    let snap = b.load();
    assert_eq!(snap.retainer_count(by_id(&snap, 9)), 3);
    assert_eq!(visible_retainers(&snap, 9), [(5, ".t".to_owned())]);
    assert_eq!(dominator_id(&snap, 9), 5);
    assert_eq!(sizes(&snap, 5), (2, 10, 2));
    assert_eq!(sizes(&snap, 9), (8, 8, 3));
    assert_eq!(snap.unreachable_count(), 0);
    // The node report lists only visible retainers.
    let r = snap.node_report(by_id(&snap, 9), usize::MAX, true);
    assert_eq!(r.retainer_count, 1);
    assert_eq!(r.retainers[0].edge_type, "property");
    assert_eq!(r.dominator_chain, Some(vec![5, 3, 1]));
}

#[test]
fn unreachable_nodes_and_cliques_hang_off_the_root() {
    // U has no retainers; U1 <-> U2 is a clique nobody holds; U1 -> U3.
    let mut b = SnapshotBuilder::new();
    let g = b.global(3, 1);
    let a = b.node("object", "A", 5, 2);
    let u = b.node("object", "U", 7, 4);
    let u1 = b.node("object", "U1", 9, 8);
    let u2 = b.node("object", "U2", 11, 16);
    let u3 = b.node("object", "U3", 13, 32);
    b.prop(g, "a", a)
        .prop(u, "a", a)
        .prop(u1, "u2", u2)
        .prop(u2, "u1", u1)
        .prop(u1, "u3", u3);
    let snap = b.load();
    for id in [7, 9, 11, 13] {
        assert_eq!(snap.distance(by_id(&snap, id)), NO_DISTANCE, "@{id}");
        assert_eq!(dominator_id(&snap, id), 1, "@{id}");
    }
    assert_eq!(snap.unreachable_count(), 4);
    // U's edge into the reachable graph does not steal A from G.
    assert_eq!(dominator_id(&snap, 5), 3);
    assert_eq!(sizes(&snap, 7), (4, 4, NO_DISTANCE));
    // DevTools attaches each member of an unreachable clique (and what hangs off it)
    // individually to the root, so nothing is counted twice.
    assert_eq!(sizes(&snap, 9), (8, 8, NO_DISTANCE));
    assert_eq!(sizes(&snap, 11), (16, 16, NO_DISTANCE));
    assert_eq!(sizes(&snap, 13), (32, 32, NO_DISTANCE));
    assert_eq!(snap.retained_size(snap.root()), 63);
    assert_eq!(snap.totals().reachable_node_count, 3);
    // U is a visible retainer of A (it is not weak and not the root).
    assert_eq!(
        visible_retainers(&snap, 5),
        [(7, ".a".to_owned()), (3, ".a".to_owned())]
    );
}

#[test]
fn weak_map_values_are_held_by_their_key_not_by_the_table() {
    // WM's table T holds V through an ephemeron edge, and so does the key K; V8 names both
    // edges `N / part of key (…) -> value (…) pair in WeakMap (table @7)`. DevTools: V's
    // distance is one more than the *later* of table and key, and only K dominates V.
    let mut b = SnapshotBuilder::new();
    let g = b.global(3, 1);
    let wm = b.node("object", "WeakMap", 5, 8);
    let table = b.node("array", "(WeakMap table)", 7, 16);
    let d1 = b.node("object", "D", 9, 1);
    let d2 = b.node("object", "D", 11, 1);
    let k = b.node("object", "Key", 13, 2);
    let v = b.node("object", "Val", 15, 64);
    let pair = "part of key (Key @13) -> value (Val @15) pair in WeakMap (table @7)";
    b.prop(g, "wm", wm)
        .edge(wm, "internal", "table", table)
        .prop(g, "d1", d1)
        .prop(d1, "d2", d2)
        .prop(d2, "k", k)
        .edge(table, "internal", &format!("1 / {pair}"), v)
        .edge(k, "internal", &format!("2 / {pair}"), v);
    let snap = b.load();
    assert_eq!(snap.distance(by_id(&snap, 7)), 3);
    assert_eq!(snap.distance(by_id(&snap, 13)), 4);
    // A plain BFS would say 4 (through the table).
    assert_eq!(snap.distance(by_id(&snap, 15)), 5);
    assert_eq!(dominator_id(&snap, 15), 13);
    assert_eq!(sizes(&snap, 13), (2, 66, 4));
    // The table's size moved into the WeakMap; the value is not part of it.
    assert_eq!(sizes(&snap, 5), (24, 24, 2));
    let v = by_id(&snap, 15);
    let weak: Vec<(u32, bool)> = snap
        .retainers(v)
        .map(|(from, e)| (snap.node_id(from), snap.is_weak_edge(e)))
        .collect();
    assert_eq!(weak, [(13, false), (7, true)]);
    // Both are internal edges, so both stay visible retainers.
    assert_eq!(snap.visible_retainers(v).count(), 2);
}

// ---------------------------------------------------------------------------------------
// Distances

#[test]
fn distance_skips_map_descriptor_links_and_sloppy_function_maps() {
    // DevTools' distance filter: a `(map descriptors)` array's element i is skipped when
    // i >= 2 and i % 3 == 1 (crbug 413608); a `system / NativeContext`'s
    // `sloppy_function_map` edge is skipped. Both targets are also reachable the long way.
    let mut b = SnapshotBuilder::new();
    let g = b.global(3, 1);
    let map = b.node("hidden", "system / Map", 5, 8);
    let descriptors = b.node("array", "(map descriptors)", 7, 8);
    let e: Vec<usize> = (0..5)
        .map(|i| b.node("object", &format!("E{i}"), 9 + 2 * i, 4))
        .collect();
    let native_context = b.node("hidden", "system / NativeContext", 19, 8);
    let sloppy = b.node("object", "SloppyMap", 21, 4);
    let long: Vec<usize> = (0..3)
        .map(|i| b.node("object", "L", 23 + 2 * i, 1))
        .collect();
    b.edge(g, "internal", "map", map)
        .edge(map, "internal", "instance_descriptors", descriptors)
        .edge(g, "internal", "native_context", native_context)
        .edge(native_context, "internal", "sloppy_function_map", sloppy)
        .prop(g, "l0", long[0])
        .prop(long[0], "l1", long[1])
        .prop(long[1], "l2", long[2])
        .prop(long[2], "e4", e[4])
        .prop(long[2], "sloppy", sloppy);
    for (i, &target) in e.iter().enumerate() {
        b.edge(descriptors, "element", &i.to_string(), target);
    }
    let snap = b.load();
    for id in [9, 11, 13, 15] {
        assert_eq!(snap.distance(by_id(&snap, id)), 4, "E@{id}");
    }
    // E4 ([4]: 4 >= 2 and 4 % 3 == 1) and SloppyMap take the long way: G, L, L, L, them.
    assert_eq!(snap.distance(by_id(&snap, 17)), 5);
    assert_eq!(snap.distance(by_id(&snap, 21)), 5);
    assert_eq!(snap.distance(by_id(&snap, 19)), 2);
}

#[test]
fn distance_ties_take_the_shortest_length() {
    // Two paths of length 3 to T (via A and via B), one of length 4 (via C -> D).
    let mut b = SnapshotBuilder::new();
    let g = b.global(3, 1);
    let a = b.node("object", "A", 5, 1);
    let bb = b.node("object", "B", 7, 1);
    let c = b.node("object", "C", 9, 1);
    let d = b.node("object", "D", 11, 1);
    let t = b.node("object", "T", 13, 1);
    b.prop(g, "a", a)
        .prop(g, "b", bb)
        .prop(g, "c", c)
        .prop(c, "d", d)
        .prop(d, "t", t)
        .prop(a, "t", t)
        .prop(bb, "t", t);
    let snap = b.load();
    assert_eq!(snap.distance(by_id(&snap, 13)), 3);
    assert_eq!(snap.distance(by_id(&snap, 11)), 3);
    assert_eq!(dominator_id(&snap, 13), 3);
    // Retainers in DevTools' order: last edge in the file first (D's edges follow B's,
    // which follow A's), whatever the distances.
    assert_eq!(
        visible_retainers(&snap, 13),
        [
            (11, ".t".to_owned()),
            (7, ".t".to_owned()),
            (5, ".t".to_owned())
        ]
    );
    assert_eq!(class_row(&snap, "T"), (1, 1, 1, 3));
}

/// root -[1]-> (GC roots) -[1]-> (Strong roots) -[1]-> S, -[2]-> T;
/// root -shortcut-> global -> M -> T.
fn user_and_system_roots() -> Snapshot {
    let mut b = SnapshotBuilder::new();
    let gc = b.gc_roots(3);
    let g = b.global(5, 100);
    let strong = b.node("synthetic", "(Strong roots)", 7, 0);
    let s = b.node("object", "SystemOnly", 9, 24);
    let t = b.node("object", "Shared", 11, 8);
    let m = b.node("object", "Mid", 13, 4);
    b.edge(gc, "element", "1", strong)
        .edge(strong, "element", "1", s)
        .edge(strong, "element", "2", t)
        .prop(g, "m", m)
        .prop(m, "t", t);
    b.load()
}

#[test]
fn user_roots_come_before_system_roots() {
    let snap = user_and_system_roots();
    // The global is a user root (a non-synthetic child of the root): distance 1.
    assert_eq!(snap.distance(by_id(&snap, 5)), 1);
    assert_eq!(snap.distance(by_id(&snap, 13)), 2);
    // T is 3 steps from the root through (Strong roots) too, but user roots go first.
    assert_eq!(snap.distance(by_id(&snap, 11)), 3);
    // Only reachable through synthetic roots: BASE_SYSTEM_DISTANCE + depth from the root.
    assert_eq!(snap.distance(snap.root()), BASE_SYSTEM_DISTANCE);
    assert_eq!(snap.distance(by_id(&snap, 3)), BASE_SYSTEM_DISTANCE + 1);
    assert_eq!(snap.distance(by_id(&snap, 7)), BASE_SYSTEM_DISTANCE + 2);
    assert_eq!(snap.distance(by_id(&snap, 9)), BASE_SYSTEM_DISTANCE + 3);
    assert!(snap.distance(by_id(&snap, 9)) >= 100_000_000);
    assert_eq!(class_row(&snap, "SystemOnly").3, 100_000_003);
    assert_eq!(class_row(&snap, "Shared").3, 3);
}

#[test]
fn system_roots_do_not_steal_dominance_over_page_objects() {
    let snap = user_and_system_roots();
    // T is held by (Strong roots) and by M; an edge from a non-page object into a page
    // object is not essential, so M alone dominates T.
    assert_eq!(dominator_id(&snap, 11), 13);
    assert_eq!(sizes(&snap, 13), (4, 12, 2));
    assert_eq!(sizes(&snap, 5), (100, 112, 1));
    // S is not a page object: (Strong roots) dominates it.
    assert_eq!(dominator_id(&snap, 9), 7);
    assert_eq!(chain_ids(&snap, 9), [7, 3, 1]);
    assert_eq!(snap.retained_size(by_id(&snap, 7)), 24);
    assert_eq!(snap.retained_size(snap.root()), 136);
    // Edges from the root are not shown as retainers; (Strong roots) is.
    assert_eq!(visible_retainers(&snap, 5), []);
    assert_eq!(
        visible_retainers(&snap, 11),
        [(13, ".t".to_owned()), (7, "[2]".to_owned())]
    );
}

#[test]
fn without_user_roots_distances_count_from_the_root() {
    // A snapshot with no global (as with "expose internals"): root -> (GC roots) -> X -> arr.
    let mut b = SnapshotBuilder::new();
    let gc = b.gc_roots(3);
    let x = b.node("object", "X", 5, 10);
    let arr = b.node("array", "", 7, 16);
    b.edge(gc, "element", "1", x)
        .edge(x, "internal", "elements", arr);
    let snap = b.load();
    assert_eq!(snap.distance(snap.root()), 0);
    assert_eq!(snap.distance(by_id(&snap, 3)), 1);
    assert_eq!(snap.distance(by_id(&snap, 5)), 2);
    assert_eq!(snap.distance(by_id(&snap, 7)), 3);
    // No user roots: shallow sizes stay as written.
    assert_eq!(sizes(&snap, 5), (10, 26, 2));
    assert_eq!(sizes(&snap, 7), (16, 16, 3));
}

// ---------------------------------------------------------------------------------------
// Shallow sizes

#[test]
fn owned_arrays_and_hidden_nodes_move_into_their_single_owner() {
    let mut b = SnapshotBuilder::new();
    let gc = b.gc_roots(3);
    let g = b.global(5, 100);
    let o = b.node("object", "Foo", 7, 20);
    let props = b.node("array", "(object properties)", 9, 16);
    let inner = b.node("hidden", "system / Foo", 11, 8);
    let s1 = b.node("object", "Bar", 13, 12);
    let s2 = b.node("object", "Bar", 15, 12);
    let shared = b.node("array", "(object elements)", 17, 40);
    let sys_arr = b.node("array", "(system array)", 19, 64);
    b.prop(g, "foo", o)
        .edge(o, "internal", "properties", props)
        .edge(props, "internal", "inner", inner)
        .prop(g, "s1", s1)
        .prop(g, "s2", s2)
        .edge(s1, "internal", "elements", shared)
        .edge(s2, "internal", "elements", shared)
        .edge(gc, "element", "1", sys_arr);
    let snap = b.load();
    // Foo owns its properties array and, through it, the hidden node.
    assert_eq!(sizes(&snap, 7), (44, 44, 2));
    assert_eq!(sizes(&snap, 9), (0, 0, 3));
    assert_eq!(sizes(&snap, 11), (0, 0, 4));
    // An array with two owners keeps its size.
    assert_eq!(sizes(&snap, 17), (40, 40, 3));
    assert_eq!(sizes(&snap, 13), (12, 12, 2));
    // Owned by a synthetic root only: no re-attribution.
    assert_eq!(sizes(&snap, 19), (64, 64, BASE_SYSTEM_DISTANCE + 2));
    // Sizes move, never appear or vanish.
    assert_eq!(snap.total_shallow_size(), 272);
    assert_eq!(sizes(&snap, 5), (100, 208, 1));
    assert_eq!(snap.retained_size(snap.root()), 272);
    // Zero-size nodes are not counted in the Summary.
    assert_eq!(class_row(&snap, "(array)"), (2, 104, 104, 3));
    assert_eq!(class_row(&snap, "Foo"), (1, 44, 44, 2));
    assert!(snap.classes().iter().all(|c| c.name != "(system)"));
    assert_eq!(snap.node_class(by_id(&snap, 9)), None);
}

// ---------------------------------------------------------------------------------------
// Names

#[test]
fn class_names_follow_devtools() {
    let mut b = SnapshotBuilder::new();
    let g = b.global(3, 10);
    let cases = [
        ("closure", "foo", "Function"),
        ("string", "hello", "(string)"),
        ("hidden", "system / Context", "(system)"),
        ("code", "(code for foo)", "(compiled code)"),
        ("regexp", "a+b", "RegExp"),
        ("number", "heap number", "(number)"),
        ("array", "(internal array)", "(array)"),
        ("symbol", "Symbol(x)", "(symbol)"),
        ("bigint", "bigint", "(bigint)"),
        ("sliced string", "lice", "(sliced string)"),
        ("object shape", "system / Map", "(object shape)"),
        ("object", "MyClass", "MyClass"),
        ("native", "<div id=\"main\" class=\"x\">", "<div>"),
        ("native", "Detached <span id=\"s\">", "Detached <span>"),
    ];
    let mut ids = Vec::new();
    for (i, (node_type, name, _)) in cases.iter().enumerate() {
        let id = 5 + 2 * i as u32;
        let n = b.node(node_type, name, id, 8);
        b.prop(g, &format!("p{i}"), n);
        ids.push(id);
    }
    let snap = b.load();
    for ((node_type, name, class), id) in cases.iter().zip(ids) {
        let n = by_id(&snap, id);
        assert_eq!(snap.node_type_name(n), *node_type);
        assert_eq!(snap.class_name(n), *class, "class of {node_type} {name:?}");
    }
    assert_eq!(snap.class_name(snap.root()), "(synthetic)");
    assert_eq!(snap.class_name(by_id(&snap, 3)), "global");
    // Summary rows use the same names.
    for class in [
        "Function",
        "(string)",
        "(compiled code)",
        "RegExp",
        "MyClass",
        "<div>",
    ] {
        assert_eq!(class_row(&snap, class).0, 1, "{class}");
    }
}

#[test]
fn plain_objects_are_named_by_their_shape() {
    // Shapes are inferred from property names in edge order, ignoring `__proto__`: O1 and
    // O2 are `{a, b}` (two objects: an interface). O5 `{b, a}` and O4 `{a, b, c}` are alone
    // in their shapes but hold every property of `{a, b}`, so they join it. O3 `{x, y, z}`
    // is alone and matches nothing: it stays `Object`.
    let mut b = SnapshotBuilder::new();
    let g = b.global(3, 10);
    let v = b.node("string", "v", 5, 16);
    let proto = b.node("object", "Object", 7, 24);
    let shapes: [(u32, &[&str]); 5] = [
        (9, &["a", "b", "__proto__"]),
        (11, &["a", "b"]),
        (13, &["x", "y", "z"]),
        (15, &["a", "b", "c"]),
        (17, &["b", "a"]),
    ];
    for (id, props) in shapes {
        let o = b.node("object", "Object", id, 20);
        b.prop(g, &format!("o{id}"), o);
        for p in props {
            let target = if *p == "__proto__" { proto } else { v };
            b.prop(o, p, target);
        }
    }
    let snap = b.load();
    let class = |id| snap.class_name(by_id(&snap, id)).to_owned();
    let name = |id| snap.node_name(by_id(&snap, id)).into_owned();
    for id in [9, 11, 15, 17] {
        assert_eq!(class(id), "{a, b}", "@{id}");
    }
    assert_eq!(class(13), "Object");
    assert_eq!(class(7), "Object");
    // A single object's name lists its own properties in edge order.
    assert_eq!(name(9), "{a, b}");
    assert_eq!(name(17), "{b, a}");
    assert_eq!(name(13), "{x, y, z}");
    assert_eq!(name(15), "{a, b, c}");
    assert_eq!(name(7), "{}");
    assert_eq!(class_row(&snap, "{a, b}").0, 4);
    assert_eq!(class_row(&snap, "Object").0, 2);
    let interfaces: Vec<&str> = snap.interfaces().iter().map(|i| i.name.as_str()).collect();
    assert_eq!(interfaces, ["{a, b}"]);
}

#[test]
fn shapes_need_two_objects_with_the_same_property_order() {
    // `{a, b}` and `{b, a}` are different candidate shapes with one object each: neither
    // becomes an interface, so both stay `Object` (as the oracle shows).
    let mut b = SnapshotBuilder::new();
    let g = b.global(3, 10);
    let v = b.node("string", "v", 5, 16);
    let o1 = b.node("object", "Object", 7, 20);
    let o2 = b.node("object", "Object", 9, 20);
    b.prop(g, "o1", o1)
        .prop(g, "o2", o2)
        .prop(o1, "a", v)
        .prop(o1, "b", v)
        .prop(o2, "b", v)
        .prop(o2, "a", v);
    let snap = b.load();
    assert_eq!(snap.class_name(by_id(&snap, 7)), "Object");
    assert_eq!(snap.class_name(by_id(&snap, 9)), "Object");
    assert!(snap.interfaces().is_empty());
    assert_eq!(class_row(&snap, "Object"), (2, 40, 40, 2));
}

#[test]
fn node_names_join_concatenated_strings() {
    // "Hello, " + ("wor" + "ld"), as V8 writes cons strings: internal first/second edges.
    let mut b = SnapshotBuilder::new();
    let g = b.global(3, 10);
    let outer = b.node("concatenated string", "(concatenated string)", 5, 32);
    let hello = b.node("string", "Hello, ", 7, 20);
    let inner = b.node("concatenated string", "(concatenated string)", 9, 32);
    let wor = b.node("string", "wor", 11, 16);
    let ld = b.node("string", "ld", 13, 16);
    b.prop(g, "s", outer)
        .edge(outer, "internal", "first", hello)
        .edge(outer, "internal", "second", inner)
        .edge(inner, "internal", "first", wor)
        .edge(inner, "internal", "second", ld);
    let snap = b.load();
    assert_eq!(snap.node_name(by_id(&snap, 5)), "Hello, world");
    assert_eq!(snap.node_name(by_id(&snap, 9)), "world");
    assert_eq!(snap.node_name(by_id(&snap, 7)), "Hello, ");
    assert_eq!(snap.class_name(by_id(&snap, 5)), "(concatenated string)");
    assert_eq!(snap.raw_name(by_id(&snap, 5)), "(concatenated string)");
}

#[test]
fn edge_labels_follow_devtools() {
    let mut b = SnapshotBuilder::new();
    let g = b.global(3, 10);
    let f = b.node("closure", "f", 5, 32);
    let ctx = b.node("object", "Ctx", 7, 8);
    let t = b.node("object", "T", 9, 8);
    b.prop(g, "name", t)
        .prop(g, "a b", t)
        .edge(g, "element", "0", t)
        .edge(g, "element", "17", t)
        .edge(g, "internal", "internal", t)
        .edge(g, "hidden", "3", t)
        .edge(g, "weak", "weak", t)
        .prop(g, "f", f)
        .edge(f, "context", "ctx", ctx)
        .edge(f, "shortcut", "sc", t);
    let snap = b.load();
    let labels: Vec<(String, EdgeKind, String)> = snap
        .edges(by_id(&snap, 3))
        .chain(snap.edges(by_id(&snap, 5)))
        .map(|e| {
            (
                snap.edge_label(e),
                snap.edge_kind(e),
                snap.edge_type_name(e).to_owned(),
            )
        })
        .collect();
    let expected = [
        (".name", EdgeKind::Property, "property"),
        ("[\"a b\"]", EdgeKind::Property, "property"),
        ("[0]", EdgeKind::Element, "element"),
        ("[17]", EdgeKind::Element, "element"),
        ("{internal}", EdgeKind::Internal, "internal"),
        ("{3}", EdgeKind::Hidden, "hidden"),
        ("[[weak]]", EdgeKind::Weak, "weak"),
        (".f", EdgeKind::Property, "property"),
        ("->ctx", EdgeKind::Context, "context"),
        (".sc", EdgeKind::Shortcut, "shortcut"),
    ];
    let expected: Vec<(String, EdgeKind, String)> = expected
        .iter()
        .map(|(l, k, t)| ((*l).to_owned(), *k, (*t).to_owned()))
        .collect();
    assert_eq!(labels, expected);
    // The root's shortcut to the global.
    let e = snap.edges(snap.root()).next().expect("root edge");
    assert_eq!(snap.edge_label(e), ".global");
    assert_eq!(snap.edge_source(e), snap.root());
    assert_eq!(snap.edge_target(e), by_id(&snap, 3));
    // Element and hidden names are their indexes; edge_name is DevTools' `name()`.
    let names: Vec<String> = snap
        .edges(by_id(&snap, 3))
        .map(|e| snap.edge_name(e).into_owned())
        .collect();
    assert_eq!(
        names,
        ["name", "a b", "0", "17", "internal", "3", "weak", "f"]
    );
}

// ---------------------------------------------------------------------------------------
// Lookups and aggregates

#[test]
fn find_by_id_and_dominator_chain() {
    let snap = lengauer_tarjan_graph();
    assert_eq!(snap.find_by_id(1), Some(snap.root()));
    for id in [3, 5, 17, 27] {
        let n = snap.find_by_id(id).expect("present");
        assert_eq!(snap.node_id(n), id);
    }
    for id in [0, 2, 4, 29, 1001, u32::MAX] {
        assert_eq!(snap.find_by_id(id), None, "@{id}");
    }
    assert_eq!(snap.dominator_chain(snap.root()), []);
    assert_eq!(chain_ids(&snap, 3), [1]);
    assert_eq!(chain_ids(&snap, 23), [17, 9, 3, 1]); // J: G, C, global, root
    // Every chain ends at the root.
    for n in 0..snap.node_count() as u32 {
        let chain = snap.dominator_chain(NodeIdx(n));
        if n != snap.root().0 {
            assert_eq!(chain.last(), Some(&snap.root()));
        }
    }
}

#[test]
fn class_aggregates_do_not_count_nested_instances_twice() {
    // A linked list N1 -> N2 -> N3 -> D plus a lone N4: the class retains N1's and N4's
    // trees only, since N2 and N3 are dominated by N1.
    let mut b = SnapshotBuilder::new();
    let g = b.global(3, 10);
    let n: Vec<usize> = (0..4)
        .map(|i| b.node("object", "Node", 5 + 2 * i, 10))
        .collect();
    let d = b.node("object", "Data", 13, 100);
    b.prop(g, "head", n[0])
        .prop(n[0], "next", n[1])
        .prop(n[1], "next", n[2])
        .prop(n[2], "data", d)
        .prop(g, "other", n[3]);
    let snap = b.load();
    assert_eq!(class_row(&snap, "Node"), (4, 40, 140, 2));
    assert_eq!(class_row(&snap, "Data"), (1, 100, 100, 5));
    assert_eq!(class_row(&snap, "global"), (1, 10, 150, 1));
    // Rows are sorted by retained size, largest first.
    let names: Vec<&str> = snap.classes().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["global", "Node", "Data"]);
    let node_class = snap.node_class(by_id(&snap, 7)).expect("a Summary row");
    assert_eq!(snap.classes()[node_class].name, "Node");
    let members: Vec<u32> = snap
        .class_members(node_class)
        .iter()
        .map(|&m| snap.node_id(NodeIdx(m)))
        .collect();
    assert_eq!(members, [5, 7, 9, 11]);
}

#[test]
fn same_named_classes_from_different_locations_are_separate_rows() {
    let mut b = SnapshotBuilder::new();
    let g = b.global(3, 10);
    let w1 = b.node("object", "Widget", 5, 8);
    let w2 = b.node("object", "Widget", 7, 16);
    let w3 = b.node("object", "Widget", 9, 32);
    b.prop(g, "a", w1).prop(g, "b", w2).prop(g, "c", w3);
    b.location(w1, 1, 2, 3)
        .location(w2, 4, 5, 6)
        .location(w3, 1, 2, 3);
    let snap = b.load();
    let mut rows: Vec<(String, u32, u64)> = snap
        .classes()
        .iter()
        .filter(|c| c.name == "Widget")
        .map(|c| (c.key.clone(), c.count, c.shallow_size_bytes))
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        [
            ("1,2,3,Widget".to_owned(), 2, 40),
            ("4,5,6,Widget".to_owned(), 1, 16)
        ]
    );
}

#[test]
fn node_report_of_a_tiny_snapshot() {
    let snap = diamond();
    let r = snap.node_report(by_id(&snap, 9), usize::MAX, true);
    let json = report::to_json_string(&r);
    let expected = r#"{
 "id": 9,
 "name": "D",
 "className": "D",
 "type": "object",
 "selfSize": 40,
 "retainedSize": 40,
 "distance": 3,
 "dominatorId": 3,
 "retainerCount": 2,
 "retainers": [
  {
   "edgeType": "property",
   "edgeName": "d",
   "nodeId": 7,
   "nodeName": "B",
   "nodeClassName": "B"
  },
  {
   "edgeType": "property",
   "edgeName": "d",
   "nodeId": 5,
   "nodeName": "A",
   "nodeClassName": "A"
  }
 ],
 "dominatorChain": [
  3,
  1
 ]
}
"#;
    assert_eq!(json, expected);
}

// ---------------------------------------------------------------------------------------
// DOM and pathological names

#[test]
fn detached_dom_state_propagates_through_native_nodes() {
    // Div is detached, A attached; Span (unknown) is Div's child and becomes detached; P is
    // behind a hidden edge, which propagation does not follow.
    let mut b = SnapshotBuilder::new();
    let g = b.global(3, 10);
    let div = b.node("native", "<div id=\"a\">", 5, 32);
    let span = b.node("native", "<span>", 7, 40);
    let p = b.node("native", "<p>", 9, 8);
    let a = b.node("native", "<a>", 11, 8);
    b.detachedness(div, 2).detachedness(a, 1);
    b.prop(g, "el", div)
        .prop(div, "child", span)
        .prop(div, "att", a)
        .edge(span, "hidden", "0", p);
    let snap = b.load();
    let n = |id| by_id(&snap, id);
    assert_eq!(snap.node_name(n(5)), "Detached <div id=\"a\">");
    assert_eq!(snap.class_name(n(5)), "Detached <div>");
    assert!(snap.is_detached(n(5)));
    assert_eq!(snap.node_name(n(7)), "Detached <span>");
    assert_eq!(snap.class_name(n(7)), "Detached <span>");
    assert!(snap.is_detached(n(7)));
    assert_eq!(snap.node_name(n(9)), "<p>");
    assert!(!snap.is_detached(n(9)));
    assert_eq!(snap.node_name(n(11)), "<a>");
    assert!(!snap.is_detached(n(11)));
    assert_eq!(class_row(&snap, "Detached <div>").0, 1);
}

#[test]
fn document_dom_trees_is_a_user_root() {
    let mut b = SnapshotBuilder::new();
    b.gc_roots(3);
    let trees = b.node("synthetic", "(Document DOM trees)", 5, 0);
    b.edge(0, "element", "2", trees);
    let doc = b.node("native", "HTMLDocument", 7, 64);
    let html = b.node("native", "<html>", 9, 32);
    b.edge(trees, "element", "1", doc)
        .prop(doc, "documentElement", html);
    let snap = b.load();
    assert_eq!(snap.distance(by_id(&snap, 5)), 1);
    assert_eq!(snap.distance(by_id(&snap, 7)), 2);
    assert_eq!(snap.distance(by_id(&snap, 9)), 3);
    assert_eq!(snap.distance(by_id(&snap, 3)), BASE_SYSTEM_DISTANCE + 1);
    assert_eq!(dominator_id(&snap, 9), 7);
    assert_eq!(snap.retained_size(by_id(&snap, 5)), 96);
}

#[test]
fn cons_string_cycles_and_empty_part_dags_do_not_hang() {
    // A cons string that is its own first and second part, and a 40-level DAG of cons
    // strings whose parts are the same node (2^40 leaves, all empty). DevTools loops
    // forever on both; we must return.
    let mut b = SnapshotBuilder::new();
    let g = b.global(3, 10);
    let own = b.node("concatenated string", "", 5, 1000);
    b.prop(g, "own", own)
        .edge(own, "internal", "first", own)
        .edge(own, "internal", "second", own);
    let mut prev = b.node("string", "", 7, 16);
    for i in 0..40 {
        let c = b.node("concatenated string", "", 9 + 2 * i, 32);
        b.edge(c, "internal", "first", prev)
            .edge(c, "internal", "second", prev);
        prev = c;
    }
    b.prop(g, "dag", prev);
    let bytes = b.to_bytes();
    let (own_name, dag_name, report) = within_secs(60, "cons string names", move || {
        let snap = heapsight::snapshot::load_bytes(&bytes, &heapsight::snapshot::Progress::new())
            .expect("loads");
        let own_name = snap.node_name(by_id(&snap, 5)).into_owned();
        let dag_name = snap.node_name(by_id(&snap, 87)).into_owned();
        let report = report::to_json_string(&snap.summary_report(20, 5));
        (own_name, dag_name, report)
    });
    assert_eq!(own_name, "");
    assert_eq!(dag_name, "");
    assert!(report.contains("\"topNodes\""));
}
