//! The Duplicated strings view: DevTools' `getDuplicateStrings`, string objects whose text
//! another one repeats, grouped by text (biggest total retained size first). A group
//! expands to its objects; selecting one shows its Retainers, which is where a leak of
//! repeated payloads or keys shows who holds the copies.

use std::sync::Arc;

use egui::{RichText, Ui};

use crate::format;
use crate::snapshot::{NodeIdx, Snapshot, StringGroup};

use super::super::command::{Command, PaneId};
use super::super::jobs::{Poll, Promise};
use super::super::theme::Theme;
use super::super::widgets::tree_table::{RowRef, TreeModel, TreeTable};
use super::super::widgets::{self, SortColumn, SortKey};
use super::{
    PaneContext, class_at_id, distance_key, node_label_ui, object_cells_ui, pending_cell_ui,
};

/// A row: a group of equal strings, or one of its objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StringItem {
    /// Index into the groups.
    Group(u32),
    /// A string object.
    Node(NodeIdx),
}

/// The groups of one snapshot.
pub struct StringsModel {
    snapshot: Arc<Snapshot>,
    groups: Vec<StringGroup>,
    /// Smallest distance of each group's objects.
    distances: Vec<i32>,
    /// The group of each string object.
    group_of: std::collections::HashMap<NodeIdx, u32>,
    /// Number of string objects in all groups.
    objects: usize,
    /// Bytes all but one copy of each text take.
    wasted: u64,
}

impl StringsModel {
    /// The groups (DevTools' order).
    pub fn groups(&self) -> &[StringGroup] {
        &self.groups
    }

    fn group_key(&self, sort: SortKey, g: usize) -> (u64, i64) {
        let group = &self.groups[g];
        match sort.column {
            SortColumn::Distance => (0, distance_key(self.distances[g])),
            SortColumn::ShallowSize => (group.total_self_size, 0),
            SortColumn::Count => (group.nodes.len() as u64, 0),
            SortColumn::Name | SortColumn::RetainedSize => (group.total_retained_size, 0),
        }
    }
}

impl TreeModel for StringsModel {
    type Item = StringItem;
    type Sort = SortKey;

    fn children(&self, parent: Option<StringItem>, sort: SortKey) -> Vec<StringItem> {
        let s = &self.snapshot;
        match parent {
            None => {
                let mut order: Vec<usize> = (0..self.groups.len()).collect();
                // Stable: ties keep DevTools' order.
                if sort.column == SortColumn::Name {
                    order.sort_by(|&a, &b| {
                        sort.apply(self.groups[a].value.cmp(&self.groups[b].value))
                    });
                } else {
                    order.sort_by(|&a, &b| {
                        sort.apply(self.group_key(sort, a).cmp(&self.group_key(sort, b)))
                    });
                }
                order
                    .into_iter()
                    .map(|g| StringItem::Group(g as u32))
                    .collect()
            }
            Some(StringItem::Group(g)) => {
                let mut nodes = self.groups[g as usize].nodes.clone();
                nodes.sort_by(|&a, &b| {
                    let ordering = match sort.column {
                        SortColumn::Distance => {
                            distance_key(s.distance(a)).cmp(&distance_key(s.distance(b)))
                        }
                        SortColumn::ShallowSize => s.self_size(a).cmp(&s.self_size(b)),
                        SortColumn::Name => s.node_id(a).cmp(&s.node_id(b)),
                        SortColumn::RetainedSize | SortColumn::Count => {
                            s.retained_size(a).cmp(&s.retained_size(b))
                        }
                    };
                    sort.apply(ordering)
                        .then_with(|| s.node_id(a).cmp(&s.node_id(b)))
                });
                nodes.into_iter().map(StringItem::Node).collect()
            }
            Some(StringItem::Node(_)) => Vec::new(),
        }
    }

