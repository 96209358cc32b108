//! Comparison of two snapshots, exactly as DevTools' Comparison view computes it.
//!
//! DevTools re-classifies the *base* snapshot's plain objects with the *target's* `{a, b}`
//! interface definitions (so shape names match), groups both snapshots by class key, and
//! merge-joins each class's instances by snapshot object id: ids only in the target are
//! "new", ids only in the base are "deleted". Ids are stable between snapshots of the same
//! running process only; snapshots of different processes simply share (almost) no ids.

use std::collections::HashMap;

use super::aggregate::{GroupInputs, group_classes};
use super::dict::ClassIndexBuilder;
use super::names::{self, NameInputs, js_cmp};
use super::strings::StringsOverlay;
use super::{NodeIdx, Snapshot};

/// One row of the Comparison view.
#[derive(Clone, Debug)]
pub struct ClassDiff {
    /// DevTools' class key.
    pub key: String,
    /// Constructor name.
    pub name: String,
    /// Objects in the target but not the base (# New).
    pub added_count: u32,
    /// Objects in the base but not the target (# Deleted).
    pub removed_count: u32,
    /// # New − # Deleted.
    pub count_delta: i64,
    /// Shallow size of the new objects (Alloc. Size).
    pub added_size_bytes: u64,
    /// Shallow size of the deleted objects (Freed Size).
    pub removed_size_bytes: u64,
    /// Alloc. Size − Freed Size.
    pub size_delta_bytes: i64,
    /// The new objects (nodes of the target), by increasing id.
    pub added: Vec<NodeIdx>,
    /// The deleted objects (nodes of the base), by increasing id.
    pub removed: Vec<NodeIdx>,
}

/// The Comparison view's data: changed classes sorted by # Delta descending (ties: size
/// delta descending, then class key).
#[derive(Clone, Debug, Default)]
pub struct Diff {
    /// Classes with at least one new or deleted object.
    pub classes: Vec<ClassDiff>,
    /// Number of object ids present in both snapshots (0 for unrelated snapshots).
    pub common_ids: usize,
}

/// A class's instances as (id, self size, node), sorted by id.
type Members = Vec<(u32, u32, NodeIdx)>;

/// Compares `target` against `base` (DevTools: `target.calculateSnapshotDiff(base…)`).
pub fn diff(base: &Snapshot, target: &Snapshot) -> Diff {
    let (base_groups, target_groups) =
        rayon::join(|| base_groups_with(base, target), || target_groups(target));
    let target_by_key: HashMap<&str, usize> = target_groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.0.as_str(), i))
        .collect();
    let mut classes = Vec::new();
    let mut seen_target = vec![false; target_groups.len()];
    let empty: Members = Vec::new();
    for (key, name, members) in &base_groups {
        let target_group = target_by_key.get(key.as_str()).copied();
        if let Some(t) = target_group {
            seen_target[t] = true;
        }
        let (target_name, target_members) = match target_group {
            Some(t) => (Some(&target_groups[t].1), &target_groups[t].2),
            None => (None, &empty),
        };
        if let Some(d) = class_diff(key, target_name.unwrap_or(name), members, target_members) {
            classes.push(d);
        }
    }
    for (t, (key, name, members)) in target_groups.iter().enumerate() {
        if seen_target[t] {
            continue;
        }
        if let Some(d) = class_diff(key, name, &empty, members) {
            classes.push(d);
        }
    }
    classes.sort_by(|a, b| {
        b.count_delta
            .cmp(&a.count_delta)
            .then(b.size_delta_bytes.cmp(&a.size_delta_bytes))
            .then_with(|| js_cmp(&a.key, &b.key))
    });
    Diff {
        classes,
        common_ids: common_ids(base, target),
    }
}

fn class_diff(key: &str, name: &str, base: &Members, target: &Members) -> Option<ClassDiff> {
    let mut d = ClassDiff {
        key: key.to_owned(),
        name: name.to_owned(),
        added_count: 0,
        removed_count: 0,
        count_delta: 0,
        added_size_bytes: 0,
        removed_size_bytes: 0,
        size_delta_bytes: 0,
        added: Vec::new(),
        removed: Vec::new(),
    };
    let (mut i, mut j) = (0, 0);
    let remove = |d: &mut ClassDiff, m: &(u32, u32, NodeIdx)| {
        d.removed.push(m.2);
        d.removed_count += 1;
        d.removed_size_bytes += u64::from(m.1);
    };
    let add = |d: &mut ClassDiff, m: &(u32, u32, NodeIdx)| {
        d.added.push(m.2);
        d.added_count += 1;
        d.added_size_bytes += u64::from(m.1);
    };
    while i < base.len() && j < target.len() {
        let (a, b) = (&base[i], &target[j]);
        if a.0 < b.0 {
            remove(&mut d, a);
            i += 1;
        } else if a.0 > b.0 {
            add(&mut d, b);
            j += 1;
        } else {
            i += 1;
            j += 1;
        }
    }
    base[i..].iter().for_each(|m| remove(&mut d, m));
    target[j..].iter().for_each(|m| add(&mut d, m));
    if d.added_count == 0 && d.removed_count == 0 {
        return None;
    }
    d.count_delta = i64::from(d.added_count) - i64::from(d.removed_count);
    d.size_delta_bytes = d.added_size_bytes as i64 - d.removed_size_bytes as i64;
    Some(d)
}

