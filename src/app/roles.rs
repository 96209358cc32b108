//! Comparison roles: which open snapshot is the baseline, the target and (optionally) the
//! final snapshot of the three-snapshot method.
//!
//! A file opened without a role fills the first free slot (baseline, then target, then
//! final), so `heapsight BASE TARGET FINAL` and dropping two files both do the obvious thing.
//! A slot is claimed when the load *starts*, so parallel loads that finish in any order still
//! land in the slot they were meant for. Each slot can be replaced by dropping a file on it,
//! with its own Open… button, or by picking another open snapshot.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use egui::{RichText, Ui};

use crate::format;

use super::command::{Command, CommandQueue};
use super::document::{DocId, Document, Documents, Source};
use super::file_drop::OpenDialog;
use super::jobs::{self, Loads};
use super::role::Role;
use super::theme::{self, CompareTheme, Theme};

/// One slot: the snapshot in it, a load on its way, or the last load's error.
#[derive(Debug, Default)]
struct Slot {
    doc: Option<DocId>,
    pending: Option<Source>,
    failed: Option<String>,
    rect: Option<egui::Rect>,
}

/// The three slots.
#[derive(Default)]
pub struct Roles {
    slots: [Slot; 3],
    dialog: Option<(Role, OpenDialog)>,
    generation: u64,
}

impl Roles {
    /// The snapshot in `role`'s slot.
    pub fn doc(&self, role: Role) -> Option<DocId> {
        self.slots[role.index()].doc
    }

    /// The role of an open snapshot, if it has one.
    pub fn role_of(&self, doc: DocId) -> Option<Role> {
        Role::ALL.into_iter().find(|r| self.doc(*r) == Some(doc))
    }

    /// True while a slot waits for its load.
    pub fn is_pending(&self, role: Role) -> bool {
        self.slots[role.index()].pending.is_some()
    }

    /// The error of the slot's last failed load.
    pub fn failure(&self, role: Role) -> Option<&str> {
        self.slots[role.index()].failed.as_deref()
    }

    /// Bumped whenever a slot changes.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// A load of `source` starts without a role: it claims the first free slot (None when
    /// all three are taken; the snapshot then just opens).
    pub fn claim(&mut self, source: &Source) -> Option<Role> {
        let role = Role::ALL.into_iter().find(|r| {
            let s = &self.slots[r.index()];
            s.doc.is_none() && s.pending.is_none()
        })?;
        self.expect(role, source.clone());
        Some(role)
    }

    /// A load of `source` starts for `role`; the slot keeps its snapshot until it arrives.
    pub fn expect(&mut self, role: Role, source: Source) {
        let slot = &mut self.slots[role.index()];
        slot.pending = Some(source);
        slot.failed = None;
        self.generation += 1;
    }

    /// A snapshot finished loading; returns the slot it was meant for.
    pub fn on_loaded(&mut self, source: &Source, doc: DocId) -> Option<Role> {
        let role = Role::ALL
            .into_iter()
            .find(|r| self.slots[r.index()].pending.as_ref() == Some(source))?;
        let slot = &mut self.slots[role.index()];
        slot.pending = None;
        slot.doc = Some(doc);
        self.generation += 1;
        Some(role)
    }

    /// A load failed (`Some(message)`) or was cancelled: its slot keeps what it had.
    pub fn on_load_ended(&mut self, source: &Source, failure: Option<String>) {
        if let Some(slot) = self
            .slots
            .iter_mut()
            .find(|s| s.pending.as_ref() == Some(source))
        {
            slot.pending = None;
            slot.failed = failure;
            self.generation += 1;
        }
    }

    /// Puts an open snapshot (or nothing) in `role`'s slot.
    pub fn assign(&mut self, role: Role, doc: Option<DocId>) {
        let slot = &mut self.slots[role.index()];
        slot.doc = doc;
        slot.pending = None;
        slot.failed = None;
        self.generation += 1;
    }

    /// An open snapshot was closed: its slot empties.
    pub fn on_closed(&mut self, doc: DocId) {
        for slot in &mut self.slots {
            if slot.doc == Some(doc) {
                slot.doc = None;
                self.generation += 1;
            }
        }
    }

