//! The retainer graph's data: the subgraph of retaining paths and its layered layout.
//!
//! Pure functions (no UI, no snapshot access beyond what is passed in), run on a worker:
//!
//! 1. [`extract`]: the retaining-paths forest (`snapshot::retaining_paths`, shortest paths
//!    first) becomes a petgraph `DiGraph` whose nodes are heap objects (each once) and whose
//!    edges point from a retainer to the object it retains. Whole root-to-target paths are
//!    added in order until the node cap is reached, so the graph always shows complete,
//!    shortest paths; the paths left out are counted.
//! 2. [`layout`]: a layered (Sugiyama-style) drawing, roots on the left, the target on the
//!    right: one layer per distinct distance, dummy nodes on edges spanning several layers,
//!    barycenter crossing reduction over a few sweeps (the best ordering found is kept, so the
//!    result never has more crossings than the input order), then vertical placement that
//!    pulls nodes toward their neighbours without overlaps.

use std::collections::{HashMap, HashSet};

use egui::{Pos2, Rect, pos2, vec2};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef as _;

use crate::snapshot::{EdgeIdx, NodeIdx, PathHop, RetainingEdge};

/// Width of a node box, in points (at zoom 1).
pub const NODE_WIDTH: f32 = 200.0;

/// Height of a node box, in points.
pub const NODE_HEIGHT: f32 = 38.0;

/// Horizontal gap between layers (room for edge labels), in points.
pub const LAYER_GAP: f32 = 112.0;

/// Vertical distance between the centres of neighbouring nodes of a layer, in points.
pub const ROW_PITCH: f32 = 56.0;

/// Barycenter sweeps (each one left-to-right and right-to-left).
const SWEEPS: usize = 4;

/// A heap object in the subgraph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubgraphNode {
    /// The object.
    pub node: NodeIdx,
    /// Its Retainers-view distance (the layer key).
    pub distance: i32,
}

/// A retaining edge in the subgraph (from the retainer to the retained object).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubgraphEdge {
    /// The heap edge.
    pub edge: EdgeIdx,
    /// A weak edge or a WeakMap table→value half: shown dashed, never retaining.
    pub weak: bool,
    /// Heap edges this one stands for: 1, or more when objects between were folded away
    /// ([`contract`]); `edge` is then the last of them (the one into the retained object).
    pub hops: u32,
}

/// The retainer subgraph of one object.
#[derive(Clone, Debug, Default)]
pub struct Subgraph {
    /// Retainer → retained.
    pub graph: DiGraph<SubgraphNode, SubgraphEdge>,
    /// The object whose retainers are shown.
    pub target: Option<NodeIndex>,
    /// Root-to-target paths left out because of the node cap.
    pub hidden_paths: usize,
}

impl Subgraph {
    /// The graph node of a heap object, if it is in the subgraph.
    pub fn index_of(&self, node: NodeIdx) -> Option<NodeIndex> {
        self.graph
            .node_indices()
            .find(|&i| self.graph[i].node == node)
    }
}

/// Builds the subgraph of `forest` (the retainers of `target`, as `retaining_paths` returns
/// them), adding whole paths, shortest first, while the graph has at most `cap` nodes.
/// Calling it again with another object's forest (already in the graph) merges its paths.
pub fn extract(
    sub: &mut Subgraph,
    target: SubgraphNode,
    forest: &[RetainingEdge],
    cap: usize,
    is_weak: &dyn Fn(EdgeIdx) -> bool,
) {
    let (mut index, mut edges) = lookup(sub);
    let start = node_index(sub, &mut index, target);
    if sub.target.is_none() {
        sub.target = Some(start);
    }
    // Depth-first over the forest; at each leaf (a root) the stack is one whole path.
    let mut stack: Vec<&RetainingEdge> = Vec::new();
    let mut todo: Vec<(usize, &RetainingEdge)> = forest.iter().rev().map(|e| (0, e)).collect();
    while let Some((depth, edge)) = todo.pop() {
        stack.truncate(depth);
        stack.push(edge);
        if !edge.children.is_empty() {
            todo.extend(edge.children.iter().rev().map(|c| (depth + 1, c)));
            continue;
        }
        let new_nodes = stack
            .iter()
            .filter(|e| !index.contains_key(&e.node))
            .map(|e| e.node)
            .collect::<HashSet<_>>()
            .len();
        if sub.graph.node_count() + new_nodes > cap {
            sub.hidden_paths += 1;
            continue;
        }
        let hops = stack.iter().map(|e| (e.edge, e.node, e.distance));
        add_path(sub, &mut index, &mut edges, start, hops, is_weak);
    }
}

