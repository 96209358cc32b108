//! Memory of a live target, sampled: V8's heap, and for Node the process's memory.

use std::ops::ControlFlow;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Value, json};

use super::error::{Error, Result};
use super::{RuntimeKind, Session};
use crate::snapshot::Progress;

/// One measurement. Node targets fill every field (`process.memoryUsage()`); pages only
/// the heap (`Runtime.getHeapUsage`). JSON names are Node's (`heapUsed`, …).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemorySample {
    /// When it was taken, milliseconds since the Unix epoch.
    pub time_ms: u64,
    /// Bytes of live JS objects (`heapUsed`; a page's `usedSize`).
    #[serde(rename = "heapUsed")]
    pub heap_used_bytes: u64,
    /// Bytes V8 reserved for its heap (`heapTotal`; a page's `totalSize`).
    #[serde(rename = "heapTotal")]
    pub heap_total_bytes: u64,
    /// Bytes of C++ objects bound to JS objects (`external`), Node only.
    #[serde(rename = "external")]
    pub external_bytes: Option<u64>,
    /// Bytes of `ArrayBuffer`s and `SharedArrayBuffer`s (`arrayBuffers`), Node only.
    #[serde(rename = "arrayBuffers")]
    pub array_buffers_bytes: Option<u64>,
    /// Resident set size of the process (`rss`), Node only.
    #[serde(rename = "rss")]
    pub rss_bytes: Option<u64>,
}

impl Session {
    /// Measures the target's memory now.
    pub fn memory_sample(&mut self) -> Result<MemorySample> {
        let time_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let bad = |reason: &str| Error::BadReply {
            what: "the memory usage".to_owned(),
            reason: reason.to_owned(),
        };
        match self.runtime() {
            RuntimeKind::Node => {
                let text = self.evaluate("JSON.stringify(process.memoryUsage())")?;
                let usage: Value = text
                    .as_str()
                    .and_then(|t| serde_json::from_str(t).ok())
                    .ok_or_else(|| bad("process.memoryUsage() is not JSON"))?;
                let field = |name: &str| usage.get(name).and_then(Value::as_u64);
                Ok(MemorySample {
                    time_ms,
                    heap_used_bytes: field("heapUsed").ok_or_else(|| bad("no heapUsed"))?,
                    heap_total_bytes: field("heapTotal").ok_or_else(|| bad("no heapTotal"))?,
                    external_bytes: field("external"),
                    array_buffers_bytes: field("arrayBuffers"),
                    rss_bytes: field("rss"),
                })
            }
            RuntimeKind::Page => {
                let usage = self.call("Runtime.getHeapUsage", json!({}))?;
                let field = |name: &str| {
                    usage
                        .get(name)
                        .and_then(Value::as_f64)
                        .map(|v| v as u64)
                        .ok_or_else(|| bad(name))
                };
                Ok(MemorySample {
                    time_ms,
                    heap_used_bytes: field("usedSize")?,
                    heap_total_bytes: field("totalSize")?,
                    ..MemorySample::default()
                })
            }
        }
    }
}

/// Samples memory every `interval` and hands each sample to `on_sample` until it returns
/// `Break`, or `progress` is cancelled (both end with `Ok`), or the target fails.
pub fn watch_memory(
    session: &mut Session,
    interval: Duration,
    progress: &Progress,
    on_sample: &mut dyn FnMut(&MemorySample) -> ControlFlow<()>,
) -> Result<()> {
    progress.set_phase("Watching memory");
    let mut next = Instant::now();
    loop {
        if progress.is_cancelled() {
            return Ok(());
        }
        let sample = session.memory_sample()?;
        if on_sample(&sample).is_break() {
            return Ok(());
        }
        next += interval;
        // Sleep in short steps so a cancel is noticed quickly.
        while let Some(left) = next.checked_duration_since(Instant::now()) {
            if progress.is_cancelled() {
                return Ok(());
            }
            std::thread::sleep(left.min(Duration::from_millis(50)));
        }
    }
}
