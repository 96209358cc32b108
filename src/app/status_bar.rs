//! The status bar: totals of the active snapshot, with exact numbers on hover.

use egui::{RichText, Ui};

use crate::format;
use crate::snapshot::heapprofile::HeapProfile;

use super::document::Document;
use super::theme::Theme;

/// Draws the status bar for a sampling heap profile shown in the Allocation sampling view.
pub fn profile_status_ui(ui: &mut Ui, name: &str, profile: &HeapProfile) {
    ui.horizontal(|ui| {
        ui.label(format!(
            "Sampled {}",
            format::bytes(profile.total_size_bytes())
        ));
        ui.separator();
        ui.label(format!(
            "{} stacks",
            format::count(profile.node_count().saturating_sub(1) as u64)
        ));
        ui.separator();
        ui.label(format!(
            "{} samples",
            format::count(profile.sample_count as u64)
        ));
        ui.separator();
        ui.label(format!("Profile: {name}"));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            theme_picker_ui(ui);
        });
    });
}

/// Draws the status bar for the active snapshot (or a hint when none is open).
pub fn status_bar_ui(ui: &mut Ui, doc: Option<&Document>, open_count: usize) {
    let theme = Theme::of(ui);
    ui.horizontal(|ui| {
        let Some(doc) = doc else {
            ui.label(
                RichText::new("No snapshot open \u{2014} drop a .heapsnapshot file here or use File \u{2192} Open")
                    .color(theme.weak_text),
            );
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                theme_picker_ui(ui);
            });
            return;
        };
        let s = &doc.snapshot;
        let total = s.total_size();
        ui.label(format!("Total {}", format::bytes(total)))
            .on_hover_text(format!("{} bytes (DevTools' total size: retained size of the root)", format::count(total)));
        ui.separator();
        ui.label(format!("{} nodes", format::count(s.node_count() as u64)))
            .on_hover_text(format!("{} objects in the heap graph", s.node_count()));
        ui.separator();
        ui.label(format!("{} edges", format::count(s.edge_count() as u64)))
            .on_hover_text(format!("{} references between objects", s.edge_count()));
        ui.separator();
        let t = s.timings();
        ui.label(format!("loaded in {:.2} s", t.total_secs())).on_hover_text(format!(
            "parsing {:.3} s, analysis {:.3} s",
            t.parse_secs, t.analyze_secs
        ));
        ui.separator();
        ui.label(RichText::new(format!("{}: {}", doc.title, doc.source.display_name())).color(theme.weak_text))
            .on_hover_text(format!(
                "{}\n{} on disk ({} bytes){}",
                doc.source
                    .path()
                    .map_or_else(|| "bundled demo snapshot".to_owned(), |p| p.display().to_string()),
                format::bytes(s.file_bytes()),
                format::count(s.file_bytes()),
                if open_count > 1 {
                    format!("\n{open_count} snapshots open")
                } else {
                    String::new()
                }
            ));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            theme_picker_ui(ui);
        });
    });
}

/// System / Light / Dark, as text (egui's own switch uses emoji the bundled fonts lack).
fn theme_picker_ui(ui: &mut Ui) {
    let current = ui.ctx().options(|o| o.theme_preference);
    // Right-to-left layout: listed last to first.
    for (preference, label, tip) in [
        (egui::ThemePreference::Dark, "Dark", "Dark theme"),
        (egui::ThemePreference::Light, "Light", "Light theme"),
        (
            egui::ThemePreference::System,
            "System",
            "Follow the system's dark or light theme",
        ),
    ] {
        if ui
            .selectable_label(current == preference, label)
            .on_hover_text(tip)
            .clicked()
        {
            ui.ctx().set_theme(preference);
        }
    }
}
