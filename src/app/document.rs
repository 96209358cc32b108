//! The snapshots open in the window ("documents") and where they come from.
//!
//! Like DevTools' profile sidebar, the window holds a list of loaded snapshots, one of them
//! active (shown by the panes). Comparison work (baseline/target) picks others from the list.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::snapshot::{self, Progress, Snapshot};

/// The bundled demo: the `cache` leak scenario's final snapshot (a Node.js server whose
/// response cache and route statistics grow without bound).
pub const DEMO_FINAL: &[u8] = include_bytes!("../../assets/demo-final.heapsnapshot.gz");

/// The same scenario's baseline snapshot (before the leak was driven), for comparisons.
pub const DEMO_BASELINE: &[u8] = include_bytes!("../../assets/demo-baseline.heapsnapshot.gz");

/// Where a snapshot comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A file on disk.
    Path(PathBuf),
    /// Bytes compiled into the binary.
    Bundled {
        /// Shown as the file name.
        name: &'static str,
        /// The (gzip) snapshot.
        bytes: &'static [u8],
    },
}

impl Source {
    /// The bundled demo snapshot (`demo-final.heapsnapshot.gz`).
    pub fn demo() -> Self {
        Self::Bundled {
            name: "demo-final.heapsnapshot.gz",
            bytes: DEMO_FINAL,
        }
    }

    /// The bundled demo's baseline snapshot.
    pub fn demo_baseline() -> Self {
        Self::Bundled {
            name: "demo-baseline.heapsnapshot.gz",
            bytes: DEMO_BASELINE,
        }
    }

    /// The file's base name, e.g. `final.heapsnapshot.gz`.
    pub fn display_name(&self) -> String {
        match self {
            Self::Path(p) => p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
            Self::Bundled { name, .. } => (*name).to_owned(),
        }
    }

    /// The path on disk, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Self::Path(p) => Some(p),
            Self::Bundled { .. } => None,
        }
    }

    /// Loads and analyzes the snapshot (runs on a worker); a file through the persisted
    /// index of `cache` (see [`snapshot::cache`]).
    pub fn load(
        &self,
        progress: &Progress,
        cache: &snapshot::cache::CacheConfig,
    ) -> snapshot::Result<Snapshot> {
        let snapshot = match self {
            Self::Path(p) => snapshot::load_path_cached(p, cache, progress),
            Self::Bundled { bytes, .. } => {
                progress.set_bytes_total(bytes.len() as u64);
                snapshot::load_bytes(bytes, progress)
            }
        }?;
        snapshot.prepare_lookups();
        Ok(snapshot)
    }
}

/// Identifies an open snapshot for the lifetime of the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocId(pub u64);

/// One loaded snapshot.
#[derive(Debug)]
pub struct Document {
    /// Identity.
    pub id: DocId,
    /// Where it came from.
    pub source: Source,
    /// The analyzed snapshot, shared with panes and workers.
    pub snapshot: Arc<Snapshot>,
    /// DevTools-style title, `Snapshot 1`, `Snapshot 2`, … (in the order files were opened).
    pub title: String,
    /// The number in the title.
    pub number: u64,
    /// The file's modification time (when the snapshot was taken), read once when it was
    /// added; `None` for the bundled demo.
    pub modified: Option<std::time::SystemTime>,
}

/// The open snapshots and which one the panes show.
#[derive(Debug, Default)]
pub struct Documents {
    docs: Vec<Document>,
    active: Option<DocId>,
    next_id: u64,
}

impl Documents {
    /// Adds snapshot `Snapshot {number}` and makes it active; returns its id. Snapshots are
    /// kept in `number` order (loads started together may finish in any order).
    pub fn add(&mut self, source: Source, snapshot: Arc<Snapshot>, number: u64) -> DocId {
        let id = DocId(self.next_id);
        self.next_id += 1;
        let modified = source
            .path()
            .and_then(|p| std::fs::metadata(p).ok())
            .and_then(|m| m.modified().ok());
        let at = self.docs.partition_point(|d| d.number < number);
        self.docs.insert(
            at,
            Document {
                id,
                source,
                snapshot,
                title: format!("Snapshot {number}"),
                number,
                modified,
            },
        );
        self.active = Some(id);
        id
    }

    /// Removes a snapshot; the last remaining one becomes active. Returns the removed one.
    pub fn remove(&mut self, id: DocId) -> Option<Document> {
        let i = self.docs.iter().position(|d| d.id == id)?;
        let doc = self.docs.remove(i);
        if self.active == Some(id) {
            self.active = self.docs.last().map(|d| d.id);
        }
        Some(doc)
    }

    /// Makes `id` the snapshot the panes show.
    pub fn set_active(&mut self, id: DocId) {
        if self.docs.iter().any(|d| d.id == id) {
            self.active = Some(id);
        }
    }

    /// The snapshot the panes show.
    pub fn active(&self) -> Option<&Document> {
        let id = self.active?;
        self.docs.iter().find(|d| d.id == id)
    }

    /// Moves `id` one place toward the start (`earlier`) or the end of the list.
    pub fn move_by_one(&mut self, id: DocId, earlier: bool) {
        let Some(i) = self.docs.iter().position(|d| d.id == id) else {
            return;
        };
        let j = if earlier {
            i.checked_sub(1)
        } else {
            (i + 1 < self.docs.len()).then_some(i + 1)
        };
        if let Some(j) = j {
            self.docs.swap(i, j);
        }
    }

    /// All open snapshots, in the order they were opened (by number).
    pub fn all(&self) -> &[Document] {
        &self.docs
    }

    /// True when nothing is open.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }
}
