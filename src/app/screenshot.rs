//! `--screenshot OUT.png`: render the real window once everything is loaded, save it, exit.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Frames drawn after the app went idle, so layout (column widths, scroll) settles.
const SETTLE_FRAMES: u32 = 6;

/// Longest wait for loading before the screenshot is taken anyway.
const MAX_WAIT: Duration = Duration::from_secs(110);

/// How the screenshot ended: None while pending, then Ok or an error message.
pub type ScreenshotStatus = Arc<Mutex<Option<Result<PathBuf, String>>>>;

/// Screenshot-and-exit mode.
pub struct Screenshot {
    path: PathBuf,
    idle_frames: u32,
    requested: bool,
    started: Instant,
    status: ScreenshotStatus,
}

impl Screenshot {
    /// Saves to `path` and reports through `status`.
    pub fn new(path: PathBuf, status: ScreenshotStatus) -> Self {
        Self {
            path,
            idle_frames: 0,
            requested: false,
            started: Instant::now(),
            status,
        }
    }

    /// Called at the end of every frame; `busy` while anything is still loading.
    pub fn on_frame(&mut self, ctx: &egui::Context, busy: bool) {
        // egui only repaints on input; keep frames coming until the screenshot is saved.
        ctx.request_repaint();
        if self.requested {
            return;
        }
        if busy && self.started.elapsed() < MAX_WAIT {
            self.idle_frames = 0;
            return;
        }
        if busy {
            log::warn!("still loading after {MAX_WAIT:?}; taking the screenshot anyway");
        }
        self.idle_frames += 1;
        if self.idle_frames < SETTLE_FRAMES {
            return;
        }
        self.requested = true;
        let path = self.path.clone();
        let status = Arc::clone(&self.status);
        let ctx2 = ctx.clone();
        ctx.request_screenshot(move |img: Arc<egui::ColorImage>| {
            let [w, h] = img.size;
            let bytes: Vec<u8> = img.pixels.iter().flat_map(|c| c.to_array()).collect();
            let result =
                image::save_buffer(&path, &bytes, w as u32, h as u32, image::ColorType::Rgba8)
                    .map(|()| path.clone())
                    .map_err(|e| format!("cannot save the screenshot to {}: {e}", path.display()));
            if result.is_ok() {
                log::info!("saved screenshot {w}x{h} to {}", path.display());
            }
            if let Ok(mut s) = status.lock() {
                *s = Some(result);
            }
            ctx2.send_viewport_cmd(egui::ViewportCommand::Close);
            ctx2.request_repaint();
        });
    }
}
