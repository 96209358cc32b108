//! How the leak patterns look in a V8 heap: naming holders, counting entries, listeners,
//! timers and promise reactions, paths from the roots, and what a set of objects holds.

use std::collections::HashMap;

use rayon::prelude::*;

use super::super::{BASE_SYSTEM_DISTANCE, EdgeIdx, EdgeKind, NodeIdx, Snapshot};
use super::{HeldClass, PathStep};

/// Longest path reported from a root to a holder.
const MAX_PATH_HOPS: usize = 256;

/// Most nodes one held-classes walk visits.
const MAX_HELD_WALK: usize = 20_000_000;

/// Classes of Node's timer machinery.
pub const TIMER_CLASSES: [&str; 4] = ["Timeout", "Immediate", "TimersList", "ImmediateList"];

/// True for `system / Oddball` values (`null`, `undefined`, `true`, `false`, holes).
/// Node 20 names them all `system / Oddball`; Node 24 names them by value, size 0.
pub fn is_oddball(s: &Snapshot, n: NodeIdx) -> bool {
    match s.raw_name(n) {
        "system / Oddball" | "system / Hole" => true,
        "null" | "undefined" | "true" | "false" => s.node_type_name(n) == "hidden",
        _ => false,
    }
}

/// True for V8's internal storage behind an object: a Map's table, `(object elements)`,
/// `(object properties)`, other internal arrays and hidden objects (but not contexts).
pub fn is_storage(s: &Snapshot, n: NodeIdx) -> bool {
    let t = s.node_type_name(n);
    (t == "array" || t == "hidden") && s.raw_name(n) != "system / Context"
}

/// Follows internal storage up to the object that owns it (its dominator).
pub fn owner(s: &Snapshot, mut n: NodeIdx) -> NodeIdx {
    for _ in 0..4 {
        if !is_storage(s, n) || n == s.root() {
            break;
        }
        n = s.dominator(n);
    }
    n
}

/// True for a DOM node DevTools marks detached (`Detached <div>`), not Node's embedder
/// objects, which Node also reports as detached (`Detached Node / BindingData`).
pub fn is_detached_dom(s: &Snapshot, n: NodeIdx) -> bool {
    s.is_detached(n) && !s.class_name(n).starts_with("Detached Node / ")
}

/// True for objects used as collections: Map, Set, Array, plain objects.
pub fn is_collection(s: &Snapshot, n: NodeIdx) -> bool {
    s.node_type_name(n) == "object"
        && matches!(
            s.raw_name(n),
            "Map" | "Set" | "Array" | "Object" | "WeakMap" | "WeakSet"
        )
}

/// The ancestor of `n` in the dominator tree whose dominator is `holder` (or `n` itself
/// when no such ancestor is found within a few hundred steps).
pub fn head_under(s: &Snapshot, holder: NodeIdx, n: NodeIdx) -> NodeIdx {
    let mut cur = n;
    for _ in 0..100_000 {
        let d = s.dominator(cur);
        if d == holder || d == cur || owner(s, d) == holder && is_storage(s, d) {
            return cur;
        }
        cur = d;
    }
    n
}

/// True for a `system / Context` (a function scope; module variables live in one).
pub fn is_context(s: &Snapshot, n: NodeIdx) -> bool {
    s.raw_name(n) == "system / Context"
}

/// True for the global object (`global` in Node, `Window` in pages).
pub fn is_global(s: &Snapshot, n: NodeIdx) -> bool {
    if s.node_type_name(n) != "object" {
        return false;
    }
    let name = s.raw_name(n);
    name == "global" || name.starts_with("global / ") || name.starts_with("Window")
}

/// The retainer DevTools' Retainers pane lists first: the strong, visible retainer with the
/// smallest distance (a step along the shortest path to the roots).
pub fn primary_retainer(s: &Snapshot, n: NodeIdx) -> Option<(NodeIdx, EdgeIdx)> {
    s.visible_retainers(n)
        .filter(|&(from, e)| s.distance(from) >= 0 && !s.is_weak_edge(e))
        .min_by_key(|&(from, e)| (s.distance(from), s.node_id(from), e.0))
}