/// Adds one whole path (`(edge, retainer, its distance)` hops from the object at `start`
/// toward a root) to the subgraph.
fn add_path(
    sub: &mut Subgraph,
    index: &mut HashMap<NodeIdx, NodeIndex>,
    edges: &mut HashSet<(NodeIndex, NodeIndex, EdgeIdx)>,
    start: NodeIndex,
    hops: impl Iterator<Item = (EdgeIdx, NodeIdx, i32)>,
    is_weak: &dyn Fn(EdgeIdx) -> bool,
) {
    let mut child = start;
    for (edge, node, distance) in hops {
        let from = *index
            .entry(node)
            .or_insert_with(|| sub.graph.add_node(SubgraphNode { node, distance }));
        if edges.insert((from, child, edge)) {
            sub.graph.add_edge(
                from,
                child,
                SubgraphEdge {
                    edge,
                    weak: is_weak(edge),
                    hops: 1,
                },
            );
        }
        child = from;
    }
}

/// Starts the subgraph of `target` with its shortest retainer path (`shortest_retaining_path`),
/// whole, whatever its length: the one path the graph always draws.
pub fn extract_shortest(
    sub: &mut Subgraph,
    target: SubgraphNode,
    path: &[PathHop],
    is_weak: &dyn Fn(EdgeIdx) -> bool,
) {
    let (mut index, mut edges) = lookup(sub);
    let start = node_index(sub, &mut index, target);
    if sub.target.is_none() {
        sub.target = Some(start);
    }
    let hops = path.iter().map(|h| (h.edge, h.node, h.distance));
    add_path(sub, &mut index, &mut edges, start, hops, is_weak);
}

type Lookup = (
    HashMap<NodeIdx, NodeIndex>,
    HashSet<(NodeIndex, NodeIndex, EdgeIdx)>,
);

/// The subgraph's objects and edges by heap identity.
fn lookup(sub: &Subgraph) -> Lookup {
    let index = sub
        .graph
        .node_indices()
        .map(|i| (sub.graph[i].node, i))
        .collect();
    let edges = sub
        .graph
        .edge_references()
        .map(|e| (e.source(), e.target(), e.weight().edge))
        .collect();
    (index, edges)
}

/// The graph node of `node`, added if new.
fn node_index(
    sub: &mut Subgraph,
    index: &mut HashMap<NodeIdx, NodeIndex>,
    node: SubgraphNode,
) -> NodeIndex {
    *index
        .entry(node.node)
        .or_insert_with(|| sub.graph.add_node(node))
}

/// The subgraph without the objects `hide` picks (never the target, nor an object nothing
/// in the subgraph retains): each hidden object's retainers are linked straight to what it
/// retains, by an edge that counts the hops it stands for and carries the last heap edge's
/// name (`->res` from a closure through its `system / Context`, `[87]` from an Array
/// through its `(object elements)`). Parallel edges keep the fewest hops.
pub fn contract(sub: &Subgraph, hide: &dyn Fn(NodeIdx) -> bool) -> Subgraph {
    let g = &sub.graph;
    let hidden: Vec<bool> = g
        .node_indices()
        .map(|i| {
            Some(i) != sub.target
                && g.neighbors_directed(i, petgraph::Direction::Incoming)
                    .next()
                    .is_some()
                && hide(g[i].node)
        })
        .collect();
    let mut out = Subgraph {
        hidden_paths: sub.hidden_paths,
        ..Subgraph::default()
    };
    let mut new_index: HashMap<NodeIndex, NodeIndex> = HashMap::new();
    for i in g.node_indices().filter(|i| !hidden[i.index()]) {
        new_index.insert(i, out.graph.add_node(g[i]));
    }
    out.target = sub.target.and_then(|t| new_index.get(&t).copied());
    // (retainer, retained, heap edge) -> the fewest hops and whether any way is strong.
    let mut links: HashMap<(NodeIndex, NodeIndex, EdgeIdx), (u32, bool)> = HashMap::new();
    let mut order: Vec<(NodeIndex, NodeIndex, EdgeIdx)> = Vec::new();
    for e in g.edge_references() {
        if hidden[e.target().index()] {
            continue;
        }
        // Walk back through hidden retainers to the visible ones (hop counts add up).
        let mut todo = vec![(e.source(), e.weight().hops, e.weight().weak)];
        let mut seen = HashSet::new();
        while let Some((from, hops, weak)) = todo.pop() {
            if !hidden[from.index()] {
                let key = (new_index[&from], new_index[&e.target()], e.weight().edge);
                match links.get_mut(&key) {
                    Some(link) => {
                        link.0 = link.0.min(hops);
                        link.1 &= weak;
                    }
                    None => {
                        links.insert(key, (hops, weak));
                        order.push(key);
                    }
                }
                continue;
            }
            if !seen.insert(from) {
                continue;
            }
            for up in g.edges_directed(from, petgraph::Direction::Incoming) {
                todo.push((
                    up.source(),
                    hops + up.weight().hops,
                    weak || up.weight().weak,
                ));
            }
        }
    }
    for key in order {
        let (hops, weak) = links[&key];
        out.graph.add_edge(
            key.0,
            key.1,
            SubgraphEdge {
                edge: key.2,
                weak,
                hops,
            },
        );
    }
    out
}

