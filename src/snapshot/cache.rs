//! The persisted index: a loaded snapshot's derived arrays written to a cache file, so that
//! reopening the unchanged file maps them instead of parsing and analyzing it again.
//!
//! # Where and when
//! One file per snapshot, `<dir>/<hash of the canonical path>.hsidx`, where `<dir>` is
//! `$HEAPSIGHT_CACHE_DIR`, else `$XDG_CACHE_HOME/heapsight`, else the platform's cache folder
//! (`~/.cache/heapsight`, `~/Library/Caches/heapsight`, `%LOCALAPPDATA%\heapsight`).
//! `HEAPSIGHT_NO_CACHE=1` (or [`CacheConfig::disabled`], the CLI's `--no-cache`) turns it
//! off. [`super::load_path_cached`] reads it; after a fresh load, [`store_in_background`]
//! writes it on a named thread once the caller holds the snapshot (so the Summary is shown
//! before the index is written), through `<name>.part` renamed into place, so a reader
//! never sees half a file. Then the oldest entries (by modification time, which a hit
//! refreshes) are removed until the folder is under [`CacheConfig::max_bytes`], with any
//! `.part` left for over an hour by a writer whose process exited. Any I/O
//! error (read-only or full folder) is logged at debug level and costs only the speed-up.
//!
//! # Format (version [`FORMAT_VERSION`], native byte order)
//! ```text
//! 0   magic  b"HSIDX\0\r\n"
//! 8   u32    format version
//! 12  u32    0x0102_0304 (byte-order check)
//! 16  u64    header length H (JSON)
//! 24  u64    total file length
//! 32  u32    CRC-32 of the header JSON
//! 36  u32    0
//! 40  H      header JSON: crate version, source key, section table
//!     ...    zero padding to a multiple of 64: the data start D
//! D + offset sections, each at a multiple of 64, each with its length and CRC-32
//! ```
//! The source key is the snapshot's canonical path, size and modification time (ns): a
//! file that changed since the index was written (any of the three) is loaded afresh and
//! its index replaced, never read. The section `small` is JSON (meta, Summary rows,
//! statistics, interfaces, ephemeron names); every other section is one column as raw
//! integers, mapped with memmap2 and viewed through [`Column`] without copying.
//!
//! # What is checked, and when
//! Before anything is mapped: magic, versions, byte order, the total length against the
//! file's (a truncated file is rejected here), the header's CRC, the source key, and every
//! section's bounds and alignment. Then *every* section's CRC-32 is verified, in parallel
//! chunks read with positioned reads (`pread`), not through the map: verification reads
//! every byte once from the page cache (0.45 s for the 1.84 GB index of a 1.1 GB snapshot on
//! two shared cores: the copy out of the page cache costs more than the CRC), but those
//! reads do not become resident pages of the process, so a Summary still pages in only the
//! columns it uses. Checking lazily (big sections on first use, or in the background) would
//! save most of that time, but a section that fails after the snapshot was handed out
//! could no longer be replaced by a fresh load, so every check comes first. Any failure rejects the whole index (logged at debug), the snapshot is
//! loaded afresh and a new index written. Nothing of an index is used before all of it has
//! passed. Structural checks beyond the CRCs are limited to column lengths: the file was
//! written by this crate's own [`store`], and an out-of-range index in a forged file that
//! passes the CRCs panics (bounds checks) rather than reading out of bounds.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, UNIX_EPOCH};

use memmap2::Mmap;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::aggregate::{Aggregates, ClassAggregate, Location, NodeClasses, Statistics};
use super::column::Column;
use super::dict::{ClassIndex, Codes, Locations};
use super::dominators::{Dominated, RetainedSizes};
use super::edge_kinds::EdgeKinds;
use super::id_index::IdIndex;
use super::meta::Meta;
use super::names::{InterfaceDefinition, WeakMapEdges};
use super::narrow::Narrow16;
use super::progress::Progress;
use super::strings::StringTable;
use super::{Snapshot, Timings};

