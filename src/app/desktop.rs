//! Desktop integration inside the window: the window icon and Help → About.
//!
//! The icon is `assets/icons/heapsight-256.png`, the same image `scripts/install.sh` installs
//! for the desktop entry. The About window's open flag lives in egui's memory, so it needs no
//! field in the app state.

use egui::{RichText, Ui};

use crate::version;

/// The About window's title (also its accessible label).
pub const ABOUT_TITLE: &str = "About heapsight";

/// The app icon, decoded for `ViewportBuilder::with_icon`; `None` (and a warning) if the
/// bundled PNG cannot be decoded.
pub fn window_icon() -> Option<egui::IconData> {
    let png = include_bytes!("../../assets/icons/heapsight-256.png");
    eframe::icon_data::from_png_bytes(png)
        .map_err(|err| log::warn!("the window icon could not be decoded: {err:#}"))
        .ok()
}

fn about_id() -> egui::Id {
    egui::Id::unique("heapsight_about_open")
}

/// Opens the About window (Help → About).
pub fn open_about(ctx: &egui::Context) {
    ctx.data_mut(|d| d.insert_temp(about_id(), true));
}

/// Whether the About window is open.
pub fn about_is_open(ctx: &egui::Context) -> bool {
    ctx.data(|d| d.get_temp(about_id()).unwrap_or(false))
}

/// The Help menu's entries.
pub fn help_menu_ui(ui: &mut Ui) {
    if ui.button("About heapsight").clicked() {
        open_about(ui.ctx());
    }
}

/// The About window, when open: version, commit, and the DevTools version the numbers are
/// checked against.
pub fn about_window_ui(ctx: &egui::Context) {
    let mut open = about_is_open(ctx);
    if !open {
        return;
    }
    egui::Window::new(ABOUT_TITLE)
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .show(ctx, |ui| {
            ui.heading("heapsight");
            ui.label(env!("CARGO_PKG_DESCRIPTION"));
            ui.add_space(ui.spacing().item_spacing.y * 2.0);
            egui::Grid::new("about_grid").num_columns(2).show(ui, |ui| {
                for (label, value) in version::about_lines() {
                    ui.label(RichText::new(label).weak());
                    ui.label(RichText::new(value).monospace());
                    ui.end_row();
                }
            });
            ui.add_space(ui.spacing().item_spacing.y * 2.0);
            ui.label(
                "The golden tests compare heapsight's numbers with what DevTools' heap \
                 snapshot worker computes for the same files.",
            );
        });
    if !open {
        ctx.data_mut(|d| d.remove::<bool>(about_id()));
    }
}
