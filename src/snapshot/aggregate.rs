//! Per-class aggregates (the Summary view) and Statistics, as DevTools computes them.
//!
//! Classes are keyed as DevTools keys them (`classKeyInternal` then `#classKeyFromClassKey`):
//! `object` nodes with an allocation location are keyed `script,line,column,Name`, so
//! same-named constructors from different places are separate rows; every other node is
//! keyed by its class-name *string index*, shown as `,Name`. When two internal keys map to
//! the same public key (e.g. closures' `Function` and an object named `Function`), the one
//! seen later in node order replaces the other, as in DevTools.
//!
//! Only nodes with a non-zero shallow size are counted. A class's retained size is the sum
//! of the retained sizes of its instances that are not dominated by another instance of the
//! same class (walking the dominator tree).
//!
//! Layout: `classes` sorted by retained size descending (ties: shallow size, count, key);
//! `node_class[n]` = index into `classes` or [`NO_CLASS`]; instances of class `c` are
//! `members[classes[c].members.clone()]`, node ordinals in increasing order.

use std::collections::HashMap;
use std::ops::Range;

use rayon::prelude::*;

use super::column::Column;
use super::dict::{ClassIndex, Codes, Locations};
use super::dominators::{Dominated, RetainedSizes};
use super::edge_kinds::{EdgeKindsRef, KindsRead};
use super::meta::Meta;
use super::names::js_cmp;
use super::narrow::{Distances, SelfSizes};
use super::strings::{StringTable, Strings};

/// `node_class` value of nodes that belong to no Summary row (zero shallow size).
pub const NO_CLASS: u32 = u32::MAX;

/// One row of the Summary view.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ClassAggregate {
    /// DevTools' public class key, e.g. `,Object` or `81,7,13,CachedApiResponse`.
    pub key: String,
    /// Class name as shown in the Constructor column.
    pub name: String,
    /// Number of instances (with non-zero shallow size).
    pub count: u32,
    /// Sum of the instances' shallow sizes.
    pub shallow_size_bytes: u64,
    /// Retained size of the class (instances not dominated by another instance).
    pub retained_size_bytes: u64,
    /// Minimum distance of an instance.
    pub distance: i32,
    /// Range of this class's instances in [`Aggregates::members`].
    pub members: Range<usize>,
}

/// The Summary view's data (all objects, or those passing a filter).
#[derive(Clone, Debug, Default)]
pub struct Aggregates {
    /// Rows, sorted by retained size descending.
    pub classes: Vec<ClassAggregate>,
    /// Node ordinals of the instances, grouped by class.
    pub members: Column<u32>,
    /// Class of each node, or [`NO_CLASS`].
    pub node_class: NodeClasses,
}

/// The row of each node ([`Aggregates::node_class`]): 2 bytes per node when there are fewer
/// than 65 535 rows, else 4; the largest code (`u16::MAX` or [`NO_CLASS`]) is no row.
#[derive(Clone, Debug, Default)]
pub struct NodeClasses(pub(crate) Codes);

impl NodeClasses {
    /// Packs `rows` (one per node, [`NO_CLASS`] for none) given the number of rows.
    fn from_rows(row_count: usize, rows: impl Iterator<Item = u32>) -> Self {
        Self(if row_count < usize::from(u16::MAX) {
            let narrow: Vec<u16> = rows
                .map(|c| if c == NO_CLASS { u16::MAX } else { c as u16 })
                .collect();
            Codes::Narrow(narrow.into())
        } else {
            Codes::Wide(rows.collect::<Vec<u32>>().into())
        })
    }

    /// The row of node `n`, or [`NO_CLASS`]; None when `n` is out of range.
    #[inline]
    pub fn get(&self, n: usize) -> Option<u32> {
        match &self.0 {
            Codes::Narrow(c) => c.get(n).map(|&v| {
                if v == u16::MAX {
                    NO_CLASS
                } else {
                    u32::from(v)
                }
            }),
            Codes::Wide(c) => c.get(n).copied(),
        }
    }

