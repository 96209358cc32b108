//! The Summary view: objects grouped by constructor, as in DevTools.
//!
//! Columns: Constructor, Distance, Shallow Size, Retained Size (bytes and % of the total),
//! Count. A class expands to its instances (`name @id`), an instance to its outgoing edges
//! (`.prop :: Name @id`), recursively. The class filter matches a case-insensitive substring
//! of the constructor name, as DevTools' "Filter by class" box does.

use std::cmp::Ordering;
use std::sync::Arc;

use egui::{RichText, Ui};
use egui_extras::Column;
use rayon::slice::ParallelSliceMut as _;

use crate::format;
use crate::snapshot::{EdgeIdx, EdgeKind, NodeIdx, Snapshot};

use super::super::command::{Command, PaneId};
use super::super::theme::Theme;
use super::super::widgets::tree_table::{INLINE_LIMIT, RowRef, TreeModel, TreeTable};
use super::super::widgets::{self, SortColumn, SortKey};
use super::{PaneContext, class_at_id, distance_key, node_label_ui};

/// A row of the Summary tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SummaryItem {
    /// A constructor (index into `Snapshot::classes`).
    Class(u32),
    /// An instance of a class.
    Instance(NodeIdx),
    /// An outgoing edge of an expanded object (shows the edge and its target).
    Edge(EdgeIdx),
}

/// The Summary's data: the snapshot and the class filter.
pub struct SummaryModel {
    snapshot: Arc<Snapshot>,
    /// Lower-case filter text.
    filter: String,
}

impl SummaryModel {
    /// A model over `snapshot` showing classes whose name contains `filter` (any case).
    pub fn new(snapshot: Arc<Snapshot>, filter: &str) -> Self {
        Self {
            snapshot,
            filter: filter.trim().to_lowercase(),
        }
    }

    /// True when class `name` passes the filter.
    pub fn matches(&self, name: &str) -> bool {
        self.filter.is_empty() || name.to_lowercase().contains(&self.filter)
    }

    fn node_of(&self, item: SummaryItem) -> Option<NodeIdx> {
        match item {
            SummaryItem::Class(_) => None,
            SummaryItem::Instance(n) => Some(n),
            SummaryItem::Edge(e) => Some(self.snapshot.edge_target(e)),
        }
    }

    fn compare_nodes(&self, sort: SortKey, a: NodeIdx, b: NodeIdx) -> Ordering {
        let s = &self.snapshot;
        let ordering = match sort.column {
            SortColumn::Name => s
                .raw_name(a)
                .cmp(s.raw_name(b))
                .then_with(|| s.node_id(a).cmp(&s.node_id(b))),
            SortColumn::Distance => distance_key(s.distance(a)).cmp(&distance_key(s.distance(b))),
            SortColumn::ShallowSize => s.self_size(a).cmp(&s.self_size(b)),
            SortColumn::RetainedSize | SortColumn::Count => {
                s.retained_size(a).cmp(&s.retained_size(b))
            }
        };
        sort.apply(ordering)
    }

    fn compare_edges(&self, sort: SortKey, a: EdgeIdx, b: EdgeIdx) -> Ordering {
        let s = &self.snapshot;
        if sort.column != SortColumn::Name {
            return self.compare_nodes(sort, s.edge_target(a), s.edge_target(b));
        }
        let (na, nb) = (s.edge_name(a), s.edge_name(b));
        let ordering = match (na.parse::<u64>(), nb.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => na.cmp(&nb),
        };
        sort.apply(ordering)
    }
}

fn sort_items<T: Send>(items: &mut [T], compare: impl Fn(&T, &T) -> Ordering + Sync) {
    // Big lists are sorted on a worker (see `INLINE_LIMIT`); use both cores there.
    if items.len() > INLINE_LIMIT {
        items.par_sort_by(compare);
    } else {
        items.sort_by(compare);
    }
}

impl TreeModel for SummaryModel {
    type Item = SummaryItem;
    type Sort = SortKey;

