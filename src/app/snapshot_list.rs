//! The snapshot list, like DevTools' profiles sidebar: every open snapshot with its name,
//! size, object count and when it was taken; click to show it, its role (baseline, target,
//! final) for the comparisons, reorder, Save as `.heapsnapshot` or `.gz`, close.

use egui::{RichText, Ui};

use crate::format;

use super::command::{Command, CommandQueue};
use super::document::{DocId, Documents};
use super::role::Role;
use super::roles::Roles;
use super::theme::{CompareTheme, Theme};

/// Draws the list. `saving` names the snapshots being saved (their row shows a spinner).
pub fn ui(
    ui: &mut Ui,
    docs: &Documents,
    roles: &Roles,
    saving: &[DocId],
    commands: &mut CommandQueue,
) {
    let theme = Theme::of(ui);
    let ct = CompareTheme::of(ui);
    ui.horizontal(|ui| {
        ui.label(RichText::new("Snapshots").strong());
        ui.label(RichText::new(format!("{}", docs.all().len())).color(theme.weak_text));
    });
    let active = docs.active().map(|d| d.id);
    let count = docs.all().len();
    egui::ScrollArea::vertical().show(ui, |ui| {
        for (i, doc) in docs.all().iter().enumerate() {
            let selected = active == Some(doc.id);
            let frame = egui::Frame::group(ui.style())
                .fill(if selected {
                    theme.selected_bg
                } else {
                    ui.visuals().faint_bg_color
                })
                .inner_margin(egui::Margin::symmetric(6, 4));
            frame.show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.horizontal(|ui| {
                    let title = ui
                        .selectable_label(selected, RichText::new(&doc.title).strong())
                        .on_hover_text("Show this snapshot; right-click for its role");
                    if title.clicked() && !selected {
                        commands.push(Command::SetActive(doc.id));
                    }
                    title.context_menu(|ui| {
                        for role in Role::ALL {
                            let label = format!("Use as {}", role.label().to_lowercase());
                            if ui.button(label).clicked() {
                                commands.push(Command::AssignRole {
                                    role,
                                    doc: Some(doc.id),
                                });
                                ui.close();
                            }
                        }
                    });
                    if let Some(role) = roles.role_of(doc.id) {
                        ui.label(RichText::new(role.label()).small().color(ct.role(role)));
                    }
                    if saving.contains(&doc.id) {
                        super::widgets::spinner(ui);
                    }
                });
                ui.label(super::widgets::shorten(&doc.source.display_name()))
                    .on_hover_text(doc.source.path().map_or_else(
                        || "bundled demo snapshot".to_owned(),
                        |p| p.display().to_string(),
                    ));
                let s = &doc.snapshot;
                ui.label(
                    RichText::new(format!(
                        "{} \u{00B7} {} objects \u{00B7} {} on disk",
                        format::bytes(s.total_size()),
                        format::count(s.node_count() as u64),
                        format::bytes(s.file_bytes())
                    ))
                    .small()
                    .color(theme.weak_text),
                );
                if let Some(taken) = doc.modified {
                    ui.label(
                        RichText::new(format!("taken {}", super::roles::format_mtime(taken)))
                            .small()
                            .color(theme.weak_text),
                    );
                }
                ui.horizontal(|ui| {
                    ui.spacing_mut().item_spacing.x = 2.0;
                    for (arrow, earlier, can) in [
                        ("\u{2191}", true, i > 0),
                        ("\u{2193}", false, i + 1 < count),
                    ] {
                        let tip = if earlier { "Move up" } else { "Move down" };
                        if ui
                            .add_enabled(can, egui::Button::new(arrow).small())
                            .on_hover_text(tip)
                            .clicked()
                        {
                            commands.push(Command::MoveSnapshot {
                                doc: doc.id,
                                earlier,
                            });
                        }
                    }
                    if ui
                        .small_button("Save as\u{2026}")
                        .on_hover_text(
                            "Save a copy as .heapsnapshot, or compressed as .heapsnapshot.gz",
                        )
                        .clicked()
                    {
                        commands.push(Command::SaveSnapshotAs(doc.id));
                    }
                    if ui.small_button("\u{00D7}").on_hover_text("Close").clicked() {
                        commands.push(Command::CloseSnapshot(doc.id));
                    }
                });
            });
        }
    });
}
