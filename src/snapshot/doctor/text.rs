//! The words: titles, explanations, fixes, the Markdown report and the kinds' help text.

use super::super::{NodeIdx, Snapshot};
use super::{Diagnosis, FindingKind, GrowthPoint, HeldClass, Method, Severity};
use crate::format;

/// What a finding's text is made of.
pub struct Facts<'a> {
    pub kind: FindingKind,
    pub severity: Severity,
    pub multi: bool,
    pub snapshot_count: usize,
    pub name: &'a str,
    pub event: Option<&'a str>,
    pub holder_class: &'a str,
    pub holder_display: String,
    pub growth: &'a [GrowthPoint],
    pub unit: &'static str,
    pub held: &'a [HeldClass],
    pub retained_size: u64,
    pub roots: &'a [NodeIdx],
    pub snapshot: &'a Snapshot,
    pub api: Option<&'static str>,
}

impl Facts<'_> {
    fn last_count(&self) -> u64 {
        self.growth.last().map_or(0, |g| g.count)
    }

    /// `0 → 100 → 200 listeners`, or `300 listeners` with one snapshot.
    fn series(&self) -> String {
        let counts: Vec<String> = self.growth.iter().map(|g| format::count(g.count)).collect();
        format!("{} {}", counts.join(" → "), self.unit)
    }

    /// The program classes held, e.g. `UserProfile ×100 (42 kB)`, at most three.
    fn held_text(&self) -> String {
        let program: Vec<&HeldClass> = self
            .held
            .iter()
            .filter(|h| !super::shapes::is_internal_class(&h.class_name))
            .take(3)
            .collect();
        let list = if program.is_empty() {
            self.held.iter().take(3).collect()
        } else {
            program
        };
        list.iter()
            .map(|h| {
                format!(
                    "{} ×{} ({})",
                    h.class_name,
                    format::count(u64::from(h.count)),
                    format::bytes(h.retained_size)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn main_function(&self) -> String {
        super::most_common(
            self.roots
                .iter()
                .filter(|&&r| self.snapshot.node_type_name(r) == "closure")
                .map(|&r| self.snapshot.raw_name(r)),
        )
        .map_or_else(
            || "(anonymous function)".to_owned(),
            |(n, _)| {
                if n.is_empty() {
                    "(anonymous function)".to_owned()
                } else {
                    n.to_owned()
                }
            },
        )
    }

    fn growth_clause(&self) -> String {
        if !self.multi {
            return "in this one snapshot".to_owned();
        }
        match self.severity {
            Severity::Leak => format!("grew at every one of the {} snapshots", self.snapshot_count),
            _ => "did not grow steadily across the snapshots".to_owned(),
        }
    }
}

/// (title, explanation, fix) of a finding.
pub fn words(f: &Facts<'_>) -> (String, String, String) {
    let held = f.held_text();
    let bytes = format::bytes(f.retained_size);
    let n = format::count(f.last_count());
    match f.kind {
        FindingKind::Listeners => {
            let func = f.main_function();
            let event = f.event.unwrap_or("");
            (
                format!(
                    "{n} listeners `{func}` on {} `{}`, event '{event}'",
                    f.holder_class, f.name
                ),
                format!(
                    "{}: listeners of '{event}' on {} `{}` {}; one is added per operation and never removed. Each keeps what its closure captured alive: {held}; {bytes} in all.",
                    f.series(),
                    f.holder_class,
                    f.name,
                    f.growth_clause()
                ),
                format!(
                    "Remove the listener when its owner is done (`{}.off('{event}', {func})` on close or end), use `once` for one-shot listeners, or pass an AbortSignal (`{{ signal }}`) and abort it with the request. Don't silence MaxListenersExceededWarning with setMaxListeners(0).",
                    f.name
                ),
            )
        }
        FindingKind::Timers => {
            let api = f.api.unwrap_or("setInterval");
            let what = if api == "setTimeout" {
                "re-armed or pending setTimeout"
            } else {
                api
            };
            (
                format!("{n} active timers `{}` ({what}) never cleared", f.name),
                format!(
                    "{}: Timeout objects whose callback is `{}` {}. Node's timer list keeps each one, its callback and everything the callback captured alive until it is cleared: {held}; {bytes} in all.",
                    f.series(),
                    f.name,
                    f.growth_clause()
                ),
                format!(
                    "Tie the timer to its owner's lifetime: keep the handle and call `clear{}` when the owner closes (the socket's 'close', the request's end); stop re-arming a setTimeout once the work is done; `timer.unref()` only lets the process exit, it does not free the memory.",
                    if api == "setTimeout" { "Timeout" } else { "Interval" }
                ),
            )
        }
        FindingKind::Promises => (
            format!("{n} pending reactions on Promise `{}`", f.name),
            format!(
                "{}: callers awaiting (or `.then`-ing) the promise `{}`, which never settles, {}. Each suspended call keeps its frame alive: {held}; {bytes} in all.",
                f.series(),
                f.name,
                f.growth_clause()
            ),
            "Settle the promise (resolve or reject it when the awaited thing fails or is abandoned), or race it against a timeout or an AbortSignal so waiters give up; don't share one never-settling promise between requests.".to_owned(),
        ),
        FindingKind::Closure => (
            format!("Closures chained through `{}` keep {held}", f.name),
            format!(
                "{}: each new value of `{}` holds a closure whose shared scope captures the previous value, so every replacement keeps all earlier ones alive (the replaceThing pattern); {}. Retained: {held}; {bytes} in all.",
                f.series(),
                f.name,
                f.growth_clause()
            ),
            format!(
                "Narrow the closure's scope: V8 shares one context among all closures of a scope, so a variable used by any of them (here the previous `{}`) is kept by all. Set it to null once used, move the closure that needs it to its own function, or don't capture the old value.",
                f.name
            ),
        ),
        FindingKind::Global => (
            format!("Global `{}` grows: {held}", f.name),
            format!(
                "{}: the property `{}` of the global object {}. A global lives as long as the process; in sloppy mode an assignment to an undeclared variable creates one by accident. Retained: {held}; {bytes} in all.",
                f.series(),
                f.name,
                f.growth_clause()
            ),
            format!(
                "Declare the variable (`let`/`const {}`) in the scope that owns it and add 'use strict' (or use ES modules) so undeclared assignments throw; if the global is meant, bound what it holds.",
                f.name
            ),
        ),
        FindingKind::External => (
            format!("Buffers held by `{}` grow: {held}", f.name),
            format!(
                "{}: {} `{}` {} and keeps ArrayBuffer backing stores (native memory outside the JS heap, `external`/`arrayBuffers` in process.memoryUsage()) alive: {held}; {bytes} in all.",
                f.series(),
                f.holder_class,
                f.name,
                f.growth_clause()
            ),
            "Stream the data instead of holding it, release buffers back to the pool (or drop the references) when a request ends, and bound the pool's size; Buffer.subarray/slice views keep their whole parent buffer alive, copy what you keep.".to_owned(),
        ),
        FindingKind::DetachedDom => (
            format!("{n} detached DOM nodes kept by `{}`", f.name),
            format!(
                "{}: DOM nodes removed from the document but still referenced from `{}` ({}), {}. Retained: {held}; {bytes} in all.",
                f.series(),
                f.name,
                f.holder_display,
                f.growth_clause()
            ),
            "Drop the references to removed nodes (clear arrays and maps of elements, remove listeners that close over them, disconnect observers) when the view is torn down; prefer WeakRef/WeakMap for element side tables.".to_owned(),
        ),
        FindingKind::Collection => (
            format!(
                "{} `{}` grows: {}",
                f.holder_class,
                f.name,
                f.series()
            ),
            format!(
                "{} `{}` {} ({}): entries are added and never removed, the pattern of an unbounded cache or registry. It holds {held}; {bytes} in all.",
                f.holder_class,
                f.name,
                f.growth_clause(),
                f.series()
            ),
            "Bound it: an LRU with a max size and a TTL (e.g. npm lru-cache with `max`/`ttl`), delete entries when their owner goes away, or key a side table by the object with a WeakMap so entries die with their keys.".to_owned(),
        ),
        FindingKind::Other => (
            format!("{} `{}` keeps growing", f.holder_class, f.name),
            format!(
                "{}: objects allocated between the snapshots stay alive under {} `{}` ({}). Retained: {held}; {bytes} in all.",
                f.series(),
                f.holder_class,
                f.name,
                f.growth_clause()
            ),
            "Find who adds to it (the path below shows where it hangs) and release what is no longer needed.".to_owned(),
        ),
    }
}

/// The report as Markdown (for tickets and `File → Export findings`).
pub fn findings_markdown(d: &Diagnosis) -> String {
    let mut out = String::from("# heapsight leak doctor\n\n");
    let files: Vec<String> = d
        .snapshots
        .iter()
        .map(|s| format!("`{}`", s.file))
        .collect();
    out.push_str(&format!(
        "Snapshots: {} ({}).\n\n",
        files.join(", "),
        match d.method {
            Method::Single => "patterns only",
            Method::TwoSnapshots => "growth between two snapshots",
            Method::ThreeSnapshot => "three-snapshot method",
        }
    ));
    for n in &d.notes {
        out.push_str(&format!("> {n}\n\n"));
    }
    if d.findings.is_empty() {
        out.push_str("No findings: nothing grew and no leak pattern was seen.\n");
    }
    for (i, f) in d.findings.iter().enumerate() {
        out.push_str(&finding_markdown(d, i, f));
    }
    out
}

/// One finding as a Markdown section (`## n. [severity] title`, facts, held classes,
/// explanation and fix), as [`findings_markdown`] writes it and "Copy as Markdown" copies it.
pub fn finding_markdown(d: &Diagnosis, i: usize, f: &super::Finding) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "## {}. [{}] {}\n\n- kind: `{}`\n- holder: {} `{}` @{}{}\n",
        i + 1,
        f.severity.as_str(),
        f.title,
        f.kind.as_str(),
        f.holder.class_name,
        f.holder.name,
        f.holder.id,
        f.holder
            .event
            .as_ref()
            .map(|e| format!(", event '{e}'"))
            .unwrap_or_default()
    ));
    let growth: Vec<String> = f
        .growth
        .iter()
        .map(|g| {
            format!(
                "{}: {} {} ({})",
                d.snapshots.get(g.snapshot).map_or("", |s| s.file.as_str()),
                format::count(g.count),
                f.unit,
                format::bytes(g.retained_size)
            )
        })
        .collect();
    out.push_str(&format!("- growth: {}\n", growth.join("; ")));
    out.push_str(&format!("- path: {}\n", path_text(f)));
    out.push_str("\n| held class | count | retained |\n|---|---:|---:|\n");
    for h in f.held_classes.iter().take(10) {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            h.class_name.replace('|', "\\|"),
            format::count(u64::from(h.count)),
            format::bytes(h.retained_size)
        ));
    }
    out.push_str(&format!("\n{}\n\n**Fix:** {}\n\n", f.explanation, f.fix));
    out
}

