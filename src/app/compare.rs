//! Everything that looks at two or three snapshots at once: the role slots
//! ([`Roles`]), the Comparison, Side by side and Leak candidates views.
//!
//! The app owns one [`Compare`]; it tells it about loads (`claim`, `on_loaded`, …) and
//! draws its header and views. The views compute their data on workers when the snapshots
//! in the slots change, and talk back only through [`Command`]s.

use std::sync::Arc;

use egui::Ui;

use crate::snapshot::{NodeIdx, Snapshot};

use super::command::{Command, CommandQueue, PaneId, View};
use super::document::{DocId, Documents};
use super::jobs::Loads;
use super::panes::comparison::ComparisonPane;
use super::panes::findings::FindingsPane;
use super::panes::leaks::LeaksPane;
use super::panes::side_by_side::SideBySidePane;
use super::role::Role;
use super::roles::{self, Roles};
use super::selection::Selection;

/// What a comparison view may see and do during a frame.
pub struct CompareContext<'a> {
    /// The open snapshots.
    pub docs: &'a Documents,
    /// Which snapshot plays which role.
    pub roles: &'a Roles,
    /// The shared selection (of the active snapshot).
    pub selection: &'a Selection,
    /// Where requests go.
    pub commands: &'a mut CommandQueue,
    /// The pane that receives the navigation keys.
    pub focused: PaneId,
}

impl CompareContext<'_> {
    /// The snapshot in `role`'s slot.
    pub fn snapshot(&self, role: Role) -> Option<(DocId, Arc<Snapshot>)> {
        let id = self.roles.doc(role)?;
        let doc = roles::find(self.docs, id)?;
        Some((id, Arc::clone(&doc.snapshot)))
    }

    /// Selects `node` of snapshot `doc`: that snapshot becomes the active one (so the
    /// Retainers pane shows the node's retainers there) and every pane selects it.
    pub fn select_in(&mut self, doc: DocId, node: NodeIdx, origin: PaneId) {
        self.commands.push(Command::SetActive(doc));
        self.commands.push(Command::Select { node, origin });
    }

    /// True when `node` of snapshot `doc` is the selection.
    pub fn is_selected(&self, doc: DocId, node: NodeIdx) -> bool {
        self.docs.active().is_some_and(|d| d.id == doc) && self.selection.node() == Some(node)
    }
}

/// The role slots and the multi-snapshot views.
#[derive(Default)]
pub struct Compare {
    /// Baseline, target, final.
    pub roles: Roles,
    /// DevTools' Comparison view.
    pub comparison: ComparisonPane,
    /// Both Summaries aligned by class.
    pub side_by_side: SideBySidePane,
    /// Leak candidates (three snapshots) or objects allocated between two.
    pub leaks: LeaksPane,
    /// The leak doctor's findings on the slots' snapshots.
    pub findings: FindingsPane,
    title: String,
}

impl Compare {
    /// True for the views this module draws.
    pub fn draws(view: View) -> bool {
        matches!(view, View::Comparison | View::SideBySide | View::Leaks)
    }

    /// True while a view computes on a worker.
    pub fn is_busy(&self) -> bool {
        self.comparison.is_busy()
            || self.side_by_side.is_busy()
            || self.leaks.is_busy()
            || self.findings.is_busy()
    }

    /// Once per frame: collects a slot's dialog, keeps the window title up to date and the
    /// diagnosis of the slots' snapshots current.
    pub fn update(&mut self, ctx: &egui::Context, docs: &Documents, commands: &mut CommandQueue) {
        self.roles.poll(commands);
        self.findings.sync(ctx, docs, &self.roles);
        let title = self.roles.title(docs);
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    /// The current window title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// True when the slot header should show (a comparison view, or two slots in use).
    pub fn header_wanted(&self, view: View) -> bool {
        Self::draws(view) || view == View::Findings || self.roles.in_use() >= 2
    }

    /// The slot header.
    pub fn header_ui(
        &mut self,
        ui: &mut Ui,
        docs: &Documents,
        loads: &Loads,
        commands: &mut CommandQueue,
    ) {
        self.roles.header_ui(ui, docs, loads, commands);
    }

    /// Draws `view` (one of [`Compare::draws`]).
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        view: View,
        docs: &Documents,
        selection: &Selection,
        commands: &mut CommandQueue,
        focused: PaneId,
    ) {
        let mut cx = CompareContext {
            docs,
            roles: &self.roles,
            selection,
            commands,
            focused,
        };
        match view {
            View::Comparison => self.comparison.ui(ui, &mut cx),
            View::SideBySide => self.side_by_side.ui(ui, &mut cx),
            View::Leaks => self.leaks.ui(ui, &mut cx),
            _ => {}
        }
    }
}

/// `+200`, `−3`, `0` (true minus sign, thin thousands separators).
pub fn signed_count(n: i64) -> String {
    let digits = crate::format::count(n.unsigned_abs());
    match n.signum() {
        1 => format!("+{digits}"),
        -1 => format!("\u{2212}{digits}"),
        _ => digits,
    }
}

/// `+1.2 kB`, `−512 B`, `0 B`.
pub fn signed_bytes(n: i64) -> String {
    let text = crate::format::bytes(n.unsigned_abs());
    match n.signum() {
        1 => format!("+{text}"),
        -1 => format!("\u{2212}{text}"),
        _ => text,
    }
}

/// A sortable header cell over any column type; a first click sorts `default_descending`,
/// a second flips. Returns true when the sort changed.
pub fn sort_header_ui<C: Copy + PartialEq>(
    ui: &mut Ui,
    title: &str,
    tooltip: &str,
    column: C,
    sort: &mut (C, bool),
    default_descending: bool,
    right_aligned: bool,
) -> bool {
    let arrow = if sort.0 != column {
        ""
    } else if sort.1 {
        " \u{25BC}"
    } else {
        " \u{25B2}"
    };
    let layout = if right_aligned {
        egui::Layout::right_to_left(egui::Align::Center)
    } else {
        egui::Layout::left_to_right(egui::Align::Center)
    };
    let text = egui::RichText::new(format!("{title}{arrow}")).strong();
    let response = ui
        .with_layout(layout, |ui| {
            ui.add(egui::Button::new(text).frame(false).truncate())
        })
        .inner
        .on_hover_text(tooltip);
    if !response.clicked() {
        return false;
    }
    *sort = if sort.0 == column {
        (column, !sort.1)
    } else {
        (column, default_descending)
    };
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_numbers() {
        assert_eq!(signed_count(200), "+200");
        assert_eq!(signed_count(-3), "\u{2212}3");
        assert_eq!(signed_count(0), "0");
        assert_eq!(signed_bytes(-1234), "\u{2212}1.2 kB");
    }
}