/// Runs of more than `max_run` objects that each have one retainer and retain one object in
/// the subgraph (a long chain such as 100 `system / Map` back pointers): the objects to
/// fold, all but the `keep` nearest each end of every such run.
pub fn long_chain_interiors(sub: &Subgraph, max_run: usize, keep: usize) -> HashSet<NodeIdx> {
    let g = &sub.graph;
    let degree = |i: NodeIndex, d| g.edges_directed(i, d).count();
    let plain = |i: NodeIndex| {
        Some(i) != sub.target
            && degree(i, petgraph::Direction::Incoming) == 1
            && degree(i, petgraph::Direction::Outgoing) == 1
    };
    let mut fold = HashSet::new();
    let mut visited = HashSet::new();
    for start in g.node_indices() {
        if !plain(start) || visited.contains(&start) {
            continue;
        }
        // Walk to the run's end nearest the roots, then collect it toward the target.
        let mut first = start;
        while let Some(up) = g
            .neighbors_directed(first, petgraph::Direction::Incoming)
            .next()
        {
            if !plain(up) || up == start {
                break;
            }
            first = up;
        }
        let mut run = vec![first];
        visited.insert(first);
        let mut cur = first;
        while let Some(down) = g
            .neighbors_directed(cur, petgraph::Direction::Outgoing)
            .next()
        {
            if !plain(down) || !visited.insert(down) {
                break;
            }
            run.push(down);
            cur = down;
        }
        if run.len() > max_run {
            fold.extend(run[keep..run.len() - keep].iter().map(|&i| g[i].node));
        }
    }
    fold
}

/// A placed heap object.
#[derive(Clone, Copy, Debug)]
pub struct PlacedNode {
    /// The object and its distance.
    pub node: SubgraphNode,
    /// Its layer (0 = leftmost, nearest the roots).
    pub layer: usize,
    /// The centre of its box.
    pub center: Pos2,
}

impl PlacedNode {
    /// The node's box.
    pub fn rect(&self) -> Rect {
        Rect::from_center_size(self.center, vec2(NODE_WIDTH, NODE_HEIGHT))
    }
}

/// A placed edge: a polyline from the retainer's right side to the retained object's left
/// side (through dummy nodes; a curve when it runs backwards).
#[derive(Clone, Debug)]
pub struct PlacedEdge {
    /// The heap edge and whether it is weak.
    pub edge: SubgraphEdge,
    /// Index of the retainer in [`GraphLayout::nodes`].
    pub from: usize,
    /// Index of the retained object.
    pub to: usize,
    /// The polyline.
    pub points: Vec<Pos2>,
}

/// The laid-out retainer graph.
#[derive(Clone, Debug)]
pub struct GraphLayout {
    /// Heap objects, in subgraph order.
    pub nodes: Vec<PlacedNode>,
    /// Edges.
    pub edges: Vec<PlacedEdge>,
    /// Index of the target in `nodes`.
    pub target: Option<usize>,
    /// Number of layers.
    pub layer_count: usize,
    /// Edge crossings between adjacent layers of the final ordering.
    pub crossings: usize,
    /// Edge crossings of the input order (before crossing reduction).
    pub initial_crossings: usize,
    /// The bounding box of all nodes.
    pub bounds: Rect,
    /// Paths left out because of the node cap.
    pub hidden_paths: usize,
    /// Objects left out by "Collapse V8 plumbing".
    pub collapsed: usize,
    /// Objects left out from the middle of long chains (see [`long_chain_interiors`]).
    pub folded: usize,
}

impl Default for GraphLayout {
    fn default() -> Self {
        Self {
            nodes: Vec::new(),
            edges: Vec::new(),
            target: None,
            layer_count: 0,
            crossings: 0,
            initial_crossings: 0,
            bounds: Rect::NOTHING,
            hidden_paths: 0,
            collapsed: 0,
            folded: 0,
        }
    }
}

impl GraphLayout {
    /// The index of the node showing `node`.
    pub fn index_of(&self, node: NodeIdx) -> Option<usize> {
        self.nodes.iter().position(|n| n.node.node == node)
    }

    /// The retainer of node `i` nearest the roots (strong edges only).
    pub fn nearest_retainer(&self, i: usize) -> Option<usize> {
        self.edges
            .iter()
            .filter(|e| e.to == i && !e.edge.weak)
            .min_by_key(|e| (self.nodes[e.from].node.distance, e.from))
            .map(|e| e.from)
    }

    /// The shortest path from the target toward the roots (target first), following each
    /// node's nearest retainer in the graph.
    pub fn shortest_path(&self) -> Vec<usize> {
        let Some(mut cur) = self.target else {
            return Vec::new();
        };
        let mut path = vec![cur];
        loop {
            let next = self
                .edges
                .iter()
                .filter(|e| e.to == cur && !e.edge.weak && !path.contains(&e.from))
                .min_by_key(|e| (self.nodes[e.from].node.distance, e.from))
                .map(|e| e.from);
            match next {
                Some(n) => {
                    path.push(n);
                    cur = n;
                }
                None => return path,
            }
        }
    }
}

/// A slot in a layer: a heap object (subgraph node index) or a dummy on a long edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Slot {
    Node(usize),
    Dummy(usize),
}

