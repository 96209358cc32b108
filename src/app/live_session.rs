//! A live inspector session on its own named thread: it owns the [`live::Session`], samples
//! the target's memory every second, and runs the requests of the Live view (take a snapshot,
//! collect garbage, start/stop allocation sampling and tracking) one at a time. The UI sends
//! requests through a bounded channel and reads events once per frame; the running
//! operation's progress (and its cancel) is a shared [`Progress`].

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, sync_channel};
use std::time::Duration;

use crate::live::pipe;
use crate::live::{self, AttachOptions, AttachTo, CaptureOptions, MemorySample, Preset};
use crate::snapshot::{self, Progress, Snapshot};

/// Memory is sampled this often.
pub const SAMPLE_INTERVAL: Duration = Duration::from_secs(1);

/// Bytes between two allocation samples (DevTools' Memory panel uses 16 KiB).
const SAMPLING_INTERVAL_BYTES: u64 = 16 * 1024;

/// What the Live view asks of the session.
#[derive(Debug)]
pub enum Request {
    /// Write a snapshot to `path` (`stop_tracking`: end allocation tracking with it).
    TakeSnapshot {
        /// Where (a `.part` file is written first).
        path: PathBuf,
        /// Preset, GC first, from tracking.
        options: CaptureOptions,
    },
    /// `HeapProfiler.collectGarbage`.
    CollectGarbage,
    /// `HeapProfiler.startSampling`.
    StartSampling,
    /// `HeapProfiler.stopSampling`, the profile written to `path`.
    StopSampling {
        /// The `.heapprofile` file.
        path: PathBuf,
    },
    /// `HeapProfiler.startTrackingHeapObjects` with allocation stacks.
    StartTracking,
}

/// What the session reports.
#[derive(Debug)]
pub enum Event {
    /// Attached: the target's description.
    Attached(String),
    /// A fact the user should know (an inspector opened by SIGUSR1, several targets, a
    /// memory warning).
    Note(String),
    /// A memory sample.
    Sample(MemorySample),
    /// A snapshot is complete (and, streamed to the loader while it was received, loaded).
    SnapshotSaved {
        /// The file.
        path: PathBuf,
        /// The snapshot, loaded as it arrived; an error when that load failed (the file is
        /// complete all the same and can be opened from disk).
        snapshot: Result<Box<Snapshot>, String>,
        /// Seconds from the end of the capture to the loaded snapshot.
        load_wait_secs: f64,
        /// Its preset.
        preset: Preset,
        /// Seconds from the request to the complete file.
        duration_secs: f64,
        /// Whether it carries allocation stacks.
        tracked: bool,
    },
    /// A sampling heap profile is complete.
    ProfileSaved(PathBuf),
    /// A request finished: what it did.
    Done(String),
    /// A request failed (the session goes on).
    Failed(String),
    /// The session ended (the target went away, or attaching failed): why.
    Ended(String),
}

/// The UI's end of a session.
pub struct LiveSession {
    requests: SyncSender<(Request, Arc<Progress>)>,
    events: Receiver<Event>,
    /// The progress of the request sent last.
    progress: Arc<Progress>,
}

impl LiveSession {
    /// Attaches to `to` on a new thread; events arrive through [`LiveSession::poll`].
    pub fn start(ctx: &egui::Context, to: AttachTo) -> std::io::Result<Self> {
        let (requests, request_rx) = sync_channel::<(Request, Arc<Progress>)>(8);
        let (event_tx, events) = sync_channel::<Event>(256);
        let progress = Arc::new(Progress::new());
        let ctx = ctx.clone();
        std::thread::Builder::new()
            .name("heapsight-live".into())
            .spawn(move || {
                let send = |event: Event| {
                    // A full channel means the UI is gone or not reading: drop samples then.
                    event_tx.try_send(event).ok();
                    ctx.request_repaint();
                };
                run(&to, &request_rx, &send);
            })?;
        Ok(Self {
            requests,
            events,
            progress,
        })
    }

    /// Queues a request with a progress of its own; false when the session has ended or is
    /// too busy to take it.
    pub fn send(&mut self, request: Request) -> bool {
        self.progress = Arc::new(Progress::new());
        self.requests
            .try_send((request, Arc::clone(&self.progress)))
            .is_ok()
    }

