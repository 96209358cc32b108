//! Leak candidates by the three-snapshot method.
//!
//! With a baseline, a target and a final snapshot: objects allocated between baseline and
//! target that are still alive in final, ranked by class (user classes first; built-in rows
//! hidden unless asked for), each class expandable to its retainer-path groups. Clicking a
//! group selects its representative in the final snapshot, so the Retainers pane shows its
//! chain. The list is computed on a worker. The plain "Objects allocated between baseline
//! and target" list is the Summary's filter (DevTools puts it there); a button here opens it.

use std::sync::Arc;

use egui::{RichText, Ui};
use egui_extras::Column;

use crate::format;
use crate::snapshot::{self, LeakClass, NodeIdx, Snapshot};

use super::super::command::{Command, PaneId, View};
use super::super::document::DocId;
use super::super::jobs::{Poll, Promise};
use super::super::role::Role;
use super::super::roles;
use super::super::theme::Theme;
use super::super::widgets::tree_table::{RowRef, TreeModel, TreeTable};
use super::super::widgets::{self, number_cell_ui, size_cell_ui};
use super::CompareContext;
use super::class_at_id;
use super::summary_range::RangeKey;

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

type Triple = (DocId, DocId, DocId);

/// The Leak candidates pane.
#[derive(Default)]
pub struct LeaksPane {
    show_builtin: bool,
    triple: Option<Triple>,
    leaks_job: Option<Promise<Vec<LeakClass>>>,
    leaks: Option<TreeTable<LeakModel>>,
    final_doc: Option<(DocId, Arc<Snapshot>)>,
    seen_selection: u64,
}

impl LeaksPane {
    /// True while the list is computed.
    pub fn is_busy(&self) -> bool {
        self.leaks_job.is_some() || self.leaks.as_ref().is_some_and(TreeTable::is_busy)
    }

    /// The leak candidates (None until computed or with fewer than three snapshots).
    pub fn candidates(&self) -> Option<&[LeakClass]> {
        self.leaks.as_ref().map(|t| t.model().classes.as_slice())
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
        let triple = match (&base, &target, &last) {
            (Some(b), Some(t), Some(f)) => Some((b.0, t.0, f.0)),
            _ => None,
        };
        if triple != self.triple {
            self.triple = triple;
            self.leaks = None;
            self.leaks_job = None;
            self.final_doc = last.clone();
            if let (Some((_, b)), Some((_, t)), Some((_, f))) = (base, target, last) {
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
        if let Some(tree) = self.leaks.as_mut() {
            tree.poll(ctx);
        }
    }

    /// Draws the options and the list (or what is missing for it).
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
                    "Leak candidates need a baseline, a target and a final snapshot (three snapshots: after warm-up, after the suspected leak, after repeating it). With two snapshots, the Summary's filter lists the objects allocated between them.",
                )
                .color(theme.weak_text),
            );
            return;
        };
        let final_name = name(Role::Final);
        let mut show_builtin = self.show_builtin;
        ui.horizontal(|ui| {
            if final_name.is_some() {
                ui.checkbox(&mut show_builtin, "Show built-in classes")
                    .on_hover_text("(string), (closure), system / \u{2026} rows");
                ui.separator();
            }
            allocated_between_button_ui(ui, cx, &base_name, &target_name);
            if self.is_busy() {
                crate::app::widgets::spinner(ui);
            }
        });
        if show_builtin != self.show_builtin {
            self.set_show_builtin(show_builtin);
        }
        let Some(final_name) = final_name else {
            ui.add_space(8.0);
            ui.label(
                RichText::new(
                    "Leak candidates need a final snapshot too: one taken after repeating the suspected leak. Drop it on the Final box above.",
                )
                .color(theme.weak_text),
            );
            return;
        };
        ui.label(
            RichText::new(format!(
                "Objects allocated between {base_name} and {target_name} that are still alive in {final_name}, grouped by class and retainer path. Click a path to see its retainers."
            ))
            .color(theme.weak_text),
        );
        self.leaks_ui(ui, cx, &theme);
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
}

fn waiting_ui(ui: &mut Ui, theme: &Theme, text: &str) {
    ui.horizontal(|ui| {
        crate::app::widgets::spinner(ui);
        ui.label(RichText::new(text).color(theme.weak_text));
    });
}

/// "Objects allocated between baseline and target" opens the target's Summary with that
/// filter (DevTools' Summary filter; see `summary_range`).
fn allocated_between_button_ui(
    ui: &mut Ui,
    cx: &mut CompareContext<'_>,
    base_name: &str,
    target_name: &str,
) {
    let (Some(base), Some(target)) = (cx.roles.doc(Role::Baseline), cx.roles.doc(Role::Target))
    else {
        return;
    };
    let clicked = ui
        .button(format!(
            "Objects allocated between {base_name} and {target_name} \u{2192} Summary"
        ))
        .on_hover_text(format!(
            "Show the Summary of {target_name} filtered to the objects allocated after {base_name} was taken"
        ))
        .clicked();
    if clicked {
        cx.commands.push(Command::SetActive(target));
        cx.commands
            .push(Command::SetSummaryRange(Some(RangeKey::Ids {
                after: Some(base),
                upto: target,
            })));
        cx.commands.push(Command::SetView(View::Summary));
    }
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

impl super::Pane for LeaksPane {
    fn title(&self) -> String {
        crate::app::command::View::Leaks.label().to_owned()
    }

    fn ui(&mut self, ui: &mut Ui, cx: &mut super::TileContext<'_>) {
        LeaksPane::ui(self, ui, &mut cx.compare());
    }

    fn is_busy(&self) -> bool {
        LeaksPane::is_busy(self)
    }
}
