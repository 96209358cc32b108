//! Leak candidates by the three-snapshot method.
//!
//! Take a baseline after warm-up, a target after exercising the suspected leak, and a final
//! snapshot after exercising it again. Objects allocated between baseline and target (their
//! ids are in the target but not the baseline) that are still alive in the final snapshot
//! survived a whole further round of work: the leak is among them. They are grouped by class
//! and, within a class, by the shape of their retainer path (the shortest path toward the GC
//! roots, with array indexes and numbers in names folded), and ranked by count.

use std::collections::HashMap;

use super::{EdgeKind, NodeIdx, Snapshot};

/// How many retainer hops (from the object toward the roots) make up a path signature.
pub const PATH_HOPS: usize = 8;

/// One retainer hop of a path: the retaining object's class and the edge it holds us by.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Hop {
    /// Class of the retaining object; for a closure its function name (`onConfig`), as the
    /// Retainers pane names it.
    pub class_name: String,
    /// The edge, as DevTools labels it, with element indexes and digits folded (`[]`, `#`).
    pub edge: String,
}

/// Objects of one class that share a retainer path shape.
#[derive(Clone, Debug)]
pub struct PathGroup {
    /// Hops from the object toward the roots (at most [`PATH_HOPS`]).
    pub path: Vec<Hop>,
    /// Number of objects.
    pub count: u32,
    /// A representative object (node of the final snapshot): the one with the largest
    /// retained size.
    pub representative: NodeIdx,
}

/// A class with objects allocated between baseline and target and still alive in final.
#[derive(Clone, Debug)]
pub struct LeakClass {
    /// Class name.
    pub class_name: String,
    /// True for DevTools' built-in rows (`(string)`, `system / Context`, …).
    pub builtin: bool,
    /// Number of such objects.
    pub count: u32,
    /// Sum of their shallow sizes.
    pub shallow_size_bytes: u64,
    /// Retained size of these objects together (objects dominated by another one of them
    /// are not counted twice).
    pub retained_size_bytes: u64,
    /// Groups by retainer path, largest first.
    pub groups: Vec<PathGroup>,
    /// All of them (nodes of the final snapshot), by increasing id.
    pub members: Vec<NodeIdx>,
}

/// True for class names DevTools uses for engine internals rather than user objects.
pub fn is_builtin_class(name: &str) -> bool {
    (name.starts_with('(') && name.ends_with(')')) || name.starts_with("system / ")
}

