//! The Live view: attach to a running Node.js process (inspector address, or PID through
//! SIGUSR1) or a Chrome page, watch its memory (`heapUsed`, `heapTotal`, `external`,
//! `arrayBuffers`, `rss`, every second, with a marker at each snapshot), and take snapshots,
//! collect garbage, record allocation sampling or tracking. Snapshots open as they are taken
//! and fill the comparison roles in order (baseline, target, final), so "take, drive traffic,
//! take, take" ends in the Comparison and the leak doctor with no file handling.

use std::path::PathBuf;

use egui::{RichText, Ui};
use egui_plot::{Legend, Line, Plot, PlotPoints, VLine};

use crate::format;
use crate::live::{AttachTo, CaptureOptions, MemorySample, Preset};

use super::super::command::{Command, CommandQueue};
use super::super::document::Source;
use super::super::jobs;
use super::super::live_session::{Event, LiveSession, Request};
use super::super::theme::Theme;

/// Samples kept for the chart (an hour at one per second).
const MAX_SAMPLES: usize = 3600;

/// Messages kept in the log under the chart.
const MAX_LOG: usize = 8;

/// How to find the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AttachBy {
    Address,
    Pid,
}

/// The Live view's state.
pub struct LivePane {
    by: AttachBy,
    address: String,
    pid: String,
    /// Where snapshots and profiles are written.
    pub folder: String,
    preset: Preset,
    gc_first: bool,
    gzip: bool,
    session: Option<LiveSession>,
    /// The target, once attached.
    attached: Option<String>,
    /// A request is running: what it is.
    running: Option<String>,
    samples: Vec<MemorySample>,
    /// Snapshot markers: (sample time in ms, label).
    markers: Vec<(u64, String)>,
    sampling: bool,
    tracking: bool,
    /// Snapshots taken in this window (numbers the files).
    taken: u32,
    log: Vec<(bool, String)>,
}

impl Default for LivePane {
    fn default() -> Self {
        let folder = std::env::var_os("HOME")
            .map(|h| PathBuf::from(h).join("heapsight-captures"))
            .unwrap_or_else(|| std::env::temp_dir().join("heapsight-captures"));
        Self {
            by: AttachBy::Address,
            address: "127.0.0.1:9229".to_owned(),
            pid: String::new(),
            folder: folder.display().to_string(),
            preset: Preset::DevTools,
            gc_first: false,
            gzip: false,
            session: None,
            attached: None,
            running: None,
            samples: Vec::new(),
            markers: Vec::new(),
            sampling: false,
            tracking: false,
            taken: 0,
            log: Vec::new(),
        }
    }
}

impl LivePane {
    /// Attaches to `to` (as the Attach button does): `--attach` on the command line.
    pub fn attach(&mut self, ctx: &egui::Context, to: AttachTo) {
        match &to {
            AttachTo::Address(a) => {
                self.by = AttachBy::Address;
                self.address.clone_from(a);
            }
            AttachTo::Pid(p) => {
                self.by = AttachBy::Pid;
                self.pid = p.to_string();
            }
        }
        self.detach();
        match LiveSession::start(ctx, to) {
            Ok(session) => {
                self.session = Some(session);
                self.running = Some("Attaching".to_owned());
            }
            Err(e) => self.note(true, format!("could not start the session thread: {e}")),
        }
    }

    /// Ends the session (the target keeps running).
    pub fn detach(&mut self) {
        self.session = None;
        self.attached = None;
        self.running = None;
        self.sampling = false;
        self.tracking = false;
    }

    /// The target attached to, if any.
    pub fn attached(&self) -> Option<&str> {
        self.attached.as_deref()
    }

    /// The memory samples received.
    pub fn samples(&self) -> &[MemorySample] {
        &self.samples
    }

    /// The log lines: (is an error, text), oldest first.
    pub fn log(&self) -> &[(bool, String)] {
        &self.log
    }

    /// True while attaching, while a request runs, and until the chart has a few samples
    /// to show.
    pub fn is_busy(&self) -> bool {
        self.session.is_some()
            && (self.running.is_some() || (self.attached.is_some() && self.samples.len() < 3))
    }

