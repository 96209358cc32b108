//! Candidates (by growth of object ids, and by pattern) and how they become findings.

use std::collections::HashMap;

use rayon::prelude::*;

use super::super::{EdgeKind, NodeIdx, Snapshot};
use super::shapes::{self, TIMER_CLASSES};
use super::text::{self, Facts};
use super::{Finding, FindingKind, GrowthPoint, HeldClass, Holder, Severity};

/// A growth below this many entries (listeners, timers, objects) is never a leak.
pub const MIN_GROWTH: u64 = 10;

/// Listeners of one function on one event from which one snapshot alone is a leak.
pub const SINGLE_SNAPSHOT_LISTENERS: usize = 100;

/// Node's default `MaxListeners`: more listeners on one event are suspect.
pub const MAX_LISTENERS: usize = 10;

/// Active timers with one callback from which one snapshot shows a suspect.
pub const SINGLE_SNAPSHOT_TIMERS: usize = 100;

/// Pending reactions on one promise from which one snapshot shows a suspect.
pub const SINGLE_SNAPSHOT_REACTIONS: u64 = 100;

/// How a candidate is measured in each snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Probe {
    /// Entries and retained size of the object with this id.
    Node(u32),
    /// The object behind edge `.1` of object `.0` (a variable, a global): its entries (or,
    /// with a class, the instances of that class it dominates) and retained size.
    Edge(u32, String, Option<String>),
    /// Listeners of event `.1` on emitter `.0`.
    Listeners(u32, String),
    /// Active timers with this callback and API.
    Timers(String, &'static str),
    /// Pending reactions of the promise with this id.
    Reactions(u32),
    /// Detached DOM nodes dominated by the object with this id.
    Detached(u32),
}

impl Probe {
    fn unit(&self, kind: FindingKind) -> &'static str {
        match self {
            Self::Listeners(..) => "listeners",
            Self::Timers(..) => "timers",
            Self::Reactions(_) => "reactions",
            Self::Detached(_) => "nodes",
            Self::Edge(_, _, Some(_)) => "objects",
            Self::Node(_) | Self::Edge(..) if kind == FindingKind::External => "entries",
            _ => "entries",
        }
    }
}

/// A possible root cause, before it is measured.
pub struct Candidate {
    /// The pattern.
    pub kind: FindingKind,
    /// The object shown as the holder (last snapshot).
    pub holder: NodeIdx,
    /// Its recognisable name.
    pub name: String,
    /// The event, for listeners.
    pub event: Option<String>,
    /// How to measure it.
    pub probe: Probe,
    /// The objects the finding is about (last snapshot): what it holds is what these
    /// dominate.
    pub roots: Vec<NodeIdx>,
    /// The severity the pattern alone justifies (one snapshot).
    pub pattern: Severity,
    /// Found by growth of ids (rather than by a pattern alone).
    pub from_growth: bool,
    /// For timers: the API (`setInterval`, …).
    pub api: Option<&'static str>,
}