/// `global → .x → ->cache Map @12`, as one line.
pub fn path_text(f: &super::Finding) -> String {
    f.path
        .iter()
        .map(|p| {
            if p.edge.is_empty() {
                format!("{} @{}", p.name, p.id)
            } else {
                format!("{} {} @{}", p.edge, p.name, p.id)
            }
        })
        .collect::<Vec<_>>()
        .join(" → ")
}

/// The kinds, explained (for `heapsight doctor --help`).
pub fn kinds_help() -> &'static str {
    "Kinds of finding:\n  \
collection    a Map, Set, Array or object used as a cache or registry that grows\n  \
listeners     listeners piling up on an EventEmitter, per emitter and event\n  \
timers        Timeout/Immediate objects never cleared (setInterval, re-armed setTimeout)\n  \
closure       closures whose shared scope chains old values (the replaceThing leak)\n  \
global        user-added properties of the global object (accidental globals)\n  \
external      ArrayBuffer/Buffer backing stores (native memory) growing\n  \
promises      pending promises whose waiters pile up\n  \
detached-dom  detached DOM trees kept alive from JavaScript (browser snapshots)\n  \
other         growth that fits none of these\n\n\
Severity: leak (grew at every snapshot; with one snapshot only an unmistakable pattern such as\n\
hundreds of listeners of one function on one event), suspect, info.\n\
With two or three snapshots of one process growth is measured by object id (three: objects\n\
allocated between the first two and still alive in the last); with one, only patterns."
}