/// The path from a GC root to `n` (the root side first; `n` last), along the shortest
/// retainers, named as the Retainers pane names them.
pub fn path_to(s: &Snapshot, n: NodeIdx) -> Vec<PathStep> {
    let mut rev: Vec<(NodeIdx, Option<EdgeIdx>)> = Vec::new();
    let mut cur = n;
    let mut via: Option<EdgeIdx> = None;
    let mut seen = std::collections::HashSet::new();
    loop {
        rev.push((cur, via));
        if !seen.insert(cur) || rev.len() > MAX_PATH_HOPS {
            break;
        }
        let Some((from, e)) = primary_retainer(s, cur) else {
            break;
        };
        if from == s.root() {
            break;
        }
        // Distances fall by one along a shortest path; stop if they do not (a cycle).
        if s.distance(from) >= s.distance(cur) && s.distance(cur) >= 0 {
            break;
        }
        via = Some(e);
        cur = from;
    }
    // rev[i] is a node and the edge that leads *down* from it to rev[i - 1].
    let mut steps = Vec::with_capacity(rev.len());
    let mut incoming: Option<EdgeIdx> = None;
    for &(node, down) in rev.iter().rev() {
        steps.push(PathStep {
            edge: incoming.map(|e| s.edge_label(e)).unwrap_or_default(),
            name: display_name(s, node),
            class_name: s.class_name(node).to_owned(),
            id: s.node_id(node),
            node,
        });
        incoming = down;
    }
    steps
}

/// A node's name as the Retainers pane shows it: closures by function name, strings quoted,
/// the class name for nameless objects.
pub fn display_name(s: &Snapshot, n: NodeIdx) -> String {
    let name = s.node_name(n);
    let t = s.node_type_name(n);
    if matches!(t, "string" | "concatenated string" | "sliced string") {
        let short: String = name.chars().take(60).collect();
        return format!("\"{short}\"");
    }
    if name.is_empty() {
        return if t == "closure" {
            "(anonymous function)".to_owned()
        } else {
            s.class_name(n).to_owned()
        };
    }
    let short: String = name.chars().take(80).collect();
    short
}

/// The name a person gives `n`: the variable (`->x`), property (`.x`) or index that holds it
/// on its shortest path, looking through internal storage.
pub fn holder_name(s: &Snapshot, n: NodeIdx) -> String {
    let mut cur = n;
    for _ in 0..4 {
        let Some((from, e)) = primary_retainer(s, cur) else {
            break;
        };
        match s.edge_kind(e) {
            EdgeKind::Context | EdgeKind::Property | EdgeKind::Shortcut => {
                return s.edge_name(e).into_owned();
            }
            EdgeKind::Element => {
                return format!("{}[{}]", holder_name_shallow(s, from), s.edge_name(e));
            }
            _ => cur = from,
        }
    }
    display_name(s, n)
}

fn holder_name_shallow(s: &Snapshot, n: NodeIdx) -> String {
    match primary_retainer(s, n) {
        Some((_, e))
            if matches!(
                s.edge_kind(e),
                EdgeKind::Context | EdgeKind::Property | EdgeKind::Shortcut
            ) =>
        {
            s.edge_name(e).into_owned()
        }
        _ => display_name(s, n),
    }
}

/// The target of `n`'s first strong edge called `name` (property, context or internal).
pub fn edge_target(s: &Snapshot, n: NodeIdx, name: &str) -> Option<NodeIdx> {
    s.edges(n)
        .find(|&e| {
            !matches!(
                s.edge_kind(e),
                EdgeKind::Element | EdgeKind::Hidden | EdgeKind::Weak
            ) && s.edge_name(e) == name
        })
        .map(|e| s.edge_target(e))
}

/// The edge from `holder` that leads to `head` (the first one; None if `holder` does not
/// point at it directly).
pub fn edge_between(s: &Snapshot, holder: NodeIdx, head: NodeIdx) -> Option<EdgeIdx> {
    s.retainers(head)
        .find(|&(from, e)| from == holder && !s.is_weak_edge(e))
        .map(|(_, e)| e)
}

/// Entries of a collection-like object: a Map's or Set's table entries, an Array's
/// elements, an object's own properties and elements.
pub fn entries(s: &Snapshot, n: NodeIdx) -> u64 {
    let class = s.raw_name(n);
    if matches!(class, "Map" | "Set" | "WeakMap" | "WeakSet")
        && let Some(table) = edge_target(s, n, "table")
    {
        let mut values = 0u64;
        let mut all = 0u64;
        for e in s.edges(table) {
            let t = s.edge_target(e);
            if s.edge_name(e) == "map" || is_oddball(s, t) {
                continue;
            }
            all += 1;
            if !matches!(
                s.node_type_name(t),
                "string" | "concatenated string" | "sliced string" | "number"
            ) {
                values += 1;
            }
        }
        return if class == "Set" || class == "WeakSet" {
            all
        } else {
            values.max(all / 2)
        };
    }
    // V8 lists an Array's elements both as element edges of the Array and as edges of its
    // `elements` store: count the store only when there are no element edges.
    let mut direct = 0u64;
    let mut stored = 0u64;
    for e in s.edges(n) {
        match s.edge_kind(e) {
            EdgeKind::Element => direct += 1,
            EdgeKind::Property if s.edge_name(e) != "__proto__" => direct += 1,
            EdgeKind::Internal if s.edge_name(e) == "elements" => {
                let store = s.edge_target(e);
                if s.raw_name(store) == "(object elements)" || s.node_type_name(store) == "array" {
                    stored += s
                        .edges(store)
                        .filter(|&x| s.edge_name(x) != "map" && !is_oddball(s, s.edge_target(x)))
                        .count() as u64;
                }
            }
            _ => {}
        }
    }
    let elements = s
        .edges(n)
        .filter(|&e| s.edge_kind(e) == EdgeKind::Element)
        .count();
    if elements > 0 {
        direct
    } else {
        direct + stored
    }
}