    fn child_count(&self, parent: Option<StringItem>) -> usize {
        match parent {
            None => self.groups.len(),
            Some(StringItem::Group(g)) => self.groups[g as usize].nodes.len(),
            Some(StringItem::Node(_)) => 0,
        }
    }

    fn has_children(&self, item: StringItem) -> bool {
        matches!(item, StringItem::Group(_))
    }
}

/// The Duplicated strings pane.
pub struct StringsPane {
    snapshot: Option<Arc<Snapshot>>,
    job: Option<Promise<StringsModel>>,
    tree: Option<TreeTable<StringsModel>>,
    sort: SortKey,
    /// The selection generation last looked at (0: none yet, so a selection made while the
    /// groups were computed is revealed once they are there).
    seen_selection: u64,
}

impl Default for StringsPane {
    fn default() -> Self {
        Self {
            snapshot: None,
            job: None,
            tree: None,
            sort: SortKey::RETAINED_DESC,
            seen_selection: 0,
        }
    }
}

impl StringsPane {
    /// Shows `snapshot`'s duplicated strings (computed when the view is first shown).
    pub fn set_snapshot(&mut self, snapshot: Option<Arc<Snapshot>>) {
        self.snapshot = snapshot;
        self.job = None;
        self.tree = None;
        self.seen_selection = 0;
    }

    /// True while the groups are computed.
    pub fn is_busy(&self) -> bool {
        self.job.is_some() || self.tree.as_ref().is_some_and(TreeTable::is_busy)
    }

    /// The tree, once computed (for tests).
    pub fn tree_mut(&mut self) -> Option<&mut TreeTable<StringsModel>> {
        self.tree.as_mut()
    }

    fn poll(&mut self, ctx: &egui::Context) {
        if self.tree.is_none()
            && self.job.is_none()
            && let Some(snapshot) = self.snapshot.clone()
        {
            self.job = Some(Promise::spawn("duplicated strings", ctx, move || {
                let groups = snapshot.duplicate_string_groups();
                let distances = groups
                    .iter()
                    .map(|g| {
                        g.nodes
                            .iter()
                            .map(|&n| snapshot.distance(n))
                            .min_by_key(|&d| distance_key(d))
                            .unwrap_or(0)
                    })
                    .collect();
                let group_of = groups
                    .iter()
                    .enumerate()
                    .flat_map(|(g, group)| group.nodes.iter().map(move |&n| (n, g as u32)))
                    .collect();
                let objects = groups.iter().map(|g| g.nodes.len()).sum();
                let wasted = groups
                    .iter()
                    .map(|g| {
                        let each = g.total_self_size / g.nodes.len().max(1) as u64;
                        g.total_self_size.saturating_sub(each)
                    })
                    .sum();
                StringsModel {
                    snapshot,
                    groups,
                    distances,
                    group_of,
                    objects,
                    wasted,
                }
            }));
        }
        if let Some(job) = self.job.as_mut() {
            match job.try_take() {
                Poll::Pending => {}
                Poll::Ready(model) => {
                    self.tree = Some(TreeTable::new(Arc::new(model), self.sort));
                    self.job = None;
                }
                Poll::Lost => self.job = None,
            }
        }
    }

