//! Leak candidates by the three-snapshot method, and DevTools' "Objects allocated between
//! two snapshots" Summary filter.
//!
//! With a baseline, a target and a final snapshot: objects allocated between baseline and
//! target that are still alive in final, ranked by class (user classes first; built-in rows
//! hidden unless asked for), each class expandable to its retainer-path groups. Clicking a
//! group selects its representative in the final snapshot, so the Retainers pane shows its
//! chain. With two snapshots (or on request): the target's Summary restricted to objects
//! whose id lies between the two snapshots' largest JS ids. Both run on workers.

use std::sync::Arc;

use egui::{RichText, Ui};
use egui_extras::Column;

use crate::format;
use crate::snapshot::{self, Aggregates, LeakClass, NodeIdx, Snapshot};

use super::super::command::{Command, PaneId};
use super::super::compare::CompareContext;
use super::super::document::DocId;
use super::super::jobs::{Poll, Promise};
use super::super::roles::{self, Role};
use super::super::theme::Theme;
use super::super::widgets::tree_table::{RowRef, TreeModel, TreeTable};
use super::super::widgets::{self, number_cell_ui, size_cell_ui};
use super::{class_at_id, node_label_ui};

/// A row of the leak candidates tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LeakItem {
    /// A class (index into the candidates).
    Class(u32),
    /// A retainer-path group of a class: (class, group).
    Group(u32, u32),
}

/// The candidates and whether built-in classes show.
pub struct LeakModel {
    classes: Arc<Vec<LeakClass>>,
    show_builtin: bool,
}

impl TreeModel for LeakModel {
    type Item = LeakItem;
    type Sort = ();

    fn children(&self, parent: Option<LeakItem>, _sort: ()) -> Vec<LeakItem> {
        match parent {
            None => (0..self.classes.len() as u32)
                .filter(|&c| self.show_builtin || !self.classes[c as usize].builtin)
                .map(LeakItem::Class)
                .collect(),
            Some(LeakItem::Class(c)) => {
                let groups = self.classes.get(c as usize).map_or(0, |c| c.groups.len());
                (0..groups as u32).map(|g| LeakItem::Group(c, g)).collect()
            }
            Some(LeakItem::Group(..)) => Vec::new(),
        }
    }

    fn child_count(&self, parent: Option<LeakItem>) -> usize {
        match parent {
            None => self.classes.len(),
            Some(LeakItem::Class(c)) => self.classes.get(c as usize).map_or(0, |c| c.groups.len()),
            Some(LeakItem::Group(..)) => 0,
        }
    }

    fn has_children(&self, item: LeakItem) -> bool {
        matches!(item, LeakItem::Class(_)) && self.child_count(Some(item)) > 0
    }
}

/// A row of the "allocated between" tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AllocItem {
    /// A class of the filtered aggregates.
    Class(u32),
    /// One of its objects (a node of the target).
    Instance(NodeIdx),
}

/// The target's Summary restricted to an id range.
pub struct AllocModel {
    aggregates: Arc<Aggregates>,
    target: Arc<Snapshot>,
}

impl TreeModel for AllocModel {
    type Item = AllocItem;
    type Sort = ();

    fn children(&self, parent: Option<AllocItem>, _sort: ()) -> Vec<AllocItem> {
        match parent {
            None => (0..self.aggregates.classes().len() as u32)
                .map(AllocItem::Class)
                .collect(),
            Some(AllocItem::Class(c)) => {
                let s = &self.target;
                let mut members: Vec<NodeIdx> = self
                    .aggregates
                    .class_members(c as usize)
                    .iter()
                    .map(|&n| NodeIdx(n))
                    .collect();
                members.sort_by(|&a, &b| {
                    s.retained_size(b)
                        .cmp(&s.retained_size(a))
                        .then(s.node_id(a).cmp(&s.node_id(b)))
                });
                members.into_iter().map(AllocItem::Instance).collect()
            }
            Some(AllocItem::Instance(_)) => Vec::new(),
        }
    }

    fn child_count(&self, parent: Option<AllocItem>) -> usize {
        match parent {
            None => self.aggregates.classes().len(),
            Some(AllocItem::Class(c)) => self.aggregates.class_members(c as usize).len(),
            Some(AllocItem::Instance(_)) => 0,
        }
    }

    fn has_children(&self, item: AllocItem) -> bool {
        matches!(item, AllocItem::Class(_)) && self.child_count(Some(item)) > 0
    }
}

/// Which list the pane shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeakMode {
    /// Three-snapshot leak candidates.
    Candidates,
    /// Objects allocated between baseline and target.
    AllocatedBetween,
}