/// Leak candidates: classes ranked user classes first, then by count, then retained size.
pub fn leak_candidates(baseline: &Snapshot, target: &Snapshot, last: &Snapshot) -> Vec<LeakClass> {
    let ids =
        |s: &Snapshot| -> Vec<u32> { s.nodes_by_id().map(|n| s.node_id[n as usize]).collect() };
    let (base_ids, target_ids) = rayon::join(|| ids(baseline), || ids(target));
    let contains = |sorted: &[u32], id: u32| sorted.binary_search(&id).is_ok();

    // Survivors, grouped by Summary row of the final snapshot.
    let mut by_class: HashMap<usize, Vec<NodeIdx>> = HashMap::new();
    let mut member_class = vec![u32::MAX; last.node_count()];
    for n in last.nodes_by_id() {
        let node = NodeIdx(n);
        let id = last.node_id(node);
        if !contains(&target_ids, id) || contains(&base_ids, id) {
            continue;
        }
        let Some(class) = last.node_class(node) else {
            continue;
        };
        by_class.entry(class).or_default().push(node);
        member_class[n as usize] = class as u32;
    }
    let retained = retained_without_double_counting(last, &member_class, last.classes().len());
    let mut out: Vec<LeakClass> = by_class
        .into_iter()
        .map(|(class, members)| {
            let class_name = last.classes()[class].name.clone();
            let mut groups: HashMap<Vec<Hop>, PathGroup> = HashMap::new();
            for &m in &members {
                let path = path_signature(last, m);
                let g = groups.entry(path.clone()).or_insert(PathGroup {
                    path,
                    count: 0,
                    representative: m,
                });
                g.count += 1;
                if last.retained_size(m) > last.retained_size(g.representative) {
                    g.representative = m;
                }
            }
            let mut groups: Vec<PathGroup> = groups.into_values().collect();
            groups.sort_by(|a, b| {
                b.count.cmp(&a.count).then(
                    last.node_id(a.representative)
                        .cmp(&last.node_id(b.representative)),
                )
            });
            LeakClass {
                builtin: is_builtin_class(&class_name),
                class_name,
                count: members.len() as u32,
                shallow_size_bytes: members.iter().map(|&m| last.self_size(m)).sum(),
                retained_size_bytes: members
                    .iter()
                    .filter(|m| retained[m.0 as usize])
                    .map(|&m| last.retained_size(m))
                    .sum(),
                groups,
                members,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        a.builtin
            .cmp(&b.builtin)
            .then(b.count.cmp(&a.count))
            .then(b.retained_size_bytes.cmp(&a.retained_size_bytes))
            .then_with(|| a.class_name.cmp(&b.class_name))
    });
    out
}

/// Marks members that have no other member *of the same class* among their dominators (one
/// pass over the dominator tree), so a class's retained sizes can be summed without double
/// counting. `member_class[n]` is the member's class or `u32::MAX`.
fn retained_without_double_counting(
    s: &Snapshot,
    member_class: &[u32],
    classes: usize,
) -> Vec<bool> {
    let mut top = vec![false; s.node_count()];
    // Members of each class among the ancestors of the current node.
    let mut active = vec![0u32; classes];
    let enter = |n: NodeIdx, active: &mut Vec<u32>, top: &mut Vec<bool>| {
        let c = member_class[n.0 as usize];
        if c != u32::MAX {
            top[n.0 as usize] = active[c as usize] == 0;
            active[c as usize] += 1;
        }
    };
    let root = s.root();
    enter(root, &mut active, &mut top);
    let mut stack: Vec<(NodeIdx, usize)> = vec![(root, 0)];
    while let Some(&mut (n, ref mut pos)) = stack.last_mut() {
        if let Some(&child) = s.dominated.of(n.0 as usize).get(*pos) {
            let child = NodeIdx(child);
            *pos += 1;
            enter(child, &mut active, &mut top);
            stack.push((child, 0));
        } else {
            let c = member_class[n.0 as usize];
            if c != u32::MAX {
                active[c as usize] -= 1;
            }
            stack.pop();
        }
    }
    top
}

/// The retainer path shape of `n`: follow the closest retainer (smallest distance) toward
/// the roots for up to [`PATH_HOPS`] hops.
pub fn path_signature(s: &Snapshot, n: NodeIdx) -> Vec<Hop> {
    let mut path = Vec::new();
    let mut cur = n;
    for _ in 0..PATH_HOPS {
        let Some((from, e)) = s
            .visible_retainers(cur)
            .filter(|&(from, _)| s.distance(from) >= 0)
            .min_by_key(|&(from, _)| s.distance(from))
        else {
            break;
        };
        path.push(Hop {
            class_name: s.object_name(from).into_owned(),
            edge: folded_edge_label(s, e),
        });
        if s.distance(from) <= 1 || from == s.root() {
            break;
        }
        cur = from;
    }
    path
}

fn folded_edge_label(s: &Snapshot, e: super::EdgeIdx) -> String {
    match s.edge_kind(e) {
        EdgeKind::Element => "[]".to_owned(),
        EdgeKind::Hidden => "{}".to_owned(),
        _ => {
            let label = s.edge_label(e);
            let mut out = String::with_capacity(label.len());
            let mut in_digits = false;
            for c in label.chars() {
                if c.is_ascii_digit() {
                    if !in_digits {
                        out.push('#');
                    }
                    in_digits = true;
                } else {
                    in_digits = false;
                    out.push(c);
                }
            }
            out
        }
    }
}
