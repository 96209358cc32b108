//! Will a snapshot fit? Loading estimates its peak memory from the header's `node_count` and
//! `edge_count` (which V8 writes first, before the arrays) and stops with
//! [`ErrorKind::TooBig`] before allocating anything when the machine does not have that much
//! available: a clear error instead of an OOM kill or a swap storm.
//!
//! The estimate is per node and per edge, calibrated against the peak RSS of loading
//! generated snapshots (`heapsight synth`, see [`PEAK_BYTES_PER_NODE`]). The available figure
//! is Linux's `MemAvailable`, lowered to what the process's cgroup still allows (`memory.max`
//! or, on cgroup v1, `memory.limit_in_bytes`, minus the group's usage other than reclaimable
//! page cache). Elsewhere nothing is checked.
//!
//! Overrides: `HEAPSIGHT_IGNORE_MEMORY_CHECK=1` (or [`disable_memory_check`], which the
//! `--ignore-memory-check` flag calls) skips the check; [`LoadOptions`] can skip it or give
//! the available figure, and so can `HEAPSIGHT_AVAILABLE_MEMORY=BYTES` (for tests).

use std::sync::atomic::{AtomicBool, Ordering};

use super::error::{ErrorKind, Result};
use super::meta::Meta;

/// Peak bytes per node of loading and analysing: the ~43.5 bytes per node a loaded snapshot
/// keeps (see the crate's memory layout; the peak is about the loaded snapshot itself, as the
/// dominator pass's temporaries take the place of the dominator tree, retained sizes and
/// Summary rows that follow it) plus a share of the strings, the allocation locations and the
/// allocator's slack. Calibrated on the release build with `/usr/bin/time heapsight bench
/// --no-cache FILE` (maximum resident set size, the largest of the runs):
///
/// | file | nodes | edges | peak RSS | estimate |
/// |---|---|---|---|---|
/// | `heapsight synth 300` | 4.61 M | 12.92 M | 418 MB | 453 MB (+8 %) |
/// | make-big.js, 1.1 GB | 15.55 M | 46.99 M | 1347 MB | 1409 MB (+5 %) |
/// | make-big.js, 2.2 GB | 31.12 M | 93.98 M | 2652 MB | 2751 MB (+4 %) |
/// | `heapsight synth 4000` | 58.89 M | 164.91 M | 4812 MB | 4990 MB (+4 %) |
/// | `heapsight synth 8000` | 116.59 M | 326.51 M | 9225 MB | 9815 MB (+6 %) |
pub const PEAK_BYTES_PER_NODE: u64 = 50;

/// Peak bytes per edge: the 12 bytes per edge a loaded snapshot keeps (type and name packed
/// in one `u32`, target, retainer) plus the essential-edge flags (see
/// [`PEAK_BYTES_PER_NODE`] for the calibration).
pub const PEAK_BYTES_PER_EDGE: u64 = 12;

/// Bytes any load needs whatever its size (read-ahead chunks, threads, the string table's
/// first block).
pub const BASE_BYTES: u64 = 64 << 20;

/// Peak bytes per node and per edge of reading the columns only (no analysis), as the
/// redactor does.
const PARSE_BYTES_PER_NODE: u64 = 22;
const PARSE_BYTES_PER_EDGE: u64 = 8;

/// Set by [`disable_memory_check`].
static DISABLED: AtomicBool = AtomicBool::new(false);

/// How a load treats the memory check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadOptions {
    /// Check up front that the snapshot fits in the memory available (default true; off
    /// anyway when `HEAPSIGHT_IGNORE_MEMORY_CHECK` is set or [`disable_memory_check`] was
    /// called).
    pub memory_check: bool,
    /// The memory available, in bytes, instead of asking the operating system.
    pub available_memory_bytes: Option<u64>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            memory_check: true,
            available_memory_bytes: None,
        }
    }
}

/// Turns the memory check off for every later load of this process (the
/// `--ignore-memory-check` flag).
pub fn disable_memory_check() {
    DISABLED.store(true, Ordering::Relaxed);
}

fn check_disabled() -> bool {
    DISABLED.load(Ordering::Relaxed)
        || std::env::var_os("HEAPSIGHT_IGNORE_MEMORY_CHECK")
            .is_some_and(|v| !v.is_empty() && v != "0")
}

/// Estimated peak memory, in bytes, of loading and analysing a snapshot of `node_count`
/// nodes and `edge_count` edges (saturating: absurd header counts give a huge figure).
pub fn estimate_load_bytes(node_count: u64, edge_count: u64) -> u64 {
    node_count
        .saturating_mul(PEAK_BYTES_PER_NODE)
        .saturating_add(edge_count.saturating_mul(PEAK_BYTES_PER_EDGE))
        .saturating_add(BASE_BYTES)
}

/// Estimated peak memory of reading the columns only (the redactor's first pass).
pub(crate) fn estimate_parse_bytes(node_count: u64, edge_count: u64) -> u64 {
    node_count
        .saturating_mul(PARSE_BYTES_PER_NODE)
        .saturating_add(edge_count.saturating_mul(PARSE_BYTES_PER_EDGE))
        .saturating_add(BASE_BYTES)
}

/// The memory this process can still use, in bytes: `HEAPSIGHT_AVAILABLE_MEMORY` if set,
/// else (Linux) `MemAvailable` lowered to the cgroup's remaining allowance; None when
/// unknown (other platforms).
pub fn available_memory_bytes() -> Option<u64> {
    if let Ok(text) = std::env::var("HEAPSIGHT_AVAILABLE_MEMORY") {
        match text.trim().parse() {
            Ok(bytes) => return Some(bytes),
            Err(_) => {
                log::warn!("ignoring HEAPSIGHT_AVAILABLE_MEMORY={text:?}: not a number of bytes")
            }
        }
    }
    os_available_bytes()
}

