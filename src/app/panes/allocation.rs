//! The Allocation view (DevTools' "Allocation" perspective) for any snapshot written with
//! allocation tracking (`node --track-heap-objects`, "Allocation instrumentation on
//! timeline"): the functions that allocated, bottom-up, with script:line:col, Live Count,
//! Count, Live Size and Size; a row expands to its callers as DevTools expands it (a chain of
//! single callers, then the branching callers). Selecting a row filters the Summary below it
//! to the live objects allocated there (DevTools' `traceIds` filter).
//!
//! DevTools shows this only for `.heaptimeline` recordings; the data is in any tracked
//! snapshot, so heapsight shows it whenever the file has it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use egui::{RichText, Ui};
use egui_extras::Column;

use crate::format;
use crate::snapshot::allocation::{AllocationRow, CallerPath};
use crate::snapshot::{NodeIdx, Snapshot};

use super::super::command::{Command, CommandQueue, PaneId};
use super::super::jobs::{Poll, Promise};
use super::super::theme::Theme;
use super::super::widgets::tree_table::{RowRef, TreeModel, TreeTable};
use super::super::widgets::{self};
use super::{PaneContext, pending_cell_ui};

/// A column of the Allocation table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocColumn {
    /// The function (by name).
    Function,
    /// Objects allocated there that are still alive.
    LiveCount,
    /// Allocations made there (alive or not).
    Count,
    /// Shallow size of the live objects.
    LiveSize,
    /// Bytes allocated there.
    Size,
}

/// The Allocation table's sort order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllocSort {
    /// The column.
    pub column: AllocColumn,
    /// Biggest (or last by name) first.
    pub descending: bool,
}

impl AllocSort {
    /// DevTools' order: allocated size, biggest first.
    pub const SIZE_DESC: Self = Self {
        column: AllocColumn::Size,
        descending: true,
    };
}

/// A row handle: an index into the model's interned caller paths.
pub type AllocItem = u32;

/// The bottom-up allocation tree over one snapshot. Rows are addressed by [`CallerPath`];
/// the tree table needs `Copy` handles, so paths are interned as they are met.
pub struct AllocationModel {
    snapshot: Arc<Snapshot>,
    interned: Mutex<Interned>,
}

#[derive(Default)]
struct Interned {
    rows: Vec<AllocationRow>,
    index: HashMap<CallerPath, u32>,
}

impl AllocationModel {
    /// The model of `snapshot` (its allocation index should be built already: it is on
    /// first use, which walks every node).
    pub fn new(snapshot: Arc<Snapshot>) -> Self {
        Self {
            snapshot,
            interned: Mutex::new(Interned::default()),
        }
    }

    fn intern(&self, row: AllocationRow) -> u32 {
        let mut interned = self.interned.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(&i) = interned.index.get(&row.path) {
            interned.rows[i as usize] = row;
            return i;
        }
        let i = interned.rows.len() as u32;
        interned.index.insert(row.path.clone(), i);
        interned.rows.push(row);
        i
    }

    /// The row behind a handle.
    pub fn row(&self, item: AllocItem) -> Option<AllocationRow> {
        self.with_row(item, AllocationRow::clone)
    }

    /// `f` of the row behind a handle (no copy of its path).
    fn with_row<T>(&self, item: AllocItem, f: impl FnOnce(&AllocationRow) -> T) -> Option<T> {
        let interned = self.interned.lock().unwrap_or_else(PoisonError::into_inner);
        interned.rows.get(item as usize).map(f)
    }

    /// The handle of the row at `path`, if it was met.
    fn item_of(&self, path: &CallerPath) -> Option<AllocItem> {
        let interned = self.interned.lock().unwrap_or_else(PoisonError::into_inner);
        interned.index.get(path).copied()
    }

    /// The handle of a top-level row (the function that allocated), if it is one.
    pub fn top_level_item(&self, function_name: &str) -> Option<AllocItem> {
        let row = self.snapshot.allocation_functions().iter().find(|r| {
            self.snapshot
                .allocation_function(r.function())
                .display_name()
                == function_name
        })?;
        Some(self.intern(row.clone()))
    }

    fn sort_rows(&self, rows: &mut [AllocationRow], sort: AllocSort) {
        let s = &self.snapshot;
        rows.sort_by(|a, b| {
            let ordering = match sort.column {
                AllocColumn::Function => s
                    .allocation_function(a.function())
                    .display_name()
                    .cmp(s.allocation_function(b.function()).display_name()),
                AllocColumn::LiveCount => a.live_count.cmp(&b.live_count),
                AllocColumn::Count => a.count.cmp(&b.count),
                AllocColumn::LiveSize => a.live_size_bytes.cmp(&b.live_size_bytes),
                AllocColumn::Size => a.size_bytes.cmp(&b.size_bytes),
            };
            let ordering = if sort.descending {
                ordering.reverse()
            } else {
                ordering
            };
            // Ties in DevTools' function order, so the order is the same on every run.
            ordering.then_with(|| a.path.cmp(&b.path))
        });
    }