/// If `n` is an emitter's `_events` object, the emitter.
pub fn events_owner(s: &Snapshot, n: NodeIdx) -> Option<NodeIdx> {
    s.retainers(n)
        .find(|&(_, e)| s.edge_kind(e) == EdgeKind::Property && s.edge_name(e) == "_events")
        .map(|(from, _)| from)
}

/// The listeners of `event` on `emitter`: the closures in `_events[event]` (one, or an
/// Array of them).
pub fn listeners(s: &Snapshot, emitter: NodeIdx, event: &str) -> (Vec<NodeIdx>, Option<NodeIdx>) {
    let Some(events) = edge_target(s, emitter, "_events") else {
        return (Vec::new(), None);
    };
    let Some(slot) = edge_target(s, events, event) else {
        return (Vec::new(), None);
    };
    if s.node_type_name(slot) == "closure" {
        return (vec![slot], Some(slot));
    }
    // V8 lists an Array's elements as element edges of the Array itself, and again as
    // edges of its `elements` store: count the store only when there are no element edges.
    let mut out: Vec<NodeIdx> = s
        .edges(slot)
        .filter(|&e| s.edge_kind(e) == EdgeKind::Element)
        .map(|e| s.edge_target(e))
        .filter(|&t| s.node_type_name(t) == "closure")
        .collect();
    if out.is_empty()
        && let Some(store) = edge_target(s, slot, "elements")
    {
        out.extend(
            s.edges(store)
                .map(|x| s.edge_target(x))
                .filter(|&x| s.node_type_name(x) == "closure"),
        );
    }
    (out, Some(slot))
}

/// Every (emitter, event) pair of the snapshot with its listener count.
/// (Both cores, in node order.)
pub fn all_listener_slots(s: &Snapshot) -> Vec<(NodeIdx, String, Vec<NodeIdx>)> {
    // Every edge of the heap is looked at, in one pass over the edge column by name index.
    let [events_names] = s.string_indexes(["_events"]);
    if events_names.is_empty() {
        return Vec::new();
    }
    let property = s.meta.et.property;
    let hits: Vec<u32> = (0..s.edge_count() as u32)
        .into_par_iter()
        .filter(|&e| {
            let e = e as usize;
            s.edge_kinds.ty(e) == property && events_names.contains(&s.edge_kinds.name(e))
        })
        .collect();
    // Each emitter with its first `_events` edge (edges are in node order).
    let mut emitters: Vec<(NodeIdx, EdgeIdx)> = Vec::new();
    for e in hits {
        let n = (s.first_edge.partition_point(|&f| f <= e) - 1) as u32;
        if emitters.last().is_none_or(|&(m, _)| m.0 != n) {
            emitters.push((NodeIdx(n), EdgeIdx(e)));
        }
    }
    emitters
        .into_par_iter()
        .flat_map_iter(|(emitter, first)| {
            let mut out = Vec::new();
            let events = s.edge_target(first);
            if s.node_type_name(events) != "object" {
                return out;
            }
            for e in s.edges(events) {
                if s.edge_kind(e) != EdgeKind::Property || s.edge_name(e) == "__proto__" {
                    continue;
                }
                let event = s.edge_name(e).into_owned();
                let (ls, _) = listeners(s, emitter, &event);
                if !ls.is_empty() {
                    out.push((emitter, event, ls));
                }
            }
            out
        })
        .collect()
}

/// An active timer: a `Timeout` still linked into a timer list, or an `Immediate` not yet
/// run or cleared.
pub struct Timer {
    /// The Timeout or Immediate.
    pub node: NodeIdx,
    /// Its callback's name (the function's name, or `(anonymous function)`).
    pub callback: String,
    /// `setInterval` (no `_repeat` null), else `setTimeout`; Immediates: `setImmediate`.
    pub api: &'static str,
}

/// Every active timer of the snapshot (both cores, in node order).
pub fn active_timers(s: &Snapshot) -> Vec<Timer> {
    let [timeout, immediate] = s.string_indexes(["Timeout", "Immediate"]);
    let object = s.meta.nt.object;
    (0..s.node_count() as u32)
        .into_par_iter()
        .filter(|&i| {
            let name = s.node_name[i as usize];
            s.node_type[i as usize] == object
                && (timeout.contains(&name) || immediate.contains(&name))
        })
        .filter_map(|i| active_timer(s, NodeIdx(i)))
        .collect()
}

