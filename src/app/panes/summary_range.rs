//! The Summary's "Objects allocated before / between …" filter, as DevTools' Summary filter
//! dropdown (`HeapSnapshotView.updateFilterOptions`, `NodeFilter(minNodeId, maxNodeId)`).
//!
//! DevTools lists its snapshots in the order they were taken and offers "Objects allocated
//! before Snapshot 1" (`0 < id <= max₁`) and "Objects allocated between Snapshot k−1 and
//! Snapshot k" (`maxₖ₋₁ < id <= maxₖ`), where `max` is a snapshot's largest JavaScript object
//! id. Here the order is the comparison slots' (baseline, target, final). The Summary of a
//! snapshot in a slot is offered the ranges up to its own slot (later ranges hold no object
//! of it); a snapshot in no slot is offered them all.
//!
//! It also offers DevTools' "Duplicated strings" (string objects whose text another one
//! repeats: [`Snapshot::duplicated_strings`]), with one snapshot open or more.
//!
//! The filtered aggregates are computed on a worker and kept per (shown snapshot, range), so
//! switching back is instant. A choice and its result are forgotten once the range is no
//! longer offered (a snapshot it names left its slot or was closed).

use std::sync::Arc;

use crate::snapshot::allocation::CallerPath;
use crate::snapshot::{Aggregates, Snapshot};

use super::super::document::{DocId, Document, Documents};
use super::super::jobs::{Poll, Promise};
use super::super::role::Role;
use super::super::roles::{self, Roles};

pub use super::super::range_key::RangeKey;

/// The Allocation row whose objects the Summary may show: offered for one snapshot.
#[derive(Clone, Debug)]
pub struct AllocationOffer {
    /// The snapshot whose Allocation view it came from.
    pub doc: DocId,
    /// Tells this choice from earlier ones (the key's number).
    pub generation: u32,
    /// The row: the allocating function, then its callers.
    pub path: CallerPath,
    /// `Objects allocated by f (script:line:col)`.
    pub label: String,
}

/// The label of the "Duplicated strings" entry, as in DevTools.
pub const DUPLICATED_STRINGS: &str = "Duplicated strings";

/// A range offered in the Summary's filter box.
#[derive(Clone)]
pub struct RangeOption {
    /// Which range.
    pub key: RangeKey,
    /// `Objects allocated between a.heapsnapshot and b.heapsnapshot`.
    pub label: String,
    after: Option<Arc<Snapshot>>,
    upto: Arc<Snapshot>,
    allocation: Option<CallerPath>,
}

impl std::fmt::Debug for RangeOption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RangeOption")
            .field("key", &self.key)
            .field("label", &self.label)
            .finish()
    }
}

/// The Summary of one snapshot restricted to one range.
#[derive(Debug)]
pub struct RangeResult {
    /// The snapshot the aggregates describe.
    pub shown: DocId,
    /// The range.
    pub key: RangeKey,
    /// The filtered Summary rows and members.
    pub aggregates: Aggregates,
    /// Objects with ids above this one pass ...
    pub min_exclusive: u32,
    /// ... up to and including this one.
    pub max_inclusive: u32,
    /// Number of objects that passed (the rows' counts summed).
    pub object_count: u64,
}

/// The filters offered for the Summary of `shown`: the id ranges (none with a single
/// snapshot open), "Duplicated strings", then the Allocation row chosen for it, if any.
pub fn offers(
    docs: &Documents,
    roles: &Roles,
    shown: DocId,
    allocation: Option<&AllocationOffer>,
) -> Vec<RangeOption> {
    let Some(shown_doc) = roles::find(docs, shown) else {
        return Vec::new();
    };
    let mut out = id_ranges(docs, roles, shown);
    out.push(RangeOption {
        key: RangeKey::DuplicatedStrings,
        label: DUPLICATED_STRINGS.to_owned(),
        after: None,
        upto: Arc::clone(&shown_doc.snapshot),
        allocation: None,
    });
    if let Some(offer) = allocation.filter(|o| o.doc == shown) {
        out.push(RangeOption {
            key: RangeKey::AllocatedBy(offer.generation),
            label: offer.label.clone(),
            after: None,
            upto: Arc::clone(&shown_doc.snapshot),
            allocation: Some(offer.path.clone()),
        });
    }
    out
}

