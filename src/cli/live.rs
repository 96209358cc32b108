//! `capture`, `watch` and `sample`: the command line over [`crate::live`].

use std::io::IsTerminal as _;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Args;

use crate::format;
use crate::live::{self, AttachOptions, AttachTo, CaptureOptions, Preset, Session};
use crate::snapshot::Progress;

/// Which process or page to attach to (`--inspect` or `--pid`).
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// The inspector address: node --inspect[=HOST:PORT], or Chrome/Electron's
    /// --remote-debugging-port. Default 127.0.0.1:9229.
    #[arg(long, value_name = "HOST:PORT", conflicts_with = "pid")]
    pub inspect: Option<String>,
    /// A Node process by PID (Linux): opens its inspector with SIGUSR1 if it is not open
    /// (on 9229, or the port of its --inspect-port flag).
    #[arg(long, value_name = "PID")]
    pub pid: Option<u32>,
    /// The target to use when the address lists several (Chrome pages): its id, or part of
    /// its title or URL. Default: the first Node target, else the first page.
    #[arg(long, value_name = "ID|TEXT")]
    pub target: Option<String>,
    /// Allow a non-loopback --inspect address (the protocol has no authentication).
    #[arg(long)]
    pub allow_remote: bool,
    /// Seconds allowed to connect, for the inspector to open, and for a command to answer.
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    pub timeout: f64,
}

/// Arguments of `capture`.
#[derive(Debug, Args)]
pub struct CaptureArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Where to write the snapshot (.heapsnapshot, or .heapsnapshot.gz to compress).
    #[arg(short, long, value_name = "OUT")]
    pub out: PathBuf,
    /// Collect garbage in the target first.
    #[arg(long)]
    pub gc: bool,
    /// The snapshot options: devtools (as DevTools' Memory panel: internals exposed, numbers
    /// captured) or node (the protocol's defaults, as v8.writeHeapSnapshot()).
    #[arg(long, default_value = "devtools", value_name = "PRESET")]
    pub preset: String,
}

/// Arguments of `watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Seconds between samples.
    #[arg(long, default_value_t = 1.0, value_name = "SECS")]
    pub interval: f64,
    /// Print one JSON object a line (timeMs, heapUsed, heapTotal, external, arrayBuffers, rss).
    #[arg(long)]
    pub json: bool,
    /// Stop after N samples (default: until interrupted).
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
}

/// Arguments of `sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Seconds to sample for (Ctrl-C stops early and saves).
    #[arg(long, value_name = "SECS")]
    pub duration: f64,
    /// Average bytes allocated between two samples.
    #[arg(long, default_value_t = 16384, value_name = "BYTES")]
    pub interval: u64,
    /// Where to write the profile (.heapprofile, DevTools' allocation-sampling format).
    #[arg(short, long, value_name = "OUT")]
    pub out: PathBuf,
}

fn seconds(value: f64, what: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .with_context(|| format!("{what} must be a positive number of seconds, not {value}"))
}

/// Attaches as the arguments say, printing notes to stderr.
fn attach(args: &TargetArgs) -> anyhow::Result<Session> {
    let to = match (&args.inspect, args.pid) {
        (_, Some(pid)) => AttachTo::Pid(pid),
        (Some(address), None) => AttachTo::Address(address.clone()),
        (None, None) => AttachTo::Address(live::target::DEFAULT_ADDRESS.to_owned()),
    };
    let options = AttachOptions {
        allow_remote: args.allow_remote,
        target: args.target.clone(),
        timeout: seconds(args.timeout, "--timeout")?,
        ..AttachOptions::default()
    };
    let session = live::attach(&to, &options, &mut |note| eprintln!("heapsight: {note}"))?;
    log::info!("attached to {}", session.target().describe());
    Ok(session)
}

/// Set by SIGINT (Ctrl-C) while a live command runs, so that it stops cleanly: no `.part`
/// file left behind, the target's profiler stopped.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

#[cfg(target_os = "linux")]
extern "C" fn on_interrupt(_signal: libc::c_int) {
    INTERRUPTED.store(true, Ordering::Relaxed);
}

/// Routes Ctrl-C to [`INTERRUPTED`] (Linux; elsewhere Ctrl-C ends the process as usual).
fn catch_interrupt() {
    #[cfg(target_os = "linux")]
    {
        let handler: extern "C" fn(libc::c_int) = on_interrupt;
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        #[allow(unsafe_code)]
        unsafe {
            libc::signal(libc::SIGINT, handler as libc::sighandler_t);
        }
    }
}

/// Polls `progress` on a named thread: prints it to stderr and cancels it on Ctrl-C. Stops
/// when the returned guard is dropped.
struct ProgressPrinter {
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ProgressPrinter {
    fn start(progress: Arc<Progress>, quiet: bool) -> anyhow::Result<Self> {
        let done = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&done);
        let thread = std::thread::Builder::new()
            .name("heapsight-progress".to_owned())
            .spawn(move || print_progress(&progress, &stop, quiet))
            .context("while starting the progress thread")?;
        Ok(Self {
            done,
            thread: Some(thread),
        })
    }
}

impl Drop for ProgressPrinter {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
    }
}

