//! The desktop app (eframe/egui): open snapshots, load them in the background, explore them
//! in the Summary and Retainers panes.
//!
//! - [`HeapsightApp`]: the struct and its `eframe::App` impl; each frame polls jobs, draws the
//!   panes ([`HeapsightApp::show`], also what the kittest tests drive) and applies the
//!   [`command::Command`]s they queued.
//! - `state`: persisted UI state; `jobs`: rayon jobs; `document`: open snapshots;
//!   `selection`: the selection shared by panes; `panes/*`: one module per pane;
//!   `widgets/tree_table`: the virtualized tree; `theme`: design tokens.

pub mod command;
pub mod compare;
pub mod desktop;
pub mod document;
pub mod explore;
pub mod file_drop;
pub mod ignore;
pub mod jobs;
pub mod live_session;
pub mod palette;
pub mod pane_kind;
pub mod panes;
pub mod profiles;
pub mod range_key;
pub mod redaction;
pub mod role;
pub mod roles;
pub mod screenshot;
pub mod selection;
pub mod shortcut;
pub mod snapshot_list;
pub mod state;
pub mod status_bar;
pub mod theme;
mod ui;
pub mod view;
pub mod widgets;
pub mod workspace;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::snapshot::NodeIdx;

use command::{Command, CommandQueue, PaneId, View};
use compare::Compare;
use document::{Documents, Source};
use jobs::{LoadOutcome, Loads};
use panes::retainers::RetainersPane;
use panes::summary::SummaryPane;
use panes::summary_range;
use screenshot::{Screenshot, ScreenshotStatus};
use selection::Selection;
use state::AppState;

/// What a Save dialog is for.
#[derive(Clone, Copy, Debug)]
enum ExportJob {
    /// File → Export Findings.
    Findings(command::ExportFormat),
    /// File → Export Report.
    Report(crate::snapshot::export::ExportFormat),
    /// Save as, from the snapshot list.
    Snapshot(document::DocId),
}

/// How the app starts (from the command line).
#[derive(Clone, Debug, Default)]
pub struct StartOptions {
    /// Snapshots to open; the bundled demo when empty and `demo` is set.
    pub files: Vec<PathBuf>,
    /// Open the bundled demo snapshot when no file is given.
    pub demo: bool,
    /// Save a screenshot here once loading is done, then exit.
    pub screenshot: Option<PathBuf>,
    /// The view to show first (`--view`).
    pub view: Option<String>,
    /// The node to select once loaded (`--select @ID`).
    pub select: Option<String>,
    /// The Summary's id-range filter once loaded (`--summary-filter baseline-target`).
    pub summary_filter: Option<String>,
    /// `--compare-ab`: the first two snapshots side by side in tiles once loaded.
    pub compare_ab: bool,
    /// `--attach`: open the Live view attached to this address (`HOST:PORT`) or PID.
    pub attach: Option<String>,
    /// Where persisted indexes of opened files are read and written (the binary passes
    /// `CacheConfig::from_env()` unless `--no-cache`; off by default, so tests never touch
    /// the user's cache).
    pub cache: Option<crate::snapshot::cache::CacheConfig>,
}

impl StartOptions {
    /// Opens `files` (or the bundled demo when there are none), with nothing else asked.
    pub fn for_files(files: Vec<PathBuf>) -> Self {
        Self {
            files,
            demo: true,
            screenshot: None,
            view: None,
            select: None,
            summary_filter: None,
            compare_ab: false,
            attach: None,
            cache: None,
        }
    }
}

/// Parses `@123` or `123`.
pub fn parse_node_id(text: &str) -> Option<u32> {
    text.trim().trim_start_matches('@').parse().ok()
}

