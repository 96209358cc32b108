//! The Comparison view, as DevTools': per constructor the objects new in the target
//! (# New, Alloc. Size), gone since the baseline (# Deleted, Freed Size) and the deltas,
//! objects matched by snapshot id. Sorted by # Delta descending by default; a class expands
//! to its new instances (nodes of the target) and deleted ones (nodes of the baseline).
//!
//! The diff itself (`snapshot::diff`) is O(nodes) and runs on a worker whenever the
//! baseline/target pair changes.

use std::cmp::Ordering;
use std::sync::Arc;

use egui::{RichText, Ui};
use egui_extras::Column;

use crate::format;
use crate::snapshot::{self, Diff, NodeIdx, Snapshot};

use super::super::command::{Command, PaneId};
use super::super::document::DocId;
use super::super::jobs::{Poll, Promise};
use super::super::role::Role;
use super::super::theme::{CompareTheme, Theme};
use super::super::widgets::tree_table::{RowRef, TreeModel, TreeTable};
use super::super::widgets::{self, number_cell_ui};
use super::super::widgets::{column_sort_header_ui as sort_header_ui, signed_bytes, signed_count};
use super::CompareContext;
use super::{class_at_id, node_label_ui};

/// Shown when the two snapshots share no object id.
pub const NO_COMMON_IDS: &str = "No common ids: these snapshots come from different processes (or a restarted one), so every object counts as new or deleted.";

/// Shown when ids coincide but name different objects (another program: V8 numbers
/// objects from 1 in every process, so unrelated snapshots share ids by chance).
pub const UNRELATED_IDS: &str = "No common ids in practice: most ids present in both snapshots name different objects, so these snapshots come from different programs and new/deleted counts mean little.";

/// How the ids of two snapshots relate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Relatedness {
    /// Ids present in both snapshots.
    pub common_ids: usize,
    /// Of those, ids whose objects differ in type or name.
    pub differing: usize,
}

impl Relatedness {
    /// True when the snapshots look unrelated: no common id, or most common ids name
    /// different objects.
    pub fn unrelated(self) -> bool {
        self.common_ids == 0 || self.differing * 2 > self.common_ids
    }
}

/// Compares the objects behind the common ids (a merge over both id lists; runs on a
/// worker).
pub fn relatedness(base: &Snapshot, target: &Snapshot) -> Relatedness {
    let (common_ids, differing) = crate::snapshot::id_agreement(base, target);
    Relatedness {
        common_ids,
        differing,
    }
}

/// A sortable column of the Comparison table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompColumn {
    /// Constructor.
    Name,
    /// # New.
    New,
    /// # Deleted.
    Deleted,
    /// # Delta.
    Delta,
    /// Alloc. Size.
    AllocSize,
    /// Freed Size.
    FreedSize,
    /// Size Delta.
    SizeDelta,
}

/// Column and direction (descending when `.1`).
pub type CompSort = (CompColumn, bool);

/// DevTools' default: # Delta, biggest first.
pub const DELTA_DESC: CompSort = (CompColumn::Delta, true);

/// A row of the Comparison tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompItem {
    /// A changed class (index into `Diff::classes`).
    Class(u32),
    /// An object new in the target (a node of the target).
    New(NodeIdx),
    /// An object deleted since the baseline (a node of the baseline).
    Deleted(NodeIdx),
}

/// The diff of a pair, with both snapshots and the class filter.
pub struct ComparisonModel {
    diff: Arc<Diff>,
    base: Arc<Snapshot>,
    target: Arc<Snapshot>,
    /// Lower-case filter.
    filter: String,
}

impl ComparisonModel {
    fn matches(&self, name: &str) -> bool {
        self.filter.is_empty() || name.to_lowercase().contains(&self.filter)
    }
}

impl TreeModel for ComparisonModel {
    type Item = CompItem;
    type Sort = CompSort;