impl Candidate {
    fn key(&self) -> (FindingKind, u32, Probe) {
        (self.kind, self.holder.0, self.probe.clone())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Old,
    New,
    Fresh,
}

/// Per node of `last`: old (id in `first`), new (not in `first`, and in `prev` unless it
/// is `first`), fresh (allocated since `prev`). Merges the id-sorted node lists.
fn statuses(first: &Snapshot, prev: &Snapshot, last: &Snapshot) -> Vec<Status> {
    let ids =
        |s: &Snapshot| -> Vec<u32> { s.nodes_by_id().map(|n| s.node_id[n as usize]).collect() };
    let (first_ids, prev_ids) = rayon::join(|| ids(first), || ids(prev));
    let two = std::ptr::eq(first, prev);
    let mut status = vec![Status::Fresh; last.node_count()];
    let (mut i, mut j) = (0usize, 0usize);
    for n in last.nodes_by_id() {
        let id = last.node_id[n as usize];
        while i < first_ids.len() && first_ids[i] < id {
            i += 1;
        }
        while j < prev_ids.len() && prev_ids[j] < id {
            j += 1;
        }
        status[n as usize] = if first_ids.get(i) == Some(&id) {
            Status::Old
        } else if two || prev_ids.get(j) == Some(&id) {
            Status::New
        } else {
            Status::Fresh
        };
    }
    // The synthetic root is in every snapshot, whatever its id says (the walk starts there).
    status[last.root().0 as usize] = Status::Old;
    status
}

/// New objects under one holder (split by variable, property or event where the holder is a
/// scope, the global object or an `_events` object).
struct Group {
    owner: NodeIdx,
    split: Option<String>,
    top_new: Vec<NodeIdx>,
    new_count: u64,
    top_retained: u64,
    contexts: u64,
    max_depth: u32,
    external_bytes: u64,
    detached: u64,
}

/// Candidates from growth: one dominator-tree walk over the last snapshot.
pub fn growth_candidates(series: &[&Snapshot]) -> Vec<Candidate> {
    let (Some(&first), Some(&last)) = (series.first(), series.last()) else {
        return Vec::new();
    };
    let prev = series[series.len().saturating_sub(2)];
    let status = statuses(first, prev, last);
    let groups = walk(last, &status);
    groups
        .into_iter()
        .filter(|g| g.new_count >= MIN_GROWTH || g.top_retained >= 256 * 1024)
        .filter_map(|g| classify(last, g))
        .collect()
}

fn walk(s: &Snapshot, status: &[Status]) -> Vec<Group> {
    const NONE: u32 = u32::MAX;
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<(u32, Option<String>), u32> = HashMap::new();
    let mut splits: HashMap<u32, bool> = HashMap::new();
    let root = s.root();
    // (node, next dominated child, group, depth below the holder)
    let mut stack: Vec<(NodeIdx, usize, u32, u32)> = vec![(root, 0, NONE, 0)];
    while let Some(top) = stack.last_mut() {
        let (n, pos, group, depth) = *top;
        let Some(&child) = s.dominated.of(n.0 as usize).get(pos) else {
            stack.pop();
            continue;
        };
        top.1 += 1;
        let child = NodeIdx(child);
        let c = child.0 as usize;
        if status[c] == Status::Old {
            stack.push((child, 0, NONE, 0));
            continue;
        }
        let (g, d) = if group == NONE || status[n.0 as usize] == Status::Old {
            let owner = shapes::owner(s, n);
            let split = *splits.entry(owner.0).or_insert_with(|| {
                shapes::is_context(s, owner)
                    || shapes::is_global(s, owner)
                    || shapes::events_owner(s, owner).is_some()
            });
            let key_name = split.then(|| {
                shapes::edge_between(s, owner, child)
                    .or_else(|| shapes::edge_between(s, n, child))
                    .map_or_else(String::new, |e| s.edge_name(e).into_owned())
            });
            let key = (owner.0, key_name);
            let next = groups.len() as u32;
            let g = *index.entry(key.clone()).or_insert(next);
            if g == next {
                groups.push(Group {
                    owner,
                    split: key.1,
                    top_new: Vec::new(),
                    new_count: 0,
                    top_retained: 0,
                    contexts: 0,
                    max_depth: 0,
                    external_bytes: 0,
                    detached: 0,
                });
            }
            (g, 1)
        } else {
            (group, depth + 1)
        };
        if status[c] == Status::New {
            let acc = &mut groups[g as usize];
            acc.new_count += 1;
            if status[n.0 as usize] != Status::New {
                acc.top_new.push(child);
                acc.top_retained += s.retained_size(child);
            }
            acc.max_depth = acc.max_depth.max(d);
            let name = s.raw_name(child);
            if name == "system / Context" {
                acc.contexts += 1;
            } else if name == "system / JSArrayBufferData" {
                acc.external_bytes += s.self_size(child);
            }
            if shapes::is_detached_dom(s, child) {
                acc.detached += 1;
            }
        }
        stack.push((child, 0, g, d));
    }
    groups
}

fn majority_class<'a>(s: &'a Snapshot, nodes: &[NodeIdx]) -> Option<(&'a str, u32)> {
    super::most_common(nodes.iter().map(|&n| s.class_name(n)))
}