    fn note(&mut self, error: bool, text: String) {
        if error {
            log::warn!("live: {text}");
        } else {
            log::info!("live: {text}");
        }
        self.log.push((error, text));
        if self.log.len() > MAX_LOG {
            self.log.remove(0);
        }
    }

    /// Collects the session's events (every frame, shown or not); finished snapshots and
    /// profiles are opened through `commands`.
    pub fn poll(&mut self, commands: &mut CommandQueue) {
        let Some(session) = self.session.as_ref() else {
            return;
        };
        for event in session.poll() {
            match event {
                Event::Attached(target) => {
                    self.note(false, format!("attached to {target}"));
                    self.attached = Some(target);
                    self.running = None;
                    self.samples.clear();
                    self.markers.clear();
                }
                Event::Note(text) => self.note(false, text),
                Event::Sample(sample) => {
                    self.samples.push(sample);
                    if self.samples.len() > MAX_SAMPLES {
                        self.samples.remove(0);
                    }
                }
                Event::SnapshotSaved {
                    path,
                    snapshot,
                    load_wait_secs,
                    preset,
                    duration_secs,
                    tracked,
                } => {
                    self.running = None;
                    if tracked {
                        self.tracking = false;
                    }
                    let at = self.samples.last().map_or(0, |s| s.time_ms);
                    self.markers.push((at, format!("Snapshot {}", self.taken)));
                    self.note(
                        false,
                        format!(
                            "Snapshot {} ({}{}) saved to {} in {:.1} s, open {:.2} s later",
                            self.taken,
                            preset_label(preset),
                            if tracked {
                                ", with allocation stacks"
                            } else {
                                ""
                            },
                            path.display(),
                            duration_secs,
                            load_wait_secs
                        ),
                    );
                    match snapshot {
                        Ok(snapshot) => commands.push(Command::AddLoaded {
                            source: Source::Path(path),
                            snapshot: std::sync::Arc::new(*snapshot),
                        }),
                        Err(message) => {
                            self.note(
                                true,
                                format!(
                                    "reading it as it arrived failed ({message}); opening the file"
                                ),
                            );
                            commands.push(Command::Open(vec![Source::Path(path)]));
                        }
                    }
                }
                Event::ProfileSaved(path) => {
                    self.running = None;
                    self.sampling = false;
                    self.note(
                        false,
                        format!("Allocation profile saved to {}", path.display()),
                    );
                    commands.push(Command::Open(vec![Source::Path(path)]));
                }
                Event::Done(text) => {
                    self.running = None;
                    self.note(false, text);
                }
                Event::Failed(text) => {
                    self.running = None;
                    self.note(true, text);
                }
                Event::Ended(why) => {
                    self.note(true, format!("session ended: {why}"));
                    self.detach();
                    return;
                }
            }
        }
    }

