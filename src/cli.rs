//! Command-line interface: the GUI by default, headless subcommands for scripts and CI.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand};

use crate::format;
use crate::snapshot::{self, CacheConfig, Progress, Snapshot, cache, report};

mod live;

pub use live::{CaptureArgs, SampleArgs, TargetArgs, WatchArgs};

/// heapsight: a fast explorer for V8 heap snapshots (.heapsnapshot, .heapsnapshot.gz).
///
/// Without a subcommand, opens the desktop app (with FILE and FILE2 as baseline and
/// target, or a bundled demo snapshot when no file is given).
#[derive(Debug, Parser)]
#[command(
    name = "heapsight",
    version = crate::version::SHORT,
    long_version = crate::version::LONG,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Snapshots to open in the app: one, or a baseline and a target (and a final).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Render the app window to this PNG after loading finishes, then exit.
    #[arg(long, value_name = "OUT.png")]
    pub screenshot: Option<PathBuf>,

    /// The app view to show first (summary, comparison, containment, dominators,
    /// statistics, graph; or about: Help → About over the Summary), useful with --screenshot.
    #[arg(long, value_name = "VIEW")]
    pub view: Option<String>,

    /// Select this node (@id) after loading, useful with --screenshot.
    #[arg(long, value_name = "@ID")]
    pub select: Option<String>,

    /// Filter the Summary as DevTools' Summary filter does: duplicated-strings, or objects
    /// allocated in a range: baseline-target (between baseline and target), target-final,
    /// baseline-final or before-baseline. Useful with --screenshot.
    #[arg(long, value_name = "FILTER")]
    pub summary_filter: Option<String>,

    /// Show the first two snapshots (the baseline and target) side by side in tiles with
    /// linked selection (View → Compare A | B).
    #[arg(long)]
    pub compare_ab: bool,

    /// Open the Live view attached to a Node.js inspector (HOST:PORT) or, on Linux, a Node
    /// process by PID (its inspector is opened with SIGUSR1).
    #[arg(long, value_name = "HOST:PORT|PID")]
    pub attach: Option<String>,

    /// Open files without the persisted index: neither read it nor write it (same as
    /// HEAPSIGHT_NO_CACHE=1)
    #[arg(long)]
    pub no_cache: bool,

    /// Open snapshots even when their header says they need more memory than this machine
    /// has available (also HEAPSIGHT_IGNORE_MEMORY_CHECK=1).
    #[arg(long, global = true)]
    pub ignore_memory_check: bool,

    /// Headless command.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Headless commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Totals, statistics, every class of the Summary view, and the largest objects.
    ///
    /// With --json the output matches the DevTools oracle (`node oracle.js FILE`) field for
    /// field, except devtoolsFrontendVersion.
    Summary(SummaryArgs),
    /// One object by id: sizes, distance, every retainer and its dominator chain.
    Node(NodeArgs),
    /// Compare two snapshots of one process (DevTools' Comparison view).
    ///
    /// With --json the output matches `node oracle.js TARGET --base BASE --sections
    /// comparison` field for field, except devtoolsFrontendVersion.
    Diff(DiffArgs),
    /// Leak candidates by the three-snapshot method: objects allocated between BASELINE
    /// and TARGET that are still alive in FINAL, by class and retainer path.
    Leaks(LeaksArgs),
    /// The leak doctor: names the root causes of a leak (the growing Map, the emitter whose
    /// listeners pile up, the uncleared interval, …), why they are kept alive, and the fix.
    ///
    /// Give one to N snapshots of one process, in the order they were taken. Exit status: 1
    /// when a finding at or above --fail-on exists, 0 when none, 2 on an error.
    #[command(after_long_help = crate::snapshot::doctor::kinds_help())]
    Doctor(DoctorArgs),
    /// Duplicated strings (DevTools' "Duplicated strings"): string objects whose text another
    /// one repeats, grouped by text, biggest total retained size first.
    ///
    /// With --json the output matches DevTools' `getDuplicateStrings()` field for field.
    Strings(StringsArgs),
    /// DevTools' Allocation view: the functions that allocated, with their allocation count
    /// and size and what is still alive, for a snapshot written with allocation tracking
    /// (`node --track-heap-objects`, or a DevTools "Allocations on timeline" recording).
    ///
    /// With --json the output matches `node oracle.js FILE --sections allocation
    /// --top-functions 50 --top-nodes 20` field for field, except devtoolsFrontendVersion.
    Alloc(AllocArgs),
    /// A sampling heap profile (.heapprofile, from `node --heap-prof` or DevTools'
    /// "Allocation sampling"): the bytes sampled, and the functions by self size.
    Profile(ProfileArgs),
    /// Write a copy of a snapshot that can be shared: the text of every string (user data,
    /// tokens, environment values, script source) replaced by a token, captured numbers
    /// blanked; class, property and function names kept (or hashed, with --hash-names),
    /// every figure unchanged.
    ///
    /// Equal texts get equal tokens of the same length, so Duplicated strings still groups
    /// as before. OUT ending in .gz is gzip-compressed. OUT is written completely or not at
    /// all (through OUT.part).
    Redact(RedactArgs),
    /// Export what the app shows as Markdown, JSON or one self-contained HTML file: the
    /// Summary rows (or, with --base, the Comparison rows) passing --filter, the retainer
    /// path and dominator chain of each --node, and the Statistics chart.
    ///
    /// The format comes from --format, else from OUT's extension (.md, .json, .html), else
    /// Markdown. Without -o the report goes to stdout; OUT is written completely or not at
    /// all (through OUT.part).
    Report(ReportArgs),
    /// Load a snapshot and report the time to a ready Summary and the peak memory.
    Bench(BenchArgs),
    /// Write a synthetic heap snapshot of about SIZE_MB megabytes (benchmark input; it
    /// streams, so multi-gigabyte files need no memory).
    Synth(SynthArgs),
    /// Take a heap snapshot of a running Node process (--inspect HOST:PORT or --pid PID)
    /// or Chrome/Electron page (--inspect with its --remote-debugging-port).
    ///
    /// The snapshot streams to OUT.part, renamed to OUT when complete (gzip-compressed when
    /// OUT ends in .gz); progress goes to stderr; Ctrl-C cancels and leaves nothing behind.
    Capture(CaptureArgs),
    /// Print a running process's memory every --interval seconds: heapUsed, heapTotal,
    /// external, arrayBuffers, rss (pages: the heap only).
    Watch(WatchArgs),
    /// Record allocations with the sampling heap profiler for --duration seconds and write
    /// a .heapprofile (open it in DevTools' Memory panel).
    Sample(SampleArgs),
}

