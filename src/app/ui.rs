//! The window's layout: menu bar, load progress and error banners, the panes, status bar.

use std::sync::Arc;

use egui::{RichText, Ui};

use crate::format;

use super::command::{Command, ExportFormat, OPEN_SHORTCUT, QUIT_SHORTCUT, View};
use super::desktop;
use super::document::Source;
use super::jobs;
use super::pane_kind::PaneKind;
use super::panes::PaneContext;
use super::panes::TileContext;
use super::status_bar;
use super::theme::Theme;
use super::workspace::ActivePanes;
use super::{ErrorBanner, HeapsightApp};

impl HeapsightApp {
    /// Lays out the whole window.
    pub(super) fn layout_ui(&mut self, ui: &mut Ui) {
        egui::Panel::top("menu_bar").show(ui, |ui| self.menu_bar_ui(ui));
        // Every view one click away, whatever the tiles' widths hide of their tab bars.
        self.tiles_shown = false;
        egui::Panel::top("perspectives").show(ui, |ui| self.perspective_tabs_ui(ui));
        desktop::about_window_ui(ui.ctx());
        egui::Panel::bottom("status_bar").show(ui, |ui| {
            let profile = self
                .profiles
                .active()
                .filter(|_| self.state.view == View::Profile || self.docs.is_empty());
            match profile {
                Some(p) => status_bar::profile_status_ui(ui, p.name(), p.profile()),
                None => status_bar::status_bar_ui(ui, self.docs.active(), self.docs.all().len()),
            }
        });
        // With nothing open yet, the central area shows the progress instead (`empty_ui`).
        let banner_progress =
            self.loads.is_busy() && !self.docs.is_empty() || self.redaction.running().is_some();
        let notice = self.notice().map(str::to_owned);
        if banner_progress || !self.errors.is_empty() || notice.is_some() {
            egui::Panel::top("banners").show(ui, |ui| {
                if banner_progress {
                    self.progress_ui(ui, 240.0);
                    self.redaction_progress_ui(ui);
                }
                errors_ui(ui, &self.errors, &mut self.commands);
                if let Some(notice) = notice {
                    ui.label(RichText::new(notice).color(Theme::of(ui).weak_text));
                    ui.ctx()
                        .request_repaint_after(std::time::Duration::from_secs(1));
                }
            });
        }
        if self.compare.header_wanted(self.state.view) {
            egui::Panel::top("comparison_slots").show(ui, |ui| {
                self.compare
                    .header_ui(ui, &self.docs, &self.loads, &mut self.commands);
            });
        }
        // The Live view has the window to itself while nothing is open (then it is a tile).
        if self.state.view == View::Live && self.docs.is_empty() {
            egui::CentralPanel::default().show(ui, |ui| self.live.ui(ui));
            return;
        }
        // A sampling heap profile: its own view (also when no snapshot is open).
        if (self.state.view == View::Profile || self.docs.is_empty())
            && let Some(pane) = self.profiles.active_mut()
        {
            egui::CentralPanel::default().show(ui, |ui| pane.ui(ui, &mut self.commands));
            return;
        }
        let Some(doc) = self.docs.active() else {
            egui::CentralPanel::default().show(ui, |ui| self.empty_ui(ui));
            return;
        };
        if self.state.show_snapshot_list {
            let saving = self.saving();
            egui::Panel::left("snapshot_list")
                .resizable(true)
                .default_size(230.0)
                .min_size(160.0)
                .show(ui, |ui| {
                    super::snapshot_list::ui(
                        ui,
                        &self.docs,
                        &self.compare.roles,
                        &saving,
                        &mut self.commands,
                    );
                });
        }
        let snapshot = Arc::clone(&doc.snapshot);
        let doc_id = doc.id;
        let focused = self.state.focused;
        {
            let mut cx = PaneContext {
                snapshot: &snapshot,
                selection: &self.selection,
                commands: &mut self.commands,
                focused,
            };
            self.explore.search_panel_ui(ui, &mut cx);
        }
        if self.state.view == View::Profile {
            egui::CentralPanel::default().show(ui, |ui| {
                ui.add_space(8.0);
                ui.label("No sampling heap profile is open.");
                ui.label(
                    RichText::new(
                        "Open a .heapprofile file (File \u{2192} Open, or drop it here): \
                         `node --heap-prof app.js` writes one when the process exits, and \
                         DevTools' Memory panel saves one from \"Allocation sampling\".",
                    )
                    .color(Theme::of(ui).weak_text),
                );
            });
            return;
        }
        self.workspace.follow_view(self.state.view);
        egui::CentralPanel::default()
            .frame(egui::Frame::central_panel(ui.style()).inner_margin(2))
            .show(ui, |ui| {
                if let Some(absent) = &self.link_absent {
                    ui.label(
                        RichText::new(absent)
                            .color(Theme::of(ui).weak_text)
                            .italics(),
                    );
                }
                let super::compare::Compare {
                    roles,
                    comparison,
                    side_by_side,
                    leaks,
                    findings,
                    ..
                } = &mut self.compare;
                let explore = &mut self.explore;
                let recomputing = explore.ignored.is_busy();
                let panes = ActivePanes {
                    summary: &mut self.summary,
                    retainers: &mut self.retainers,
                    graph: &mut explore.graph,
                    containment: &mut explore.containment,
                    dominators: &mut explore.dominators,
                    strings: &mut explore.strings,
                    allocation: &mut explore.allocation,
                    comparison,
                    side_by_side,
                    leaks,
                    findings,
                    live: &mut self.live,
                };
                let cx = TileContext {
                    docs: &self.docs,
                    roles,
                    doc: doc_id,
                    snapshot: &snapshot,
                    selection: &self.selection,
                    commands: &mut self.commands,
                    focused,
                    recomputing,
                };
                self.workspace.ui(ui, panes, cx, &self.link);
                self.tiles_shown = true;
            });
    }