type Triple = (DocId, DocId, DocId);

/// The Leak candidates pane.
pub struct LeaksPane {
    mode: LeakMode,
    has_final: bool,
    show_builtin: bool,
    triple: Option<Triple>,
    leaks_job: Option<Promise<Vec<LeakClass>>>,
    leaks: Option<TreeTable<LeakModel>>,
    final_doc: Option<(DocId, Arc<Snapshot>)>,
    pair: Option<(DocId, DocId)>,
    alloc_job: Option<Promise<Aggregates>>,
    alloc: Option<TreeTable<AllocModel>>,
    target_doc: Option<DocId>,
    seen_selection: u64,
}

impl Default for LeaksPane {
    fn default() -> Self {
        Self {
            mode: LeakMode::Candidates,
            has_final: false,
            show_builtin: false,
            triple: None,
            leaks_job: None,
            leaks: None,
            final_doc: None,
            pair: None,
            alloc_job: None,
            alloc: None,
            target_doc: None,
            seen_selection: 0,
        }
    }
}

impl LeaksPane {
    /// True while a list is computed.
    pub fn is_busy(&self) -> bool {
        self.leaks_job.is_some()
            || self.alloc_job.is_some()
            || self.leaks.as_ref().is_some_and(TreeTable::is_busy)
            || self.alloc.as_ref().is_some_and(TreeTable::is_busy)
    }

    /// The leak candidates (None until computed or with fewer than three snapshots).
    pub fn candidates(&self) -> Option<&[LeakClass]> {
        self.leaks.as_ref().map(|t| t.model().classes.as_slice())
    }

    /// The "allocated between" aggregates (None until computed).
    pub fn allocated_between(&self) -> Option<&Aggregates> {
        self.alloc.as_ref().map(|t| t.model().aggregates.as_ref())
    }

    /// The list shown: the one picked, or "allocated between" without a final snapshot.
    pub fn mode(&self) -> LeakMode {
        if self.has_final {
            self.mode
        } else {
            LeakMode::AllocatedBetween
        }
    }

    /// Shows the leak candidates or the "allocated between" list.
    pub fn set_mode(&mut self, mode: LeakMode) {
        self.mode = mode;
    }

    /// Shows or hides built-in classes (`(string)`, `system / …`).
    pub fn set_show_builtin(&mut self, show: bool) {
        self.show_builtin = show;
        if let Some(tree) = self.leaks.as_mut() {
            let model = LeakModel {
                classes: Arc::clone(&tree.model().classes),
                show_builtin: show,
            };
            tree.set_model(Arc::new(model), true);
        }
    }

    fn sync(&mut self, ctx: &egui::Context, cx: &CompareContext<'_>) {
        let base = cx.snapshot(Role::Baseline);
        let target = cx.snapshot(Role::Target);
        let last = cx.snapshot(Role::Final);
        self.has_final = last.is_some();
        let mode = self.mode();
        // Leak candidates: only computed while shown.
        let triple = match (&base, &target, &last) {
            (Some(b), Some(t), Some(f)) => Some((b.0, t.0, f.0)),
            _ => None,
        };
        if triple != self.triple && (mode == LeakMode::Candidates || triple.is_none()) {
            self.triple = triple;
            self.leaks = None;
            self.leaks_job = None;
            self.final_doc = last.clone();
            if let (Some((_, b)), Some((_, t)), Some((_, f))) =
                (base.clone(), target.clone(), last.clone())
            {
                self.leaks_job = Some(Promise::spawn("leak candidates", ctx, move || {
                    snapshot::leak_candidates(&b, &t, &f)
                }));
            }
        }
        if let Some(job) = self.leaks_job.as_mut() {
            match job.try_take() {
                Poll::Pending => {}
                Poll::Ready(classes) => {
                    let model = LeakModel {
                        classes: Arc::new(classes),
                        show_builtin: self.show_builtin,
                    };
                    self.leaks = Some(TreeTable::new(Arc::new(model), ()));
                    self.leaks_job = None;
                }
                Poll::Lost => self.leaks_job = None,
            }
        }
        // Allocated between: only computed while shown.
        let pair = base.as_ref().zip(target.as_ref()).map(|(b, t)| (b.0, t.0));
        if pair != self.pair && (mode == LeakMode::AllocatedBetween || pair.is_none()) {
            self.pair = pair;
            self.alloc = None;
            self.alloc_job = None;
            self.target_doc = target.as_ref().map(|t| t.0);
            if let (Some((_, b)), Some((_, t))) = (base, target) {
                self.alloc_job = Some(Promise::spawn("allocated between", ctx, move || {
                    t.aggregates_in_id_range(b.max_js_node_id(), t.max_js_node_id())
                }));
            }
        }
        if let Some(job) = self.alloc_job.as_mut() {
            match job.try_take() {
                Poll::Pending => {}
                Poll::Ready(aggregates) => {
                    self.alloc_job = None;
                    if let Some((_, t)) = cx.snapshot(Role::Target) {
                        let model = AllocModel {
                            aggregates: Arc::new(aggregates),
                            target: t,
                        };
                        self.alloc = Some(TreeTable::new(Arc::new(model), ()));
                    }
                }
                Poll::Lost => self.alloc_job = None,
            }
        }
        if let Some(tree) = self.leaks.as_mut() {
            tree.poll(ctx);
        }
        if let Some(tree) = self.alloc.as_mut() {
            tree.poll(ctx);
        }
    }