    fn children(&self, parent: Option<CompItem>, sort: CompSort) -> Vec<CompItem> {
        let classes = &self.diff.classes;
        match parent {
            None => {
                let mut rows: Vec<u32> = (0..classes.len() as u32)
                    .filter(|&c| self.matches(&classes[c as usize].name))
                    .collect();
                // Ties keep the diff's order (# Delta, size delta, key), like DevTools.
                rows.sort_by(|&a, &b| {
                    let (x, y) = (&classes[a as usize], &classes[b as usize]);
                    let ordering = match sort.0 {
                        CompColumn::Name => x.name.cmp(&y.name),
                        CompColumn::New => x.added_count.cmp(&y.added_count),
                        CompColumn::Deleted => x.removed_count.cmp(&y.removed_count),
                        CompColumn::Delta => x.count_delta.cmp(&y.count_delta),
                        CompColumn::AllocSize => x.added_size_bytes.cmp(&y.added_size_bytes),
                        CompColumn::FreedSize => x.removed_size_bytes.cmp(&y.removed_size_bytes),
                        CompColumn::SizeDelta => x.size_delta_bytes.cmp(&y.size_delta_bytes),
                    };
                    let ordering = if sort.1 { ordering.reverse() } else { ordering };
                    ordering.then(a.cmp(&b))
                });
                rows.into_iter().map(CompItem::Class).collect()
            }
            Some(CompItem::Class(c)) => {
                let Some(class) = classes.get(c as usize) else {
                    return Vec::new();
                };
                let by_size = |s: &Snapshot, list: &[NodeIdx]| -> Vec<NodeIdx> {
                    let mut list = list.to_vec();
                    if !matches!(sort.0, CompColumn::Name | CompColumn::Delta) {
                        list.sort_by(|&a, &b| {
                            let o = s.self_size(a).cmp(&s.self_size(b));
                            if sort.1 { o.reverse() } else { o }
                        });
                    }
                    list
                };
                let mut rows: Vec<CompItem> = by_size(&self.target, &class.added)
                    .into_iter()
                    .map(CompItem::New)
                    .collect();
                rows.extend(
                    by_size(&self.base, &class.removed)
                        .into_iter()
                        .map(CompItem::Deleted),
                );
                rows
            }
            Some(_) => Vec::new(),
        }
    }

    fn child_count(&self, parent: Option<CompItem>) -> usize {
        match parent {
            None => self.diff.classes.len(),
            Some(CompItem::Class(c)) => self
                .diff
                .classes
                .get(c as usize)
                .map_or(0, |c| c.added.len() + c.removed.len()),
            Some(_) => 0,
        }
    }

    fn has_children(&self, item: CompItem) -> bool {
        match item {
            CompItem::Class(c) => self
                .diff
                .classes
                .get(c as usize)
                .is_some_and(|c| !c.added.is_empty() || !c.removed.is_empty()),
            _ => false,
        }
    }
}

/// The snapshots a diff was computed for.
#[derive(Clone)]
struct Pair {
    base_doc: DocId,
    target_doc: DocId,
    base: Arc<Snapshot>,
    target: Arc<Snapshot>,
}

/// The Comparison pane.
pub struct ComparisonPane {
    pair: Option<(DocId, DocId)>,
    job: Option<(Pair, Promise<(Diff, Relatedness)>)>,
    relatedness: Relatedness,
    shown: Option<Pair>,
    tree: Option<TreeTable<ComparisonModel>>,
    filter: String,
    sort: CompSort,
    seen_selection: u64,
}

impl Default for ComparisonPane {
    fn default() -> Self {
        Self {
            pair: None,
            job: None,
            relatedness: Relatedness::default(),
            shown: None,
            tree: None,
            filter: String::new(),
            sort: DELTA_DESC,
            seen_selection: 0,
        }
    }
}

impl ComparisonPane {
    /// True while the diff or a child list is computed.
    pub fn is_busy(&self) -> bool {
        self.job.is_some() || self.tree.as_ref().is_some_and(TreeTable::is_busy)
    }

