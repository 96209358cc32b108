//! The leak doctor: from one to N snapshots of one process to *findings*, each one root
//! cause with its holder, the path that keeps the holder alive, growth, what it holds, an
//! explanation and the fix the pattern calls for.
//!
//! # How it decides
//! - **Growth by object id** (two or more snapshots of one process). V8 keeps an object's id
//!   for its lifetime, so the last snapshot's nodes split into *old* (already in the first
//!   snapshot), *new* (allocated after the first; with three or more snapshots: and already
//!   in the one before last, the three-snapshot method) and *fresh* (allocated since the
//!   snapshot before last: possibly garbage in the making, never counted). One walk of the
//!   dominator tree gives each new object its *holder*: the nearest old object that dominates
//!   it (Eclipse MAT's accumulation point). Holders that are internal storage (a Map's table,
//!   `(object elements)`) are replaced by their owner; holders that are a module scope, the
//!   global object or an emitter's `_events` are split by the variable, property or event that
//!   leads to the new objects. Each group is then measured in every snapshot (entries,
//!   listeners, timers, bytes) and is a `leak` only when that measure grew at every step.
//! - **Patterns** (any snapshot, the only source with one): listeners of one function piling
//!   up on one event, active timers by callback, pending promises with many reactions,
//!   detached DOM trees. With one snapshot only an unmistakable pattern (hundreds of
//!   listeners of one function on one event) is a `leak`; the others are `suspect`.
//! - Snapshots of different processes (ids that name different objects) are never compared:
//!   the report says so and falls back to the last snapshot's patterns. Snapshots given out of
//!   order are put in the order they were taken (ids only grow) and the report says so.
//!
//! Node indexes in a [`Finding`] refer to the last snapshot.

mod census;
mod shapes;
mod text;

use std::collections::HashMap;

use serde::Serialize;

use super::{NodeIdx, Snapshot, id_agreement};

pub use text::{finding_markdown, findings_markdown, kinds_help, path_text};

pub(crate) use shapes::{display_name, path_to};

/// What kind of root cause a finding names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// A Map, Set, Array or plain object used as a cache or registry that grows.
    Collection,
    /// Listeners accumulating on an EventEmitter (per emitter and event name).
    Listeners,
    /// Timeout/Immediate objects never cleared.
    Timers,
    /// Closures whose shared context pins something large (the replaceThing chain).
    Closure,
    /// User-added properties of the global object.
    Global,
    /// ArrayBuffer/Buffer backing stores and other native memory growing.
    External,
    /// Pending promises accumulating.
    Promises,
    /// Detached DOM trees kept alive from JavaScript (browser snapshots).
    DetachedDom,
    /// Growth that fits none of the patterns above.
    Other,
}

impl FindingKind {
    /// The name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Collection => "collection",
            Self::Listeners => "listeners",
            Self::Timers => "timers",
            Self::Closure => "closure",
            Self::Global => "global",
            Self::External => "external",
            Self::Promises => "promises",
            Self::DetachedDom => "detached-dom",
            Self::Other => "other",
        }
    }
}

/// How sure the doctor is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; no sign of a leak.
    Info,
    /// Looks like a leak; more snapshots would tell.
    Suspect,
    /// Grew at every step (or, with one snapshot, an unmistakable pattern).
    Leak,
}

impl Severity {
    /// The name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Suspect => "suspect",
            Self::Leak => "leak",
        }
    }

    /// Parses `leak`, `suspect` or `info`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "leak" => Some(Self::Leak),
            "suspect" => Some(Self::Suspect),
            "info" => Some(Self::Info),
            _ => None,
        }
    }
}

/// Where things accumulate.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Holder {
    /// Snapshot object id (in the last snapshot).
    pub id: u32,
    /// Class name, as in the Summary.
    pub class_name: String,
    /// The name a person recognises: the variable, the property, the emitter's variable, the
    /// global's name or the timer callback.
    pub name: String,
    /// The event name, for listeners.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// The node in the last snapshot.
    #[serde(skip)]
    pub node: NodeIdx,
}

/// One hop of the path from a GC root to the holder.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PathStep {
    /// The edge from the previous step's object, as DevTools labels it (empty for the first).
    pub edge: String,
    /// The object's name as the Retainers pane shows it (closures by function name).
    pub name: String,
    /// Its class.
    pub class_name: String,
    /// Its id.
    pub id: u32,
    /// The node in the last snapshot.
    #[serde(skip)]
    pub node: NodeIdx,
}

/// The finding's measure in one snapshot.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrowthPoint {
    /// Position of the snapshot in the report's `snapshots`.
    pub snapshot: usize,
    /// Whether the holder exists in that snapshot.
    pub present: bool,
    /// Entries, listeners, timers or objects (see the finding's `unit`).
    pub count: u64,
    /// Bytes retained through the holder.
    pub retained_size: u64,
}

/// A class retained through the holder.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeldClass {
    /// Class name.
    pub class_name: String,
    /// Objects of the class.
    pub count: u32,
    /// Their retained size (objects inside another one of the class not counted twice).
    pub retained_size: u64,
    /// The objects (nodes of the last snapshot), by increasing id.
    #[serde(skip)]
    pub members: Vec<NodeIdx>,
}

