//! Distances from the GC roots, exactly as DevTools computes them.
//!
//! `distance[n]` (an `i32`, stored in 2 bytes per node: see [`super::narrow`]) is the BFS depth from the *user roots* (non-synthetic
//! children of the root: the global objects, plus `(Document DOM trees)`), which get
//! distance 1. Nodes reachable only through synthetic roots get
//! [`BASE_SYSTEM_DISTANCE`] + depth from the root (the root itself has
//! `BASE_SYSTEM_DISTANCE`, or 0 when there are no user roots). Unreachable nodes keep
//! [`NO_DISTANCE`]. Weak edges are never followed; DevTools' filter also skips the
//! `sloppy_function_map` of native contexts, descriptor links in `(map descriptors)`
//! (crbug 413608), and the first edge of each WeakMap key/table pair (crbug 1290800).

use std::collections::{HashSet, VecDeque};

use super::edge_kinds::{EdgeKindsRef, KindsRead, with_kinds};
use super::meta::Meta;
use super::names::WeakMapEdges;
use super::narrow::{DistanceCodec, Distances, NarrowBuilder};
use super::strings::StringTable;

/// Offset DevTools adds to distances of objects reachable only from system roots.
pub const BASE_SYSTEM_DISTANCE: i32 = 100_000_000;
/// DevTools' `baseUnreachableDistance`: used for ignored retainers in the retainers view.
pub const BASE_UNREACHABLE_DISTANCE: i32 = 2 * BASE_SYSTEM_DISTANCE;
/// Distance of nodes not reachable from the root at all (DevTools' `#noDistance`).
pub const NO_DISTANCE: i32 = -5;

/// Inputs of the BFS.
pub(crate) struct DistanceInputs<'a> {
    pub meta: &'a Meta,
    pub strings: &'a StringTable,
    pub node_type: &'a [u8],
    pub node_name: &'a [u32],
    pub first_edge: &'a [u32],
    pub edge_to: &'a [u32],
    pub edge_kinds: EdgeKindsRef<'a>,
    pub weak_maps: &'a WeakMapEdges,
}

impl DistanceInputs<'_> {
    /// DevTools' `JSHeapSnapshot.isUserRoot` for a child of the root.
    pub fn is_user_root(&self, n: usize) -> bool {
        let t = self.node_type[n];
        t != self.meta.nt.synthetic || self.strings.get(self.node_name[n]) == "(Document DOM trees)"
    }
}

/// Computes distances. `ignored` (for "Ignore this retainer") lists nodes whose incoming
/// edges are not followed. Built in the 2-byte form directly (it is the BFS's visited
/// marker too), so no 4-byte column exists beside the dominator tree's temporaries.
pub(crate) fn distances(inp: &DistanceInputs<'_>, ignored: &HashSet<u32>) -> Distances {
    const UNVISITED: u16 = DistanceCodec::NO_DISTANCE_CODE;
    let node_count = inp.node_type.len();
    let root = inp.meta.root_ordinal as usize;
    let mut dist = NarrowBuilder::<DistanceCodec>::filled(node_count, NO_DISTANCE);
    // A ring buffer: it holds the BFS's frontier, not every node visited (a node-sized
    // queue here would add a 4-byte column beside the dominator pass's temporaries).
    let mut queue: VecDeque<u32> = VecDeque::new();
    let mut pending_ephemerons: HashSet<&str> = HashSet::new();

    let nt = inp.meta.nt;
    let et = inp.meta.et;
    // Special nodes for the filter, resolved once.
    let sloppy_name = |n: usize| {
        inp.node_type[n] == nt.hidden
            && inp.strings.get(inp.node_name[n]) == "system / NativeContext"
    };
    let map_descriptors = |n: usize| {
        inp.node_type[n] == nt.array && inp.strings.get(inp.node_name[n]) == "(map descriptors)"
    };

    for e in inp.first_edge[root] as usize..inp.first_edge[root + 1] as usize {
        let to = inp.edge_to[e] as usize;
        if inp.is_user_root(to) {
            dist.set(to, 1);
            queue.push_back(to as u32);
        }
    }
    let has_user_roots = !queue.is_empty();

    // Compiled once per form of the edge columns.
    with_kinds!(inp.edge_kinds, |k| {
        let mut bfs = |queue: &mut VecDeque<u32>, dist: &mut NarrowBuilder<DistanceCodec>| {
            while let Some(n) = queue.pop_front() {
                let n = n as usize;
                let d = dist.get(n) + 1;
                let is_native_context = sloppy_name(n);
                let is_map_descriptors = map_descriptors(n);
                for e in inp.first_edge[n] as usize..inp.first_edge[n + 1] as usize {
                    let t = k.ty(e);
                    if t == et.weak {
                        continue;
                    }
                    let to = inp.edge_to[e] as usize;
                    if dist.code(to) != UNVISITED {
                        continue;
                    }
                    // DevTools' filter, in its order.
                    if !ignored.is_empty() && ignored.contains(&(to as u32)) {
                        continue;
                    }
                    let string_named = t != et.element && t != et.hidden;
                    if is_native_context
                        && string_named
                        && inp.strings.get(k.name(e)) == "sloppy_function_map"
                    {
                        continue;
                    }
                    if is_map_descriptors {
                        // parseInt(edge name): element/hidden edges are numbers.
                        let index: Option<i64> = if string_named {
                            js_parse_int(inp.strings.get(k.name(e)))
                        } else {
                            Some(i64::from(k.name(e)))
                        };
                        let keep = match index {
                            Some(i) => i < 2 || i % 3 != 1,
                            None => true,
                        };
                        if !keep {
                            continue;
                        }
                    } else if t == et.internal
                        && let Some(info) = inp.weak_maps.get(k.name(e))
                    {
                        let name = inp.strings.get(k.name(e));
                        let dup = &name[info.duplicated_part_start as usize..];
                        if !pending_ephemerons.remove(dup) {
                            pending_ephemerons.insert(dup);
                            continue;
                        }
                    }
                    dist.set(to, d);
                    queue.push_back(to as u32);
                }
            }
        };
        bfs(&mut queue, &mut dist);
        dist.set(
            root,
            if has_user_roots {
                BASE_SYSTEM_DISTANCE
            } else {
                0
            },
        );
        queue.clear();
        queue.push_back(root as u32);
        bfs(&mut queue, &mut dist);
        dist.finish()
    })
}

/// JavaScript's `parseInt(s, 10)` for the cases heap snapshots contain: leading whitespace,
/// optional sign, digits; `None` for NaN.
pub fn js_parse_int(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let len = digits.bytes().take_while(u8::is_ascii_digit).count();
    if len == 0 {
        return None;
    }
    let v: i64 = digits[..len].parse().ok()?;
    Some(if neg { -v } else { v })
}
