//! Everything the user can ask for, as one [`Command`] enum.
//!
//! Menus, keyboard shortcuts and panes push commands onto the [`CommandQueue`]; the app
//! drains it once per frame (`HeapsightApp::apply`). Panes never mutate each other: a click
//! in Retainers becomes `Command::Select`, which the app turns into a shared selection that
//! every pane reads.

use std::path::PathBuf;

use crate::snapshot::NodeIdx;
use crate::snapshot::allocation::CallerPath;

use super::document::{DocId, Source};
use super::jobs::LoadId;
use super::range_key::RangeKey;
use super::role::Role;

/// The panes (and other places) a command can come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
pub enum PaneId {
    /// The Summary table.
    Summary,
    /// The Retainers tree of the selected node.
    Retainers,
    /// Command line (`--select`) or another non-pane origin.
    External,
    /// The Comparison table.
    Comparison,
    /// The Leak candidates list.
    Leaks,
    /// The Containment tree.
    Containment,
    /// The dominator tree.
    Dominators,
    /// The retainer graph.
    RetainerGraph,
    /// The search results.
    Search,
    /// The Duplicated strings view.
    Strings,
    /// The leak doctor's findings.
    Findings,
    /// The Allocation view's function table.
    Allocation,
    /// A tile bound to one snapshot (its tile id): only it takes the navigation keys.
    Tile(u64),
}

pub use super::view::View;

/// A request from the UI, applied once per frame.
#[derive(Clone, Debug)]
pub enum Command {
    /// Load these snapshots (each becomes an open snapshot when it finishes; each fills
    /// the first free comparison slot).
    Open(Vec<Source>),
    /// Load a snapshot into a comparison slot (replacing what is there once loaded).
    OpenAs {
        /// Baseline, target or final.
        role: Role,
        /// What to load.
        source: Source,
    },
    /// Put an open snapshot (or nothing) in a comparison slot.
    AssignRole {
        /// Baseline, target or final.
        role: Role,
        /// The snapshot.
        doc: Option<DocId>,
    },
    /// Show the File → Open dialog.
    OpenDialog,
    /// Stop a running load.
    CancelLoad(LoadId),
    /// Close an open snapshot.
    CloseSnapshot(DocId),
    /// Move an open snapshot one place up (`earlier`) or down in the snapshot list.
    MoveSnapshot {
        /// The snapshot.
        doc: DocId,
        /// Up (true) or down.
        earlier: bool,
    },
    /// Ask where, then save a copy of an open snapshot (`.gz`: compressed).
    SaveSnapshotAs(DocId),
    /// Save a copy of an open snapshot to this file (no dialog).
    SaveSnapshotTo(DocId, PathBuf),
    /// Show another open snapshot.
    SetActive(DocId),
    /// Select a node in every pane.
    Select {
        /// The node.
        node: NodeIdx,
        /// Where the user selected it (that pane keeps its own scroll position).
        origin: PaneId,
    },
    /// Select a node of an open snapshot that may not be the active one (a tile bound to
    /// it): the active snapshot's panes show the object with the same id, if it has one.
    SelectIn {
        /// The snapshot.
        doc: DocId,
        /// The node, in that snapshot.
        node: NodeIdx,
    },
    /// A class row was chosen in snapshot `doc`: tiles of other snapshots reveal the class.
    LinkClass {
        /// The snapshot it was chosen in.
        doc: DocId,
        /// The class name.
        class: String,
    },
    /// Show this snapshot in a tile (`None`: the active snapshot, as tiles do by default).
    BindTile {
        /// The tile.
        tile: egui_tiles::TileId,
        /// The snapshot.
        doc: Option<DocId>,
    },
    /// View → Compare A | B: Summary and Retainers tiles of two snapshots side by side,
    /// with linked selection (the baseline and target, else the first two open).
    SplitAb,
    /// View → Reset layout: the default arrangement of the tiles.
    ResetLayout,
    /// Bring a tile forward (adding it back if it was closed): Retainers, Where it was
    /// created, or a view's tile.
    ShowTile(super::pane_kind::PaneKind),
    /// Give the navigation keys to a pane.
    FocusPane(PaneId),
    /// Select the node with this snapshot id (`@id`) once a snapshot is open.
    SelectId(u32),
    /// Switch the main view.
    SetView(View),
    /// Show only the objects of this id range in the active snapshot's Summary (`None`:
    /// all objects); ignored when the range is not offered for that snapshot.
    SetSummaryRange(Option<RangeKey>),
    /// Show the open heap profile with this index (Allocation sampling view).
    SetActiveProfile(usize),
    /// Close the open heap profile with this index.
    CloseProfile(usize),
    /// Show in the Summary the live objects allocated through an Allocation row (DevTools'
    /// allocation stack filter); `label` names it in the filter box.
    FilterByAllocation {
        /// The row: the allocating function, then its callers.
        path: CallerPath,
        /// `Objects allocated by f (script:line:col)`.
        label: String,
    },
    /// Put text on the clipboard.
    CopyText(String),
    /// Hide the error banner with this index.
    DismissError(usize),
    /// Forget the recent files.
    ClearRecent,
    /// Remove a recent file that no longer exists.
    ForgetRecent(PathBuf),
    /// Close the window.
    Quit,
    /// "Ignore this retainer": recompute Retainers-view distances without this node.
    IgnoreRetainer(NodeIdx),
    /// "Stop ignoring this retainer".
    StopIgnoringRetainer(NodeIdx),
    /// Stop ignoring every retainer.
    ClearIgnoredRetainers,
    /// Show the search panel and focus its text box (Ctrl+F).
    OpenSearch,
    /// File → Export findings: ask where, then write the leak doctor's report.
    ExportFindings(ExportFormat),
    /// File → Export Report: ask where, then write what is on screen (the Summary or
    /// Comparison rows with their filter, the selected object's retainer path and dominator
    /// chain, the Statistics) as Markdown, JSON or one self-contained HTML file.
    ExportReport(crate::snapshot::export::ExportFormat),
    /// Write that report to this file (no dialog).
    ExportReportTo(PathBuf, crate::snapshot::export::ExportFormat),
    /// Copy the Summary or Comparison rows on screen as a Markdown table (`cursor_only`:
    /// just the row the cursor is on).
    CopyMarkdown {
        /// Only the cursor's row.
        cursor_only: bool,
    },
    /// File → Save Redacted Copy: ask where, then write a shareable copy of the snapshot
    /// shown.
    SaveRedacted,
    /// Write a redacted copy of the snapshot shown to this file (no dialog).
    SaveRedactedTo(PathBuf),
    /// Stop the redaction under way (nothing is written).
    CancelRedaction,
    /// Add a snapshot loaded elsewhere (a live capture read as it arrived), as if `source`
    /// had been opened: it takes the next free comparison role.
    AddLoaded {
        /// The file it was written to.
        source: Source,
        /// The snapshot.
        snapshot: std::sync::Arc<crate::snapshot::Snapshot>,
    },
}