/// Names a growth group's pattern, or drops it (engine internals, Node's timer lists).
fn classify(s: &Snapshot, g: Group) -> Option<Candidate> {
    let owner = g.owner;
    let owner_type = s.node_type_name(owner);
    if owner == s.root() || matches!(owner_type, "synthetic" | "code") {
        return None;
    }
    if !shapes::user_reachable(s, owner) {
        return None;
    }
    let owner_class = s.class_name(owner);
    let top_class = majority_class(s, &g.top_new);
    if TIMER_CLASSES.contains(&owner_class)
        || top_class
            .is_some_and(|(c, k)| TIMER_CLASSES.contains(&c) && k * 2 >= g.top_new.len() as u32)
    {
        // Timers are counted by callback (see `pattern_candidates`).
        return None;
    }
    let id = s.node_id(owner);
    let base = |kind, holder, name: String, probe| Candidate {
        kind,
        holder,
        name,
        event: None,
        probe,
        roots: g.top_new.clone(),
        pattern: Severity::Info,
        from_growth: true,
        api: None,
    };
    // Listeners: the `_events` object split by event, or an event's listener Array.
    if let Some(emitter) = shapes::events_owner(s, owner) {
        let event = g.split.clone().filter(|e| !e.is_empty())?;
        return Some(listener_candidate(s, emitter, event, Severity::Info, true));
    }
    if let Some((events, e)) = shapes::primary_retainer(s, owner)
        && s.edge_kind(e) == EdgeKind::Property
        && let Some(emitter) = shapes::events_owner(s, events)
    {
        let event = s.edge_name(e).into_owned();
        return Some(listener_candidate(s, emitter, event, Severity::Info, true));
    }
    if owner_class == "Promise" {
        return Some(base(
            FindingKind::Promises,
            owner,
            shapes::holder_name(s, owner),
            Probe::Reactions(id),
        ));
    }
    if g.detached > 0 && g.detached * 2 >= g.new_count {
        return Some(base(
            FindingKind::DetachedDom,
            owner,
            shapes::holder_name(s, owner),
            Probe::Detached(id),
        ));
    }
    let split_name = g.split.clone().filter(|e| !e.is_empty());
    let kind = if g.external_bytes >= 64 * 1024 && g.external_bytes * 2 >= g.top_retained {
        FindingKind::External
    } else if g.contexts >= MIN_GROWTH && g.max_depth >= 20 {
        FindingKind::Closure
    } else if shapes::is_global(s, owner) {
        FindingKind::Global
    } else if owner_type == "object" {
        // Maps, Sets, Arrays, plain objects, module scopes and other objects used as one.
        FindingKind::Collection
    } else {
        FindingKind::Other
    };
    let scope = shapes::is_context(s, owner) || shapes::is_global(s, owner);
    if scope
        && matches!(kind, FindingKind::Collection | FindingKind::Global)
        && !g.top_new.iter().any(|&t| {
            // The variable's new value must be a collection: a single object assigned once
            // (lazy initialisation) is no accumulation.
            let head = shapes::head_under(s, owner, t);
            shapes::is_collection(s, head)
        })
    {
        return None;
    }
    let (name, probe) = match (&split_name, scope) {
        (Some(var), true) => {
            // A closure chain is counted by its main class (set once held classes are known).
            (var.clone(), Probe::Edge(id, var.clone(), None))
        }
        _ => (shapes::holder_name(s, owner), Probe::Node(id)),
    };
    if shapes::is_global(s, owner) && split_name.is_none() {
        return None;
    }
    Some(base(kind, owner, name, probe))
}

