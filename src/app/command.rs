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
}

/// The views (DevTools "perspectives") the main area can show.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize,
)]
pub enum View {
    /// Objects grouped by constructor.
    #[default]
    Summary,
    /// The leak doctor: root causes with their holders, growth and fixes.
    Findings,
    /// New and deleted objects per constructor between baseline and target.
    Comparison,
    /// Both Summaries aligned by class, with deltas.
    SideBySide,
    /// Leak candidates (three snapshots) or objects allocated between two.
    Leaks,
    /// The heap from the root along outgoing edges.
    Containment,
    /// The dominator tree, biggest subtrees first.
    Dominators,
    /// Where the bytes go, by DevTools' statistics categories.
    Statistics,
    /// String objects whose text another repeats, grouped by text.
    Strings,
    /// A node-link drawing of the selected object's retaining paths.
    RetainerGraph,
    /// Where objects were allocated (snapshots written with allocation tracking).
    Allocation,
    /// A sampling heap profile (`.heapprofile`): flame chart and bottom-up table.
    Profile,
    /// A live process: its memory over time, snapshots and profiles taken from it.
    Live,
}

impl View {
    /// Every view, in menu order.
    pub const ALL: [Self; 13] = [
        Self::Findings,
        Self::Summary,
        Self::Comparison,
        Self::SideBySide,
        Self::Leaks,
        Self::Containment,
        Self::Dominators,
        Self::Statistics,
        Self::Strings,
        Self::RetainerGraph,
        Self::Allocation,
        Self::Profile,
        Self::Live,
    ];

    /// The name shown in the view selector.
    pub fn label(self) -> &'static str {
        match self {
            Self::Summary => "Summary",
            Self::Findings => "Findings",
            Self::Comparison => "Comparison",
            Self::SideBySide => "Side by side",
            Self::Leaks => "Leak candidates",
            Self::Containment => "Containment",
            Self::Dominators => "Dominators",
            Self::Statistics => "Statistics",
            Self::Strings => "Duplicated strings",
            Self::RetainerGraph => "Retainer graph",
            Self::Allocation => "Allocation",
            Self::Profile => "Allocation sampling",
            Self::Live => "Live",
        }
    }

    /// Parses a `--view` argument (case-insensitive; `side-by-side` and `leaks` too).
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.trim();
        match name.to_ascii_lowercase().as_str() {
            "side-by-side" | "sidebyside" | "side_by_side" => return Some(Self::SideBySide),
            "leaks" | "leak-candidates" => return Some(Self::Leaks),
            "graph" | "retainer-graph" | "retainers-graph" => return Some(Self::RetainerGraph),
            "strings" | "duplicated-strings" => return Some(Self::Strings),
            "doctor" | "leak-doctor" => return Some(Self::Findings),
            "alloc" | "allocations" => return Some(Self::Allocation),
            "profile" | "sampling" | "heap-profile" => return Some(Self::Profile),
            "attach" | "capture" => return Some(Self::Live),
            _ => {}
        }
        Self::ALL
            .into_iter()
            .find(|v| v.label().eq_ignore_ascii_case(name))
    }
}

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