    /// Calls `f(node, row)` for every node with a row, in node order.
    fn for_each_row(&self, mut f: impl FnMut(usize, u32)) {
        match &self.0 {
            Codes::Narrow(c) => c.iter().enumerate().for_each(|(n, &v)| {
                if v != u16::MAX {
                    f(n, u32::from(v));
                }
            }),
            Codes::Wide(c) => c.iter().enumerate().for_each(|(n, &v)| {
                if v != NO_CLASS {
                    f(n, v);
                }
            }),
        }
    }

    /// The column's bytes (owned or mapped) and whether it is the 2-byte form.
    pub(crate) fn bytes(&self) -> (&[u8], bool) {
        self.0.bytes()
    }

    /// Memory held (owned capacity plus mapped length).
    pub(crate) fn heap_bytes(&self) -> u64 {
        self.0.heap_bytes()
    }
}

/// A node's allocation location (from the snapshot's `locations`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Location {
    /// V8 script id.
    pub script_id: u32,
    /// 0-based line.
    pub line: u32,
    /// 0-based column.
    pub column: u32,
}

/// Locations sorted by node ordinal (the last entry wins for duplicates, as in DevTools' map).
pub(crate) fn build_locations(meta: &Meta, raw: &[u32], node_count: usize) -> Locations {
    let Some([oi, si, li, ci]) = meta.location_offsets else {
        return Locations::default();
    };
    let lf = meta.location_field_count;
    let nf = meta.node_field_count as u32;
    let mut out: Vec<(u32, Location)> = raw
        .chunks_exact(lf)
        .filter(|r| r[oi] % nf == 0 && ((r[oi] / nf) as usize) < node_count)
        .map(|r| {
            (
                r[oi] / nf,
                Location {
                    script_id: r[si],
                    line: r[li],
                    column: r[ci],
                },
            )
        })
        .collect();
    // Stable sort keeps file order among duplicates; keep the last of each run.
    out.sort_by_key(|&(n, _)| n);
    let mut dedup: Vec<(u32, Location)> = Vec::with_capacity(out.len());
    for entry in out {
        match dedup.last_mut() {
            Some(last) if last.0 == entry.0 => *last = entry,
            _ => dedup.push(entry),
        }
    }
    Locations::from_sorted(&dedup)
}

/// Inputs of the aggregation that do not depend on the dominator tree.
pub(crate) struct ClassInputs<'a, S: Strings> {
    pub meta: &'a Meta,
    pub strings: &'a S,
    pub node_type: &'a [u8],
    pub self_size: &'a SelfSizes,
    pub class_index: &'a ClassIndex,
    pub distance: &'a Distances,
    pub locations: &'a Locations,
    /// Only nodes passing this filter are counted (DevTools' node filters).
    pub include: Option<&'a (dyn Fn(usize) -> bool + Sync)>,
}

/// The dominator tree, for class retained sizes.
pub(crate) struct TreeInputs<'a> {
    pub root: u32,
    pub retained: &'a RetainedSizes,
    pub dominated: &'a Dominated,
}

/// Key of an object class with a location: DevTools compares `script,line,col,Name` text.
type LocatedKey<'s> = (Location, &'s str);

/// Inputs of [`group_classes`].
pub(crate) struct GroupInputs<'a, S: Strings> {
    pub meta: &'a Meta,
    pub strings: &'a S,
    pub node_type: &'a [u8],
    pub self_size: &'a SelfSizes,
    pub class_index: &'a ClassIndex,
    pub locations: &'a Locations,
    pub include: Option<&'a (dyn Fn(usize) -> bool + Sync)>,
}

/// Nodes grouped by DevTools' class keys (see the module docs).
pub(crate) struct Grouping {
    /// Internal class of each node (u32::MAX for nodes with zero self size).
    pub internal_of: Vec<u32>,
    /// Class-name string index of each internal class.
    pub internal_class: Vec<u32>,
    /// Public class of each internal class (u32::MAX when replaced by a later one).
    pub public_of: Vec<u32>,
    /// Public keys, in first-seen order.
    pub public_keys: Vec<String>,
    /// The internal class each public key ended up with.
    pub public_internal: Vec<u32>,
}