fn print_progress(progress: &Progress, done: &AtomicBool, quiet: bool) {
    let terminal = std::io::stderr().is_terminal();
    let mut last_phase = "";
    let mut last_line = String::new();
    while !done.load(Ordering::Relaxed) {
        if INTERRUPTED.load(Ordering::Relaxed) {
            progress.cancel();
        }
        let phase = match progress.phase() {
            "Starting" => "",
            phase => phase,
        };
        let (bytes, _) = progress.bytes();
        let line = match phase {
            "Receiving heap snapshot" => format!("{phase}: {}", format::bytes(bytes)),
            "Taking heap snapshot" => {
                format!("{phase}: {:.0}%", 100.0 * progress.fraction())
            }
            _ => phase.to_owned(),
        };
        if quiet || phase.is_empty() {
            // Nothing to show yet.
        } else if terminal && line != last_line {
            eprint!("\r\x1b[2K{line}");
        } else if !terminal && phase != last_phase {
            eprintln!("{phase}");
        }
        last_phase = phase;
        last_line = line;
        std::thread::sleep(Duration::from_millis(100));
    }
    if !quiet && terminal && !last_line.is_empty() {
        eprint!("\r\x1b[2K");
    }
}

/// `heapsight capture`.
pub fn capture(args: &CaptureArgs) -> anyhow::Result<ExitCode> {
    let Some(preset) = Preset::parse(&args.preset) else {
        bail!("--preset {:?}: expected devtools or node", args.preset);
    };
    let mut session = attach(&args.target)?;
    if let Some(warning) = live::capture::check_memory(&mut session) {
        eprintln!("heapsight: {warning}");
    }
    catch_interrupt();
    let progress = Arc::new(Progress::new());
    let printer = ProgressPrinter::start(Arc::clone(&progress), false)?;
    let options = CaptureOptions {
        stop_tracking: false,
        preset,
        collect_garbage: args.gc,
    };
    let result = live::capture_to_path(&mut session, &args.out, &options, &progress);
    drop(printer);
    let report = match result {
        Err(live::Error::Cancelled) => bail!("interrupted: nothing written"),
        other => {
            other.with_context(|| format!("while capturing {}", session.target().describe()))?
        }
    };
    eprintln!(
        "wrote {} ({} of snapshot JSON, {} on disk, {} objects, preset {}, {:.1} s)",
        report.path.display(),
        format::bytes(report.stream.bytes),
        format::bytes(report.file_bytes),
        format::count(report.stream.objects),
        report.preset.name(),
        report.duration_secs
    );
    Ok(ExitCode::SUCCESS)
}

/// `heapsight watch`.
pub fn watch(args: &WatchArgs) -> anyhow::Result<ExitCode> {
    let interval = seconds(args.interval, "--interval")?;
    let mut session = attach(&args.target)?;
    catch_interrupt();
    let progress = Arc::new(Progress::new());
    let printer = ProgressPrinter::start(Arc::clone(&progress), true)?;
    let started = Instant::now();
    let mut count = 0;
    let mut write_error = None;
    if !args.json {
        super::print(&format!(
            "{:>8} {:>11} {:>11} {:>11} {:>11} {:>11}\n",
            "secs", "heapUsed", "heapTotal", "external", "arrayBufs", "rss"
        ))?;
    }
    let json = args.json;
    let result = live::watch_memory(&mut session, interval, &progress, &mut |sample| {
        let line = if json {
            serde_json::to_string(sample).unwrap_or_default()
        } else {
            let opt = |v: Option<u64>| v.map_or_else(|| "-".to_owned(), format::bytes);
            format!(
                "{:>8.1} {:>11} {:>11} {:>11} {:>11} {:>11}",
                started.elapsed().as_secs_f64(),
                format::bytes(sample.heap_used_bytes),
                format::bytes(sample.heap_total_bytes),
                opt(sample.external_bytes),
                opt(sample.array_buffers_bytes),
                opt(sample.rss_bytes),
            )
        };
        if let Err(e) = super::print(&format!("{line}\n")) {
            write_error = Some(e);
            return ControlFlow::Break(());
        }
        count += 1;
        if args.count.is_some_and(|n| count >= n) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    drop(printer);
    result.with_context(|| format!("while watching {}", session.target().describe()))?;
    if let Some(e) = write_error {
        return Err(e);
    }
    Ok(ExitCode::SUCCESS)
}

/// `heapsight sample`.
pub fn sample(args: &SampleArgs) -> anyhow::Result<ExitCode> {
    let duration = seconds(args.duration, "--duration")?;
    if args.interval == 0 {
        bail!("--interval must be at least 1 byte");
    }
    let mut session = attach(&args.target)?;
    catch_interrupt();
    session
        .start_sampling(args.interval)
        .context("while starting the sampling heap profiler")?;
    eprintln!(
        "sampling allocations for {:.0} s (Ctrl-C stops early)…",
        duration.as_secs_f64()
    );
    let started = Instant::now();
    while started.elapsed() < duration && !INTERRUPTED.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let profile = session
        .stop_sampling()
        .context("while stopping the sampling heap profiler")?;
    live::capture::write_json(&args.out, &profile)?;
    let samples = profile
        .get("samples")
        .and_then(serde_json::Value::as_array)
        .map_or(0, Vec::len);
    eprintln!(
        "wrote {} ({} samples over {:.1} s)",
        args.out.display(),
        format::count(samples as u64),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