    fn children(&self, parent: Option<SummaryItem>, sort: SortKey) -> Vec<SummaryItem> {
        let s = &self.snapshot;
        match parent {
            None => {
                let classes = s.classes();
                let mut rows: Vec<u32> = (0..classes.len() as u32)
                    .filter(|&c| self.matches(&classes[c as usize].name))
                    .collect();
                sort_items(&mut rows, |&a, &b| {
                    let (x, y) = (&classes[a as usize], &classes[b as usize]);
                    let ordering = match sort.column {
                        SortColumn::Name => x.name.cmp(&y.name),
                        SortColumn::Distance => {
                            distance_key(x.distance).cmp(&distance_key(y.distance))
                        }
                        SortColumn::ShallowSize => x.shallow_size_bytes.cmp(&y.shallow_size_bytes),
                        SortColumn::RetainedSize => {
                            x.retained_size_bytes.cmp(&y.retained_size_bytes)
                        }
                        SortColumn::Count => x.count.cmp(&y.count),
                    };
                    sort.apply(ordering)
                });
                rows.into_iter().map(SummaryItem::Class).collect()
            }
            Some(SummaryItem::Class(c)) => {
                let mut members: Vec<NodeIdx> = s
                    .class_members(c as usize)
                    .iter()
                    .map(|&n| NodeIdx(n))
                    .collect();
                sort_items(&mut members, |&a, &b| self.compare_nodes(sort, a, b));
                members.into_iter().map(SummaryItem::Instance).collect()
            }
            Some(item) => {
                let Some(n) = self.node_of(item) else {
                    return Vec::new();
                };
                let mut edges: Vec<EdgeIdx> = s
                    .edges(n)
                    .filter(|&e| s.edge_kind(e) != EdgeKind::Invisible)
                    .collect();
                sort_items(&mut edges, |&a, &b| self.compare_edges(sort, a, b));
                edges.into_iter().map(SummaryItem::Edge).collect()
            }
        }
    }

    fn child_count(&self, parent: Option<SummaryItem>) -> usize {
        match parent {
            None => self.snapshot.classes().len(),
            Some(SummaryItem::Class(c)) => self.snapshot.class_members(c as usize).len(),
            Some(item) => self
                .node_of(item)
                .map_or(0, |n| self.snapshot.edge_count_of(n)),
        }
    }

    fn has_children(&self, item: SummaryItem) -> bool {
        match item {
            SummaryItem::Class(c) => !self.snapshot.class_members(c as usize).is_empty(),
            item => self
                .node_of(item)
                .is_some_and(|n| self.snapshot.edge_count_of(n) > 0),
        }
    }
}

/// The Summary pane.
pub struct SummaryPane {
    tree: Option<TreeTable<SummaryModel>>,
    filter: String,
    sort: SortKey,
    seen_selection: u64,
}

impl Default for SummaryPane {
    fn default() -> Self {
        Self::new(String::new(), SortKey::RETAINED_DESC)
    }
}

impl SummaryPane {
    /// A pane with a restored filter and sort order.
    pub fn new(filter: String, sort: SortKey) -> Self {
        Self {
            tree: None,
            filter,
            sort,
            seen_selection: 0,
        }
    }

    /// Shows `snapshot` (or nothing); expansion and cursor start over.
    pub fn set_snapshot(&mut self, snapshot: Option<Arc<Snapshot>>) {
        self.tree = snapshot
            .map(|s| TreeTable::new(Arc::new(SummaryModel::new(s, &self.filter)), self.sort));
    }

    /// The class filter text.
    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// Changes the class filter.
    pub fn set_filter(&mut self, filter: &str) {
        self.filter = filter.to_owned();
        if let Some(tree) = self.tree.as_mut() {
            let snapshot = Arc::clone(&tree.model().snapshot);
            tree.set_model(Arc::new(SummaryModel::new(snapshot, filter)), true);
        }
    }