/// Assigns every node with a non-zero self size to its DevTools class key.
pub(crate) fn group_classes<S: Strings>(inp: &GroupInputs<'_, S>) -> Grouping {
    let node_count = inp.node_type.len();
    let object = inp.meta.nt.object;
    // Internal id by class string index (u32::MAX = none yet).
    let mut by_index: Vec<u32> = vec![u32::MAX; inp.strings.count()];
    let mut by_location: HashMap<LocatedKey<'_>, u32> = HashMap::new();
    // The same, by class-name string index: the common case without hashing the name
    // (distinct indexes with the same text still meet in `by_location`).
    let mut by_location_index: foldhash::HashMap<(Location, u32), u32> =
        foldhash::HashMap::default();
    let mut internal_class: Vec<u32> = Vec::new();
    let mut internal_location: Vec<Option<Location>> = Vec::new();
    let mut internal_of = vec![u32::MAX; node_count];
    let mut loc_iter = inp.locations.iter().peekable();
    for n in 0..node_count {
        // Advance the location cursor to this node.
        while loc_iter.peek().is_some_and(|(o, _)| (*o as usize) < n) {
            loc_iter.next();
        }
        if inp.self_size.get(n) == 0 || inp.include.is_some_and(|f| !f(n)) {
            continue;
        }
        let class = inp.class_index.get(n);
        let location = if inp.node_type[n] == object {
            loc_iter
                .peek()
                .filter(|(o, _)| *o as usize == n)
                .map(|(_, l)| *l)
        } else {
            None
        };
        let new_id = internal_class.len() as u32;
        let id = match location {
            None => {
                let slot = &mut by_index[class as usize];
                if *slot == u32::MAX {
                    *slot = new_id;
                }
                *slot
            }
            Some(loc) => *by_location_index.entry((loc, class)).or_insert_with(|| {
                *by_location
                    .entry((loc, inp.strings.get_str(class)))
                    .or_insert(new_id)
            }),
        };
        if id == new_id {
            internal_class.push(class);
            internal_location.push(location);
        }
        internal_of[n] = id;
    }
    // Public keys; a later internal key with the same public key replaces the earlier one.
    let mut by_key: HashMap<String, u32> = HashMap::new();
    let mut public_keys: Vec<String> = Vec::new();
    let mut public_internal: Vec<u32> = Vec::new();
    for (i, (&class, location)) in internal_class.iter().zip(&internal_location).enumerate() {
        let name = inp.strings.get_str(class);
        let key = match location {
            None => format!(",{name}"),
            Some(l) => format!("{},{},{},{name}", l.script_id, l.line, l.column),
        };
        match by_key.get(&key) {
            Some(&slot) => public_internal[slot as usize] = i as u32,
            None => {
                by_key.insert(key.clone(), public_keys.len() as u32);
                public_keys.push(key);
                public_internal.push(i as u32);
            }
        }
    }
    let mut public_of = vec![u32::MAX; internal_class.len()];
    for (p, &i) in public_internal.iter().enumerate() {
        public_of[i as usize] = p as u32;
    }
    Grouping {
        internal_of,
        internal_class,
        public_of,
        public_keys,
        public_internal,
    }
}

struct Internal {
    count: u32,
    self_size: u64,
    max_ret: u64,
    distance: i32,
}

/// Classes with their counts, shallow sizes and distances: the part of the aggregation that
/// does not need the dominator tree (so it can run while the tree is computed).
pub(crate) struct ClassCounts {
    grouping: Grouping,
    internals: Vec<Internal>,
}

/// Groups nodes into classes and sums counts, shallow sizes and minimum distances.
pub(crate) fn count_classes<S: Strings>(inp: &ClassInputs<'_, S>) -> ClassCounts {
    let grouping = group_classes(&GroupInputs {
        meta: inp.meta,
        strings: inp.strings,
        node_type: inp.node_type,
        self_size: inp.self_size,
        class_index: inp.class_index,
        locations: inp.locations,
        include: inp.include,
    });
    let mut internals: Vec<Internal> = (0..grouping.internal_class.len())
        .map(|_| Internal {
            count: 0,
            self_size: 0,
            max_ret: 0,
            distance: i32::MAX,
        })
        .collect();
    for (n, &id) in grouping.internal_of.iter().enumerate() {
        if id == u32::MAX {
            continue;
        }
        let agg = &mut internals[id as usize];
        agg.count += 1;
        agg.self_size += u64::from(inp.self_size.get(n));
        agg.distance = agg.distance.min(inp.distance.get(n));
    }
    ClassCounts {
        grouping,
        internals,
    }
}

