//! The selection shared by every pane, with back/forward history.
//!
//! Only the app changes it (from `Command::Select`); panes read it each frame and compare
//! [`Selection::generation`] with the one they last saw to react once to a change.

use crate::snapshot::NodeIdx;

use super::command::PaneId;
use super::document::DocId;

/// Longest back history kept.
const MAX_HISTORY: usize = 100;

/// The selected node of the active snapshot.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    node: Option<NodeIdx>,
    origin: Option<PaneId>,
    generation: u64,
    back: Vec<NodeIdx>,
    forward: Vec<NodeIdx>,
}

impl Selection {
    /// The selected node.
    pub fn node(&self) -> Option<NodeIdx> {
        self.node
    }

    /// The pane the selection was made in.
    pub fn origin(&self) -> Option<PaneId> {
        self.origin
    }

    /// Bumped on every change.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// For a pane that follows the selection: the node selected in another pane since the
    /// pane last looked (`seen` holds the generation it saw and is brought up to date).
    /// `None` when nothing changed, when the pane made the selection itself, or when the
    /// selection was cleared.
    pub fn changed_elsewhere(&self, seen: &mut u64, pane: PaneId) -> Option<NodeIdx> {
        if *seen == self.generation {
            return None;
        }
        *seen = self.generation;
        if self.origin == Some(pane) {
            return None;
        }
        self.node
    }

    /// Selects `node` (recording the previous one for [`Selection::back`]).
    pub fn select(&mut self, node: NodeIdx, origin: PaneId) {
        if let Some(prev) = self.node
            && prev != node
        {
            self.back.push(prev);
            if self.back.len() > MAX_HISTORY {
                self.back.remove(0);
            }
            self.forward.clear();
        }
        self.node = Some(node);
        self.origin = Some(origin);
        self.generation += 1;
    }

    /// Goes back to the previously selected node; true if there was one.
    pub fn back(&mut self) -> bool {
        let Some(prev) = self.back.pop() else {
            return false;
        };
        if let Some(cur) = self.node {
            self.forward.push(cur);
        }
        self.node = Some(prev);
        self.origin = Some(PaneId::External);
        self.generation += 1;
        true
    }

    /// Undoes [`Selection::back`]; true if there was a node to go to.
    pub fn forward(&mut self) -> bool {
        let Some(next) = self.forward.pop() else {
            return false;
        };
        if let Some(cur) = self.node {
            self.back.push(cur);
        }
        self.node = Some(next);
        self.origin = Some(PaneId::External);
        self.generation += 1;
        true
    }

    /// Forgets the selection and history (another snapshot became active).
    pub fn clear(&mut self) {
        let generation = self.generation + 1;
        *self = Self {
            generation,
            ..Self::default()
        };
    }
}

/// What was selected last, in words every open snapshot understands: an object by its
/// snapshot id (`@id`, stable across snapshots of one process) or a class by name, and the
/// snapshot it was selected in. Tiles bound to other snapshots follow it (A/B tiles).
#[derive(Clone, Debug, Default)]
pub struct Link {
    /// The snapshot the selection was made in.
    pub doc: Option<DocId>,
    /// What was selected.
    pub what: Option<Linked>,
    /// Bumped on every change.
    pub generation: u64,
}

/// The object or class of a [`Link`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Linked {
    /// An object: its snapshot id and class.
    Object {
        /// `@id`.
        id: u32,
        /// Its class (Summary row) name.
        class: String,
    },
    /// A class (a Summary or Comparison row).
    Class(String),
}

impl Link {
    /// Records a selection made in `doc`.
    pub fn set(&mut self, doc: DocId, what: Linked) {
        self.doc = Some(doc);
        self.what = Some(what);
        self.generation += 1;
    }

    /// The object selected, `Class @id`-style, for messages.
    pub fn describe(&self) -> Option<String> {
        match self.what.as_ref()? {
            Linked::Object { id, class } => Some(format!("{class} @{id}")),
            Linked::Class(name) => Some(name.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_goes_back_and_forward() {
        let mut s = Selection::default();
        s.select(NodeIdx(1), PaneId::Summary);
        s.select(NodeIdx(2), PaneId::Retainers);
        assert_eq!(s.node(), Some(NodeIdx(2)));
        assert!(s.back());
        assert_eq!(s.node(), Some(NodeIdx(1)));
        assert!(s.forward());
        assert_eq!(s.node(), Some(NodeIdx(2)));
        assert!(!s.forward());
        let g = s.generation();
        s.clear();
        assert_eq!(s.node(), None);
        assert!(s.generation() > g);
    }
}
