//! The exploring views: Containment, Dominators, Statistics, Duplicated strings, the retainer graph,
//! search, and the "ignore this retainer" state they share with the Retainers pane.
//!
//! [`Explore`] owns those panes so the app struct holds one field for them; the app forwards
//! the snapshot, the frame's commands and the views to draw.

use std::sync::Arc;

use egui::Ui;

use crate::snapshot::{RetainerView, Snapshot};

use super::command::{Command, View};
use super::ignore::IgnoredRetainers;
use super::panes::PaneContext;
use super::panes::allocation::AllocationPane;
use super::panes::containment::ContainmentPane;
use super::panes::dominators::DominatorsPane;
use super::panes::retainer_graph::RetainerGraphPane;
use super::panes::search::SearchPane;
use super::panes::statistics;
use super::panes::strings::StringsPane;

/// The exploring panes and the ignored-retainers state.
#[derive(Default)]
pub struct Explore {
    /// Ignored retainers and the Retainers-view distances without them.
    pub ignored: IgnoredRetainers,
    /// The retainer graph.
    pub graph: RetainerGraphPane,
    /// The Containment tree.
    pub containment: ContainmentPane,
    /// The dominator tree.
    pub dominators: DominatorsPane,
    /// Search (Ctrl+F).
    pub search: SearchPane,
    /// Duplicated strings.
    pub strings: StringsPane,
    /// The Allocation view's function table.
    pub allocation: AllocationPane,
}

impl Explore {
    /// Shows another snapshot (or none): every pane starts over.
    pub fn set_snapshot(&mut self, snapshot: Option<Arc<Snapshot>>) {
        self.ignored.set_snapshot(snapshot.clone());
        self.graph.set_snapshot(snapshot.clone());
        self.containment.set_snapshot(snapshot.clone());
        self.dominators.set_snapshot(snapshot.clone());
        self.strings.set_snapshot(snapshot.clone());
        self.allocation.set_snapshot(snapshot.clone());
        self.search.set_snapshot(snapshot);
    }

    /// Collects finished background work. Returns the new Retainers view (and its
    /// generation) when "ignore this retainer" finished recomputing distances.
    pub fn poll(&mut self) -> Option<(Arc<RetainerView>, u64)> {
        if !self.ignored.poll() {
            return None;
        }
        let view = Arc::clone(self.ignored.view());
        let generation = self.ignored.generation();
        self.graph.set_retainer_view(Arc::clone(&view), generation);
        Some((view, generation))
    }

    /// True while anything of these panes works in the background.
    pub fn is_busy(&self) -> bool {
        self.ignored.is_busy()
            || self.graph.is_busy()
            || self.containment.is_busy()
            || self.dominators.is_busy()
            || self.strings.is_busy()
            || self.allocation.is_busy()
            || self.search.is_busy()
    }

    /// Applies the commands these panes own; true if `command` was one of them.
    pub fn apply(&mut self, ctx: &egui::Context, command: &Command) -> bool {
        if self.ignored.apply(ctx, command) {
            return true;
        }
        match command {
            Command::OpenSearch => {
                self.search.open();
                true
            }
            _ => false,
        }
    }

    /// Draws `view` if it is one of these panes' views; false otherwise.
    pub fn view_ui(&mut self, view: View, ui: &mut Ui, cx: &mut PaneContext<'_>) -> bool {
        match view {
            View::Containment => self.containment.ui(ui, cx),
            View::Dominators => self.dominators.ui(ui, cx),
            View::Statistics => statistics::ui(ui, cx.snapshot),
            View::Strings => self.strings.ui(ui, cx),
            View::RetainerGraph => {
                let busy = self.ignored.is_busy();
                self.graph.ui(ui, cx, busy);
            }
            _ => return false,
        }
        true
    }

    /// The search side panel, when open.
    pub fn search_panel_ui(&mut self, ui: &mut Ui, cx: &mut PaneContext<'_>) {
        if !self.search.open {
            return;
        }
        egui::Panel::right("search_panel")
            .resizable(true)
            .default_size(320.0)
            .min_size(220.0)
            .show(ui, |ui| self.search.ui(ui, cx));
    }
}
