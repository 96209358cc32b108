//! The Summary view: objects grouped by constructor, as in DevTools.
//!
//! Columns: Constructor, Distance, Shallow Size, Retained Size (bytes and % of the total),
//! Count. A class expands to its instances (`name @id`), an instance to its outgoing edges
//! (`.prop :: Name @id`), recursively. The class filter matches a case-insensitive substring
//! of the constructor name, as DevTools' "Filter by class" box does. A second box restricts
//! the rows to DevTools' "Duplicated strings" or, with two or more snapshots open, to objects
//! allocated before or between snapshots (DevTools' Summary filter; see
//! [`super::summary_range`]).

use std::cmp::Ordering;
use std::sync::Arc;

use egui::{RichText, Ui};
use egui_extras::Column;
use rayon::slice::ParallelSliceMut as _;

use crate::format;
use crate::snapshot::allocation::CallerPath;
use crate::snapshot::{Aggregates, EdgeIdx, EdgeKind, NodeIdx, Snapshot};

use super::super::command::{Command, CommandQueue, PaneId};
use super::super::document::{DocId, Documents};
use super::super::roles::Roles;
use super::super::theme::Theme;
use super::super::widgets::tree_table::{INLINE_LIMIT, RowRef, TreeModel, TreeTable};
use super::super::widgets::{self, SortColumn, SortKey};
use super::summary_range::{RangeFilter, RangeKey, RangeResult};
use super::{
    PaneContext, class_at_id, distance_key, edge_node_label_ui, node_label_ui, object_cells_ui,
    pending_cell_ui,
};

/// A row of the Summary tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SummaryItem {
    /// A constructor (index into the model's [`Aggregates::classes`]).
    Class(u32),
    /// An instance of a class.
    Instance(NodeIdx),
    /// An outgoing edge of an expanded object (shows the edge and its target).
    Edge(EdgeIdx),
}

/// The Summary's data: the snapshot, the id range (if any) and the class filter.
pub struct SummaryModel {
    snapshot: Arc<Snapshot>,
    /// The aggregates of an id range; `None` shows all objects.
    range: Option<Arc<RangeResult>>,
    /// Lower-case filter text.
    filter: String,
}

impl SummaryModel {
    /// A model over `snapshot` (all objects, or those of `range`) showing classes whose name
    /// contains `filter` (any case).
    pub fn new(snapshot: Arc<Snapshot>, range: Option<Arc<RangeResult>>, filter: &str) -> Self {
        Self {
            snapshot,
            range,
            filter: filter.trim().to_lowercase(),
        }
    }

    /// The rows and members shown: the range's, or the snapshot's.
    pub fn aggregates(&self) -> &Aggregates {
        self.range
            .as_ref()
            .map_or_else(|| self.snapshot.aggregates(), |r| &r.aggregates)
    }

    /// The id range shown, if any.
    pub fn range(&self) -> Option<&Arc<RangeResult>> {
        self.range.as_ref()
    }

    /// The row of `node` in the shown aggregates (None when filtered out or size 0).
    pub fn node_class(&self, node: NodeIdx) -> Option<usize> {
        self.aggregates().node_class(node.0)
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
                let classes = self.aggregates().classes();
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
                let mut members: Vec<NodeIdx> = self
                    .aggregates()
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
            None => self.aggregates().classes().len(),
            Some(SummaryItem::Class(c)) => self.aggregates().class_members(c as usize).len(),
            Some(item) => self
                .node_of(item)
                .map_or(0, |n| self.snapshot.edge_count_of(n)),
        }
    }

    fn has_children(&self, item: SummaryItem) -> bool {
        match item {
            SummaryItem::Class(c) => !self.aggregates().class_members(c as usize).is_empty(),
            item => self
                .node_of(item)
                .is_some_and(|n| self.snapshot.edge_count_of(n) > 0),
        }
    }
}

/// The "All objects" entry of the range filter box.
pub const ALL_OBJECTS: &str = "All objects";