/// Opens the window and runs until it is closed.
pub fn run(options: StartOptions) -> anyhow::Result<ExitCode> {
    // Name the worker threads (STYLE: no anonymous threads); fails only if already built.
    rayon::ThreadPoolBuilder::new()
        .thread_name(|i| format!("heapsight-worker-{i}"))
        .build_global()
        .ok();
    let screenshot_status: ScreenshotStatus = Arc::new(Mutex::new(None));
    let headless_shot = options.screenshot.is_some();
    // OpenGL (glow) first: under software rendering (no GPU) its frames cost a fraction of
    // wgpu's, which matters while a load competes for the same cores; wgpu if it fails to
    // start. HEAPSIGHT_RENDERER=wgpu or glow picks one.
    let chosen = std::env::var("HEAPSIGHT_RENDERER").ok();
    let renderers = match chosen.as_deref() {
        Some("wgpu") => vec![eframe::Renderer::Wgpu],
        Some("glow") => vec![eframe::Renderer::Glow],
        _ => vec![eframe::Renderer::Glow, eframe::Renderer::Wgpu],
    };
    let mut outcome = Ok(());
    for (i, renderer) in renderers.iter().enumerate() {
        let mut native_options = eframe::NativeOptions {
            viewport: egui::ViewportBuilder::default()
                .with_title("heapsight")
                .with_app_id("heapsight")
                .with_inner_size([1280.0, 800.0])
                .with_min_inner_size([640.0, 400.0])
                .with_drag_and_drop(true),
            // A screenshot always has the default size and state, whatever was saved.
            persist_window: !headless_shot,
            renderer: *renderer,
            ..Default::default()
        };
        if let Some(icon) = desktop::window_icon() {
            native_options.viewport = native_options.viewport.with_icon(icon);
        }
        let status = Arc::clone(&screenshot_status);
        let app_options = options.clone();
        outcome = eframe::run_native(
            "heapsight",
            native_options,
            Box::new(move |cc| Ok(Box::new(HeapsightApp::new(cc, app_options, status)))),
        )
        .map_err(|e| anyhow::anyhow!("{e}"));
        match &outcome {
            Err(err) if i + 1 < renderers.len() => {
                log::warn!("the {renderer} renderer did not start ({err}); trying the next one");
            }
            _ => break,
        }
    }
    outcome.context("while running the window")?;
    if !headless_shot {
        return Ok(ExitCode::SUCCESS);
    }
    let result = screenshot_status
        .lock()
        .map_err(|_| anyhow::anyhow!("screenshot state poisoned"))?
        .take();
    match result {
        Some(Ok(path)) => {
            eprintln!("saved screenshot to {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        Some(Err(message)) => anyhow::bail!(message),
        None => anyhow::bail!("the window closed before the screenshot was taken"),
    }
}

/// How long a notice such as "Exported the findings to …" stays.
const NOTICE_SHOWN_FOR: Duration = Duration::from_secs(8);

/// An error shown in a banner until dismissed.
#[derive(Clone, Debug)]
pub struct ErrorBanner {
    /// Short headline, e.g. `Could not open corrupt.heapsnapshot`.
    pub title: String,
    /// The full message (what is wrong, which file).
    pub message: String,
}

/// Frame-time statistics (for the perf figure and the debug overlay).
#[derive(Clone, Debug, Default)]
pub struct FrameStats {
    /// Durations of the last frames' `show`, in seconds.
    pub recent_secs: Vec<f64>,
    /// Frames measured in total.
    pub frames: u64,
}

impl FrameStats {
    const KEEP: usize = 240;

    fn record(&mut self, secs: f64) {
        if self.recent_secs.len() == Self::KEEP {
            self.recent_secs.remove(0);
        }
        self.recent_secs.push(secs);
        self.frames += 1;
    }

    /// The slowest of the recent frames, in seconds.
    pub fn max_secs(&self) -> f64 {
        self.recent_secs.iter().copied().fold(0.0, f64::max)
    }
}

/// The application.
pub struct HeapsightApp {
    state: AppState,
    docs: Documents,
    loads: Loads,
    commands: CommandQueue,
    selection: Selection,
    summary: SummaryPane,
    retainers: RetainersPane,
    compare: Compare,
    explore: explore::Explore,
    /// Open sampling heap profiles.
    profiles: profiles::Profiles,
    /// The command palette (Ctrl+K) and Help → Keyboard shortcuts.
    palette: palette::Palette,
    /// The tiles and their layout.
    workspace: workspace::Workspace,
    /// The last selection in any snapshot, by object id or class (A/B tiles follow it).
    link: selection::Link,
    /// Why the object selected in another snapshot's tile is not in the active snapshot.
    link_absent: Option<String>,
    /// The tiles were drawn last frame (not the Live or a profile's view).
    tiles_shown: bool,
    /// The Live view: an inspector session, its memory chart and captures.
    live: panes::live::LivePane,
    /// File → Save Redacted Copy: its dialog and job.
    redaction: redaction::Redaction,
    /// `--attach`: attach on the first frame.
    pending_attach: Option<crate::live::AttachTo>,
    errors: Vec<ErrorBanner>,
    dialog: Option<file_drop::OpenDialog>,
    /// File → Export findings waiting for its save dialog.
    export: Option<(ExportJob, file_drop::SaveDialog)>,
    /// Copies being saved from the snapshot list: (snapshot, file, the copy).
    saving: Vec<(
        document::DocId,
        PathBuf,
        jobs::Promise<std::io::Result<u64>>,
    )>,
    /// A passing message (e.g. "Exported findings to …") and when it appeared.
    notice: Option<(String, Instant)>,
    /// Show the Findings first when a diagnosis of related snapshots arrives (false when
    /// `--view` chose the view).
    findings_first: bool,
    screenshot: Option<Screenshot>,
    /// Files to load on the first frame.
    initial: Vec<Source>,
    /// `--select` waiting for a snapshot.
    pending_select: Option<u32>,
    /// `--view about`: open Help → About on the first frame.
    about_on_start: bool,
    /// `--summary-filter` waiting for the snapshots: (after, up to) slots.
    pending_range: Option<summary_range::StartFilter>,
    /// `--compare-ab` waiting for the snapshots.
    pending_split: bool,
    frame_stats: FrameStats,
    /// Log frame times (env `HEAPSIGHT_FRAME_LOG=1`).
    log_frames: bool,
    /// Commands were applied at the end of the last frame; panes see them this frame.
    reacting: bool,
}

impl HeapsightApp {
    /// The app as eframe creates it: restores the persisted state (except in screenshot mode).
    pub fn new(
        cc: &eframe::CreationContext<'_>,
        options: StartOptions,
        screenshot_status: ScreenshotStatus,
    ) -> Self {
        let state = if options.screenshot.is_some() {
            // eframe restores egui's memory (panel sizes, column widths, scroll offsets) before
            // we get here; a screenshot starts from the defaults instead.
            cc.egui_ctx
                .memory_mut(|memory| *memory = egui::Memory::default());
            AppState::default()
        } else {
            cc.storage
                .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
                .unwrap_or_default()
        };
        theme::install_once(&cc.egui_ctx);
        let mut app = Self::with_state(state, options.clone());
        app.screenshot = options
            .screenshot
            .map(|path| Screenshot::new(path, screenshot_status));
        app
    }

    /// The app with default state, opening what `options` says (used by tests).
    pub fn with_options(options: StartOptions) -> Self {
        Self::with_state(AppState::default(), options)
    }

    /// The app with a saved state restored (as eframe restores it), opening what `options`
    /// says (used by tests).
    pub fn with_saved_state(state: AppState, options: StartOptions) -> Self {
        Self::with_state(state, options)
    }

    fn with_state(mut state: AppState, options: StartOptions) -> Self {
        let mut errors = Vec::new();
        // `--view`, `--select` and `--summary-filter` say what to show first.
        let findings_first = options.view.is_none()
            && options.select.is_none()
            && options.summary_filter.is_none()
            && !options.compare_ab;
        let about_on_start = options.view.as_deref() == Some("about");
        if let Some(name) = options.view.as_deref().filter(|_| !about_on_start) {
            match View::parse(name) {
                Some(view) => state.view = view,
                None => errors.push(ErrorBanner {
                    title: format!("Unknown view {name:?}"),
                    message: format!(
                        "--view takes one of: {}",
                        View::ALL.map(View::label).join(", ")
                    ),
                }),
            }
        }
        let mut pending_select = None;
        if let Some(id) = options.select.as_deref() {
            match parse_node_id(id) {
                Some(id) => pending_select = Some(id),
                None => errors.push(ErrorBanner {
                    title: format!("Bad --select {id:?}"),
                    message: "--select takes a node id such as @12345".to_owned(),
                }),
            }
        }
        let mut pending_range = None;
        if let Some(text) = options.summary_filter.as_deref() {
            match summary_range::parse_start_filter(text) {
                Some(range) => pending_range = range,
                None => errors.push(ErrorBanner {
                    title: format!("Bad --summary-filter {text:?}"),
                    message: "--summary-filter takes all, duplicated-strings, before-baseline, baseline-target, target-final or baseline-final".to_owned(),
                }),
            }
        }
        let pending_attach = options.attach.as_deref().map(|text| {
            state.view = View::Live;
            match text.trim().parse::<u32>() {
                Ok(pid) => crate::live::AttachTo::Pid(pid),
                Err(_) => crate::live::AttachTo::Address(text.trim().to_owned()),
            }
        });
        let cache = options
            .cache
            .clone()
            .unwrap_or_else(crate::snapshot::cache::CacheConfig::disabled);
        let initial = if options.files.is_empty() {
            if options.demo && pending_attach.is_none() {
                vec![Source::demo_baseline(), Source::demo()]
            } else {
                Vec::new()
            }
        } else {
            options.files.into_iter().map(Source::Path).collect()
        };
        Self {
            summary: SummaryPane::new(state.summary_filter.clone(), state.summary_sort),
            retainers: RetainersPane::default(),
            compare: Compare::default(),
            explore: explore::Explore::default(),
            profiles: profiles::Profiles::default(),
            palette: palette::Palette::default(),
            workspace: workspace::Workspace::new(state.layout.as_deref()),
            link: selection::Link::default(),
            link_absent: None,
            tiles_shown: false,
            live: panes::live::LivePane::default(),
            pending_attach,
            redaction: redaction::Redaction::default(),
            state,
            docs: Documents::default(),
            loads: Loads::new(cache),
            commands: CommandQueue::default(),
            selection: Selection::default(),
            errors,
            dialog: None,
            export: None,
            saving: Vec::new(),
            notice: None,
            findings_first,
            screenshot: None,
            initial,
            pending_select,
            about_on_start,
            pending_range,
            pending_split: options.compare_ab,
            frame_stats: FrameStats::default(),
            log_frames: std::env::var_os("HEAPSIGHT_FRAME_LOG").is_some(),
            reacting: false,
        }
    }

    /// True while anything loads, sorts or searches in the background.
    pub fn is_busy(&self) -> bool {
        self.reacting
            || !self.initial.is_empty()
            || self.loads.is_busy()
            // A hidden Summary's tree is only fetched once it is shown again.
            || (self.tiles_shown
                && (self.workspace.is_visible(pane_kind::PaneKind::View(View::Summary))
                    || self.workspace.is_visible(pane_kind::PaneKind::View(View::Allocation)))
                && self.summary.is_busy())
            || (self.tiles_shown && self.workspace.is_busy())
            || self.retainers.is_busy()
            || self.compare.is_busy()
            || self.explore.is_busy()
            || self.profiles.is_busy()
            || self.live.is_busy()
            || self.redaction.running().is_some()
            || !self.saving.is_empty()
    }

    /// The open snapshots.
    pub fn documents(&self) -> &Documents {
        &self.docs
    }

    /// The error banners shown.
    pub fn errors(&self) -> &[ErrorBanner] {
        &self.errors
    }

    /// The open sampling heap profiles.
    pub fn profiles(&self) -> &profiles::Profiles {
        &self.profiles
    }

    /// The Live view (tests).
    pub fn live(&self) -> &panes::live::LivePane {
        &self.live
    }

    /// The Live view, to drive (tests, `--attach`).
    pub fn live_mut(&mut self) -> &mut panes::live::LivePane {
        &mut self.live
    }

    /// The open sampling heap profiles, to change (tests).
    pub fn profiles_mut(&mut self) -> &mut profiles::Profiles {
        &mut self.profiles
    }

    /// The shared selection.
    pub fn selection(&self) -> &Selection {
        &self.selection
    }

    /// The Summary pane.
    pub fn summary(&self) -> &SummaryPane {
        &self.summary
    }

    /// The Summary pane, to change.
    pub fn summary_mut(&mut self) -> &mut SummaryPane {
        &mut self.summary
    }

    /// The Retainers pane.
    pub fn retainers(&self) -> &RetainersPane {
        &self.retainers
    }

    /// Containment, Dominators, the retainer graph, search and ignored retainers.
    pub fn explore(&self) -> &explore::Explore {
        &self.explore
    }

    /// Containment, Dominators, the retainer graph and search (for tests).
    pub fn explore_mut(&mut self) -> &mut explore::Explore {
        &mut self.explore
    }

    /// The comparison slots and views.
    pub fn compare(&self) -> &Compare {
        &self.compare
    }

    /// The comparison slots and views (for tests).
    pub fn compare_mut(&mut self) -> &mut Compare {
        &mut self.compare
    }

    /// The persisted state.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The command palette and Keyboard shortcuts window.
    pub fn palette(&self) -> &palette::Palette {
        &self.palette
    }

    /// The tiled workspace.
    pub fn workspace(&self) -> &workspace::Workspace {
        &self.workspace
    }

    /// The tiled workspace, to rearrange (tests).
    pub fn workspace_mut(&mut self) -> &mut workspace::Workspace {
        &mut self.workspace
    }

    /// The last selection in any snapshot.
    pub fn link(&self) -> &selection::Link {
        &self.link
    }

    /// Why the object selected in another snapshot's tile is not in the active snapshot.
    pub fn link_absent(&self) -> Option<&str> {
        self.link_absent.as_deref()
    }

    /// The persisted state as it would be saved now (tests).
    pub fn state_to_save(&self) -> AppState {
        let mut state = self.state.clone();
        state.layout = self.workspace.saved();
        state
    }

    /// Frame times of `show`.
    pub fn frame_stats(&self) -> &FrameStats {
        &self.frame_stats
    }

    /// Queues a command (as a menu or pane would).
    pub fn push_command(&mut self, command: Command) {
        self.commands.push(command);
    }

    /// Draws one frame: everything the window shows. `eframe::App::ui` calls this; so do tests.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let started = Instant::now();
        let ctx = ui.ctx().clone();
        theme::install_once(&ctx);
        if std::mem::take(&mut self.about_on_start) {
            desktop::open_about(&ctx);
        }
        if let Some(to) = self.pending_attach.take() {
            self.live.attach(&ctx, to);
        }
        let initial = std::mem::take(&mut self.initial);
        if !initial.is_empty() {
            self.commands.push(Command::Open(initial));
        }
        self.poll_jobs();
        self.poll_redaction(&ctx);
        self.poll_saving();
        let dropped = file_drop::dropped_paths(&ctx);
        if !dropped.is_empty() {
            let open = self.compare.roles.drop_command(&ctx, dropped);
            self.commands.push(open);
        }
        command::shortcuts(&ctx, &mut self.commands);
        palette::view_shortcuts(&ctx, &mut self.commands);
        self.compare.update(&ctx, &self.docs, &mut self.commands);
        if self.compare.findings.take_attention()
            && self.findings_first
            && matches!(self.state.view, View::Summary | View::Findings)
        {
            self.state.view = View::Findings;
            // The most important finding, with its retainers and graph, is the first answer.
            self.compare.findings.select_finding(0, &mut self.commands);
        }
        self.summary.sync(&ctx, &self.docs, &self.compare.roles);

        // The palette first: while it is open it takes the arrow keys and Enter.
        self.palette_ui(&ctx);
        self.layout_ui(ui);
        file_drop::hover_overlay_ui(&ctx, &theme::Theme::of(ui));

        let applied = self.apply_commands(&ctx);
        // Panes react to applied commands (e.g. a new selection) on the next frame.
        self.reacting = applied;
        if applied {
            ctx.request_repaint();
        }
        if self.is_busy() {
            ctx.request_repaint_after(jobs::PROGRESS_REPAINT);
        }
        let busy = self.is_busy();
        if let Some(shot) = self.screenshot.as_mut() {
            shot.on_frame(&ctx, busy);
        }
        let secs = started.elapsed().as_secs_f64();
        self.frame_stats.record(secs);
        if self.log_frames {
            log::info!(
                "frame {} took {:.2} ms ({} summary rows)",
                self.frame_stats.frames,
                secs * 1e3,
                self.summary.row_count()
            );
        }
    }

    fn poll_jobs(&mut self) {
        if let Some((view, generation)) = self.explore.poll() {
            self.retainers.set_retainer_view(view, generation);
        }
        self.live.poll(&mut self.commands);
        let (failed, arrived) = self.profiles.poll();
        for e in failed {
            log::warn!("{}", e.message);
            self.errors.push(ErrorBanner {
                title: format!("Could not open {}", Source::Path(e.path).display_name()),
                message: e.message,
            });
        }
        if arrived && self.state.view != View::Live {
            self.state.view = View::Profile;
        }
        for outcome in self.loads.poll() {
            match outcome {
                LoadOutcome::Loaded {
                    source,
                    snapshot,
                    number,
                } => {
                    self.add_document(source, snapshot, number);
                    if !self.loads.is_busy()
                        && let Some(id) = self.pending_select.take()
                    {
                        self.commands.push(Command::SelectId(id));
                    }
                }
                LoadOutcome::Failed { source, message } => {
                    log::warn!("{message}");
                    self.compare
                        .roles
                        .on_load_ended(&source, Some(message.clone()));
                    self.errors.push(ErrorBanner {
                        title: format!("Could not open {}", source.display_name()),
                        message,
                    });
                }
                LoadOutcome::Cancelled { source } => {
                    log::info!("cancelled loading {}", source.display_name());
                    self.compare.roles.on_load_ended(&source, None);
                }
            }
        }
        // After every finished load is in its slot.
        if !self.loads.is_busy()
            && !self.docs.is_empty()
            && let Some(range) = self.pending_range.take()
        {
            self.apply_start_range(range);
        }
        if !self.loads.is_busy() && !self.docs.is_empty() && std::mem::take(&mut self.pending_split)
        {
            self.commands.push(Command::SplitAb);
        }
        if let Some(picked) = self.export.as_ref().and_then(|(_, d)| d.try_take()) {
            let job = self.export.take().map(|(f, _)| f);
            match (picked, job) {
                (Some(path), Some(ExportJob::Findings(format))) => {
                    self.write_findings(&path, format);
                }
                (Some(path), Some(ExportJob::Report(format))) => self.write_report(&path, format),
                (Some(path), Some(ExportJob::Snapshot(doc))) => {
                    self.commands.push(Command::SaveSnapshotTo(doc, path))
                }
                _ => {}
            }
        }
        if let Some(paths) = self
            .dialog
            .as_ref()
            .and_then(file_drop::OpenDialog::try_take)
        {
            self.dialog = None;
            if !paths.is_empty() {
                self.commands
                    .push(Command::Open(paths.into_iter().map(Source::Path).collect()));
            }
        }
    }

    /// Adds a loaded snapshot to the open ones, in the role its load was started for.
    fn add_document(
        &mut self,
        source: Source,
        snapshot: Arc<crate::snapshot::Snapshot>,
        number: u64,
    ) {
        if let Some(path) = source.path() {
            self.state.add_recent(path);
        }
        let previous = self.docs.active().map(|d| d.id);
        let id = self.docs.add(source.clone(), snapshot, number);
        let role = self.compare.roles.on_loaded(&source, id);
        // A baseline arriving after its target does not take the panes from it.
        if role == Some(role::Role::Baseline)
            && let Some(target) = self.compare.roles.doc(role::Role::Target)
            && previous == Some(target)
        {
            self.docs.set_active(target);
        }
        self.on_active_changed();
    }

    /// Snapshot list → Save as: asks where.
    fn save_snapshot_as(&mut self, ctx: &egui::Context, doc: document::DocId) {
        let Some(d) = roles::find(&self.docs, doc) else {
            return;
        };
        if self.export.is_some() {
            return;
        }
        let name = d.source.display_name();
        match file_drop::SaveDialog::spawn(
            ctx,
            &format!("Save {} as", d.title),
            &name,
            "Heap snapshot (.heapsnapshot, or .gz compressed)",
            if name.ends_with(".gz") {
                "gz"
            } else {
                "heapsnapshot"
            },
        ) {
            Ok(dialog) => self.export = Some((ExportJob::Snapshot(doc), dialog)),
            Err(err) => self.errors.push(ErrorBanner {
                title: "Could not show the Save dialog".to_owned(),
                message: format!("{err:#}"),
            }),
        }
    }

    /// Saves a copy of snapshot `doc` to `path` on a worker (compressed for a `.gz` name).
    fn save_snapshot_to(&mut self, ctx: &egui::Context, doc: document::DocId, path: PathBuf) {
        let Some(d) = roles::find(&self.docs, doc) else {
            return;
        };
        let source = d.source.clone();
        let out = path.clone();
        let promise = jobs::Promise::spawn("save snapshot", ctx, move || match &source {
            Source::Path(input) => crate::snapshot::save::save_copy(input, &out),
            Source::Bundled { bytes, .. } => crate::snapshot::save::save_copy_from(*bytes, &out),
        });
        self.saving.push((doc, path, promise));
    }

    /// Collects finished Save as copies.
    fn poll_saving(&mut self) {
        let mut i = 0;
        while i < self.saving.len() {
            let result = match self.saving[i].2.try_take() {
                jobs::Poll::Pending => {
                    i += 1;
                    continue;
                }
                jobs::Poll::Ready(r) => r,
                jobs::Poll::Lost => Err(std::io::Error::other("the copy stopped unexpectedly")),
            };
            let (_, path, _) = self.saving.remove(i);
            match result {
                Ok(_) => {
                    self.notice = Some((format!("Saved {}", path.display()), Instant::now()));
                }
                Err(err) => self.errors.push(ErrorBanner {
                    title: format!("Could not save {}", path.display()),
                    message: err.to_string(),
                }),
            }
        }
    }

    /// The snapshots being saved (their list rows show a spinner).
    pub fn saving(&self) -> Vec<document::DocId> {
        self.saving.iter().map(|(d, _, _)| *d).collect()
    }

    /// Collects a finished File → Save Redacted Copy.
    fn poll_redaction(&mut self, ctx: &egui::Context) {
        match self.redaction.poll(ctx) {
            None => {}
            Some(redaction::Outcome::Saved { output, stats }) => {
                self.notice = Some((
                    format!(
                        "Saved a redacted copy to {} ({} strings replaced by tokens)",
                        output.display(),
                        crate::format::count(stats.redacted_nodes as u64)
                    ),
                    Instant::now(),
                ));
            }
            Some(redaction::Outcome::Failed { output, message }) => {
                self.errors.push(ErrorBanner {
                    title: format!("Could not save a redacted copy to {}", output.display()),
                    message,
                });
            }
            Some(redaction::Outcome::Cancelled) => {
                self.notice = Some((
                    "Redaction cancelled: nothing was written".to_owned(),
                    Instant::now(),
                ));
            }
        }
    }

    /// The file of the snapshot shown, for File → Save Redacted Copy (an error banner when
    /// it has none: the bundled demo).
    fn redaction_input(&mut self) -> Option<PathBuf> {
        let doc = self.docs.active()?;
        match doc.source.path() {
            Some(path) => Some(path.to_path_buf()),
            None => {
                self.errors.push(ErrorBanner {
                    title: "Nothing to redact".to_owned(),
                    message: format!(
                        "{} is built into heapsight, not a file: open a snapshot file first",
                        doc.source.display_name()
                    ),
                });
                None
            }
        }
    }

    /// File → Export findings: asks where (the dialog runs on its own thread).
    fn export_findings(&mut self, ctx: &egui::Context, format: command::ExportFormat) {
        if self.export.is_some() || self.compare.findings.report().is_none() {
            return;
        }
        let name = format!("heapsight-findings.{}", format.extension());
        match file_drop::SaveDialog::spawn(
            ctx,
            &format!("Export findings as {}", format.label()),
            &name,
            format.label(),
            format.extension(),
        ) {
            Ok(dialog) => self.export = Some((ExportJob::Findings(format), dialog)),
            Err(err) => self.errors.push(ErrorBanner {
                title: "Could not show the Save dialog".to_owned(),
                message: format!("{err:#}"),
            }),
        }
    }

    /// File → Export Report: asks where to write what is on screen.
    fn export_report(
        &mut self,
        ctx: &egui::Context,
        format: crate::snapshot::export::ExportFormat,
    ) {
        if self.export.is_some() || self.docs.active().is_none() {
            return;
        }
        let stem = self
            .docs
            .active()
            .and_then(|d| d.source.path())
            .and_then(|p| p.file_name())
            .map(|n| {
                n.to_string_lossy()
                    .replace(".heapsnapshot", "")
                    .replace(".gz", "")
            })
            .unwrap_or_else(|| "heapsight".to_owned());
        let name = format!("{stem}-report.{}", format.extension());
        let label = format.label();
        match file_drop::SaveDialog::spawn(
            ctx,
            &format!("Export report as {label}"),
            &name,
            label,
            format.extension(),
        ) {
            Ok(dialog) => self.export = Some((ExportJob::Report(format), dialog)),
            Err(err) => self.errors.push(ErrorBanner {
                title: "Could not show the Save dialog".to_owned(),
                message: format!("{err:#}"),
            }),
        }
    }

    /// The report of what is on screen: the Comparison rows (in the Comparison and Side by
    /// side views, once computed) or the Summary rows, with their filter and id range; the
    /// selected object's retainer path and dominator chain; the Statistics.
    pub fn current_report(&self) -> Option<crate::snapshot::export::Report> {
        use crate::snapshot::export::{self, Report, Section};
        let doc = self.docs.active()?;
        let snapshot = &doc.snapshot;
        let mut report = Report::new(&format!("heapsight report: {}", doc.source.display_name()));
        let comparison = matches!(self.state.view, View::Comparison | View::SideBySide)
            .then(|| self.compare.comparison.visible_table(false))
            .flatten();
        match comparison {
            Some((table, base, target)) => {
                report.sources.push(export::Source::of(&target));
                report.sources.push(export::Source::of(&base));
                report.sections.push(Section::Table(table));
            }
            None => {
                report.sources.push(export::Source::of(snapshot));
                if let Some(table) = self.summary.visible_table(false) {
                    report.sections.push(Section::Table(table));
                }
            }
        }
        if let Some(n) = self.selection.node()
            && (n.0 as usize) < snapshot.node_count()
        {
            report
                .sections
                .push(Section::Path(export::retainer_path(snapshot, n)));
            report
                .sections
                .push(Section::Path(export::dominator_chain(snapshot, n)));
        }
        report
            .sections
            .push(Section::Chart(export::statistics_chart(snapshot)));
        Some(report)
    }

    /// Writes [`Self::current_report`] to `path` (complete or not at all).
    pub fn write_report(
        &mut self,
        path: &std::path::Path,
        format: crate::snapshot::export::ExportFormat,
    ) {
        let Some(report) = self.current_report() else {
            return;
        };
        self.write_export(path, &format.render(&report), "report");
    }

    /// Writes an exported `what` (complete or not at all): a notice, or an error banner.
    fn write_export(&mut self, path: &std::path::Path, text: &str, what: &str) {
        match crate::atomic_file::write_bytes(path, text.as_bytes()) {
            Ok(()) => {
                self.notice = Some((
                    format!("Exported the {what} to {}", path.display()),
                    Instant::now(),
                ));
            }
            Err(err) => self.errors.push(ErrorBanner {
                title: format!("Could not export the {what} to {}", path.display()),
                message: err.to_string(),
            }),
        }
    }

    /// The rows on screen (or the cursor's row) as a Markdown table, for the clipboard.
    pub fn rows_markdown(&self, cursor_only: bool) -> Option<String> {
        let comparing = matches!(self.state.view, View::Comparison | View::SideBySide);
        let table = if comparing {
            self.compare
                .comparison
                .visible_table(cursor_only)
                .map(|(t, _, _)| t)
        } else {
            self.summary.visible_table(cursor_only)
        }?;
        Some(table.to_markdown())
    }

    /// Writes the leak doctor's report to `path` (complete or not at all).
    pub fn write_findings(&mut self, path: &std::path::Path, format: command::ExportFormat) {
        let Some(report) = self.compare.findings.report() else {
            return;
        };
        let text = match format {
            command::ExportFormat::Markdown => report.markdown(),
            command::ExportFormat::Json => report.json(),
        };
        self.write_export(path, &text, "findings");
    }

    /// The passing message shown under the menu bar, if still current.
    pub fn notice(&self) -> Option<&str> {
        self.notice
            .as_ref()
            .filter(|(_, at)| at.elapsed() < NOTICE_SHOWN_FOR)
            .map(|(text, _)| text.as_str())
    }

    /// `--summary-filter`: the range between two slots' snapshots, for the active one.
    fn apply_start_range(&mut self, filter: summary_range::StartFilter) {
        let roles = &self.compare.roles;
        let key = match filter {
            summary_range::StartFilter::DuplicatedStrings => {
                Some(summary_range::RangeKey::DuplicatedStrings)
            }
            summary_range::StartFilter::Ids(after, upto) => {
                match (after.map(|r| roles.doc(r)), roles.doc(upto)) {
                    (Some(None), _) | (_, None) => None,
                    (after, Some(upto)) => Some(summary_range::RangeKey::Ids {
                        after: after.flatten(),
                        upto,
                    }),
                }
            }
        };
        let offered = self.docs.active().map_or_else(Vec::new, |d| {
            summary_range::offers(&self.docs, roles, d.id, self.summary.ranges().allocation())
        });
        match key.filter(|k| offered.iter().any(|o| o.key == *k)) {
            Some(key) => self.commands.push(Command::SetSummaryRange(Some(key))),
            None => self.errors.push(ErrorBanner {
                title: "--summary-filter does not apply".to_owned(),
                message: if offered.is_empty() {
                    "the Summary filter needs two or more snapshots".to_owned()
                } else {
                    format!(
                        "the snapshot shown offers: {}",
                        offered
                            .iter()
                            .map(|o| o.label.as_str())
                            .collect::<Vec<_>>()
                            .join("; ")
                    )
                },
            }),
        }
    }

    /// The panes show the active snapshot; selection starts over.
    fn on_active_changed(&mut self) {
        self.summary
            .set_snapshot(self.docs.active().map(|d| (d.id, Arc::clone(&d.snapshot))));
        let active = self.docs.active().map(|d| Arc::clone(&d.snapshot));
        self.retainers.set_snapshot(active.clone());
        self.explore.set_snapshot(active);
        self.selection.clear();
    }

    fn select_node(&mut self, node: NodeIdx, origin: PaneId) {
        self.selection.select(node, origin);
        self.link_absent = None;
        if let Some(doc) = self.docs.active()
            && (node.0 as usize) < doc.snapshot.node_count()
        {
            let what = selection::Linked::Object {
                id: doc.snapshot.node_id(node),
                class: doc.snapshot.class_name(node).to_owned(),
            };
            self.link.set(doc.id, what);
        }
    }

    /// A node chosen in a tile bound to snapshot `doc`: the active snapshot's panes show
    /// the object with the same id, or say why it is not there.
    fn select_in(&mut self, doc: document::DocId, node: NodeIdx) {
        let Some(d) = roles::find(&self.docs, doc) else {
            return;
        };
        let snapshot = Arc::clone(&d.snapshot);
        if node.0 as usize >= snapshot.node_count() {
            return;
        }
        let (id, class) = (snapshot.node_id(node), snapshot.class_name(node).to_owned());
        let from_title = d.title.clone();
        match self.docs.active() {
            Some(active) if active.id == doc => self.selection.select(node, PaneId::External),
            Some(active) => match active.snapshot.find_by_id(id) {
                Some(n) => {
                    self.selection.select(n, PaneId::External);
                    self.link_absent = None;
                }
                None => {
                    self.link_absent = Some(panes::bound::absence_message(
                        &format!("{class} @{id}"),
                        id,
                        Some((&from_title, &snapshot)),
                        &active.title,
                        &active.snapshot,
                    ));
                }
            },
            None => {}
        }
        self.link.set(doc, selection::Linked::Object { id, class });
    }

    /// View → Compare A | B: the baseline and target, else the first two open snapshots.
    fn split_ab(&mut self) {
        let pick = |id| roles::find(&self.docs, id).map(|d| (d.id, Arc::clone(&d.snapshot)));
        let by_role = (
            self.compare.roles.doc(role::Role::Baseline).and_then(pick),
            self.compare.roles.doc(role::Role::Target).and_then(pick),
        );
        let pair = match by_role {
            (Some(a), Some(b)) if a.0 != b.0 => Some((a, b)),
            _ => match self.docs.all() {
                [a, b, ..] => Some((
                    (a.id, Arc::clone(&a.snapshot)),
                    (b.id, Arc::clone(&b.snapshot)),
                )),
                _ => None,
            },
        };
        match pair {
            Some((a, b)) => self.workspace.split_ab(a, b),
            None => self.errors.push(ErrorBanner {
                title: "Compare A | B needs two snapshots".to_owned(),
                message: "open a second snapshot (File \u{2192} Open, or drop it here)".to_owned(),
            }),
        }
    }

    /// Applies the queued commands; true if there were any.
    fn apply_commands(&mut self, ctx: &egui::Context) -> bool {
        let commands = self.commands.drain();
        let any = !commands.is_empty();
        for command in commands {
            match command {
                Command::Open(sources) => {
                    for source in sources {
                        if let Some(path) = source.path().filter(|p| profiles::is_profile_path(p)) {
                            self.profiles.open(ctx, path.to_path_buf());
                            continue;
                        }
                        self.compare.roles.claim(&source);
                        self.loads.start(ctx, source);
                    }
                }
                Command::OpenAs { source, .. }
                    if source.path().is_some_and(profiles::is_profile_path) =>
                {
                    // A profile takes no comparison role.
                    if let Some(path) = source.path() {
                        self.profiles.open(ctx, path.to_path_buf());
                    }
                }
                Command::SetActiveProfile(index) => {
                    self.profiles.set_active(index);
                    self.state.view = View::Profile;
                }
                Command::CloseProfile(index) => self.profiles.close(index),
                Command::OpenAs { role, source } => {
                    self.compare.roles.expect(role, source.clone());
                    self.loads.start(ctx, source);
                }
                Command::AssignRole { role, doc } => self.compare.roles.assign(role, doc),
                Command::OpenDialog => {
                    if self.dialog.is_none() {
                        match file_drop::OpenDialog::spawn(ctx) {
                            Ok(d) => self.dialog = Some(d),
                            Err(err) => self.errors.push(ErrorBanner {
                                title: "Could not show the Open dialog".to_owned(),
                                message: format!("{err:#}"),
                            }),
                        }
                    }
                }
                Command::CancelLoad(id) => self.loads.cancel(id),
                Command::CloseSnapshot(id) => {
                    self.compare.roles.on_closed(id);
                    self.workspace.on_closed(id);
                    let was_active = self.docs.active().map(|d| d.id) == Some(id);
                    if let Some(doc) = self.docs.remove(id) {
                        if was_active {
                            self.on_active_changed();
                        }
                        jobs::drop_in_background(doc);
                    }
                }
                Command::MoveSnapshot { doc, earlier } => self.docs.move_by_one(doc, earlier),
                Command::SaveSnapshotAs(doc) => self.save_snapshot_as(ctx, doc),
                Command::SaveSnapshotTo(doc, path) => self.save_snapshot_to(ctx, doc, path),
                Command::SetActive(id) => {
                    if self.docs.active().map(|d| d.id) != Some(id) {
                        self.docs.set_active(id);
                        self.on_active_changed();
                    }
                }
                Command::Select { node, origin } => self.select_node(node, origin),
                Command::SelectIn { doc, node } => self.select_in(doc, node),
                Command::LinkClass { doc, class } => {
                    self.link_absent = None;
                    let active = self.docs.active().map(|d| (d.id, d.title.clone()));
                    if let Some((active, title)) = active
                        && active != doc
                        && !self.summary.reveal_class_named(&class)
                    {
                        self.link_absent = Some(format!("{title} has no {class} objects"));
                    }
                    self.link.set(doc, selection::Linked::Class(class));
                }
                Command::BindTile { tile, doc } => {
                    let bound = doc
                        .and_then(|d| roles::find(&self.docs, d))
                        .map(|d| (d.id, Arc::clone(&d.snapshot)));
                    self.workspace.bind(tile, bound);
                }
                Command::SplitAb => self.split_ab(),
                Command::ResetLayout => self.workspace.reset(),
                Command::ShowTile(kind) => {
                    if let Some(view) = kind.view() {
                        self.state.view = view;
                    }
                    self.workspace.show_kind(kind);
                }
                Command::SelectId(id) => match self.docs.active() {
                    None => self.pending_select = Some(id),
                    Some(doc) => match doc.snapshot.find_by_id(id) {
                        Some(node) => self.select_node(node, PaneId::External),
                        None => self.errors.push(ErrorBanner {
                            title: format!("No object @{id}"),
                            message: format!(
                                "{} has no node with id @{id}",
                                doc.source.display_name()
                            ),
                        }),
                    },
                },
                Command::FocusPane(pane) => self.state.focused = pane,
                Command::SetView(view) => {
                    self.state.view = view;
                    self.workspace.show_view(view);
                }
                Command::FilterByAllocation { path, label } => {
                    if let Some(key) = self.summary.offer_allocation(path, label)
                        && !self
                            .summary
                            .choose_range(&self.docs, &self.compare.roles, Some(key))
                    {
                        log::warn!("the allocation filter does not apply to the active snapshot");
                    }
                }
                Command::SetSummaryRange(key) => {
                    if !self
                        .summary
                        .choose_range(&self.docs, &self.compare.roles, key)
                    {
                        log::warn!(
                            "the Summary filter {key:?} does not apply to the active snapshot"
                        );
                    }
                }
                Command::CopyText(text) => ctx.copy_text(text),
                Command::DismissError(i) => {
                    if i < self.errors.len() {
                        self.errors.remove(i);
                    }
                }
                Command::ClearRecent => self.state.recent_files.clear(),
                Command::ForgetRecent(path) => self.state.recent_files.retain(|p| *p != path),
                Command::IgnoreRetainer(_)
                | Command::StopIgnoringRetainer(_)
                | Command::ClearIgnoredRetainers
                | Command::OpenSearch => {
                    self.explore.apply(ctx, &command);
                }
                Command::ExportFindings(format) => self.export_findings(ctx, format),
                Command::ExportReport(format) => self.export_report(ctx, format),
                Command::ExportReportTo(path, format) => self.write_report(&path, format),
                Command::CopyMarkdown { cursor_only } => {
                    if let Some(text) = self.rows_markdown(cursor_only) {
                        ctx.copy_text(text);
                        self.notice =
                            Some(("Copied the rows as Markdown".to_owned(), Instant::now()));
                    }
                }
                Command::SaveRedacted => {
                    if let Some(input) = self.redaction_input()
                        && let Err(err) = self.redaction.ask(ctx, input)
                    {
                        self.errors.push(ErrorBanner {
                            title: "Could not show the Save dialog".to_owned(),
                            message: format!("{err:#}"),
                        });
                    }
                }
                Command::SaveRedactedTo(output) => {
                    if let Some(input) = self.redaction_input() {
                        self.redaction.start(ctx, input, output);
                    }
                }
                Command::CancelRedaction => self.redaction.cancel(),
                Command::AddLoaded { source, snapshot } => {
                    self.compare.roles.claim(&source);
                    let number = self.loads.next_number();
                    self.add_document(source, snapshot, number);
                }
                Command::Quit => {
                    self.loads.cancel_all();
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            }
        }
        self.state.summary_filter = self.summary.filter().to_owned();
        self.state.summary_sort = self.summary.sort();
        any
    }
}

impl eframe::App for HeapsightApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.screenshot.is_none() {
            eframe::set_value(storage, eframe::APP_KEY, &self.state_to_save());
        }
    }

    fn persist_egui_memory(&self) -> bool {
        self.screenshot.is_none()
    }

    fn raw_input_hook(&mut self, _ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        // A screenshot shows the window, not a hover where Xvfb happened to leave the pointer.
        if self.screenshot.is_some() {
            raw_input
                .events
                .retain(|e| !matches!(e, egui::Event::PointerMoved(_)));
        }
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.loads.cancel_all();
    }

    fn auto_save_interval(&self) -> Duration {
        Duration::from_secs(30)
    }
}