    /// Draws the header line and the groups.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        let theme = Theme::of(ui);
        self.poll(ui.ctx());
        let Some(tree) = self.tree.as_mut() else {
            ui.horizontal(|ui| {
                ui.label(RichText::new("Duplicated strings").strong());
                crate::app::widgets::spinner(ui);
                ui.label(RichText::new("Grouping the strings…").color(theme.weak_text));
            });
            return;
        };
        let model = Arc::clone(tree.model());
        // A string selected elsewhere: open its group and put the cursor on it.
        if let Some(n) = cx
            .selection
            .changed_elsewhere(&mut self.seen_selection, PaneId::Strings)
            && let Some(&g) = model.group_of.get(&n)
        {
            tree.reveal(vec![StringItem::Group(g), StringItem::Node(n)]);
        }
        tree.poll(ui.ctx());
        ui.horizontal(|ui| {
            ui.label(RichText::new("Duplicated strings").strong());
            ui.label(
                RichText::new(format!(
                    "\u{2014} {} string objects repeat {} texts; about {} would go with one copy of each",
                    format::count(model.objects as u64),
                    format::count(model.groups.len() as u64),
                    format::bytes(model.wasted)
                ))
                .color(theme.weak_text),
            );
        });
        let snapshot = Arc::clone(&model.snapshot);
        let total = snapshot.total_size();
        let selected = cx.selection.node();
        let mut sort = self.sort;
        let columns = widgets::object_columns(260.0);
        let response = tree.ui(
            ui,
            "strings_table",
            &columns,
            cx.focused == PaneId::Strings,
            |ui, c| {
                widgets::object_header_ui(
                    ui,
                    c,
                    "The text, and how many string objects hold it (expand for them)",
                    "Distance from the GC roots (the nearest object of a group)",
                    &mut sort,
                )
            },
            |ui, row, c| row_cell_ui(ui, &model, total, row, c),
            |item| matches!(item, StringItem::Node(n) if Some(n) == selected),
        );
        if sort != self.sort {
            self.sort = sort;
            tree.set_sort(sort);
        }
        if response.interacted {
            cx.commands.push(Command::FocusPane(PaneId::Strings));
        }
        if let Some(StringItem::Node(n)) = response.clicked.or(response.activated) {
            cx.select(n, PaneId::Strings);
        }
        match response.copy {
            Some(StringItem::Node(n)) => cx
                .commands
                .push(Command::CopyText(class_at_id(&snapshot, n))),
            Some(StringItem::Group(g)) => cx
                .commands
                .push(Command::CopyText(model.groups[g as usize].value.clone())),
            None => {}
        }
    }
}

fn row_cell_ui(
    ui: &mut Ui,
    model: &StringsModel,
    total: u64,
    row: &RowRef<StringItem>,
    column: usize,
) {
    let theme = Theme::of(ui);
    let snapshot = &model.snapshot;
    match row.item {
        None => pending_cell_ui(ui, column, "Loading…"),
        Some(StringItem::Node(n)) => object_cells_ui(ui, snapshot, total, n, column, |ui| {
            node_label_ui(ui, snapshot, n);
        }),
        Some(StringItem::Group(g)) => {
            let group = &model.groups[g as usize];
            match column {
                0 => {
                    let text: String = group
                        .value
                        .chars()
                        .take(200)
                        .flat_map(|c| match c {
                            '\n' => vec!['\\', 'n'],
                            '\t' => vec!['\\', 't'],
                            c => vec![c],
                        })
                        .collect();
                    ui.label(RichText::new(format!("\"{text}\"")).color(theme.string_value))
                        .on_hover_text(if group.truncated.is_some() {
                            "V8 truncated this text in the snapshot; equal length and hash make the copies"
                        } else {
                            "The text these string objects hold"
                        });
                    ui.label(
                        RichText::new(format!(
                            "\u{00D7}{}",
                            format::count(group.nodes.len() as u64)
                        ))
                        .color(theme.weak_text),
                    );
                }
                1 => widgets::number_cell_ui(ui, format::distance(model.distances[g as usize])),
                2 => widgets::size_cell_ui(ui, group.total_self_size, total),
                _ => widgets::size_cell_ui(ui, group.total_retained_size, total),
            }
        }
    }
}

impl super::Pane for StringsPane {
    fn title(&self) -> String {
        crate::app::command::View::Strings.label().to_owned()
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut super::TileContext<'_>) {
        StringsPane::ui(self, ui, &mut cx.pane());
    }

    fn bind(&mut self, _doc: crate::app::document::DocId, snapshot: Arc<Snapshot>) {
        self.set_snapshot(Some(snapshot));
    }

    fn is_busy(&self) -> bool {
        StringsPane::is_busy(self)
    }
}
