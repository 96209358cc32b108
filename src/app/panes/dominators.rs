//! The Dominators view (Eclipse MAT's dominator tree; DevTools dropped its own): every
//! object under its immediate dominator, from the root. Freeing an object frees everything
//! below it, so the biggest subtrees are the best places to look. Children are sorted by
//! retained size (biggest first) when a row is expanded, not per frame; a selection made in
//! another pane is revealed along its dominator chain.

use std::sync::Arc;

use egui::{RichText, Ui};

use crate::format;
use crate::snapshot::{NodeIdx, Snapshot};

use super::super::command::{Command, PaneId};
use super::super::theme::Theme;
use super::super::widgets::tree_table::{RowRef, TreeModel, TreeTable};
use super::super::widgets::{self, SortColumn, SortKey};
use super::{
    PaneContext, class_at_id, distance_key, node_label_ui, object_cells_ui, pending_cell_ui,
};

/// The dominator tree.
pub struct DominatorModel {
    snapshot: Arc<Snapshot>,
}

impl TreeModel for DominatorModel {
    type Item = NodeIdx;
    type Sort = SortKey;

    fn children(&self, parent: Option<NodeIdx>, sort: SortKey) -> Vec<NodeIdx> {
        let s = &self.snapshot;
        let Some(parent) = parent else {
            return vec![s.root()];
        };
        let mut nodes: Vec<NodeIdx> = s.dominated(parent).collect();
        nodes.sort_by(|&a, &b| {
            let ordering = match sort.column {
                SortColumn::Name => s
                    .class_name(a)
                    .cmp(s.class_name(b))
                    .then_with(|| s.node_id(a).cmp(&s.node_id(b))),
                SortColumn::Distance => {
                    distance_key(s.distance(a)).cmp(&distance_key(s.distance(b)))
                }
                SortColumn::ShallowSize => s.self_size(a).cmp(&s.self_size(b)),
                SortColumn::RetainedSize | SortColumn::Count => {
                    s.retained_size(a).cmp(&s.retained_size(b))
                }
            };
            // Ties by id, so the order is the same on every run.
            sort.apply(ordering)
                .then_with(|| s.node_id(a).cmp(&s.node_id(b)))
        });
        nodes
    }

    fn child_count(&self, parent: Option<NodeIdx>) -> usize {
        parent.map_or(1, |p| self.snapshot.dominated(p).len())
    }

    fn has_children(&self, item: NodeIdx) -> bool {
        self.snapshot.dominated(item).len() > 0
    }
}

/// The Dominators pane.
pub struct DominatorsPane {
    snapshot: Option<Arc<Snapshot>>,
    /// Built when the view is first shown.
    tree: Option<TreeTable<DominatorModel>>,
    /// Background work only counts as busy while the view is on screen.
    last_drawn: Option<std::time::Instant>,
    sort: SortKey,
    seen_selection: u64,
    expand_root: bool,
}

impl Default for DominatorsPane {
    fn default() -> Self {
        Self {
            snapshot: None,
            tree: None,
            last_drawn: None,
            sort: SortKey::RETAINED_DESC,
            seen_selection: 0,
            expand_root: true,
        }
    }
}

impl DominatorsPane {
    /// Shows `snapshot`'s dominator tree with the root expanded.
    pub fn set_snapshot(&mut self, snapshot: Option<Arc<Snapshot>>) {
        self.snapshot = snapshot;
        self.tree = None;
        self.expand_root = true;
    }

    /// True while a child list is sorted or a selection revealed.
    pub fn is_busy(&self) -> bool {
        self.last_drawn
            .is_some_and(|t| t.elapsed() < super::super::jobs::PROGRESS_REPAINT * 5)
            && self.tree.as_ref().is_some_and(TreeTable::is_busy)
    }

    /// The tree (for tests).
    pub fn tree_mut(&mut self) -> Option<&mut TreeTable<DominatorModel>> {
        self.tree.as_mut()
    }

    /// Opens the dominator chain of `node` and puts the cursor on it.
    pub fn reveal(&mut self, snapshot: &Snapshot, node: NodeIdx) {
        let Some(tree) = self.tree.as_mut() else {
            return;
        };
        let mut path = snapshot.dominator_chain(node);
        path.reverse();
        if node != snapshot.root() {
            path.push(node);
        }
        tree.reveal(path);
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
                Arc::new(DominatorModel { snapshot }),
                self.sort,
            ));
        }
        if let Some(node) = cx
            .selection
            .changed_elsewhere(&mut self.seen_selection, PaneId::Dominators)
        {
            self.reveal(&snapshot, node);
            self.expand_root = false;
        }
        ui.horizontal(|ui| {
            ui.label(RichText::new("Dominators").strong());
            ui.label(
                RichText::new(
                    "\u{2014} each object under its immediate dominator: freeing it frees \
                     everything below",
                )
                .color(theme.weak_text),
            );
        });
        let Some(tree) = self.tree.as_mut() else {
            return;
        };
        tree.poll(ui.ctx());
        if self.expand_root
            && let Some(key) = tree.child_key(None, 0)
            && !tree.top_level().is_empty()
        {
            self.expand_root = false;
            tree.expand(key);
            tree.set_cursor(Some(key));
            tree.poll(ui.ctx());
        }
        let total = snapshot.total_size();
        let selected = cx.selection.node();
        let mut sort = self.sort;
        let columns = widgets::object_columns(260.0);
        let s = Arc::clone(&snapshot);
        let response = tree.ui(
            ui,
            "dominators_table",
            &columns,
            cx.focused == PaneId::Dominators,
            |ui, c| {
                widgets::object_header_ui(
                    ui,
                    c,
                    "The object (children: what it dominates)",
                    "Distance from the GC roots",
                    &mut sort,
                )
            },
            |ui, row, c| node_cell_ui(ui, &s, total, row, c),
            |n| Some(n) == selected,
        );
        if sort != self.sort {
            self.sort = sort;
            tree.set_sort(sort);
        }
        if response.interacted {
            cx.commands.push(Command::FocusPane(PaneId::Dominators));
        }
        if let Some(n) = response.clicked.or(response.activated) {
            cx.select(n, PaneId::Dominators);
        }
        if let Some(n) = response.copy {
            cx.commands
                .push(Command::CopyText(class_at_id(&snapshot, n)));
        }
    }
}

fn node_cell_ui(
    ui: &mut Ui,
    snapshot: &Snapshot,
    total: u64,
    row: &RowRef<NodeIdx>,
    column: usize,
) {
    let Some(n) = row.item else {
        pending_cell_ui(ui, column, "Loading…");
        return;
    };
    object_cells_ui(ui, snapshot, total, n, column, |ui| {
        node_label_ui(ui, snapshot, n);
        let count = snapshot.dominated(n).len();
        if count > 0 {
            ui.label(
                RichText::new(format!("\u{00D7}{}", format::count(count as u64)))
                    .color(Theme::of(ui).weak_text),
            )
            .on_hover_text("Objects it immediately dominates");
        }
    });
}

impl super::Pane for DominatorsPane {
    fn title(&self) -> String {
        crate::app::command::View::Dominators.label().to_owned()
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut super::TileContext<'_>) {
        DominatorsPane::ui(self, ui, &mut cx.pane());
    }

    fn bind(&mut self, _doc: crate::app::document::DocId, snapshot: Arc<Snapshot>) {
        self.set_snapshot(Some(snapshot));
    }

    fn is_busy(&self) -> bool {
        DominatorsPane::is_busy(self)
    }
}