/// Arguments of `summary`.
#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// The snapshot (.heapsnapshot or .heapsnapshot.gz).
    pub file: PathBuf,
    /// Print JSON (the oracle's shape) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Number of largest objects to list.
    #[arg(long, default_value_t = 20)]
    pub top_nodes: usize,
    /// Retainers listed per object.
    #[arg(long, default_value_t = 5)]
    pub retainers: usize,
    /// Show only the first N classes in the table (JSON always has all).
    #[arg(long, default_value_t = 40)]
    pub top_classes: usize,
    /// The persisted index.
    #[command(flatten)]
    pub cache: CacheArgs,
}

/// Arguments of `node`.
#[derive(Debug, Args)]
pub struct NodeArgs {
    /// The snapshot.
    pub file: PathBuf,
    /// The object's id, as `@123` or `123`.
    pub id: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// The persisted index.
    #[command(flatten)]
    pub cache: CacheArgs,
}

/// Arguments of `doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Snapshots of one process, oldest first (one, two, or three and more).
    #[arg(required = true, value_name = "SNAPSHOT")]
    pub files: Vec<PathBuf>,
    /// Print JSON instead of a report.
    #[arg(long)]
    pub json: bool,
    /// Print Markdown (for a ticket) instead of a report.
    #[arg(long, conflicts_with = "json")]
    pub markdown: bool,
    /// Exit 1 when a finding at or above this severity exists: leak, suspect or info.
    #[arg(long, default_value = "leak", value_name = "SEVERITY")]
    pub fail_on: String,
    /// Print how long loading and the diagnosis took (stderr).
    #[arg(long)]
    pub timings: bool,
    /// The persisted index.
    #[command(flatten)]
    pub cache: CacheArgs,
}

/// Arguments of `strings`.
#[derive(Debug, Args)]
pub struct StringsArgs {
    /// The snapshot.
    pub file: PathBuf,
    /// Print JSON (DevTools' shape, every group) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Show only the first N groups in the table.
    #[arg(long, default_value_t = 30)]
    pub top: usize,
    /// The persisted index.
    #[command(flatten)]
    pub cache: CacheArgs,
}

/// Arguments of `diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier snapshot (baseline).
    pub base: PathBuf,
    /// The later snapshot (target).
    pub target: PathBuf,
    /// Print JSON (the oracle's shape) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Show only the first N classes in the table (JSON always has all).
    #[arg(long, default_value_t = 40)]
    pub top_classes: usize,
    /// The persisted index.
    #[command(flatten)]
    pub cache: CacheArgs,
}

/// Arguments of `leaks`.
#[derive(Debug, Args)]
pub struct LeaksArgs {
    /// Snapshot after warm-up.
    pub baseline: PathBuf,
    /// Snapshot after exercising the suspected leak.
    pub target: PathBuf,
    /// Snapshot after exercising it again.
    #[arg(name = "FINAL")]
    pub last: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Include built-in classes such as (string) and system / Context in the table.
    #[arg(long)]
    pub all: bool,
    /// Retainer-path groups listed per class.
    #[arg(long, default_value_t = 3)]
    pub groups: usize,
    /// Classes listed in the table.
    #[arg(long, default_value_t = 15)]
    pub top_classes: usize,
    /// The persisted index.
    #[command(flatten)]
    pub cache: CacheArgs,
}

/// Arguments of `alloc`.
#[derive(Debug, Args)]
pub struct AllocArgs {
    /// The snapshot (.heapsnapshot, .heaptimeline, or gzip-compressed).
    pub file: PathBuf,
    /// Print JSON (the oracle's shape) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Functions listed (JSON: with their callers).
    #[arg(long, default_value_t = 50)]
    pub top_functions: usize,
    /// Allocation stacks of this many of the largest objects (JSON only).
    #[arg(long, default_value_t = 20)]
    pub top_nodes: usize,
    /// Expand the rows of the functions named NAME (as the table shows it): their callers,
    /// and their live objects by class (DevTools' Summary filtered by the row).
    #[arg(long, value_name = "NAME", conflicts_with = "json")]
    pub function: Option<String>,
    /// The persisted index.
    #[command(flatten)]
    pub cache: CacheArgs,
}

