//! The Containment view, as in DevTools: the heap from the synthetic root down along
//! outgoing edges. The top level is the root's edges (the GC root categories and the global
//! objects); every object expands to its own edges (`.name`, `[0]`, `->ctx`, `{internal}`,
//! `[[weak]]`). Rows are virtualized and child lists are built only when a row is expanded
//! (on a worker for objects with many edges), so an array with a million elements opens
//! without stalling a frame.

use std::cmp::Ordering;
use std::sync::Arc;

use egui::{RichText, Ui};

use crate::format;
use crate::snapshot::{EdgeIdx, NodeIdx, Snapshot};

use super::super::command::{Command, PaneId};
use super::super::theme::Theme;
use super::super::widgets::tree_table::{RowRef, TreeModel, TreeTable};
use super::super::widgets::{self, SortColumn, SortKey};
use super::{
    PaneContext, class_at_id, distance_key, edge_node_label_ui, object_cells_ui, pending_cell_ui,
};

/// The outgoing edges of objects, from the synthetic root.
pub struct ContainmentModel {
    snapshot: Arc<Snapshot>,
}

impl TreeModel for ContainmentModel {
    type Item = EdgeIdx;
    type Sort = SortKey;

    fn children(&self, parent: Option<EdgeIdx>, sort: SortKey) -> Vec<EdgeIdx> {
        let s = &self.snapshot;
        let node = parent.map_or(s.root(), |e| s.edge_target(e));
        let mut edges: Vec<EdgeIdx> = s.edges(node).collect();
        // Stable: equal keys keep the snapshot's edge order.
        edges.sort_by(|&a, &b| {
            let (na, nb) = (s.edge_target(a), s.edge_target(b));
            let ordering = match sort.column {
                SortColumn::Name => Ordering::Equal,
                SortColumn::Distance => {
                    distance_key(s.distance(na)).cmp(&distance_key(s.distance(nb)))
                }
                SortColumn::ShallowSize => s.self_size(na).cmp(&s.self_size(nb)),
                SortColumn::RetainedSize | SortColumn::Count => {
                    s.retained_size(na).cmp(&s.retained_size(nb))
                }
            };
            sort.apply(ordering)
        });
        edges
    }

    fn child_count(&self, parent: Option<EdgeIdx>) -> usize {
        let s = &self.snapshot;
        s.edge_count_of(parent.map_or(s.root(), |e| s.edge_target(e)))
    }

    fn has_children(&self, item: EdgeIdx) -> bool {
        self.snapshot.edge_count_of(self.snapshot.edge_target(item)) > 0
    }
}

/// Longest root-to-node path a selection is revealed along.
const MAX_REVEAL_DEPTH: usize = 200;

/// "Object" sorts by snapshot edge order (DevTools' Containment order).
const EDGE_ORDER: SortKey = SortKey {
    column: SortColumn::Name,
    descending: false,
};

/// The Containment pane.
pub struct ContainmentPane {
    snapshot: Option<Arc<Snapshot>>,
    /// Built when the view is first shown.
    tree: Option<TreeTable<ContainmentModel>>,
    sort: SortKey,
    /// Background work only counts as busy while the view is on screen.
    last_drawn: Option<std::time::Instant>,
    seen_selection: u64,
}

impl Default for ContainmentPane {
    fn default() -> Self {
        Self {
            snapshot: None,
            tree: None,
            sort: EDGE_ORDER,
            last_drawn: None,
            seen_selection: 0,
        }
    }
}

impl ContainmentPane {
    /// Shows `snapshot` from its root, nothing expanded.
    pub fn set_snapshot(&mut self, snapshot: Option<Arc<Snapshot>>) {
        self.snapshot = snapshot;
        self.tree = None;
    }

    /// True while a child list is built.
    pub fn is_busy(&self) -> bool {
        self.last_drawn
            .is_some_and(|t| t.elapsed() < super::super::jobs::PROGRESS_REPAINT * 5)
            && self.tree.as_ref().is_some_and(TreeTable::is_busy)
    }