fn listener_candidate(
    s: &Snapshot,
    emitter: NodeIdx,
    event: String,
    pattern: Severity,
    from_growth: bool,
) -> Candidate {
    let (roots, _) = shapes::listeners(s, emitter, &event);
    Candidate {
        kind: FindingKind::Listeners,
        holder: emitter,
        name: shapes::holder_name(s, emitter),
        probe: Probe::Listeners(s.node_id(emitter), event.clone()),
        event: Some(event),
        roots,
        pattern,
        from_growth,
        api: None,
    }
}

/// Candidates from patterns in one snapshot: listeners piling up, timers by callback,
/// promises with many pending reactions, detached DOM.
pub fn pattern_candidates(s: &Snapshot) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (emitter, event, ls) in shapes::all_listener_slots(s) {
        if ls.len() <= MAX_LISTENERS {
            continue;
        }
        let same = super::most_common(ls.iter().map(|&l| s.raw_name(l))).map_or(0, |(_, k)| k);
        let pattern = if same as usize >= SINGLE_SNAPSHOT_LISTENERS {
            Severity::Leak
        } else {
            Severity::Suspect
        };
        out.push(listener_candidate(s, emitter, event, pattern, false));
    }
    let mut timers: HashMap<(String, &'static str), Vec<NodeIdx>> = HashMap::new();
    for t in shapes::active_timers(s) {
        timers.entry((t.callback, t.api)).or_default().push(t.node);
    }
    let mut timers: Vec<_> = timers.into_iter().collect();
    timers.sort_by(|a, b| a.0.cmp(&b.0));
    for ((callback, api), nodes) in timers {
        if (nodes.len() as u64) < MIN_GROWTH {
            continue;
        }
        let holder = shapes::owner(s, s.dominator(nodes[0]));
        out.push(Candidate {
            kind: FindingKind::Timers,
            holder,
            name: callback.clone(),
            event: None,
            probe: Probe::Timers(callback, api),
            pattern: if nodes.len() >= SINGLE_SNAPSHOT_TIMERS {
                Severity::Suspect
            } else {
                Severity::Info
            },
            roots: nodes,
            from_growth: false,
            api: Some(api),
        });
    }
    let [promise_names] = s.string_indexes(["Promise"]);
    let object = s.meta.nt.object;
    let promises: Vec<NodeIdx> = (0..s.node_count() as u32)
        .into_par_iter()
        .map(NodeIdx)
        .filter(|&n| {
            s.node_type[n.0 as usize] == object
                && promise_names.contains(&s.node_name[n.0 as usize])
                && shapes::promise_reactions(s, n) >= SINGLE_SNAPSHOT_REACTIONS
        })
        .collect();
    out.extend(promises.into_iter().map(|n| Candidate {
        kind: FindingKind::Promises,
        holder: n,
        name: shapes::holder_name(s, n),
        event: None,
        probe: Probe::Reactions(s.node_id(n)),
        roots: vec![n],
        pattern: Severity::Suspect,
        from_growth: false,
        api: None,
    }));
    out.extend(detached_candidates(s));
    out
}

/// Detached DOM nodes grouped by the nearest attached (or JavaScript) object that
/// dominates them.
fn detached_candidates(s: &Snapshot) -> Vec<Candidate> {
    // A detached node whose dominator is not detached is the top of a detached tree.
    // Without detached nodes (every Node.js snapshot) the column is empty.
    if s.detachedness.is_empty() {
        return Vec::new();
    }
    let mut by_holder: HashMap<u32, Vec<NodeIdx>> = HashMap::new();
    let tops: Vec<NodeIdx> = (0..s.node_count() as u32)
        .into_par_iter()
        .map(NodeIdx)
        .filter(|&n| {
            let d = s.dominator(n);
            n != d && shapes::is_detached_dom(s, n) && !shapes::is_detached_dom(s, d)
        })
        .collect();
    for n in tops {
        by_holder
            .entry(shapes::owner(s, s.dominator(n)).0)
            .or_default()
            .push(n);
    }
    let mut out: Vec<Candidate> = by_holder
        .into_iter()
        .filter(|(h, _)| NodeIdx(*h) != s.root())
        .map(|(h, roots)| {
            let holder = NodeIdx(h);
            Candidate {
                kind: FindingKind::DetachedDom,
                holder,
                name: shapes::holder_name(s, holder),
                event: None,
                probe: Probe::Detached(s.node_id(holder)),
                roots,
                pattern: Severity::Suspect,
                from_growth: false,
                api: None,
            }
        })
        .collect();
    out.sort_by_key(|c| s.node_id(c.holder));
    out
}