/// Builds the Summary aggregates.
pub(crate) fn aggregates(
    classes: &ClassInputs<'_, StringTable>,
    tree: &TreeInputs<'_>,
) -> Aggregates {
    finish_aggregates(count_classes(classes), classes.strings, tree)
}

/// Adds class retained sizes (walking the dominator tree), sorts the rows and lists their
/// members.
pub(crate) fn finish_aggregates(
    counts: ClassCounts,
    strings: &StringTable,
    tree: &TreeInputs<'_>,
) -> Aggregates {
    let ClassCounts {
        grouping,
        mut internals,
    } = counts;
    let Grouping {
        internal_of,
        internal_class,
        public_of,
        public_keys,
        public_internal,
    } = grouping;
    // Class retained sizes: walk the dominator tree; count a node unless an ancestor of the
    // same class was counted.
    let sums = class_retained_sizes(&internal_of, internals.len(), tree);
    for (internal, sum) in internals.iter_mut().zip(sums) {
        internal.max_ret += sum;
    }

    let mut classes: Vec<ClassAggregate> = Vec::with_capacity(public_keys.len());
    for (key, &i) in public_keys.iter().zip(&public_internal) {
        let agg = &internals[i as usize];
        classes.push(ClassAggregate {
            key: key.clone(),
            name: strings.get(internal_class[i as usize]).to_owned(),
            count: agg.count,
            shallow_size_bytes: agg.self_size,
            retained_size_bytes: agg.max_ret,
            distance: agg.distance,
            members: 0..0,
        });
    }
    let winner_of_internal = &public_of;

    // Sort rows, then remap node -> row.
    let mut order: Vec<u32> = (0..classes.len() as u32).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&classes[a as usize], &classes[b as usize]);
        y.retained_size_bytes
            .cmp(&x.retained_size_bytes)
            .then(y.shallow_size_bytes.cmp(&x.shallow_size_bytes))
            .then(y.count.cmp(&x.count))
            .then_with(|| js_cmp(&x.key, &y.key))
    });
    let mut rank = vec![0u32; classes.len()];
    for (r, &c) in order.iter().enumerate() {
        rank[c as usize] = r as u32;
    }
    let mut sorted: Vec<ClassAggregate> = Vec::with_capacity(classes.len());
    let mut taken: Vec<Option<ClassAggregate>> = classes.into_iter().map(Some).collect();
    for &c in &order {
        if let Some(class) = taken[c as usize].take() {
            sorted.push(class);
        }
    }
    // The rows replace the internal ids before the members are allocated.
    let row_of = |id: u32| {
        if id == u32::MAX {
            return NO_CLASS;
        }
        let w = winner_of_internal[id as usize];
        if w == u32::MAX {
            NO_CLASS
        } else {
            rank[w as usize]
        }
    };
    let node_class = NodeClasses::from_rows(sorted.len(), internal_of.iter().map(|&id| row_of(id)));
    drop(internal_of);

    // Members CSR, node order within a class.
    let mut counts = vec![0usize; sorted.len() + 1];
    node_class.for_each_row(|_, c| counts[c as usize + 1] += 1);
    for i in 1..counts.len() {
        counts[i] += counts[i - 1];
    }
    for (i, class) in sorted.iter_mut().enumerate() {
        class.members = counts[i]..counts[i + 1];
    }
    let mut fill = counts;
    let mut members = vec![0u32; fill[sorted.len()]];
    node_class.for_each_row(|n, c| {
        members[fill[c as usize]] = n as u32;
        fill[c as usize] += 1;
    });
    Aggregates {
        classes: sorted,
        members: members.into(),
        node_class,
    }
}