    /// How the ids of the pair shown relate.
    pub fn relatedness(&self) -> Relatedness {
        self.relatedness
    }

    /// The diff shown (None until computed).
    pub fn diff(&self) -> Option<&Arc<Diff>> {
        self.tree.as_ref().map(|t| &t.model().diff)
    }

    /// The top-level rows as (constructor, # Delta), in display order.
    pub fn rows(&self) -> Vec<(String, i64)> {
        let Some(tree) = self.tree.as_ref() else {
            return Vec::new();
        };
        let classes = &tree.model().diff.classes;
        tree.top_level()
            .iter()
            .filter_map(|item| match item {
                CompItem::Class(c) => classes
                    .get(*c as usize)
                    .map(|c| (c.name.clone(), c.count_delta)),
                _ => None,
            })
            .collect()
    }

    /// The Comparison rows on screen (filter and sort applied) as a report table, and the
    /// two snapshots compared (base, target): "Copy as Markdown" and File → Export Report.
    /// With `cursor_only`, just the class row the cursor is on.
    pub fn visible_table(
        &self,
        cursor_only: bool,
    ) -> Option<(crate::snapshot::export::Table, Arc<Snapshot>, Arc<Snapshot>)> {
        use crate::snapshot::export;
        let tree = self.tree.as_ref()?;
        let model = tree.model();
        let rows: Vec<usize> = if cursor_only {
            match tree.cursor_item()? {
                CompItem::Class(c) => vec![c as usize],
                _ => return None,
            }
        } else {
            tree.top_level()
                .iter()
                .filter_map(|item| match item {
                    CompItem::Class(c) => Some(*c as usize),
                    _ => None,
                })
                .collect()
        };
        let mut table = export::comparison_rows_table(&model.diff, &rows);
        if !cursor_only {
            let base = model.base.file_name();
            let filtered = export::filter_note(&self.filter, rows.len(), model.diff.classes.len());
            table.note = format!("Compared with {base}. {filtered}")
                .trim()
                .to_owned();
        }
        Some((table, Arc::clone(&model.base), Arc::clone(&model.target)))
    }

    /// The tree (for tests).
    pub fn tree_mut(&mut self) -> Option<&mut TreeTable<ComparisonModel>> {
        self.tree.as_mut()
    }

    /// Changes the class filter.
    pub fn set_filter(&mut self, filter: &str) {
        self.filter = filter.to_owned();
        if let Some(tree) = self.tree.as_mut() {
            let m = tree.model();
            let model = ComparisonModel {
                diff: Arc::clone(&m.diff),
                base: Arc::clone(&m.base),
                target: Arc::clone(&m.target),
                filter: filter.trim().to_lowercase(),
            };
            tree.set_model(Arc::new(model), true);
        }
    }

    /// Starts a diff when the baseline/target pair changed; collects a finished one.
    fn sync(&mut self, ctx: &egui::Context, cx: &CompareContext<'_>) {
        let base = cx.snapshot(Role::Baseline);
        let target = cx.snapshot(Role::Target);
        let ids = base.as_ref().zip(target.as_ref()).map(|(b, t)| (b.0, t.0));
        if ids != self.pair {
            self.pair = ids;
            self.job = None;
            self.tree = None;
            self.shown = None;
            if let (Some((base_doc, base)), Some((target_doc, target))) = (base, target) {
                let pair = Pair {
                    base_doc,
                    target_doc,
                    base: Arc::clone(&base),
                    target: Arc::clone(&target),
                };
                let promise = Promise::spawn("comparison diff", ctx, move || {
                    rayon::join(
                        || snapshot::diff(&base, &target),
                        || relatedness(&base, &target),
                    )
                });
                self.job = Some((pair, promise));
            }
        }
        if let Some((pair, promise)) = self.job.as_mut() {
            match promise.try_take() {
                Poll::Pending => {}
                Poll::Ready((diff, related)) => {
                    let pair = pair.clone();
                    self.relatedness = related;
                    let model = ComparisonModel {
                        diff: Arc::new(diff),
                        base: Arc::clone(&pair.base),
                        target: Arc::clone(&pair.target),
                        filter: self.filter.trim().to_lowercase(),
                    };
                    self.tree = Some(TreeTable::new(Arc::new(model), self.sort));
                    self.shown = Some(pair);
                    self.job = None;
                }
                Poll::Lost => self.job = None,
            }
        }
        if let Some(tree) = self.tree.as_mut() {
            tree.poll(ctx);
        }
    }