/// Version of the index format; bump it whenever the layout or any section's meaning
/// changes (indexes of another version are rebuilt).
pub const FORMAT_VERSION: u32 = 5;

const MAGIC: [u8; 8] = *b"HSIDX\0\r\n";
const BYTE_ORDER: u32 = 0x0102_0304;
const PREFIX_LEN: usize = 40;
const ALIGN: u64 = 64;
/// Headers are a few KB; anything much larger is not ours.
const MAX_HEADER_LEN: u64 = 1 << 24;
/// Verification chunk: big enough to amortize a read, small enough to spread over cores.
const CHUNK_BYTES: u64 = 8 << 20;
/// Default size cap of the cache folder.
pub const DEFAULT_MAX_BYTES: u64 = 16 << 30;
const EXTENSION: &str = "hsidx";
/// A `.part` file older than this is a writer's leftover (writing takes seconds).
const STALE_PART: std::time::Duration = std::time::Duration::from_secs(3600);

/// Where (and whether) persisted indexes are read and written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheConfig {
    dir: Option<PathBuf>,
    max_bytes: u64,
}

impl CacheConfig {
    /// The folder and switches from the environment: `HEAPSIGHT_NO_CACHE=1` disables;
    /// `HEAPSIGHT_CACHE_DIR` overrides the folder; `HEAPSIGHT_CACHE_MAX_MB` the size cap.
    /// Otherwise `$XDG_CACHE_HOME/heapsight` or the platform's cache folder.
    pub fn from_env() -> Self {
        let max_bytes = std::env::var("HEAPSIGHT_CACHE_MAX_MB")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(DEFAULT_MAX_BYTES, |mb| mb.saturating_mul(1 << 20));
        let disabled =
            std::env::var_os("HEAPSIGHT_NO_CACHE").is_some_and(|v| !v.is_empty() && v != "0");
        let dir = if disabled {
            None
        } else {
            std::env::var_os("HEAPSIGHT_CACHE_DIR")
                .filter(|d| !d.is_empty())
                .map(PathBuf::from)
                .or_else(default_dir)
        };
        Self { dir, max_bytes }
    }

    /// No cache: every load parses the file, nothing is written.
    pub fn disabled() -> Self {
        Self {
            dir: None,
            max_bytes: 0,
        }
    }

    /// Indexes in `dir` (created when first written), with the default size cap.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: Some(dir.into()),
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }

    /// The same with another size cap for the folder, in bytes.
    #[must_use]
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// The cache folder, or None when caching is off.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The size cap of the folder, in bytes.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// The index file `source` would have (whether or not it exists).
    pub fn index_path(&self, source: &SourceKey) -> Option<PathBuf> {
        let dir = self.dir.as_deref()?;
        Some(dir.join(format!(
            "{:016x}.{EXTENSION}",
            fnv1a64(source.path.as_bytes())
        )))
    }
}

/// The platform's cache folder for heapsight.
fn default_dir() -> Option<PathBuf> {
    let home = || {
        std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
    };
    if cfg!(target_os = "macos") {
        return home().map(|h| h.join("Library/Caches/heapsight"));
    }
    if cfg!(windows) {
        return std::env::var_os("LOCALAPPDATA").map(|d| PathBuf::from(d).join("heapsight"));
    }
    std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(".cache")))
        .map(|d| d.join("heapsight"))
}

/// FNV-1a, 64 bits: a stable file name for a path (not a security boundary: the header
/// holds the full key).
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What identifies the snapshot file an index was built from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceKey {
    /// Canonical path, lossily as UTF-8.
    pub path: String,
    /// Size in bytes.
    pub size_bytes: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: u128,
}

impl SourceKey {
    /// The key of the file at `path` as it is now.
    pub fn of(path: &Path) -> io::Result<Self> {
        let canonical = std::fs::canonicalize(path)?;
        let metadata = std::fs::metadata(&canonical)?;
        let mtime_ns = metadata
            .modified()?
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Ok(Self {
            path: canonical.to_string_lossy().into_owned(),
            size_bytes: metadata.len(),
            mtime_ns,
        })
    }
}