/// Each class's retained size (`internal_of`: each node's class below `classes`, `u32::MAX`
/// for none): the sum of the retained sizes of its nodes that have no dominator-tree ancestor
/// of the same class.
///
/// The walk is split into subtrees walked on both cores: the subtree with the largest retained
/// size is opened (its node counted on this thread) until none holds more than 1/16 of the
/// root's, or after a bounded number of openings; each subtree starts with the classes counted
/// on its path marked. The per-class sums are added up, so the split never changes them.
fn class_retained_sizes(internal_of: &[u32], classes: usize, tree: &TreeInputs<'_>) -> Vec<u64> {
    const MAX_OPENED: usize = 4096;
    let class_of = |n: u32| internal_of[n as usize];
    let retained = |n: u32| tree.retained.get(n as usize);
    let mut sums = vec![0u64; classes];
    // Path marks: each a list of classes; subtrees refer to theirs by index.
    let mut marks: Vec<Vec<u32>> = Vec::new();
    // Subtrees still to walk: (node, index into `marks`).
    let mut subtrees: Vec<(u32, usize)> = Vec::new();
    let counted_root = |n: u32, path: &[u32], sums: &mut Vec<u64>| -> Vec<u32> {
        let mut path = path.to_vec();
        let c = class_of(n);
        if c != u32::MAX && !path.contains(&c) {
            sums[c as usize] += retained(n);
            path.push(c);
        }
        path
    };
    marks.push(counted_root(tree.root, &[], &mut sums));
    subtrees.extend(
        tree.dominated
            .of(tree.root as usize)
            .iter()
            .map(|&c| (c, 0)),
    );
    let limit = retained(tree.root) / 16;
    for _ in 0..MAX_OPENED {
        let Some((at, &(n, m))) = subtrees
            .iter()
            .enumerate()
            .max_by_key(|&(_, &(n, _))| retained(n))
        else {
            break;
        };
        let children = tree.dominated.of(n as usize);
        if retained(n) <= limit || children.is_empty() {
            break;
        }
        subtrees.swap_remove(at);
        let path = counted_root(n, &marks[m].clone(), &mut sums);
        marks.push(path);
        let id = marks.len() - 1;
        subtrees.extend(children.iter().map(|&c| (c, id)));
    }
    let walked = subtrees
        .par_iter()
        .fold(
            || (vec![0u64; classes], vec![false; classes]),
            |(mut sums, mut seen), &(n, m)| {
                for &c in &marks[m] {
                    seen[c as usize] = true;
                }
                walk_classes(n, tree, &class_of, &mut seen, &mut sums);
                for &c in &marks[m] {
                    seen[c as usize] = false;
                }
                (sums, seen)
            },
        )
        .map(|(sums, _)| sums)
        .reduce(
            || vec![0u64; classes],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            },
        );
    sums.iter_mut().zip(walked).for_each(|(x, y)| *x += y);
    sums
}

/// Walks the dominator subtree of `top` (iteratively), adding each node's retained size to
/// its class's sum unless its class is `seen` (marked by an ancestor); leaves `seen` as found.
fn walk_classes(
    top: u32,
    tree: &TreeInputs<'_>,
    class_of: &impl Fn(u32) -> u32,
    seen: &mut [bool],
    sums: &mut [u64],
) {
    let mut enter = |n: u32, seen: &mut [bool]| -> u32 {
        let c = class_of(n);
        if c == u32::MAX || seen[c as usize] {
            return u32::MAX;
        }
        sums[c as usize] += tree.retained.get(n as usize);
        seen[c as usize] = true;
        c
    };
    let children = |n: u32| {
        let r = tree.dominated.range(n as usize);
        (r.start as u32, r.end as u32)
    };
    // Stack of (next child's position in `dominated.nodes`, end of the node's children,
    // class marked by the node or u32::MAX).
    let mut stack: Vec<(u32, u32, u32)> = Vec::new();
    let marked = enter(top, seen);
    let (start, end) = children(top);
    stack.push((start, end, marked));
    while let Some(entry) = stack.last_mut() {
        let (pos, end, marked) = *entry;
        if pos < end {
            entry.0 += 1;
            let child = tree.dominated.nodes[pos as usize];
            let m = enter(child, seen);
            let (start, end) = children(child);
            stack.push((start, end, m));
        } else {
            if marked != u32::MAX {
                seen[marked as usize] = false;
            }
            stack.pop();
        }
    }
}