    /// Opens the class of a node selected elsewhere (a new object selected in the target,
    /// a deleted one in the baseline) and puts the cursor on it.
    fn follow_selection(&mut self, cx: &CompareContext<'_>) {
        let (Some(tree), Some(pair)) = (self.tree.as_mut(), self.shown.as_ref()) else {
            return; // Looked at again once the diff is there.
        };
        if cx.selection.generation() == self.seen_selection {
            return;
        }
        self.seen_selection = cx.selection.generation();
        let Some(node) = cx.selection.node() else {
            return;
        };
        if cx.selection.origin() == Some(PaneId::Comparison) {
            return;
        }
        let active = cx.docs.active().map(|d| d.id);
        let (snapshot, new) = if active == Some(pair.target_doc) {
            (&pair.target, true)
        } else if active == Some(pair.base_doc) {
            (&pair.base, false)
        } else {
            return;
        };
        let id = snapshot.node_id(node);
        let found = tree
            .model()
            .diff
            .classes
            .iter()
            .enumerate()
            .find_map(|(c, class)| {
                let list = if new { &class.added } else { &class.removed };
                list.binary_search_by_key(&id, |&n| snapshot.node_id(n))
                    .ok()
                    .map(|_| c as u32)
            });
        if let Some(c) = found {
            let item = if new {
                CompItem::New(node)
            } else {
                CompItem::Deleted(node)
            };
            tree.reveal(vec![CompItem::Class(c), item]);
        }
    }