/// The accessible name of the range filter box.
pub const RANGE_BOX_LABEL: &str = "Objects shown";

/// The Summary pane.
pub struct SummaryPane {
    /// The snapshot shown (the active one) and its document.
    shown: Option<(DocId, Arc<Snapshot>)>,
    tree: Option<TreeTable<SummaryModel>>,
    filter: String,
    sort: SortKey,
    ranges: RangeFilter,
    seen_selection: u64,
    /// Reveal the selection once the rebuilt tree is drawn (the range changed).
    reveal_selection: bool,
    /// Objects in the snapshot (its rows' counts summed), for "N of M objects".
    object_count: u64,
    /// A tile bound to one snapshot (it follows the range filter itself).
    bound: bool,
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
            shown: None,
            tree: None,
            filter,
            sort,
            ranges: RangeFilter::default(),
            seen_selection: 0,
            reveal_selection: false,
            object_count: 0,
            bound: false,
        }
    }

    /// Shows snapshot `doc` (or nothing); expansion and cursor start over.
    pub fn set_snapshot(&mut self, shown: Option<(DocId, Arc<Snapshot>)>) {
        self.object_count = shown.as_ref().map_or(0, |(_, s)| {
            s.classes().iter().map(|c| u64::from(c.count)).sum()
        });
        self.shown = shown;
        self.tree = None;
        self.update_tree();
    }

    /// Once per frame, shown or not: follows the open snapshots and slots for the range
    /// filter, collects its job, and rebuilds the rows when a range result arrives.
    pub fn sync(&mut self, ctx: &egui::Context, docs: &Documents, roles: &Roles) {
        self.ranges.sync(ctx, docs, roles);
        self.update_tree();
    }

    /// Builds the tree again when the snapshot or range it should show changed (a range
    /// being computed keeps the old tree, hidden, until its result is there).
    fn update_tree(&mut self) {
        let Some((doc, snapshot)) = self.shown.clone() else {
            self.tree = None;
            return;
        };
        if self.ranges.is_pending(doc) {
            return;
        }
        let range = self.ranges.result_for(doc).cloned();
        let wanted = (Arc::as_ptr(&snapshot), range.as_ref().map(Arc::as_ptr));
        let current = self.tree.as_ref().map(|t| {
            let model = t.model();
            (
                Arc::as_ptr(&model.snapshot),
                model.range.as_ref().map(Arc::as_ptr),
            )
        });
        if current == Some(wanted) {
            return;
        }
        let model = SummaryModel::new(snapshot, range, &self.filter);
        self.tree = Some(TreeTable::new(Arc::new(model), self.sort));
        self.reveal_selection = true;
    }

    /// The class filter text.
    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// Changes the class filter.
    pub fn set_filter(&mut self, filter: &str) {
        self.filter = filter.to_owned();
        if let Some(tree) = self.tree.as_mut() {
            let model = tree.model();
            let model = SummaryModel::new(Arc::clone(&model.snapshot), model.range.clone(), filter);
            tree.set_model(Arc::new(model), true);
        }
    }

    /// Chooses the id range of the shown snapshot (None: all objects). False when the
    /// range is not offered for it.
    pub fn choose_range(&mut self, docs: &Documents, roles: &Roles, key: Option<RangeKey>) -> bool {
        let Some((doc, _)) = self.shown else {
            return false;
        };
        self.ranges.choose(docs, roles, doc, key)
    }

    /// Offers the live objects of an Allocation row of the shown snapshot in the filter box
    /// and returns the key that chooses it (None with no snapshot shown).
    pub fn offer_allocation(&mut self, path: CallerPath, label: String) -> Option<RangeKey> {
        let (doc, _) = self.shown.as_ref()?;
        Some(self.ranges.offer_allocation(*doc, path, label))
    }

    /// The range filter: what it offers, what is chosen and computed.
    pub fn ranges(&self) -> &RangeFilter {
        &self.ranges
    }

    /// The id range whose objects the rows show (None: all objects).
    pub fn range_shown(&self) -> Option<&Arc<RangeResult>> {
        self.tree.as_ref()?.model().range()
    }

    /// The sort order.
    pub fn sort(&self) -> SortKey {
        self.sort
    }

    fn range_pending(&self) -> bool {
        self.shown
            .as_ref()
            .is_some_and(|(doc, _)| self.ranges.is_pending(*doc))
    }

    /// True while rows are being sorted, searched or filtered on a worker.
    pub fn is_busy(&self) -> bool {
        self.range_pending() || self.tree.as_ref().is_some_and(TreeTable::is_busy)
    }

    /// The class rows on screen (filter, id range and sort applied) as a report table:
    /// "Copy as Markdown" and File → Export Report. With `cursor_only`, just the row the
    /// cursor is on (a class, or an object as an objects table).
    pub fn visible_table(&self, cursor_only: bool) -> Option<crate::snapshot::export::Table> {
        use crate::snapshot::export;
        let tree = self.tree.as_ref()?;
        let model = tree.model();
        let aggregates = model.aggregates();
        if cursor_only {
            return match tree.cursor_item()? {
                SummaryItem::Class(c) => Some(export::summary_rows_table(
                    &model.snapshot,
                    aggregates,
                    &[c as usize],
                )),
                item => Some(export::objects_table(
                    &model.snapshot,
                    "Summary",
                    &[model.node_of(item)?],
                )),
            };
        }
        let rows: Vec<usize> = tree
            .top_level()
            .iter()
            .filter_map(|item| match item {
                SummaryItem::Class(c) => Some(*c as usize),
                _ => None,
            })
            .collect();
        let mut table = export::summary_rows_table(&model.snapshot, aggregates, &rows);
        let mut note = Vec::new();
        if model.range().is_some()
            && let Some(label) = self.ranges.chosen_option().map(|o| o.label.clone())
        {
            note.push(format!("{label}."));
        }
        note.push(export::filter_note(
            &self.filter,
            rows.len(),
            aggregates.classes.len(),
        ));
        table.note = note.join(" ").trim().to_owned();
        Some(table)
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

    /// Puts the cursor on the class named `name` (clearing a class filter that hides it);
    /// false when this snapshot has no such class (in the range shown).
    pub fn reveal_class_named(&mut self, name: &str) -> bool {
        let Some(tree) = self.tree.as_ref() else {
            return false;
        };
        let model = Arc::clone(tree.model());
        let Some(class) = model
            .aggregates()
            .classes()
            .iter()
            .position(|c| c.name == name)
        else {
            return false;
        };
        if !model.matches(name) {
            self.set_filter("");
        }
        if let Some(tree) = self.tree.as_mut() {
            tree.set_cursor(None);
            tree.reveal(vec![SummaryItem::Class(class as u32)]);
        }
        true
    }

    /// Opens the class of `node` and scrolls to the instance (clearing a class filter that
    /// hides it). A node outside the id range shown is not revealed (the range stays).
    pub fn reveal_node(&mut self, node: NodeIdx) {
        let Some(tree) = self.tree.as_ref() else {
            return;
        };
        let model = Arc::clone(tree.model());
        let Some(class) = model.node_class(node) else {
            return;
        };
        if !model.matches(&model.aggregates().classes()[class].name) {
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
        let pending = self.range_pending();
        if !pending {
            if self.reveal_selection {
                self.reveal_selection = false;
                self.seen_selection = cx.selection.generation();
                if let Some(node) = cx.selection.node() {
                    self.reveal_node(node);
                }
            } else if let Some(node) = cx
                .selection
                .changed_elsewhere(&mut self.seen_selection, PaneId::Summary)
            {
                self.reveal_node(node);
            }
            if let Some(tree) = self.tree.as_mut() {
                tree.poll(ui.ctx());
            }
        }
        self.toolbar_ui(ui, cx.commands, pending);
        if pending {
            let label = self
                .ranges
                .chosen_option()
                .map_or("objects", |o| o.label.as_str())
                .replacen("Objects", "objects", 1);
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                crate::app::widgets::spinner(ui);
                ui.label(
                    RichText::new(format!("Collecting {label}\u{2026}"))
                        .color(Theme::of(ui).weak_text),
                );
            });
            return;
        }
        let Some(tree) = self.tree.as_mut() else {
            return;
        };
        let model = Arc::clone(tree.model());
        let snapshot = Arc::clone(&model.snapshot);
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
        let count_tip = if model.range.is_some() {
            "Number of objects of the class that pass the filter"
        } else {
            "Number of objects of the class"
        };
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
                    _ => ("Count", count_tip, SortColumn::Count, true),
                };
                widgets::sort_header_ui(ui, title, tip, col, &mut sort, right);
            },
            |ui, row, c| row_cell_ui(ui, &model, total, row, c),
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
        let chosen = response.clicked.or(response.activated);
        if let Some(n) = chosen.and_then(node_of) {
            cx.select(n, PaneId::Summary);
        } else if let (Some(SummaryItem::Class(c)), Some((doc, _))) = (chosen, &self.shown)
            && let Some(class) = model.aggregates().classes().get(c as usize)
        {
            // Tiles of other snapshots reveal the same class.
            cx.commands.push(Command::LinkClass {
                doc: *doc,
                class: class.name.clone(),
            });
        }
        if let Some(item) = response.copy {
            let text = match node_of(item) {
                Some(n) => class_at_id(&snapshot, n),
                None => match item {
                    SummaryItem::Class(c) => model
                        .aggregates()
                        .classes()
                        .get(c as usize)
                        .map(|c| c.name.clone())
                        .unwrap_or_default(),
                    _ => String::new(),
                },
            };
            cx.commands.push(Command::CopyText(text));
        }
    }

    fn toolbar_ui(&mut self, ui: &mut Ui, commands: &mut CommandQueue, pending: bool) {
        let theme = Theme::of(ui);
        let mut filter = self.filter.clone();
        ui.horizontal_wrapped(|ui| {
            widgets::class_filter_ui(ui, &mut filter, "summary_class_filter");
            self.range_box_ui(ui, commands, &theme);
            if widgets::copy_markdown_button(ui) {
                commands.push(Command::CopyMarkdown { cursor_only: false });
            }
            if pending {
                crate::app::widgets::spinner(ui);
                return;
            }
            if let Some(tree) = self.tree.as_ref() {
                let model = tree.model();
                let shown = tree.top_level().len();
                let total = model.aggregates().classes().len();
                let constructors = if shown == total {
                    format!("{} constructors", format::count(total as u64))
                } else {
                    format!(
                        "{} of {} constructors",
                        format::count(shown as u64),
                        format::count(total as u64)
                    )
                };
                // The counts stay whole: in the wrapping row they move to the next row
                // instead of breaking inside a number.
                if let Some(range) = model.range() {
                    whole_label(
                        ui,
                        RichText::new(format!(
                            "{} of {} objects",
                            format::count(range.object_count),
                            format::count(self.object_count)
                        ))
                        .color(theme.filter_active)
                        .strong(),
                    )
                    .on_hover_text(match range.key {
                        RangeKey::Ids { .. } => format!(
                            "Objects with {} < id \u{2264} {} (the snapshots' largest JavaScript object ids)",
                            range.min_exclusive, range.max_inclusive
                        ),
                        RangeKey::DuplicatedStrings => "String objects whose text another string object repeats (DevTools' \"Duplicated strings\")".to_owned(),
                        RangeKey::AllocatedBy(_) => "Live objects whose allocation stack passes through the row chosen in the Allocation view (DevTools' allocation stack filter)".to_owned(),
                    });
                    whole_label(
                        ui,
                        RichText::new(format!("\u{00B7} {constructors}")).color(theme.weak_text),
                    );
                } else {
                    whole_label(ui, RichText::new(constructors).color(theme.weak_text));
                }
                if tree.is_busy() {
                    crate::app::widgets::spinner(ui);
                }
            }
        });
        if filter != self.filter {
            self.set_filter(&filter);
        }
    }

    /// DevTools' Summary filter box: All objects, objects allocated before / between
    /// snapshots (with two or more open), or Duplicated strings.
    fn range_box_ui(&self, ui: &mut Ui, commands: &mut CommandQueue, theme: &Theme) {
        let offered = self.ranges.offered();
        if offered.is_empty() {
            return;
        }
        ui.separator();
        let chosen = self.ranges.chosen_option();
        let chosen_key = chosen.map(|o| o.key);
        let text = match chosen {
            Some(o) => RichText::new(&o.label).color(theme.filter_active),
            None => RichText::new(ALL_OBJECTS),
        };
        let combo = egui::ComboBox::from_id_salt("summary_range")
            .selected_text(text)
            .width(RANGE_BOX_WIDTH)
            .truncate()
            .show_ui(ui, |ui| {
                if ui
                    .selectable_label(chosen_key.is_none(), ALL_OBJECTS)
                    .clicked()
                    && chosen_key.is_some()
                {
                    commands.push(Command::SetSummaryRange(None));
                }
                for option in offered {
                    if ui
                        .selectable_label(chosen_key == Some(option.key), &option.label)
                        .clicked()
                        && chosen_key != Some(option.key)
                    {
                        commands.push(Command::SetSummaryRange(Some(option.key)));
                    }
                }
            });
        combo
            .response
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::ComboBox, true, RANGE_BOX_LABEL));
        combo.response.on_hover_text(
            "Show all objects, or only those allocated before or between snapshots \
             (ids up to each snapshot's largest JavaScript object id), as DevTools' Summary filter",
        );
    }
}

