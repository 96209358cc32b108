//! Background work: snapshot loads and other O(nodes) jobs run on the rayon pool.
//!
//! A job's result arrives once through a bounded channel ([`Promise`]); progress of a load goes
//! through the atomics of [`Progress`]. Workers call `ctx.request_repaint()` when they finish,
//! so an idle window wakes up for the result. The UI thread only polls ([`Promise::try_take`]),
//! it never blocks on a worker.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError, sync_channel};
use std::time::{Duration, Instant};

use crate::snapshot::{self, Progress, Snapshot};

use super::document::Source;

/// The result of a job, delivered once.
pub struct Promise<T> {
    name: &'static str,
    rx: Receiver<T>,
}

impl<T> std::fmt::Debug for Promise<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Promise").field("name", &self.name).finish()
    }
}

/// What [`Promise::try_take`] found.
pub enum Poll<T> {
    /// Still running.
    Pending,
    /// Finished with this value.
    Ready(T),
    /// The worker died without a result (it panicked).
    Lost,
}

impl<T: Send + 'static> Promise<T> {
    /// Runs `work` on the rayon pool; `ctx` is woken up when it is done.
    pub fn spawn(
        name: &'static str,
        ctx: &egui::Context,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Self {
        let (job, rx) = Self::job(ctx, work);
        rayon::spawn(job);
        Self { name, rx }
    }

    /// `work` wrapped to send its value and wake `ctx` when done, and the receiving end.
    fn job(
        ctx: &egui::Context,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> (impl FnOnce() + Send + 'static, Receiver<T>) {
        let (tx, rx) = sync_channel(1);
        let ctx = ctx.clone();
        let job = move || {
            let value = work();
            // The receiver is gone when the UI dropped the job (e.g. a newer sort superseded
            // it); the value is simply discarded then.
            tx.send(value).ok();
            ctx.request_repaint();
        };
        (job, rx)
    }

    /// Runs `work` on a thread of its own, outside the rayon pool: for a long job that fans
    /// out on the pool itself (loading a snapshot), so that both pool workers do its parallel
    /// parts instead of one of them waiting in the job, as the CLI's main thread waits.
    pub fn spawn_thread(
        name: &'static str,
        ctx: &egui::Context,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Self {
        let (job, rx) = Self::job(ctx, work);
        let spawned = std::thread::Builder::new()
            .name(format!("heapsight {name}"))
            .spawn(job);
        if let Err(err) = spawned {
            // No thread (resource limits): the receiver sees a lost job, the banner says so.
            log::error!("cannot start a thread for {name:?}: {err}");
        }
        Self { name, rx }
    }

    /// Takes the result if it is there; never blocks.
    pub fn try_take(&mut self) -> Poll<T> {
        match self.rx.try_recv() {
            Ok(v) => Poll::Ready(v),
            Err(TryRecvError::Empty) => Poll::Pending,
            Err(TryRecvError::Disconnected) => {
                log::error!("background job {:?} died without a result", self.name);
                Poll::Lost
            }
        }
    }
}

/// Identifies one load for its progress bar and Cancel button.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LoadId(pub u64);

/// A snapshot being loaded and analyzed on a worker.
pub struct LoadJob {
    /// Identity, for cancelling.
    pub id: LoadId,
    /// What is loaded.
    pub source: Source,
    /// Phase, fraction, bytes and the cancel flag, shared with the worker.
    pub progress: Arc<Progress>,
    /// When the load started.
    pub started: Instant,
    promise: Promise<snapshot::Result<Arc<Snapshot>>>,
}

/// How a finished load ended.
// One per load, moved once: boxing the snapshot would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum LoadOutcome {
    /// Loaded and analyzed.
    Loaded {
        /// What was loaded.
        source: Source,
        /// The snapshot.
        snapshot: Arc<Snapshot>,
        /// 1 for the first load started in this window, 2 for the next, …: loads started
        /// together finish in any order, but are numbered as they were opened.
        number: u64,
    },
    /// Failed: the message names the file and the problem.
    Failed {
        /// What was loaded.
        source: Source,
        /// `{err:#}` of the failure.
        message: String,
    },
    /// Cancelled by the user.
    Cancelled {
        /// What was loaded.
        source: Source,
    },
}

/// All loads in flight.
pub struct Loads {
    jobs: Vec<LoadJob>,
    next_id: u64,
    /// Where persisted indexes are read and written (off by default).
    cache: crate::snapshot::cache::CacheConfig,
}

impl Default for Loads {
    fn default() -> Self {
        Self::new(crate::snapshot::cache::CacheConfig::disabled())
    }
}

impl Loads {
    /// No loads yet; files are opened through the persisted index of `cache`.
    pub fn new(cache: crate::snapshot::cache::CacheConfig) -> Self {
        Self {
            jobs: Vec::new(),
            next_id: 0,
            cache,
        }
    }

    /// The number of a snapshot that arrives loaded (a live capture): numbered as the next
    /// load would be.
    pub fn next_number(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Starts loading `source` on a worker.
    pub fn start(&mut self, ctx: &egui::Context, source: Source) -> LoadId {
        let id = LoadId(self.next_id);
        self.next_id += 1;
        let progress = Arc::new(Progress::new());
        let worker_progress = Arc::clone(&progress);
        let worker_source = source.clone();
        let cache = self.cache.clone();
        let promise = Promise::spawn_thread("load snapshot", ctx, move || {
            let snapshot = Arc::new(worker_source.load(&worker_progress, &cache)?);
            // After a fresh load of a file, its index is written on a thread of its own
            // while the window already shows the snapshot (never after an index reopen).
            drop(crate::snapshot::cache::store_in_background(
                &cache,
                Arc::clone(&snapshot),
            ));
            Ok(snapshot)
        });
        log::info!("loading {}", source.display_name());
        self.jobs.push(LoadJob {
            id,
            source,
            progress,
            started: Instant::now(),
            promise,
        });
        id
    }

    /// Asks a load to stop; its outcome arrives as [`LoadOutcome::Cancelled`].
    pub fn cancel(&self, id: LoadId) {
        if let Some(job) = self.jobs.iter().find(|j| j.id == id) {
            job.progress.cancel();
        }
    }

    /// Cancels every load (used on exit).
    pub fn cancel_all(&self) {
        for job in &self.jobs {
            job.progress.cancel();
        }
    }

    /// The loads still running, oldest first.
    pub fn running(&self) -> &[LoadJob] {
        &self.jobs
    }

    /// True while any load runs.
    pub fn is_busy(&self) -> bool {
        !self.jobs.is_empty()
    }

    /// Collects the loads that finished since the last call.
    pub fn poll(&mut self) -> Vec<LoadOutcome> {
        let mut done = Vec::new();
        let mut i = 0;
        while i < self.jobs.len() {
            let result = match self.jobs[i].promise.try_take() {
                Poll::Pending => {
                    i += 1;
                    continue;
                }
                Poll::Ready(r) => Some(r),
                Poll::Lost => None,
            };
            let job = self.jobs.remove(i);
            let elapsed = job.started.elapsed();
            done.push(match result {
                Some(Ok(snapshot)) => {
                    log::info!(
                        "loaded {}: {} nodes, {} edges in {:.2} s",
                        job.source.display_name(),
                        snapshot.node_count(),
                        snapshot.edge_count(),
                        elapsed.as_secs_f64()
                    );
                    LoadOutcome::Loaded {
                        source: job.source,
                        snapshot,
                        number: job.id.0 + 1,
                    }
                }
                Some(Err(err)) if err.is_cancelled() => {
                    LoadOutcome::Cancelled { source: job.source }
                }
                Some(Err(err)) => LoadOutcome::Failed {
                    message: format!("{err:#}"),
                    source: job.source,
                },
                None => LoadOutcome::Failed {
                    message: format!(
                        "the loader crashed while reading {}",
                        job.source.display_name()
                    ),
                    source: job.source,
                },
            });
        }
        done
    }
}

/// Overall progress of a load, 0..=1, from its phase, phase fraction and bytes read.
///
/// Reading the file dominates; the analysis phases share the last 40 %.
pub fn overall_fraction(progress: &Progress) -> f32 {
    const READ_SHARE: f64 = 0.6;
    const ANALYSIS_PHASES: [&str; 8] = [
        "Checking the graph",
        "Building retainers",
        "Propagating DOM state",
        "Calculating node flags",
        "Calculating dominators, distances and names",
        "Calculating retained sizes",
        "Building class aggregates",
        "Calculating statistics",
    ];
    let phase = progress.phase();
    let fraction = progress.fraction();
    let value = if let Some(i) = ANALYSIS_PHASES.iter().position(|p| *p == phase) {
        READ_SHARE + (1.0 - READ_SHARE) * (i as f64 + fraction) / ANALYSIS_PHASES.len() as f64
    } else {
        let (read, total) = progress.bytes();
        if total > 0 {
            READ_SHARE * read as f64 / total as f64
        } else {
            READ_SHARE * fraction
        }
    };
    value.clamp(0.0, 1.0) as f32
}

/// Drops a big value on a worker so freeing a large snapshot never stalls a frame.
pub fn drop_in_background<T: Send + 'static>(value: T) {
    rayon::spawn(move || drop(value));
}

/// How often the UI repaints while a job runs, to move progress bars.
pub const PROGRESS_REPAINT: Duration = Duration::from_millis(100);
