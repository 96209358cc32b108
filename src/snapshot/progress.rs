//! Progress reporting and cancellation for long-running loads.
//!
//! A [`Progress`] is shared (usually as `Arc<Progress>`) between the worker that loads and
//! analyzes a snapshot and whoever watches it (the GUI's status bar, the CLI). Everything is
//! atomics: the watcher never blocks the worker and vice versa.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

/// Shared progress state of one load: phase name, bytes read, fraction of the current phase,
/// and a cancel flag the worker checks between (and inside) phases.
#[derive(Debug, Default)]
pub struct Progress {
    cancelled: AtomicBool,
    bytes_read: AtomicU64,
    bytes_total: AtomicU64,
    /// Fraction of the current phase done, as `f64::to_bits`.
    phase_fraction_bits: AtomicU64,
    phase: Mutex<(&'static str, Option<Instant>)>,
}

impl Progress {
    /// A fresh progress tracker, not cancelled, at phase "Starting".
    pub fn new() -> Self {
        Self {
            phase: Mutex::new(("Starting", None)),
            ..Self::default()
        }
    }

    /// Asks the worker to stop as soon as it can. Safe from any thread.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    /// True once [`Progress::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// Starts a new named phase (fraction resets to 0).
    pub fn set_phase(&self, phase: &'static str) {
        if let Ok(mut p) = self.phase.lock() {
            if let (prev, Some(started)) = *p {
                log::debug!(
                    "{prev}: {:.3} s{}",
                    started.elapsed().as_secs_f64(),
                    memory_note()
                );
            }
            *p = (phase, Some(Instant::now()));
        }
        self.set_fraction(0.0);
    }

    /// The current phase name, e.g. "Reading nodes" or "Computing dominators".
    pub fn phase(&self) -> &'static str {
        self.phase.lock().map(|p| p.0).unwrap_or("")
    }

    /// Sets the fraction (0..=1) of the current phase that is done.
    pub fn set_fraction(&self, fraction: f64) {
        self.phase_fraction_bits
            .store(fraction.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
    }

    /// Fraction (0..=1) of the current phase that is done.
    pub fn fraction(&self) -> f64 {
        f64::from_bits(self.phase_fraction_bits.load(Ordering::Relaxed))
    }

    /// Records the size of the input in bytes (compressed size for `.gz`), when known.
    pub fn set_bytes_total(&self, bytes: u64) {
        self.bytes_total.store(bytes, Ordering::Relaxed);
    }

    /// Records how many input bytes have been read so far.
    pub fn set_bytes_read(&self, bytes: u64) {
        self.bytes_read.store(bytes, Ordering::Relaxed);
    }

    /// Input bytes read so far and the total (0 when unknown).
    pub fn bytes(&self) -> (u64, u64) {
        (
            self.bytes_read.load(Ordering::Relaxed),
            self.bytes_total.load(Ordering::Relaxed),
        )
    }
}

/// ", rss X MiB, peak Y MiB" of this process (Linux), for the phase logs; empty elsewhere
/// and when debug logging is off.
pub(crate) fn memory_note() -> String {
    if !log::log_enabled!(log::Level::Debug) {
        return String::new();
    }
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return String::new();
    };
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    // User plus system time of all threads so far, in clock ticks (fields 14 and 15 of
    // /proc/self/stat, after the parenthesised command name): compared with the wall time
    // it shows whether both cores were busy.
    let cpu = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
            let user: u64 = fields.next()?.parse().ok()?;
            let system: u64 = fields.next()?.parse().ok()?;
            Some(format!(", cpu {:.2} s", (user + system) as f64 / 100.0))
        });
    match (field("VmRSS:"), field("VmHWM:")) {
        (Some(rss), Some(peak)) => format!(
            ", rss {} MiB, peak {} MiB{}",
            rss / 1024,
            peak / 1024,
            cpu.unwrap_or_default()
        ),
        _ => String::new(),
    }
}
