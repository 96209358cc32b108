//! The panes: one module each. A pane owns its own state (tree, sort, filter), reads the
//! shared selection and the active snapshot through a [`PaneContext`], and talks to the rest
//! of the app only by pushing [`Command`]s.

pub mod allocation;
pub mod bound;
pub mod comparison;
pub mod containment;
pub mod dominators;
pub mod findings;
pub mod graph_layout;
pub mod heap_profile;
pub mod leaks;
pub mod live;
pub mod retainer_graph;
pub mod retainers;
pub mod search;
pub mod side_by_side;
pub mod statistics;
pub mod strings;
pub mod summary;
pub mod summary_range;

use std::sync::Arc;

use egui::{RichText, Ui};

use crate::format;
use crate::snapshot::{EdgeIdx, NodeIdx, Snapshot};

use super::command::{Command, CommandQueue, PaneId};
use super::document::{DocId, Documents};
use super::role::Role;
use super::roles::{self, Roles};
use super::selection::Selection;
use super::theme::Theme;
use super::widgets;

/// What a pane may see and do during a frame.
pub struct PaneContext<'a> {
    /// The snapshot the panes show.
    pub snapshot: &'a Arc<Snapshot>,
    /// The shared selection (read-only; change it with `Command::Select`).
    pub selection: &'a Selection,
    /// Where the pane's requests go.
    pub commands: &'a mut CommandQueue,
    /// The pane that receives the navigation keys.
    pub focused: PaneId,
}

/// What a tile's pane may see and do during a frame: everything a single-snapshot pane
/// ([`PaneContext`]) or a comparison pane ([`CompareContext`]) needs.
pub struct TileContext<'a> {
    /// The open snapshots.
    pub docs: &'a Documents,
    /// Which snapshot plays which role.
    pub roles: &'a Roles,
    /// The snapshot this tile shows: the active one, or the one it is bound to.
    pub doc: DocId,
    /// That snapshot.
    pub snapshot: &'a Arc<Snapshot>,
    /// The selection in that snapshot (read-only; change it with `Command::Select`).
    pub selection: &'a Selection,
    /// Where the pane's requests go.
    pub commands: &'a mut CommandQueue,
    /// The pane that receives the navigation keys.
    pub focused: PaneId,
    /// "Ignore this retainer" is recomputing the distances the Retainers view uses.
    pub recomputing: bool,
}

impl TileContext<'_> {
    /// The context of a single-snapshot pane.
    pub fn pane(&mut self) -> PaneContext<'_> {
        PaneContext {
            snapshot: self.snapshot,
            selection: self.selection,
            commands: self.commands,
            focused: self.focused,
        }
    }

    /// The context of a comparison pane.
    pub fn compare(&mut self) -> CompareContext<'_> {
        CompareContext {
            docs: self.docs,
            roles: self.roles,
            selection: self.selection,
            commands: self.commands,
            focused: self.focused,
        }
    }
}

/// A view of the workspace: what every tile shows. A new view is one module with a type
/// implementing this, plus its entry in `workspace::PaneKind`.
pub trait Pane {
    /// The tab title.
    fn title(&self) -> String;

    /// The snapshot the pane is bound to; `None`: it shows the active snapshot.
    fn bound_to(&self) -> Option<DocId> {
        None
    }

    /// Draws the pane.
    fn ui(&mut self, ui: &mut Ui, cx: &mut TileContext<'_>);

    /// Shows `snapshot` from now on (a tile bound to a snapshot; the active snapshot's
    /// panes are told by the app).
    fn bind(&mut self, _doc: DocId, _snapshot: Arc<Snapshot>) {}

    /// A class was selected in another snapshot's tile: reveal the same class. `None` when
    /// the pane lists no classes; else whether this snapshot has the class.
    fn follow_class(&mut self, _class: &str) -> Option<bool> {
        None
    }

    /// True while the pane works in the background.
    fn is_busy(&self) -> bool {
        false
    }
}

impl PaneContext<'_> {
    /// Selects `node` in every pane.
    pub fn select(&mut self, node: NodeIdx, origin: PaneId) {
        self.commands.push(Command::Select { node, origin });
    }
}

/// What a comparison view may see and do during a frame.
pub struct CompareContext<'a> {
    /// The open snapshots.
    pub docs: &'a Documents,
    /// Which snapshot plays which role.
    pub roles: &'a Roles,
    /// The shared selection (of the active snapshot).
    pub selection: &'a Selection,
    /// Where requests go.
    pub commands: &'a mut CommandQueue,
    /// The pane that receives the navigation keys.
    pub focused: PaneId,
}