    /// True when two or more slots are in use (the header is worth its space).
    pub fn in_use(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| s.doc.is_some() || s.pending.is_some() || s.failed.is_some())
            .count()
    }

    /// The command for files dropped on the window: onto a slot's header replaces that
    /// slot; anywhere else the files open and fill the free slots.
    pub fn drop_command(&self, ctx: &egui::Context, paths: Vec<PathBuf>) -> Command {
        let pointer = ctx.input(|i| i.pointer.latest_pos());
        let on_slot = pointer.and_then(|p| {
            Role::ALL.into_iter().find(|r| {
                self.slots[r.index()]
                    .rect
                    .is_some_and(|rect| rect.contains(p))
            })
        });
        match (on_slot, paths.as_slice()) {
            (Some(role), [path]) => Command::OpenAs {
                role,
                source: Source::Path(path.clone()),
            },
            _ => Command::Open(paths.into_iter().map(Source::Path).collect()),
        }
    }

    /// Collects a slot's Open… dialog result.
    pub fn poll(&mut self, commands: &mut CommandQueue) {
        let Some(paths) = self.dialog.as_ref().and_then(|(_, d)| d.try_take()) else {
            return;
        };
        if let Some((role, _)) = self.dialog.take()
            && let Some(path) = paths.into_iter().next()
        {
            commands.push(Command::OpenAs {
                role,
                source: Source::Path(path),
            });
        }
    }

    /// The window title: the roles and their files.
    pub fn title(&self, docs: &Documents) -> String {
        let names: Vec<String> = Role::ALL
            .into_iter()
            .filter_map(|r| {
                let doc = find(docs, self.doc(r)?)?;
                Some(format!("{}: {}", r.label(), doc.source.display_name()))
            })
            .collect();
        if names.len() < 2 {
            return "heapsight".to_owned();
        }
        format!("heapsight \u{2014} {}", names.join(" \u{2192} "))
    }

    /// The slot header: one box per role with file, size, modification time, load
    /// progress, a picker among the open snapshots and Open….
    pub fn header_ui(
        &mut self,
        ui: &mut Ui,
        docs: &Documents,
        loads: &Loads,
        commands: &mut CommandQueue,
    ) {
        let theme = Theme::of(ui);
        let hovering_files = ui.ctx().input(|i| !i.raw.hovered_files.is_empty());
        let pointer = ui.ctx().input(|i| i.pointer.latest_pos());
        ui.horizontal(|ui| {
            let width = ((ui.available_width() - 2.0 * ui.spacing().item_spacing.x) / 3.0)
                .max(theme::SLOT_MIN_WIDTH);
            for role in Role::ALL {
                let hot = hovering_files
                    && self.slots[role.index()]
                        .rect
                        .zip(pointer)
                        .is_some_and(|(r, p)| r.contains(p));
                let frame = egui::Frame::group(ui.style())
                    .fill(if hot {
                        theme.selected_bg
                    } else {
                        ui.visuals().faint_bg_color
                    })
                    .inner_margin(egui::Margin::symmetric(6, 3));
                let response = frame.show(ui, |ui| {
                    ui.set_width(width - 14.0);
                    ui.set_height(theme::SLOT_HEIGHT);
                    self.slot_ui(ui, role, docs, loads, commands, &theme);
                });
                self.slots[role.index()].rect = Some(response.response.rect);
            }
        });
    }

    fn slot_ui(
        &mut self,
        ui: &mut Ui,
        role: Role,
        docs: &Documents,
        loads: &Loads,
        commands: &mut CommandQueue,
        theme: &Theme,
    ) {
        let slot = &self.slots[role.index()];
        let doc = slot.doc.and_then(|d| find(docs, d));
        let ct = CompareTheme::of(ui);
        ui.vertical(|ui| {
            ui.horizontal(|ui| {
                ui.label(RichText::new(role.label()).strong().color(ct.role(role)));
                if let Some(doc) = doc {
                    ui.label(RichText::new(doc.source.display_name()).strong())
                        .on_hover_text(doc.source.path().map_or_else(
                            || "bundled demo snapshot".to_owned(),
                            |p| p.display().to_string(),
                        ));
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if ui
                        .small_button("Open\u{2026}")
                        .on_hover_text(format!(
                            "Open a snapshot as the {} (or drop a file on this box)",
                            role.label().to_lowercase()
                        ))
                        .clicked()
                        && self.dialog.is_none()
                    {
                        match OpenDialog::spawn(ui.ctx()) {
                            Ok(d) => self.dialog = Some((role, d)),
                            Err(err) => log::warn!("cannot show the Open dialog: {err:#}"),
                        }
                    }
                    self.picker_ui(ui, role, docs, commands);
                });
            });
            let slot = &self.slots[role.index()];
            if let Some(source) = &slot.pending {
                ui.horizontal(|ui| {
                    crate::app::widgets::spinner(ui);
                    let job = loads.running().iter().find(|j| j.source == *source);
                    let fraction = job.map_or(0.0, |j| jobs::overall_fraction(&j.progress));
                    ui.add(
                        egui::ProgressBar::new(fraction)
                            .desired_width(ui.available_width().min(220.0))
                            .fill(theme.progress)
                            .text(format!("Loading {}", source.display_name())),
                    );
                });
            } else if let Some(err) = &slot.failed {
                ui.label(RichText::new(format!("Failed: {err}")).color(theme.error))
                    .on_hover_text(err);
            } else if let Some(doc) = doc {
                let s = &doc.snapshot;
                let modified = doc
                    .modified
                    .map_or_else(|| "bundled".to_owned(), format_mtime);
                ui.label(
                    RichText::new(format!(
                        "{} \u{00B7} {} on disk \u{00B7} {} \u{00B7} {} nodes",
                        doc.title,
                        format::bytes(s.file_bytes()),
                        modified,
                        format::count(s.node_count() as u64)
                    ))
                    .color(theme.weak_text),
                );
            } else {
                let hint = match role {
                    Role::Final => "optional: drop a third snapshot here for leak candidates",
                    _ => "drop a snapshot here",
                };
                ui.label(RichText::new(hint).color(theme.weak_text));
            }
        });
    }

    fn picker_ui(&self, ui: &mut Ui, role: Role, docs: &Documents, commands: &mut CommandQueue) {
        let current = self.doc(role);
        egui::ComboBox::from_id_salt(("role_picker", role.index()))
            .selected_text("Use\u{2026}")
            .width(44.0)
            .show_ui(ui, |ui| {
                for doc in docs.all() {
                    let text = format!("{} \u{2014} {}", doc.title, doc.source.display_name());
                    if ui.selectable_label(current == Some(doc.id), text).clicked() {
                        commands.push(Command::AssignRole {
                            role,
                            doc: Some(doc.id),
                        });
                    }
                }
                if ui.selectable_label(current.is_none(), "(none)").clicked() {
                    commands.push(Command::AssignRole { role, doc: None });
                }
            })
            .response
            .on_hover_text(format!(
                "Use another open snapshot as the {}",
                role.label().to_lowercase()
            ));
    }
}