/// Measures a probe in one snapshot: (present, count, retained bytes).
fn measure(
    s: &Snapshot,
    probe: &Probe,
    timers: &mut Option<Vec<shapes::Timer>>,
) -> (bool, u64, u64) {
    match probe {
        Probe::Node(id) => s.find_by_id(*id).map_or((false, 0, 0), |n| {
            (true, shapes::entries(s, n), s.retained_size(n))
        }),
        Probe::Edge(id, edge, class) => {
            let Some(h) = s.find_by_id(*id) else {
                return (false, 0, 0);
            };
            let Some(t) = shapes::edge_target(s, h, edge).filter(|&t| !shapes::is_oddball(s, t))
            else {
                return (true, 0, 0);
            };
            let count = match class {
                Some(c) => subtree_count(s, t, &|n| s.class_name(n) == c),
                None => shapes::entries(s, t),
            };
            (true, count, s.retained_size(t))
        }
        Probe::Listeners(id, event) => s.find_by_id(*id).map_or((false, 0, 0), |n| {
            let (ls, slot) = shapes::listeners(s, n, event);
            let retained = slot.map_or(0, |x| s.retained_size(x));
            (true, ls.len() as u64, retained)
        }),
        Probe::Timers(callback, api) => {
            let all = timers.get_or_insert_with(|| shapes::active_timers(s));
            let mine: Vec<&shapes::Timer> = all
                .iter()
                .filter(|t| &t.callback == callback && t.api == *api)
                .collect();
            let retained = mine.iter().map(|t| s.retained_size(t.node)).sum();
            (true, mine.len() as u64, retained)
        }
        Probe::Reactions(id) => s.find_by_id(*id).map_or((false, 0, 0), |n| {
            (true, shapes::promise_reactions(s, n), s.retained_size(n))
        }),
        Probe::Detached(id) => s.find_by_id(*id).map_or((false, 0, 0), |n| {
            (
                true,
                subtree_count(s, n, &|x| shapes::is_detached_dom(s, x)),
                s.retained_size(n),
            )
        }),
    }
}

/// Nodes `pred` accepts in the dominator subtree of `n` (at most 20 M visited).
fn subtree_count(s: &Snapshot, n: NodeIdx, pred: &dyn Fn(NodeIdx) -> bool) -> u64 {
    let mut count = 0u64;
    let mut stack = vec![n];
    let mut visited = 0usize;
    while let Some(x) = stack.pop() {
        visited += 1;
        if visited > 20_000_000 {
            break;
        }
        if pred(x) {
            count += 1;
        }
        stack.extend(s.dominated(x));
    }
    count
}