    /// Draws the mode switch and the list.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut CompareContext<'_>) {
        self.sync(ui.ctx(), cx);
        let theme = Theme::of(ui);
        let name = |role: Role| {
            cx.roles
                .doc(role)
                .and_then(|d| roles::find(cx.docs, d))
                .map(|d| d.source.display_name())
        };
        let (Some(base_name), Some(target_name)) = (name(Role::Baseline), name(Role::Target))
        else {
            ui.add_space(12.0);
            ui.label(
                RichText::new(
                    "Leak candidates need a baseline, a target and a final snapshot (three snapshots: after warm-up, after the suspected leak, after repeating it). With two snapshots this view lists the objects allocated between them.",
                )
                .color(theme.weak_text),
            );
            return;
        };
        let final_name = name(Role::Final);
        let mut mode = self.mode();
        let mut show_builtin = self.show_builtin;
        ui.horizontal(|ui| {
            ui.add_enabled_ui(final_name.is_some(), |ui| {
                ui.selectable_value(&mut mode, LeakMode::Candidates, "Leak candidates")
                    .on_disabled_hover_text("Needs a final snapshot (a third one)");
            });
            ui.selectable_value(
                &mut mode,
                LeakMode::AllocatedBetween,
                format!("Objects allocated between {base_name} and {target_name}"),
            );
            if mode == LeakMode::Candidates {
                ui.separator();
                ui.checkbox(&mut show_builtin, "Show built-in classes")
                    .on_hover_text("(string), (closure), system / \u{2026} rows");
            }
            if self.is_busy() {
                ui.spinner();
            }
        });
        if self.has_final {
            self.mode = mode;
        }
        if show_builtin != self.show_builtin {
            self.set_show_builtin(show_builtin);
        }
        match self.mode() {
            LeakMode::Candidates => {
                let final_name = final_name.unwrap_or_default();
                ui.label(
                    RichText::new(format!(
                        "Objects allocated between {base_name} and {target_name} that are still alive in {final_name}, grouped by class and retainer path. Click a path to see its retainers."
                    ))
                    .color(theme.weak_text),
                );
                self.leaks_ui(ui, cx, &theme);
            }
            LeakMode::AllocatedBetween => {
                if final_name.is_none() {
                    ui.label(
                        RichText::new(format!(
                            "Summary of {target_name} restricted to objects allocated after {base_name} was taken. Add a final snapshot for leak candidates."
                        ))
                        .color(theme.weak_text),
                    );
                }
                self.alloc_ui(ui, cx, &theme);
            }
        }
    }

    /// Opens the path group whose representative was selected elsewhere (e.g. `--select`).
    fn follow_selection(&mut self, cx: &CompareContext<'_>) {
        let (Some(tree), Some((final_doc, _))) = (self.leaks.as_mut(), self.final_doc.as_ref())
        else {
            return; // Looked at again once the candidates are there.
        };
        if cx.selection.generation() == self.seen_selection {
            return;
        }
        self.seen_selection = cx.selection.generation();
        if cx.selection.origin() == Some(PaneId::Leaks) {
            return;
        }
        let Some(node) = cx.selection.node() else {
            return;
        };
        if !cx.is_selected(*final_doc, node) {
            return;
        }
        let found = tree
            .model()
            .classes
            .iter()
            .enumerate()
            .find_map(|(c, class)| {
                let g = class.groups.iter().position(|g| g.representative == node)?;
                Some(vec![
                    LeakItem::Class(c as u32),
                    LeakItem::Group(c as u32, g as u32),
                ])
            });
        if let Some(path) = found {
            tree.reveal(path);
        }
    }

    fn leaks_ui(&mut self, ui: &mut Ui, cx: &mut CompareContext<'_>, theme: &Theme) {
        self.follow_selection(cx);
        let (Some(tree), Some((final_doc, last))) = (self.leaks.as_mut(), self.final_doc.clone())
        else {
            waiting_ui(ui, theme, "Finding leak candidates\u{2026}");
            return;
        };
        if tree.top_level().is_empty() && !tree.is_busy() {
            ui.label(
                RichText::new("No object allocated between baseline and target is alive in the final snapshot.")
                    .color(theme.weak_text),
            );
        }
        let model = Arc::clone(tree.model());
        let columns = [
            Column::remainder().at_least(300.0).clip(true),
            Column::initial(80.0).at_least(50.0).clip(true),
            Column::initial(130.0).at_least(90.0).clip(true),
            Column::initial(130.0).at_least(90.0).clip(true),
        ];
        let total = last.total_size();
        let response = tree.ui(
            ui,
            "leaks_table",
            &columns,
            cx.focused == PaneId::Leaks,
            |ui, c| {
                let (title, right) = match c {
                    0 => ("Class / retainer path", false),
                    1 => ("Count", true),
                    2 => ("Shallow Size", true),
                    _ => ("Retained Size", true),
                };
                let layout = if right {
                    egui::Layout::right_to_left(egui::Align::Center)
                } else {
                    egui::Layout::left_to_right(egui::Align::Center)
                };
                ui.with_layout(layout, |ui| ui.label(RichText::new(title).strong()));
            },
            |ui, row, c| leak_cell_ui(ui, &model, &last, total, row, c),
            |item| match item {
                LeakItem::Group(c, g) => {
                    representative(&model, c, g).is_some_and(|n| cx.is_selected(final_doc, n))
                }
                LeakItem::Class(_) => false,
            },
        );
        if response.interacted {
            cx.commands.push(Command::FocusPane(PaneId::Leaks));
        }
        let node = match response.clicked.or(response.activated) {
            Some(LeakItem::Group(c, g)) => representative(&model, c, g),
            Some(LeakItem::Class(c)) => representative(&model, c, 0),
            None => None,
        };
        if let Some(n) = node {
            cx.select_in(final_doc, n, PaneId::Leaks);
        }
        if let Some(item) = response.copy {
            let text = match item {
                LeakItem::Class(c) => model
                    .classes
                    .get(c as usize)
                    .map(|c| c.class_name.clone())
                    .unwrap_or_default(),
                LeakItem::Group(c, g) => path_text(&model, c, g),
            };
            cx.commands.push(Command::CopyText(text));
        }
    }

    fn alloc_ui(&mut self, ui: &mut Ui, cx: &mut CompareContext<'_>, theme: &Theme) {
        let (Some(tree), Some(target_doc)) = (self.alloc.as_mut(), self.target_doc) else {
            waiting_ui(
                ui,
                theme,
                "Collecting the objects allocated between the snapshots\u{2026}",
            );
            return;
        };
        let model = Arc::clone(tree.model());
        let total = model.target.total_size();
        let columns = [
            Column::remainder().at_least(260.0).clip(true),
            Column::initial(80.0).at_least(50.0).clip(true),
            Column::initial(130.0).at_least(90.0).clip(true),
            Column::initial(130.0).at_least(90.0).clip(true),
        ];
        let response = tree.ui(
            ui,
            "allocated_between_table",
            &columns,
            cx.focused == PaneId::Leaks,
            |ui, c| {
                let (title, right) = match c {
                    0 => ("Constructor", false),
                    1 => ("Count", true),
                    2 => ("Shallow Size", true),
                    _ => ("Retained Size", true),
                };
                let layout = if right {
                    egui::Layout::right_to_left(egui::Align::Center)
                } else {
                    egui::Layout::left_to_right(egui::Align::Center)
                };
                ui.with_layout(layout, |ui| ui.label(RichText::new(title).strong()));
            },
            |ui, row, c| alloc_cell_ui(ui, &model, total, row, c),
            |item| match item {
                AllocItem::Instance(n) => cx.is_selected(target_doc, n),
                AllocItem::Class(_) => false,
            },
        );
        if response.interacted {
            cx.commands.push(Command::FocusPane(PaneId::Leaks));
        }
        if let Some(AllocItem::Instance(n)) = response.clicked.or(response.activated) {
            cx.select_in(target_doc, n, PaneId::Leaks);
        }
        if let Some(AllocItem::Instance(n)) = response.copy {
            cx.commands
                .push(Command::CopyText(class_at_id(&model.target, n)));
        }
    }
}

