//! `--screenshot OUT.png`: render the real window once everything is loaded, save it, exit.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Frames drawn after the app went idle, so layout (column widths, scroll) settles.
const SETTLE_FRAMES: u32 = 3;

/// Longest wait for loading before the screenshot is taken anyway.
const MAX_WAIT: Duration = Duration::from_secs(110);

/// How the screenshot ended: None while pending, then Ok or an error message.
pub type ScreenshotStatus = Arc<Mutex<Option<Result<PathBuf, String>>>>;

/// Screenshot-and-exit mode.
///
/// With `HEAPSIGHT_SCREENSHOT_DURING_LOAD=SECS` in the environment the picture is taken
/// while loading, once a load has run that long (to show the progress bar).
pub struct Screenshot {
    path: PathBuf,
    during_load_after: Option<Duration>,
    idle_frames: u32,
    requested: bool,
    started: Instant,
    status: ScreenshotStatus,
}

impl Screenshot {
    /// Saves to `path` and reports through `status`.
    pub fn new(path: PathBuf, status: ScreenshotStatus) -> Self {
        let during_load_after = std::env::var("HEAPSIGHT_SCREENSHOT_DURING_LOAD")
            .ok()
            .and_then(|v| v.parse::<f64>().ok())
            .map(Duration::from_secs_f64);
        Self {
            path,
            during_load_after,
            idle_frames: 0,
            requested: false,
            started: Instant::now(),
            status,
        }
    }

    /// Called at the end of every frame; `busy` while anything is still loading.
    pub fn on_frame(&mut self, ctx: &egui::Context, busy: bool) {
        // egui only repaints on input; keep frames coming until the screenshot is saved, but
        // while a load runs only as often as its progress moves (frames cost the load CPU).
        if busy && self.during_load_after.is_none() {
            ctx.request_repaint_after(super::jobs::PROGRESS_REPAINT);
        } else {
            ctx.request_repaint();
        }
        if self.requested {
            return;
        }
        let capture_loading = self
            .during_load_after
            .is_some_and(|after| busy && self.started.elapsed() >= after);
        if busy && !capture_loading && self.started.elapsed() < MAX_WAIT {
            self.idle_frames = 0;
            return;
        }
        if busy && !capture_loading {
            log::warn!("still loading after {MAX_WAIT:?}; taking the screenshot anyway");
        }
        self.idle_frames += 1;
        if self.idle_frames < SETTLE_FRAMES && !capture_loading {
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