    /// The perspectives as tabs, where DevTools keeps its perspective selector: one click
    /// (or Ctrl+1…9) to any view.
    fn perspective_tabs_ui(&mut self, ui: &mut Ui) {
        ui.horizontal_wrapped(|ui| {
            ui.spacing_mut().item_spacing.x = 2.0;
            for view in View::ALL {
                if view == View::Profile && self.profiles.all().is_empty() {
                    continue;
                }
                let mut tab = ui.selectable_label(self.state.view == view, view.label());
                if let Some(shortcut) = super::palette::view_shortcut(view) {
                    tab = tab.on_hover_text(ui.ctx().format_shortcut(&shortcut));
                }
                if tab.clicked() {
                    self.commands.push(Command::SetView(view));
                }
            }
        });
    }

    /// The command palette and the Keyboard shortcuts window, over everything else.
    pub(super) fn palette_ui(&mut self, ctx: &egui::Context) {
        let (docs, compare, state) = (&self.docs, &self.compare, &self.state);
        // Built only while the palette is open (not every frame).
        let offer = || super::palette::Offer {
            snapshots: docs
                .all()
                .iter()
                .map(|d| {
                    (
                        d.id,
                        format!("{} \u{2014} {}", d.title, d.source.display_name()),
                    )
                })
                .collect(),
            has_file: docs.active().is_some_and(|d| d.source.path().is_some()),
            diagnosed: compare.findings.report().is_some(),
            any_open: docs.active().is_some(),
            recent: &state.recent_files,
        };
        self.palette.ui(ctx, offer, &mut self.commands);
    }