/// Measures, grades and words the candidates.
pub fn finish(series: &[&Snapshot], candidates: Vec<Candidate>, multi: bool) -> Vec<Finding> {
    let Some(&last) = series.last() else {
        return Vec::new();
    };
    // One candidate per key; a growth candidate wins over a pattern one (keeping the
    // pattern's severity).
    let mut by_key: HashMap<(FindingKind, u32, Probe), Candidate> = HashMap::new();
    let mut order = Vec::new();
    for c in candidates {
        let key = c.key();
        match by_key.get_mut(&key) {
            Some(existing) => {
                existing.pattern = existing.pattern.max(c.pattern);
                existing.from_growth |= c.from_growth;
            }
            None => {
                order.push(key.clone());
                by_key.insert(key, c);
            }
        }
    }
    let mut timers: Vec<Option<Vec<shapes::Timer>>> = series.iter().map(|_| None).collect();
    let mut out = Vec::new();
    for key in order {
        let Some(c) = by_key.remove(&key) else {
            continue;
        };
        let skip_timers = c.kind == FindingKind::Timers;
        let held: Vec<HeldClass> = shapes::held_classes(last, &c.roots, &|n| {
            skip_timers && TIMER_CLASSES.contains(&last.class_name(n))
        });
        let mut c = c;
        if c.kind == FindingKind::Closure
            && let Probe::Edge(id, var, _) = &c.probe
            && let Some(top) = held
                .iter()
                .filter(|h| !shapes::is_internal_class(&h.class_name) && h.class_name != "Function")
                .max_by_key(|h| (h.count, h.retained_size))
        {
            c.probe = Probe::Edge(*id, var.clone(), Some(top.class_name.clone()));
        }
        let growth: Vec<GrowthPoint> = series
            .iter()
            .zip(timers.iter_mut())
            .enumerate()
            .map(|(i, (s, t))| {
                let (present, count, retained_size) = measure(s, &c.probe, t);
                GrowthPoint {
                    snapshot: i,
                    present,
                    count,
                    retained_size,
                }
            })
            .collect();
        let Some(severity) = grade(&c, &growth, multi) else {
            continue;
        };
        let retained_size = c.roots.iter().map(|&r| last.retained_size(r)).sum();
        let facts = Facts {
            kind: c.kind,
            severity,
            multi,
            snapshot_count: series.len(),
            name: &c.name,
            event: c.event.as_deref(),
            holder_class: last.class_name(c.holder),
            holder_display: shapes::display_name(last, c.holder),
            growth: &growth,
            unit: c.probe.unit(c.kind),
            held: &held,
            retained_size,
            roots: &c.roots,
            snapshot: last,
            api: c.api,
        };
        let (title, explanation, fix) = text::words(&facts);
        out.push(Finding {
            kind: c.kind,
            severity,
            title,
            holder: Holder {
                id: last.node_id(c.holder),
                class_name: last.class_name(c.holder).to_owned(),
                name: c.name.clone(),
                event: c.event.clone(),
                node: c.holder,
            },
            path: shapes::path_to(last, c.holder),
            unit: c.probe.unit(c.kind),
            growth,
            held_classes: held,
            retained_size,
            explanation,
            fix,
        });
    }
    out
}

/// The severity a measured candidate earns, or None to drop it.
fn grade(c: &Candidate, growth: &[GrowthPoint], multi: bool) -> Option<Severity> {
    if !multi {
        return (c.pattern > Severity::Info || !c.roots.is_empty()).then_some(c.pattern);
    }
    let counts: Vec<u64> = growth.iter().map(|g| g.count).collect();
    let bytes: Vec<u64> = growth.iter().map(|g| g.retained_size).collect();
    let rising = |v: &[u64]| v.windows(2).all(|w| w[1] > w[0]);
    let first = counts.first().copied().unwrap_or(0);
    let last = counts.last().copied().unwrap_or(0);
    let total = last.saturating_sub(first);
    if rising(&counts) && total >= MIN_GROWTH {
        return Some(Severity::Leak);
    }
    let (b0, b1) = (
        bytes.first().copied().unwrap_or(0),
        bytes.last().copied().unwrap_or(0),
    );
    let byte_growth = b1.saturating_sub(b0);
    if rising(&bytes) && byte_growth >= 1 << 20 && byte_growth * 5 >= b0 {
        return Some(Severity::Suspect);
    }
    // Growth that stopped before the last snapshot is a warm-up, not a leak.
    let last_step_grew = counts.len() >= 2 && counts[counts.len() - 1] > counts[counts.len() - 2];
    if total >= MIN_GROWTH && last_step_grew {
        return Some(Severity::Suspect);
    }
    // No growth: a pattern alone is at most suspect (and listeners at Node's own warning
    // threshold); a growth candidate that did not grow is dropped.
    if c.from_growth && c.pattern == Severity::Info {
        return None;
    }
    Some(c.pattern.min(Severity::Suspect))
}
