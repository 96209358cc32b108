//! The `heapsight` binary: the desktop app by default, headless subcommands otherwise.

use std::process::ExitCode;

use clap::Parser as _;
use heapsight::cli::{self, Cli};

#[global_allocator]
static ALLOCATOR: heapsight::alloc::HugePageAlloc = heapsight::alloc::HugePageAlloc;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .format_timestamp_millis()
        .init();
    let cli = Cli::parse();
    if cli.ignore_memory_check {
        heapsight::snapshot::disable_memory_check();
    }
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("heapsight: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Some(command) = cli.command {
        return cli::run(command);
    }
    run_gui(cli)
}

#[cfg(feature = "gui")]
fn run_gui(cli: Cli) -> anyhow::Result<ExitCode> {
    // The command line is the binary's business: the app only receives its options.
    heapsight::app::run(heapsight::app::StartOptions {
        screenshot: cli.screenshot,
        view: cli.view,
        select: cli.select,
        summary_filter: cli.summary_filter,
        compare_ab: cli.compare_ab,
        attach: cli.attach,
        cache: Some(if cli.no_cache {
            heapsight::snapshot::cache::CacheConfig::disabled()
        } else {
            heapsight::snapshot::cache::CacheConfig::from_env()
        }),
        ..heapsight::app::StartOptions::for_files(cli.files)
    })
}

#[cfg(not(feature = "gui"))]
fn run_gui(_cli: Cli) -> anyhow::Result<ExitCode> {
    anyhow::bail!(
        "this build has no GUI (built without the `gui` feature); use a subcommand, see --help"
    )
}