/// The "Objects allocated before / between" ranges offered for `shown` (none with a single
/// snapshot open).
fn id_ranges(docs: &Documents, roles: &Roles, shown: DocId) -> Vec<RangeOption> {
    if docs.all().len() < 2 {
        return Vec::new();
    }
    let mut chain: Vec<&Document> = Vec::new();
    for role in Role::ALL {
        if let Some(doc) = roles.doc(role).and_then(|id| roles::find(docs, id))
            && !chain.iter().any(|d| d.id == doc.id)
        {
            chain.push(doc);
        }
    }
    let last = chain
        .iter()
        .position(|d| d.id == shown)
        .unwrap_or(chain.len().saturating_sub(1));
    let mut out = Vec::new();
    for (i, upto) in chain.iter().enumerate().take(last + 1) {
        let after = i.checked_sub(1).map(|j| chain[j]);
        let upto_name = upto.source.display_name();
        let label = match after {
            None => format!("Objects allocated before {upto_name}"),
            Some(a) => format!(
                "Objects allocated between {} and {upto_name}",
                a.source.display_name()
            ),
        };
        out.push(RangeOption {
            key: RangeKey::Ids {
                after: after.map(|a| a.id),
                upto: upto.id,
            },
            label,
            after: after.map(|a| Arc::clone(&a.snapshot)),
            upto: Arc::clone(&upto.snapshot),
            allocation: None,
        });
    }
    out
}

/// A `--summary-filter` choice, in slot terms (the snapshots are not loaded yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartFilter {
    /// Objects allocated after the first slot's snapshot (None: from the start) up to the
    /// second's.
    Ids(Option<Role>, Role),
    /// DevTools' "Duplicated strings".
    DuplicatedStrings,
}

/// Parses `--summary-filter`: `all` (None), `duplicated-strings`, `before-baseline`, or
/// `ROLE-ROLE` such as `baseline-target` (objects allocated after the first slot's snapshot
/// up to the second).
pub fn parse_start_filter(text: &str) -> Option<Option<StartFilter>> {
    let role = |name: &str| {
        Role::ALL
            .into_iter()
            .find(|r| r.label().eq_ignore_ascii_case(name))
    };
    let text = text.trim().to_ascii_lowercase();
    if text == "all" {
        return Some(None);
    }
    if text == "duplicated-strings" {
        return Some(Some(StartFilter::DuplicatedStrings));
    }
    if let Some(upto) = text.strip_prefix("before-") {
        return Some(Some(StartFilter::Ids(None, role(upto)?)));
    }
    let (after, upto) = text.split_once('-')?;
    let (after, upto) = (role(after)?, role(upto)?);
    (after != upto).then_some(Some(StartFilter::Ids(Some(after), upto)))
}

/// Computes the filtered aggregates (walks the whole graph: run it on a worker).
fn compute(shown: DocId, snapshot: &Snapshot, option: &RangeOption) -> RangeResult {
    let (min_exclusive, max_inclusive, aggregates) = match option.key {
        RangeKey::Ids { .. } => {
            let min_exclusive = option.after.as_ref().map_or(0, |s| s.max_js_node_id());
            let max_inclusive = option.upto.max_js_node_id();
            let aggregates = snapshot.aggregates_in_id_range(min_exclusive, max_inclusive);
            (min_exclusive, max_inclusive, aggregates)
        }
        RangeKey::DuplicatedStrings => (0, 0, snapshot.aggregates_of_duplicated_strings()),
        RangeKey::AllocatedBy(_) => {
            let aggregates = option
                .allocation
                .as_ref()
                .map_or_else(Aggregates::default, |p| snapshot.aggregates_allocated_by(p));
            (0, 0, aggregates)
        }
    };
    let object_count = aggregates
        .classes()
        .iter()
        .map(|c| u64::from(c.count))
        .sum();
    RangeResult {
        shown,
        key: option.key,
        aggregates,
        min_exclusive,
        max_inclusive,
        object_count,
    }
}

struct Job {
    shown: DocId,
    key: RangeKey,
    promise: Promise<RangeResult>,
}

/// The filter's state: the ranges offered for the shown snapshot, the choice per snapshot,
/// computed results and the job in flight.
#[derive(Default)]
pub struct RangeFilter {
    shown: Option<(DocId, Arc<Snapshot>)>,
    offered: Vec<RangeOption>,
    chosen: Vec<(DocId, RangeKey)>,
    results: Vec<Arc<RangeResult>>,
    job: Option<Job>,
    synced: Option<(u64, Option<DocId>, usize, u32)>,
    allocation: Option<AllocationOffer>,
}

