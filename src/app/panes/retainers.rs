//! The Retainers pane: who keeps the selected object alive, as in DevTools.
//!
//! Each row is a retaining edge and the object it starts from (`.cache in Map @123`),
//! expandable recursively toward the GC roots. Rows come from `Snapshot::visible_retainers`
//! (DevTools' filter: no weak edges, no edges from the synthetic root) and are sorted by
//! distance, so the shortest path to a root comes first; that path is expanded automatically.

use std::cmp::Ordering;
use std::sync::Arc;

use egui::{RichText, Ui};

use crate::format;
use crate::snapshot::{EdgeIdx, NodeIdx, RetainerView, Snapshot};

use super::super::command::{Command, PaneId};
use super::super::ignore::{ignore_menu_ui, ignored_line_ui};
use super::super::theme::Theme;
use super::super::widgets::tree_table::{INLINE_LIMIT, RowKey, RowRef, TreeModel, TreeTable};
use super::super::widgets::{self, SortColumn, SortKey};
use super::{
    PaneContext, class_at_id, distance_key, edge_node_label_ui, node_label_ui, pending_cell_ui,
};

/// Longest retainer chain expanded automatically.
const AUTO_EXPAND_DEPTH: usize = 16;

/// A row of the Retainers tree: `edge` from `from` points to the parent row's object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RetainerItem {
    /// The retaining object.
    pub from: NodeIdx,
    /// The retaining edge (an outgoing edge of `from`).
    pub edge: EdgeIdx,
}

/// The retainers of one object and, recursively, of its retainers.
pub struct RetainersModel {
    snapshot: Arc<Snapshot>,
    target: NodeIdx,
    /// Distances with the ignored retainers left out ("Ignore this retainer").
    view: Arc<RetainerView>,
}

impl TreeModel for RetainersModel {
    type Item = RetainerItem;
    type Sort = SortKey;

    fn children(&self, parent: Option<RetainerItem>, sort: SortKey) -> Vec<RetainerItem> {
        let s = &self.snapshot;
        let node = parent.map_or(self.target, |p| p.from);
        let mut rows: Vec<RetainerItem> = s
            .visible_retainers(node)
            .map(|(from, edge)| RetainerItem { from, edge })
            .collect();
        // Stable: equal keys keep DevTools' retainer order.
        rows.sort_by(|a, b| {
            let ordering = match sort.column {
                SortColumn::Name => s
                    .edge_label(a.edge)
                    .cmp(&s.edge_label(b.edge))
                    .then_with(|| s.raw_name(a.from).cmp(s.raw_name(b.from))),
                // Ignored and now-unreachable retainers sort last.
                SortColumn::Distance => {
                    distance_key(self.view.retainer_distance(s, a.from, a.edge)).cmp(&distance_key(
                        self.view.retainer_distance(s, b.from, b.edge),
                    ))
                }
                SortColumn::ShallowSize => s.self_size(a.from).cmp(&s.self_size(b.from)),
                SortColumn::RetainedSize | SortColumn::Count => {
                    s.retained_size(a.from).cmp(&s.retained_size(b.from))
                }
            };
            if ordering == Ordering::Equal {
                Ordering::Equal
            } else {
                sort.apply(ordering)
            }
        });
        rows
    }

    fn child_count(&self, parent: Option<RetainerItem>) -> usize {
        self.snapshot
            .retainer_count(parent.map_or(self.target, |p| p.from))
    }

    fn has_children(&self, item: RetainerItem) -> bool {
        self.snapshot.visible_retainers(item.from).next().is_some()
    }
}

/// Where the automatic expansion of the shortest retaining path has got to.
struct AutoExpand {
    /// The open row whose first child is expanded next (None: the top level).
    at: Option<RowKey>,
    /// Objects on the path so far (stops at cycles).
    seen: Vec<NodeIdx>,
}

/// The Retainers pane.
pub struct RetainersPane {
    tree: Option<TreeTable<RetainersModel>>,
    snapshot: Option<Arc<Snapshot>>,
    target: Option<NodeIdx>,
    sort: SortKey,
    seen_selection: u64,
    auto: Option<AutoExpand>,
    view: Arc<RetainerView>,
}

impl Default for RetainersPane {
    fn default() -> Self {
        Self {
            tree: None,
            snapshot: None,
            target: None,
            sort: SortKey::DISTANCE_ASC,
            seen_selection: 0,
            auto: None,
            view: Arc::new(RetainerView::new()),
        }
    }
}