/// Lays out `sub` left to right, roots first: layers by distance (the target alone in the
/// last layer), crossing reduction, then coordinates.
pub fn layout(sub: &Subgraph) -> GraphLayout {
    let g = &sub.graph;
    let n = g.node_count();
    if n == 0 {
        return GraphLayout::default();
    }
    let target = sub.target.map(NodeIndex::index);
    // Layers: one per distinct distance among the retainers; the target last.
    let mut distances: Vec<i32> = g
        .node_indices()
        .filter(|i| Some(i.index()) != target)
        .map(|i| g[i].distance)
        .collect();
    distances.sort_unstable();
    distances.dedup();
    let mut layer_of = vec![0usize; n];
    for i in g.node_indices() {
        layer_of[i.index()] = if Some(i.index()) == target {
            distances.len()
        } else {
            distances.partition_point(|&d| d < g[i].distance)
        };
    }
    let layer_count = layer_of.iter().max().map_or(0, |&m| m + 1);
    let mut layers: Vec<Vec<Slot>> = vec![Vec::new(); layer_count];
    for i in 0..n {
        layers[layer_of[i]].push(Slot::Node(i));
    }
    // Forward edges spanning several layers go through dummies; `links` are the segments
    // between adjacent layers (left slot, right slot), used for ordering.
    let mut dummy_count = 0;
    let mut chains: Vec<Vec<Slot>> = Vec::new();
    for e in g.edge_references() {
        let (a, b) = (e.source().index(), e.target().index());
        let mut chain = vec![Slot::Node(a)];
        if layer_of[b] > layer_of[a] {
            for l in layer_of[a] + 1..layer_of[b] {
                let d = Slot::Dummy(dummy_count);
                dummy_count += 1;
                layers[l].push(d);
                chain.push(d);
            }
        }
        chain.push(Slot::Node(b));
        chains.push(chain);
    }
    let layer_of_slot = |s: Slot, dummy_layer: &[usize]| match s {
        Slot::Node(i) => layer_of[i],
        Slot::Dummy(d) => dummy_layer[d],
    };
    let mut dummy_layer = vec![0usize; dummy_count];
    for (l, layer) in layers.iter().enumerate() {
        for s in layer {
            if let Slot::Dummy(d) = s {
                dummy_layer[*d] = l;
            }
        }
    }
    // Segments between layer l and l + 1.
    let mut segments: Vec<Vec<(Slot, Slot)>> = vec![Vec::new(); layer_count.saturating_sub(1)];
    for chain in &chains {
        for w in chain.windows(2) {
            let (la, lb) = (
                layer_of_slot(w[0], &dummy_layer),
                layer_of_slot(w[1], &dummy_layer),
            );
            if lb == la + 1 {
                segments[la].push((w[0], w[1]));
            }
        }
    }
    let initial_crossings = total_crossings(&layers, &segments);
    let mut best = layers.clone();
    let mut best_crossings = initial_crossings;
    for _ in 0..SWEEPS {
        if best_crossings == 0 {
            break;
        }
        for l in 1..layer_count {
            reorder_by_barycenter(&mut layers, &segments, l, true);
        }
        for l in (0..layer_count.saturating_sub(1)).rev() {
            reorder_by_barycenter(&mut layers, &segments, l, false);
        }
        let c = total_crossings(&layers, &segments);
        if c < best_crossings {
            best_crossings = c;
            best = layers.clone();
        }
    }
    let layers = best;
    // Vertical placement: start centred, then pull toward neighbours without overlaps.
    let mut y: HashMap<Slot, f32> = HashMap::new();
    for layer in &layers {
        let half = (layer.len() as f32 - 1.0) / 2.0;
        for (k, s) in layer.iter().enumerate() {
            y.insert(*s, (k as f32 - half) * ROW_PITCH);
        }
    }
    for pass in 0..4 {
        let left_to_right = pass % 2 == 0;
        let order: Vec<usize> = if left_to_right {
            (1..layer_count).collect()
        } else {
            (0..layer_count.saturating_sub(1)).rev().collect()
        };
        for l in order {
            let desired: Vec<f32> = layers[l]
                .iter()
                .map(|s| {
                    let neighbours = neighbours(&segments, l, *s, left_to_right);
                    if neighbours.is_empty() {
                        y[s]
                    } else {
                        neighbours.iter().map(|t| y[t]).sum::<f32>() / neighbours.len() as f32
                    }
                })
                .collect();
            for (s, v) in layers[l].iter().zip(place_in_order(&desired)) {
                y.insert(*s, v);
            }
        }
    }
    let x_of = |l: usize| l as f32 * (NODE_WIDTH + LAYER_GAP);
    let nodes: Vec<PlacedNode> = (0..n)
        .map(|i| PlacedNode {
            node: g[NodeIndex::new(i)],
            layer: layer_of[i],
            center: pos2(x_of(layer_of[i]), y[&Slot::Node(i)]),
        })
        .collect();
    let edges = g
        .edge_references()
        .zip(&chains)
        .map(|(e, chain)| {
            let (a, b) = (e.source().index(), e.target().index());
            let start = nodes[a].rect().right_center();
            let end = nodes[b].rect().left_center();
            let points = if layer_of[b] > layer_of[a] {
                let mut p = vec![start];
                for s in &chain[1..chain.len() - 1] {
                    let l = layer_of_slot(*s, &dummy_layer);
                    p.push(pos2(x_of(l) - NODE_WIDTH / 2.0, y[s]));
                    p.push(pos2(x_of(l) + NODE_WIDTH / 2.0, y[s]));
                }
                p.push(end);
                p
            } else {
                back_edge_curve(start, end)
            };
            PlacedEdge {
                edge: *e.weight(),
                from: a,
                to: b,
                points,
            }
        })
        .collect();
    let bounds = bounds_of(&nodes);
    GraphLayout {
        nodes,
        edges,
        target,
        layer_count,
        crossings: best_crossings,
        initial_crossings,
        bounds,
        hidden_paths: sub.hidden_paths,
        collapsed: 0,
        folded: 0,
    }
}