/// Arguments of `profile`.
#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// The sampling heap profile (.heapprofile, or gzip-compressed).
    pub file: PathBuf,
    /// Print JSON (every function) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Functions listed in the table.
    #[arg(long, default_value_t = 30)]
    pub top: usize,
}

/// Arguments of `redact`.
#[derive(Debug, Args)]
pub struct RedactArgs {
    /// The snapshot to redact (.heapsnapshot or .heapsnapshot.gz).
    #[arg(value_name = "IN")]
    pub input: PathBuf,
    /// Where to write the redacted copy (.gz: compressed).
    #[arg(value_name = "OUT")]
    pub output: PathBuf,
    /// Print what was done as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also replace the program's class, property and function names by hash tokens of the
    /// same length (built-ins, V8's internal names and `(…)`/`system / …` names are kept,
    /// so every figure stays). The key is random per run unless --hash-key is given.
    #[arg(long)]
    pub hash_names: bool,
    /// A secret to key the name hash with, so that several snapshots of one process,
    /// redacted separately, get the same tokens and still compare. Keep it private.
    #[arg(long, value_name = "SECRET", requires = "hash_names")]
    pub hash_key: Option<String>,
}

/// Arguments of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The snapshot (the target of a comparison).
    pub file: PathBuf,
    /// Compare with this earlier snapshot (Comparison rows instead of Summary rows).
    #[arg(long, value_name = "BASE")]
    pub base: Option<PathBuf>,
    /// Only the classes whose name contains TEXT (any case), as the class filter does.
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub filter: String,
    /// Add this object's retainer path and dominator chain (`@123` or `123`; repeatable).
    #[arg(long = "node", value_name = "@ID")]
    pub nodes: Vec<String>,
    /// md, json or html (default: from OUT's extension, else md).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Write the report to OUT instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub cache: CacheArgs,
}

/// Arguments of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The snapshot to load.
    pub file: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// The persisted index.
    #[command(flatten)]
    pub cache: CacheArgs,
}

/// Arguments of `synth`.
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Approximate size of the file, in MB (10^6 bytes).
    pub size_mb: u64,
    /// Where to write the .heapsnapshot (with --family: a directory, created if needed).
    pub out: PathBuf,
    /// Seed of the generator (same seed, same bytes).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write a baseline/target/final family of one leaking process (shared object ids)
    /// into OUT: baseline.heapsnapshot, target.heapsnapshot, final.heapsnapshot.
    #[arg(long)]
    pub family: bool,
}

/// The persisted index's switch, on every command that loads snapshots.
#[derive(Clone, Debug, Default, Args)]
pub struct CacheArgs {
    /// Neither read nor write the persisted index of the snapshots (also
    /// HEAPSIGHT_NO_CACHE=1); the cache folder is HEAPSIGHT_CACHE_DIR, else
    /// $XDG_CACHE_HOME/heapsight or the platform's cache folder.
    #[arg(long)]
    pub no_cache: bool,
}

impl CacheArgs {
    /// The cache configuration these flags and the environment ask for.
    pub fn config(&self) -> CacheConfig {
        if self.no_cache {
            CacheConfig::disabled()
        } else {
            CacheConfig::from_env()
        }
    }
}

/// Loads snapshots for one command through the persisted index, and writes the index of
/// each freshly loaded one on a background thread; dropping the loader (after the command
/// printed its output) waits for those writes.
pub struct Loader {
    config: CacheConfig,
    writers: std::sync::Mutex<Vec<std::thread::JoinHandle<()>>>,
}

impl Loader {
    /// A loader with the cache `args` ask for.
    pub fn new(args: &CacheArgs) -> Self {
        Self {
            config: args.config(),
            writers: std::sync::Mutex::default(),
        }
    }

    /// Loads a snapshot, with errors that name the file.
    pub fn load(&self, path: &Path) -> anyhow::Result<Arc<Snapshot>> {
        let progress = Progress::new();
        let snap = Arc::new(snapshot::load_path_cached(path, &self.config, &progress)?);
        if snap.unreachable_count() > 0 {
            log::warn!(
                "{}: {} nodes are unreachable from the root",
                path.display(),
                snap.unreachable_count()
            );
        }
        if let Some(writer) = cache::store_in_background(&self.config, Arc::clone(&snap)) {
            match self.writers.lock() {
                Ok(mut writers) => writers.push(writer),
                Err(poisoned) => poisoned.into_inner().push(writer),
            }
        }
        Ok(snap)
    }

    /// Loads two snapshots in parallel.
    fn load_pair(&self, a: &Path, b: &Path) -> anyhow::Result<(Arc<Snapshot>, Arc<Snapshot>)> {
        let (a, b) = rayon::join(|| self.load(a), || self.load(b));
        Ok((a?, b?))
    }
}

