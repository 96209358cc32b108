//! The Retainers view's state and retaining paths, as DevTools computes them.
//!
//! - [`RetainerView`]: "Ignore this retainer". Ignoring nodes re-runs the distance BFS
//!   without entering them; retainers that become unreachable sort last
//!   (`BASE_UNREACHABLE_DISTANCE` + their normal distance), and when one half of a WeakMap
//!   key/table pair becomes unreachable the other half is ignored too, since it cannot
//!   retain the value alone. Only distances change, never retained sizes. Computing a view
//!   walks the whole graph: do it on a worker.
//! - [`retaining_paths`]: DevTools' `getRetainingPaths`: the forest of retainer paths from
//!   a node back to the GC roots, shortest first, bounded in depth, nodes and siblings.
//!   The retainer graph view draws this forest.

use std::collections::{HashMap, HashSet};

use super::distance::{self, BASE_UNREACHABLE_DISTANCE, DistanceInputs, NO_DISTANCE};
use super::narrow::Distances;
use super::{EdgeIdx, EdgeKind, NodeIdx, Snapshot};

/// Distances and ignored edges of the Retainers view.
#[derive(Clone, Debug, Default)]
pub struct RetainerView {
    /// Distances with the ignored nodes excluded (None: nothing ignored, use the normal ones).
    distances: Option<Distances>,
    ignored_nodes: HashSet<NodeIdx>,
    ignored_edges: HashSet<EdgeIdx>,
}

impl RetainerView {
    /// The view with nothing ignored.
    pub fn new() -> Self {
        Self::default()
    }

    /// The view with `ignored` nodes ignored (walks the whole graph).
    pub fn with_ignored(snap: &Snapshot, ignored: impl IntoIterator<Item = NodeIdx>) -> Self {
        let ignored_nodes: HashSet<NodeIdx> = ignored.into_iter().collect();
        if ignored_nodes.is_empty() {
            return Self::new();
        }
        let set: HashSet<u32> = ignored_nodes.iter().map(|n| n.0).collect();
        let distances = distance::distances(
            &DistanceInputs {
                meta: &snap.meta,
                strings: &snap.strings,
                node_type: &snap.node_type,
                node_name: &snap.node_name,
                first_edge: &snap.first_edge,
                edge_to: &snap.edge_to,
                edge_kinds: snap.edge_kinds.view(),
                weak_maps: &snap.weak_maps,
            },
            &set,
        );
        let ignored_edges = unreachable_weak_map_edges(snap, &distances);
        Self {
            distances: Some(distances),
            ignored_nodes,
            ignored_edges,
        }
    }

    /// The ignored nodes.
    pub fn ignored_nodes(&self) -> &HashSet<NodeIdx> {
        &self.ignored_nodes
    }

    /// True when some node is ignored.
    pub fn is_active(&self) -> bool {
        !self.ignored_nodes.is_empty()
    }

    /// True if `n` was marked "ignore this retainer".
    pub fn is_node_ignored(&self, n: NodeIdx) -> bool {
        self.ignored_nodes.contains(&n)
    }

    /// True for WeakMap edges ignored because their partner edge became unreachable.
    pub fn is_edge_ignored(&self, e: EdgeIdx) -> bool {
        self.ignored_edges.contains(&e)
    }

    /// Distance of `n` for sorting retainers (DevTools' `getDistanceForRetainersView`):
    /// unreachable nodes sort after all reachable ones.
    pub fn distance(&self, snap: &Snapshot, n: NodeIdx) -> i32 {
        let d = match &self.distances {
            Some(d) => d.get(n.0 as usize),
            None => snap.distance(n),
        };
        if d == NO_DISTANCE {
            snap.distance(n).max(0) + BASE_UNREACHABLE_DISTANCE
        } else {
            d
        }
    }

    /// Distance of the retainer `from` reached over edge `e`, as the Retainers view sorts it.
    pub fn retainer_distance(&self, snap: &Snapshot, from: NodeIdx, e: EdgeIdx) -> i32 {
        if self.is_edge_ignored(e) {
            BASE_UNREACHABLE_DISTANCE
        } else {
            self.distance(snap, from)
        }
    }