/// The header JSON.
#[derive(Debug, Serialize, Deserialize)]
struct Header {
    crate_version: String,
    source: SourceKey,
    sections: Vec<Section>,
}

/// One entry of the section table; `offset` is relative to the data start.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Section {
    name: String,
    offset: u64,
    len_bytes: u64,
    crc32: u32,
}

/// The `small` section: everything that is not a column.
#[derive(Serialize, Deserialize)]
struct Small {
    meta: Meta,
    classes: Vec<ClassAggregate>,
    statistics: Statistics,
    interfaces: Vec<InterfaceDefinition>,
    interface_names: HashMap<String, u32>,
    weak_maps: WeakMapEdges,
    unreachable_count: usize,
    /// The retained sizes that do not fit the `retained` column's 4 bytes.
    retained_large: Vec<(u32, u64)>,
    /// The self sizes the `self_size` column's 2-byte codes do not hold ([`Narrow16`]).
    self_size_large: Vec<(u32, u32)>,
    /// The distances the `distance` column's 2-byte codes do not hold.
    distance_large: Vec<(u32, i32)>,
    /// [`IdIndex::all`].
    ids_all_out_of_order: bool,
    /// True when `node_class` holds `u16`s ([`NodeClasses::Narrow`]).
    node_class_narrow: bool,
    /// [`ClassIndex::names`]; `class_codes` holds `u16`s when `class_codes_narrow`.
    class_names: Vec<u32>,
    class_codes_narrow: bool,
    /// [`Locations::table`]; `location_codes` holds `u16`s when `location_codes_narrow`.
    location_table: Vec<Location>,
    location_codes_narrow: bool,
    /// True when the edges' types and names are one packed column, `edge_kinds`
    /// ([`EdgeKinds::Packed`]), rather than `edge_type` and `edge_name`.
    edges_packed: bool,
    node_count: usize,
    edge_count: usize,
}

/// Why an index was not used (logged at debug level, never shown as an error).
#[derive(Debug)]
enum Reject {
    Io(io::Error),
    Invalid(String),
}

impl From<io::Error> for Reject {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl std::fmt::Display for Reject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(e) => write!(f, "{e}"),
            Self::Invalid(why) => f.write_str(why),
        }
    }
}

fn invalid(why: impl Into<String>) -> Reject {
    Reject::Invalid(why.into())
}

/// Every column section of a snapshot: (name, bytes).
fn columns_of(snap: &Snapshot) -> Vec<(&'static str, &[u8])> {
    let (text, ends) = snap.strings.columns();
    let edge_kinds: Vec<(&'static str, &[u8])> = match &snap.edge_kinds {
        EdgeKinds::Packed(packed) => vec![("edge_kinds", bytemuck::cast_slice(packed))],
        EdgeKinds::Wide { ty, name } => vec![
            ("edge_type", bytemuck::cast_slice(ty)),
            ("edge_name", bytemuck::cast_slice(name)),
        ],
    };
    let mut columns = vec![
        ("strings.text", bytemuck::cast_slice(text)),
        ("strings.ends", bytemuck::cast_slice(ends)),
        ("node_type", bytemuck::cast_slice(&snap.node_type)),
        ("node_name", bytemuck::cast_slice(&snap.node_name)),
        ("node_id", bytemuck::cast_slice(&snap.node_id)),
        ("self_size", bytemuck::cast_slice(snap.self_size.parts().0)),
        ("detachedness", bytemuck::cast_slice(&snap.detachedness)),
        ("first_edge", bytemuck::cast_slice(&snap.first_edge)),
        ("edge_to", bytemuck::cast_slice(&snap.edge_to)),
        ("first_retainer", bytemuck::cast_slice(&snap.first_retainer)),
        ("retainer_edge", bytemuck::cast_slice(&snap.retainer_edge)),
        ("distance", bytemuck::cast_slice(snap.distance.parts().0)),
        ("dominator", bytemuck::cast_slice(&snap.dominator)),
        ("retained", bytemuck::cast_slice(&snap.retained.small)),
        ("dominated.has", bytemuck::cast_slice(&snap.dominated.has)),
        ("dominated.rank", bytemuck::cast_slice(&snap.dominated.rank)),
        (
            "dominated.starts",
            bytemuck::cast_slice(&snap.dominated.starts),
        ),
        (
            "dominated.nodes",
            bytemuck::cast_slice(&snap.dominated.nodes),
        ),
        ("class_codes", snap.class_index.codes.bytes().0),
        (
            "location_nodes",
            bytemuck::cast_slice(&snap.locations.nodes),
        ),
        ("location_codes", snap.locations.codes.bytes().0),
        ("members", bytemuck::cast_slice(&snap.aggregates.members)),
        ("node_class", snap.aggregates.node_class.bytes().0),
        ("by_id", bytemuck::cast_slice(&snap.by_id.by_id)),
        (
            "id_out_of_order",
            bytemuck::cast_slice(&snap.by_id.out_of_order),
        ),
    ];
    columns.extend(edge_kinds);
    columns
}