/// The open snapshot `id`.
pub fn find(docs: &Documents, id: DocId) -> Option<&Document> {
    docs.all().iter().find(|d| d.id == id)
}

/// `2026-11-27 11:50 UTC`.
pub fn format_mtime(t: SystemTime) -> String {
    let Ok(since) = t.duration_since(UNIX_EPOCH) else {
        return "unknown time".to_owned();
    };
    let secs = since.as_secs() as i64;
    let (y, m, d) = crate::format::civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mtime_is_formatted_in_utc() {
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_795_700_000);
        assert_eq!(format_mtime(t), "2026-11-26 13:33 UTC");
        assert_eq!(format_mtime(UNIX_EPOCH), "1970-01-01 00:00 UTC");
    }

    #[test]
    fn opens_fill_free_slots_in_order() {
        let mut roles = Roles::default();
        let a = Source::Path("a".into());
        let b = Source::Path("b".into());
        assert_eq!(roles.claim(&a), Some(Role::Baseline));
        assert_eq!(roles.claim(&b), Some(Role::Target));
        // b finishes first and still lands in the target slot.
        assert_eq!(roles.on_loaded(&b, DocId(7)), Some(Role::Target));
        assert_eq!(roles.on_loaded(&a, DocId(8)), Some(Role::Baseline));
        roles.on_closed(DocId(8));
        assert_eq!(roles.doc(Role::Baseline), None);
        assert_eq!(roles.doc(Role::Target), Some(DocId(7)));
    }
}