    /// The label of a row's Summary filter: `Objects allocated by f (script:1:2)`, with the
    /// callers of a caller row (`f ← g ← h`).
    pub fn filter_label(&self, path: &CallerPath) -> String {
        let s = &self.snapshot;
        let names: Vec<String> = path
            .0
            .iter()
            .map(|&f| s.allocation_function(f).display_name().to_owned())
            .collect();
        let location = path
            .allocating_function()
            .map(|f| s.allocation_function(f).location_label())
            .unwrap_or_default();
        let mut label = format!("Objects allocated by {}", names.join(" \u{2190} "));
        if !location.is_empty() {
            label.push_str(&format!(" ({location})"));
        }
        label
    }
}

impl TreeModel for AllocationModel {
    type Item = AllocItem;
    type Sort = AllocSort;

    fn children(&self, parent: Option<AllocItem>, sort: AllocSort) -> Vec<AllocItem> {
        let mut rows = match parent {
            None => self.snapshot.allocation_functions().to_vec(),
            Some(item) => {
                let Some(row) = self.row(item) else {
                    return Vec::new();
                };
                let callers = self.snapshot.allocation_callers(&row.path);
                // A chain of single callers is shown one row under the other, as DevTools
                // shows it; the branching callers hang under its last row.
                match callers.single_caller_chain.into_iter().next() {
                    Some(first) => vec![first],
                    None => callers.branching_callers,
                }
            }
        };
        self.sort_rows(&mut rows, sort);
        rows.into_iter().map(|r| self.intern(r)).collect()
    }

    fn child_count(&self, parent: Option<AllocItem>) -> usize {
        match parent {
            None => self.snapshot.allocation_functions().len(),
            Some(item) => usize::from(self.has_children(item)),
        }
    }

    fn has_children(&self, item: AllocItem) -> bool {
        self.with_row(item, |r| r.has_children).unwrap_or(false)
    }
}

/// The Allocation pane.
#[derive(Default)]
pub struct AllocationPane {
    snapshot: Option<Arc<Snapshot>>,
    /// Builds the snapshot's allocation index (one pass over every node) off the UI thread.
    index_job: Option<Promise<()>>,
    tree: Option<TreeTable<AllocationModel>>,
    sort: Option<AllocSort>,
    /// The row whose objects the Summary shows.
    chosen: Option<CallerPath>,
}

impl AllocationPane {
    /// Shows `snapshot`'s allocation traces (built when the view is first shown).
    pub fn set_snapshot(&mut self, snapshot: Option<Arc<Snapshot>>) {
        *self = Self {
            snapshot,
            sort: self.sort,
            ..Self::default()
        };
    }

    /// True while the allocation index is built or rows are sorted.
    pub fn is_busy(&self) -> bool {
        self.index_job.is_some() || self.tree.as_ref().is_some_and(TreeTable::is_busy)
    }

    /// The tree (for tests).
    pub fn tree_mut(&mut self) -> Option<&mut TreeTable<AllocationModel>> {
        self.tree.as_mut()
    }

    /// The row whose live objects the Summary shows, if one was chosen.
    pub fn chosen(&self) -> Option<&CallerPath> {
        self.chosen.as_ref()
    }

    /// Forgets the chosen row (the Summary filter was changed elsewhere).
    pub fn clear_chosen(&mut self) {
        self.chosen = None;
    }

    /// Builds the index on a worker, then the tree; true once the tree is there.
    fn ensure_tree(&mut self, ctx: &egui::Context) -> bool {
        if self.tree.is_some() {
            return true;
        }
        let Some(snapshot) = self.snapshot.clone() else {
            return false;
        };
        if !snapshot.has_allocation_data() {
            return false;
        }
        match self.index_job.as_mut() {
            None => {
                let s = Arc::clone(&snapshot);
                self.index_job = Some(Promise::spawn("allocation index", ctx, move || {
                    s.allocation_index();
                }));
                false
            }
            Some(job) => match job.try_take() {
                Poll::Pending => false,
                Poll::Ready(()) | Poll::Lost => {
                    self.index_job = None;
                    let sort = self.sort.unwrap_or(AllocSort::SIZE_DESC);
                    self.tree = Some(TreeTable::new(
                        Arc::new(AllocationModel::new(snapshot)),
                        sort,
                    ));
                    true
                }
            },
        }
    }

