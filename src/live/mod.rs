//! Live capture: attach to a running Node.js process or Chrome page through the inspector
//! protocol (CDP), take heap snapshots, sample memory, record allocation profiles.
//!
//! GUI-free and command-line-free: `cli.rs` and the app call the same functions. Everything
//! is blocking, on a plain `TcpStream` with short read timeouts, so a caller runs it on a
//! worker thread and watches a shared [`Progress`] (phase, fraction, bytes received), whose
//! [`Progress::cancel`] stops a capture within [`cdp::POLL`].
//!
//! - [`attach`]: an inspector address (`HOST:PORT`, targets from `/json/list`) or a PID
//!   (Linux; the inspector is opened with SIGUSR1) → a [`Session`].
//! - [`Session::take_heap_snapshot`] streams the snapshot into any `Write`;
//!   [`capture::capture_to_path`] writes it to a file (through `.part`, gzip for `.gz`).
//! - [`Session::memory_sample`] and [`watch::watch_memory`]: heap and process memory.
//! - Allocation sampling ([`Session::start_sampling`]) and tracking
//!   ([`Session::start_tracking`]).

pub mod capture;
pub mod cdp;
pub mod error;
pub mod pipe;
pub mod target;
pub mod watch;

use std::io::Write;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub use capture::{CaptureOptions, CaptureReport, Preset, capture_to_path};
pub use error::{Error, Result};
pub use target::{RuntimeKind, Target};
pub use watch::{MemorySample, watch_memory};

use crate::snapshot::Progress;
use cdp::{Connection, Incoming};

/// What to attach to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttachTo {
    /// An inspector address, `HOST:PORT` (Node's `--inspect`, Chrome's
    /// `--remote-debugging-port`).
    Address(String),
    /// A Node process by PID (Linux): its inspector is opened with SIGUSR1 if needed.
    Pid(u32),
}

/// How to attach.
#[derive(Clone, Debug)]
pub struct AttachOptions {
    /// Allow a non-loopback inspector address (the protocol has no authentication).
    pub allow_remote: bool,
    /// The target to pick from `/json/list`: an id, or part of a title or URL. `None`: the
    /// first Node target, else the first page.
    pub target: Option<String>,
    /// Time allowed for connecting, for the inspector to open after SIGUSR1, and for simple
    /// commands to answer.
    pub timeout: Duration,
    /// Longest silence allowed while a snapshot is being taken (a big heap can take a while
    /// between progress events).
    pub stall_timeout: Duration,
}

impl Default for AttachOptions {
    fn default() -> Self {
        Self {
            allow_remote: false,
            target: None,
            timeout: Duration::from_secs(5),
            stall_timeout: Duration::from_secs(120),
        }
    }
}

/// Attaches to a target. Facts the user should know (a remote address, an inspector opened
/// by heapsight, several targets to choose from) go to `notes`.
pub fn attach(
    to: &AttachTo,
    options: &AttachOptions,
    notes: &mut dyn FnMut(String),
) -> Result<Session> {
    match to {
        AttachTo::Address(text) => {
            let address = target::resolve_address(text, options.allow_remote)?;
            if !address.ip().is_loopback() {
                notes(format!(
                    "warning: attaching to {address}, which is not this machine: the inspector protocol is unauthenticated and unencrypted"
                ));
            }
            let targets = target::list_targets(address, options.timeout)?;
            let chosen = target::choose_target(address, &targets, options.target.as_deref())?;
            if options.target.is_none() {
                let others = targets
                    .iter()
                    .filter(|t| t.target_type == chosen.target_type)
                    .count();
                if others > 1 {
                    notes(format!(
                        "{address} lists {others} {} targets; using {} (choose another with its id, title or URL)",
                        chosen.target_type,
                        chosen.describe()
                    ));
                }
            }
            Session::connect(chosen, options)
        }
        AttachTo::Pid(pid) => {
            let found = target::inspector_of_pid(*pid, options.timeout)?;
            if found.activated {
                notes(format!(
                    "opened the inspector of PID {pid} with SIGUSR1 on {}; it stays open until the process exits",
                    found.address
                ));
            }
            let targets = list_targets_retrying(found.address, options.timeout)?;
            let chosen = target::choose_target(found.address, &targets, options.target.as_deref())?;
            let mut session = Session::connect(chosen, options)?;
            if let Some(actual) = session.process_pid()?
                && actual != *pid
            {
                return Err(Error::PortInUse {
                    pid: *pid,
                    port: found.address.port(),
                });
            }
            Ok(session)
        }
    }
}