impl RangeFilter {
    /// Once per frame: follows the open snapshots and slots, forgets choices and results
    /// that no longer apply, starts the job the current choice needs and collects it.
    pub fn sync(&mut self, ctx: &egui::Context, docs: &Documents, roles: &Roles) {
        let active = docs.active().map(|d| d.id);
        let generation = self.allocation.as_ref().map_or(0, |o| o.generation);
        let key = (roles.generation(), active, docs.all().len(), generation);
        if self.synced != Some(key) {
            self.synced = Some(key);
            self.shown = docs.active().map(|d| (d.id, Arc::clone(&d.snapshot)));
            let allocation = self.allocation.as_ref();
            self.offered = active.map_or_else(Vec::new, |id| offers(docs, roles, id, allocation));
            let offered = |doc: DocId, key: RangeKey| {
                offers(docs, roles, doc, allocation)
                    .iter()
                    .any(|o| o.key == key)
            };
            self.chosen.retain(|&(doc, key)| offered(doc, key));
            self.results.retain(|r| offered(r.shown, r.key));
            if self.job.as_ref().is_some_and(|j| !offered(j.shown, j.key)) {
                self.job = None;
            }
        }
        if let Some(job) = self.job.as_mut() {
            match job.promise.try_take() {
                Poll::Pending => {}
                Poll::Ready(result) => {
                    log::debug!(
                        "{} objects with {} < id <= {}",
                        result.object_count,
                        result.min_exclusive,
                        result.max_inclusive
                    );
                    self.results.push(Arc::new(result));
                    self.job = None;
                }
                Poll::Lost => {
                    // Not retried: the choice falls back to all objects.
                    let (shown, key) = (job.shown, job.key);
                    self.chosen.retain(|&(d, k)| (d, k) != (shown, key));
                    self.job = None;
                }
            }
        }
        self.start_job(ctx);
    }

    fn start_job(&mut self, ctx: &egui::Context) {
        let Some((shown, snapshot)) = self.shown.clone() else {
            return;
        };
        let Some(option) = self.chosen_option().cloned() else {
            return;
        };
        if self.result_for(shown).is_some()
            || self
                .job
                .as_ref()
                .is_some_and(|j| j.shown == shown && j.key == option.key)
        {
            return;
        }
        // A newer choice supersedes a running job (its result is dropped when it ends).
        let key = option.key;
        let promise = Promise::spawn("summary id range", ctx, move || {
            compute(shown, &snapshot, &option)
        });
        self.job = Some(Job {
            shown,
            key,
            promise,
        });
    }

    /// The ranges offered for the shown snapshot.
    pub fn offered(&self) -> &[RangeOption] {
        &self.offered
    }

    /// The range chosen for the shown snapshot (None: all objects).
    pub fn chosen_option(&self) -> Option<&RangeOption> {
        let (shown, _) = self.shown.as_ref()?;
        let key = self.chosen_key(*shown)?;
        self.offered.iter().find(|o| o.key == key)
    }

    fn chosen_key(&self, doc: DocId) -> Option<RangeKey> {
        self.chosen
            .iter()
            .find(|(d, _)| *d == doc)
            .map(|&(_, key)| key)
    }

    /// Chooses the range (None: all objects) for snapshot `doc`, if it is offered there.
    /// Returns false when it is not.
    pub fn choose(
        &mut self,
        docs: &Documents,
        roles: &Roles,
        doc: DocId,
        key: Option<RangeKey>,
    ) -> bool {
        self.chosen.retain(|(d, _)| *d != doc);
        let Some(key) = key else {
            return true;
        };
        if !offers(docs, roles, doc, self.allocation.as_ref())
            .iter()
            .any(|o| o.key == key)
        {
            return false;
        }
        self.chosen.push((doc, key));
        true
    }

    /// The computed result of the range chosen for `doc`, if it is there.
    pub fn result_for(&self, doc: DocId) -> Option<&Arc<RangeResult>> {
        let key = self.chosen_key(doc)?;
        self.results.iter().find(|r| r.shown == doc && r.key == key)
    }

    /// True while the range chosen for `doc` is being computed.
    pub fn is_pending(&self, doc: DocId) -> bool {
        self.chosen_key(doc).is_some() && self.result_for(doc).is_none()
    }

    /// Offers the live objects of an Allocation row of snapshot `doc` (replacing the row
    /// offered before); returns the key to choose it with.
    pub fn offer_allocation(&mut self, doc: DocId, path: CallerPath, label: String) -> RangeKey {
        let generation = self.allocation.as_ref().map_or(1, |o| o.generation + 1);
        self.allocation = Some(AllocationOffer {
            doc,
            generation,
            path,
            label,
        });
        RangeKey::AllocatedBy(generation)
    }

    /// The Allocation row offered, if any.
    pub fn allocation(&self) -> Option<&AllocationOffer> {
        self.allocation.as_ref()
    }

    /// Number of results kept (for tests).
    pub fn cached_count(&self) -> usize {
        self.results.len()
    }
}
