//! File → Save Redacted Copy: a copy of the shown snapshot that can be shared (every string's
//! text replaced by a token, captured numbers blanked, every figure unchanged; see
//! [`crate::snapshot::redact`]). The save dialog and the redaction run off the UI thread; the
//! output is complete or absent (`.part` file), and a cancel leaves nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::snapshot::{self, Progress, RedactOptions, RedactStats};

use super::file_drop::SaveDialog;
use super::jobs::{Poll, Promise};

/// How a redaction ended.
#[derive(Debug)]
pub enum Outcome {
    /// The copy was written.
    Saved {
        /// The copy.
        output: PathBuf,
        /// What was replaced.
        stats: RedactStats,
    },
    /// It failed; the message names the file.
    Failed {
        /// The copy that was not written.
        output: PathBuf,
        /// Why.
        message: String,
    },
    /// Cancelled: nothing was written.
    Cancelled,
}

struct Job {
    output: PathBuf,
    progress: Arc<Progress>,
    promise: Promise<snapshot::Result<RedactStats>>,
}

/// The save dialog and the redaction in flight, if any.
#[derive(Default)]
pub struct Redaction {
    dialog: Option<(PathBuf, SaveDialog)>,
    job: Option<Job>,
}

/// The name proposed for the copy of `input`: `app-redacted.heapsnapshot`.
pub fn proposed_name(input: &Path) -> String {
    let name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let base = name.strip_suffix(".gz").unwrap_or(&name);
    let stem = base.strip_suffix(".heapsnapshot").unwrap_or(base);
    format!("{stem}-redacted.heapsnapshot")
}

impl Redaction {
    /// Asks where to save the redacted copy of `input` (nothing if one is under way).
    pub fn ask(&mut self, ctx: &egui::Context, input: PathBuf) -> std::io::Result<()> {
        if self.is_busy() {
            return Ok(());
        }
        let dialog = SaveDialog::spawn(
            ctx,
            "Save a redacted copy",
            &proposed_name(&input),
            "Heap snapshot",
            "heapsnapshot",
        )?;
        self.dialog = Some((input, dialog));
        Ok(())
    }

    /// Redacts `input` into `output` on a worker (`.gz`: compressed).
    pub fn start(&mut self, ctx: &egui::Context, input: PathBuf, output: PathBuf) {
        let progress = Arc::new(Progress::new());
        let (p, out) = (Arc::clone(&progress), output.clone());
        let promise = Promise::spawn("redact", ctx, move || {
            snapshot::redact(&input, &out, &RedactOptions::default(), &p)
        });
        self.job = Some(Job {
            output,
            progress,
            promise,
        });
    }

    /// True while the dialog is open or the copy is written.
    pub fn is_busy(&self) -> bool {
        self.dialog.is_some() || self.job.is_some()
    }

    /// The redaction's progress and output, while it runs.
    pub fn running(&self) -> Option<(&Progress, &Path)> {
        self.job
            .as_ref()
            .map(|j| (j.progress.as_ref(), j.output.as_path()))
    }

    /// Stops the redaction (nothing is written).
    pub fn cancel(&self) {
        if let Some(job) = &self.job {
            job.progress.cancel();
        }
    }

    /// Once per frame: starts the redaction when the dialog gave a path; returns how a
    /// finished one ended.
    pub fn poll(&mut self, ctx: &egui::Context) -> Option<Outcome> {
        if let Some(picked) = self.dialog.as_ref().and_then(|(_, d)| d.try_take()) {
            let (input, _) = self.dialog.take()?;
            match picked {
                Some(output) => self.start(ctx, input, output),
                None => return None,
            }
        }
        let job = self.job.as_mut()?;
        let result = match job.promise.try_take() {
            Poll::Pending => return None,
            Poll::Ready(r) => Some(r),
            Poll::Lost => None,
        };
        let job = self.job.take()?;
        Some(match result {
            Some(Ok(stats)) => Outcome::Saved {
                output: job.output,
                stats,
            },
            Some(Err(_)) if job.progress.is_cancelled() => Outcome::Cancelled,
            Some(Err(e)) => Outcome::Failed {
                output: job.output,
                message: format!("{e:#}"),
            },
            None => Outcome::Failed {
                output: job.output,
                message: "the redaction stopped unexpectedly".to_owned(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proposed_names() {
        assert_eq!(
            proposed_name(Path::new("/x/app.heapsnapshot")),
            "app-redacted.heapsnapshot"
        );
        assert_eq!(
            proposed_name(Path::new("app.heapsnapshot.gz")),
            "app-redacted.heapsnapshot"
        );
        assert_eq!(
            proposed_name(Path::new("dump.json")),
            "dump.json-redacted.heapsnapshot"
        );
    }
}