/// DevTools' Statistics view (the pie chart), sizes in bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Statistics {
    /// Total: root retained size plus `extra_native_bytes`.
    pub total: u64,
    /// `code` nodes.
    pub code: u64,
    /// Strings (plain, concatenated, sliced).
    pub strings: u64,
    /// `Array` objects plus their `elements` store when not shared.
    pub js_arrays: u64,
    /// `system / JSArrayBufferData` (typed array backing stores).
    pub typed_arrays: u64,
    /// `hidden` nodes.
    pub system: u64,
    /// V8 heap objects not counted above.
    #[serde(rename = "otherJSObjects")]
    pub other_js_objects: u64,
    /// Native objects other than typed arrays (plus extra native bytes).
    #[serde(rename = "otherNonJSObjects")]
    pub other_non_js_objects: u64,
    /// V8 heap total (total minus native).
    pub v8heap_total: u64,
    /// Native total (native nodes plus `extra_native_bytes`).
    pub native_total: u64,
}

/// Inputs of the statistics.
pub(crate) struct StatisticsInputs<'a> {
    pub meta: &'a Meta,
    pub strings: &'a StringTable,
    pub node_type: &'a [u8],
    pub node_name: &'a [u32],
    pub self_size: &'a SelfSizes,
    pub first_edge: &'a [u32],
    pub edge_to: &'a [u32],
    pub edge_kinds: EdgeKindsRef<'a>,
    pub first_retainer: &'a [u32],
}

/// The sums of [`statistics`], before the total (the root's retained size) is known.
pub(crate) struct StatisticsSums {
    native: u64,
    typed: u64,
    code: u64,
    strings: u64,
    arrays: u64,
    system: u64,
    extra: u64,
}

/// DevTools' `calculateStatistics`, but for the total: see [`StatisticsSums::finish`].
pub(crate) fn statistics(inp: &StatisticsInputs<'_>) -> StatisticsSums {
    let nt = inp.meta.nt;
    let internal = inp.meta.et.internal;
    let extra = inp.meta.extra_native_bytes;
    let mut native = extra;
    let (mut typed, mut code, mut strings, mut arrays, mut system) = (0u64, 0u64, 0u64, 0u64, 0u64);
    for n in 0..inp.node_type.len() {
        let size = u64::from(inp.self_size.get(n));
        let t = inp.node_type[n];
        if t == nt.hidden {
            system += size;
        } else if t == nt.native {
            native += size;
            if inp.strings.get(inp.node_name[n]) == "system / JSArrayBufferData" {
                typed += size;
            }
        } else if t == nt.code {
            code += size;
        } else if t == nt.cons_string || t == nt.sliced_string || t == nt.string {
            strings += size;
        } else if inp.strings.get(inp.node_name[n]) == "Array" {
            let mut array_size = size;
            for e in inp.first_edge[n] as usize..inp.first_edge[n + 1] as usize {
                let kinds = inp.edge_kinds;
                if kinds.ty(e) != internal || inp.strings.get(kinds.name(e)) != "elements" {
                    continue;
                }
                let el = inp.edge_to[e] as usize;
                if inp.first_retainer[el + 1] - inp.first_retainer[el] == 1 {
                    array_size += u64::from(inp.self_size.get(el));
                }
                break;
            }
            arrays += array_size;
        }
    }
    StatisticsSums {
        native,
        typed,
        code,
        strings,
        arrays,
        system,
        extra,
    }
}