/// The target's classes: its own Summary rows, instances sorted by id.
fn target_groups(target: &Snapshot) -> Vec<(String, String, Members)> {
    target
        .classes()
        .iter()
        .enumerate()
        .map(|(c, class)| {
            let mut members: Members = target
                .class_members(c)
                .iter()
                .map(|&n| {
                    (
                        target.node_id[n as usize],
                        target.self_size.get(n as usize),
                        NodeIdx(n),
                    )
                })
                .collect();
            members.sort_unstable_by_key(|m| m.0);
            (class.key.clone(), class.name.clone(), members)
        })
        .collect()
}

/// The base's classes after applying the target's interface definitions.
fn base_groups_with(base: &Snapshot, target: &Snapshot) -> Vec<(String, String, Members)> {
    let mut class_index = ClassIndexBuilder::from_index(&base.class_index);
    let mut overlay = StringsOverlay::new(&base.strings);
    let mut interface_names = base.interface_names.clone();
    let inputs = NameInputs {
        meta: &base.meta,
        node_type: &base.node_type,
        node_name: &base.node_name,
        first_edge: &base.first_edge,
        edge_kinds: base.edge_kinds.view(),
    };
    names::apply_interfaces(
        &inputs,
        &mut overlay,
        &target.interfaces,
        &mut interface_names,
        &mut class_index,
    );
    let grouping = group_classes(&GroupInputs {
        meta: &base.meta,
        strings: &overlay,
        node_type: &base.node_type,
        self_size: &base.self_size,
        class_index: &class_index.finish(),
        locations: &base.locations,
        include: None,
    });
    let mut members: Vec<Members> = vec![Vec::new(); grouping.public_keys.len()];
    for (n, &internal) in grouping.internal_of.iter().enumerate() {
        if internal == u32::MAX {
            continue;
        }
        let public = grouping.public_of[internal as usize];
        if public == u32::MAX {
            continue;
        }
        members[public as usize].push((base.node_id[n], base.self_size.get(n), NodeIdx(n as u32)));
    }
    grouping
        .public_keys
        .into_iter()
        .zip(members)
        .zip(&grouping.public_internal)
        .map(|((key, mut m), &internal)| {
            m.sort_unstable_by_key(|x| x.0);
            let name = overlay
                .get(grouping.internal_class[internal as usize])
                .to_owned();
            (key, name, m)
        })
        .collect()
}

/// Calls `f` with each pair of nodes (one per snapshot) sharing an object id (a merge over
/// both snapshots' nodes in id order).
fn for_common_ids(a: &Snapshot, b: &Snapshot, mut f: impl FnMut(NodeIdx, NodeIdx)) {
    let mut xs = a.nodes_by_id().peekable();
    let mut ys = b.nodes_by_id().peekable();
    while let (Some(&x), Some(&y)) = (xs.peek(), ys.peek()) {
        match a.node_id[x as usize].cmp(&b.node_id[y as usize]) {
            std::cmp::Ordering::Less => {
                xs.next();
            }
            std::cmp::Ordering::Greater => {
                ys.next();
            }
            std::cmp::Ordering::Equal => {
                f(NodeIdx(x), NodeIdx(y));
                xs.next();
                ys.next();
            }
        }
    }
}

/// Number of object ids present in both snapshots.
fn common_ids(a: &Snapshot, b: &Snapshot) -> usize {
    let mut common = 0;
    for_common_ids(a, b, |_, _| common += 1);
    common
}

/// Ids present in both snapshots, and how many of them name objects that differ in type or
/// name (a merge over both id-sorted lists).
pub fn id_agreement(a: &Snapshot, b: &Snapshot) -> (usize, usize) {
    let (mut common, mut differing) = (0, 0);
    for_common_ids(a, b, |na, nb| {
        common += 1;
        if a.node_type_name(na) != b.node_type_name(nb) || a.raw_name(na) != b.raw_name(nb) {
            differing += 1;
        }
    });
    (common, differing)
}