/// The file formats of File → Export findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// The report as Markdown (`heapsight doctor --markdown`).
    Markdown,
    /// The report as JSON (`heapsight doctor --json`).
    Json,
}

impl ExportFormat {
    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Markdown => "md",
            Self::Json => "json",
        }
    }

    /// The name of the format in menus and dialogs.
    pub fn label(self) -> &'static str {
        match self {
            Self::Markdown => "Markdown",
            Self::Json => "JSON",
        }
    }
}

/// Commands collected during a frame.
#[derive(Debug, Default)]
pub struct CommandQueue {
    queue: Vec<Command>,
}

impl CommandQueue {
    /// Queues a command for the end of this frame.
    pub fn push(&mut self, command: Command) {
        self.queue.push(command);
    }

    /// Takes every queued command, oldest first.
    pub fn drain(&mut self) -> Vec<Command> {
        std::mem::take(&mut self.queue)
    }
}

pub use super::shortcut::{COPY_MARKDOWN_SHORTCUT, FIND_SHORTCUT, OPEN_SHORTCUT, QUIT_SHORTCUT};

/// Reads the global shortcuts of this frame into commands.
pub fn shortcuts(ctx: &egui::Context, commands: &mut CommandQueue) {
    if ctx.input_mut(|i| i.consume_shortcut(&OPEN_SHORTCUT)) {
        commands.push(Command::OpenDialog);
    }
    if ctx.input_mut(|i| i.consume_shortcut(&QUIT_SHORTCUT)) {
        commands.push(Command::Quit);
    }
    if ctx.input_mut(|i| i.consume_shortcut(&FIND_SHORTCUT)) {
        commands.push(Command::OpenSearch);
    }
    if ctx.input_mut(|i| i.consume_shortcut(&COPY_MARKDOWN_SHORTCUT)) {
        commands.push(Command::CopyMarkdown { cursor_only: true });
    }
}