impl StatisticsSums {
    /// The Statistics, given the root's retained size.
    pub(crate) fn finish(self, root_retained: u64) -> Statistics {
        let total = root_retained + self.extra;
        let v8heap_total = total.saturating_sub(self.native);
        Statistics {
            total,
            code: self.code,
            strings: self.strings,
            js_arrays: self.arrays,
            typed_arrays: self.typed,
            system: self.system,
            other_js_objects: v8heap_total
                .saturating_sub(self.code)
                .saturating_sub(self.strings)
                .saturating_sub(self.arrays)
                .saturating_sub(self.system),
            other_non_js_objects: self.native - self.typed,
            v8heap_total,
            native_total: self.native,
        }
    }
}

impl Aggregates {
    /// Rows, sorted by retained size descending.
    pub fn classes(&self) -> &[ClassAggregate] {
        &self.classes
    }

    /// Instances of row `class` (node ordinals in snapshot order).
    pub fn class_members(&self, class: usize) -> &[u32] {
        self.classes
            .get(class)
            .map_or(&[], |c| &self.members[c.members.clone()])
    }

    /// The row node `n` (an ordinal) belongs to, if any.
    pub fn node_class(&self, n: u32) -> Option<usize> {
        let c = self.node_class.get(n as usize)?;
        (c != NO_CLASS).then_some(c as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The split walk against the definition: a node counts for its class unless a
    /// dominator-tree ancestor has the same class.
    #[test]
    fn class_retained_sizes_split_or_not_match_the_definition() {
        let mut rand = crate::snapshot::test_rand(0x9E37_79B9_7F4A_7C15);
        for case in 0..60u64 {
            let count = 2 + rand(400) as usize;
            let classes = 1 + rand(6) as u32;
            // Node 0 is the root; each other node's dominator comes before it, often a
            // recent one so chains (deep trees) occur too.
            let dominator: Vec<u32> = (0..count)
                .map(|n| match n {
                    0 => 0,
                    _ if case % 3 == 0 => (n - 1) as u32,
                    _ => rand(n as u64) as u32,
                })
                .collect();
            let internal_of: Vec<u32> = (0..count)
                .map(|_| match rand(classes as u64 + 1) as u32 {
                    c if c == classes => u32::MAX,
                    c => c,
                })
                .collect();
            let self_size: Vec<u64> = (0..count).map(|_| rand(1000)).collect();
            let mut retained = self_size.clone();
            for n in (1..count).rev() {
                retained[dominator[n] as usize] += retained[n];
            }
            let dominated = Dominated::build(&dominator, 0);
            let retained_sizes = RetainedSizes::from_sizes(&retained);
            let tree = TreeInputs {
                root: 0,
                retained: &retained_sizes,
                dominated: &dominated,
            };
            let mut expected = vec![0u64; classes as usize];
            for n in 0..count {
                let c = internal_of[n];
                if c == u32::MAX {
                    continue;
                }
                let mut a = n;
                let mut shadowed = false;
                while a != 0 {
                    a = dominator[a] as usize;
                    shadowed |= internal_of[a] == c;
                }
                if !shadowed {
                    expected[c as usize] += retained[n];
                }
            }
            let used = internal_of.iter().filter(|&&c| c != u32::MAX).max();
            let used = used.map_or(0, |&c| c as usize + 1);
            let got = class_retained_sizes(&internal_of, used, &tree);
            assert_eq!(got, expected[..used], "case {case}");
        }
    }

    #[test]
    fn node_classes_narrow_and_wide_read_the_same() {
        let rows = [3, NO_CLASS, 0, 65_533, NO_CLASS];
        let narrow = NodeClasses::from_rows(65_534, rows.iter().copied());
        assert!(narrow.bytes().1);
        let wide_rows = [3, NO_CLASS, 0, 70_000, NO_CLASS];
        let wide = NodeClasses::from_rows(70_001, wide_rows.iter().copied());
        assert!(!wide.bytes().1);
        for (classes, rows) in [(&narrow, &rows), (&wide, &wide_rows)] {
            for (n, &row) in rows.iter().enumerate() {
                assert_eq!(classes.get(n), Some(row));
            }
            assert_eq!(classes.get(rows.len()), None);
            let mut seen = Vec::new();
            classes.for_each_row(|n, c| seen.push((n, c)));
            assert_eq!(seen, vec![(0, 3), (2, 0), (3, rows[3])]);
        }
    }
}