#[cfg(target_os = "linux")]
fn os_available_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let available = meminfo_kib(&meminfo, "MemAvailable:")?.saturating_mul(1024);
    Some(match cgroup_available_bytes() {
        Some(cgroup) => available.min(cgroup),
        None => available,
    })
}

#[cfg(not(target_os = "linux"))]
fn os_available_bytes() -> Option<u64> {
    None
}

/// The value in kiB of a `/proc/meminfo` line starting with `key`.
fn meminfo_kib(meminfo: &str, key: &str) -> Option<u64> {
    meminfo
        .lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// What the process's memory cgroup still allows (limit minus usage that is not reclaimable
/// page cache), if it has a limit.
#[cfg(target_os = "linux")]
fn cgroup_available_bytes() -> Option<u64> {
    let groups = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    // (directory, limit file, usage file, the reclaimable-cache key of memory.stat)
    let mut candidates: Vec<(String, &str, &str, &str)> = Vec::new();
    for line in groups.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if controllers.is_empty() {
            // cgroup v2.
            for dir in [format!("/sys/fs/cgroup{path}"), "/sys/fs/cgroup".to_owned()] {
                candidates.push((dir, "memory.max", "memory.current", "inactive_file"));
            }
        } else if controllers.split(',').any(|c| c == "memory") {
            for dir in [
                format!("/sys/fs/cgroup/memory{path}"),
                "/sys/fs/cgroup/memory".to_owned(),
            ] {
                candidates.push((
                    dir,
                    "memory.limit_in_bytes",
                    "memory.usage_in_bytes",
                    "total_inactive_file",
                ));
            }
        }
    }
    candidates
        .into_iter()
        .find_map(|(dir, limit, usage, cache_key)| {
            let read = |file: &str| std::fs::read_to_string(format!("{dir}/{file}")).ok();
            let limit: u64 = read(limit)?.trim().parse().ok()?;
            // "max" (v2) does not parse; v1 says "no limit" with a number near 2^63.
            if limit >= 1 << 60 {
                return None;
            }
            let usage: u64 = read(usage)?.trim().parse().ok()?;
            let cache: u64 = read("memory.stat")
                .and_then(|stat| {
                    stat.lines()
                        .find_map(|l| l.strip_prefix(cache_key)?.trim().parse().ok())
                })
                .unwrap_or(0);
            Some(limit.saturating_sub(usage.saturating_sub(cache)))
        })
}

/// What loading needs: a whole analysis, or the columns only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Need {
    Load,
    ParseOnly,
}

/// Fails with [`ErrorKind::TooBig`] when the snapshot `meta` describes needs more memory
/// than is available. Called as soon as the header is read, before any column exists.
pub(crate) fn check(meta: &Meta, options: &LoadOptions, need: Need) -> Result<()> {
    if !options.memory_check || check_disabled() {
        return Ok(());
    }
    let (nodes, edges) = (meta.header_node_count, meta.header_edge_count);
    let needed_bytes = match need {
        Need::Load => estimate_load_bytes(nodes, edges),
        Need::ParseOnly => estimate_parse_bytes(nodes, edges),
    };
    let Some(available_bytes) = options
        .available_memory_bytes
        .or_else(available_memory_bytes)
    else {
        return Ok(());
    };
    if needed_bytes > available_bytes {
        return Err(ErrorKind::TooBig {
            needed_bytes,
            available_bytes,
            node_count: nodes,
            edge_count: edges,
        }
        .into());
    }
    Ok(())
}

/// `14.2 GiB`, `512.0 MiB`: binary units, as the operating system's tools show memory.
pub(crate) fn gib(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= f64::from(1u32 << 30) {
        format!("{:.1} GiB", b / f64::from(1u32 << 30))
    } else {
        format!("{:.1} MiB", b / f64::from(1u32 << 20))
    }
}

/// `58.9 M`, `12.3 k`, `17`: a count in a sentence.
pub(crate) fn short_count(n: u64) -> String {
    let x = n as f64;
    if n >= 1_000_000_000 {
        format!("{:.1} G", x / 1e9)
    } else if n >= 1_000_000 {
        format!("{:.1} M", x / 1e6)
    } else if n >= 10_000 {
        format!("{:.1} k", x / 1e3)
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_grows_with_nodes_and_edges_and_saturates() {
        let small = estimate_load_bytes(1000, 3000);
        assert!(small >= BASE_BYTES);
        assert!(estimate_load_bytes(2000, 3000) > small);
        assert!(estimate_load_bytes(1000, 4000) > small);
        assert_eq!(estimate_load_bytes(u64::MAX, u64::MAX), u64::MAX);
        // The parse-only estimate is below the full one.
        assert!(estimate_parse_bytes(1 << 20, 3 << 20) < estimate_load_bytes(1 << 20, 3 << 20));
    }

    #[test]
    fn meminfo_lines_are_read_in_kib() {
        let meminfo = "MemTotal:       24000000 kB\nMemAvailable:   12345 kB\n";
        assert_eq!(meminfo_kib(meminfo, "MemAvailable:"), Some(12345));
        assert_eq!(meminfo_kib(meminfo, "SwapFree:"), None);
    }

    #[test]
    fn units() {
        assert_eq!(gib(15_247_133_696), "14.2 GiB");
        assert_eq!(gib(3 << 20), "3.0 MiB");
        assert_eq!(short_count(58_900_000), "58.9 M");
        assert_eq!(short_count(2_000_000_000), "2.0 G");
        assert_eq!(short_count(999), "999");
    }
}