    fn send(&mut self, request: Request, what: &str) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        if session.send(request) {
            self.running = Some(what.to_owned());
        } else {
            self.note(true, "the session is busy or has ended".to_owned());
        }
    }

    /// A new file name in the capture folder: `Heap-20261206-081502-3-devtools.heapsnapshot`.
    fn next_path(&mut self, extension: &str, suffix: &str) -> Option<PathBuf> {
        let folder = PathBuf::from(self.folder.trim());
        if let Err(e) = std::fs::create_dir_all(&folder) {
            self.note(
                true,
                format!("cannot create the capture folder {}: {e}", folder.display()),
            );
            return None;
        }
        let stamp = format::timestamp_for_file_name(std::time::SystemTime::now());
        Some(folder.join(format!("Heap-{stamp}{suffix}.{extension}")))
    }

    /// Takes a snapshot with the chosen preset into the capture folder (the Take snapshot
    /// button); it opens when complete.
    pub fn take_snapshot(&mut self) {
        self.taken += 1;
        let extension = if self.gzip {
            "heapsnapshot.gz"
        } else {
            "heapsnapshot"
        };
        let suffix = format!("-{}-{}", self.taken, self.preset.name());
        let Some(path) = self.next_path(extension, &suffix) else {
            self.taken -= 1;
            return;
        };
        let options = CaptureOptions {
            preset: self.preset,
            collect_garbage: self.gc_first,
            stop_tracking: self.tracking,
        };
        self.send(Request::TakeSnapshot { path, options }, "Taking a snapshot");
    }

    /// Draws the view.
    pub fn ui(&mut self, ui: &mut Ui) {
        let theme = Theme::of(ui);
        ui.horizontal(|ui| {
            ui.label(RichText::new("Live").strong());
            ui.label(
                RichText::new(
                    "\u{2014} attach to a Node.js process (started with --inspect, or any by \
                     PID on Linux) or a Chrome page (--remote-debugging-port), watch its memory, \
                     take snapshots: they open as baseline, target and final",
                )
                .color(theme.weak_text),
            );
        });
        ui.add_space(4.0);
        self.attach_row_ui(ui, &theme);
        if self.attached.is_some() {
            ui.add_space(4.0);
            self.actions_ui(ui);
        }
        self.progress_ui(ui);
        for (error, text) in &self.log {
            let color = if *error { theme.error } else { theme.weak_text };
            ui.label(RichText::new(text).color(color));
        }
        ui.separator();
        self.chart_ui(ui, &theme);
    }

    fn attach_row_ui(&mut self, ui: &mut Ui, theme: &Theme) {
        let ctx = ui.ctx().clone();
        ui.horizontal(|ui| {
            let enabled = self.session.is_none();
            ui.add_enabled_ui(enabled, |ui| {
                ui.radio_value(&mut self.by, AttachBy::Address, "Inspector address");
                ui.add(
                    egui::TextEdit::singleline(&mut self.address)
                        .desired_width(160.0)
                        .hint_text("127.0.0.1:9229"),
                );
                ui.radio_value(&mut self.by, AttachBy::Pid, "Process id");
                ui.add(
                    egui::TextEdit::singleline(&mut self.pid)
                        .desired_width(80.0)
                        .hint_text("PID"),
                );
            });
            if self.session.is_some() {
                if ui.button("Detach").clicked() {
                    self.note(false, "detached".to_owned());
                    self.detach();
                }
                match &self.attached {
                    Some(t) => ui.label(RichText::new(t).color(theme.class_name)),
                    None => ui.label(RichText::new("attaching\u{2026}").color(theme.weak_text)),
                };
            } else if ui.button("Attach").clicked() {
                let to = match self.by {
                    AttachBy::Address => Some(AttachTo::Address(self.address.trim().to_owned())),
                    AttachBy::Pid => match self.pid.trim().parse::<u32>() {
                        Ok(pid) => Some(AttachTo::Pid(pid)),
                        Err(_) => {
                            self.note(true, format!("not a process id: {:?}", self.pid.trim()));
                            None
                        }
                    },
                };
                if let Some(to) = to {
                    self.attach(&ctx, to);
                }
            }
        });
    }

    fn actions_ui(&mut self, ui: &mut Ui) {
        let idle = self.running.is_none();
        ui.horizontal(|ui| {
            ui.add_enabled_ui(idle, |ui| {
                let take = if self.tracking {
                    "Take snapshot (ends tracking)"
                } else {
                    "Take snapshot"
                };
                if ui.button(take).clicked() {
                    self.take_snapshot();
                }
                egui::ComboBox::from_id_salt("live_preset")
                    .selected_text(preset_label(self.preset))
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut self.preset, Preset::DevTools, preset_label(Preset::DevTools))
                            .on_hover_text("exposeInternals and captureNumericValue, as DevTools' Memory panel sends: the numbers match a DevTools capture");
                        ui.selectable_value(&mut self.preset, Preset::Node, preset_label(Preset::Node))
                            .on_hover_text("The protocol defaults, as v8.writeHeapSnapshot() writes");
                    });
                ui.checkbox(&mut self.gc_first, "GC first");
                ui.checkbox(&mut self.gzip, ".gz");
                ui.separator();
                if ui.button("Collect garbage").clicked() {
                    self.send(Request::CollectGarbage, "Collecting garbage");
                }
                if self.sampling {
                    if ui.button("Stop allocation sampling").clicked()
                        && let Some(path) = self.next_path("heapprofile", "-sampling")
                    {
                        self.send(Request::StopSampling { path }, "Stopping allocation sampling");
                    }
                } else if ui
                    .button("Start allocation sampling")
                    .on_hover_text("Sample allocations with their stacks (cheap); the profile opens as a flame chart when stopped")
                    .clicked()
                {
                    self.sampling = true;
                    self.send(Request::StartSampling, "Starting allocation sampling");
                }
                if !self.tracking
                    && ui
                        .button("Start allocation tracking")
                        .on_hover_text("Record the stack of every allocation (slows the target); the next snapshot carries them")
                        .clicked()
                {
                    self.tracking = true;
                    self.send(Request::StartTracking, "Starting allocation tracking");
                }
            });
        });
        ui.horizontal(|ui| {
            ui.label("Save to");
            ui.add(egui::TextEdit::singleline(&mut self.folder).desired_width(420.0));
        });
    }

    fn progress_ui(&mut self, ui: &mut Ui) {
        let Some(what) = self.running.clone() else {
            return;
        };
        let Some(session) = self.session.as_ref() else {
            return;
        };
        let progress = session.progress();
        let (read, _) = progress.bytes();
        let mut cancel = false;
        ui.horizontal(|ui| {
            crate::app::widgets::spinner(ui);
            let phase = progress.phase();
            let detail = if read > 0 {
                format!("{what}: {phase}, {} received", format::bytes(read))
            } else {
                format!("{what}: {phase}")
            };
            ui.label(detail);
            if what.starts_with("Taking") {
                ui.add(egui::ProgressBar::new(progress.fraction() as f32).desired_width(200.0));
                cancel = ui.button("Cancel").clicked();
            }
        });
        if cancel {
            session.cancel();
        }
        ui.ctx().request_repaint_after(jobs::PROGRESS_REPAINT);
    }

    fn chart_ui(&mut self, ui: &mut Ui, theme: &Theme) {
        if self.samples.is_empty() {
            ui.label(
                RichText::new(if self.attached.is_some() {
                    "Waiting for the first memory sample\u{2026}"
                } else {
                    "Not attached. Start Node with --inspect (or give its PID), then Attach."
                })
                .color(theme.weak_text),
            );
            return;
        }
        let t0 = self.samples[0].time_ms;
        let secs = |t: u64| (t.saturating_sub(t0)) as f64 / 1000.0;
        let mb = |b: u64| b as f64 / 1_000_000.0;
        type Field = fn(&MemorySample) -> Option<u64>;
        let series: [(&str, Field); 5] = [
            ("heapUsed", |s| Some(s.heap_used_bytes)),
            ("heapTotal", |s| Some(s.heap_total_bytes)),
            ("external", |s| s.external_bytes),
            ("arrayBuffers", |s| s.array_buffers_bytes),
            ("rss", |s| s.rss_bytes),
        ];
        if let Some(last) = self.samples.last() {
            ui.label(format!(
                "heapUsed {} \u{00B7} heapTotal {}{}{}",
                format::bytes(last.heap_used_bytes),
                format::bytes(last.heap_total_bytes),
                last.rss_bytes.map_or(String::new(), |r| format!(
                    " \u{00B7} rss {}",
                    format::bytes(r)
                )),
                last.external_bytes.map_or(String::new(), |e| format!(
                    " \u{00B7} external {}",
                    format::bytes(e)
                )),
            ));
        }
        Plot::new("live_memory")
            .legend(Legend::default())
            .x_axis_label("seconds")
            .y_axis_label("MB")
            .allow_scroll(false)
            .show(ui, |plot| {
                for (name, field) in series {
                    let points: PlotPoints = self
                        .samples
                        .iter()
                        .filter_map(|s| field(s).map(|v| [secs(s.time_ms), mb(v)]))
                        .collect();
                    plot.line(Line::new(name, points));
                }
                for (t, label) in &self.markers {
                    plot.vline(VLine::new(label.clone(), secs(*t)));
                }
            });
    }
}

fn preset_label(preset: Preset) -> &'static str {
    match preset {
        Preset::DevTools => "as DevTools",
        Preset::Node => "as writeHeapSnapshot",
    }
}

impl super::Pane for LivePane {
    fn title(&self) -> String {
        crate::app::command::View::Live.label().to_owned()
    }

    fn ui(&mut self, ui: &mut Ui, _cx: &mut super::TileContext<'_>) {
        LivePane::ui(self, ui);
    }

    fn is_busy(&self) -> bool {
        LivePane::is_busy(self)
    }
}