fn waiting_ui(ui: &mut Ui, theme: &Theme, text: &str) {
    ui.horizontal(|ui| {
        ui.spinner();
        ui.label(RichText::new(text).color(theme.weak_text));
    });
}

fn representative(model: &LeakModel, class: u32, group: u32) -> Option<NodeIdx> {
    Some(
        model
            .classes
            .get(class as usize)?
            .groups
            .get(group as usize)?
            .representative,
    )
}

/// `.cache in Map ‹ .x in Foo ‹ …`, from the object toward the roots.
fn path_text(model: &LeakModel, class: u32, group: u32) -> String {
    let Some(g) = model
        .classes
        .get(class as usize)
        .and_then(|c| c.groups.get(group as usize))
    else {
        return String::new();
    };
    g.path
        .iter()
        .map(|h| format!("{} in {}", h.edge, h.class_name))
        .collect::<Vec<_>>()
        .join(" \u{2039} ")
}

fn leak_cell_ui(
    ui: &mut Ui,
    model: &LeakModel,
    last: &Snapshot,
    total: u64,
    row: &RowRef<LeakItem>,
    column: usize,
) {
    let theme = Theme::of(ui);
    let Some(item) = row.item else {
        return;
    };
    match item {
        LeakItem::Class(c) => {
            let Some(class) = model.classes.get(c as usize) else {
                return;
            };
            match column {
                0 => {
                    ui.label(
                        RichText::new(widgets::shorten(&class.class_name))
                            .color(theme.class_name)
                            .strong(),
                    );
                    ui.label(
                        RichText::new(format!(
                            "\u{00D7}{} \u{00B7} {} path{}",
                            format::count(u64::from(class.count)),
                            class.groups.len(),
                            if class.groups.len() == 1 { "" } else { "s" }
                        ))
                        .color(theme.weak_text),
                    );
                    if class.builtin {
                        ui.label(RichText::new("built-in").small().color(theme.weak_text));
                    }
                }
                1 => number_cell_ui(ui, format::count(u64::from(class.count))),
                2 => size_cell_ui(ui, class.shallow_size_bytes, total),
                _ => size_cell_ui(ui, class.retained_size_bytes, total),
            }
        }
        LeakItem::Group(c, g) => {
            let Some(group) = model
                .classes
                .get(c as usize)
                .and_then(|c| c.groups.get(g as usize))
            else {
                return;
            };
            match column {
                0 => {
                    ui.label(
                        RichText::new(format!("\u{00D7}{}", format::count(u64::from(group.count))))
                            .color(theme.weak_text),
                    );
                    let response = ui
                        .horizontal(|ui| {
                            ui.spacing_mut().item_spacing.x = 3.0;
                            for (i, hop) in group.path.iter().enumerate() {
                                if i > 0 {
                                    ui.label(RichText::new("\u{2039}").color(theme.weak_text));
                                }
                                ui.label(
                                    RichText::new(widgets::shorten(&hop.edge))
                                        .color(theme.edge_name),
                                );
                                ui.label(RichText::new("in").color(theme.weak_text));
                                ui.label(
                                    RichText::new(widgets::shorten(&hop.class_name))
                                        .color(theme.class_name),
                                );
                            }
                        })
                        .response;
                    response.on_hover_text(format!(
                        "{}\n\ne.g. {} (click to see its retainers in the final snapshot)",
                        path_text(model, c, g),
                        class_at_id(last, group.representative)
                    ));
                }
                1 => number_cell_ui(ui, format::count(u64::from(group.count))),
                _ => {}
            }
        }
    }
}

fn alloc_cell_ui(
    ui: &mut Ui,
    model: &AllocModel,
    total: u64,
    row: &RowRef<AllocItem>,
    column: usize,
) {
    let theme = Theme::of(ui);
    let Some(item) = row.item else {
        if column == 0 {
            ui.spinner();
            ui.label(RichText::new("Loading\u{2026}").color(theme.weak_text));
        }
        return;
    };
    match item {
        AllocItem::Class(c) => {
            let Some(class) = model.aggregates.classes().get(c as usize) else {
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
                1 => number_cell_ui(ui, format::count(u64::from(class.count))),
                2 => size_cell_ui(ui, class.shallow_size_bytes, total),
                _ => size_cell_ui(ui, class.retained_size_bytes, total),
            }
        }
        AllocItem::Instance(n) => {
            let s = &model.target;
            match column {
                0 => node_label_ui(ui, s, n),
                2 => size_cell_ui(ui, s.self_size(n), total),
                3 => size_cell_ui(ui, s.retained_size(n), total),
                _ => {}
            }
        }
    }
}