/// `/json/list` right after the port opened may briefly fail: retry until `timeout`.
fn list_targets_retrying(address: std::net::SocketAddr, timeout: Duration) -> Result<Vec<Target>> {
    let started = Instant::now();
    loop {
        match target::list_targets(address, timeout) {
            Ok(targets) if !targets.is_empty() => return Ok(targets),
            Ok(_) | Err(Error::ConnectionRefused { .. } | Error::Http { .. })
                if started.elapsed() < timeout =>
            {
                std::thread::sleep(Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

/// Statistics of one streamed snapshot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Bytes of snapshot JSON received (uncompressed).
    pub bytes: u64,
    /// `addHeapSnapshotChunk` events received.
    pub chunks: u64,
    /// Objects V8 counted (the `total` of its last progress event; 0 when none was sent).
    pub objects: u64,
}

/// A connection to one target: the commands heapsight sends, one at a time.
///
/// Not `Sync`: a worker thread owns it. To sample memory while a snapshot streams, open a
/// second session to the same target (Node and Chrome allow several).
#[derive(Debug)]
pub struct Session {
    conn: Connection,
    target: Target,
    timeout: Duration,
    stall_timeout: Duration,
    profiler_enabled: bool,
    /// The id of a snapshot command cancelled before its end: its remaining chunks are
    /// dropped before the next snapshot starts.
    unfinished_stream: Option<u64>,
}

impl Session {
    /// Opens the target's WebSocket.
    pub fn connect(target: Target, options: &AttachOptions) -> Result<Self> {
        let conn = Connection::open(target.address, &target.ws_path, options.timeout)?;
        Ok(Self {
            conn,
            target,
            timeout: options.timeout,
            stall_timeout: options.stall_timeout,
            profiler_enabled: false,
            unfinished_stream: None,
        })
    }

    /// The target attached to.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Node or a page.
    pub fn runtime(&self) -> RuntimeKind {
        self.target.runtime()
    }

    /// Sends any CDP command and waits for its result (events in between are dropped).
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value> {
        self.conn.call(method, params, self.timeout)
    }

    /// `Runtime.evaluate` of `expression` with `returnByValue`: the value, or the exception
    /// as [`Error::BadReply`].
    pub fn evaluate(&mut self, expression: &str) -> Result<Value> {
        let mut reply = self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true, "silent": true }),
        )?;
        if let Some(details) = reply.get("exceptionDetails") {
            let text = details
                .pointer("/exception/description")
                .or_else(|| details.get("text"))
                .and_then(Value::as_str)
                .unwrap_or("exception");
            return Err(Error::BadReply {
                what: format!("Runtime.evaluate({expression})"),
                reason: text.to_owned(),
            });
        }
        Ok(reply
            .pointer_mut("/result/value")
            .map(Value::take)
            .unwrap_or(Value::Null))
    }

    /// The target's PID (`process.pid`), for Node targets.
    pub fn process_pid(&mut self) -> Result<Option<u32>> {
        if self.runtime() != RuntimeKind::Node {
            return Ok(None);
        }
        let pid = self.evaluate("process.pid")?;
        Ok(pid.as_u64().and_then(|p| u32::try_from(p).ok()))
    }

    fn enable_profiler(&mut self) -> Result<()> {
        if !self.profiler_enabled {
            self.call("HeapProfiler.enable", json!({}))?;
            self.profiler_enabled = true;
        }
        Ok(())
    }

    /// `HeapProfiler.collectGarbage`: a full GC in the target.
    pub fn collect_garbage(&mut self) -> Result<()> {
        self.enable_profiler()?;
        self.conn
            .call("HeapProfiler.collectGarbage", json!({}), self.stall_timeout)?;
        Ok(())
    }

    /// `HeapProfiler.takeHeapSnapshot` with `preset`'s options: the snapshot's JSON is
    /// written to `sink` chunk by chunk as it arrives (nothing is held in memory).
    ///
    /// `progress`: phase "Taking heap snapshot" with the fraction of objects V8 visited, then
    /// "Receiving heap snapshot" with the bytes received ([`Progress::bytes`], total
    /// unknown). [`Progress::cancel`] returns [`Error::Cancelled`] within [`cdp::POLL`];
    /// the session stays usable.
    pub fn take_heap_snapshot(
        &mut self,
        preset: Preset,
        sink: &mut dyn Write,
        progress: &Progress,
    ) -> Result<StreamStats> {
        self.enable_profiler()?;
        self.stream_snapshot(
            "HeapProfiler.takeHeapSnapshot",
            preset.params(),
            sink,
            progress,
        )
    }

    /// `HeapProfiler.startSampling`: the sampling heap profiler, one sample every
    /// `interval_bytes` allocated on average (DevTools uses 16384; V8's default is 32768).
    pub fn start_sampling(&mut self, interval_bytes: u64) -> Result<()> {
        self.enable_profiler()?;
        self.call(
            "HeapProfiler.startSampling",
            json!({ "samplingInterval": interval_bytes }),
        )?;
        Ok(())
    }

    /// `HeapProfiler.stopSampling`: the profile (`{head, samples}`), the content of a
    /// `.heapprofile` file.
    pub fn stop_sampling(&mut self) -> Result<Value> {
        let mut reply = self.call("HeapProfiler.stopSampling", json!({}))?;
        match reply.get_mut("profile") {
            Some(profile) if profile.get("head").is_some() => Ok(profile.take()),
            _ => Err(Error::BadReply {
                what: "HeapProfiler.stopSampling".to_owned(),
                reason: "no profile in the answer".to_owned(),
            }),
        }
    }

    /// `HeapProfiler.startTrackingHeapObjects`: with `track_allocations`, V8 records the
    /// stack of every allocation (slow: inline allocation is off) until
    /// [`Session::stop_tracking`].
    pub fn start_tracking(&mut self, track_allocations: bool) -> Result<()> {
        self.enable_profiler()?;
        self.call(
            "HeapProfiler.startTrackingHeapObjects",
            json!({ "trackAllocations": track_allocations }),
        )?;
        Ok(())
    }

    /// `HeapProfiler.stopTrackingHeapObjects`: streams a snapshot (with the allocation
    /// traces and timeline samples) to `sink` exactly as [`Session::take_heap_snapshot`].
    pub fn stop_tracking(
        &mut self,
        preset: Preset,
        sink: &mut dyn Write,
        progress: &Progress,
    ) -> Result<StreamStats> {
        self.stream_snapshot(
            "HeapProfiler.stopTrackingHeapObjects",
            preset.params(),
            sink,
            progress,
        )
    }

    /// Drops what is left of a cancelled snapshot stream (its chunks would otherwise mix
    /// into the next one).
    fn finish_unfinished_stream(&mut self) -> Result<()> {
        let Some(id) = self.unfinished_stream else {
            return Ok(());
        };
        let stall = self.stall_timeout;
        let mut last = Instant::now();
        loop {
            let mut wait = || cdp::deadline_check(last + stall, stall, "a cancelled snapshot");
            let message = self.conn.next("a cancelled snapshot", &mut wait)?;
            last = Instant::now();
            if matches!(message, Incoming::Reply { id: got, .. } if got == id) {
                self.unfinished_stream = None;
                return Ok(());
            }
        }
    }

    fn stream_snapshot(
        &mut self,
        method: &str,
        params: Value,
        sink: &mut dyn Write,
        progress: &Progress,
    ) -> Result<StreamStats> {
        self.finish_unfinished_stream()?;
        progress.set_phase("Taking heap snapshot");
        progress.set_bytes_total(0);
        progress.set_bytes_read(0);
        let id = self.conn.send(method, params)?;
        self.unfinished_stream = Some(id);
        let mut stats = StreamStats::default();
        let mut last_byte = None;
        let stall = self.stall_timeout;
        let mut last_message = Instant::now();
        loop {
            let mut wait = || {
                if progress.is_cancelled() {
                    return Err(Error::Cancelled);
                }
                cdp::deadline_check(last_message + stall, stall, method)
            };
            let message = self.conn.next(method, &mut wait)?;
            last_message = Instant::now();
            match message {
                Incoming::Reply { id: got, result } if got == id => {
                    self.unfinished_stream = None;
                    cdp::reply_result(method, result)?;
                    break;
                }
                Incoming::Reply { .. } => {}
                Incoming::Event {
                    method: event,
                    params,
                } => match event.as_str() {
                    "HeapProfiler.reportHeapSnapshotProgress" => {
                        let done = params.get("done").and_then(Value::as_u64).unwrap_or(0);
                        let total = params.get("total").and_then(Value::as_u64).unwrap_or(0);
                        stats.objects = total;
                        if total > 0 {
                            progress.set_fraction(done as f64 / total as f64);
                        }
                    }
                    "HeapProfiler.addHeapSnapshotChunk" => {
                        let Some(chunk) = params.get("chunk").and_then(Value::as_str) else {
                            return Err(Error::BadReply {
                                what: event,
                                reason: "no chunk".to_owned(),
                            });
                        };
                        if stats.chunks == 0 {
                            progress.set_phase("Receiving heap snapshot");
                        }
                        sink.write_all(chunk.as_bytes()).map_err(Error::Sink)?;
                        stats.chunks += 1;
                        stats.bytes += chunk.len() as u64;
                        progress.set_bytes_read(stats.bytes);
                        if let Some(b) = chunk.bytes().rev().find(|b| !b.is_ascii_whitespace()) {
                            last_byte = Some(b);
                        }
                    }
                    _ => {}
                },
            }
            if progress.is_cancelled() {
                return Err(Error::Cancelled);
            }
        }
        if stats.bytes == 0 {
            return Err(Error::Incomplete(format!("{method} sent no data")));
        }
        if last_byte != Some(b'}') {
            return Err(Error::Incomplete(format!(
                "the data of {method} does not end with '}}' ({} bytes received)",
                stats.bytes
            )));
        }
        sink.flush().map_err(Error::Sink)?;
        progress.set_fraction(1.0);
        Ok(stats)
    }
}
