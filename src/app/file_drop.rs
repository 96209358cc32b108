//! Files coming in: native drag-and-drop (with a hover overlay) and the File → Open dialog.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError, sync_channel};

use egui::{Align2, FontId, Id, LayerId, Order};

use super::theme::Theme;

/// Paths of the files dropped on the window this frame.
pub fn dropped_paths(ctx: &egui::Context) -> Vec<PathBuf> {
    ctx.input(|i| {
        i.raw
            .dropped_files
            .iter()
            .map(|f| f.path().to_path_buf())
            .filter(|p| !p.as_os_str().is_empty())
            .collect()
    })
}

/// Dims the window and says what dropping will do while files are dragged over it.
pub fn hover_overlay_ui(ctx: &egui::Context, theme: &Theme) {
    let names: Vec<String> = ctx.input(|i| {
        i.raw
            .hovered_files
            .iter()
            .map(|f| {
                f.path
                    .as_ref()
                    .and_then(|p| p.file_name())
                    .map_or_else(|| "file".to_owned(), |n| n.to_string_lossy().into_owned())
            })
            .collect()
    });
    if names.is_empty() {
        return;
    }
    let painter = ctx.layer_painter(LayerId::new(
        Order::Foreground,
        Id::unique("file_drop_overlay"),
    ));
    let rect = ctx.content_rect();
    painter.rect_filled(rect, 0.0, theme.drop_overlay);
    painter.text(
        rect.center(),
        Align2::CENTER_CENTER,
        format!("Drop to open {}", names.join(", ")),
        FontId::proportional(22.0),
        theme.drop_text,
    );
    painter.rect_stroke(
        rect.shrink(8.0),
        8.0,
        egui::Stroke::new(3.0, theme.drop_text),
        egui::StrokeKind::Inside,
    );
}

/// A File → Open dialog running on its own thread (the window keeps repainting).
pub struct OpenDialog {
    rx: Receiver<Vec<PathBuf>>,
}

impl OpenDialog {
    /// Shows the native dialog (rfd: xdg-desktop-portal, or zenity as a fallback).
    pub fn spawn(ctx: &egui::Context) -> std::io::Result<Self> {
        let (tx, rx) = sync_channel(1);
        let ctx = ctx.clone();
        std::thread::Builder::new()
            .name("file-dialog".to_owned())
            .spawn(move || {
                let picked = rfd::FileDialog::new()
                    .set_title("Open heap snapshots")
                    .add_filter("Heap snapshots", &["heapsnapshot", "gz"])
                    .add_filter("All files", &["*"])
                    .pick_files()
                    .unwrap_or_default();
                tx.send(picked).ok();
                ctx.request_repaint();
            })?;
        Ok(Self { rx })
    }

    /// The picked files once the dialog closed (empty when cancelled).
    pub fn try_take(&self) -> Option<Vec<PathBuf>> {
        match self.rx.try_recv() {
            Ok(paths) => Some(paths),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Vec::new()),
        }
    }
}

/// A save dialog (File → Export) running on its own thread.
pub struct SaveDialog {
    rx: Receiver<Option<PathBuf>>,
}

impl SaveDialog {
    /// Shows the native save dialog for one file of type `filter` (`*.ext`), proposing
    /// `file_name`.
    pub fn spawn(
        ctx: &egui::Context,
        title: &str,
        file_name: &str,
        filter: &str,
        extension: &str,
    ) -> std::io::Result<Self> {
        let (tx, rx) = sync_channel(1);
        let ctx = ctx.clone();
        let (title, file_name, filter, extension) = (
            title.to_owned(),
            file_name.to_owned(),
            filter.to_owned(),
            extension.to_owned(),
        );
        std::thread::Builder::new()
            .name("save-dialog".to_owned())
            .spawn(move || {
                let picked = rfd::FileDialog::new()
                    .set_title(title)
                    .set_file_name(file_name)
                    .add_filter(filter, &[extension.as_str()])
                    .save_file()
                    .map(|p| with_extension(p, &extension));
                tx.send(picked).ok();
                ctx.request_repaint();
            })?;
        Ok(Self { rx })
    }

    /// `Some(path)` once the dialog closed with a path, `Some(None)` when cancelled.
    pub fn try_take(&self) -> Option<Option<PathBuf>> {
        match self.rx.try_recv() {
            Ok(path) => Some(path),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(None),
        }
    }
}

/// `path`, with `.extension` added when it has no extension.
pub fn with_extension(path: PathBuf, extension: &str) -> PathBuf {
    if path.extension().is_some() {
        path
    } else {
        path.with_extension(extension)
    }
}