    /// Draws the header and the function table (the Summary goes below it, drawn by the app).
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        let theme = Theme::of(ui);
        let snapshot = Arc::clone(cx.snapshot);
        ui.horizontal(|ui| {
            ui.label(RichText::new("Allocation").strong());
            ui.label(
                RichText::new(
                    "\u{2014} the functions that allocated, bottom-up (expand a row for its \
                     callers); select one to see its live objects in the Summary below",
                )
                .color(theme.weak_text),
            );
        });
        if !snapshot.has_allocation_data() {
            no_data_ui(ui, &theme);
            return;
        }
        if !self.ensure_tree(ui.ctx()) {
            ui.horizontal(|ui| {
                crate::app::widgets::spinner(ui);
                ui.label(
                    RichText::new("Reading the allocation traces\u{2026}").color(theme.weak_text),
                );
            });
            return;
        }
        let Some(tree) = self.tree.as_mut() else {
            return;
        };
        tree.poll(ui.ctx());
        let model = Arc::clone(tree.model());
        let chosen_item = self.chosen.as_ref().and_then(|p| model.item_of(p));
        let mut sort = tree.sort();
        let columns = [
            Column::remainder().at_least(260.0).clip(true),
            Column::initial(90.0).at_least(60.0).clip(true),
            Column::initial(90.0).at_least(60.0).clip(true),
            Column::initial(100.0).at_least(70.0).clip(true),
            Column::initial(100.0).at_least(70.0).clip(true),
        ];
        let response = tree.ui(
            ui,
            "allocation_table",
            &columns,
            cx.focused == PaneId::Allocation,
            |ui, c| {
                let (title, tip, col, right) = match c {
                    0 => (
                        "Function",
                        "The function that allocated (children: its callers) and where it is",
                        AllocColumn::Function,
                        false,
                    ),
                    1 => (
                        "Live Count",
                        "Objects allocated here that are in the snapshot",
                        AllocColumn::LiveCount,
                        true,
                    ),
                    2 => (
                        "Count",
                        "Allocations made here since tracking started (alive or not)",
                        AllocColumn::Count,
                        true,
                    ),
                    3 => (
                        "Live Size",
                        "Shallow size of the live objects allocated here",
                        AllocColumn::LiveSize,
                        true,
                    ),
                    _ => (
                        "Size",
                        "Bytes allocated here since tracking started",
                        AllocColumn::Size,
                        true,
                    ),
                };
                header_ui(ui, title, tip, col, &mut sort, right);
            },
            |ui, row, c| cell_ui(ui, &model, row, c),
            |item| Some(item) == chosen_item,
        );
        if sort != tree.sort() {
            self.sort = Some(sort);
            tree.set_sort(sort);
        }
        if response.interacted {
            cx.commands.push(Command::FocusPane(PaneId::Allocation));
        }
        if let Some(item) = response.clicked.or(response.activated)
            && let Some(row) = model.row(item)
            && self.chosen.as_ref() != Some(&row.path)
        {
            let label = model.filter_label(&row.path);
            self.chosen = Some(row.path.clone());
            cx.commands.push(Command::FilterByAllocation {
                path: row.path,
                label,
            });
        }
        if let Some(item) = response.copy
            && let Some(row) = model.row(item)
        {
            let f = snapshot.allocation_function(row.function());
            cx.commands.push(Command::CopyText(
                format!("{}  {}", f.display_name(), f.location_label())
                    .trim_end()
                    .to_owned(),
            ));
        }
    }
}

/// What to do when the snapshot has no allocation traces.
fn no_data_ui(ui: &mut Ui, theme: &Theme) {
    ui.add_space(8.0);
    ui.label("This snapshot has no allocation data.");
    ui.label(
        RichText::new(
            "Allocation stacks are recorded only while allocation tracking is on: start the \
             process with `node --track-heap-objects` and write the snapshot with \
             v8.writeHeapSnapshot(), record \"Allocation instrumentation on timeline\" in \
             DevTools, or use HeapProfiler.startTrackingHeapObjects before the capture. \
             A cheaper alternative in production is a sampling heap profile \
             (`node --heap-prof`, a .heapprofile file), which heapsight opens too.",
        )
        .color(theme.weak_text),
    );
}

fn header_ui(
    ui: &mut Ui,
    title: &str,
    tip: &str,
    column: AllocColumn,
    sort: &mut AllocSort,
    right: bool,
) {
    let active = (sort.column == column).then_some(sort.descending);
    if widgets::sort_button_ui(ui, title, tip, active, right) {
        *sort = AllocSort {
            column,
            descending: if sort.column == column {
                !sort.descending
            } else {
                column != AllocColumn::Function
            },
        };
    }
}