/// The box around all node boxes.
fn bounds_of(nodes: &[PlacedNode]) -> Rect {
    nodes
        .iter()
        .fold(Rect::NOTHING, |r, node| r.union(node.rect()))
}

/// Vertical gap between the bands of a wrapped layout, in points.
pub const BAND_GAP: f32 = 56.0;

/// Folds a layout into bands of `per_band` layers, left to right then top to bottom, so a
/// long retainer chain fits a wide pane at a readable zoom: the roots' end starts the first
/// band, the target ends the last. An edge from a band's last layer to the next band's first
/// is routed around: right, down into the gap between the bands, back left, down. Returns a
/// copy of `layout` when it has no more than `per_band` layers.
pub fn wrapped(layout: &GraphLayout, per_band: usize) -> GraphLayout {
    let per_band = per_band.max(1);
    if layout.layer_count <= per_band {
        return layout.clone();
    }
    let pitch = NODE_WIDTH + LAYER_GAP;
    let layer_at = |x: f32| (x / pitch).round().max(0.0) as usize;
    let band_count = layout.layer_count.div_ceil(per_band);
    // Vertical extent of each band: its nodes and the points of edges inside it.
    let mut top = vec![f32::INFINITY; band_count];
    let mut bottom = vec![f32::NEG_INFINITY; band_count];
    let mut grow = |layer: usize, y0: f32, y1: f32| {
        let b = (layer / per_band).min(band_count - 1);
        top[b] = top[b].min(y0);
        bottom[b] = bottom[b].max(y1);
    };
    for n in &layout.nodes {
        let r = n.rect();
        grow(n.layer, r.top(), r.bottom());
    }
    for e in &layout.edges {
        for p in &e.points {
            grow(layer_at(p.x), p.y, p.y);
        }
    }
    let mut shift = vec![0.0f32; band_count];
    let mut next_top = 0.0f32;
    for b in 0..band_count {
        if !top[b].is_finite() {
            continue;
        }
        shift[b] = next_top - top[b];
        next_top = bottom[b] + shift[b] + BAND_GAP;
    }
    let moved = |p: Pos2, layer: usize| {
        let b = (layer / per_band).min(band_count - 1);
        let col = layer % per_band;
        pos2(
            p.x - layer as f32 * pitch + col as f32 * pitch,
            p.y + shift[b],
        )
    };
    let nodes: Vec<PlacedNode> = layout
        .nodes
        .iter()
        .map(|n| PlacedNode {
            center: moved(n.center, n.layer),
            ..*n
        })
        .collect();
    let edges = layout
        .edges
        .iter()
        .map(|e| {
            let (la, lb) = (layout.nodes[e.from].layer, layout.nodes[e.to].layer);
            let points = if lb > la {
                let mut out: Vec<Pos2> = Vec::with_capacity(e.points.len() + 4);
                let mut prev_layer = la;
                for p in &e.points {
                    let layer = layer_at(p.x).clamp(la, lb);
                    let q = moved(*p, layer);
                    if let Some(&last) = out.last()
                        && layer / per_band != prev_layer / per_band
                    {
                        // Around the band break: out to the right, down into the gap, back
                        // to the left edge, down to the point.
                        let b = (prev_layer / per_band).min(band_count - 1);
                        let gap_y = bottom[b] + shift[b] + BAND_GAP / 2.0;
                        let right = last.x + LAYER_GAP / 3.0;
                        let left = q.x - LAYER_GAP / 3.0;
                        out.extend([
                            pos2(right, last.y),
                            pos2(right, gap_y),
                            pos2(left, gap_y),
                            pos2(left, q.y),
                        ]);
                    }
                    out.push(q);
                    prev_layer = layer;
                }
                out
            } else {
                back_edge_curve(
                    nodes[e.from].rect().right_center(),
                    nodes[e.to].rect().left_center(),
                )
            };
            PlacedEdge {
                points,
                ..e.clone()
            }
        })
        .collect();
    let bounds = bounds_of(&nodes);
    GraphLayout {
        nodes,
        edges,
        bounds,
        ..layout.clone()
    }
}