impl RetainersPane {
    /// Shows retainers from `snapshot`; nothing is selected yet.
    pub fn set_snapshot(&mut self, snapshot: Option<Arc<Snapshot>>) {
        self.snapshot = snapshot;
        self.tree = None;
        self.target = None;
        self.auto = None;
        self.view = Arc::new(RetainerView::new());
    }

    /// Sorts by the distances of `view` (after "Ignore this retainer"); open lists re-sort.
    pub fn set_retainer_view(&mut self, view: Arc<RetainerView>, _generation: u64) {
        self.view = view;
        if let (Some(tree), Some(snapshot), Some(target)) =
            (self.tree.as_mut(), self.snapshot.clone(), self.target)
        {
            tree.set_model(
                Arc::new(RetainersModel {
                    snapshot,
                    target,
                    view: Arc::clone(&self.view),
                }),
                false,
            );
        }
    }

    /// The Retainers-view state in use.
    pub fn retainer_view(&self) -> &Arc<RetainerView> {
        &self.view
    }

    /// The object whose retainers are shown.
    pub fn target(&self) -> Option<NodeIdx> {
        self.target
    }

    /// Shows the retainers of `node`, expanding the shortest path to the roots.
    pub fn set_target(&mut self, node: NodeIdx) {
        let Some(snapshot) = self.snapshot.clone() else {
            return;
        };
        self.target = Some(node);
        self.tree = Some(TreeTable::new(
            Arc::new(RetainersModel {
                snapshot,
                target: node,
                view: Arc::clone(&self.view),
            }),
            self.sort,
        ));
        self.auto = Some(AutoExpand {
            at: None,
            seen: vec![node],
        });
    }

    /// True while retainers are being computed or the shortest path is being expanded.
    pub fn is_busy(&self) -> bool {
        self.auto.is_some() || self.tree.as_ref().is_some_and(TreeTable::is_busy)
    }

    /// The visible rows as `label in Name @id` strings (for tests and logs).
    pub fn visible_rows_text(&self) -> Vec<String> {
        let (Some(tree), Some(s)) = (self.tree.as_ref(), self.snapshot.as_ref()) else {
            return Vec::new();
        };
        (0..tree.row_count())
            .filter_map(|i| tree.row(i))
            .filter_map(|r| {
                let item = r.item?;
                Some(format!(
                    "{}{} in {} @{}",
                    "  ".repeat(r.depth as usize),
                    s.edge_label(item.edge),
                    s.node_name(item.from),
                    s.node_id(item.from)
                ))
            })
            .collect()
    }

    /// Expands the nearest retainer level by level until a GC root, a cycle or the depth cap.
    fn auto_expand(&mut self) {
        let (Some(tree), Some(snapshot)) = (self.tree.as_mut(), self.snapshot.as_ref()) else {
            return;
        };
        let Some(auto) = self.auto.as_mut() else {
            return;
        };
        if auto.at.is_some_and(|k| !tree.is_open(k)) {
            self.auto = None; // the user collapsed the path
            return;
        }
        let Some(children) = tree.children_of(auto.at) else {
            return; // not fetched yet
        };
        // The nearest retainer (the list is sorted by the user's column, maybe not distance).
        let best = children
            .iter()
            .take(INLINE_LIMIT)
            .enumerate()
            .min_by_key(|(_, c)| distance_key(snapshot.distance(c.from)))
            .map(|(i, c)| (i as u32, *c));
        let Some((index, first)) = best else {
            self.auto = None;
            return;
        };
        let Some(key) = tree.child_key(auto.at, index) else {
            self.auto = None;
            return;
        };
        if auto.at.is_none() {
            tree.set_cursor(Some(key));
        }
        let d = snapshot.distance(first.from);
        if auto.seen.contains(&first.from)
            || auto.seen.len() > AUTO_EXPAND_DEPTH
            || (0..=1).contains(&d)
            || !tree.model().has_children(first)
        {
            self.auto = None;
            return;
        }
        tree.expand(key);
        auto.seen.push(first.from);
        auto.at = Some(key);
    }