fn cell_ui(ui: &mut Ui, model: &AllocationModel, row: &RowRef<AllocItem>, column: usize) {
    let theme = Theme::of(ui);
    let Some(item) = row.item else {
        pending_cell_ui(ui, column, "Sorting\u{2026}");
        return;
    };
    let s = &model.snapshot;
    model.with_row(item, |r| match column {
        0 => {
            let f = s.allocation_function(r.function());
            let name = RichText::new(widgets::shorten(f.display_name()));
            ui.label(if r.path.depth() == 0 {
                name.color(theme.class_name).strong()
            } else {
                name
            });
            let location = f.location_label();
            if !location.is_empty() {
                ui.label(RichText::new(location).color(theme.weak_text));
            }
        }
        1 => widgets::number_cell_ui(ui, format::count(r.live_count)),
        2 => widgets::number_cell_ui(ui, format::count(r.count)),
        3 => widgets::number_cell_ui(ui, format::bytes(r.live_size_bytes)),
        _ => widgets::number_cell_ui(ui, format::bytes(r.size_bytes)),
    });
}

/// The allocation stack of the selected object, one frame per line (`function
/// script:line:col`), beside the Retainers pane.
pub fn stack_ui(
    ui: &mut Ui,
    snapshot: &Snapshot,
    node: Option<NodeIdx>,
    commands: &mut CommandQueue,
) {
    let theme = Theme::of(ui);
    // The tile's tab says "Where it was created"; the header names what.
    ui.horizontal(|ui| {
        if let Some(n) = node {
            ui.add(
                egui::Label::new(
                    RichText::new(super::class_at_id(snapshot, n)).color(theme.weak_text),
                )
                .truncate(),
            );
        }
    });
    let Some(n) = node else {
        ui.label(
            RichText::new("Select an object to see where it was allocated.").color(theme.weak_text),
        );
        return;
    };
    match snapshot.location_label(n) {
        Some(location) => {
            ui.horizontal(|ui| {
                ui.label(RichText::new("Created at").color(theme.weak_text));
                ui.add(
                    egui::Label::new(RichText::new(&location).color(theme.class_name)).truncate(),
                )
                .on_hover_text(&location);
            });
        }
        None => {
            ui.label(
                RichText::new("The snapshot records no source location for it.")
                    .color(theme.weak_text),
            );
        }
    }
    if !snapshot.has_allocation_data() {
        ui.label(
            RichText::new(
                "No allocation stacks in this snapshot (record them with                  `node --track-heap-objects` or Start allocation tracking in the Live view).",
            )
            .color(theme.weak_text),
        );
        return;
    }
    let Some(frames) = snapshot.allocation_stack(n) else {
        ui.label(
            RichText::new("Stack was not recorded for this object (allocated before tracking started, or by the runtime).")
                .color(theme.weak_text),
        );
        return;
    };
    let lines: Vec<String> = frames
        .iter()
        .map(|f| {
            format!("{}  {}", f.display_name(), f.location_label())
                .trim_end()
                .to_owned()
        })
        .collect();
    if ui
        .small_button("Copy stack")
        .on_hover_text("Copy the frames as text, one per line")
        .clicked()
    {
        commands.push(Command::CopyText(lines.join("\n")));
    }
    egui::ScrollArea::both()
        .id_salt("allocation_stack")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for f in &frames {
                ui.horizontal(|ui| {
                    ui.label(RichText::new(f.display_name()).color(theme.class_name));
                    let location = f.location_label();
                    if !location.is_empty() {
                        ui.label(RichText::new(location).color(theme.weak_text));
                    }
                });
            }
        });
}

/// DevTools' Allocation perspective: the functions on top, the Summary of the chosen one's
/// live objects below.
pub fn view_ui(
    allocation: &mut AllocationPane,
    summary: &mut super::summary::SummaryPane,
    ui: &mut Ui,
    cx: &mut PaneContext<'_>,
) {
    let allocation_chosen = matches!(
        summary.ranges().chosen_option().map(|o| o.key),
        Some(super::summary_range::RangeKey::AllocatedBy(_))
    );
    if !allocation_chosen {
        allocation.clear_chosen();
    }
    let has_data = cx.snapshot.has_allocation_data();
    let height = ui.available_height() * 0.5;
    egui::Panel::top("allocation_functions")
        .resizable(has_data)
        .default_size(height)
        .min_size(120.0)
        .show(ui, |ui| allocation.ui(ui, cx));
    if has_data {
        summary.ui(ui, cx);
    }
}

/// "Where it was created" as a tile: the selected object's source location and allocation
/// stack.
#[derive(Default)]
pub struct WhereCreatedPane;

impl super::Pane for WhereCreatedPane {
    fn title(&self) -> String {
        WHERE_CREATED.to_owned()
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut super::TileContext<'_>) {
        stack_ui(ui, cx.snapshot, cx.selection.node(), cx.commands);
    }
}

pub use super::super::pane_kind::WHERE_CREATED;
