//! What the Summary's range filter shows (a leaf module: commands carry it, the Summary
//! pane computes it).

use super::document::DocId;

/// A filter of the Summary: a range of object ids, named by the snapshots whose largest JS
/// ids bound it, or DevTools' "Duplicated strings".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RangeKey {
    /// Objects allocated after `after` was taken (`None`: from the start) and before `upto`
    /// was taken (ids up to its largest JS id).
    Ids {
        /// The earlier snapshot.
        after: Option<DocId>,
        /// The later snapshot.
        upto: DocId,
    },
    /// Strings whose text another string object repeats (needs no other snapshot).
    DuplicatedStrings,
    /// Live objects allocated through the Allocation row chosen last (the number tells
    /// one choice from the next, so results are not mixed up).
    AllocatedBy(u32),
}