    /// Draws the toolbar and the table.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut CompareContext<'_>) {
        self.sync(ui.ctx(), cx);
        self.follow_selection(cx);
        let theme = Theme::of(ui);
        if self.pair.is_none() {
            ui.add_space(12.0);
            ui.label(
                RichText::new(
                    "Comparison needs a baseline and a target: drop a second snapshot on the window, or pick one in the header above.",
                )
                .color(theme.weak_text),
            );
            return;
        }
        if self.toolbar_ui(ui, &theme) {
            cx.commands
                .push(Command::CopyMarkdown { cursor_only: false });
        }
        let (Some(tree), Some(pair)) = (self.tree.as_mut(), self.shown.as_ref()) else {
            ui.horizontal(|ui| {
                crate::app::widgets::spinner(ui);
                ui.label(RichText::new("Comparing snapshots\u{2026}").color(theme.weak_text));
            });
            return;
        };
        let note = if tree.model().diff.common_ids == 0 {
            Some(NO_COMMON_IDS)
        } else if self.relatedness.unrelated() {
            Some(UNRELATED_IDS)
        } else {
            None
        };
        if let Some(note) = note {
            egui::Frame::new()
                .fill(theme.error_bg)
                .inner_margin(egui::Margin::symmetric(8, 4))
                .corner_radius(4.0)
                .show(ui, |ui| {
                    ui.label(RichText::new(note).color(theme.error));
                });
        }
        let model = Arc::clone(tree.model());
        let mut sort = self.sort;
        let columns = [
            Column::remainder().at_least(220.0).clip(true),
            Column::initial(70.0).at_least(50.0).clip(true),
            Column::initial(80.0).at_least(50.0).clip(true),
            Column::initial(80.0).at_least(50.0).clip(true),
            Column::initial(95.0).at_least(60.0).clip(true),
            Column::initial(95.0).at_least(60.0).clip(true),
            Column::initial(95.0).at_least(60.0).clip(true),
        ];
        let (base_doc, target_doc) = (pair.base_doc, pair.target_doc);
        // The least widths of the columns below, and the scroll bar.
        tree.set_min_width(220.0 + 70.0 + 2.0 * 80.0 + 3.0 * 95.0 + 24.0);
        let response = tree.ui(
            ui,
            "comparison_table",
            &columns,
            cx.focused == PaneId::Comparison,
            |ui, c| {
                let (title, tip, col, right) = match c {
                    0 => (
                        "Constructor",
                        "Classes with new or deleted objects",
                        CompColumn::Name,
                        false,
                    ),
                    1 => (
                        "# New",
                        "Objects in the target that are not in the baseline",
                        CompColumn::New,
                        true,
                    ),
                    2 => (
                        "# Deleted",
                        "Objects in the baseline that are gone from the target",
                        CompColumn::Deleted,
                        true,
                    ),
                    3 => (
                        "# Delta",
                        "# New \u{2212} # Deleted",
                        CompColumn::Delta,
                        true,
                    ),
                    4 => (
                        "Alloc. Size",
                        "Shallow size of the new objects",
                        CompColumn::AllocSize,
                        true,
                    ),
                    5 => (
                        "Freed Size",
                        "Shallow size of the deleted objects",
                        CompColumn::FreedSize,
                        true,
                    ),
                    _ => (
                        "Size Delta",
                        "Alloc. Size \u{2212} Freed Size",
                        CompColumn::SizeDelta,
                        true,
                    ),
                };
                let default_desc = col != CompColumn::Name;
                sort_header_ui(ui, title, tip, col, &mut sort, default_desc, right);
            },
            |ui, row, c| cell_ui(ui, &model, row, c),
            |item| match item {
                CompItem::Class(_) => false,
                CompItem::New(n) => cx.is_selected(target_doc, n),
                CompItem::Deleted(n) => cx.is_selected(base_doc, n),
            },
        );
        if sort != self.sort {
            self.sort = sort;
            tree.set_sort(sort);
        }
        if response.interacted {
            cx.commands.push(Command::FocusPane(PaneId::Comparison));
        }
        match response.clicked.or(response.activated) {
            Some(CompItem::New(n)) => cx.select_in(target_doc, n, PaneId::Comparison),
            Some(CompItem::Deleted(n)) => cx.select_in(base_doc, n, PaneId::Comparison),
            _ => {}
        }
        if let Some(item) = response.copy {
            let text = match item {
                CompItem::Class(c) => model
                    .diff
                    .classes
                    .get(c as usize)
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
                CompItem::New(n) => class_at_id(&model.target, n),
                CompItem::Deleted(n) => class_at_id(&model.base, n),
            };
            cx.commands.push(Command::CopyText(text));
        }
    }

    /// The filter box, Copy as Markdown (true when clicked) and the row counts.
    fn toolbar_ui(&mut self, ui: &mut Ui, theme: &Theme) -> bool {
        let mut filter = self.filter.clone();
        let mut copy = false;
        ui.horizontal_wrapped(|ui| {
            widgets::class_filter_ui(ui, &mut filter, "comparison_class_filter");
            copy = self.tree.is_some() && widgets::copy_markdown_button(ui);
            if let Some(tree) = self.tree.as_ref() {
                let diff = &tree.model().diff;
                let shown = tree.top_level().len();
                let total = diff.classes.len();
                let classes = if shown == total {
                    format!("{} changed constructors", format::count(total as u64))
                } else {
                    format!(
                        "{} of {} changed constructors",
                        format::count(shown as u64),
                        format::count(total as u64)
                    )
                };
                ui.label(
                    RichText::new(format!(
                        "{classes} \u{00B7} {} objects in both snapshots",
                        format::count(diff.common_ids as u64)
                    ))
                    .color(theme.weak_text),
                );
            }
            if self.is_busy() {
                crate::app::widgets::spinner(ui);
            }
        });
        if filter != self.filter {
            self.set_filter(&filter);
        }
        copy
    }
}