    /// The sort order.
    pub fn sort(&self) -> SortKey {
        self.sort
    }

    /// True while rows are being sorted or searched on a worker.
    pub fn is_busy(&self) -> bool {
        self.tree.as_ref().is_some_and(TreeTable::is_busy)
    }

    /// Number of visible rows.
    pub fn row_count(&self) -> usize {
        self.tree.as_ref().map_or(0, TreeTable::row_count)
    }

    /// The tree (for tests and measurements).
    pub fn tree_mut(&mut self) -> Option<&mut TreeTable<SummaryModel>> {
        self.tree.as_mut()
    }

    /// Expands class `name`'s row and puts the cursor on it (the filter is kept).
    pub fn reveal_class(&mut self, class: u32) {
        if let Some(tree) = self.tree.as_mut() {
            tree.reveal(vec![SummaryItem::Class(class)]);
        }
    }

    /// Opens the class of `node` and scrolls to the instance (clearing a filter that hides it).
    pub fn reveal_node(&mut self, node: NodeIdx) {
        let Some(tree) = self.tree.as_ref() else {
            return;
        };
        let snapshot = Arc::clone(&tree.model().snapshot);
        let Some(class) = snapshot.node_class(node) else {
            return;
        };
        let name = &snapshot.classes()[class].name;
        if !tree.model().matches(name) {
            self.set_filter("");
        }
        if let Some(tree) = self.tree.as_mut() {
            tree.reveal(vec![
                SummaryItem::Class(class as u32),
                SummaryItem::Instance(node),
            ]);
        }
    }

    /// Draws the filter bar and the table.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        if cx.selection.generation() != self.seen_selection {
            self.seen_selection = cx.selection.generation();
            if cx.selection.origin() != Some(PaneId::Summary)
                && let Some(node) = cx.selection.node()
            {
                self.reveal_node(node);
            }
        }
        if let Some(tree) = self.tree.as_mut() {
            tree.poll(ui.ctx());
        }
        self.toolbar_ui(ui);
        let Some(tree) = self.tree.as_mut() else {
            return;
        };
        let snapshot = Arc::clone(cx.snapshot);
        let total = snapshot.total_size();
        let selected = cx.selection.node();
        let mut sort = self.sort;
        let columns = [
            Column::remainder().at_least(220.0).clip(true),
            Column::initial(70.0).at_least(50.0).clip(true),
            Column::initial(130.0).at_least(90.0).clip(true),
            Column::initial(130.0).at_least(90.0).clip(true),
            Column::initial(80.0).at_least(50.0).clip(true),
        ];
        let response = tree.ui(
            ui,
            "summary_table",
            &columns,
            cx.focused == PaneId::Summary,
            |ui, c| {
                let (title, tip, col, right) = match c {
                    0 => (
                        "Constructor",
                        "Objects grouped by constructor",
                        SortColumn::Name,
                        false,
                    ),
                    1 => (
                        "Distance",
                        "Distance from the GC roots (shortest retaining path)",
                        SortColumn::Distance,
                        true,
                    ),
                    2 => (
                        "Shallow Size",
                        "Size of the object itself in bytes",
                        SortColumn::ShallowSize,
                        true,
                    ),
                    3 => (
                        "Retained Size",
                        "Size of the object plus the graph it retains in bytes",
                        SortColumn::RetainedSize,
                        true,
                    ),
                    _ => (
                        "Count",
                        "Number of objects of the class",
                        SortColumn::Count,
                        true,
                    ),
                };
                widgets::sort_header_ui(ui, title, tip, col, &mut sort, right);
            },
            |ui, row, c| row_cell_ui(ui, &snapshot, total, row, c),
            |item| match item {
                SummaryItem::Class(_) => false,
                SummaryItem::Instance(n) => Some(n) == selected,
                SummaryItem::Edge(e) => Some(snapshot.edge_target(e)) == selected,
            },
        );
        if sort != self.sort {
            self.sort = sort;
            tree.set_sort(sort);
        }
        if response.interacted {
            cx.commands.push(Command::FocusPane(PaneId::Summary));
        }
        let node_of = |item: SummaryItem| match item {
            SummaryItem::Class(_) => None,
            SummaryItem::Instance(n) => Some(n),
            SummaryItem::Edge(e) => Some(snapshot.edge_target(e)),
        };
        if let Some(n) = response.clicked.or(response.activated).and_then(node_of) {
            cx.select(n, PaneId::Summary);
        }
        if let Some(item) = response.copy {
            let text = match node_of(item) {
                Some(n) => class_at_id(&snapshot, n),
                None => match item {
                    SummaryItem::Class(c) => snapshot.classes()[c as usize].name.clone(),
                    _ => String::new(),
                },
            };
            cx.commands.push(Command::CopyText(text));
        }
    }

    fn toolbar_ui(&mut self, ui: &mut Ui) {
        let mut filter = self.filter.clone();
        ui.horizontal(|ui| {
            let label = ui.label("Class filter");
            ui.add(
                egui::TextEdit::singleline(&mut filter)
                    .id_salt("summary_class_filter")
                    .hint_text("Filter by class")
                    .desired_width(220.0),
            )
            .labelled_by(label.id);
            if !filter.is_empty()
                && ui
                    .small_button("\u{00D7}")
                    .on_hover_text("Clear the filter")
                    .clicked()
            {
                filter.clear();
            }
            if let Some(tree) = self.tree.as_ref() {
                let shown = tree.top_level().len();
                let total = tree.model().snapshot.classes().len();
                let text = if shown == total {
                    format!("{} constructors", format::count(total as u64))
                } else {
                    format!(
                        "{} of {} constructors",
                        format::count(shown as u64),
                        format::count(total as u64)
                    )
                };
                ui.label(RichText::new(text).color(Theme::of(ui).weak_text));
                if tree.is_busy() {
                    ui.spinner();
                }
            }
        });
        if filter != self.filter {
            self.set_filter(&filter);
        }
    }
}