    /// Draws the header and the tree.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        if cx.selection.generation() != self.seen_selection {
            self.seen_selection = cx.selection.generation();
            if cx.selection.origin() != Some(PaneId::Retainers) {
                match cx.selection.node() {
                    Some(node) => self.set_target(node),
                    None => {
                        self.tree = None;
                        self.target = None;
                    }
                }
            }
        }
        if let Some(tree) = self.tree.as_mut() {
            tree.poll(ui.ctx());
        }
        self.auto_expand();
        let theme = Theme::of(ui);
        let snapshot = Arc::clone(cx.snapshot);
        // The tile's tab says "Retainers"; the header names whose.
        ui.horizontal_wrapped(|ui| {
            match self.target {
                Some(t) => {
                    node_label_ui(ui, &snapshot, t);
                    // The count of the fetched top level: counting here would walk every
                    // retainer each frame (millions for some strings and maps).
                    let count = self
                        .tree
                        .as_ref()
                        .and_then(|tree| tree.children_of(None))
                        .map(<[RetainerItem]>::len);
                    let count = match count {
                        Some(1) => "1 retainer".to_owned(),
                        Some(n) => format!("{} retainers", format::count(n as u64)),
                        None => "retainers…".to_owned(),
                    };
                    ui.label(
                        RichText::new(format!(
                            "\u{2014} {count}, distance {}",
                            format::distance(snapshot.distance(t))
                        ))
                        .color(theme.weak_text),
                    );
                }
                None => {
                    ui.label(
                        RichText::new("Select an object to see what keeps it alive")
                            .color(theme.weak_text),
                    );
                }
            }
            if self.is_busy() {
                crate::app::widgets::spinner(ui);
            }
        });
        ignored_line_ui(ui, &snapshot, &self.view, false, cx.commands);
        let Some(tree) = self.tree.as_mut() else {
            // Keep the pane at the height the user gave it (a panel shrinks to its content).
            ui.take_available_space();
            return;
        };
        let view = Arc::clone(&self.view);
        let total = snapshot.total_size();
        let selected = cx.selection.node();
        let mut sort = self.sort;
        let columns = widgets::object_columns(220.0);
        let response = tree.ui(
            ui,
            "retainers_table",
            &columns,
            cx.focused == PaneId::Retainers,
            |ui, c| {
                widgets::object_header_ui(
                    ui,
                    c,
                    "The retaining edge and the object it starts from",
                    "Distance from the GC roots (shortest retaining path)",
                    &mut sort,
                )
            },
            |ui, row, c| retainer_cell_ui(ui, &snapshot, &view, total, row, c),
            |item| Some(item.from) == selected,
        );
        if sort != self.sort {
            self.sort = sort;
            tree.set_sort(sort);
        }
        if response.interacted {
            cx.commands.push(Command::FocusPane(PaneId::Retainers));
        }
        if let Some(item) = response.clicked.or(response.activated) {
            cx.select(item.from, PaneId::Retainers);
        }
        if let Some(item) = response.copy {
            cx.commands
                .push(Command::CopyText(class_at_id(&snapshot, item.from)));
        }
        // Right-click on a row: DevTools' "Ignore this retainer" / "Stop ignoring".
        for (item, row) in &response.rows {
            row.context_menu(|ui| {
                ignore_menu_ui(ui, &view, item.from, cx.commands);
                if ui.button("Copy Class @id").clicked() {
                    cx.commands
                        .push(Command::CopyText(class_at_id(&snapshot, item.from)));
                    ui.close();
                }
            });
        }
    }
}

fn retainer_cell_ui(
    ui: &mut Ui,
    snapshot: &Snapshot,
    view: &RetainerView,
    total: u64,
    row: &RowRef<RetainerItem>,
    column: usize,
) {
    let theme = Theme::of(ui);
    let Some(item) = row.item else {
        pending_cell_ui(ui, column, "Loading…");
        return;
    };
    let n = item.from;
    match column {
        0 => {
            edge_node_label_ui(ui, snapshot, item.edge, n, "in");
            if view.is_node_ignored(n) {
                ui.label(RichText::new("ignored").small().color(theme.weak_marker))
                    .on_hover_text("Ignored: right-click, Stop ignoring this retainer");
            } else if view.is_active()
                && view.retainer_distance(snapshot, n, item.edge)
                    >= crate::snapshot::BASE_UNREACHABLE_DISTANCE
            {
                ui.label(RichText::new("unreachable").small().color(theme.weak_text))
                    .on_hover_text("Reaches the roots only through ignored retainers");
            }
        }
        1 => widgets::number_cell_ui(
            ui,
            format::distance(view.retainer_distance(snapshot, n, item.edge)),
        ),
        2 => widgets::size_cell_ui(ui, snapshot.self_size(n), total),
        _ => widgets::size_cell_ui(ui, snapshot.retained_size(n), total),
    }
}

impl super::Pane for RetainersPane {
    fn title(&self) -> String {
        "Retainers".to_owned()
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut super::TileContext<'_>) {
        RetainersPane::ui(self, ui, &mut cx.pane());
    }

    fn bind(&mut self, _doc: crate::app::document::DocId, snapshot: Arc<Snapshot>) {
        self.set_snapshot(Some(snapshot));
    }

    fn is_busy(&self) -> bool {
        RetainersPane::is_busy(self)
    }
}