/// True when the snapshot can be persisted: allocation traces and timeline samples are not
/// in the format yet, so such snapshots are always loaded from their file.
pub fn is_cacheable(snap: &Snapshot) -> bool {
    snap.trace.is_none() && snap.samples.is_empty() && snap.trace_node_id.is_empty()
}

fn align_up(n: u64) -> u64 {
    n.div_ceil(ALIGN) * ALIGN
}

/// Writes the index of `snap` (loaded from the file `source` names) now, on this thread,
/// then applies the size cap. Returns the index's path. Prefer [`store_in_background`].
pub fn store(config: &CacheConfig, snap: &Snapshot, source: &SourceKey) -> io::Result<PathBuf> {
    let started = Instant::now();
    let Some(path) = config.index_path(source) else {
        return Err(io::Error::other("the cache is disabled"));
    };
    if !is_cacheable(snap) {
        return Err(io::Error::other(
            "snapshots with allocation traces or samples are not cached",
        ));
    }
    let small = serde_json::to_vec(&Small {
        meta: snap.meta.clone(),
        classes: snap.aggregates.classes.clone(),
        statistics: snap.statistics.clone(),
        interfaces: snap.interfaces.clone(),
        interface_names: snap.interface_names.clone(),
        weak_maps: snap.weak_maps.clone(),
        unreachable_count: snap.unreachable_count,
        retained_large: snap.retained.large.clone(),
        self_size_large: snap.self_size.parts().1.to_vec(),
        distance_large: snap.distance.parts().1.to_vec(),
        ids_all_out_of_order: snap.by_id.all,
        node_class_narrow: snap.aggregates.node_class.bytes().1,
        class_names: snap.class_index.names.clone(),
        class_codes_narrow: snap.class_index.codes.bytes().1,
        location_table: snap.locations.table.clone(),
        location_codes_narrow: snap.locations.codes.bytes().1,
        edges_packed: snap.edge_kinds.is_packed(),
        node_count: snap.node_count(),
        edge_count: snap.edge_count(),
    })
    .map_err(io::Error::other)?;
    let mut parts: Vec<(&str, &[u8])> = vec![("small", &small)];
    parts.extend(columns_of(snap));
    let crcs: Vec<u32> = parts.par_iter().map(|(_, bytes)| crc32(bytes)).collect();
    let mut sections = Vec::with_capacity(parts.len());
    let mut offset = 0u64;
    for ((name, bytes), crc32) in parts.iter().zip(crcs) {
        sections.push(Section {
            name: (*name).to_owned(),
            offset,
            len_bytes: bytes.len() as u64,
            crc32,
        });
        offset = align_up(offset + bytes.len() as u64);
    }
    let header = serde_json::to_vec(&Header {
        crate_version: env!("CARGO_PKG_VERSION").to_owned(),
        source: source.clone(),
        sections,
    })
    .map_err(io::Error::other)?;
    let data_start = align_up((PREFIX_LEN + header.len()) as u64);
    let total_len = data_start + offset;
    if total_len > config.max_bytes {
        return Err(io::Error::other(format!(
            "the index ({total_len} bytes) is larger than the cache's size cap ({} bytes)",
            config.max_bytes
        )));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    crate::atomic_file::write_via_part(&path, |w| {
        let mut prefix = Vec::with_capacity(PREFIX_LEN);
        prefix.extend_from_slice(&MAGIC);
        prefix.extend_from_slice(&FORMAT_VERSION.to_ne_bytes());
        prefix.extend_from_slice(&BYTE_ORDER.to_ne_bytes());
        prefix.extend_from_slice(&(header.len() as u64).to_ne_bytes());
        prefix.extend_from_slice(&total_len.to_ne_bytes());
        prefix.extend_from_slice(&crc32(&header).to_ne_bytes());
        prefix.extend_from_slice(&0u32.to_ne_bytes());
        w.write_all(&prefix)?;
        w.write_all(&header)?;
        let mut written = (PREFIX_LEN + header.len()) as u64;
        let zeros = [0u8; ALIGN as usize];
        for (_, bytes) in &parts {
            let pad = align_up(written) - written;
            w.write_all(&zeros[..pad as usize])?;
            w.write_all(bytes)?;
            written = align_up(written) + bytes.len() as u64;
        }
        let pad = total_len - written;
        w.write_all(&zeros[..pad as usize])
    })?;
    log::debug!(
        "wrote the index {} ({total_len} bytes) in {:.2} s",
        path.display(),
        started.elapsed().as_secs_f64()
    );
    if let Some(dir) = path.parent() {
        evict(dir, config.max_bytes, &path);
    }
    Ok(path)
}

/// Removes the oldest indexes (by modification time) of `dir` until their total size is
/// at most `max_bytes`; `keep` is removed last.
fn evict(dir: &Path, max_bytes: u64, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut indexes: Vec<(std::time::SystemTime, u64, PathBuf)> = entries
        .filter_map(|e| {
            let e = e.ok()?;
            let path = e.path();
            let m = e.metadata().ok()?;
            if path.extension().is_some_and(|x| x == "part") {
                // A writer that was stopped (the process exited) leaves its `.part`.
                let age = m.modified().ok()?.elapsed().ok()?;
                if age > STALE_PART {
                    std::fs::remove_file(&path).ok();
                }
                return None;
            }
            if path.extension().is_none_or(|x| x != EXTENSION) {
                return None;
            }
            Some((m.modified().ok()?, m.len(), path))
        })
        .collect();
    let mut total: u64 = indexes.iter().map(|i| i.1).sum();
    indexes.sort_by_key(|(mtime, _, path)| (path == keep, *mtime));
    for (_, len, path) in indexes {
        if total <= max_bytes {
            break;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => {
                log::debug!("evicted the index {}", path.display());
                total -= len;
            }
            Err(err) => log::debug!("cannot evict {}: {err}", path.display()),
        }
    }
}

/// Writes the index of `snap` on a named background thread, if the cache is on and the
/// snapshot was loaded from its file by [`super::load_path_cached`] (not from an index).
/// Failures are logged at debug level. Join the handle before the process exits (the CLI
/// does after printing), or drop it to let the write finish on its own.
pub fn store_in_background(
    config: &CacheConfig,
    snap: Arc<Snapshot>,
) -> Option<std::thread::JoinHandle<()>> {
    config.dir.as_ref()?;
    let source = snap.cache_source.clone()?;
    if !is_cacheable(&snap) {
        return None;
    }
    let config = config.clone();
    let spawned = std::thread::Builder::new()
        .name("heapsight-index-writer".to_owned())
        .spawn(move || {
            if let Err(err) = store(&config, &snap, &source) {
                log::debug!("the index of {} was not written: {err}", source.path);
            }
        });
    match spawned {
        Ok(handle) => Some(handle),
        Err(err) => {
            log::debug!("cannot start the index writer: {err}");
            None
        }
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(bytes);
    h.finalize()
}

/// Reads `buf.len()` bytes at `offset` without moving a shared file position.
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let mut done = 0;
        while done < buf.len() {
            let n = std::os::windows::fs::FileExt::seek_read(
                file,
                &mut buf[done..],
                offset + done as u64,
            )?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            done += n;
        }
        Ok(())
    }
}

