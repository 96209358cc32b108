//! A tile bound to one snapshot (A/B tiles): its own pane, its own selection in that
//! snapshot, linked to the selection made anywhere else by object id or class name.
//!
//! When the object selected elsewhere is not in this snapshot, the tile says so plainly:
//! freed (this snapshot was taken later) or new (allocated after this snapshot was taken).

use std::sync::Arc;

use egui::{RichText, Ui};

use crate::snapshot::Snapshot;

use super::super::command::{Command, CommandQueue, PaneId};
use super::super::document::{DocId, Documents};
use super::super::roles;
use super::super::selection::{Link, Linked, Selection};
use super::super::theme::Theme;
use super::{Pane, TileContext};

/// A pane showing one snapshot, whichever is active.
pub struct BoundPane {
    /// The tile's id: `PaneId::Tile(tile)` gives it the navigation keys.
    tile: u64,
    /// The inner pane's own id, handed the keys while this tile has them.
    inner_focus: PaneId,
    doc: DocId,
    snapshot: Arc<Snapshot>,
    inner: Box<dyn Pane>,
    /// The selection in this snapshot.
    selection: Selection,
    /// The [`Link`] generation last followed.
    seen_link: u64,
    /// Why the object selected elsewhere is not shown here.
    absent: Option<String>,
}

impl BoundPane {
    /// `inner` showing `snapshot` (document `doc`) in tile `tile`.
    pub fn new(tile: u64, doc: DocId, snapshot: Arc<Snapshot>, mut inner: Box<dyn Pane>) -> Self {
        inner.bind(doc, Arc::clone(&snapshot));
        Self {
            tile,
            inner_focus: PaneId::External,
            doc,
            snapshot,
            inner,
            selection: Selection::default(),
            seen_link: 0,
            absent: None,
        }
    }

    /// The snapshot shown.
    pub fn doc(&self) -> DocId {
        self.doc
    }

    /// The selection in this snapshot (tests).
    pub fn selection(&self) -> &Selection {
        &self.selection
    }

    /// Why the object selected elsewhere is not here, when it is not.
    pub fn absent(&self) -> Option<&str> {
        self.absent.as_deref()
    }

    /// Follows a selection made in another tile (or snapshot). `docs` names the snapshots.
    pub fn follow(&mut self, link: &Link, docs: &Documents) {
        if link.generation == self.seen_link {
            return;
        }
        self.seen_link = link.generation;
        let Some(what) = &link.what else {
            return;
        };
        match what {
            Linked::Class(class) => {
                self.absent = None;
                if link.doc != Some(self.doc) && self.inner.follow_class(class) == Some(false) {
                    let here = roles::find(docs, self.doc);
                    let title = here.map_or("this snapshot", |d| d.title.as_str());
                    self.absent = Some(format!("{title} has no {class} objects"));
                }
            }
            Linked::Object { id, class } => match self.snapshot.find_by_id(*id) {
                Some(node) => {
                    self.absent = None;
                    if self.selection.node() != Some(node) {
                        self.selection.select(node, PaneId::External);
                    }
                }
                None => {
                    let from = link.doc.and_then(|d| roles::find(docs, d));
                    let here = roles::find(docs, self.doc);
                    self.absent = Some(absence_message(
                        &format!("{class} @{id}"),
                        *id,
                        from.map(|d| (d.title.as_str(), d.snapshot.as_ref())),
                        here.map_or("this snapshot", |d| d.title.as_str()),
                        &self.snapshot,
                    ));
                }
            },
        }
    }
}

/// Says why `object` (id `id`), selected in snapshot `from`, is not in `here`: allocated
/// after `here` was taken, freed before it was, or simply not there.
pub fn absence_message(
    object: &str,
    id: u32,
    from: Option<(&str, &Snapshot)>,
    here_title: &str,
    here: &Snapshot,
) -> String {
    let here_max = here.max_js_node_id();
    if id > here_max {
        return format!(
            "{object} is not in {here_title}: it is new, allocated after {here_title} was taken"
        );
    }
    match from {
        Some((from_title, from)) if from.max_js_node_id() < here_max => format!(
            "{object} is not in {here_title}: it was freed after {from_title} and before {here_title} was taken"
        ),
        _ => format!("{object} is not in {here_title}"),
    }
}

impl Pane for BoundPane {
    fn title(&self) -> String {
        self.inner.title()
    }

    fn bound_to(&self) -> Option<DocId> {
        Some(self.doc)
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut TileContext<'_>) {
        if let Some(absent) = &self.absent {
            ui.label(
                RichText::new(absent)
                    .color(Theme::of(ui).weak_text)
                    .italics(),
            );
        }
        let mut queue = CommandQueue::default();
        {
            let mut local = TileContext {
                docs: cx.docs,
                roles: cx.roles,
                doc: self.doc,
                snapshot: &self.snapshot,
                selection: &self.selection,
                commands: &mut queue,
                focused: if cx.focused == PaneId::Tile(self.tile) {
                    self.inner_focus
                } else {
                    PaneId::External
                },
                recomputing: false,
            };
            self.inner.ui(ui, &mut local);
        }
        for command in queue.drain() {
            match command {
                Command::Select { node, origin } => {
                    self.selection.select(node, origin);
                    self.absent = None;
                    cx.commands.push(Command::SelectIn {
                        doc: self.doc,
                        node,
                    });
                }
                Command::FocusPane(pane) => {
                    self.inner_focus = pane;
                    cx.commands
                        .push(Command::FocusPane(PaneId::Tile(self.tile)));
                }
                // What makes sense for any snapshot; the rest acts on the active one only.
                command @ (Command::CopyText(_)
                | Command::LinkClass { .. }
                | Command::SetView(_)) => cx.commands.push(command),
                _ => {}
            }
        }
    }

    fn is_busy(&self) -> bool {
        self.inner.is_busy()
    }
}