impl Drop for Loader {
    fn drop(&mut self) {
        let writers = match self.writers.get_mut() {
            Ok(writers) => std::mem::take(writers),
            Err(poisoned) => std::mem::take(poisoned.into_inner()),
        };
        for writer in writers {
            if writer.join().is_err() {
                log::debug!("the index writer panicked");
            }
        }
    }
}

/// Runs a headless command.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Summary(args) => summary(&args),
        Command::Node(args) => node(&args),
        Command::Diff(args) => diff(&args),
        Command::Leaks(args) => leaks(&args),
        Command::Doctor(args) => doctor(&args),
        Command::Strings(args) => strings(&args),
        Command::Alloc(args) => alloc(&args),
        Command::Profile(args) => profile(&args),
        Command::Redact(args) => redact(&args),
        Command::Report(args) => export_report(&args),
        Command::Bench(args) => bench(&args),
        Command::Synth(args) => synth(&args),
        Command::Capture(args) => live::capture(&args),
        Command::Watch(args) => live::watch(&args),
        Command::Sample(args) => live::sample(&args),
    }
}

/// Loads a snapshot for a headless command through the persisted index (as configured
/// by the environment), with errors that name the file; its index, when written, is
/// written before this returns.
pub fn load(path: &Path) -> anyhow::Result<Arc<Snapshot>> {
    Loader::new(&CacheArgs::default()).load(path)
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("while writing to stdout"),
    }
}