    /// The events that arrived since the last call.
    pub fn poll(&self) -> Vec<Event> {
        let mut out = Vec::new();
        loop {
            match self.events.try_recv() {
                Ok(e) => out.push(e),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => return out,
            }
        }
    }

    /// The running operation's progress (phase, fraction, bytes).
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// Cancels the running operation (a snapshot being received).
    pub fn cancel(&self) {
        self.progress.cancel();
    }
}

fn run(to: &AttachTo, requests: &Receiver<(Request, Arc<Progress>)>, send: &dyn Fn(Event)) {
    let mut session = match live::attach(to, &AttachOptions::default(), &mut |note| {
        send(Event::Note(note));
    }) {
        Ok(s) => s,
        Err(e) => return send(Event::Ended(format!("{e}"))),
    };
    send(Event::Attached(session.target().describe()));
    if let Some(warning) = live::capture::check_memory(&mut session) {
        send(Event::Note(warning));
    }
    loop {
        match requests.recv_timeout(SAMPLE_INTERVAL) {
            Ok((request, progress)) => {
                if let Err(message) = handle(&mut session, request, &progress, send) {
                    send(Event::Failed(message));
                }
            }
            Err(RecvTimeoutError::Timeout) => match session.memory_sample() {
                Ok(sample) => send(Event::Sample(sample)),
                Err(e) => return send(Event::Ended(format!("{e}"))),
            },
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

fn handle(
    session: &mut live::Session,
    request: Request,
    progress: &Progress,
    send: &dyn Fn(Event),
) -> Result<(), String> {
    match request {
        Request::TakeSnapshot { path, options } => {
            if let Some(warning) = live::capture::check_memory(session) {
                send(Event::Note(warning));
            }
            // The snapshot is parsed while it arrives, so it opens when the capture ends.
            let (mut writer, reader) = pipe::pipe();
            let load_path = path.clone();
            let loader = std::thread::Builder::new()
                .name("heapsight-live-load".into())
                .spawn(move || {
                    snapshot::load_reader(reader, Some(load_path), &Progress::new())
                        .map(|s| {
                            s.prepare_lookups();
                            Box::new(s)
                        })
                        .map_err(|e| format!("{e:#}"))
                })
                .map_err(|e| format!("could not start the loader thread: {e}"))?;
            let captured = live::capture::capture_to_path_and(
                session,
                &path,
                &options,
                progress,
                Some(&mut writer),
            );
            let report = match captured {
                Ok(report) => {
                    writer.finish().ok();
                    report
                }
                Err(e) => {
                    // The unfinished pipe makes the loader stop with an error.
                    drop(writer);
                    loader.join().ok();
                    return Err(e.to_string());
                }
            };
            let waited = std::time::Instant::now();
            let loaded = loader
                .join()
                .unwrap_or_else(|_| Err("the loader stopped unexpectedly".to_owned()));
            send(Event::SnapshotSaved {
                snapshot: loaded,
                load_wait_secs: waited.elapsed().as_secs_f64(),
                path: report.path,
                preset: report.preset,
                duration_secs: report.duration_secs,
                tracked: options.stop_tracking,
            });
        }
        Request::CollectGarbage => {
            session.collect_garbage().map_err(|e| e.to_string())?;
            send(Event::Done("Collected garbage".to_owned()));
        }
        Request::StartSampling => {
            session
                .start_sampling(SAMPLING_INTERVAL_BYTES)
                .map_err(|e| e.to_string())?;
            send(Event::Done("Allocation sampling started".to_owned()));
        }
        Request::StopSampling { path } => {
            let profile = session.stop_sampling().map_err(|e| e.to_string())?;
            live::capture::write_json(&path, &profile).map_err(|e| e.to_string())?;
            send(Event::ProfileSaved(path));
        }
        Request::StartTracking => {
            session.start_tracking(true).map_err(|e| e.to_string())?;
            send(Event::Done(
                "Allocation tracking started: the next snapshot carries allocation stacks"
                    .to_owned(),
            ));
        }
    }
    Ok(())
}
