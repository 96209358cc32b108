//! Open sampling heap profiles (`.heapprofile`): loaded on a worker like snapshots, listed
//! beside them, each shown in the Allocation sampling view. They take no comparison role.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::snapshot::heapprofile::HeapProfile;

use super::document::Source;
use super::jobs::{Poll, Promise};
use super::panes::heap_profile::HeapProfilePane;

/// True for the files that open as sampling heap profiles: `.heapprofile` (and
/// `.heapprofile.gz`).
pub fn is_profile_path(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.ends_with(".heapprofile") || name.ends_with(".heapprofile.gz")
}

struct Job {
    path: PathBuf,
    promise: Promise<Result<HeapProfile, String>>,
}

/// A profile that could not be opened: the file and the message (which names it).
#[derive(Debug)]
pub struct ProfileError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    pub message: String,
}

/// The open profiles and the ones loading.
#[derive(Default)]
pub struct Profiles {
    panes: Vec<HeapProfilePane>,
    active: Option<usize>,
    jobs: Vec<Job>,
}

impl Profiles {
    /// Starts loading `path` on a worker.
    pub fn open(&mut self, ctx: &egui::Context, path: PathBuf) {
        let p = path.clone();
        let promise = Promise::spawn("heap profile", ctx, move || {
            HeapProfile::load_path(&p).map_err(|e| format!("{e:#}"))
        });
        self.jobs.push(Job { path, promise });
    }

    /// Collects finished loads: a loaded profile becomes the active one. Returns the
    /// failures, and whether a profile arrived.
    pub fn poll(&mut self) -> (Vec<ProfileError>, bool) {
        let mut errors = Vec::new();
        let mut arrived = false;
        let mut i = 0;
        while i < self.jobs.len() {
            let outcome = match self.jobs[i].promise.try_take() {
                Poll::Pending => {
                    i += 1;
                    continue;
                }
                Poll::Ready(r) => r,
                Poll::Lost => Err(format!(
                    "loading {} stopped unexpectedly",
                    self.jobs[i].path.display()
                )),
            };
            let job = self.jobs.remove(i);
            match outcome {
                Ok(profile) => {
                    let name = Source::Path(job.path).display_name();
                    self.panes
                        .push(HeapProfilePane::new(name, Arc::new(profile)));
                    self.active = Some(self.panes.len() - 1);
                    arrived = true;
                }
                Err(message) => errors.push(ProfileError {
                    path: job.path,
                    message,
                }),
            }
        }
        (errors, arrived)
    }

    /// True while a profile loads.
    pub fn is_busy(&self) -> bool {
        !self.jobs.is_empty()
    }

    /// The open profiles, in opening order.
    pub fn all(&self) -> &[HeapProfilePane] {
        &self.panes
    }

    /// The profile shown in the Allocation sampling view.
    pub fn active(&self) -> Option<&HeapProfilePane> {
        self.panes.get(self.active?)
    }

    /// The index of the profile shown.
    pub fn active_index(&self) -> Option<usize> {
        self.active
    }

    /// The profile shown, to draw or change.
    pub fn active_mut(&mut self) -> Option<&mut HeapProfilePane> {
        self.panes.get_mut(self.active?)
    }

    /// Shows profile `index`.
    pub fn set_active(&mut self, index: usize) {
        if index < self.panes.len() {
            self.active = Some(index);
        }
    }

    /// Closes profile `index`.
    pub fn close(&mut self, index: usize) {
        if index >= self.panes.len() {
            return;
        }
        self.panes.remove(index);
        self.active = match self.active {
            _ if self.panes.is_empty() => None,
            Some(a) if a > index => Some(a - 1),
            Some(a) => Some(a.min(self.panes.len() - 1)),
            None => None,
        };
    }
}