/// CRC-32 of `len` bytes at `offset`, read in parallel chunks and combined in order.
fn crc32_at(file: &File, offset: u64, len: u64) -> io::Result<u32> {
    let chunks: Vec<(u64, u64)> = (0..len.div_ceil(CHUNK_BYTES))
        .map(|i| {
            (
                offset + i * CHUNK_BYTES,
                CHUNK_BYTES.min(len - i * CHUNK_BYTES),
            )
        })
        .collect();
    let hashers = chunks
        .par_iter()
        .map_init(Vec::new, |buf, &(at, n)| {
            buf.resize(n as usize, 0);
            read_at(file, buf, at)?;
            let mut h = crc32fast::Hasher::new();
            h.update(buf);
            Ok(h)
        })
        .collect::<io::Result<Vec<_>>>()?;
    let mut all = crc32fast::Hasher::new();
    for h in &hashers {
        all.combine(h);
    }
    Ok(all.finalize())
}

/// Opens the index of `source` if there is a valid one: see the module docs for the
/// checks. `Ok(None)` when there is no index; `Err` when there is one that must not be used.
fn open_index(
    config: &CacheConfig,
    source: &SourceKey,
    display_path: PathBuf,
    progress: &Progress,
) -> Result<Option<Snapshot>, Reject> {
    let started = Instant::now();
    let Some(index) = config.index_path(source) else {
        return Ok(None);
    };
    let mut file = match File::open(&index) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    progress.set_phase("Opening the index");
    let file_len = file.metadata()?.len();
    let mut prefix = [0u8; PREFIX_LEN];
    file.read_exact(&mut prefix)
        .map_err(|_| invalid("shorter than its header"))?;
    let u32_at =
        |i: usize| u32::from_ne_bytes([prefix[i], prefix[i + 1], prefix[i + 2], prefix[i + 3]]);
    let u64_at = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&prefix[i..i + 8]);
        u64::from_ne_bytes(b)
    };
    if prefix[..8] != MAGIC {
        return Err(invalid("not a heapsight index"));
    }
    if u32_at(8) != FORMAT_VERSION || u32_at(12) != BYTE_ORDER {
        return Err(invalid("another format version or byte order"));
    }
    let (header_len, total_len, header_crc) = (u64_at(16), u64_at(24), u32_at(32));
    if total_len != file_len {
        return Err(invalid(format!(
            "truncated or extended: {file_len} bytes, the header says {total_len}"
        )));
    }
    if header_len > MAX_HEADER_LEN || PREFIX_LEN as u64 + header_len > file_len {
        return Err(invalid("header length out of range"));
    }
    let mut header_bytes = vec![0u8; header_len as usize];
    file.read_exact(&mut header_bytes)?;
    if crc32(&header_bytes) != header_crc {
        return Err(invalid("header checksum mismatch"));
    }
    let header: Header =
        serde_json::from_slice(&header_bytes).map_err(|e| invalid(format!("header: {e}")))?;
    if header.crate_version != env!("CARGO_PKG_VERSION") {
        return Err(invalid(format!(
            "written by heapsight {}",
            header.crate_version
        )));
    }
    if header.source != *source {
        return Err(invalid(
            "the snapshot file changed since the index was written",
        ));
    }
    let data_start = align_up(PREFIX_LEN as u64 + header_len);
    let mut ranges: HashMap<&str, (std::ops::Range<usize>, u32)> = HashMap::new();
    for s in &header.sections {
        let start = data_start
            .checked_add(s.offset)
            .filter(|start| start % ALIGN == 0)
            .ok_or_else(|| invalid(format!("section {} misaligned", s.name)))?;
        let end = start
            .checked_add(s.len_bytes)
            .filter(|&end| end <= file_len)
            .ok_or_else(|| invalid(format!("section {} past the end of the file", s.name)))?;
        ranges.insert(&s.name, (start as usize..end as usize, s.crc32));
    }
    // Every section's checksum, before anything is used.
    let verify_started = Instant::now();
    let mut parts: Vec<(&str, std::ops::Range<usize>, u32)> = ranges
        .iter()
        .map(|(name, (range, crc))| (*name, range.clone(), *crc))
        .collect();
    parts.sort_by_key(|p| p.1.start);
    for (name, range, crc) in &parts {
        if crc32_at(&file, range.start as u64, range.len() as u64)? != *crc {
            return Err(invalid(format!("section {name}: checksum mismatch")));
        }
    }
    let verify_secs = verify_started.elapsed().as_secs_f64();
    let section = |name: &str| {
        ranges
            .get(name)
            .map(|(r, _)| r.clone())
            .ok_or_else(|| invalid(format!("no section {name}")))
    };
    let small_range = section("small")?;
    let mut small_bytes = vec![0u8; small_range.len()];
    read_at(&file, &mut small_bytes, small_range.start as u64)?;
    let small: Small =
        serde_json::from_slice(&small_bytes).map_err(|e| invalid(format!("section small: {e}")))?;
    drop(small_bytes);
    let map = Arc::new(map_file(&file)?);
    if map.len() as u64 != file_len {
        return Err(invalid("the index changed while it was opened"));
    }
    let (nodes, edges) = (small.node_count, small.edge_count);
    macro_rules! column {
        ($name:expr, $len:expr) => {{
            let range = section($name)?;
            let column = Column::mapped(Arc::clone(&map), range)
                .ok_or_else(|| invalid(format!("section {} misaligned", $name)))?;
            let expected: Option<usize> = $len;
            if expected.is_some_and(|n| n != column.len()) {
                return Err(invalid(format!("section {}: wrong length", $name)));
            }
            column
        }};
    }
    let strings =
        StringTable::from_columns(column!("strings.text", None), column!("strings.ends", None))
            .ok_or_else(|| invalid("string table inconsistent"))?;
    macro_rules! codes {
        ($name:expr, $narrow:expr, $len:expr) => {
            if $narrow {
                Codes::Narrow(column!($name, $len))
            } else {
                Codes::Wide(column!($name, $len))
            }
        };
    }
    let class_index = ClassIndex {
        codes: codes!("class_codes", small.class_codes_narrow, Some(nodes)),
        names: small.class_names,
    };
    let location_nodes: Column<u32> = column!("location_nodes", None);
    let locations = Locations {
        codes: codes!(
            "location_codes",
            small.location_codes_narrow,
            Some(location_nodes.len())
        ),
        nodes: location_nodes,
        table: small.location_table,
    };
    let snapshot = Snapshot {
        path: Some(display_path),
        file_bytes: source.size_bytes,
        timings: Timings::default(),
        meta: small.meta,
        strings,
        node_type: column!("node_type", Some(nodes)),
        node_name: column!("node_name", Some(nodes)),
        node_id: column!("node_id", Some(nodes)),
        self_size: Narrow16::from_parts(column!("self_size", Some(nodes)), small.self_size_large)
            .ok_or_else(|| invalid("self_size overflow list out of order or range"))?,
        detachedness: column!("detachedness", None),
        first_edge: column!("first_edge", Some(nodes + 1)),
        edge_kinds: if small.edges_packed {
            EdgeKinds::Packed(column!("edge_kinds", Some(edges)))
        } else {
            EdgeKinds::Wide {
                ty: column!("edge_type", Some(edges)),
                name: column!("edge_name", Some(edges)),
            }
        },
        edge_to: column!("edge_to", Some(edges)),
        first_retainer: column!("first_retainer", Some(nodes + 1)),
        retainer_edge: column!("retainer_edge", Some(edges)),
        distance: Narrow16::from_parts(column!("distance", Some(nodes)), small.distance_large)
            .ok_or_else(|| invalid("distance overflow list out of order or range"))?,
        dominator: column!("dominator", Some(nodes)),
        retained: RetainedSizes {
            small: column!("retained", Some(nodes)),
            large: small.retained_large,
        },
        dominated: Dominated {
            has: column!("dominated.has", Some(nodes.div_ceil(64))),
            rank: column!("dominated.rank", Some(nodes.div_ceil(64))),
            starts: column!("dominated.starts", None),
            nodes: column!("dominated.nodes", None),
        },
        class_index,
        aggregates: Aggregates {
            classes: small.classes,
            members: column!("members", None),
            node_class: NodeClasses(codes!("node_class", small.node_class_narrow, Some(nodes))),
        },
        statistics: small.statistics,
        locations,
        interfaces: small.interfaces,
        interface_names: small.interface_names,
        weak_maps: small.weak_maps,
        by_id: IdIndex {
            all: small.ids_all_out_of_order,
            by_id: column!("by_id", None),
            out_of_order: column!("id_out_of_order", None),
        },
        unreachable_count: small.unreachable_count,
        trace: None,
        trace_node_id: Column::default(),
        samples: Vec::new(),
        allocation: std::sync::OnceLock::new(),
        script_names: std::sync::OnceLock::new(),
        cache_source: None,
        opened_from_index: true,
    };
    if !snapshot.dominated.fits(nodes) {
        return Err(invalid("dominated sections inconsistent"));
    }
    if !snapshot.by_id.fits(nodes) {
        return Err(invalid("section by_id: wrong length"));
    }
    let snapshot = Snapshot {
        timings: Timings {
            parse_secs: started.elapsed().as_secs_f64(),
            analyze_secs: 0.0,
        },
        ..snapshot
    };
    // A hit makes the index the newest for the size cap's eviction.
    if let Err(err) = file.set_modified(std::time::SystemTime::now()) {
        log::debug!("cannot refresh the index's time: {err}");
    }
    log::info!(
        "opened the index {} in {:.3} s (checksums {verify_secs:.3} s)",
        index.display(),
        snapshot.timings.parse_secs
    );
    Ok(Some(snapshot))
}