fn summary(args: &SummaryArgs) -> anyhow::Result<ExitCode> {
    let loader = Loader::new(&args.cache);
    let snap = loader.load(&args.file)?;
    if args.json {
        print(&report::to_json_string(
            &snap.summary_report(args.top_nodes, args.retainers),
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    let totals = snap.totals();
    let stats = snap.statistics();
    out.push_str(&format!(
        "{}: {} nodes, {} edges, total {} ({} B), loaded in {:.2} s\n\n",
        args.file.display(),
        format::count(totals.node_count as u64),
        format::count(totals.edge_count as u64),
        format::bytes(totals.total_size),
        totals.total_size,
        snap.timings().total_secs()
    ));
    out.push_str(&format!(
        "Statistics: code {}, strings {}, JS arrays {}, typed arrays {}, system {}, other JS {}, other native {}\n\n",
        format::bytes(stats.code),
        format::bytes(stats.strings),
        format::bytes(stats.js_arrays),
        format::bytes(stats.typed_arrays),
        format::bytes(stats.system),
        format::bytes(stats.other_js_objects),
        format::bytes(stats.other_non_js_objects),
    ));
    out.push_str(&format!(
        "{:<48} {:>9} {:>10} {:>12} {:>12} {:>7}\n",
        "Constructor", "Distance", "Count", "Shallow", "Retained", "Ret %"
    ));
    let total = snap.total_size();
    for class in snap.classes().iter().take(args.top_classes) {
        out.push_str(&format!(
            "{:<48} {:>9} {:>10} {:>12} {:>12} {:>7}\n",
            truncate(&class.name, 48),
            format::distance(class.distance),
            class.count,
            format::bytes(class.shallow_size_bytes),
            format::bytes(class.retained_size_bytes),
            format::percent(class.retained_size_bytes, total),
        ));
    }
    if snap.classes().len() > args.top_classes {
        out.push_str(&format!(
            "… {} more classes (--top-classes N, or --json for all)\n",
            snap.classes().len() - args.top_classes
        ));
    }
    out.push_str("\nLargest objects by retained size:\n");
    for n in snap.top_retainers(args.top_nodes) {
        out.push_str(&format!(
            "  {:<60} {:>12} retained, {:>10} shallow, distance {}\n",
            truncate(&snap.object_at_id(n), 60),
            format::bytes(snap.retained_size(n)),
            format::bytes(snap.self_size(n)),
            format::distance(snap.distance(n)),
        ));
    }
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// Parses `@123` or `123`.
pub fn parse_node_id(text: &str) -> anyhow::Result<u32> {
    let digits = text.trim().trim_start_matches('@');
    digits
        .parse()
        .with_context(|| format!("{text:?} is not a node id (expected @123 or 123)"))
}

fn strings(args: &StringsArgs) -> anyhow::Result<ExitCode> {
    let loader = Loader::new(&args.cache);
    let snap = loader.load(&args.file)?;
    let groups = snap.string_group_reports();
    if args.json {
        print(&report::to_json_string(&groups))?;
        return Ok(ExitCode::SUCCESS);
    }
    let objects: usize = groups.iter().map(|g| g.count).sum();
    let bytes: u64 = groups.iter().map(|g| g.total_self_size).sum();
    let mut out = format!(
        "{}: {} duplicated strings in {} texts, {} shallow\n\n{:>7}  {:>10}  {:>10}  text (first object)\n",
        args.file.display(),
        format::count(objects as u64),
        format::count(groups.len() as u64),
        format::bytes(bytes),
        "count",
        "shallow",
        "retained",
    );
    for g in groups.iter().take(args.top) {
        out.push_str(&format!(
            "{:>7}  {:>10}  {:>10}  {:?}{} @{}\n",
            format::count(g.count as u64),
            format::bytes(g.total_self_size),
            format::bytes(g.total_retained_size),
            truncate(&g.value, 80),
            if g.truncated { " (truncated)" } else { "" },
            g.nodes.first().map_or(0, |n| n.id),
        ));
    }
    if groups.len() > args.top {
        out.push_str(&format!(
            "  … {} more (--top N, or --json for all)\n",
            groups.len() - args.top
        ));
    }
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn node(args: &NodeArgs) -> anyhow::Result<ExitCode> {
    let id = parse_node_id(&args.id)?;
    let loader = Loader::new(&args.cache);
    let snap = loader.load(&args.file)?;
    let Some(n) = snap.find_by_id(id) else {
        bail!("no node with id @{id} in {}", args.file.display());
    };
    let report = snap.node_report(n, usize::MAX, true);
    if args.json {
        print(&report::to_json_string(&report))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = format!(
        "{} @{} ({}): {}\n  shallow {} ({} B), retained {} ({} B), distance {}\n  dominated by @{}\n",
        snap.class_name(n),
        report.id,
        report.node_type,
        truncate(&report.name, 200),
        format::bytes(report.self_size),
        report.self_size,
        format::bytes(report.retained_size),
        report.retained_size,
        format::distance(report.distance),
        report.dominator_id,
    );
    out.push_str(&format!("\nRetainers ({}):\n", report.retainer_count));
    for (from, e) in snap.visible_retainers(n) {
        out.push_str(&format!(
            "  {:<30} in {} @{} (distance {})\n",
            truncate(&snap.edge_label(e), 30),
            truncate(&snap.node_name(from), 60),
            snap.node_id(from),
            format::distance(snap.distance(from)),
        ));
    }
    out.push_str("\nDominator chain:\n");
    for d in snap.dominator_chain(n) {
        out.push_str(&format!(
            "  {} @{} retained {}\n",
            truncate(&snap.object_name(d), 60),
            snap.node_id(d),
            format::bytes(snap.retained_size(d))
        ));
    }
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn diff(args: &DiffArgs) -> anyhow::Result<ExitCode> {
    let loader = Loader::new(&args.cache);
    let (base, target) = loader.load_pair(&args.base, &args.target)?;
    let diff = snapshot::diff(&base, &target);
    if args.json {
        print(&report::to_json_string(&report::comparison_report(
            &base, &target, &diff,
        )))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = format!(
        "{} -> {}: {} classes changed, {} objects in both snapshots\n",
        args.base.display(),
        args.target.display(),
        diff.classes.len(),
        format::count(diff.common_ids as u64),
    );
    if diff.common_ids == 0 {
        out.push_str(
            "note: no object ids in common: these snapshots seem to come from different processes\n",
        );
    }
    out.push_str(&format!(
        "\n{:<44} {:>9} {:>9} {:>9} {:>11} {:>11} {:>11}\n",
        "Constructor", "# New", "# Deleted", "# Delta", "Alloc. Size", "Freed Size", "Size Delta"
    ));
    for c in diff.classes.iter().take(args.top_classes) {
        out.push_str(&format!(
            "{:<44} {:>9} {:>9} {:>+9} {:>11} {:>11} {:>11}\n",
            truncate(&c.name, 44),
            c.added_count,
            c.removed_count,
            c.count_delta,
            format::bytes(c.added_size_bytes),
            format::bytes(c.removed_size_bytes),
            signed_bytes(c.size_delta_bytes),
        ));
    }
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn leaks(args: &LeaksArgs) -> anyhow::Result<ExitCode> {
    let loader = Loader::new(&args.cache);
    let (pair, last) = rayon::join(
        || loader.load_pair(&args.baseline, &args.target),
        || loader.load(&args.last),
    );
    let ((baseline, target), last) = (pair?, last?);
    let classes = snapshot::leak_candidates(&baseline, &target, &last);
    if args.json {
        print(&report::to_json_string(&report::leaks_report(
            [&baseline, &target, &last],
            &classes,
            args.groups,
        )))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::from(
        "Objects allocated between baseline and target that are still alive in final:\n\n",
    );
    for c in classes
        .iter()
        .filter(|c| args.all || !c.builtin)
        .take(args.top_classes)
    {
        out.push_str(&format!(
            "{} x{}  shallow {}, retained {}\n",
            c.class_name,
            c.count,
            format::bytes(c.shallow_size_bytes),
            format::bytes(c.retained_size_bytes)
        ));
        for g in c.groups.iter().take(args.groups) {
            let path: Vec<String> = g
                .path
                .iter()
                .map(|h| format!("{} {}", h.class_name, h.edge))
                .collect();
            out.push_str(&format!(
                "    x{:<6} e.g. @{:<10} via {}\n",
                g.count,
                last.node_id(g.representative),
                path.join(" \u{2190} ")
            ));
        }
    }
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// Exit status of `doctor` on an error (bad input): distinct from "a leak was found".
pub const DOCTOR_ERROR_EXIT: u8 = 2;

fn doctor(args: &DoctorArgs) -> anyhow::Result<ExitCode> {
    use crate::snapshot::doctor::{self, Severity};
    let Some(fail_on) = Severity::parse(&args.fail_on) else {
        eprintln!(
            "heapsight: --fail-on {:?}: expected leak, suspect or info",
            args.fail_on
        );
        return Ok(ExitCode::from(DOCTOR_ERROR_EXIT));
    };
    let started = std::time::Instant::now();
    let loader = Loader::new(&args.cache);
    let loaded: Vec<anyhow::Result<Arc<Snapshot>>> = {
        use rayon::prelude::*;
        args.files.par_iter().map(|f| loader.load(f)).collect()
    };
    let mut snaps = Vec::with_capacity(loaded.len());
    for s in loaded {
        match s {
            Ok(s) => snaps.push(s),
            Err(err) => {
                eprintln!("heapsight: {err:#}");
                return Ok(ExitCode::from(DOCTOR_ERROR_EXIT));
            }
        }
    }
    let load_secs = started.elapsed().as_secs_f64();
    let refs: Vec<&Snapshot> = snaps.iter().map(|s| &**s).collect();
    let diagnosed = std::time::Instant::now();
    let d = doctor::diagnose(&refs);
    let doctor_secs = diagnosed.elapsed().as_secs_f64();
    if args.timings {
        eprintln!(
            "doctor timings: load {load_secs:.3} s, diagnosis {doctor_secs:.3} s ({:.1}% of the load)",
            100.0 * doctor_secs / load_secs.max(1e-9)
        );
    }
    if args.json {
        print(&report::to_json_string(&d))?;
    } else if args.markdown {
        print(&doctor::findings_markdown(&d))?;
    } else {
        print(&doctor_text(&d))?;
    }
    Ok(if d.worst().is_some_and(|w| w >= fail_on) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn doctor_text(d: &crate::snapshot::doctor::Diagnosis) -> String {
    use crate::snapshot::doctor;
    let mut out = String::new();
    let files: Vec<&str> = d.snapshots.iter().map(|s| s.file.as_str()).collect();
    out.push_str(&format!("heapsight doctor: {}\n", files.join(", ")));
    for n in &d.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    if d.findings.is_empty() {
        out.push_str("\nNo findings: nothing grew and no leak pattern was seen.\n");
    }
    for (i, f) in d.findings.iter().enumerate() {
        out.push_str(&format!(
            "\n{}. [{}] {} ({})\n",
            i + 1,
            f.severity.as_str().to_uppercase(),
            f.title,
            f.kind.as_str()
        ));
        out.push_str(&format!(
            "   holder: {} `{}` @{}\n   path:   {}\n",
            f.holder.class_name,
            f.holder.name,
            f.holder.id,
            doctor::path_text(f)
        ));
        let growth: Vec<String> = f
            .growth
            .iter()
            .map(|g| {
                format!(
                    "{} ({})",
                    format::count(g.count),
                    format::bytes(g.retained_size)
                )
            })
            .collect();
        out.push_str(&format!("   growth: {} {}\n", growth.join(" -> "), f.unit));
        for h in f.held_classes.iter().take(5) {
            out.push_str(&format!(
                "   holds:  {} x{} ({})\n",
                h.class_name,
                h.count,
                format::bytes(h.retained_size)
            ));
        }
        out.push_str(&format!(
            "   why:    {}\n   fix:    {}\n",
            f.explanation, f.fix
        ));
    }
    out
}

fn signed_bytes(n: i64) -> String {
    if n < 0 {
        format!("\u{2212}{}", format::bytes(n.unsigned_abs()))
    } else {
        format!("+{}", format::bytes(n as u64))
    }
}

fn synth(args: &SynthArgs) -> anyhow::Result<ExitCode> {
    use crate::synth::FamilyMember;
    let opts = crate::synth::SynthOptions {
        target_bytes: args.size_mb * 1_000_000,
        seed: args.seed,
    };
    let files: Vec<(Option<FamilyMember>, PathBuf)> = if args.family {
        std::fs::create_dir_all(&args.out)
            .with_context(|| format!("cannot create {}", args.out.display()))?;
        FamilyMember::ALL
            .iter()
            .map(|&m| (Some(m), args.out.join(m.file_name())))
            .collect()
    } else {
        vec![(None, args.out.clone())]
    };
    for (member, path) in files {
        let started = std::time::Instant::now();
        let stats = crate::synth::write_to_path(&opts, member, &path)
            .with_context(|| format!("while writing {}", path.display()))?;
        let leak = match member {
            Some(_) => format!(", {} leakyCache entries", stats.leak_entries),
            None => String::new(),
        };
        print(&format!(
            "wrote {} ({} bytes, {} nodes, {} edges, {} strings{leak}) in {:.1} s\n",
            path.display(),
            stats.bytes,
            stats.nodes,
            stats.edges,
            stats.strings,
            started.elapsed().as_secs_f64()
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Says why a snapshot has no Allocation view.
const NO_ALLOCATION_DATA: &str = "has no allocation data: it was written without allocation tracking \
(run node with --track-heap-objects, or record \"Allocations on timeline\" with \"Allocation stack traces\" in DevTools)";

fn alloc(args: &AllocArgs) -> anyhow::Result<ExitCode> {
    let loader = Loader::new(&args.cache);
    let snap = loader.load(&args.file)?;
    if args.json {
        print(&report::to_json_string(
            &snap.allocation_report(args.top_functions, args.top_nodes),
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    if !snap.has_allocation_data() {
        print(&format!("{} {NO_ALLOCATION_DATA}\n", args.file.display()))?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(name) = &args.function {
        return alloc_function(&snap, name);
    }
    let rows = snap.allocation_functions();
    let (count, size, live_count, live_size) = rows.iter().fold((0, 0, 0, 0), |t, r| {
        (
            t.0 + r.count,
            t.1 + r.size_bytes,
            t.2 + r.live_count,
            t.3 + r.live_size_bytes,
        )
    });
    let mut out = format!(
        "{}: {} functions allocated {} objects ({}); {} of them are live ({})\n\n",
        args.file.display(),
        format::count(rows.len() as u64),
        format::count(count),
        format::bytes(size),
        format::count(live_count),
        format::bytes(live_size),
    );
    out.push_str(&format!(
        "{:<32} {:<44} {:>9} {:>10} {:>10} {:>10}\n",
        "Function", "Location", "Count", "Size", "Live Count", "Live Size"
    ));
    for row in rows.iter().take(args.top_functions) {
        let f = snap.allocation_function(row.function());
        out.push_str(&format!(
            "{:<32} {:<44} {:>9} {:>10} {:>10} {:>10}\n",
            truncate(f.display_name(), 32),
            truncate_start(&f.location_label(), 44),
            format::count(row.count),
            format::bytes(row.size_bytes),
            format::count(row.live_count),
            format::bytes(row.live_size_bytes),
        ));
    }
    if rows.len() > args.top_functions {
        out.push_str(&format!(
            "… {} more functions (--top-functions N, or --json)\n",
            rows.len() - args.top_functions
        ));
    }
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// One Allocation row as text: function, location, count, size, live count, live size.
fn alloc_row_text(snap: &Snapshot, row: &snapshot::AllocationRow) -> String {
    let f = snap.allocation_function(row.function());
    format!(
        "{} {}  count {}, size {}, live {} ({})",
        f.display_name(),
        f.location_label(),
        format::count(row.count),
        format::bytes(row.size_bytes),
        format::count(row.live_count),
        format::bytes(row.live_size_bytes),
    )
}

/// `alloc --function NAME`: each row of that name with its callers and its live objects.
fn alloc_function(snap: &Snapshot, name: &str) -> anyhow::Result<ExitCode> {
    let rows: Vec<&snapshot::AllocationRow> = snap
        .allocation_functions()
        .iter()
        .filter(|r| snap.allocation_function(r.function()).display_name() == name)
        .collect();
    if rows.is_empty() {
        bail!("no function named {name:?} allocated anything in this snapshot");
    }
    let mut out = String::new();
    for row in rows {
        out.push_str(&alloc_row_text(snap, row));
        out.push('\n');
        let callers = snap.allocation_callers(&row.path);
        for (depth, caller) in callers.single_caller_chain.iter().enumerate() {
            let arrow = if depth == 0 { "called by" } else { "  by" };
            out.push_str(&format!("  {arrow} {}\n", alloc_row_text(snap, caller)));
        }
        if !callers.branching_callers.is_empty() {
            out.push_str(&format!(
                "  then by {} callers:\n",
                callers.branching_callers.len()
            ));
            for caller in &callers.branching_callers {
                out.push_str(&format!("    {}\n", alloc_row_text(snap, caller)));
            }
        }
        let live = snap.aggregates_allocated_by(&row.path);
        if !live.classes.is_empty() {
            out.push_str("  live objects by class:\n");
            for class in live.classes.iter().take(10) {
                out.push_str(&format!(
                    "    {:<40} x{:<8} shallow {:>10}, retained {:>10}\n",
                    truncate(&class.name, 40),
                    class.count,
                    format::bytes(class.shallow_size_bytes),
                    format::bytes(class.retained_size_bytes),
                ));
            }
        }
        out.push('\n');
    }
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// Keeps the end of `s` (the file name and line of a long path).
fn truncate_start(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        s.to_owned()
    } else {
        let mut t = String::from('…');
        t.extend(s.chars().skip(n - (max - 1)));
        t
    }
}

fn profile(args: &ProfileArgs) -> anyhow::Result<ExitCode> {
    use crate::snapshot::heapprofile::HeapProfile;
    let profile = HeapProfile::load_path(&args.file)?;
    let file = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if args.json {
        print(&report::to_json_string(&profile.report(&file)))?;
        return Ok(ExitCode::SUCCESS);
    }
    let total = profile.total_size_bytes();
    let mut out = format!(
        "{}: {} sampled in {} stacks ({} samples), {} functions\n\n",
        args.file.display(),
        format::bytes(total),
        format::count(profile.node_count() as u64),
        format::count(profile.sample_count as u64),
        format::count(profile.functions.len() as u64),
    );
    out.push_str(&format!(
        "{:<32} {:<44} {:>10} {:>7} {:>10} {:>7}\n",
        "Function", "Location", "Self Size", "Self %", "Total Size", "Total %"
    ));
    for f in profile.functions.iter().take(args.top) {
        out.push_str(&format!(
            "{:<32} {:<44} {:>10} {:>7} {:>10} {:>7}\n",
            truncate(f.frame.display_name(), 32),
            truncate_start(&f.frame.location_label(), 44),
            format::bytes(f.self_size_bytes),
            format::percent(f.self_size_bytes, total),
            format::bytes(f.total_size_bytes),
            format::percent(f.total_size_bytes, total),
        ));
    }
    if profile.functions.len() > args.top {
        out.push_str(&format!(
            "… {} more functions (--top N, or --json for all)\n",
            profile.functions.len() - args.top
        ));
    }
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn redact(args: &RedactArgs) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let stats = snapshot::redact(
        &args.input,
        &args.output,
        &snapshot::RedactOptions {
            hash_names: args.hash_names,
            hash_key: args.hash_key.clone(),
            ..Default::default()
        },
        &Progress::new(),
    )?;
    let secs = started.elapsed().as_secs_f64();
    if args.json {
        let result = serde_json::json!({
            "file": args.output.display().to_string(),
            "fileBytes": stats.bytes_written,
            "nodes": stats.node_count,
            "edges": stats.edge_count,
            "redactedNodes": stats.redacted_nodes,
            "redactedTexts": stats.redacted_texts,
            "segmentedTexts": stats.segmented_texts,
            "blankedNumbers": stats.blanked_numbers,
            "emptiedUnusedStrings": stats.emptied_unused,
            "appendedStrings": stats.appended_strings,
            "hashedNames": stats.hashed_names,
            "secs": secs,
        });
        print(&format!("{result:#}\n"))?;
    } else {
        print(&format!(
            "wrote {} ({} bytes): {} string nodes redacted ({} texts, {} cut into pieces), {} numbers blanked{}, in {:.1} s\n",
            args.output.display(),
            stats.bytes_written,
            format::count(stats.redacted_nodes as u64),
            format::count(stats.redacted_texts as u64),
            stats.segmented_texts,
            stats.blanked_numbers,
            if args.hash_names {
                format!(
                    ", {} names hashed",
                    format::count(stats.hashed_names as u64)
                )
            } else {
                String::new()
            },
            secs
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn export_report(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    use crate::snapshot::export::{ExportFormat, Report, ReportRequest};
    let format = match (&args.format, &args.output) {
        (Some(text), _) => ExportFormat::parse(text)
            .with_context(|| format!("--format {text:?}: expected md, json or html"))?,
        (None, Some(out)) => ExportFormat::from_path(out).unwrap_or(ExportFormat::Markdown),
        (None, None) => ExportFormat::Markdown,
    };
    let ids: Vec<u32> = args
        .nodes
        .iter()
        .map(|n| parse_node_id(n))
        .collect::<anyhow::Result<_>>()?;
    let loader = Loader::new(&args.cache);
    let (snap, base) = match &args.base {
        Some(base) => {
            let (base, snap) = loader.load_pair(base, &args.file)?;
            (snap, Some(base))
        }
        None => (loader.load(&args.file)?, None),
    };
    let mut nodes = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(n) = snap.find_by_id(id) else {
            bail!("no node with id @{id} in {}", args.file.display());
        };
        nodes.push(n);
    }
    let diff = base.as_ref().map(|b| snapshot::diff(b, &snap));
    let request = ReportRequest {
        filter: &args.filter,
        base: base.as_deref().zip(diff.as_ref()),
        nodes: &nodes,
        statistics: true,
    };
    let text = format.render(&Report::build(&snap, &request));
    match &args.output {
        Some(out) => crate::atomic_file::write_bytes(out, text.as_bytes())
            .with_context(|| format!("cannot write {}", out.display()))?,
        None => print(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Peak resident set size of this process in bytes (Linux `VmHWM`), if known.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn bench(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let loader = Loader::new(&args.cache);
    let snap = loader.load(&args.file)?;
    let secs = started.elapsed().as_secs_f64();
    let rss = peak_rss_bytes().unwrap_or(0);
    let mem = snap.memory_usage();
    let result = serde_json::json!({
        "file": args.file.display().to_string(),
        "fileBytes": snap.file_bytes(),
        "nodes": snap.node_count(),
        "edges": snap.edge_count(),
        "classes": snap.classes().len(),
        "parseSecs": snap.timings().parse_secs,
        "analyzeSecs": snap.timings().analyze_secs,
        "loadSecs": secs,
        "peakRssBytes": rss,
        "snapshotBytes": mem.total_bytes,
        "bytesPerNode": mem.bytes_per_node,
        "bytesPerEdge": mem.bytes_per_edge,
        "stringBytes": mem.string_bytes,
    });
    if args.json {
        print(&format!("{result:#}\n"))?;
    } else {
        print(&format!(
            "file {}\n  {} nodes, {} edges, {} classes\n  load+analyze secs {:.2} (parse {:.2}, analyze {:.2})\n  peak RSS {:.2} GiB\n  snapshot in memory {:.2} GiB ({:.1} B/node, {:.1} B/edge, strings {})\n",
            args.file.display(),
            format::count(snap.node_count() as u64),
            format::count(snap.edge_count() as u64),
            snap.classes().len(),
            secs,
            snap.timings().parse_secs,
            snap.timings().analyze_secs,
            rss as f64 / f64::from(1u32 << 30),
            mem.total_bytes as f64 / f64::from(1u32 << 30),
            mem.bytes_per_node,
            mem.bytes_per_edge,
            format::bytes(mem.string_bytes),
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}
