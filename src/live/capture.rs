//! Taking a heap snapshot into a file: presets, the `.part` file, gzip, the memory check.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{Value, json};

use super::error::{Error, Result};
use super::pipe::Tee;
use super::{MemorySample, Session, StreamStats};
use crate::atomic_file;
use crate::format;
use crate::snapshot::Progress;

/// The options a snapshot is taken with; they change the graph, so the app shows which.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Preset {
    /// What DevTools' Memory panel sends: `exposeInternals` and `captureNumericValue`. The
    /// root has no `shortcut` edge to the global; numbers are `smi number` nodes. Gives
    /// DevTools' numbers for the same moment.
    #[default]
    DevTools,
    /// The protocol's defaults, as `v8.writeHeapSnapshot()` writes: globals are roots
    /// (`shortcut` edges from the root), no internals, no numeric values.
    Node,
}

impl Preset {
    /// Both presets.
    pub const ALL: [Self; 2] = [Self::DevTools, Self::Node];

    /// `devtools` or `node`.
    pub fn name(self) -> &'static str {
        match self {
            Self::DevTools => "devtools",
            Self::Node => "node",
        }
    }

    /// Parses [`Preset::name`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == text)
    }

    /// The parameters of `takeHeapSnapshot`/`stopTrackingHeapObjects`.
    pub fn params(self) -> Value {
        match self {
            Self::DevTools => json!({
                "reportProgress": true,
                "captureNumericValue": true,
                "exposeInternals": true,
            }),
            Self::Node => json!({ "reportProgress": true }),
        }
    }
}

/// How to capture.
#[derive(Clone, Copy, Debug, Default)]
pub struct CaptureOptions {
    /// The snapshot options.
    pub preset: Preset,
    /// Run `HeapProfiler.collectGarbage` first.
    pub collect_garbage: bool,
    /// Allocation tracking is on (`Session::start_tracking`): end it with
    /// `HeapProfiler.stopTrackingHeapObjects`, whose snapshot carries the allocation stacks.
    pub stop_tracking: bool,
}

/// What a capture wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct CaptureReport {
    /// The file written.
    pub path: PathBuf,
    /// The preset used.
    pub preset: Preset,
    /// The snapshot's JSON size, chunk count and object count.
    pub stream: StreamStats,
    /// The file's size (smaller than `stream.bytes` for `.gz`).
    pub file_bytes: u64,
    /// Time from the first command to the file being complete.
    pub duration_secs: f64,
}

/// Takes a snapshot and writes it to `path`, gzip-compressed (fast level) when the name
/// ends in `.gz`. The data goes to `<path>.part`, renamed to `path` when complete; on an
/// error or [`Progress::cancel`] the `.part` file is removed and `path` is left as it was.
///
/// To load the result, call [`crate::snapshot::load_path`] on [`CaptureReport::path`].
pub fn capture_to_path(
    session: &mut Session,
    path: &Path,
    options: &CaptureOptions,
    progress: &Progress,
) -> Result<CaptureReport> {
    capture_to_path_and(session, path, options, progress, None)
}

/// [`capture_to_path`], also writing the snapshot's JSON (uncompressed) to `also` as it
/// arrives: a [`super::pipe::PipeWriter`] feeds the loader, so the snapshot opens the moment
/// the capture ends. `also` sees every byte of a capture that succeeds; the caller decides
/// what a failed one means for it (a pipe writer dropped unfinished fails its reader).
pub fn capture_to_path_and(
    session: &mut Session,
    path: &Path,
    options: &CaptureOptions,
    progress: &Progress,
    mut also: Option<&mut dyn Write>,
) -> Result<CaptureReport> {
    let started = Instant::now();
    if options.collect_garbage {
        progress.set_phase("Collecting garbage");
        session.collect_garbage()?;
    }
    if progress.is_cancelled() {
        return Err(Error::Cancelled);
    }
    let gzip = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    let io_error = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let stream = atomic_file::write_via_part_with(
        path,
        |file| {
            if gzip {
                let mut encoder = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
                let mut tee = Tee {
                    first: &mut encoder,
                    second: also.take(),
                };
                let stats = stream(session, options, &mut tee, progress)?;
                encoder
                    .finish()
                    .map_err(io_error)?
                    .flush()
                    .map_err(io_error)?;
                Ok(stats)
            } else {
                let mut tee = Tee {
                    first: file,
                    second: also.take(),
                };
                stream(session, options, &mut tee, progress)
            }
        },
        io_error,
    )
    .map_err(|e| match e {
        Error::Sink(source) => io_error(source),
        other => other,
    })?;
    let file_bytes = std::fs::metadata(path).map_err(io_error)?.len();
    Ok(CaptureReport {
        path: path.to_path_buf(),
        preset: options.preset,
        stream,
        file_bytes,
        duration_secs: started.elapsed().as_secs_f64(),
    })
}

/// Streams the snapshot `options` ask for into `sink`.
fn stream(
    session: &mut Session,
    options: &CaptureOptions,
    sink: &mut dyn Write,
    progress: &Progress,
) -> Result<StreamStats> {
    if options.stop_tracking {
        session.stop_tracking(options.preset, sink, progress)
    } else {
        session.take_heap_snapshot(options.preset, sink, progress)
    }
}

/// `MemAvailable` of `/proc/meminfo`, in bytes (Linux; `None` elsewhere).
pub fn mem_available_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// A warning when the target's heap is large against the memory this machine has left:
/// taking a snapshot can make the target use about as much again as its heap.
pub fn memory_warning(sample: &MemorySample, available_bytes: Option<u64>) -> Option<String> {
    let available = available_bytes?;
    let heap = sample.heap_total_bytes.max(sample.heap_used_bytes);
    (heap.saturating_mul(2) > available).then(|| {
        format!(
            "warning: the target's JS heap is {} and this machine has {} available; taking a snapshot can about double the target's memory, so the system may swap or end a process",
            format::bytes(heap),
            format::bytes(available)
        )
    })
}

/// Measures the target and returns [`memory_warning`]'s warning, for a target on this
/// machine (a remote target's memory is not this machine's). Measuring errors are ignored:
/// the capture itself will report a broken connection.
pub fn check_memory(session: &mut Session) -> Option<String> {
    if !session.target().address.ip().is_loopback() {
        return None;
    }
    let sample = session.memory_sample().ok()?;
    memory_warning(&sample, mem_available_bytes())
}

/// Writes `value` as JSON to `path` through a `.part` file (a `.heapprofile`).
pub fn write_json(path: &Path, value: &Value) -> Result<()> {
    let io_error = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    atomic_file::write_via_part_with(
        path,
        |w| serde_json::to_writer(w, value).map_err(|e| io_error(e.into())),
        io_error,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets() {
        for p in Preset::ALL {
            assert_eq!(Preset::parse(p.name()), Some(p));
        }
        assert_eq!(Preset::parse("chrome"), None);
        assert_eq!(Preset::DevTools.params()["exposeInternals"], true);
        assert!(Preset::Node.params().get("exposeInternals").is_none());
    }

    #[test]
    fn warning_when_heap_is_large() {
        let sample = MemorySample {
            heap_used_bytes: 600 << 20,
            heap_total_bytes: 700 << 20,
            ..MemorySample::default()
        };
        assert!(memory_warning(&sample, Some(1 << 30)).is_some());
        assert!(memory_warning(&sample, Some(8 << 30)).is_none());
        assert!(memory_warning(&sample, None).is_none());
    }
}