/// `n` as an active timer, if it is one.
fn active_timer(s: &Snapshot, n: NodeIdx) -> Option<Timer> {
    if s.node_type_name(n) != "object" {
        return None;
    }
    match s.raw_name(n) {
        "Timeout" => {
            let linked = edge_target(s, n, "_idleNext")
                .is_some_and(|t| !is_oddball(s, t) && s.node_type_name(t) == "object");
            let cb = edge_target(s, n, "_onTimeout")?;
            if !linked || s.node_type_name(cb) != "closure" {
                return None;
            }
            let repeat_null = edge_target(s, n, "_repeat").is_some_and(|r| is_oddball(s, r));
            Some(Timer {
                node: n,
                callback: display_name(s, cb),
                api: if repeat_null {
                    "setTimeout"
                } else {
                    "setInterval"
                },
            })
        }
        "Immediate" => {
            let cb = edge_target(s, n, "_onImmediate")?;
            (s.node_type_name(cb) == "closure").then(|| Timer {
                node: n,
                callback: display_name(s, cb),
                api: "setImmediate",
            })
        }
        _ => None,
    }
}

/// The pending reactions of a promise (the `reactions_or_result` chain).
pub fn promise_reactions(s: &Snapshot, promise: NodeIdx) -> u64 {
    let Some(mut r) = edge_target(s, promise, "reactions_or_result") else {
        return 0;
    };
    let mut count = 0u64;
    while s.raw_name(r) == "system / PromiseReaction" && count < 100_000_000 {
        count += 1;
        let Some(next) = s
            .edges(r)
            .find(|&e| s.edge_kind(e) == EdgeKind::Hidden && s.edge_name(e) == "0")
            .map(|e| s.edge_target(e))
        else {
            break;
        };
        r = next;
    }
    count
}

/// True when `n` is reachable from the user roots (not only through V8's own roots).
pub fn user_reachable(s: &Snapshot, n: NodeIdx) -> bool {
    let d = s.distance(n);
    (0..BASE_SYSTEM_DISTANCE).contains(&d)
}

/// What the dominator subtrees of `roots` hold, by class: count and retained size (an
/// object inside another of its class is not counted twice), biggest first. `skip` prunes
/// subtrees (e.g. other timers of a linked list).
pub fn held_classes<'s>(
    s: &'s Snapshot,
    roots: &[NodeIdx],
    skip: &dyn Fn(NodeIdx) -> bool,
) -> Vec<HeldClass> {
    struct Acc {
        count: u32,
        retained: u64,
        members: Vec<NodeIdx>,
    }
    let mut by_class: HashMap<&'s str, Acc> = HashMap::new();
    let mut active: HashMap<&'s str, u32> = HashMap::new();
    let mut visited = 0usize;
    // (node, next child position)
    let mut stack: Vec<(NodeIdx, usize)> = Vec::new();
    let enter =
        |n: NodeIdx, active: &mut HashMap<&'s str, u32>, by_class: &mut HashMap<&'s str, Acc>| {
            let c = s.class_name(n);
            let a = active.entry(c).or_default();
            let acc = by_class.entry(c).or_insert(Acc {
                count: 0,
                retained: 0,
                members: Vec::new(),
            });
            acc.count += 1;
            acc.members.push(n);
            if *a == 0 {
                acc.retained += s.retained_size(n);
            }
            *a += 1;
        };
    for &r in roots {
        if visited >= MAX_HELD_WALK {
            break;
        }
        enter(r, &mut active, &mut by_class);
        stack.push((r, 0));
        while let Some(&mut (n, ref mut pos)) = stack.last_mut() {
            let kids = s.dominated.of(n.0 as usize);
            if *pos < kids.len() && visited < MAX_HELD_WALK {
                let child = NodeIdx(kids[*pos]);
                *pos += 1;
                if skip(child) || s.self_size(child) == 0 && s.node_type_name(child) == "synthetic"
                {
                    continue;
                }
                visited += 1;
                enter(child, &mut active, &mut by_class);
                stack.push((child, 0));
            } else {
                if let Some(a) = active.get_mut(s.class_name(n)) {
                    *a = a.saturating_sub(1);
                }
                stack.pop();
            }
        }
    }
    let mut out: Vec<HeldClass> = by_class
        .into_iter()
        .map(|(c, a)| {
            let mut members = a.members;
            members.sort_by_key(|&m| s.node_id(m));
            HeldClass {
                class_name: c.to_owned(),
                count: a.count,
                retained_size: a.retained,
                members,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.retained_size
            .cmp(&a.retained_size)
            .then(b.count.cmp(&a.count))
            .then_with(|| a.class_name.cmp(&b.class_name))
    });
    out
}

pub use super::super::leaks::is_builtin_class as is_internal_class;
