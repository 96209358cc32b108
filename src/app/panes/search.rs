//! Search (Ctrl+F): find objects by class or name substring, by class only, or by string
//! value, with a case toggle; `@123` jumps to an id. The scan runs on a worker
//! (`snapshot::search`, parallel); results are listed virtualized and counted, and clicking
//! one selects it in every pane.

use std::sync::Arc;

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use crate::format;
use crate::snapshot::{NodeIdx, SearchQuery, SearchScope, Snapshot, search};

use super::super::command::{Command, PaneId};
use super::super::jobs::{Poll, Promise};
use super::super::theme::{self, Theme};
use super::super::widgets;
use super::{PaneContext, node_label_ui};

/// The search box and its results.
#[derive(Default)]
pub struct SearchPane {
    snapshot: Option<Arc<Snapshot>>,
    /// Shown in the side panel.
    pub open: bool,
    focus: bool,
    query: SearchQuery,
    results: Arc<Vec<NodeIdx>>,
    searched: Option<SearchQuery>,
    pending: Option<(SearchQuery, Promise<Vec<NodeIdx>>)>,
}

impl SearchPane {
    /// Searches `snapshot` from now on; clears the results.
    pub fn set_snapshot(&mut self, snapshot: Option<Arc<Snapshot>>) {
        self.snapshot = snapshot;
        self.results = Arc::new(Vec::new());
        self.searched = None;
        self.pending = None;
    }

    /// Shows the panel and focuses the text box (Ctrl+F).
    pub fn open(&mut self) {
        self.open = true;
        self.focus = true;
    }

    /// Starts a search for `query` (for tests and `--select`-like automation).
    pub fn set_query(&mut self, query: SearchQuery) {
        self.query = query;
    }

    /// The results of the last finished search.
    pub fn results(&self) -> &[NodeIdx] {
        &self.results
    }

    /// True while a search runs.
    pub fn is_busy(&self) -> bool {
        self.pending.is_some()
    }

    fn poll(&mut self, ctx: &egui::Context) {
        if let Some((query, promise)) = self.pending.as_mut() {
            match promise.try_take() {
                Poll::Pending => {}
                Poll::Ready(results) => {
                    self.searched = Some(query.clone());
                    self.results = Arc::new(results);
                    self.pending = None;
                }
                Poll::Lost => self.pending = None,
            }
        }
        let wanted = &self.query;
        let up_to_date = self.searched.as_ref() == Some(wanted)
            || self.pending.as_ref().is_some_and(|(q, _)| q == wanted);
        if up_to_date {
            return;
        }
        let Some(snapshot) = self.snapshot.clone() else {
            return;
        };
        if wanted.text.trim().is_empty() {
            self.searched = Some(wanted.clone());
            self.results = Arc::new(Vec::new());
            self.pending = None;
            return;
        }
        let query = wanted.clone();
        let job = query.clone();
        self.pending = Some((
            query,
            Promise::spawn("search", ctx, move || search(&snapshot, &job)),
        ));
    }

    /// Draws the search box, the options and the results.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        let theme = Theme::of(ui);
        ui.horizontal(|ui| {
            ui.label(RichText::new("Search").strong());
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui
                    .small_button("Close")
                    .on_hover_text("Close search")
                    .clicked()
                {
                    self.open = false;
                }
            });
        });
        let find = ui.label(RichText::new("Find").color(theme.weak_text));
        let edit = ui.add(
            egui::TextEdit::singleline(&mut self.query.text)
                .id_salt("search_text")
                .hint_text("Class, name, string or @id")
                .desired_width(f32::INFINITY),
        );
        let edit = edit
            .labelled_by(find.id)
            .on_hover_text("Ctrl+F. Substring of a class or object name; @123 jumps to an id.");
        if std::mem::take(&mut self.focus) {
            edit.request_focus();
        }
        ui.horizontal(|ui| {
            egui::ComboBox::from_id_salt("search_scope")
                .selected_text(scope_label(self.query.scope))
                .show_ui(ui, |ui| {
                    for scope in [
                        SearchScope::ClassOrName,
                        SearchScope::ClassName,
                        SearchScope::StringValue,
                    ] {
                        ui.selectable_value(&mut self.query.scope, scope, scope_label(scope));
                    }
                });
            ui.checkbox(&mut self.query.case_sensitive, "Aa")
                .on_hover_text("Match case");
        });
        self.poll(ui.ctx());
        let jump = parse_id(&self.query.text);
        ui.horizontal(|ui| {
            if self.is_busy() {
                crate::app::widgets::spinner(ui);
                ui.label(RichText::new("Searching…").color(theme.weak_text));
            } else if self
                .searched
                .as_ref()
                .is_some_and(|q| !q.text.trim().is_empty())
            {
                let n = self.results.len();
                ui.label(
                    RichText::new(format!(
                        "{} result{}",
                        format::count(n as u64),
                        if n == 1 { "" } else { "s" }
                    ))
                    .color(theme.weak_text),
                );
            }
        });
        // Enter on an `@id` (or on a single result) selects it.
        if edit.lost_focus()
            && ui.input(|i| i.key_pressed(egui::Key::Enter))
            && let Some(first) = self.results.first()
            && (jump.is_some() || self.results.len() == 1)
        {
            cx.select(*first, PaneId::Search);
        }
        ui.separator();
        let snapshot = Arc::clone(cx.snapshot);
        let results = Arc::clone(&self.results);
        let selected = cx.selection.node();
        let mut clicked = None;
        TableBuilder::new(ui)
            .id_salt("search_results")
            .striped(true)
            .sense(egui::Sense::click())
            .auto_shrink([false, false])
            .column(Column::remainder().clip(true))
            .column(Column::auto().at_least(60.0))
            .body(|body| {
                body.rows(theme::ROW_HEIGHT, results.len(), |mut row| {
                    let n = results[row.index()];
                    row.set_selected(selected == Some(n));
                    row.col(|ui| {
                        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
                        if matches!(self.query.scope, SearchScope::StringValue) {
                            node_label_ui(ui, &snapshot, n);
                        } else {
                            ui.label(
                                RichText::new(widgets::shorten(snapshot.class_name(n)))
                                    .color(theme.class_name),
                            );
                            node_label_ui(ui, &snapshot, n);
                        }
                    });
                    row.col(|ui| {
                        widgets::number_cell_ui(ui, format::bytes(snapshot.retained_size(n)));
                    });
                    if row.response().clicked() {
                        clicked = Some(n);
                    }
                });
            });
        if let Some(n) = clicked {
            cx.select(n, PaneId::Search);
            cx.commands.push(Command::FocusPane(PaneId::Search));
        }
    }
}

fn scope_label(scope: SearchScope) -> &'static str {
    match scope {
        SearchScope::ClassOrName => "Class or name",
        SearchScope::ClassName => "Class only",
        SearchScope::StringValue => "String value",
    }
}

fn parse_id(text: &str) -> Option<u32> {
    text.trim().strip_prefix('@')?.parse().ok()
}