impl CompareContext<'_> {
    /// The snapshot in `role`'s slot.
    pub fn snapshot(&self, role: Role) -> Option<(DocId, Arc<Snapshot>)> {
        let id = self.roles.doc(role)?;
        let doc = roles::find(self.docs, id)?;
        Some((id, Arc::clone(&doc.snapshot)))
    }

    /// Selects `node` of snapshot `doc`: that snapshot becomes the active one (so the
    /// Retainers pane shows the node's retainers there) and every pane selects it.
    pub fn select_in(&mut self, doc: DocId, node: NodeIdx, origin: PaneId) {
        self.commands.push(Command::SetActive(doc));
        self.commands.push(Command::Select { node, origin });
    }

    /// True when `node` of snapshot `doc` is the selection.
    pub fn is_selected(&self, doc: DocId, node: NodeIdx) -> bool {
        self.docs.active().is_some_and(|d| d.id == doc) && self.selection.node() == Some(node)
    }
}

/// Sort key for distances: unreachable (negative) last, system (`−`) after user objects.
pub fn distance_key(d: i32) -> i64 {
    if d < 0 { i64::MAX } else { i64::from(d) }
}

/// True for node types whose name is a string value.
pub fn is_string_type(snapshot: &Snapshot, n: NodeIdx) -> bool {
    matches!(
        snapshot.node_type_name(n),
        "string" | "concatenated string" | "sliced string"
    )
}

/// `Class @id`, as copied to the clipboard.
pub fn class_at_id(snapshot: &Snapshot, n: NodeIdx) -> String {
    format!("{} @{}", snapshot.class_name(n), snapshot.node_id(n))
}

/// `Class @id`, closures as `function @id` (`onConfig @142669`), as the Retainers pane names
/// them: the retainer graph's node labels.
pub fn object_at_id(snapshot: &Snapshot, n: NodeIdx) -> String {
    format!(
        "{} @{}",
        widgets::shorten(&snapshot.object_name(n)),
        snapshot.node_id(n)
    )
}

/// Draws a node as DevTools does in its grids: its name (strings quoted) and `@id`.
pub fn node_label_ui(ui: &mut Ui, snapshot: &Snapshot, n: NodeIdx) {
    let theme = Theme::of(ui);
    let name = snapshot.node_name(n);
    if is_string_type(snapshot, n) {
        ui.label(
            RichText::new(format!("\"{}\"", widgets::shorten(&name))).color(theme.string_value),
        );
    } else {
        let name = if name.is_empty() {
            snapshot.class_name(n).to_owned()
        } else {
            widgets::shorten(&name).into_owned()
        };
        ui.label(RichText::new(name).color(theme.class_name));
    }
    ui.label(RichText::new(format!("@{}", snapshot.node_id(n))).color(theme.weak_text));
}

/// `edge :: Name @id` (Containment, Summary) or `edge in Name @id` (Retainers): the edge
/// name, `joiner`, the node `n`, and a mark on weak edges.
pub fn edge_node_label_ui(ui: &mut Ui, snapshot: &Snapshot, e: EdgeIdx, n: NodeIdx, joiner: &str) {
    let theme = Theme::of(ui);
    ui.label(RichText::new(widgets::shorten(&snapshot.edge_label(e))).color(theme.edge_name));
    ui.label(RichText::new(joiner).color(theme.weak_text));
    node_label_ui(ui, snapshot, n);
    if snapshot.is_weak_edge(e) {
        widgets::weak_marker_ui(ui);
    }
}

/// The cells of an object's row under [`widgets::object_columns`]: `name_ui` draws the
/// Object cell, then Distance, Shallow and Retained Size (sizes with their share of
/// `total`). Columns past those are left empty.
pub fn object_cells_ui(
    ui: &mut Ui,
    snapshot: &Snapshot,
    total: u64,
    n: NodeIdx,
    column: usize,
    name_ui: impl FnOnce(&mut Ui),
) {
    match column {
        0 => name_ui(ui),
        1 => widgets::number_cell_ui(ui, format::distance(snapshot.distance(n))),
        2 => widgets::size_cell_ui(ui, snapshot.self_size(n), total),
        3 => widgets::size_cell_ui(ui, snapshot.retained_size(n), total),
        _ => {}
    }
}

/// The placeholder row of a child list still being computed: a spinner and `text`
/// ("Loading…", "Sorting…") in the first column.
pub fn pending_cell_ui(ui: &mut Ui, column: usize, text: &str) {
    if column == 0 {
        let theme = Theme::of(ui);
        crate::app::widgets::spinner(ui);
        ui.label(RichText::new(text).color(theme.weak_text));
    }
}
