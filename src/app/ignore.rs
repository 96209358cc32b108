//! "Ignore this retainer", as in DevTools: the set of ignored retainers and the
//! Retainers-view distances computed without them.
//!
//! Recomputing distances walks the whole graph, so it runs on a worker; until it is done the
//! panes keep the previous [`RetainerView`]. Each finished view gets a new generation so the
//! Retainers pane and the retainer graph know when to re-sort and re-layout.

use std::sync::Arc;

use egui::{RichText, Ui};

use crate::snapshot::{NodeIdx, RetainerView, Snapshot};

use super::command::{Command, CommandQueue};
use super::jobs::{Poll, Promise};
use super::panes::class_at_id;
use super::theme::Theme;

/// The ignored retainers of the active snapshot and the view computed from them.
pub struct IgnoredRetainers {
    snapshot: Option<Arc<Snapshot>>,
    /// The set asked for, in the order the user ignored them.
    requested: Vec<NodeIdx>,
    view: Arc<RetainerView>,
    generation: u64,
    pending: Option<Promise<RetainerView>>,
}

impl Default for IgnoredRetainers {
    fn default() -> Self {
        Self {
            snapshot: None,
            requested: Vec::new(),
            view: Arc::new(RetainerView::new()),
            generation: 0,
            pending: None,
        }
    }
}

impl IgnoredRetainers {
    /// Starts over for another snapshot (nothing ignored).
    pub fn set_snapshot(&mut self, snapshot: Option<Arc<Snapshot>>) {
        self.snapshot = snapshot;
        self.requested.clear();
        self.pending = None;
        self.view = Arc::new(RetainerView::new());
        self.generation += 1;
    }

    /// The view in use (the previous one while a new one is computed).
    pub fn view(&self) -> &Arc<RetainerView> {
        &self.view
    }

    /// Bumped whenever [`IgnoredRetainers::view`] changes.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The ignored nodes, in the order they were ignored.
    pub fn requested(&self) -> &[NodeIdx] {
        &self.requested
    }

    /// True while distances are being recomputed.
    pub fn is_busy(&self) -> bool {
        self.pending.is_some()
    }

    /// Applies `IgnoreRetainer`, `StopIgnoringRetainer` and `ClearIgnoredRetainers`; other
    /// commands are left alone. Returns true if the command was one of these.
    pub fn apply(&mut self, ctx: &egui::Context, command: &Command) -> bool {
        match command {
            Command::IgnoreRetainer(n) => {
                if !self.requested.contains(n) {
                    self.requested.push(*n);
                    self.recompute(ctx);
                }
            }
            Command::StopIgnoringRetainer(n) => {
                if self.requested.contains(n) {
                    self.requested.retain(|r| r != n);
                    self.recompute(ctx);
                }
            }
            Command::ClearIgnoredRetainers => {
                if !self.requested.is_empty() {
                    self.requested.clear();
                    self.recompute(ctx);
                }
            }
            _ => return false,
        }
        true
    }

    fn recompute(&mut self, ctx: &egui::Context) {
        let Some(snapshot) = self.snapshot.clone() else {
            return;
        };
        let nodes = self.requested.clone();
        // A newer request supersedes the running one (its result is dropped).
        self.pending = Some(Promise::spawn("ignore retainers", ctx, move || {
            RetainerView::with_ignored(&snapshot, nodes)
        }));
    }

    /// Takes a finished view; true when the view changed this frame.
    pub fn poll(&mut self) -> bool {
        let Some(pending) = self.pending.as_mut() else {
            return false;
        };
        match pending.try_take() {
            Poll::Pending => false,
            Poll::Ready(view) => {
                self.pending = None;
                self.view = Arc::new(view);
                self.generation += 1;
                true
            }
            Poll::Lost => {
                self.pending = None;
                false
            }
        }
    }
}

/// The line `Ignored: A @1 ×, B @2 ×  [Clear]` shown above the Retainers pane and the graph
/// while retainers are ignored (nothing when none are).
pub fn ignored_line_ui(
    ui: &mut Ui,
    snapshot: &Snapshot,
    view: &RetainerView,
    busy: bool,
    commands: &mut CommandQueue,
) {
    if !view.is_active() && !busy {
        return;
    }
    let theme = Theme::of(ui);
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Ignored:").color(theme.weak_text))
            .on_hover_text(
                "Retainers ignored in the Retainers view and the retainer graph: distances \
                 are recomputed without them (retained sizes do not change).",
            );
        let mut nodes: Vec<NodeIdx> = view.ignored_nodes().iter().copied().collect();
        nodes.sort_unstable();
        for n in nodes {
            let chip = ui
                .small_button(format!("{} \u{00D7}", class_at_id(snapshot, n)))
                .on_hover_text("Stop ignoring this retainer");
            if chip.clicked() {
                commands.push(Command::StopIgnoringRetainer(n));
            }
        }
        if view.is_active() && ui.small_button("Clear").clicked() {
            commands.push(Command::ClearIgnoredRetainers);
        }
        if busy {
            crate::app::widgets::spinner(ui);
            ui.label(RichText::new("recomputing distances…").color(theme.weak_text));
        }
    });
}

/// The context-menu entries for a retainer `node`: "Ignore this retainer" or "Stop
/// ignoring this retainer".
pub fn ignore_menu_ui(
    ui: &mut Ui,
    view: &RetainerView,
    node: NodeIdx,
    commands: &mut CommandQueue,
) {
    if view.is_node_ignored(node) {
        if ui.button("Stop ignoring this retainer").clicked() {
            commands.push(Command::StopIgnoringRetainer(node));
            ui.close();
        }
    } else if ui.button("Ignore this retainer").clicked() {
        commands.push(Command::IgnoreRetainer(node));
        ui.close();
    }
}