fn row_cell_ui(
    ui: &mut Ui,
    snapshot: &Snapshot,
    total: u64,
    row: &RowRef<SummaryItem>,
    column: usize,
) {
    let theme = Theme::of(ui);
    let Some(item) = row.item else {
        if column == 0 {
            ui.spinner();
            ui.label(RichText::new("Sorting…").color(theme.weak_text));
        }
        return;
    };
    match item {
        SummaryItem::Class(c) => {
            let class = &snapshot.classes()[c as usize];
            match column {
                0 => {
                    ui.label(
                        RichText::new(widgets::shorten(&class.name))
                            .color(theme.class_name)
                            .strong(),
                    );
                    ui.label(
                        RichText::new(format!("\u{00D7}{}", format::count(u64::from(class.count))))
                            .color(theme.weak_text),
                    );
                }
                1 => widgets::number_cell_ui(ui, format::distance(class.distance)),
                2 => widgets::size_cell_ui(ui, class.shallow_size_bytes, total),
                3 => widgets::size_cell_ui(ui, class.retained_size_bytes, total),
                _ => widgets::number_cell_ui(ui, format::count(u64::from(class.count))),
            }
        }
        SummaryItem::Instance(n) => node_cells_ui(ui, snapshot, total, n, column, |ui| {
            node_label_ui(ui, snapshot, n);
        }),
        SummaryItem::Edge(e) => {
            let n = snapshot.edge_target(e);
            node_cells_ui(ui, snapshot, total, n, column, |ui| {
                ui.label(
                    RichText::new(widgets::shorten(&snapshot.edge_label(e))).color(theme.edge_name),
                );
                ui.label(RichText::new("::").color(theme.weak_text));
                node_label_ui(ui, snapshot, n);
                if snapshot.is_weak_edge(e) {
                    widgets::weak_marker_ui(ui);
                }
            });
        }
    }
}

fn node_cells_ui(
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