/// Width of the range filter box, in points.
const RANGE_BOX_WIDTH: f32 = 440.0;

impl super::Pane for SummaryPane {
    fn title(&self) -> String {
        crate::app::command::View::Summary.label().to_owned()
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut super::TileContext<'_>) {
        if self.bound {
            self.sync(ui.ctx(), cx.docs, cx.roles);
        }
        SummaryPane::ui(self, ui, &mut cx.pane());
    }

    fn bind(&mut self, doc: DocId, snapshot: Arc<Snapshot>) {
        self.bound = true;
        self.set_snapshot(Some((doc, snapshot)));
    }

    fn follow_class(&mut self, class: &str) -> Option<bool> {
        Some(self.reveal_class_named(class))
    }

    fn is_busy(&self) -> bool {
        SummaryPane::is_busy(self)
    }
}

fn row_cell_ui(
    ui: &mut Ui,
    model: &SummaryModel,
    total: u64,
    row: &RowRef<SummaryItem>,
    column: usize,
) {
    let theme = Theme::of(ui);
    let snapshot: &Snapshot = &model.snapshot;
    let Some(item) = row.item else {
        pending_cell_ui(ui, column, "Sorting…");
        return;
    };
    match item {
        SummaryItem::Class(c) => {
            let Some(class) = model.aggregates().classes().get(c as usize) else {
                return;
            };
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
        SummaryItem::Instance(n) => object_cells_ui(ui, snapshot, total, n, column, |ui| {
            node_label_ui(ui, snapshot, n);
        }),
        SummaryItem::Edge(e) => {
            let n = snapshot.edge_target(e);
            object_cells_ui(ui, snapshot, total, n, column, |ui| {
                edge_node_label_ui(ui, snapshot, e, n, "::");
            });
        }
    }
}

/// A label kept whole: in a wrapping row it moves to the next row instead of breaking.
fn whole_label(ui: &mut egui::Ui, text: RichText) -> egui::Response {
    ui.add(egui::Label::new(text).extend())
}
