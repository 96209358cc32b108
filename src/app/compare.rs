//! Everything that looks at two or three snapshots at once: the role slots
//! ([`Roles`]), the Comparison, Side by side and Leak candidates views.
//!
//! The app owns one [`Compare`]; it tells it about loads (`claim`, `on_loaded`, …) and
//! draws its header and views. The views compute their data on workers when the snapshots
//! in the slots change, and talk back only through [`Command`]s.

use egui::Ui;

use super::command::{CommandQueue, PaneId, View};
use super::document::Documents;
use super::jobs::Loads;
use super::panes::CompareContext;
use super::panes::comparison::ComparisonPane;
use super::panes::findings::FindingsPane;
use super::panes::leaks::LeaksPane;
use super::panes::side_by_side::SideBySidePane;
use super::roles::Roles;
use super::selection::Selection;

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