/// One root cause.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The pattern.
    pub kind: FindingKind,
    /// How sure.
    pub severity: Severity,
    /// One line.
    pub title: String,
    /// Where things accumulate.
    pub holder: Holder,
    /// From a GC root to the holder.
    pub path: Vec<PathStep>,
    /// The measure in each snapshot.
    pub growth: Vec<GrowthPoint>,
    /// What the holder keeps alive (of the objects the finding is about), biggest first.
    pub held_classes: Vec<HeldClass>,
    /// Bytes those objects retain (in the last snapshot).
    pub retained_size: u64,
    /// In plain words.
    pub explanation: String,
    /// What the pattern calls for.
    pub fix: String,
    /// What `growth[].count` counts: entries, listeners, timers, objects, reactions, nodes.
    pub unit: &'static str,
}

/// One input snapshot.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotInfo {
    /// Base name of the file.
    pub file: String,
    /// Nodes.
    pub node_count: usize,
    /// DevTools' total size.
    pub total_size: u64,
    /// The largest JavaScript object id (allocation order).
    pub max_js_node_id: u32,
}

/// How growth was measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// One snapshot (or unrelated ones): patterns only.
    Single,
    /// Two snapshots of one process: objects new in the second.
    TwoSnapshots,
    /// Three or more: objects allocated between the first and the one before last that are
    /// still alive in the last.
    ThreeSnapshot,
}

/// The doctor's report.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnosis {
    /// The snapshots, in the order they were taken.
    pub snapshots: Vec<SnapshotInfo>,
    /// How growth was measured.
    pub method: Method,
    /// What the report can and cannot conclude.
    pub notes: Vec<String>,
    /// Most important first.
    pub findings: Vec<Finding>,
    /// Order of the inputs as analysed (`order[i]` = position of the i-th analysed snapshot
    /// in the caller's slice).
    #[serde(skip)]
    pub order: Vec<usize>,
}

impl Diagnosis {
    /// The most severe finding's severity.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// Diagnoses `snaps`, given in the order they were taken (the oldest first).
pub fn diagnose(snaps: &[&Snapshot]) -> Diagnosis {
    let mut notes = Vec::new();
    let mut order: Vec<usize> = (0..snaps.len()).collect();
    let max_ids: Vec<u32> = snaps.iter().map(|s| s.max_js_node_id()).collect();
    order.sort_by_key(|&i| (max_ids[i], i));
    if order.iter().enumerate().any(|(k, &i)| k != i) {
        let names: Vec<String> = order.iter().map(|&i| snaps[i].file_name()).collect();
        notes.push(format!(
            "The snapshots were given out of order; they were analysed in the order they were taken (by object ids, which only grow): {}.",
            names.join(", ")
        ));
    }
    let sorted: Vec<&Snapshot> = order.iter().map(|&i| snaps[i]).collect();
    let infos = sorted
        .iter()
        .zip(order.iter().map(|&i| max_ids[i]))
        .map(|(s, max_js_node_id)| SnapshotInfo {
            file: s.file_name(),
            node_count: s.node_count(),
            total_size: s.total_size(),
            max_js_node_id,
        })
        .collect();

    let related = sorted.len() >= 2 && related_chain(&sorted, &mut notes);
    let (method, series): (Method, &[&Snapshot]) = if related {
        let m = if sorted.len() >= 3 {
            Method::ThreeSnapshot
        } else {
            Method::TwoSnapshots
        };
        (m, &sorted)
    } else {
        (Method::Single, &sorted[sorted.len().saturating_sub(1)..])
    };
    let Some(&last) = series.last() else {
        return Diagnosis {
            snapshots: infos,
            method,
            notes,
            findings: Vec::new(),
            order,
        };
    };
    match method {
        Method::Single if snaps.len() == 1 => notes.push(
            "One snapshot: only patterns can be seen (nothing can be said to grow). Take two or three snapshots of the same process, some work apart, to measure growth.".to_owned(),
        ),
        Method::TwoSnapshots => notes.push(
            "Two snapshots: growth is what the second holds that the first did not. A third snapshot after more of the same work would separate a leak from a warm-up (the three-snapshot method).".to_owned(),
        ),
        _ => {}
    }

    let mut candidates = Vec::new();
    if series.len() >= 2 {
        candidates.extend(census::growth_candidates(series));
    }
    candidates.extend(census::pattern_candidates(last));
    let mut findings = census::finish(series, candidates, series.len() >= 2);
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.retained_size.cmp(&a.retained_size))
            .then(a.holder.id.cmp(&b.holder.id))
            .then_with(|| a.title.cmp(&b.title))
    });
    let offset = sorted.len() - series.len();
    for f in &mut findings {
        for g in &mut f.growth {
            g.snapshot += offset;
        }
    }
    Diagnosis {
        snapshots: infos,
        method,
        notes,
        findings,
        order,
    }
}

/// True when each snapshot shares ids with the next and those ids name the same objects.
fn related_chain(sorted: &[&Snapshot], notes: &mut Vec<String>) -> bool {
    for pair in sorted.windows(2) {
        let (common, differing) = id_agreement(pair[0], pair[1]);
        if common == 0 || differing * 2 > common {
            notes.push(format!(
                "{} and {} do not come from one process (of {} ids in both, {} name different objects), so nothing is compared between them: only the last snapshot's patterns are reported, and no growth is claimed.",
                pair[0].file_name(),
                pair[1].file_name(),
                common,
                differing
            ));
            return false;
        }
    }
    true
}

/// Counts per key, for picking the most common name.
pub(crate) fn most_common<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<(&'a str, u32)> {
    let mut counts: HashMap<&str, u32> = HashMap::new();
    for n in names {
        *counts.entry(n).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
}