    /// Opens the edges from the root down to `node` along a shortest path and puts the
    /// cursor on it (each step goes to a retainer nearer the roots; at most the distance).
    pub fn reveal(&mut self, snapshot: &Snapshot, node: NodeIdx) {
        let Some(tree) = self.tree.as_mut() else {
            return;
        };
        let root = snapshot.root();
        let mut path = Vec::new();
        let mut cur = node;
        while cur != root && path.len() < MAX_REVEAL_DEPTH {
            let d = snapshot.distance(cur);
            let step = snapshot
                .retainers(cur)
                .filter(|&(from, e)| {
                    !snapshot.is_weak_edge(e)
                        && (from == root || (0..d).contains(&snapshot.distance(from)))
                })
                .min_by_key(|&(from, _)| (from != root, snapshot.distance(from)));
            let Some((from, e)) = step else {
                return; // unreachable: not in the Containment tree
            };
            path.push(e);
            cur = from;
        }
        if cur == root {
            path.reverse();
            tree.reveal(path);
        }
    }

    /// The tree (for tests).
    pub fn tree_mut(&mut self) -> Option<&mut TreeTable<ContainmentModel>> {
        self.tree.as_mut()
    }

    /// Draws the header line and the tree.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        let theme = Theme::of(ui);
        let snapshot = Arc::clone(cx.snapshot);
        self.last_drawn = Some(std::time::Instant::now());
        if self.tree.is_none()
            && let Some(snapshot) = self.snapshot.clone()
        {
            self.tree = Some(TreeTable::new(
                Arc::new(ContainmentModel { snapshot }),
                self.sort,
            ));
        }
        if let Some(node) = cx
            .selection
            .changed_elsewhere(&mut self.seen_selection, PaneId::Containment)
        {
            self.reveal(&snapshot, node);
        }
        ui.horizontal(|ui| {
            ui.label(RichText::new("Containment").strong());
            ui.label(
                RichText::new(format!(
                    "\u{2014} the heap from the root along outgoing edges; {} objects, {} edges",
                    format::count(snapshot.node_count() as u64),
                    format::count(snapshot.edge_count() as u64)
                ))
                .color(theme.weak_text),
            );
        });
        let Some(tree) = self.tree.as_mut() else {
            return;
        };
        tree.poll(ui.ctx());
        let total = snapshot.total_size();
        let selected = cx.selection.node();
        let mut sort = self.sort;
        let columns = widgets::object_columns(260.0);
        let s = Arc::clone(&snapshot);
        let response = tree.ui(
            ui,
            "containment_table",
            &columns,
            cx.focused == PaneId::Containment,
            |ui, c| {
                widgets::object_header_ui(
                    ui,
                    c,
                    "The edge and the object it points to (click: snapshot edge order)",
                    "Distance from the GC roots",
                    &mut sort,
                )
            },
            |ui, row, c| edge_cell_ui(ui, &s, total, row, c),
            |e| Some(s.edge_target(e)) == selected,
        );
        if sort != self.sort {
            self.sort = sort;
            tree.set_sort(sort);
        }
        if response.interacted {
            cx.commands.push(Command::FocusPane(PaneId::Containment));
        }
        if let Some(e) = response.clicked.or(response.activated) {
            cx.select(snapshot.edge_target(e), PaneId::Containment);
        }
        if let Some(e) = response.copy {
            cx.commands.push(Command::CopyText(class_at_id(
                &snapshot,
                snapshot.edge_target(e),
            )));
        }
    }
}

/// One cell of an edge row: `.name :: Object @id`, distance, shallow and retained size.
pub fn edge_cell_ui(
    ui: &mut Ui,
    snapshot: &Snapshot,
    total: u64,
    row: &RowRef<EdgeIdx>,
    column: usize,
) {
    let Some(e) = row.item else {
        pending_cell_ui(ui, column, "Loading…");
        return;
    };
    let n = snapshot.edge_target(e);
    object_cells_ui(ui, snapshot, total, n, column, |ui| {
        edge_node_label_ui(ui, snapshot, e, n, "::");
    });
}

impl super::Pane for ContainmentPane {
    fn title(&self) -> String {
        crate::app::command::View::Containment.label().to_owned()
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut super::TileContext<'_>) {
        ContainmentPane::ui(self, ui, &mut cx.pane());
    }

    fn bind(&mut self, _doc: crate::app::document::DocId, snapshot: Arc<Snapshot>) {
        self.set_snapshot(Some(snapshot));
    }

    fn is_busy(&self) -> bool {
        ContainmentPane::is_busy(self)
    }
}