    /// The raw distances in use (DevTools' `#nodeDistancesForRetainersView ?? nodeDistances`).
    fn raw(&self, snap: &Snapshot, n: NodeIdx) -> i32 {
        match &self.distances {
            Some(d) => d.get(n.0 as usize),
            None => snap.distance(n),
        }
    }
}

/// DevTools' `#updateIgnoredEdgesInRetainersView`.
fn unreachable_weak_map_edges(snap: &Snapshot, distances: &Distances) -> HashSet<EdgeIdx> {
    // Target node -> duplicated parts of unreachable WeakMap edges pointing at it.
    let mut unreachable: HashMap<NodeIdx, HashSet<&str>> = HashMap::new();
    for (n, d) in distances.iter().enumerate() {
        if d != NO_DISTANCE {
            continue;
        }
        for e in snap.edges(NodeIdx(n as u32)) {
            if snap.edge_kind(e) != EdgeKind::Internal {
                continue;
            }
            let name_index = snap.edge_kinds.name(e.0 as usize);
            if let Some(info) = snap.weak_maps.get(name_index) {
                let name = snap.strings.get(name_index);
                unreachable
                    .entry(snap.edge_target(e))
                    .or_default()
                    .insert(&name[info.duplicated_part_start as usize..]);
            }
        }
    }
    let mut ignored = HashSet::new();
    for (target, parts) in &unreachable {
        for (_, e) in snap.retainers(*target) {
            if snap.edge_kind(e) != EdgeKind::Internal {
                continue;
            }
            let name_index = snap.edge_kinds.name(e.0 as usize);
            if let Some(info) = snap.weak_maps.get(name_index) {
                let name = snap.strings.get(name_index);
                if parts.contains(&name[info.duplicated_part_start as usize..]) {
                    ignored.insert(e);
                }
            }
        }
    }
    ignored
}

/// One retaining edge in a retaining-paths forest: `node` holds the child over `edge`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetainingEdge {
    /// The edge (from `node` to the object below it in the tree).
    pub edge: EdgeIdx,
    /// The retaining node.
    pub node: NodeIdx,
    /// The retaining node's distance (Retainers-view distance).
    pub distance: i32,
    /// The retainers of `node`, toward the roots (empty when `node` is at a root).
    pub children: Vec<RetainingEdge>,
}

/// Which bounds cut the forest short.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LimitsReached {
    /// A path was longer than `max_depth`.
    pub depth: bool,
    /// More than `max_nodes` nodes were visited.
    pub nodes: bool,
    /// A node had more than `max_siblings` retainers.
    pub siblings: bool,
}

/// The result of [`retaining_paths`].
#[derive(Clone, Debug, Default)]
pub struct RetainingPaths {
    /// Retainers of the start node, each with its own retainers, shortest first.
    pub paths: Vec<RetainingEdge>,
    /// Bounds that were hit.
    pub limits: LimitsReached,
}

/// Bounds for [`retaining_paths`] (DevTools' defaults: 30, 5000, 100).
#[derive(Clone, Copy, Debug)]
pub struct PathLimits {
    /// Longest path, in edges.
    pub max_depth: usize,
    /// Most nodes visited.
    pub max_nodes: usize,
    /// Most retainers followed per node.
    pub max_siblings: usize,
}

impl Default for PathLimits {
    fn default() -> Self {
        Self {
            max_depth: 30,
            max_nodes: 5000,
            max_siblings: 100,
        }
    }
}