fn cell_ui(ui: &mut Ui, model: &ComparisonModel, row: &RowRef<CompItem>, column: usize) {
    let theme = Theme::of(ui);
    let ct = CompareTheme::of(ui);
    let Some(item) = row.item else {
        if column == 0 {
            crate::app::widgets::spinner(ui);
            ui.label(RichText::new("Loading\u{2026}").color(theme.weak_text));
        }
        return;
    };
    match item {
        CompItem::Class(c) => {
            let Some(class) = model.diff.classes.get(c as usize) else {
                return;
            };
            match column {
                0 => {
                    ui.label(
                        RichText::new(widgets::shorten(&class.name))
                            .color(theme.class_name)
                            .strong(),
                    );
                }
                1 => number_cell_ui(ui, format::count(u64::from(class.added_count))),
                2 => number_cell_ui(ui, format::count(u64::from(class.removed_count))),
                3 => delta_cell_ui(ui, signed_count(class.count_delta), class.count_delta),
                4 => bytes_cell_ui(ui, class.added_size_bytes),
                5 => bytes_cell_ui(ui, class.removed_size_bytes),
                _ => delta_cell_ui(
                    ui,
                    signed_bytes(class.size_delta_bytes),
                    class.size_delta_bytes,
                ),
            }
        }
        CompItem::New(n) => {
            let s = &model.target;
            match column {
                0 => {
                    node_label_ui(ui, s, n);
                    ui.label(RichText::new("new").small().color(ct.added))
                        .on_hover_text("Allocated since the baseline (lives in the target)");
                }
                1 => number_cell_ui(ui, "\u{2022}".to_owned()),
                4 => bytes_cell_ui(ui, s.self_size(n)),
                6 => delta_cell_ui(
                    ui,
                    signed_bytes(s.self_size(n) as i64),
                    s.self_size(n) as i64,
                ),
                _ => {}
            }
        }
        CompItem::Deleted(n) => {
            let s = &model.base;
            match column {
                0 => {
                    node_label_ui(ui, s, n);
                    ui.label(RichText::new("deleted").small().color(ct.removed))
                        .on_hover_text("Gone from the target (lives in the baseline)");
                }
                2 => number_cell_ui(ui, "\u{2022}".to_owned()),
                5 => bytes_cell_ui(ui, s.self_size(n)),
                6 => delta_cell_ui(
                    ui,
                    signed_bytes(-(s.self_size(n) as i64)),
                    -(s.self_size(n) as i64),
                ),
                _ => {}
            }
        }
    }
}

/// A right-aligned size, exact bytes on hover.
pub fn bytes_cell_ui(ui: &mut Ui, size_bytes: u64) {
    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
        ui.label(format::bytes(size_bytes))
            .on_hover_text(format!("{} bytes", format::count(size_bytes)));
    });
}

/// A right-aligned signed number coloured by its sign (growth / shrinkage).
pub fn delta_cell_ui(ui: &mut Ui, text: String, value: i64) {
    let theme = Theme::of(ui);
    let ct = CompareTheme::of(ui);
    let color = match value.cmp(&0) {
        Ordering::Greater => ct.added,
        Ordering::Less => ct.removed,
        Ordering::Equal => theme.weak_text,
    };
    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
        ui.label(RichText::new(text).color(color));
    });
}

impl super::Pane for ComparisonPane {
    fn title(&self) -> String {
        crate::app::command::View::Comparison.label().to_owned()
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut super::TileContext<'_>) {
        ComparisonPane::ui(self, ui, &mut cx.compare());
    }

    fn is_busy(&self) -> bool {
        ComparisonPane::is_busy(self)
    }
}