    fn menu_bar_ui(&mut self, ui: &mut Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                let open = ui.add(
                    egui::Button::new("Open…")
                        .shortcut_text(ui.ctx().format_shortcut(&OPEN_SHORTCUT)),
                );
                if open.clicked() {
                    self.commands.push(Command::OpenDialog);
                }
                ui.menu_button("Open Recent", |ui| {
                    if self.state.recent_files.is_empty() {
                        ui.label(RichText::new("No recent files").weak());
                    }
                    for path in self.state.recent_files.clone() {
                        let exists = path.exists();
                        let button =
                            ui.add_enabled(exists, egui::Button::new(path.display().to_string()));
                        if button.clicked() {
                            self.commands
                                .push(Command::Open(vec![Source::Path(path.clone())]));
                        }
                        if !exists {
                            button.on_disabled_hover_text("The file no longer exists");
                        }
                    }
                    ui.separator();
                    if ui.button("Clear Recent Files").clicked() {
                        self.commands.push(Command::ClearRecent);
                    }
                });
                if ui.button("Open Demo Snapshot").clicked() {
                    self.commands.push(Command::Open(vec![Source::demo()]));
                }
                if ui
                    .button("Attach to Process\u{2026}")
                    .on_hover_text("Watch a running Node.js process or Chrome page and take snapshots from it (the Live view)")
                    .clicked()
                {
                    self.commands.push(Command::SetView(View::Live));
                }
                ui.separator();
                let has_file = self.docs.active().is_some_and(|d| d.source.path().is_some());
                if ui
                    .add_enabled(has_file, egui::Button::new("Save Redacted Copy\u{2026}"))
                    .on_hover_text(
                        "A copy you can share: the text of every string (user data, tokens, \
                         environment values, script source) replaced by a token, every figure \
                         unchanged",
                    )
                    .on_disabled_hover_text("Open a snapshot file first")
                    .clicked()
                {
                    self.commands.push(Command::SaveRedacted);
                }
                let diagnosed = self.compare.findings.report().is_some();
                for format in [ExportFormat::Markdown, ExportFormat::Json] {
                    let item = ui
                        .add_enabled(
                            diagnosed,
                            egui::Button::new(format!(
                                "Export Findings as {}\u{2026}",
                                format.label()
                            )),
                        )
                        .on_disabled_hover_text(
                            "Open a snapshot first: the leak doctor diagnoses the open snapshots",
                        );
                    if item.clicked() {
                        self.commands.push(Command::ExportFindings(format));
                    }
                }
                for format in [
                    crate::snapshot::export::ExportFormat::Markdown,
                    crate::snapshot::export::ExportFormat::Json,
                    crate::snapshot::export::ExportFormat::Html,
                ] {
                    let item = ui
                        .add_enabled(
                            self.docs.active().is_some(),
                            egui::Button::new(format!("Export Report as {}\u{2026}", format.label())),
                        )
                        .on_hover_text(
                            "What is on screen: the Summary (or Comparison) rows with their \
                             filter, the selected object's retainer path and dominator chain, \
                             the Statistics",
                        )
                        .on_disabled_hover_text("Open a snapshot first");
                    if item.clicked() {
                        self.commands.push(Command::ExportReport(format));
                    }
                }
                ui.separator();
                let active = self.docs.active().map(|d| d.id);
                if ui
                    .add_enabled(active.is_some(), egui::Button::new("Close Snapshot"))
                    .clicked()
                    && let Some(id) = active
                {
                    self.commands.push(Command::CloseSnapshot(id));
                }
                ui.separator();
                let quit = ui.add(
                    egui::Button::new("Quit")
                        .shortcut_text(ui.ctx().format_shortcut(&QUIT_SHORTCUT)),
                );
                if quit.clicked() {
                    self.commands.push(Command::Quit);
                }
            });
            ui.menu_button("View", |ui| {
                ui.checkbox(&mut self.state.show_snapshot_list, "Snapshot list");
                if ui
                    .add_enabled(
                        self.docs.all().len() >= 2,
                        egui::Button::new("Compare A | B"),
                    )
                    .on_hover_text(
                        "The Summary and Retainers of two snapshots side by side (the \
                         baseline and target, else the first two), with linked selection",
                    )
                    .on_disabled_hover_text("Open two snapshots first")
                    .clicked()
                {
                    self.commands.push(Command::SplitAb);
                }
                if ui.button("Reset Layout").clicked() {
                    self.commands.push(Command::ResetLayout);
                }
                ui.separator();
                for view in View::ALL {
                    let mut item = egui::Button::new(view.label())
                        .selected(self.state.view == view);
                    if let Some(shortcut) = super::palette::view_shortcut(view) {
                        item = item.shortcut_text(ui.ctx().format_shortcut(&shortcut));
                    }
                    if ui.add(item).clicked() {
                        self.commands.push(Command::SetView(view));
                    }
                }
                for kind in [PaneKind::Retainers, PaneKind::WhereCreated] {
                    if ui.button(kind.title()).clicked() {
                        self.commands.push(Command::ShowTile(kind));
                    }
                }
            });
            ui.menu_button("Help", |ui| {
                let palette = ui.add(
                    egui::Button::new("Command Palette\u{2026}").shortcut_text(
                        ui.ctx().format_shortcut(&super::palette::PALETTE_SHORTCUT),
                    ),
                );
                if palette.clicked() {
                    self.palette.open();
                }
                if ui.button("Keyboard Shortcuts").clicked() {
                    self.palette.show_shortcuts();
                }
                ui.separator();
                desktop::help_menu_ui(ui);
            });
            ui.separator();
            self.snapshot_picker_ui(ui);
        });
    }

    /// The open snapshots and heap profiles, DevTools' sidebar as a combo box.
    fn snapshot_picker_ui(&mut self, ui: &mut Ui) {
        let profile = self
            .profiles
            .active_index()
            .filter(|_| self.state.view == View::Profile || self.docs.is_empty());
        let label = |d: &super::document::Document| {
            format!(
                "{} \u{2014} {} ({})",
                d.title,
                d.source.display_name(),
                format::bytes(d.snapshot.total_size())
            )
        };
        let profile_label = |p: &super::panes::heap_profile::HeapProfilePane| {
            format!(
                "Profile \u{2014} {} ({} sampled)",
                p.name(),
                format::bytes(p.profile().total_size_bytes())
            )
        };
        let active_doc = self.docs.active();
        let selected_text = match (profile, active_doc) {
            (Some(i), _) => self.profiles.all().get(i).map(profile_label),
            (None, Some(doc)) => Some(label(doc)),
            (None, None) => None,
        };
        let Some(selected_text) = selected_text else {
            return;
        };
        let active_id = active_doc.map(|d| d.id);
        let picker = egui::ComboBox::from_id_salt("snapshot_picker")
            .selected_text(selected_text)
            .width(360.0)
            .show_ui(ui, |ui| {
                for doc in self.docs.all() {
                    if ui
                        .selectable_label(
                            profile.is_none() && Some(doc.id) == active_id,
                            label(doc),
                        )
                        .clicked()
                    {
                        self.commands.push(Command::SetActive(doc.id));
                        if profile.is_some() {
                            self.commands.push(Command::SetView(View::Summary));
                        }
                    }
                }
                for (i, p) in self.profiles.all().iter().enumerate() {
                    if ui
                        .selectable_label(profile == Some(i), profile_label(p))
                        .clicked()
                    {
                        self.commands.push(Command::SetActiveProfile(i));
                    }
                }
            });
        // An accessible name for screen readers (and kittest's accessibility check).
        picker.response.widget_info(|| {
            egui::WidgetInfo::labeled(egui::Role::ComboBox, true, "Snapshot shown")
        });
        if let Some(i) = profile {
            if ui
                .small_button("\u{00D7}")
                .on_hover_text("Close this profile")
                .clicked()
            {
                self.commands.push(Command::CloseProfile(i));
            }
        } else if let Some(active_id) = active_id
            && self.docs.all().len() > 1
            && ui
                .small_button("\u{00D7}")
                .on_hover_text("Close this snapshot")
                .clicked()
        {
            self.commands.push(Command::CloseSnapshot(active_id));
        }
    }

    /// The redaction under way: file, phase, percentage, Cancel.
    fn redaction_progress_ui(&mut self, ui: &mut Ui) {
        let Some((progress, output)) = self.redaction.running() else {
            return;
        };
        let mut cancel = false;
        ui.horizontal(|ui| {
            crate::app::widgets::spinner(ui);
            ui.label(
                RichText::new(format!("Saving a redacted copy to {}", output.display())).strong(),
            );
            ui.add(
                egui::ProgressBar::new(progress.fraction() as f32)
                    .desired_width(240.0)
                    .show_percentage(),
            );
            ui.label(RichText::new(progress.phase()).color(Theme::of(ui).weak_text));
            cancel = ui.button("Cancel").clicked();
        });
        if cancel {
            self.commands.push(Command::CancelRedaction);
        }
    }

    /// One progress bar per running load: file, phase, percentage, bytes, Cancel.
    fn progress_ui(&mut self, ui: &mut Ui, bar_width: f32) {
        let theme = Theme::of(ui);
        for job in self.loads.running() {
            let fraction = jobs::overall_fraction(&job.progress);
            let (read, total) = job.progress.bytes();
            ui.horizontal(|ui| {
                crate::app::widgets::spinner(ui);
                ui.label(RichText::new(format!("Loading {}", job.source.display_name())).strong());
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .desired_width(bar_width)
                        .fill(theme.progress),
                );
                // Before the texts whose width changes every frame, so it never moves.
                if ui.button("Cancel").clicked() {
                    self.commands.push(Command::CancelLoad(job.id));
                }
                ui.label(format!(
                    "{} \u{2014} {:.0} %",
                    job.progress.phase(),
                    fraction * 100.0
                ));
                let elapsed = job.started.elapsed().as_secs_f64();
                let detail = if total > 0 {
                    format!(
                        "{} of {} read, {elapsed:.1} s",
                        format::bytes(read),
                        format::bytes(total)
                    )
                } else {
                    format!("{elapsed:.1} s")
                };
                ui.label(RichText::new(detail).color(theme.weak_text));
            });
        }
    }

    /// What the central area shows with no snapshot open: the loads' progress, or a welcome.
    fn empty_ui(&mut self, ui: &mut Ui) {
        let theme = Theme::of(ui);
        if self.loads.is_busy() || !self.initial.is_empty() {
            ui.vertical_centered(|ui| {
                ui.add_space(ui.available_height() * 0.35);
                ui.label(RichText::new("Loading heap snapshot").size(20.0).strong());
                ui.add_space(12.0);
            });
            let width = 960.0_f32.min(ui.available_width());
            ui.horizontal(|ui| {
                ui.add_space((ui.available_width() - width).max(0.0) / 2.0);
                ui.vertical(|ui| {
                    ui.set_max_width(width);
                    self.progress_ui(ui, 320.0);
                });
            });
            return;
        }
        ui.vertical_centered(|ui| {
            ui.add_space(ui.available_height() * 0.3);
            ui.label(RichText::new("heapsight").size(28.0).strong());
            ui.label(
                RichText::new("Drop a .heapsnapshot or .heapsnapshot.gz file here, or")
                    .color(theme.weak_text),
            );
            ui.horizontal(|ui| {
                let width = 200.0; // the two buttons, measured
                ui.add_space((ui.available_width() - width).max(0.0) / 2.0);
                if ui.button("Open…").clicked() {
                    self.commands.push(Command::OpenDialog);
                }
                if ui.button("Open Demo Snapshot").clicked() {
                    self.commands.push(Command::Open(vec![Source::demo()]));
                }
            });
        });
    }
}

/// Error banners: headline, full message, dismiss button.
fn errors_ui(ui: &mut Ui, errors: &[ErrorBanner], commands: &mut super::command::CommandQueue) {
    let theme = Theme::of(ui);
    for (i, error) in errors.iter().enumerate() {
        egui::Frame::new()
            .fill(theme.error_bg)
            .inner_margin(egui::Margin::symmetric(8, 4))
            .corner_radius(4.0)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.label(RichText::new(&error.title).color(theme.error).strong());
                    ui.label(RichText::new(&error.message).color(theme.error));
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        if ui
                            .small_button("\u{00D7}")
                            .on_hover_text("Dismiss")
                            .clicked()
                        {
                            commands.push(Command::DismissError(i));
                        }
                    });
                });
            });
    }
}