/// Maps the whole index read-only.
#[allow(unsafe_code)]
fn map_file(file: &File) -> io::Result<Mmap> {
    // SAFETY: a mapping is undefined behaviour if the file is modified or truncated while
    // it is mapped (another process could do that: reads past a truncation raise SIGBUS,
    // and changed bytes would change `&[T]` we hand out as immutable). The files mapped
    // here are heapsight's own cache files: they are written completely under a temporary
    // name and renamed into place (a rename does not touch the mapped inode), never
    // modified or truncated in place, and replaced or evicted only by rename/unlink, which
    // leave an existing mapping intact. Only a process deliberately writing into the
    // cache folder's files could break this, as for any memory-mapped cache.
    unsafe { Mmap::map(file) }
}

/// Loads `path` through the cache: maps its index when a valid one matches the file as it
/// is now, else loads and analyzes the file (see [`super::load_path`]). A fresh load
/// remembers the file's key so that [`store_in_background`] can write its index.
pub(crate) fn load_path_cached(
    path: &Path,
    config: &CacheConfig,
    progress: &Progress,
) -> super::Result<Snapshot> {
    let source = match config.dir() {
        Some(_) => SourceKey::of(path)
            .map_err(|err| log::debug!("no index for {}: {err}", path.display()))
            .ok(),
        None => None,
    };
    if let Some(source) = &source {
        match open_index(config, source, path.to_path_buf(), progress) {
            Ok(Some(snapshot)) => return Ok(snapshot),
            Ok(None) => log::debug!("no index for {}", path.display()),
            Err(why) => log::debug!("not using the index of {}: {why}", path.display()),
        }
    }
    let mut snapshot = super::load_path(path, progress)?;
    // A file that changed during the load gets no index (it would carry the old key).
    snapshot.cache_source =
        source.filter(|before| SourceKey::of(path).is_ok_and(|now| now == *before));
    Ok(snapshot)
}