/// The number of layers per band that shows `layout` biggest in a pane of `size` (never
/// above zoom 1), or `None` when it is best left in one row.
pub fn best_wrap(layout: &GraphLayout, size: egui::Vec2) -> Option<usize> {
    let zoom_of = |bounds: Rect| {
        let b = bounds.expand(24.0);
        (size.x / b.width()).min(size.y / b.height()).min(1.0)
    };
    let flat = zoom_of(layout.bounds);
    let mut best: Option<(f32, usize)> = None;
    for per_band in (1..layout.layer_count).rev() {
        let z = zoom_of(wrapped(layout, per_band).bounds);
        if best.is_none_or(|(bz, _)| z > bz + 0.01) {
            best = Some((z, per_band));
        }
    }
    // Wrap only for a clear gain: one row reads more naturally.
    best.filter(|&(z, _)| z > flat * 1.25).map(|(_, k)| k)
}

/// The slots linked to `slot` (in layer `l`) in the previous (`left`) or next layer.
fn neighbours(segments: &[Vec<(Slot, Slot)>], l: usize, slot: Slot, left: bool) -> Vec<Slot> {
    if left {
        segments
            .get(l.wrapping_sub(1))
            .map(|segs| {
                segs.iter()
                    .filter(|(_, b)| *b == slot)
                    .map(|(a, _)| *a)
                    .collect()
            })
            .unwrap_or_default()
    } else {
        segments
            .get(l)
            .map(|segs| {
                segs.iter()
                    .filter(|(a, _)| *a == slot)
                    .map(|(_, b)| *b)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Sorts layer `l` by the mean position of its neighbours in the previous (`left`) or next
/// layer; slots without neighbours keep their position. Stable.
fn reorder_by_barycenter(
    layers: &mut [Vec<Slot>],
    segments: &[Vec<(Slot, Slot)>],
    l: usize,
    left: bool,
) {
    let other = if left { l - 1 } else { l + 1 };
    let position: HashMap<Slot, usize> = layers[other]
        .iter()
        .enumerate()
        .map(|(k, s)| (*s, k))
        .collect();
    let mut keyed: Vec<(f32, Slot)> = layers[l]
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let ns = neighbours(segments, l, *s, left);
            let key = if ns.is_empty() {
                k as f32
            } else {
                ns.iter().map(|t| position[t] as f32).sum::<f32>() / ns.len() as f32
            };
            (key, *s)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
    layers[l] = keyed.into_iter().map(|(_, s)| s).collect();
}

/// Crossings between every pair of adjacent layers.
fn total_crossings(layers: &[Vec<Slot>], segments: &[Vec<(Slot, Slot)>]) -> usize {
    segments
        .iter()
        .enumerate()
        .map(|(l, segs)| {
            let pos = |layer: &[Slot], s: Slot| layer.iter().position(|t| *t == s).unwrap_or(0);
            let placed: Vec<(usize, usize)> = segs
                .iter()
                .map(|(a, b)| (pos(&layers[l], *a), pos(&layers[l + 1], *b)))
                .collect();
            crossings(&placed)
        })
        .sum()
}

/// Number of crossing pairs among segments given as (left position, right position).
pub fn crossings(segments: &[(usize, usize)]) -> usize {
    let mut count = 0;
    for (i, a) in segments.iter().enumerate() {
        for b in &segments[i + 1..] {
            if (a.0 < b.0 && a.1 > b.1) || (a.0 > b.0 && a.1 < b.1) {
                count += 1;
            }
        }
    }
    count
}

/// Positions as close to `desired` as possible, in the same order, at least [`ROW_PITCH`]
/// apart.
fn place_in_order(desired: &[f32]) -> Vec<f32> {
    let mut out = Vec::with_capacity(desired.len());
    for (k, &d) in desired.iter().enumerate() {
        let v = if k == 0 {
            d
        } else {
            d.max(out[k - 1] + ROW_PITCH)
        };
        out.push(v);
    }
    // Shift the whole column so that it deviates from the wishes equally up and down.
    if !out.is_empty() {
        let shift = out.iter().zip(desired).map(|(o, d)| o - d).sum::<f32>() / out.len() as f32;
        for v in &mut out {
            *v -= shift;
        }
    }
    out
}

/// A curve for an edge that runs right to left (a retainer farther from the roots than the
/// object it retains): out to the right, below both nodes, back in from the left.
fn back_edge_curve(start: Pos2, end: Pos2) -> Vec<Pos2> {
    let drop = NODE_HEIGHT * 1.2;
    let low = start.y.max(end.y) + drop;
    let c = [
        start,
        pos2(start.x + LAYER_GAP * 0.5, low),
        pos2(end.x - LAYER_GAP * 0.5, low),
        end,
    ];
    (0..=16)
        .map(|k| {
            let t = k as f32 / 16.0;
            let u = 1.0 - t;
            let w = [u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t];
            pos2(
                c.iter().zip(w).map(|(p, w)| p.x * w).sum(),
                c.iter().zip(w).map(|(p, w)| p.y * w).sum(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(edge: u32, node: u32, distance: i32, children: Vec<RetainingEdge>) -> RetainingEdge {
        RetainingEdge {
            edge: EdgeIdx(edge),
            node: NodeIdx(node),
            distance,
            children,
        }
    }

    /// Target 100 (distance 5) is retained by 10 (4) and 11 (4); 10 by 20 (3) and 21 (3),
    /// 11 by 21 (3); 20 and 21 by 30 (2), a root; 22 (3) retains 11 over a second path
    /// that ends at root 31 (2). Edge 99 from 40 (7) is a long way back (a back edge).
    fn forest() -> Vec<RetainingEdge> {
        vec![
            edge(
                1,
                10,
                4,
                vec![
                    edge(3, 20, 3, vec![edge(6, 30, 2, vec![])]),
                    edge(4, 21, 3, vec![edge(7, 30, 2, vec![])]),
                ],
            ),
            edge(
                2,
                11,
                4,
                vec![
                    edge(5, 21, 3, vec![edge(7, 30, 2, vec![])]),
                    edge(8, 22, 3, vec![edge(9, 31, 2, vec![])]),
                ],
            ),
        ]
    }

    fn target() -> SubgraphNode {
        SubgraphNode {
            node: NodeIdx(100),
            distance: 5,
        }
    }

    #[test]
    fn extract_adds_whole_shortest_paths_and_dedups() {
        let mut sub = Subgraph::default();
        extract(&mut sub, target(), &forest(), 100, &|e| e == EdgeIdx(8));
        // 100, 10, 20, 30, 21, 11, 22, 31: each object once.
        assert_eq!(sub.graph.node_count(), 8);
        // Edges 1,3,6,4,7 (21->10... and 30->21 once), 2,5,8,9.
        assert_eq!(sub.graph.edge_count(), 9);
        assert_eq!(sub.hidden_paths, 0);
        let weak: Vec<EdgeIdx> = sub
            .graph
            .edge_weights()
            .filter(|e| e.weak)
            .map(|e| e.edge)
            .collect();
        assert_eq!(weak, vec![EdgeIdx(8)]);

        // A cap of 4 keeps only the first (shortest) path: 100 <- 10 <- 20 <- 30.
        let mut small = Subgraph::default();
        extract(&mut small, target(), &forest(), 4, &|_| false);
        let nodes: Vec<u32> = small.graph.node_weights().map(|n| n.node.0).collect();
        assert_eq!(nodes, vec![100, 10, 20, 30]);
        assert_eq!(small.hidden_paths, 3);
    }

    #[test]
    fn merging_expands_a_nodes_own_retainers() {
        let mut sub = Subgraph::default();
        extract(&mut sub, target(), &forest(), 4, &|_| false);
        // Double-click on 20: its own (extra) retainer path 50 (2).
        let own = vec![edge(60, 50, 2, vec![])];
        extract(
            &mut sub,
            SubgraphNode {
                node: NodeIdx(20),
                distance: 3,
            },
            &own,
            100,
            &|_| false,
        );
        assert_eq!(sub.graph.node_count(), 5);
        assert_eq!(sub.target.map(NodeIndex::index), Some(0));
        assert!(sub.index_of(NodeIdx(50)).is_some());
    }

    #[test]
    fn layout_layers_follow_distance_without_overlaps() {
        let mut sub = Subgraph::default();
        extract(&mut sub, target(), &forest(), 100, &|_| false);
        // A retainer farther from the roots than what it retains: 40 (7) -> 20 (3).
        let t40 = sub.graph.add_node(SubgraphNode {
            node: NodeIdx(40),
            distance: 7,
        });
        let n20 = sub.index_of(NodeIdx(20)).expect("20 is in the graph");
        sub.graph.add_edge(
            t40,
            n20,
            SubgraphEdge {
                edge: EdgeIdx(99),
                weak: false,
                hops: 1,
            },
        );
        let lay = layout(&sub);
        assert_eq!(lay.nodes.len(), 9);
        // Layers follow distance; the target is alone in the last layer.
        for a in &lay.nodes {
            for b in &lay.nodes {
                let target = NodeIdx(100);
                if a.node.distance < b.node.distance
                    && a.node.node != target
                    && b.node.node != target
                {
                    assert!(a.layer < b.layer, "{a:?} vs {b:?}");
                    assert!(a.center.x < b.center.x);
                }
            }
        }
        let t = lay.target.expect("target placed");
        assert_eq!(lay.nodes[t].node.node, NodeIdx(100));
        assert_eq!(lay.nodes[t].layer, lay.layer_count - 1);
        assert!(lay.nodes.iter().all(|n| n.layer < lay.layer_count));
        // No two boxes overlap.
        for (i, a) in lay.nodes.iter().enumerate() {
            for b in &lay.nodes[i + 1..] {
                assert!(
                    !a.rect().intersects(b.rect()),
                    "{:?} overlaps {:?}",
                    a.node,
                    b.node
                );
            }
        }
        // Crossing reduction never makes things worse than the input order.
        assert!(lay.crossings <= lay.initial_crossings);
        // Every edge starts at its retainer and ends at the retained object.
        for e in &lay.edges {
            assert_eq!(
                e.points.first(),
                Some(&lay.nodes[e.from].rect().right_center())
            );
            assert_eq!(e.points.last(), Some(&lay.nodes[e.to].rect().left_center()));
        }
        // The shortest path runs 100 <- 10|11 <- 20|21 <- 30.
        let path: Vec<i32> = lay
            .shortest_path()
            .iter()
            .map(|&i| lay.nodes[i].node.distance)
            .collect();
        assert_eq!(path, vec![5, 4, 3, 2]);
    }

    #[test]
    fn crossing_reduction_untangles_a_twisted_input() {
        // Two chains, a0 -> b1 and a1 -> b0, drawn crossed in input order.
        let mut sub = Subgraph::default();
        let t = sub.graph.add_node(SubgraphNode {
            node: NodeIdx(0),
            distance: 9,
        });
        sub.target = Some(t);
        let a0 = sub.graph.add_node(SubgraphNode {
            node: NodeIdx(1),
            distance: 1,
        });
        let a1 = sub.graph.add_node(SubgraphNode {
            node: NodeIdx(2),
            distance: 1,
        });
        let b0 = sub.graph.add_node(SubgraphNode {
            node: NodeIdx(3),
            distance: 2,
        });
        let b1 = sub.graph.add_node(SubgraphNode {
            node: NodeIdx(4),
            distance: 2,
        });
        let w = |e| SubgraphEdge {
            edge: EdgeIdx(e),
            weak: false,
            hops: 1,
        };
        sub.graph.add_edge(a0, b1, w(1));
        sub.graph.add_edge(a1, b0, w(2));
        sub.graph.add_edge(b0, t, w(3));
        sub.graph.add_edge(b1, t, w(4));
        let lay = layout(&sub);
        assert_eq!(lay.initial_crossings, 1);
        assert_eq!(lay.crossings, 0);
        assert_eq!(crossings(&[(0, 1), (1, 0)]), 1);
        assert_eq!(crossings(&[(0, 0), (1, 1)]), 0);
    }

    /// A chain target <- 1 <- 2 <- ... <- `len - 1` (a root at distance 1).
    fn chain(len: u32) -> Subgraph {
        let mut path = edge(len - 1, len - 1, 1, vec![]);
        for k in (1..len - 1).rev() {
            path = edge(k, k, (len - k) as i32, vec![path]);
        }
        let mut sub = Subgraph::default();
        let target = SubgraphNode {
            node: NodeIdx(1000),
            distance: len as i32,
        };
        extract(&mut sub, target, &[path], 100, &|_| false);
        sub
    }

    #[test]
    fn a_long_chain_folds_into_bands_in_reading_order() {
        let lay = layout(&chain(14));
        assert_eq!(lay.layer_count, 14);
        let folded = wrapped(&lay, 4);
        let pitch = NODE_WIDTH + LAYER_GAP;
        assert!(folded.bounds.width() <= 4.0 * pitch);
        assert!(folded.bounds.height() > 3.0 * NODE_HEIGHT);
        // Layer l sits in band l / 4, column l % 4: left to right, then the next band below.
        for a in &folded.nodes {
            for b in &folded.nodes {
                let (ba, bb) = (a.layer / 4, b.layer / 4);
                if ba < bb {
                    assert!(a.rect().bottom() < b.rect().top(), "{a:?} above {b:?}");
                } else if ba == bb && a.layer < b.layer {
                    assert!(a.center.x < b.center.x);
                    assert_eq!(a.center.y, b.center.y);
                }
            }
        }
        for (i, a) in folded.nodes.iter().enumerate() {
            for b in &folded.nodes[i + 1..] {
                assert!(!a.rect().intersects(b.rect()));
            }
        }
        // Edges still run from retainer to retained; those crossing a band break go around
        // through the gap between the bands (never through a node).
        for e in &folded.edges {
            assert_eq!(
                e.points.first(),
                Some(&folded.nodes[e.from].rect().right_center())
            );
            assert_eq!(
                e.points.last(),
                Some(&folded.nodes[e.to].rect().left_center())
            );
            for p in &e.points {
                assert!(
                    folded
                        .nodes
                        .iter()
                        .all(|n| !n.rect().shrink(1.0).contains(*p))
                );
            }
        }
        // Identity and target survive; a layout that fits is left alone.
        assert_eq!(folded.target, lay.target);
        assert_eq!(wrapped(&lay, 14).bounds, lay.bounds);
        // A wide, low pane wants one row; a pane like the app's wants bands.
        assert_eq!(best_wrap(&lay, egui::vec2(20_000.0, 400.0)), None);
        let k = best_wrap(&lay, egui::vec2(1280.0, 430.0)).expect("folded");
        assert!((2..14).contains(&k), "{k}");
    }
}