/// DevTools' `getRetainingPaths`: every retainer path from `start` to a GC root (distance
/// ≤ 2: the synthetic root, `(GC roots)`, or a root category), shortest first. Weak edges
/// and edges ignored in `view` are skipped; each path ends at a root.
pub fn retaining_paths(
    snap: &Snapshot,
    view: &RetainerView,
    start: NodeIdx,
    limits: PathLimits,
) -> RetainingPaths {
    const ROOT_DISTANCE: i32 = 2;
    struct Walk<'a> {
        snap: &'a Snapshot,
        view: &'a RetainerView,
        limits: PathLimits,
        traversed: usize,
        visiting: HashSet<NodeIdx>,
        visited: HashMap<NodeIdx, usize>,
        reached: LimitsReached,
    }
    impl Walk<'_> {
        fn forest(&mut self, current: NodeIdx, depth: usize) -> Vec<RetainingEdge> {
            self.traversed += 1;
            if self.traversed > self.limits.max_nodes {
                self.reached.nodes = true;
                return Vec::new();
            }
            if depth >= self.limits.max_depth {
                self.reached.depth = true;
                return Vec::new();
            }
            if self.view.raw(self.snap, current) <= ROOT_DISTANCE {
                return Vec::new();
            }
            if self.visiting.contains(&current) {
                return Vec::new();
            }
            if let Some(&cached) = self.visited.get(&current)
                && depth >= cached
            {
                return Vec::new();
            }
            self.visiting.insert(current);
            let mut retainers: Vec<(NodeIdx, EdgeIdx, i32)> = Vec::new();
            for (from, e) in self.snap.retainers(current) {
                if self.view.is_edge_ignored(e) || self.snap.edge_kind(e) == EdgeKind::Weak {
                    continue;
                }
                let dist = self.view.raw(self.snap, from);
                if dist >= 0 {
                    let remaining = self.limits.max_depth as i64 - depth as i64;
                    if i64::from(dist - ROOT_DISTANCE) < remaining {
                        retainers.push((from, e, dist));
                    } else {
                        self.reached.depth = true;
                    }
                }
            }
            retainers.sort_by_key(|r| r.2);
            if retainers.len() > self.limits.max_siblings {
                self.reached.siblings = true;
                retainers.truncate(self.limits.max_siblings);
            }
            let mut out = Vec::new();
            for (from, e, dist) in retainers {
                let children = if dist == ROOT_DISTANCE {
                    self.traversed += 1;
                    if self.traversed > self.limits.max_nodes {
                        self.reached.nodes = true;
                        break;
                    }
                    Vec::new()
                } else {
                    let children = self.forest(from, depth + 1);
                    if children.is_empty() {
                        continue;
                    }
                    children
                };
                out.push(RetainingEdge {
                    edge: e,
                    node: from,
                    distance: dist,
                    children,
                });
            }
            self.visiting.remove(&current);
            self.visited.insert(current, depth);
            out
        }
    }
    let mut walk = Walk {
        snap,
        view,
        limits,
        traversed: 0,
        visiting: HashSet::new(),
        visited: HashMap::new(),
        reached: LimitsReached::default(),
    };
    let paths = walk.forest(start, 0);
    RetainingPaths {
        paths,
        limits: walk.reached,
    }
}

/// One hop of [`shortest_retaining_path`]: `node` retains the previous object over `edge`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathHop {
    /// The retaining edge.
    pub edge: EdgeIdx,
    /// The retainer.
    pub node: NodeIdx,
    /// The retainer's Retainers-view distance.
    pub distance: i32,
}

/// The shortest retainer path of `start` up to a GC root, however long: at each object the
/// retainer the Retainers view lists first (nearest to the roots; the first in retainer
/// order on ties), over the same edges [`retaining_paths`] follows. Unlike
/// [`retaining_paths`] it has no depth or node bound, so a deep real-world chain is always
/// drawn whole. Empty when `start` is a root or is not reachable.
pub fn shortest_retaining_path(
    snap: &Snapshot,
    view: &RetainerView,
    start: NodeIdx,
) -> Vec<PathHop> {
    const ROOT_DISTANCE: i32 = 2;
    let mut path = Vec::new();
    let mut seen = HashSet::new();
    let mut current = start;
    seen.insert(start);
    while view.raw(snap, current) > ROOT_DISTANCE {
        let here = view.raw(snap, current);
        let next = snap
            .retainers(current)
            .filter(|&(from, e)| {
                !view.is_edge_ignored(e)
                    && snap.edge_kind(e) != EdgeKind::Weak
                    && !seen.contains(&from)
            })
            .map(|(from, e)| (from, e, view.raw(snap, from)))
            .filter(|&(_, _, d)| d >= 0 && (here < 0 || d < here))
            .min_by_key(|&(_, _, d)| d);
        let Some((from, edge, distance)) = next else {
            // Unreachable (or only through ignored retainers): no path to draw.
            return Vec::new();
        };
        path.push(PathHop {
            edge,
            node: from,
            distance,
        });
        seen.insert(from);
        current = from;
    }
    path
}
